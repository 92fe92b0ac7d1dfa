/* SPDX-License-Identifier: MIT */
/*
 * Reads the import template saved as CSV: decodes the file (UTF-8 with or
 * without a byte-order mark, or GB18030), maps the header row, normalises
 * every cell and checks its format. For files of more than one batch of
 * rows, a second thread checks rows while the parser reads on. The checks
 * that need other records (duplicates, identity verification) are left to
 * the server.
 */
#include "template.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "codes.h"
#include "idcard.h"
#include "template_keys.h"
#include "text.h"

#define TEMPLATE_MAX_FILE_SIZE ((size_t)64 << 20)
#define TEMPLATE_MAX_COLUMNS 10000
/* A school's file contains a few thousand students, so this limit only
 * bounds memory. Each row costs about 200 bytes plus its text (estimated
 * from the struct sizes on x86-64). */
#define TEMPLATE_MAX_ROWS 200000
/* Findings past this many are counted but not stored (about 650 bytes each). */
#define TEMPLATE_MAX_DIAGS 100000
/* Records searched for the header row, for files with a title line. */
#define TEMPLATE_HEADER_SEARCH 10
/* Older birth dates are a warning: the student is probably mistyped. */
#define TEMPLATE_MAX_AGE 30
#define TEMPLATE_MAX_OTHER_ID_LEN 32
/* Bytes kept per field for a value that a check puts in place of the
 * normalised one: a code of a code table or a date written YYYYMMDD. */
#define TEMPLATE_REPLACEMENT_SIZE 16
/* Bytes of row values per allocation. A longer row gets one of its own. */
#define TEMPLATE_TEXT_BLOCK_SIZE ((size_t)256 << 10)
#define TEMPLATE_NOTICE_HINT "No action needed: the corrected value is imported."

enum template_kind {
    TEMPLATE_KIND_TEXT,
    TEMPLATE_KIND_NAME,
    TEMPLATE_KIND_CODE,
    TEMPLATE_KIND_DATE,
    TEMPLATE_KIND_MONTH,
    TEMPLATE_KIND_ID,
};

struct template_field_info {
    const char *header;
    const char *id;
    bool required;
    enum template_kind kind;
    unsigned options;           /* enum text_option flags */
    enum codes_table table;     /* for TEMPLATE_KIND_CODE */
};

#define FW TEXT_OPT_FOLD_WIDTH
static const struct template_field_info
template_fields[TEMPLATE_FIELD_COUNT] = {
    [TEMPLATE_NAME] = {"姓名", "name", true,
        TEMPLATE_KIND_NAME, TEXT_OPT_NAME, 0},
    [TEMPLATE_GENDER] = {"性别", "gender", true,
        TEMPLATE_KIND_CODE, FW, CODES_GENDER},
    [TEMPLATE_BIRTH_DATE] = {"出生日期", "birth_date", true,
        TEMPLATE_KIND_DATE, FW, 0},
    [TEMPLATE_ID_TYPE] = {"身份证件类型", "id_type", true,
        TEMPLATE_KIND_CODE, FW, CODES_ID_TYPE},
    [TEMPLATE_ID_NUMBER] = {"身份证件号", "id_number", false,
        TEMPLATE_KIND_ID, FW | TEXT_OPT_UPPER, 0},
    [TEMPLATE_NATIONALITY] = {"国籍/地区", "nationality", true,
        TEMPLATE_KIND_CODE, FW, CODES_NATIONALITY},
    [TEMPLATE_ETHNICITY] = {"民族", "ethnicity", true,
        TEMPLATE_KIND_CODE, FW, CODES_ETHNICITY},
    [TEMPLATE_GRADE] = {"年级", "grade", true,
        TEMPLATE_KIND_TEXT, FW, 0},
    [TEMPLATE_CLASS] = {"班级", "class", true,
        TEMPLATE_KIND_TEXT, FW, 0},
    [TEMPLATE_ENROL_MONTH] = {"入学年月", "enrol_month", true,
        TEMPLATE_KIND_MONTH, FW, 0},
    [TEMPLATE_OVERSEAS_STATUS] = {"港澳台侨外", "overseas_status", false,
        TEMPLATE_KIND_CODE, FW, CODES_OVERSEAS_STATUS},
    [TEMPLATE_HEALTH] = {"健康状况", "health", false,
        TEMPLATE_KIND_CODE, FW, CODES_HEALTH},
    [TEMPLATE_HOUSEHOLD_TYPE] = {"户口性质", "household_type", false,
        TEMPLATE_KIND_CODE, FW, CODES_HOUSEHOLD_TYPE},
    [TEMPLATE_ATTENDANCE] = {"就读方式", "attendance", false,
        TEMPLATE_KIND_CODE, FW, CODES_ATTENDANCE},
    [TEMPLATE_ENTRY_MODE] = {"入学方式", "entry_mode", false,
        TEMPLATE_KIND_CODE, FW, CODES_ENTRY_MODE},
    [TEMPLATE_ADDRESS] = {"现住址", "address", false,
        TEMPLATE_KIND_TEXT, 0, 0},
    [TEMPLATE_TELEPHONE] = {"联系电话", "telephone", false,
        TEMPLATE_KIND_TEXT, FW, 0},
    [TEMPLATE_CLASS_NUMBER] = {"班内学号", "class_number", false,
        TEMPLATE_KIND_TEXT, FW, 0},
};
#undef FW

/* Values of rows, stored one row after another. */
struct template_text_block {
    struct template_text_block *next;
    size_t used;
    size_t size;
    char text[];
};

/* Other headers seen in provincial versions of the template. */
static const struct {
    const char *header;
    enum template_field field;
} template_header_aliases[] = {
    {"身份证件号码", TEMPLATE_ID_NUMBER},
    {"身份证号", TEMPLATE_ID_NUMBER},
    {"身份证号码", TEMPLATE_ID_NUMBER},
    {"国籍", TEMPLATE_NATIONALITY},
    {"国籍地区", TEMPLATE_NATIONALITY},
};

/* The last value looked up in the code table of a field, and its code. */
struct template_code_memo {
    bool valid;
    char value[32];
    size_t len;
    const char *code;       /* NULL when the value is in no table */
    bool same;              /* code equals value */
};

/* A finding of the current row, kept until the row is done so that the
 * findings can be sorted into column order. */
struct template_pending {
    struct template_diag diag;
    size_t column;
    size_t sequence;
};

struct template_reader {
    struct template_file *file;
    struct xj_error *err;
    int status;
    char today[9];

    /* The record being checked, whose cells are in a batch of the
     * parser. */
    char **cells;
    const size_t *cell_lengths;
    size_t cell_count;
    size_t cell_capacity;
    size_t header_cells;        /* cells of the header row */
    unsigned records;           /* records searched for the header row */

    /* Column index of each field, from the header row. */
    bool have_header;
    unsigned header_line;
    size_t field_column[TEMPLATE_FIELD_COUNT];  /* SIZE_MAX when absent */

    /* Values of the row being checked, copied to a text block of the file
     * when the row is done, and their lengths. */
    char *row_text;
    size_t row_text_len;
    size_t row_text_capacity;

    size_t value_lengths[TEMPLATE_FIELD_COUNT];
    struct template_code_memo code_memo[TEMPLATE_FIELD_COUNT];

    size_t row_capacity;
    bool rows_fixed;            /* rows stay in place for the import keys */
    size_t diag_capacity;
    size_t diags_dropped;
    struct template_pending *pending;
    size_t pending_count;
    size_t pending_capacity;
};

const char *
template_header(enum template_field field)
{
    if ((unsigned)field >= TEMPLATE_FIELD_COUNT) {
        return "";
    }
    return template_fields[field].header;
}

const char *
template_field_id(enum template_field field)
{
    if ((unsigned)field >= TEMPLATE_FIELD_COUNT) {
        return "";
    }
    return template_fields[field].id;
}

bool
template_field_is_required(enum template_field field)
{
    return (unsigned)field < TEMPLATE_FIELD_COUNT
           && template_fields[field].required;
}

void
template_free(struct template_file *file)
{
    if (file == NULL) {
        return;
    }
    while (file->text_blocks != NULL) {
        struct template_text_block *next = file->text_blocks->next;

        free(file->text_blocks);
        file->text_blocks = next;
    }
    free(file->rows);
    free(file->diags);
    free(file);
}

/* ---- Findings ---------------------------------------------------------- */

/* Copies src into dst (size bytes), cutting at a UTF-8 character boundary.
 * src may itself end in a character that vsnprintf cut, which is dropped. */
