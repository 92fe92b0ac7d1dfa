/* SPDX-License-Identifier: MIT */
/* Server-side checks of imported rows; see rowcheck.h. */
#include "rowcheck.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "idcard.h"
#include "text.h"

#define ROWCHECK_TEXT_MAX TEXT_FIELD_MAX_BYTES
#define ROWCHECK_ID_MAX 32

void
rowcheck_today(char out[9])
{
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(out, 9, "%Y%m%d", &tm);
}

bool
rowcheck_is_date(const char *s)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year, month, day, max;

    if (strlen(s) != 8 || strspn(s, "0123456789") != 8) {
        return false;
    }
    /* Eight digits, checked above. */
    year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
           (s[3] - '0');
    month = (s[4] - '0') * 10 + (s[5] - '0');
    day = (s[6] - '0') * 10 + (s[7] - '0');
    if (year < 1900 || month < 1 || month > 12 || day < 1) {
        return false;
    }
    max = days[month - 1];
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) {
        max = 29;
    }
    return day <= max;
}

static bool
rowcheck_is_month(const char *s)
{
    char date[9];

    if (strlen(s) != 6) {
        return false;
    }
    snprintf(date, sizeof(date), "%s01", s);
    return rowcheck_is_date(date);
}

/* Control characters would corrupt COPY data and terminal output. */
bool
rowcheck_is_clean_text(const char *s, size_t max)
{
    size_t len = strlen(s);

    if (len > max || !text_is_utf8(s, len)) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

static int
rowcheck_code(enum codes_table table, const char *value, bool required,
              const char *field, struct xj_error *err)
{
    const char *code;

    if (value[0] == '\0' && !required) {
        return 0;
    }
    code = codes_lookup(table, value);
    if (code == NULL || strcmp(code, value) != 0) {
        return xj_error_set(err, XJ_ERR_INVALID, field, value,
                            "send the code from the code table, not the name",
                            "%s \"%s\" is not a code of its table", field,
                            value);
    }
    return 0;
}

static int
rowcheck_id_number(const struct rowcheck_controlled *row, const char *today,
                   const char **id_fault, struct xj_error *err)
{
    size_t len = strlen(row->id_number);
    char masked[IDCARD_MASK_SIZE];
    enum idcard_fault fault;

    idcard_mask(row->id_number, masked);
    if (len > ROWCHECK_ID_MAX ||
        strspn(row->id_number, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ()-") !=
            len) {
        return xj_error_set(err, XJ_ERR_INVALID, "id_number", masked,
                            "use digits and uppercase letters only",
                            "ID number has invalid characters or more than "
                            "%d of them", ROWCHECK_ID_MAX);
    }
    if (len == 0) {
        if (strcmp(row->id_type, "Z") == 0) {
            return 0;
        }
        return xj_error_set(err, XJ_ERR_INVALID, "id_number", "",
                            "fill the ID number, or use ID type Z (other)",
                            "ID number is missing");
    }
    if (strcmp(row->id_type, "1") != 0) {
        return 0;
    }
    fault = idcard_check(row->id_number, row->gender[0], row->birth_date,
                         today, NULL);
    if (fault != IDCARD_OK) {
        *id_fault = idcard_fault_name(fault);
    }
    return 0;
}

static int
rowcheck_text_fields(const Xueji__V1__StudentRow *row, struct xj_error *err)
{
    const struct {
        const char *field;
        const char *value;
        bool required;
    } texts[] = {
        {"name", row->name, true},
        {"grade", row->grade, true},
        {"class_name", row->class_name, true},
        {"address", row->address, false},
        {"telephone", row->telephone, false},
        {"class_number", row->class_number, false},
    };

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        size_t len = strlen(texts[i].value);

        if (len > ROWCHECK_TEXT_MAX) {
            return xj_error_set(err, XJ_ERR_INVALID, texts[i].field, NULL,
                                "shorten it to 200 bytes of UTF-8 (about 66 "
                                "Chinese characters)",
                                "%s has %zu bytes, more than the %d the "
                                "registry stores", texts[i].field, len,
                                ROWCHECK_TEXT_MAX);
        }
        if (!rowcheck_is_clean_text(texts[i].value, ROWCHECK_TEXT_MAX)) {
            return xj_error_set(err, XJ_ERR_INVALID, texts[i].field, NULL,
                                "remove control characters; keep it under "
                                "200 bytes of UTF-8",
                                "%s is not clean UTF-8 text", texts[i].field);
        }
        if (texts[i].required && texts[i].value[0] == '\0') {
            return xj_error_set(err, XJ_ERR_INVALID, texts[i].field, "",
                                "fill the column in the template",
                                "%s is missing", texts[i].field);
        }
    }
    return 0;
}

int
rowcheck_controlled(const struct rowcheck_controlled *fields,
                    const char *today, const char **id_fault,
                    struct xj_error *err)
{
    int rc;

    *id_fault = "";
    if (!rowcheck_is_clean_text(fields->name, ROWCHECK_TEXT_MAX) ||
        fields->name[0] == '\0') {
        return xj_error_set(err, XJ_ERR_INVALID, "name", NULL,
                            "write the name as in the household register",
                            "name is missing or not clean UTF-8 text");
    }
    if (strcmp(fields->gender, "1") != 0 && strcmp(fields->gender, "2") != 0) {
        return xj_error_set(err, XJ_ERR_INVALID, "gender", fields->gender,
                            "use 1 for male or 2 for female",
                            "gender \"%s\" is invalid", fields->gender);
    }
    if (!rowcheck_is_date(fields->birth_date) ||
        strcmp(fields->birth_date, today) > 0) {
        return xj_error_set(err, XJ_ERR_INVALID, "birth_date",
                            fields->birth_date,
                            "use YYYYMMDD as in the household register",
                            "birth date \"%s\" is not a real past date",
                            fields->birth_date);
    }
    rc = rowcheck_code(CODES_ID_TYPE, fields->id_type, true, "id_type", err);
    if (rc < 0) {
        return rc;
    }
    return rowcheck_id_number(fields, today, id_fault, err);
}

int
rowcheck_student(const Xueji__V1__StudentRow *row, const char *today,
                 const char **id_fault, struct xj_error *err)
{
    const struct rowcheck_controlled fields = {
        row->name, row->gender, row->birth_date, row->id_type, row->id_number,
    };
    size_t key_len = strlen(row->import_key);
    int rc;

    *id_fault = "";
    if (key_len != 32 || strspn(row->import_key, "0123456789abcdef") != 32) {
        return xj_error_set(err, XJ_ERR_INVALID, "import_key",
                            row->import_key, "update the client",
                            "import key must be 32 lowercase hex digits");
    }
    rc = rowcheck_text_fields(row, err);
    if (rc < 0) {
        return rc;
    }
    if (!rowcheck_is_month(row->enrol_month)) {
        return xj_error_set(err, XJ_ERR_INVALID, "enrol_month",
                            row->enrol_month, "use YYYYMM",
                            "enrolment month \"%s\" is invalid",
                            row->enrol_month);
    }
    if ((rc = rowcheck_code(CODES_NATIONALITY, row->nationality, true,
                            "nationality", err)) < 0 ||
        (rc = rowcheck_code(CODES_ETHNICITY, row->ethnicity, true,
                            "ethnicity", err)) < 0 ||
        (rc = rowcheck_code(CODES_OVERSEAS_STATUS, row->overseas_status,
                            false, "overseas_status", err)) < 0 ||
        (rc = rowcheck_code(CODES_HEALTH, row->health, false, "health",
                            err)) < 0 ||
        (rc = rowcheck_code(CODES_HOUSEHOLD_TYPE, row->household_type, false,
                            "household_type", err)) < 0 ||
        (rc = rowcheck_code(CODES_ATTENDANCE, row->attendance, false,
                            "attendance", err)) < 0 ||
        (rc = rowcheck_code(CODES_ENTRY_MODE, row->entry_mode, false,
                            "entry_mode", err)) < 0) {
        return rc;
    }
    return rowcheck_controlled(&fields, today, id_fault, err);
}
