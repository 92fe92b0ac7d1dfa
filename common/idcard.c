/* SPDX-License-Identifier: MIT */
/*
 * Checks of 18-character resident ID numbers (GB 11643-1999) and the mask
 * used wherever an ID number is shown or logged. Region codes come from
 * divisions.c, and the duplicate checks belong to the server.
 */
#include "idcard.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "divisions.h"

static const char *const idcard_fault_names[] = {
    [IDCARD_OK] = "ok",
    [IDCARD_EMPTY] = "empty",
    [IDCARD_SCIENTIFIC] = "scientific",
    [IDCARD_LENGTH] = "length",
    [IDCARD_CHARACTERS] = "characters",
    [IDCARD_PROVINCE] = "province",
    [IDCARD_BIRTH_DATE] = "birth_date",
    [IDCARD_CHECK_DIGIT] = "check_digit",
    [IDCARD_ZEROS_LOST] = "zeros_lost",
    [IDCARD_GENDER_MISMATCH] = "gender_mismatch",
    [IDCARD_BIRTH_MISMATCH] = "birth_mismatch",
};

const char *
idcard_fault_name(enum idcard_fault fault)
{
    if ((unsigned)fault >= sizeof(idcard_fault_names) / sizeof(char *)) {
        return "unknown";
    }
    return idcard_fault_names[fault];
}

static bool
idcard_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

char
idcard_check_char(const char *id)
{
    /* ISO 7064 MOD 11-2: weight of position i is 2^(17-i) mod 11. */
    static const int weights[17] = {
        7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2,
    };
    static const char check_chars[] = "10X98765432";
    int sum = 0;

    if (id == NULL) {
        return 0;
    }
    for (int i = 0; i < 17; i++) {
        if (!idcard_is_digit(id[i])) {
            return 0;
        }
        sum += (id[i] - '0') * weights[i];
    }
    return check_chars[sum % 11];
}

/* Number of UTF-8 code points in s, counting lead bytes only. */
static size_t
idcard_count_chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

void
idcard_mask(const char *id, char *out)
{
    size_t chars;
    size_t kept = 0;
    size_t n = 0;
    const char *last;

    out[0] = '\0';
    if (id == NULL || *id == '\0') {
        return;
    }
    chars = idcard_count_chars(id);
    if (chars < 8) {
        memset(out, '*', chars);
        out[chars] = '\0';
        return;
    }

    /* Copy the first six characters, which may be multi-byte. */
    while (kept < 6) {
        out[n++] = *id++;
        while (((unsigned char)*id & 0xC0) == 0x80) {
            out[n++] = *id++;
        }
        kept++;
    }

    /* Stars for the middle, shortened so the result always fits. */
    last = id + strlen(id);
    do {
        last--;
    } while (last > id && ((unsigned char)*last & 0xC0) == 0x80);
    for (size_t i = 0; i < chars - 7 && n + 1 + 4 + 1 < IDCARD_MASK_SIZE; i++) {
        out[n++] = '*';
    }
    while (*last != '\0') {
        out[n++] = *last++;
    }
    out[n] = '\0';
}

/* Tells whether s looks like a number in scientific notation, as Excel
 * shows long numbers: "4.10102E+17", "4.10102e17", "4E+17". */
static bool
idcard_is_scientific(const char *s)
{
    if (!idcard_is_digit(*s)) {
        return false;
    }
    while (idcard_is_digit(*s)) {
        s++;
    }
    if (*s == '.') {
        s++;
        while (idcard_is_digit(*s)) {
            s++;
        }
    }
    if (*s != 'E' && *s != 'e') {
        return false;
    }
    s++;
    if (*s == '+' || *s == '-') {
        s++;
    }
    if (!idcard_is_digit(*s)) {
        return false;
    }
    while (idcard_is_digit(*s)) {
        s++;
    }
    return *s == '\0';
}

static bool
idcard_is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Tells whether the 8 characters at date form a real YYYYMMDD date from
 * 1900 on. */
static bool
idcard_date_is_real(const char *date)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    int year = 0;
    int month;
    int day;

    for (int i = 0; i < 8; i++) {
        if (!idcard_is_digit(date[i])) {
            return false;
        }
    }
    for (int i = 0; i < 4; i++) {
        year = year * 10 + (date[i] - '0');
    }
    month = (date[4] - '0') * 10 + (date[5] - '0');
    day = (date[6] - '0') * 10 + (date[7] - '0');
    if (year < 1900 || month < 1 || month > 12 || day < 1) {
        return false;
    }
    if (month == 2 && idcard_is_leap_year(year)) {
        return day <= 29;
    }
    return day <= days[month - 1];
}

static void
idcard_today(char out[9])
{
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    if (strftime(out, 9, "%Y%m%d", &tm) != 8) {
        memcpy(out, "99991231", 9);
    }
}

static enum idcard_fault
idcard_fail(struct xj_error *err, enum idcard_fault fault, const char *id,
            const char *hint, const char *message)
{
    char masked[IDCARD_MASK_SIZE];

    idcard_mask(id, masked);
    xj_error_set(err, XJ_ERR_INVALID, "id_number", masked, hint, "%s", message);
    return fault;
}

/* Checks the form of the value: empty, scientific notation, length and
 * characters. */