static void
template_copy_text(char *dst, size_t size, const char *src)
{
    size_t len = strlen(src);

    if (len >= size) {
        len = size - 1;
    }
    len = text_utf8_valid_length(src, len);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Stores a finding in the file, growing the array as needed. */
static int
template_store_diag(struct template_reader *r, const struct template_diag *diag)
{
    struct template_file *file = r->file;

    if (file->diag_count == r->diag_capacity) {
        size_t capacity = r->diag_capacity ? r->diag_capacity * 2 : 64;
        struct template_diag *diags = realloc(file->diags,
                                              capacity * sizeof(*diags));

        if (diags == NULL) {
            return XJ_ERR_NOMEM;
        }
        file->diags = diags;
        r->diag_capacity = capacity;
    }
    file->diags[file->diag_count++] = *diag;
    return 0;
}

/* Stores a finding, or only counts it once TEMPLATE_MAX_DIAGS are stored. */
static int
template_append_diag(struct template_reader *r,
                     const struct template_diag *diag)
{
    if (r->file->diag_count >= TEMPLATE_MAX_DIAGS) {
        r->diags_dropped++;
        return 0;
    }
    return template_store_diag(r, diag);
}

static bool template_is_scientific(const char *s);

/* Fills a finding. value is shown masked when the field is the ID number,
 * unless Excel turned it into scientific notation: "4.10102E+17" has lost
 * its digits, and masked it would match no cell of the registrar's file. */
static void
template_diag_fill(struct template_diag *diag, unsigned row,
                   enum template_field field, enum template_severity severity,
                   const char *value, const char *hint, const char *message)
{
    memset(diag, 0, sizeof(*diag));
    diag->row = row;
    diag->field = field;
    diag->severity = severity;
    if (field == TEMPLATE_ID_NUMBER && value != NULL &&
        !template_is_scientific(value)) {
        char masked[IDCARD_MASK_SIZE];

        idcard_mask(value, masked);
        template_copy_text(diag->value, sizeof(diag->value), masked);
    } else {
        template_copy_text(diag->value, sizeof(diag->value), value ? value : "");
    }
    template_copy_text(diag->message, sizeof(diag->message), message);
    template_copy_text(diag->hint, sizeof(diag->hint), hint ? hint : "");
}

/* Adds a finding about the header or the whole file, in the order found. */
static void
template_file_diag(struct template_reader *r, enum template_severity severity,
                   const char *value, const char *hint, const char *fmt, ...)
    XJ_PRINTF(5, 6);

static void
template_file_diag(struct template_reader *r, enum template_severity severity,
                   const char *value, const char *hint, const char *fmt, ...)
{
    struct template_diag diag;
    char message[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    template_diag_fill(&diag, r->header_line, TEMPLATE_FIELD_COUNT, severity,
                       value, hint, message);
    if (r->status == 0) {
        r->status = template_append_diag(r, &diag);
    }
}

/* Adds a finding about a cell of the current row. Returns the finding so
 * that the caller can set id_only, or NULL when memory runs out. */
static struct template_diag *
template_cell_diag(struct template_reader *r, struct template_row *row,
                   enum template_field field, enum template_severity severity,
                   const char *value, const char *hint, const char *fmt, ...)
    XJ_PRINTF(7, 8);

static struct template_diag *
template_cell_diag(struct template_reader *r, struct template_row *row,
                   enum template_field field, enum template_severity severity,
                   const char *value, const char *hint, const char *fmt, ...)
{
    struct template_pending *item;
    char message[256];
    va_list ap;

    if (r->pending_count == r->pending_capacity) {
        size_t capacity = r->pending_capacity ? r->pending_capacity * 2 : 16;
        struct template_pending *pending = realloc(r->pending,
                                                   capacity * sizeof(*pending));

        if (pending == NULL) {
            r->status = XJ_ERR_NOMEM;
            return NULL;
        }
        r->pending = pending;
        r->pending_capacity = capacity;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);

    item = &r->pending[r->pending_count];
    template_diag_fill(&item->diag, row->row, field, severity, value, hint,
                       message);
    item->column =
        field < TEMPLATE_FIELD_COUNT ? r->field_column[field] : SIZE_MAX;
    item->sequence = r->pending_count++;
    return &item->diag;
}

static int
template_compare_pending(const void *a, const void *b)
{
    const struct template_pending *x = a;
    const struct template_pending *y = b;

    if (x->column != y->column) {
        return x->column < y->column ? -1 : 1;
    }
    return (x->sequence > y->sequence) - (x->sequence < y->sequence);
}

/* Sets the error flags of the row from its findings and moves the findings
 * to the file in column order. */
static void
template_flush_pending(struct template_reader *r, struct template_row *row)
{
    if (r->pending_count > 1) {
        qsort(r->pending, r->pending_count, sizeof(*r->pending),
              template_compare_pending);
    }
    for (size_t i = 0; i < r->pending_count; i++) {
        const struct template_diag *diag = &r->pending[i].diag;

        if (diag->severity == TEMPLATE_ERROR && diag->id_only) {
            row->id_invalid = true;
        } else if (diag->severity == TEMPLATE_ERROR) {
            row->has_error = true;
        }
        if (r->status == 0) {
            r->status = template_append_diag(r, diag);
        }
    }
    r->pending_count = 0;
}

/* ---- Dates --------------------------------------------------------------- */

enum template_date_form {
    TEMPLATE_DATE_INVALID,
    TEMPLATE_DATE_COMPACT, /* YYYYMMDD, or YYYYMM */
    TEMPLATE_DATE_WRITTEN, /* 2008-01-01, 2008/1/1, 2008.1.1, 2008年1月1日 */
    TEMPLATE_DATE_SERIAL,  /* an Excel serial number */
};

struct template_date {
    int year;
    int month;
    int day;                    /* 0 when only a month was given */
};

/* Excel's serial number of 1970-01-01 in the 1900 date system. Serials from
 * 61 on count days from 1899-12-30 because Excel treats 1900 as a leap year. */
#define TEMPLATE_EXCEL_SERIAL_1970 25569
#define TEMPLATE_EXCEL_SERIAL_MIN 20000     /* 1954-10-03 */
#define TEMPLATE_EXCEL_SERIAL_MAX 60000     /* 2064-04-08 */

static bool
template_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
template_is_all_digits(const char *s)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (!template_is_digit(*s)) {
            return false;
        }
    }
    return true;
}