static enum idcard_fault
idcard_check_form(const char *id, struct xj_error *err)
{
    char message[160];
    size_t len;

    if (id == NULL || *id == '\0') {
        return idcard_fail(err, IDCARD_EMPTY, id,
                           "Enter the 18-character number from the household register.",
                           "ID number is empty");
    }
    if (idcard_is_scientific(id)) {
        return idcard_fail(err, IDCARD_SCIENTIFIC, id,
                           "Format the ID number column as text in Excel, then retype the numbers.",
                           "ID number was turned into a number in scientific notation, "
                           "so its digits are lost");
    }
    len = idcard_count_chars(id);
    if (len != IDCARD_LEN) {
        snprintf(message, sizeof(message),
                 "ID number has %zu characters, but a resident ID number has 18", len);
        return idcard_fail(err, IDCARD_LENGTH, id,
                           len == 15
                           ? "This looks like an old 15-digit number. Enter the 18-character "
                             "number from the household register."
                           : "Retype the number from the household register.",
                           message);
    }
    for (int i = 0; i < 17; i++) {
        if (!idcard_is_digit(id[i])) {
            return idcard_fail(err, IDCARD_CHARACTERS, id,
                               "Retype the number: the first 17 characters are digits.",
                               "ID number contains a character other than a digit");
        }
    }
    if (!idcard_is_digit(id[17]) && id[17] != 'X') {
        return idcard_fail(err, IDCARD_CHARACTERS, id,
                           "Retype the number: the last character is a digit or an uppercase X.",
                           "ID number ends in a character other than a digit or X");
    }
    return IDCARD_OK;
}

/* Checks region, birth date and check character of a well-formed number. */
static enum idcard_fault
idcard_check_content(const char *id, const char *today, struct xj_error *err)
{
    char expected = idcard_check_char(id);
    char province[3] = {id[0], id[1], '\0'};
    char hint[160];

    if (expected != id[17] && strcmp(id + 15, "000") == 0) {
        return idcard_fail(err, IDCARD_ZEROS_LOST, id,
                           "Format the ID number column as text in Excel, then retype the "
                           "numbers from the household register.",
                           "ID number ends in 000 and its check digit is wrong, so Excel has "
                           "probably replaced its last digits with zeros");
    }
    if (!divisions_province_exists(province)) {
        return idcard_fail(err, IDCARD_PROVINCE, id,
                           "Retype the number from the household register.",
                           "ID number starts with a province code that does not exist");
    }
    if (!idcard_date_is_real(id + 6)) {
        return idcard_fail(err, IDCARD_BIRTH_DATE, id,
                           "Retype the number from the household register.",
                           "ID number contains an impossible birth date");
    }
    if (strncmp(id + 6, today, 8) > 0) {
        return idcard_fail(err, IDCARD_BIRTH_DATE, id,
                           "Retype the number from the household register.",
                           "ID number contains a birth date in the future");
    }
    if (expected != id[17]) {
        snprintf(hint, sizeof(hint),
                 "Retype the number from the household register. With these first 17 "
                 "digits the check digit would be %c.", expected);
        return idcard_fail(err, IDCARD_CHECK_DIGIT, id, hint,
                           "ID number has a wrong check digit, so one of its characters "
                           "is probably mistyped");
    }
    return IDCARD_OK;
}

/* Compares the number with the gender and birth date fields of the row. */
static enum idcard_fault
idcard_check_row(const char *id, char gender, const char *birth_date,
                 struct xj_error *err)
{
    char id_gender = (id[16] - '0') % 2 == 1 ? '1' : '2';

    if ((gender == '1' || gender == '2') && gender != id_gender) {
        return idcard_fail(err, IDCARD_GENDER_MISMATCH, id,
                           "Check the gender and the ID number against the household register.",
                           id_gender == '1'
                           ? "ID number is a man's (17th digit odd), but the gender is female"
                           : "ID number is a woman's (17th digit even), but the gender is male");
    }
    if (birth_date != NULL && *birth_date != '\0'
        && (strlen(birth_date) != 8 || strncmp(id + 6, birth_date, 8) != 0)) {
        return idcard_fail(err, IDCARD_BIRTH_MISMATCH, id,
                           "Check the birth date and the ID number against the household "
                           "register.",
                           "birth date in the ID number differs from the birth date field");
    }
    return IDCARD_OK;
}

enum idcard_fault
idcard_check(const char *id, char gender, const char *birth_date,
             const char *today, struct xj_error *err)
{
    char now[9];
    enum idcard_fault fault;

    xj_error_clear(err);
    if (today == NULL || strlen(today) != 8) {
        idcard_today(now);
        today = now;
    }
    fault = idcard_check_form(id, err);
    if (fault == IDCARD_OK) {
        fault = idcard_check_content(id, today, err);
    }
    if (fault == IDCARD_OK) {
        fault = idcard_check_row(id, gender, birth_date, err);
    }
    return fault;
}

bool
idcard_region_is_known(const char *id)
{
    char region[7];

    if (id == NULL || strlen(id) < 6) {
        return false;
    }
    memcpy(region, id, 6);
    region[6] = '\0';

    /* Residence permits of Hong Kong, Macau and Taiwan residents use these
     * region codes, which are not in the division list. */
    if (strcmp(region, "810000") == 0 || strcmp(region, "820000") == 0
        || strcmp(region, "830000") == 0) {
        return true;
    }
    return divisions_county_exists(region);
}