/* Returns the value of the n digits at s. */
static int
template_digits_value(const char *s, int n)
{
    int value = 0;

    for (int i = 0; i < n; i++) {
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

/* Reads min to max digits at *p, and fails when more digits follow. */
static bool
template_read_number(const char **p, int min, int max, int *value)
{
    int count = 0;

    *value = 0;
    while (count < max && template_is_digit(**p)) {
        *value = *value * 10 + (**p - '0');
        (*p)++;
        count++;
    }
    return count >= min && !template_is_digit(**p);
}

static bool
template_skip_token(const char **p, const char *token)
{
    size_t len = strlen(token);

    if (strncmp(*p, token, len) != 0) {
        return false;
    }
    *p += len;
    return true;
}

/* Tells whether the rest of s is empty or a time of day that Excel appends
 * to dates, as in "2008/1/1 0:00". */
static bool
template_is_end_or_time(const char *s)
{
    if (*s == '\0') {
        return true;
    }
    if (*s != ' ') {
        return false;
    }
    while (*s == ' ') {
        s++;
    }
    if (!template_is_digit(*s)) {
        return false;
    }
    return strspn(s, "0123456789:") == strlen(s);
}

/* Converts days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void
template_civil_from_days(long days, struct template_date *date)
{
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;

    date->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    date->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    date->year = (int)(yoe + era * 400 + (date->month <= 2));
}

/* Parses 2008-1-1, 2008/1/1, 2008.1.1 and 2008年1月1日, each with or without
 * the day. */
static enum template_date_form
template_parse_written_date(const char *s, struct template_date *date)
{
    const char *p = s;
    char separator = 0;

    if (!template_read_number(&p, 4, 4, &date->year)) {
        return TEMPLATE_DATE_INVALID;
    }
    if (!template_skip_token(&p, "年")) {
        separator = *p;
        if (separator != '-' && separator != '/' && separator != '.') {
            return TEMPLATE_DATE_INVALID;
        }
        p++;
    }
    if (!template_read_number(&p, 1, 2, &date->month)) {
        return TEMPLATE_DATE_INVALID;
    }
    if (separator == 0 && !template_skip_token(&p, "月") && *p != '\0') {
        return TEMPLATE_DATE_INVALID;
    }
    if (template_is_end_or_time(p)) {
        return TEMPLATE_DATE_WRITTEN;
    }
    if (separator != 0 && *p++ != separator) {
        return TEMPLATE_DATE_INVALID;
    }
    if (!template_read_number(&p, 1, 2, &date->day)) {
        return TEMPLATE_DATE_INVALID;
    }
    if (separator == 0) {
        template_skip_token(&p, "日");
    }
    return template_is_end_or_time(p) ? TEMPLATE_DATE_WRITTEN
                                      : TEMPLATE_DATE_INVALID;
}

/* Parses a date in any accepted form. date->day is 0 for a month. */
static enum template_date_form
template_parse_date(const char *s, struct template_date *date)
{
    size_t len = strlen(s);
    long serial;

    memset(date, 0, sizeof(*date));
    if (!template_is_all_digits(s)) {
        return template_parse_written_date(s, date);
    }
    if (len == 8 || len == 6) {
        date->year = template_digits_value(s, 4);
        date->month = template_digits_value(s + 4, 2);
        date->day = len == 8 ? template_digits_value(s + 6, 2) : 0;
        return TEMPLATE_DATE_COMPACT;
    }
    serial = strtol(s, NULL, 10);
    if (len == 5 && serial >= TEMPLATE_EXCEL_SERIAL_MIN
        && serial <= TEMPLATE_EXCEL_SERIAL_MAX) {
        template_civil_from_days(serial - TEMPLATE_EXCEL_SERIAL_1970, date);
        return TEMPLATE_DATE_SERIAL;
    }
    return TEMPLATE_DATE_INVALID;
}

/* Tells whether the date exists. A day of 0 means the whole month. */
static bool
template_date_is_real(const struct template_date *date)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    int max_day;

    if (date->year < 1900 || date->month < 1 || date->month > 12
        || date->day < 0) {
        return false;
    }
    max_day = days[date->month - 1];
    if (date->month == 2 && ((date->year % 4 == 0 && date->year % 100 != 0)
                             || date->year % 400 == 0)) {
        max_day = 29;
    }
    return date->day <= max_day;
}

/* Writes value as count decimal digits with leading zeros. */
static void
template_put_digits(char *out, int value, int count)
{
    for (int i = count - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
}

/* Writes a date that template_date_is_real accepts as YYYYMMDD, or as
 * YYYYMM when with_day is false, with a NUL. Its year has four digits
 * because the parsers read at most four. */
static void
template_format_date(const struct template_date *date, bool with_day,
                     char *out)
{
    template_put_digits(out, date->year, 4);
    template_put_digits(out + 4, date->month, 2);
    if (with_day) {
        template_put_digits(out + 6, date->day, 2);
        out[8] = '\0';
    } else {
        out[6] = '\0';
    }
}

/* Tells whether s is a real date written YYYYMMDD. */
static bool
template_is_compact_date(const char *s)
{
    struct template_date date;

    return strlen(s) == 8
        && template_parse_date(s, &date) == TEMPLATE_DATE_COMPACT
        && date.day > 0 && template_date_is_real(&date);
}

/* ---- Cell checks --------------------------------------------------------- */

/* Tells whether s is a number in scientific notation, as Excel shows long
 * numbers: "4.10102E+17", "4.10102e17", "1.38E+10". */
static bool
template_is_scientific(const char *s)
{
    if (!template_is_digit(*s)) {
        return false;
    }
    while (template_is_digit(*s)) {
        s++;
    }
    if (*s == '.') {
        s++;
        while (template_is_digit(*s)) {
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
    return template_is_all_digits(s);
}

/* Makes room in row_text for the values of one row: the normalised cells,
 * whose raw forms have raw_lengths bytes, and a value of up to
 * TEMPLATE_REPLACEMENT_SIZE bytes per field that a check may put in place
 * of the normalised one. */
static void
template_reserve_row_text(struct template_reader *r, const size_t *raw_lengths)
{
    size_t needed = 0;

    for (int f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        needed += TEXT_NORMALIZE_SIZE(raw_lengths[f])
                  + TEMPLATE_REPLACEMENT_SIZE;
    }
    r->row_text_len = 0;
    if (needed <= r->row_text_capacity) {
        return;
    }
    free(r->row_text);
    r->row_text = malloc(needed);
    r->row_text_capacity = r->row_text != NULL ? needed : 0;
    if (r->row_text == NULL) {
        r->status = XJ_ERR_NOMEM;
    }
}

/* Returns room for size bytes in the text blocks of the file, or NULL when
 * memory runs out. */
static char *
template_block_room(struct template_file *file, size_t size)
{
    struct template_text_block *block = file->text_blocks;

    if (block == NULL || block->size - block->used < size) {
        size_t block_size =
            size > TEMPLATE_TEXT_BLOCK_SIZE ? size : TEMPLATE_TEXT_BLOCK_SIZE;

        block = malloc(sizeof(*block) + block_size);
        if (block == NULL) {
            return NULL;
        }
        block->next = file->text_blocks;
        block->used = 0;
        block->size = block_size;
        file->text_blocks = block;
    }
    block->used += size;
    return block->text + block->used - size;
}

/* Copies the values of the row from row_text to the text blocks of the
 * file. Clears the values instead when the row could not be checked. */
static void
template_store_row_text(struct template_reader *r, struct template_row *row)
{
    char *text = NULL;

    if (r->status == 0) {
        text = template_block_room(r->file, r->row_text_len);
        if (text == NULL) {
            r->status = XJ_ERR_NOMEM;
        }
    }
    if (text == NULL) {
        memset(row->value, 0, sizeof(row->value));
        return;
    }
    memcpy(text, r->row_text, r->row_text_len);
    for (int f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        row->value[f] = text + (row->value[f] - r->row_text);
    }
}

/* Puts value in place of the normalised value of the field. It overwrites
 * that value when it fits and goes to the room reserved for replacements
 * otherwise. */
static void
template_set_value(struct template_reader *r, struct template_row *row,
                   enum template_field field, const char *value)
{
    size_t size = strlen(value) + 1;
    char *copy = row->value[field];

    if (size > r->value_lengths[field] + 1) {
        copy = r->row_text + r->row_text_len;

        /* Every field is normalised before the first check runs, so the
         * room reserved for replacements is still free here. */
        if (size > r->row_text_capacity - r->row_text_len) {
            r->status = XJ_ERR_INTERNAL;
            return;
        }
        r->row_text_len += size;
    }
    memmove(copy, value, size);
    row->value[field] = copy;
    r->value_lengths[field] = size - 1;
}

/* Appends phrase to a comma-separated list in buf. */
static void
template_add_phrase(char *buf, size_t size, const char *phrase)
{
    size_t len = strlen(buf);

    snprintf(buf + len, size - len, "%s%s", len > 0 ? ", " : "", phrase);
}

/* Describes the enum text_change flags of one cell in words. */
static void
template_describe_changes(enum template_field field, unsigned changes,
                          char *buf, size_t size)
{
    bool is_id = field == TEMPLATE_ID_NUMBER;

    buf[0] = '\0';
    if (changes & TEXT_CHANGE_FULLWIDTH) {
        template_add_phrase(buf, size, "full-width characters converted to ASCII");
    }
    if (changes & TEXT_CHANGE_CASE) {
        template_add_phrase(buf, size, is_id ? "lowercase x made uppercase"
                                             : "lowercase letters made uppercase");
    }
    if (changes & TEXT_CHANGE_INVISIBLE) {
        template_add_phrase(buf, size, "invisible characters removed");
    }
    if (changes & TEXT_CHANGE_TRIMMED) {
        template_add_phrase(buf, size, "spaces at either end removed");
    }
    if (changes & TEXT_CHANGE_SPACES) {
        template_add_phrase(buf, size,
                            field == TEMPLATE_NAME || is_id
                            ? "spaces inside the value removed"
                            : "repeated or special spaces replaced by one space");
    }
    if (changes & TEXT_CHANGE_DOT) {
        template_add_phrase(buf, size, "dot in the name replaced by the middle dot ·");
    }
    if (changes & TEXT_CHANGE_NFC) {
        template_add_phrase(buf, size, "Unicode characters composed (NFC)");
    }
}

/* Removes every space from s in place and returns whether one was removed. */
static bool
template_remove_spaces(char *s)
{
    char *out = s;
    bool removed = false;

    for (; *s != '\0'; s++) {
        if (*s == ' ') {
            removed = true;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
    return removed;
}

/* Normalises one cell (raw_len bytes at raw) into row_text, sets
 * row->value[field] to it and adds a notice of what changed. */
static void
template_normalize_cell(struct template_reader *r, struct template_row *row,
                        enum template_field field, const char *raw,
                        size_t raw_len)
{
    const struct template_field_info *info = &template_fields[field];
    unsigned changes = 0;
    char *value = r->row_text + r->row_text_len;
    size_t len;
    char description[200];

    if (!text_normalize_to(raw, raw_len, info->options, value, &len,
                           &changes)) {
        r->status = XJ_ERR_NOMEM;
        return;
    }
    r->row_text_len += len + 1;
    if (info->kind == TEMPLATE_KIND_ID && template_remove_spaces(value)) {
        changes |= TEXT_CHANGE_SPACES;
        len = strlen(value);
    }
    row->value[field] = value;
    r->value_lengths[field] = len;
    if (changes == 0) {
        return;
    }
    template_describe_changes(field, changes, description, sizeof(description));
    template_cell_diag(r, row, field, TEMPLATE_NOTICE, value,
                       TEMPLATE_NOTICE_HINT, "%s", description);
}

static void
template_check_required(struct template_reader *r, struct template_row *row,
                        enum template_field field)
{
    const struct template_field_info *info = &template_fields[field];

    if (!info->required || row->value[field][0] != '\0') {
        return;
    }
    template_cell_diag(r, row, field, TEMPLATE_ERROR, "",
                       "Fill in this column for every student.",
                       "missing %s", info->header);
}

/* Builds the hint of a value missing from a code table: a few codes. */
static void
template_code_hint(enum codes_table table, char *hint, size_t size)
{
    size_t count;
    const struct codes_entry *entries = codes_entries(table, &count);
    size_t len;

    if (table == CODES_NATIONALITY) {
        snprintf(hint, size, "Use a three-letter ISO 3166 code such as CHN (中国), "
                 "HKG, MAC or TWN.");
        return;
    }
    snprintf(hint, size, "Use one of the codes ");
    for (size_t i = 0; i < count && i < 6; i++) {
        len = strlen(hint);
        snprintf(hint + len, size - len, "%s%s %s", i > 0 ? ", " : "",
                 entries[i].code, entries[i].name);
    }
    len = strlen(hint);
    snprintf(hint + len, size - len, "%s, or the name.", count > 6 ? " …" : "");
}

/* Returns codes_lookup of value (len bytes) in the table of the field, and
 * stores in *same whether the code equals value. The last value of each
 * field and its code are kept, because most rows repeat them. */
static const char *
template_lookup_code(struct template_reader *r, enum template_field field,
                     const char *value, size_t len, bool *same)
{
    struct template_code_memo *memo = &r->code_memo[field];

    if (!memo->valid || memo->len != len
        || memcmp(memo->value, value, len) != 0) {
        memo->code = codes_lookup(template_fields[field].table, value);
        memo->same = memo->code != NULL && strcmp(memo->code, value) == 0;
        memo->valid = len < sizeof(memo->value);
        if (memo->valid) {
            memcpy(memo->value, value, len);
            memo->len = len;
        }
    }
    *same = memo->same;
    return memo->code;
}

static void
template_check_code(struct template_reader *r, struct template_row *row,
                    enum template_field field)
{
    enum codes_table table = template_fields[field].table;
    const char *value = row->value[field];
    const char *code;
    bool same;
    char hint[256];

    if (*value == '\0') {
        return;
    }
    code = template_lookup_code(r, field, value, r->value_lengths[field],
                                &same);
    if (code == NULL) {
        template_code_hint(table, hint, sizeof(hint));
        template_cell_diag(r, row, field, TEMPLATE_ERROR, value, hint,
                           "%s \"%s\" is not in the code table",
                           template_fields[field].header, value);
        return;
    }
    if (same) {
        return;
    }

    /* Excel drops the leading zero when a code cell is formatted as a number.
     */
    if (template_is_all_digits(value) && strlen(code) > strlen(value)) {
        template_cell_diag(r, row, field, TEMPLATE_NOTICE, value,
                           "Format the column as text in Excel to keep leading zeros.",
                           "%s %s read as code %s because Excel dropped the leading zero",
                           template_fields[field].header, value, code);
    }
    template_set_value(r, row, field, code);
}

/* Notes how a date was rewritten and stores the compact form. */
static void
template_store_date(struct template_reader *r, struct template_row *row,
                    enum template_field field, enum template_date_form form,
                    const char *compact)
{
    const char *value = row->value[field];
    const char *header = template_fields[field].header;

    if (form == TEMPLATE_DATE_SERIAL) {
        template_cell_diag(r, row, field, TEMPLATE_NOTICE, value,
                           "Check the date, and format the column as text in Excel.",
                           "%s %s is an Excel serial number and was read as %s",
                           header, value, compact);
    } else if (strcmp(value, compact) != 0) {
        template_cell_diag(r, row, field, TEMPLATE_NOTICE, value,
                           TEMPLATE_NOTICE_HINT, "%s rewritten as %s", value,
                           compact);
    }
    template_set_value(r, row, field, compact);
}

/* Returns the age in whole years on today (YYYYMMDD) of someone born on
 * birth (YYYYMMDD). */
static int
template_age(const char *birth, const char *today)
{
    int age = template_digits_value(today, 4) - template_digits_value(birth, 4);

    if (strncmp(today + 4, birth + 4, 4) < 0) {
        age--;
    }
    return age;
}

static void
template_check_birth_date(struct template_reader *r, struct template_row *row)
{
    const enum template_field field = TEMPLATE_BIRTH_DATE;
    const char *value = row->value[field];
    struct template_date date;
    enum template_date_form form;
    char compact[16];

    if (*value == '\0') {
        return;
    }
    form = template_parse_date(value, &date);
    if (form == TEMPLATE_DATE_INVALID || date.day == 0) {
        template_cell_diag(r, row, field, TEMPLATE_ERROR, value,
                           "Write the date as YYYYMMDD, for example 20080101.",
                           "birth date \"%s\" is not a date", value);
        return;
    }
    if (!template_date_is_real(&date)) {
        template_cell_diag(r, row, field, TEMPLATE_ERROR, value,
                           "Copy the date from the household register.",
                           "birth date %s does not exist", value);
        return;
    }
    template_format_date(&date, true, compact);
    template_store_date(r, row, field, form, compact);
    if (strcmp(compact, r->today) > 0) {
        template_cell_diag(r, row, field, TEMPLATE_ERROR, compact,
                           "Copy the date from the household register.",
                           "birth date %s is in the future", compact);
    } else if (template_age(compact, r->today) > TEMPLATE_MAX_AGE) {
        template_cell_diag(r, row, field, TEMPLATE_WARNING, compact,
                           "Check the year against the household register.",
                           "birth date %s makes the student %d years old",
                           compact, template_age(compact, r->today));
    }
}

/* Compares the enrolment month with the birth date and today. */
static void
template_check_enrol_order(struct template_reader *r, struct template_row *row,
                           const char *month)
{
    const char *birth = row->value[TEMPLATE_BIRTH_DATE];
    int today_months = template_digits_value(r->today, 4) * 12
                       + template_digits_value(r->today + 4, 2);
    int enrol_months = template_digits_value(month, 4) * 12
                       + template_digits_value(month + 4, 2);

    if (template_is_compact_date(birth) && strncmp(month, birth, 6) < 0) {
        template_cell_diag(r, row, TEMPLATE_ENROL_MONTH, TEMPLATE_ERROR, month,
                           "Check the enrolment month and the birth date.",
                           "enrolment month %s is before the birth date %s",
                           month, birth);
    } else if (enrol_months > today_months + 12) {
        template_cell_diag(
            r, row, TEMPLATE_ENROL_MONTH, TEMPLATE_WARNING, month,
            "Check the year of the enrolment month.",
            "enrolment month %s is more than a year in the future", month);
    }
}

static void
template_check_enrol_month(struct template_reader *r, struct template_row *row)
{
    const enum template_field field = TEMPLATE_ENROL_MONTH;
    const char *value = row->value[field];
    struct template_date date;
    enum template_date_form form;
    char compact[16];

    if (*value == '\0') {
        return;
    }
    form = template_parse_date(value, &date);
    if (form == TEMPLATE_DATE_INVALID) {
        template_cell_diag(r, row, field, TEMPLATE_ERROR, value,
                           "Write the month as YYYYMM, for example 202009.",
                           "enrolment month \"%s\" is not a month", value);
        return;
    }
    if (!template_date_is_real(&date)) {
        template_cell_diag(r, row, field, TEMPLATE_ERROR, value,
                           "Write the month as YYYYMM, for example 202009.",
                           "enrolment month %s does not exist", value);
        return;
    }
    template_format_date(&date, false, compact);
    template_store_date(r, row, field, form, compact);
    template_check_enrol_order(r, row, compact);
}

static void
template_check_name(struct template_reader *r, struct template_row *row)
{
    const char *name = row->value[TEMPLATE_NAME];

    /* Saving as ANSI CSV turns characters outside GBK into '?'. */
    if (strchr(name, '?') != NULL || strstr(name, "\xEF\xBF\xBD") != NULL) {
        template_cell_diag(r, row, TEMPLATE_NAME, TEMPLATE_WARNING, name,
                           "Save the file as CSV UTF-8 and type the missing character "
                           "again.",
                           "name contains a question mark or replacement character, "
                           "so a character was probably lost when the file was saved");
    }
}

static void
template_check_telephone(struct template_reader *r, struct template_row *row)
{
    const char *value = row->value[TEMPLATE_TELEPHONE];

    if (strspn(value, "0123456789+-() ") != strlen(value)) {
        template_cell_diag(r, row, TEMPLATE_TELEPHONE, TEMPLATE_WARNING, value,
                           "Write only digits, spaces, and the characters + - ( ).",
                           "telephone number contains other characters");
    }
}

/* Adds an ID number fault. A storable fault (a number of the right shape
 * that fails a check) marks the row id_invalid, so it can still be
 * imported with an "ID number invalid" problem; any other fault blocks the
 * row, because the cell does not hold the student's number at all. */
static void
template_id_fault(struct template_reader *r, struct template_row *row,
                  bool storable, const char *hint, const char *message)
{
    struct template_diag *diag;

    diag = template_cell_diag(r, row, TEMPLATE_ID_NUMBER, TEMPLATE_ERROR,
                              row->value[TEMPLATE_ID_NUMBER], hint, "%s", message);
    if (diag != NULL) {
        diag->id_only = storable;
    }
}

/* Tells whether a resident ID fault leaves a number worth storing. */
static bool
template_id_fault_is_storable(enum idcard_fault fault)
{
    return fault != IDCARD_EMPTY && fault != IDCARD_SCIENTIFIC &&
           fault != IDCARD_CHARACTERS && fault != IDCARD_ZEROS_LOST;
}

static void
template_check_resident_id(struct template_reader *r, struct template_row *row)
{
    const char *id = row->value[TEMPLATE_ID_NUMBER];
    const char *gender = row->value[TEMPLATE_GENDER];
    const char *birth = row->value[TEMPLATE_BIRTH_DATE];
    char gender_code = 0;
    struct xj_error err;
    struct template_diag *diag;
    enum idcard_fault fault;

    if (strcmp(gender, "1") == 0 || strcmp(gender, "2") == 0) {
        gender_code = gender[0];
    }
    fault = idcard_check(id, gender_code,
                         template_is_compact_date(birth) ? birth : NULL,
                         r->today, &err);
    if (fault != IDCARD_OK) {
        template_id_fault(r, row, template_id_fault_is_storable(fault),
                          err.hint, err.message);
        return;
    }
    if (!idcard_region_is_known(id)) {
        diag = template_cell_diag(
            r, row, TEMPLATE_ID_NUMBER, TEMPLATE_WARNING, id,
            "Check the number against the household register "
            "and keep it if they match.",
            "county code %.6s unknown since 2024; old numbers "
            "keep abolished codes",
            id);
        if (diag != NULL) {
            diag->id_only = true;
        }
    }
}

/* Checks the number of an ID document other than the resident ID card. */
static void
template_check_other_id(struct template_reader *r, struct template_row *row)
{
    const char *id = row->value[TEMPLATE_ID_NUMBER];
    char message[160];

    if (template_is_scientific(id)) {
        template_id_fault(r, row, false,
                          "Format the ID number column as text in Excel, then retype "
                          "the numbers.",
                          "ID number was turned into a number in scientific notation, "
                          "so its digits are lost");
    } else if (strlen(id) > TEMPLATE_MAX_OTHER_ID_LEN) {
        snprintf(message, sizeof(message),
                 "ID number has %zu characters, more than the maximum of %d",
                 strlen(id), TEMPLATE_MAX_OTHER_ID_LEN);
        template_id_fault(r, row, false, "Copy the number from the ID document.",
                          message);
    } else if (strspn(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ()-") != strlen(id)) {
        template_id_fault(r, row, false,
                          "Copy the number from the ID document using only digits, "
                          "letters, parentheses and hyphens.",
                          "ID number contains characters other than digits, letters, "
                          "parentheses and hyphens");
    }
}

/* Checks the ID number as a number of ID document type type. */
static void
template_check_id_number_of_type(struct template_reader *r,
                                 struct template_row *row, const char *type)
{
    const char *id = row->value[TEMPLATE_ID_NUMBER];

    if (*id == '\0') {
        if (strcmp(type, "Z") != 0) {
            template_id_fault(r, row, false,
                              "Fill in the ID number, or set the ID type to Z (其他) "
                              "when the student has no ID document.",
                              "missing 身份证件号");
        }
        return;
    }
    if (strcmp(type, "1") == 0) {
        template_check_resident_id(r, row);
    } else {
        template_check_other_id(r, row);
    }
}

static void
template_check_id_number(struct template_reader *r, struct template_row *row)
{
    template_check_id_number_of_type(r, row, row->value[TEMPLATE_ID_TYPE]);
}

/* ---- Rows ---------------------------------------------------------------- */

/* Tells whether every cell of the record is blank or invisible. */
static bool
template_record_is_empty(const struct template_reader *r)
{
    for (size_t i = 0; i < r->cell_count; i++) {
        if (!text_is_blank(r->cells[i], r->cell_lengths[i])) {
            return false;
        }
    }
    return true;
}

static struct template_row *
template_row_new(struct template_reader *r, unsigned line)
{
    struct template_file *file = r->file;
    struct template_row *row;

    if (file->row_count == TEMPLATE_MAX_ROWS) {
        r->status = xj_error_set(r->err, XJ_ERR_TOO_LARGE, "", "",
                                 "Split the students into several files, for "
                                 "example one per grade.",
                                 "file has more than %d student rows",
                                 TEMPLATE_MAX_ROWS);
        return NULL;
    }
    if (file->row_count == r->row_capacity) {
        size_t capacity = r->row_capacity ? r->row_capacity * 2 : 64;
        struct template_row *rows = NULL;

        /* Rows held in place have room for every row the text can hold. */
        if (r->rows_fixed) {
            r->status = XJ_ERR_INTERNAL;
            return NULL;
        }
        rows = realloc(file->rows, capacity * sizeof(*rows));
        if (rows == NULL) {
            r->status = XJ_ERR_NOMEM;
            return NULL;
        }
        file->rows = rows;
        r->row_capacity = capacity;
    }
    row = &file->rows[file->row_count++];
    memset(row, 0, sizeof(*row));
    row->row = line;
    return row;
}

/* Runs the checks of one field after every cell is normalised. */
static void
template_check_field(struct template_reader *r, struct template_row *row,
                     enum template_field field)
{
    const struct template_field_info *info = &template_fields[field];
    const char *value = row->value[field];

    template_check_required(r, row, field);
    if (info->kind != TEMPLATE_KIND_CODE && info->kind != TEMPLATE_KIND_ID &&
        r->value_lengths[field] > TEXT_FIELD_MAX_BYTES) {
        template_cell_diag(r, row, field, TEMPLATE_ERROR, NULL,
                           "Shorten it to 200 bytes of UTF-8, about 66 Chinese "
                           "characters.",
                           "%s has %zu bytes, more than the %d the registry "
                           "stores", info->header, r->value_lengths[field],
                           TEXT_FIELD_MAX_BYTES);
        return;
    }
    if (info->kind != TEMPLATE_KIND_NAME && info->kind != TEMPLATE_KIND_ID
        && template_is_scientific(value)) {
        template_cell_diag(r, row, field, TEMPLATE_ERROR, value,
                           "Format the column as text in Excel, then retype the values.",
                           "%s \"%s\" was turned into a number in scientific notation, "
                           "so its digits are lost", info->header, value);
        return;
    }
    switch (info->kind) {
    case TEMPLATE_KIND_NAME:
        template_check_name(r, row);
        break;
    case TEMPLATE_KIND_CODE:
        template_check_code(r, row, field);
        break;
    case TEMPLATE_KIND_DATE:
        template_check_birth_date(r, row);
        break;
    case TEMPLATE_KIND_MONTH:
        template_check_enrol_month(r, row);
        break;
    case TEMPLATE_KIND_ID:
        template_check_id_number(r, row);
        break;
    case TEMPLATE_KIND_TEXT:
        if (field == TEMPLATE_TELEPHONE) {
            template_check_telephone(r, row);
        }
        break;
    }
}

static void
template_process_row(struct template_reader *r, unsigned line)
{
    struct template_row *row;
    const char *raw[TEMPLATE_FIELD_COUNT];
    size_t raw_lengths[TEMPLATE_FIELD_COUNT];

    if (template_record_is_empty(r)) {
        return;
    }
    row = template_row_new(r, line);
    if (row == NULL) {
        return;
    }

    /* Cells deleted in Excel shift the rest of the row to the left, so a
     * short row may hold its values under the wrong headers. */
    if (r->cell_count < r->header_cells) {
        template_cell_diag(r, row, TEMPLATE_FIELD_COUNT, TEMPLATE_WARNING,
                           NULL,
                           "Check that every value stands under its header; "
                           "the missing cells are read as empty.",
                           "row has %zu cells, the header row %zu",
                           r->cell_count, r->header_cells);
    } else if (r->cell_count > r->header_cells) {
        /* Cells inserted in Excel shift the rest to the right; values
         * past the last header are not read at all. */
        size_t last = r->cell_count;

        while (last > r->header_cells &&
               text_is_blank(r->cells[last - 1], r->cell_lengths[last - 1])) {
            last--;
        }
        if (last > r->header_cells) {
            template_cell_diag(r, row, TEMPLATE_FIELD_COUNT, TEMPLATE_WARNING,
                               NULL,
                               "Check that every value stands under its "
                               "header; the cells right of the last header "
                               "are ignored.",
                               "row has %zu cells, the header row %zu",
                               last, r->header_cells);
        }
    }
    for (int f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        size_t column = r->field_column[f];

        raw[f] = column < r->cell_count ? r->cells[column] : "";
        raw_lengths[f] = column < r->cell_count ? r->cell_lengths[column] : 0;
    }
    template_reserve_row_text(r, raw_lengths);
    for (int f = 0; f < TEMPLATE_FIELD_COUNT && r->status == 0; f++) {
        template_normalize_cell(r, row, (enum template_field)f, raw[f],
                                raw_lengths[f]);
    }

    /* Fields in template order, so that the ID number check gets the gender
     * and birth date already converted to codes. */
    for (int f = 0; f < TEMPLATE_FIELD_COUNT && r->status == 0; f++) {
        template_check_field(r, row, (enum template_field)f);
    }
    template_flush_pending(r, row);
    template_store_row_text(r, row);
}

/* ---- Header -------------------------------------------------------------- */

/* Normalises a header cell: full-width forms, spaces, the marks of required
 * columns ("*", "★", "☆"), and a note in brackets such as "(YYYYMMDD)". */
static char *
template_normalize_header(const char *cell)
{
    static const char *const marks[] = {"*", "★", "☆", " "};
    char *header = text_normalize(cell, TEXT_OPT_FOLD_WIDTH, NULL);
    char *bracket;

    if (header == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        size_t len = strlen(marks[i]);
        char *found;

        while ((found = strstr(header, marks[i])) != NULL) {
            memmove(found, found + len, strlen(found + len) + 1);
        }
    }
    bracket = strchr(header, '(');
    if (bracket != NULL && bracket != header) {
        *bracket = '\0';
    }
    return header;
}

/* Returns the field of a normalised header, or TEMPLATE_FIELD_COUNT. */
static enum template_field
template_match_header(const char *header)
{
    for (int f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        if (strcmp(header, template_fields[f].header) == 0
            || strcasecmp(header, template_fields[f].id) == 0) {
            return (enum template_field)f;
        }
    }
    for (size_t i = 0; i < sizeof(template_header_aliases)
                           / sizeof(template_header_aliases[0]); i++) {
        if (strcmp(header, template_header_aliases[i].header) == 0) {
            return template_header_aliases[i].field;
        }
    }
    return TEMPLATE_FIELD_COUNT;
}

/* Maps the columns of the record. Returns how many cells are known
 * headers, or a negative status. */
static int
template_map_columns(struct template_reader *r, enum template_field *fields)
{
    int known = 0;

    for (size_t i = 0; i < r->cell_count; i++) {
        char *header = template_normalize_header(r->cells[i]);

        if (header == NULL) {
            return XJ_ERR_NOMEM;
        }
        fields[i] = template_match_header(header);
        known += fields[i] != TEMPLATE_FIELD_COUNT;
        free(header);
    }
    return known;
}

/* Records the column of each field and warns about the other columns. */
static void
template_apply_header(struct template_reader *r,
                      const enum template_field *fields)
{
    for (int f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        r->field_column[f] = SIZE_MAX;
    }
    r->header_cells = r->cell_count;
    for (size_t i = 0; i < r->cell_count; i++) {
        enum template_field field = fields[i];
        char *header = text_normalize(r->cells[i], 0, NULL);

        if (header == NULL) {
            r->status = XJ_ERR_NOMEM;
            return;
        }
        if (field == TEMPLATE_FIELD_COUNT && *header != '\0') {
            template_file_diag(r, TEMPLATE_WARNING, header,
                               "Remove the column, or rename it to a template header.",
                               "unknown column \"%s\" is ignored", header);
        } else if (field != TEMPLATE_FIELD_COUNT
                   && r->field_column[field] != SIZE_MAX) {
            template_file_diag(r, TEMPLATE_WARNING, header,
                               "Remove the second column.",
                               "column \"%s\" appears twice, so only the first is read",
                               header);
        } else if (field != TEMPLATE_FIELD_COUNT) {
            r->field_column[field] = i;
        }
        free(header);
    }
}

/* Fails the file when a required column, or the ID number, is absent. */
static void
template_check_columns(struct template_reader *r)
{
    char missing[200] = "";

    for (int f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        if ((template_fields[f].required || f == TEMPLATE_ID_NUMBER)
            && r->field_column[f] == SIZE_MAX) {
            template_add_phrase(missing, sizeof(missing),
                                template_fields[f].header);
        }
    }
    if (missing[0] != '\0') {
        r->status = xj_error_set(r->err, XJ_ERR_INVALID, "", missing,
                                 "Add the columns with these headers, or download "
                                 "the template again.",
                                 "missing required columns: %s", missing);
    }
}

/* Treats the record as the header row when at least two cells are
 * template headers, so that a header missing columns is reported as such.
 * Records before it, such as a title line, are skipped. */
static void
template_try_header(struct template_reader *r, unsigned line)
{
    enum template_field *fields;
    int known;

    fields = calloc(r->cell_count + 1, sizeof(*fields));
    if (fields == NULL) {
        r->status = XJ_ERR_NOMEM;
        return;
    }
    known = template_map_columns(r, fields);
    if (known < 0) {
        r->status = known;
    } else if (known >= 2) {
        r->have_header = true;
        r->header_line = line;
        template_apply_header(r, fields);
        if (r->status == 0) {
            template_check_columns(r);
        }
    } else if (++r->records >= TEMPLATE_HEADER_SEARCH) {
        r->status = xj_error_set(r->err, XJ_ERR_INVALID, "", "",
                                 "Put the column headers of the template, such as "
                                 "姓名 and 性别, in the first row.",
                                 "no header row found in the first %d rows",
                                 TEMPLATE_HEADER_SEARCH);
    }
    free(fields);
}

/* ---- CSV parsing --------------------------------------------------------- */

/* Tells whether the byte at p ends a line: LF, or CR not followed by LF. */
static bool
template_is_line_end(const char *p, const char *end)
{
    return *p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n'));
}

/* Records per batch that the parser hands to the row checks. */
#define TEMPLATE_BATCH_RECORDS 1024
/* Batches of a parse: one being filled, one queued, one being checked. */
#define TEMPLATE_BATCHES 3

/* A record of a batch: cell_count cells from first_cell on. */
struct template_record {
    unsigned line;
    size_t first_cell;
    size_t cell_count;
};

/* Records that the parser hands to the row checks. Their cells are stored
 * one after another in text, each with a NUL. */
struct template_batch {
    char *text;
    size_t text_len;
    size_t text_capacity;
    size_t *cell_offsets;
    size_t *cell_lengths;
    size_t cell_count;
    size_t cell_capacity;
    struct template_record *records;    /* TEMPLATE_BATCH_RECORDS of them */
    size_t record_count;
};

/* The parse of the text. While the parser fills one batch, a second thread
 * may check the rows of another. After the header row is found, the parser
 * leaves the reader to that thread until it has joined it. While it waits
 * for that thread, the parser gives the checked rows their import keys. */
struct template_parser {
    struct template_reader *reader;
    struct template_keys *keys;
    size_t text_len;
    int status;                 /* an error of the parser itself */
    struct xj_error err;
    unsigned line;              /* line of the file being parsed */
    unsigned newlines;          /* line ends inside cells of the record */
    bool too_many_columns;
    size_t record_cell;         /* first cell of the record being parsed */
    size_t record_text;         /* and the offset of its text */
    bool stopped;               /* a row check failed, so parsing ends */
    size_t records_seen;        /* records that libcsv has completed */
    struct template_batch batches[TEMPLATE_BATCHES];
    struct template_batch *batch;       /* the batch being filled */
    struct template_row *rows;  /* held in place while keys are given */

    /* The checking thread, which runs when threaded is true. The fields
     * after lock are shared with it and read or written under lock. */
    bool threaded;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct template_batch *queued;      /* waiting for the checking thread */
    struct template_batch *checking;    /* being checked */
    bool finished;                      /* no batch follows */
    bool failed;                        /* a row check failed */
    bool ended;                         /* the checking thread has ended */
    size_t rows_done;                   /* rows checked completely */
};

/* Makes the cells of a record of the batch the record being checked. */
static int
template_use_record(struct template_reader *r,
                    const struct template_batch *batch, size_t first,
                    size_t count)
{
    if (count > r->cell_capacity) {
        char **cells = realloc(r->cells, count * sizeof(*cells));

        if (cells == NULL) {
            return XJ_ERR_NOMEM;
        }
        r->cells = cells;
        r->cell_capacity = count;
    }
    for (size_t i = 0; i < count; i++) {
        r->cells[i] = batch->text + batch->cell_offsets[first + i];
    }
    r->cell_lengths = batch->cell_lengths + first;
    r->cell_count = count;
    return 0;
}

/* Checks the rows of the batch in order, up to the first error. */
static void
template_check_batch(struct template_reader *r,
                     const struct template_batch *batch)
{
    for (size_t i = 0; i < batch->record_count && r->status == 0; i++) {
        const struct template_record *record = &batch->records[i];

        r->status = template_use_record(r, batch, record->first_cell,
                                        record->cell_count);
        if (r->status == 0) {
            template_process_row(r, record->line);
        }
    }
}

static void
template_clear_batch(struct template_batch *batch)
{
    batch->text_len = 0;
    batch->cell_count = 0;
    batch->record_count = 0;
}

/* Body of the checking thread: checks the queued batches until the parser
 * has finished. */
static void *
template_check_thread(void *arg)
{
    struct template_parser *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct template_batch *batch;

        while (p->queued == NULL && !p->finished) {
            pthread_cond_wait(&p->changed, &p->lock);
        }
        if (p->queued == NULL) {
            break;
        }
        batch = p->queued;
        p->queued = NULL;
        p->checking = batch;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);

        template_check_batch(p->reader, batch);
        template_clear_batch(batch);

        pthread_mutex_lock(&p->lock);
        p->checking = NULL;
        p->failed = p->reader->status != 0;
        p->rows_done = p->reader->file->row_count;
        pthread_cond_broadcast(&p->changed);
    }
    p->ended = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Called with lock held: gives the rows checked so far their import keys,
 * with lock released meanwhile. Returns false when there were none. */
static bool
template_key_checked_rows(struct template_parser *p)
{
    size_t done = p->rows_done;

    if (p->rows == NULL || p->failed || done <= p->keys->keyed) {
        return false;
    }
    pthread_mutex_unlock(&p->lock);
    template_keys_add(p->keys, p->rows, done);
    pthread_mutex_lock(&p->lock);
    return true;
}

/* Prepares the import keys to be given while rows are checked: the rows
 * get room for as many rows as the text can hold, so that the checking
 * thread does not move them. A row takes a visible character and a line
 * end, so there are at most len / 2 + 1 of them. Without that memory,
 * the keys are given after the checks. */
static void
template_prepare_keys(struct template_parser *p)
{
    struct template_reader *r = p->reader;
    size_t max_rows = p->text_len / 2 + 1;

    if (max_rows > TEMPLATE_MAX_ROWS) {
        max_rows = TEMPLATE_MAX_ROWS;
    }
    if (template_keys_init(p->keys) != 0) {
        template_keys_free(p->keys);
        return;
    }
    if (r->row_capacity < max_rows) {
        struct template_row *rows =
            realloc(r->file->rows, max_rows * sizeof(*rows));

        if (rows == NULL) {
            template_keys_free(p->keys);
            return;
        }
        r->file->rows = rows;
        r->row_capacity = max_rows;
    }
    r->rows_fixed = true;
    p->rows = r->file->rows;
}

/* Starts the checking thread with the signals that other processes send
 * blocked in it, so that they reach the main thread as before. Signals
 * raised by a fault in the thread stay unblocked. Without the thread, the
 * parser checks each batch itself. */
static void
template_start_checks(struct template_parser *p)
{
    static const int faults[] = {
        SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP,
    };
    sigset_t all;
    sigset_t old;

    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        return;
    }
    if (pthread_cond_init(&p->changed, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        return;
    }
    template_prepare_keys(p);
    sigfillset(&all);
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        sigdelset(&all, faults[i]);
    }
    pthread_sigmask(SIG_SETMASK, &all, &old);
    p->threaded = pthread_create(&p->thread, NULL, template_check_thread,
                                 p) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!p->threaded) {
        pthread_cond_destroy(&p->changed);
        pthread_mutex_destroy(&p->lock);
        p->reader->rows_fixed = false;
        p->rows = NULL;
        template_keys_free(p->keys);
    }
}

/* Called with lock held: returns a batch that is neither being filled,
 * queued nor checked, or NULL. */
static struct template_batch *
template_idle_batch(struct template_parser *p)
{
    for (size_t i = 0; i < TEMPLATE_BATCHES; i++) {
        struct template_batch *batch = &p->batches[i];

        if (batch != p->batch && batch != p->queued && batch != p->checking) {
            return batch;
        }
    }
    return NULL;
}

/* Allocates the records of the batches after the first. */
static bool
template_alloc_batches(struct template_parser *p)
{
    for (size_t i = 1; i < TEMPLATE_BATCHES; i++) {
        p->batches[i].records =
            malloc(TEMPLATE_BATCH_RECORDS * sizeof(*p->batches[i].records));
        if (p->batches[i].records == NULL) {
            return false;
        }
    }
    return true;
}

/* Hands the batch being filled to the row checks and continues with an
 * empty one. The first full batch starts the checking thread, so files of
 * one batch are checked without it. */
static void
template_submit_batch(struct template_parser *p, bool full)
{
    struct template_batch *next;

    if (full && !p->threaded && p->batches[1].records == NULL
        && template_alloc_batches(p)) {
        template_start_checks(p);
    }
    if (!p->threaded) {
        template_check_batch(p->reader, p->batch);
        template_clear_batch(p->batch);
        p->stopped = p->reader->status != 0;
        return;
    }
    pthread_mutex_lock(&p->lock);
    while (p->queued != NULL) {
        if (!template_key_checked_rows(p)) {
            pthread_cond_wait(&p->changed, &p->lock);
        }
    }
    p->queued = p->batch;
    pthread_cond_broadcast(&p->changed);
    while ((next = template_idle_batch(p)) == NULL) {
        if (!template_key_checked_rows(p)) {
            pthread_cond_wait(&p->changed, &p->lock);
        }
    }
    p->stopped = p->failed;
    pthread_mutex_unlock(&p->lock);
    p->batch = next;
}

/* Checks the rows not yet checked and waits for the checking thread to
 * end. */
static void
template_finish_checks(struct template_parser *p)
{
    if (p->batch->record_count > 0) {
        template_submit_batch(p, false);
    }
    if (!p->threaded) {
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->finished = true;
    pthread_cond_broadcast(&p->changed);
    while (!p->ended) {
        if (!template_key_checked_rows(p)) {
            pthread_cond_wait(&p->changed, &p->lock);
        }
    }
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
}

/* Doubles the room for cells in the batch. */
static int
template_grow_cells(struct template_batch *batch)
{
    size_t capacity = batch->cell_capacity ? batch->cell_capacity * 2 : 1024;
    size_t *offsets = realloc(batch->cell_offsets, capacity * sizeof(*offsets));
    size_t *lengths;

    if (offsets == NULL) {
        return XJ_ERR_NOMEM;
    }
    batch->cell_offsets = offsets;
    lengths = realloc(batch->cell_lengths, capacity * sizeof(*lengths));
    if (lengths == NULL) {
        return XJ_ERR_NOMEM;
    }
    batch->cell_lengths = lengths;
    batch->cell_capacity = capacity;
    return 0;
}

/* Makes room for size more bytes of cells in the batch. */
static int
template_grow_batch_text(struct template_batch *batch, size_t size)
{
    size_t capacity = batch->text_capacity ? batch->text_capacity : 65536;
    char *text;

    while (capacity - batch->text_len < size) {
        capacity *= 2;
    }
    text = realloc(batch->text, capacity);
    if (text == NULL) {
        return XJ_ERR_NOMEM;
    }
    batch->text = text;
    batch->text_capacity = capacity;
    return 0;
}

/* Tells whether one of the len bytes at s is below 0x0E, which includes
 * NUL, LF and CR. */
static bool
template_has_low_byte(const char *s, size_t len)
{
    const uint64_t ones = UINT64_C(0x0101010101010101);
    size_t i = 0;

    /* In (w - 0x0E0E...) & ~w, a top bit is set in some byte exactly when
     * some byte of w is below 0x0E. */
    for (; i + sizeof(uint64_t) <= len; i += sizeof(uint64_t)) {
        uint64_t w;

        memcpy(&w, s + i, sizeof(w));
        if (((w - ones * 0x0E) & ~w & ones * 0x80) != 0) {
            return true;
        }
    }
    for (; i < len; i++) {
        if ((unsigned char)s[i] < 0x0E) {
            return true;
        }
    }
    return false;
}

/* Replaces NUL bytes of the cell and counts its line ends. */
static void
template_mark_low_bytes(struct template_parser *p, char *cell, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)cell[i] > '\r') {
            continue;
        }

        /* A NUL byte would end the C string early. U+0001 is a control
         * character, so text_normalize removes it and reports it. */
        if (cell[i] == '\0') {
            cell[i] = '\x01';
        }
        p->newlines += template_is_line_end(cell + i, cell + len);
    }
}

/* libcsv field callback: stores a copy of the cell in the batch. */
static void
template_on_field(void *data, size_t len, void *arg)
{
    struct template_parser *p = arg;
    struct template_batch *batch = p->batch;
    const char *text = data != NULL ? data : "";
    char *cell;

    if (p->status != 0 || p->too_many_columns) {
        return;
    }
    if (batch->cell_count - p->record_cell == TEMPLATE_MAX_COLUMNS) {
        p->too_many_columns = true;
        return;
    }
    if (batch->cell_count == batch->cell_capacity) {
        p->status = template_grow_cells(batch);
    }
    if (p->status == 0 && len + 1 > batch->text_capacity - batch->text_len) {
        p->status = template_grow_batch_text(batch, len + 1);
    }
    if (p->status != 0) {
        return;
    }
    cell = batch->text + batch->text_len;
    memcpy(cell, text, len);
    cell[len] = '\0';
    if (template_has_low_byte(cell, len)) {
        template_mark_low_bytes(p, cell, len);
    }
    batch->cell_offsets[batch->cell_count] = batch->text_len;
    batch->cell_lengths[batch->cell_count] = len;
    batch->cell_count++;
    batch->text_len += len + 1;
}

/* Looks for the header row in a record that ends on line. */
static void
template_parse_header(struct template_parser *p, unsigned line)
{
    struct template_reader *r = p->reader;

    p->status = template_use_record(r, p->batch, p->record_cell,
                                    p->batch->cell_count - p->record_cell);
    if (p->status == 0) {
        template_try_header(r, line);
        p->status = r->status;
    }
}

/* libcsv record callback: the record ends on the line being parsed. Rows
 * after the header row are added to the batch. */
static void
template_on_record(int terminator, void *arg)
{
    struct template_parser *p = arg;
    struct template_batch *batch = p->batch;
    unsigned line = p->line - p->newlines;
    bool kept = false;

    (void)terminator;
    p->records_seen++;
    if (p->status == 0 && p->too_many_columns) {
        p->status = xj_error_set(&p->err, XJ_ERR_TOO_LARGE, "", "",
                                 "Delete the empty columns to the right of the table.",
                                 "row %u has more than %d columns", line,
                                 TEMPLATE_MAX_COLUMNS);
    } else if (p->status == 0 && !p->reader->have_header) {
        template_parse_header(p, line);
    } else if (p->status == 0) {
        struct template_record *record = &batch->records[batch->record_count++];

        record->line = line;
        record->first_cell = p->record_cell;
        record->cell_count = batch->cell_count - p->record_cell;
        kept = true;
    }
    if (!kept) {
        batch->cell_count = p->record_cell;
        batch->text_len = p->record_text;
    } else if (batch->record_count == TEMPLATE_BATCH_RECORDS) {
        template_submit_batch(p, true);
    }
    p->record_cell = p->batch->cell_count;
    p->record_text = p->batch->text_len;
    p->newlines = 0;
    p->too_many_columns = false;
}

/* libcsv space test that keeps every space in the cell. */
static int
template_no_space(unsigned char c)
{
    (void)c;
    return 0;
}

/* Returns the first line end (see template_is_line_end) at or after p, or
 * end when there is none. *next_lf is NULL on the first call and then
 * keeps the first LF found (end when there is none), so that text without
 * LF is searched once and not once per line. */
static const char *
template_find_line_end(const char *p, const char *end, const char **next_lf)
{
    const char *cr;

    if (*next_lf == NULL || *next_lf < p) {
        *next_lf = memchr(p, '\n', (size_t)(end - p));
        if (*next_lf == NULL) {
            *next_lf = end;
        }
    }

    /* A CR before the LF ends the line unless the LF follows it. */
    cr = memchr(p, '\r', (size_t)(*next_lf - p));
    if (cr != NULL && (cr + 1 != *next_lf || *next_lf == end)) {
        return cr;
    }
    return *next_lf;
}

/* Returns the number of the first line at or after from that is not
 * blank, where line is the number of the line at from. */
static unsigned
template_record_start(const char *from, const char *end, unsigned line)
{
    while (from < end && (*from == '\n' || *from == '\r')) {
        line += template_is_line_end(from, end);
        from++;
    }
    return line;
}

/* Fails the parse for a quote that libcsv's strict mode rejects on the
 * current line: one inside a cell that is not doubled, or text after the
 * quote that closes a cell. */
static void
template_stray_quote(struct template_parser *p, const char *from,
                     const char *end, unsigned line)
{
    unsigned start = template_record_start(from, end, line);
    static const char hint[] =
        "Inside a cell, write a double quote as two (\"\"), and put the "
        "whole cell in quotes; or remove the quote. Then save the file again.";

    if (start < p->line) {
        p->status = xj_error_set(&p->err, XJ_ERR_INVALID, "", "", hint,
                                 "line %u has a double quote (\") that does "
                                 "not fit the quoted cell of the row that "
                                 "starts at line %u", p->line, start);
    } else {
        p->status = xj_error_set(&p->err, XJ_ERR_INVALID, "", "", hint,
                                 "line %u has a double quote (\") inside a "
                                 "cell", p->line);
    }
}

/* Fails the parse for a quoted cell that the file never closes, naming
 * the first line after the last complete record that is not blank: the
 * line of the stray quote, unless that record has multi-line cells. */
static void
template_unclosed_quote(struct template_parser *p, const char *from,
                        const char *end, unsigned line)
{
    line = template_record_start(from, end, line);
    p->status = xj_error_set(&p->err, XJ_ERR_INVALID, "", "",
                             "Find the cell in that row that starts with a "
                             "double quote (\") and close or remove the "
                             "quote, then save the file again.",
                             "line %u opens a quoted cell that is never "
                             "closed, so everything after it would be one "
                             "cell", line);
}

/* Feeds the text to libcsv one line at a time to count lines. libcsv skips
 * empty lines without a callback, so counting records would not do. The
 * records after the header row go to the row checks in batches. */
static int
template_parse(struct template_reader *r, const char *text, size_t len,
               struct template_keys *keys)
{
    struct template_parser p;
    struct csv_parser csv;
    const char *end = text + len;
    const char *q = text;
    const char *next_lf = NULL;
    const char *after_record = text;    /* where the open record starts */
    unsigned after_record_line = 1;

    memset(&p, 0, sizeof(p));
    p.reader = r;
    p.keys = keys;
    p.text_len = len;
    p.batch = &p.batches[0];
    p.batches[0].records =
        malloc(TEMPLATE_BATCH_RECORDS * sizeof(*p.batches[0].records));
    /* Strict parsing rejects a quote inside a cell that is not doubled,
     * and a quoted cell never closed, instead of reading on into the next
     * rows as part of the cell. */
    if (p.batches[0].records == NULL ||
        csv_init(&csv, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(p.batches[0].records);
        return XJ_ERR_NOMEM;
    }

    /* Keep spaces around unquoted cells so that the notices report them. */
    csv_set_space_func(&csv, template_no_space);
    p.line = 1;
    while (q < end && p.status == 0 && !p.stopped) {
        const char *eol = template_find_line_end(q, end, &next_lf);
        size_t seen = p.records_seen;

        eol = eol < end ? eol + 1 : end;
        if (csv_parse(&csv, q, (size_t)(eol - q), template_on_field,
                      template_on_record, &p) != (size_t)(eol - q) &&
            p.status == 0) {
            if (csv_error(&csv) == CSV_EPARSE) {
                template_stray_quote(&p, after_record, eol, after_record_line);
            } else {
                p.status = XJ_ERR_NOMEM;
            }
        }
        if (p.records_seen != seen) {
            after_record = eol;
            after_record_line = p.line + 1;
        }
        q = eol;
        p.line++;
    }
    p.line--;
    if (p.status == 0 && !p.stopped &&
        csv_fini(&csv, template_on_field, template_on_record, &p) != 0 &&
        p.status == 0) {
        template_unclosed_quote(&p, after_record, end, after_record_line);
    }
    csv_free(&csv);
    template_finish_checks(&p);
    for (int i = 0; i < TEMPLATE_BATCHES; i++) {
        free(p.batches[i].text);
        free(p.batches[i].cell_offsets);
        free(p.batches[i].cell_lengths);
        free(p.batches[i].records);
    }

    /* The row checks only saw records before the one the parser failed
     * on, so an error of theirs came first. */
    if (r->status == 0 && p.status != 0) {
        if (r->err != NULL && p.err.code != XJ_OK) {
            *r->err = p.err;
        }
        r->status = p.status;
    }
    return r->status;
}

/* ---- Reading and decoding the file --------------------------------------- */

static int
template_load(const char *path, char **data, size_t *len, struct xj_error *err)
{
    FILE *fp = fopen(path, "rb");
    struct stat st;
    int rc = 0;

    *data = NULL;
    if (fp == NULL) {
        return xj_error_set(err, XJ_ERR_IO, "", path, "Check the file name.",
                            "cannot open %s: %s", path, strerror(errno));
    }
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = xj_error_set(err, XJ_ERR_IO, "", path, "Give the path of a CSV file.",
                          "%s is not a regular file", path);
        goto out;
    }
    if ((uintmax_t)st.st_size > TEMPLATE_MAX_FILE_SIZE) {
        rc = xj_error_set(err, XJ_ERR_TOO_LARGE, "", path,
                          "Split the students into several files, for example one "
                          "per grade.",
                          "%s has %jd bytes, more than the limit of 64 MiB",
                          path, (intmax_t)st.st_size);
        goto out;
    }
    *data = malloc((size_t)st.st_size + 1);
    if (*data == NULL) {
        rc = XJ_ERR_NOMEM;
        goto out;
    }
    *len = fread(*data, 1, (size_t)st.st_size, fp);
    if (ferror(fp)) {
        rc = xj_error_set(err, XJ_ERR_IO, "", path, NULL, "cannot read %s: %s",
                          path, strerror(errno));
        goto out;
    }
    (*data)[*len] = '\0';
out:
    fclose(fp);
    if (rc != 0) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

/* Converts GB18030 (which includes GBK and GB2312) to UTF-8. On a byte
 * that is not GB18030, returns XJ_ERR_INVALID with its offset in *bad and
 * err left for the caller to fill. */
static int
template_from_gb18030(const char *in, size_t len, char **out, size_t *out_len,
                      size_t *bad, struct xj_error *err)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    char *src = (char *)in;
    size_t left = len;
    size_t capacity = len * 2 + 16;     /* GB18030 grows by 1.5 at most */
    char *buf = malloc(capacity + 1);
    char *dst = buf;
    size_t room = capacity;
    int rc = 0;

    if (cd == (iconv_t)-1 || buf == NULL) {
        rc = cd == (iconv_t)-1 ? xj_error_set(err, XJ_ERR_INTERNAL, "", "", NULL,
                                              "iconv cannot convert from GB18030")
                               : XJ_ERR_NOMEM;
        goto out;
    }
    if (iconv(cd, &src, &left, &dst, &room) == (size_t)-1) {
        *bad = (size_t)(src - in);
        rc = XJ_ERR_INVALID;
        goto out;
    }
    *dst = '\0';
    *out_len = (size_t)(dst - buf);
    *out = buf;
    buf = NULL;
out:
    if (cd != (iconv_t)-1) {
        iconv_close(cd);
    }
    free(buf);
    return rc;
}

/* Rejects files that are not text: Excel workbooks and UTF-16 text. */
static int
template_check_kind(const char *data, size_t len, struct xj_error *err)
{
    static const char hint[] = "Open the file in Excel or WPS and save it as "
                               "\"CSV UTF-8 (Comma delimited)\".";

    if (len >= 4 && (memcmp(data, "PK\x03\x04", 4) == 0
                     || memcmp(data, "\xD0\xCF\x11\xE0", 4) == 0)) {
        return xj_error_set(err, XJ_ERR_INVALID, "", "", hint,
                            "file is an Excel workbook, not a CSV file");
    }
    if (len >= 2 && (memcmp(data, "\xFF\xFE", 2) == 0
                     || memcmp(data, "\xFE\xFF", 2) == 0)) {
        return xj_error_set(err, XJ_ERR_INVALID, "", "", hint,
                            "file is UTF-16 text, not a CSV file in UTF-8 or GB18030");
    }
    return 0;
}

/* Returns the line of the file (the first is 1) of the byte at offset,
 * counting line ends as the parser does. */
static unsigned
template_line_at(const char *data, size_t offset)
{
    unsigned line = 1;

    for (size_t i = 0; i < offset; i++) {
        line += template_is_line_end(data + i, data + offset);
    }
    return line;
}

/* Replaces *data by its UTF-8 text without a byte-order mark. */
static int
template_decode(char **data, size_t *len, const char **encoding,
                struct xj_error *err)
{
    char *converted = NULL;
    size_t converted_len = 0;
    size_t valid, bad = 0;
    int rc = template_check_kind(*data, *len, err);

    if (rc != 0) {
        return rc;
    }
    if (*len >= 3 && memcmp(*data, "\xEF\xBB\xBF", 3) == 0) {
        *encoding = "UTF-8 with BOM";
        memmove(*data, *data + 3, *len - 3 + 1);
        *len -= 3;
        valid = text_utf8_valid_length(*data, *len);
        if (valid == *len) {
            return 0;
        }
        return xj_error_set(err, XJ_ERR_INVALID, "", "",
                            "Open the file in Excel or WPS and save it again as "
                            "\"CSV UTF-8 (Comma delimited)\".",
                            "file starts as UTF-8 but line %u has an invalid "
                            "byte (offset %zu)",
                            template_line_at(*data, valid), valid + 3);
    }
    valid = text_utf8_valid_length(*data, *len);
    if (valid == *len) {
        *encoding = "UTF-8";
        return 0;
    }
    rc = template_from_gb18030(*data, *len, &converted, &converted_len, &bad,
                               err);
    /* The encoding that reads further is the one the file was meant to
     * have, and its first invalid byte is the one to fix. */
    if (rc == XJ_ERR_INVALID) {
        bool utf8 = valid >= bad;

        return xj_error_set(err, XJ_ERR_INVALID, "", "",
                            "Open the file in Excel or WPS and save it as "
                            "\"CSV UTF-8 (Comma delimited)\".",
                            "file is neither UTF-8 nor GB18030: line %u has "
                            "a byte that is not %s (offset %zu)",
                            template_line_at(*data, utf8 ? valid : bad),
                            utf8 ? "UTF-8" : "GB18030", utf8 ? valid : bad);
    }
    if (rc != 0) {
        return rc;
    }
    free(*data);
    *data = converted;
    *len = converted_len;
    *encoding = "GB18030";
    return 0;
}

/* ---- Entry point --------------------------------------------------------- */

static int
template_set_today(struct template_reader *r, const char *today)
{
    time_t now;
    struct tm tm;

    if (today != NULL) {
        if (strlen(today) != 8 || !template_is_compact_date(today)) {
            return xj_error_set(r->err, XJ_ERR_INVALID, "today", today,
                                "Give the date as YYYYMMDD.",
                                "today's date \"%s\" is not a date", today);
        }
        memcpy(r->today, today, 9);
        return 0;
    }
    now = time(NULL);
    localtime_r(&now, &tm);
    if (strftime(r->today, sizeof(r->today), "%Y%m%d", &tm) != 8) {
        return xj_error_set(r->err, XJ_ERR_INTERNAL, "today", "", NULL,
                            "cannot format the current date");
    }
    return 0;
}

/* Tells whether the first line names a template column and contains a
 * semicolon or a tab but no comma: a sheet saved with another separator,
 * as European locales of Excel do. */
static bool
template_other_separator(const char *text, size_t len)
{
    const char *end = memchr(text, '\n', len);
    size_t line = end != NULL ? (size_t)(end - text) : len;
    bool named = false, other = false;

    for (size_t i = 0; i < line; i++) {
        if (text[i] == ',') {
            return false;
        }
        other = other || text[i] == ';' || text[i] == '\t';
    }
    for (size_t i = 0; i + 6 <= line && !named; i++) {
        named = memcmp(text + i, "姓名", 6) == 0 ||
                memcmp(text + i, "name", 4) == 0;
    }
    return named && other;
}

/* Parses the decoded text and finishes the file: header found, the count
 * of findings that did not fit, and the import keys. */
static int
template_read_text(struct template_reader *r, const char *text, size_t len)
{
    struct template_keys keys;
    int rc;

    memset(&keys, 0, sizeof(keys));
    rc = template_parse(r, text, len, &keys);

    if (rc == 0 && !r->have_header && template_other_separator(text, len)) {
        rc = xj_error_set(r->err, XJ_ERR_INVALID, "", "",
                          "In Excel or WPS, save the sheet again as \"CSV (comma "
                          "delimited)\".",
                          "file has no header row: its columns are separated by "
                          "semicolons or tabs, not commas");
    } else if (rc == 0 && !r->have_header) {
        rc = xj_error_set(r->err, XJ_ERR_INVALID, "", "",
                          "Put the column headers of the template, such as 姓名 "
                          "and 性别, in the first row.",
                          len == 0 ? "file is empty" : "file has no header row");
    }
    if (rc == 0 && r->diags_dropped > 0) {
        struct template_diag diag;
        char message[128];

        snprintf(message, sizeof(message),
                 r->diags_dropped == 1 ? "%zu further finding is not listed"
                                       : "%zu further findings are not listed",
                 r->diags_dropped);
        template_diag_fill(&diag, 0, TEMPLATE_FIELD_COUNT, TEMPLATE_WARNING, "",
                           "Correct the findings listed and check the file again.",
                           message);
        rc = template_store_diag(r, &diag);
    }
    if (rc == 0) {
        rc = template_keys_finish(&keys, r->file);
    }
    template_keys_free(&keys);
    return rc;
}

int
template_read(const char *path, const char *today, struct template_file **out,
              struct xj_error *err)
{
    struct template_reader reader;
    char *data = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    xj_error_clear(err);
    memset(&reader, 0, sizeof(reader));
    reader.err = err;
    reader.file = calloc(1, sizeof(*reader.file));
    if (reader.file == NULL) {
        return XJ_ERR_NOMEM;
    }
    rc = template_set_today(&reader, today);
    if (rc == 0) {
        rc = template_load(path, &data, &len, err);
    }
    if (rc == 0) {
        rc = template_decode(&data, &len, &reader.file->encoding, err);
    }
    if (rc == 0) {
        rc = template_read_text(&reader, data, len);
    }
    free(data);
    free(reader.cells);
    free(reader.row_text);
    free(reader.pending);
    if (rc != 0) {
        if (err != NULL && err->code == XJ_OK) {
            xj_error_set(err, rc, "", path, NULL, "cannot read %s: %s", path,
                         xj_status_name(rc));
        }
        template_free(reader.file);
        return rc;
    }
    *out = reader.file;
    return 0;
}

/* ---- Controlled fields of a change ---------------------------------------- */

/* Normalises every field of the one row (the corrected values, "" for the
 * rest) and checks the fields that were given. */
static void
template_check_controlled_row(struct template_reader *r,
                              struct template_row *row,
                              const char *const *values)
{
    bool given[TEMPLATE_CONTROLLED_COUNT];
    const char *raw[TEMPLATE_FIELD_COUNT];
    size_t raw_lengths[TEMPLATE_FIELD_COUNT];

    for (int f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        raw[f] = "";
        if (f < TEMPLATE_CONTROLLED_COUNT && values[f] != NULL) {
            raw[f] = values[f];
        }
        if (f < TEMPLATE_CONTROLLED_COUNT) {
            given[f] = raw[f][0] != '\0';
        }
        raw_lengths[f] = strlen(raw[f]);
    }
    template_reserve_row_text(r, raw_lengths);
    for (int f = 0; f < TEMPLATE_FIELD_COUNT && r->status == 0; f++) {
        template_normalize_cell(r, row, (enum template_field)f, raw[f],
                                raw_lengths[f]);
    }

    /* In template order, as for a file row, so that the ID number check
     * sees gender and birth date already converted. A kept ID type is
     * unknown here, and a student's ID document is nearly always the
     * resident ID card, so a number given alone is checked as one. */
    for (int f = 0; f < TEMPLATE_CONTROLLED_COUNT && r->status == 0; f++) {
        if (!given[f]) {
            continue;
        }
        if (f == TEMPLATE_ID_NUMBER && !given[TEMPLATE_ID_TYPE]) {
            template_check_id_number_of_type(r, row, "1");
        } else {
            template_check_field(r, row, (enum template_field)f);
        }
    }
    template_flush_pending(r, row);
    template_store_row_text(r, row);
}

int
template_check_controlled(const char *const *values, const char *today,
                          struct template_file **out, struct xj_error *err)
{
    struct template_reader reader;
    struct template_row *row;
    int rc;

    *out = NULL;
    xj_error_clear(err);
    memset(&reader, 0, sizeof(reader));
    reader.err = err;
    reader.file = calloc(1, sizeof(*reader.file));
    if (reader.file == NULL) {
        return XJ_ERR_NOMEM;
    }
    reader.file->encoding = "UTF-8";
    for (size_t f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        reader.field_column[f] = f;
    }
    rc = template_set_today(&reader, today);
    if (rc == 0) {
        row = template_row_new(&reader, 0);
        if (row != NULL) {
            template_check_controlled_row(&reader, row, values);
        }
        rc = reader.status;
    }
    free(reader.row_text);
    free(reader.pending);
    if (rc != 0) {
        if (err != NULL && err->code == XJ_OK) {
            xj_error_set(err, rc, "", "", NULL,
                         "cannot check the corrected values: %s",
                         xj_status_name(rc));
        }
        template_free(reader.file);
        return rc;
    }
    *out = reader.file;
    return 0;
}
