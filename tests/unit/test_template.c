/* SPDX-License-Identifier: MIT */
/* Unit tests of reading the import template as CSV. Every name and number
 * is synthetic, and ID numbers carry check digits computed independently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "template.h"

#define TODAY "20240901"
#define HEADER \
    "姓名,性别,出生日期,身份证件类型,身份证件号," \
    "国籍/地区,民族,年级,班级,入学年月\n"
#define ROW_ZHANG "张三,1,20080101,1,110101200801010019,CHN,01,七年级,1班,202009\n"
#define ROW_LI "李四,2,20080101,1,110101200801010027,CHN,01,七年级,1班,202009\n"

/* Writes len bytes to a new temporary file and returns its path, which the
 * caller frees. */
static char *
write_fixture(const char *data, size_t len)
{
    const char *dir = getenv("TMPDIR");
    char *path = NULL;
    int fd;

    if (asprintf(&path, "%s/xueji-template-XXXXXX", dir ? dir : "/tmp") < 0) {
        fail_msg("asprintf failed");
    }
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Reads a CSV fixture given as a string and returns the template_read
 * status. */
static int
read_text(const char *text, struct template_file **file, struct xj_error *err)
{
    char *path = write_fixture(text, strlen(text));
    int rc = template_read(path, TODAY, file, err);

    unlink(path);
    free(path);
    return rc;
}

static struct template_file *
read_ok(const char *text)
{
    struct template_file *file = NULL;
    struct xj_error err;
    int rc = read_text(text, &file, &err);

    if (rc != 0) {
        print_error("template_read: %s (%s)\n", err.message, err.hint);
    }
    assert_int_equal(rc, 0);
    assert_non_null(file);
    return file;
}

/* Converts UTF-8 text to GB18030 with iconv(3). The caller frees it. */
static char *
to_gb18030(const char *text, size_t *out_len)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    size_t in_left = strlen(text);
    size_t capacity = in_left * 2 + 4;
    size_t out_left = capacity;
    char *in = (char *)text;
    char *out = malloc(capacity);
    char *dst = out;

    assert_true(cd != (iconv_t)-1);
    assert_non_null(out);
    assert_int_not_equal(iconv(cd, &in, &in_left, &dst, &out_left), (size_t)-1);
    iconv_close(cd);
    *out_len = capacity - out_left;
    return out;
}

/* Returns the first finding of a row and field whose message contains
 * part, or NULL. */
static const struct template_diag *
find_diag(const struct template_file *file, unsigned row,
          enum template_field field, enum template_severity severity,
          const char *part)
{
    for (size_t i = 0; i < file->diag_count; i++) {
        const struct template_diag *diag = &file->diags[i];

        if (diag->row == row && diag->field == field
            && diag->severity == severity
            && strstr(diag->message, part) != NULL) {
            return diag;
        }
    }
    return NULL;
}

static size_t
count_severity(const struct template_file *file,
               enum template_severity severity)
{
    size_t count = 0;

    for (size_t i = 0; i < file->diag_count; i++) {
        count += file->diags[i].severity == severity;
    }
    return count;
}

static void
print_diags(const struct template_file *file)
{
    for (size_t i = 0; i < file->diag_count; i++) {
        const struct template_diag *d = &file->diags[i];

        print_error("row %u field %d sev %d value '%s': %s | %s\n", d->row,
                    d->field, d->severity, d->value, d->message, d->hint);
    }
}

static void
test_utf8_file(void **state)
{
    struct template_file *file = read_ok(HEADER ROW_ZHANG ROW_LI);

    (void)state;
    assert_string_equal(file->encoding, "UTF-8");
    assert_int_equal(file->row_count, 2);
    if (file->diag_count != 0) {
        print_diags(file);
    }
    assert_int_equal(file->diag_count, 0);
    assert_int_equal(file->rows[0].row, 2);
    assert_int_equal(file->rows[1].row, 3);
    assert_string_equal(file->rows[0].value[TEMPLATE_NAME], "张三");
    assert_string_equal(file->rows[1].value[TEMPLATE_GENDER], "2");
    assert_string_equal(file->rows[0].value[TEMPLATE_ADDRESS], "");
    assert_false(file->rows[0].has_error);
    assert_false(file->rows[0].id_invalid);
    assert_int_equal(strlen(file->rows[0].import_key), 32);
    assert_int_equal(strspn(file->rows[0].import_key, "0123456789abcdef"), 32);
    template_free(file);
}

static void
test_utf8_bom_file(void **state)
{
    struct template_file *file = read_ok("\xEF\xBB\xBF" HEADER ROW_ZHANG);

    (void)state;
    assert_string_equal(file->encoding, "UTF-8 with BOM");
    assert_int_equal(file->row_count, 1);
    assert_string_equal(file->rows[0].value[TEMPLATE_NAME], "张三");
    assert_false(file->rows[0].has_error);
    template_free(file);
}

/* A UTF-8 file with one bad byte far down names that byte's line, where
 * the GB18030 reading failed much earlier, in the header. */
static void
test_bad_byte_names_its_line(void **state)
{
    struct template_file *file = NULL;
    struct xj_error err;
    char text[4096] = HEADER;
    const char *row = "王芳,女,2008-01-01,居民身份证,110101200801010027,"
                      "中国,汉族,七年级,1班,2020年9月\n";

    (void)state;
    for (int i = 0; i < 20; i++) {
        strcat(text, row);
    }
    strcat(text, "\xff");
    strcat(text, row);
    assert_int_equal(read_text(text, &file, &err), XJ_ERR_INVALID);
    assert_null(file);
    assert_non_null(strstr(err.message, "line 22 has a byte that is not UTF-8"));
}

/* A stray quote would make the rest of the file one cell: the file is
 * rejected with the line of the quote. */
static void
test_unclosed_quote_names_its_line(void **state)
{
    struct template_file *file = NULL;
    struct xj_error err;

    (void)state;
    assert_int_equal(read_text(HEADER ROW_ZHANG ROW_ZHANG "\n"
                               "\"李四,1,20080101,1,110101200801010019,CHN,01,"
                               "七年级,1班,202009\n" ROW_ZHANG ROW_ZHANG,
                               &file, &err), XJ_ERR_INVALID);
    assert_null(file);
    assert_non_null(strstr(err.message, "line 5 opens a quoted cell"));
}

/* Values right of the last header are not read, so a row that has some
 * gets a warning. Empty cells there, which Excel writes, do not count. */
static void
test_extra_cells_warned(void **state)
{
    struct template_file *file = read_ok(
        HEADER "张三,1,20080101,1,110101200801010019,CHN,01,七年级,1班,202009,,,\n"
        "张三,1,20080101,1,110101200801010019,CHN,01,七年级,1班,202009,x,y\n");

    (void)state;
    assert_int_equal(file->diag_count, 1);
    assert_int_equal(file->diags[0].row, 3);
    assert_int_equal(file->diags[0].severity, TEMPLATE_WARNING);
    assert_string_equal(file->diags[0].message, "row has 12 cells, the header row 10");
    template_free(file);
}

/* A quote inside a cell that is not doubled rejects the file with its
 * line, so the next rows are not read into the cell. Quotes written the
 * way Excel writes them are accepted. */
static void
test_stray_quotes_rejected(void **state)
{
    static const char *const bad[][2] = {
        {HEADER ROW_ZHANG "张三,1,20080101,1,110101200801010019,CHN,01,"
         "\"七年级\"二,1班,202009\n" ROW_ZHANG,
         "line 3 has a double quote (\") inside a cell"},
        {HEADER ROW_ZHANG "张三,1,20080101,1,110101200801010019,CHN,01,"
         "七\"年级,1班,202009\n" ROW_ZHANG,
         "line 3 has a double quote (\") inside a cell"},
        {HEADER "\"张三,1,20080101,1,110101200801010019,CHN,01,七年级,1班,"
         "202009\n" ROW_ZHANG "张三,1,20080101,1,110101200801010019,CHN,01,"
         "七\"年级,1班,202009\n",
         "line 4 has a double quote (\") that does not fit the quoted cell "
         "of the row that starts at line 2"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct template_file *file = NULL;
        struct xj_error err;

        assert_int_equal(read_text(bad[i][0], &file, &err), XJ_ERR_INVALID);
        assert_null(file);
        if (strstr(err.message, bad[i][1]) == NULL) {
            print_error("case %zu: %s\n", i, err.message);
        }
        assert_non_null(strstr(err.message, bad[i][1]));
    }
}

static void
test_quoted_cells_accepted(void **state)
{
    struct template_file *file = read_ok(
        HEADER "\"张三\",1,20080101,1,110101200801010019,CHN,01,\"七\"\"年级\","
        "\"1\n班\",202009\n" ROW_ZHANG);

    (void)state;
    assert_int_equal(file->row_count, 2);
    assert_int_equal(file->rows[1].row, 4);
    template_free(file);
}

static void
test_gb18030_file(void **state)
{
    struct template_file *file = NULL;
    struct xj_error err;
    size_t len;
    char *data = to_gb18030(HEADER "王𠀀,女,2008-01-01,居民身份证,110101200801010027,"
                            "中国,汉族,七年级,1班,2020年9月\n", &len);
    char *path = write_fixture(data, len);

    (void)state;
    assert_int_equal(template_read(path, TODAY, &file, &err), 0);
    assert_string_equal(file->encoding, "GB18030");
    assert_int_equal(file->row_count, 1);
    assert_string_equal(file->rows[0].value[TEMPLATE_NAME], "王𠀀");
    assert_string_equal(file->rows[0].value[TEMPLATE_GENDER], "2");
    assert_string_equal(file->rows[0].value[TEMPLATE_ID_TYPE], "1");
    assert_string_equal(file->rows[0].value[TEMPLATE_NATIONALITY], "CHN");
    assert_string_equal(file->rows[0].value[TEMPLATE_ETHNICITY], "01");
    assert_string_equal(file->rows[0].value[TEMPLATE_BIRTH_DATE], "20080101");
    assert_string_equal(file->rows[0].value[TEMPLATE_ENROL_MONTH], "202009");
    assert_false(file->rows[0].has_error);
    assert_false(file->rows[0].id_invalid);
    template_free(file);
    unlink(path);
    free(path);
    free(data);
}

static void
test_undecodable_file(void **state)
{
    struct template_file *file = NULL;
    struct xj_error err;
    const char text[] = HEADER "\xFF\xFF\n";

    (void)state;
    assert_int_equal(read_text(text, &file, &err), XJ_ERR_INVALID);
    assert_null(file);
    assert_non_null(strstr(err.message, "offset"));
    assert_non_null(strstr(err.hint, "CSV UTF-8"));
}

static void
test_excel_workbook_rejected(void **state)
{
    struct template_file *file = NULL;
    struct xj_error err;

    (void)state;
    assert_int_equal(read_text("PK\x03\x04rest", &file, &err), XJ_ERR_INVALID);
    assert_non_null(strstr(err.message, "Excel workbook"));
}

static void
test_scientific_id_number(void **state)
{
    struct template_file *file = read_ok(
        HEADER "张三,1,20080101,1,4.10102E+17,CHN,01,七年级,1班,202009\n");
    const struct template_diag *diag;

    (void)state;
    diag = find_diag(file, 2, TEMPLATE_ID_NUMBER, TEMPLATE_ERROR, "scientific");
    assert_non_null(diag);
    /* The digits are lost, so the row cannot be stored even as a
     * problem registration. */
    assert_false(diag->id_only);
    assert_non_null(strstr(diag->hint, "text"));
    /* Shown as the cell shows it: masked, it would match nothing. */
    assert_string_equal(diag->value, "4.10102E+17");
    assert_false(file->rows[0].id_invalid);
    assert_true(file->rows[0].has_error);
    template_free(file);
}

static void
test_scientific_telephone(void **state)
{
    struct template_file *file = read_ok(
        "姓名,性别,出生日期,身份证件类型,身份证件号,"
        "国籍/地区,民族,年级,班级,入学年月,"
        "联系电话\n"
        "张三,1,20080101,1,110101200801010019,CHN,01,七年级,1班,202009,1.38E+10\n");

    (void)state;
    assert_non_null(find_diag(file, 2, TEMPLATE_TELEPHONE, TEMPLATE_ERROR,
                              "scientific"));
    assert_true(file->rows[0].has_error);
    assert_false(file->rows[0].id_invalid);
    template_free(file);
}

static void
test_fullwidth_digits(void **state)
{
    struct template_file *file = read_ok(
        HEADER "张三,１,２００８０１０１,1,"
        "１１０１０１２００８０１０１００１９,CHN,01,"
        "七年级,1班,202009\n");
    const struct template_diag *diag;

    (void)state;
    assert_string_equal(file->rows[0].value[TEMPLATE_ID_NUMBER], "110101200801010019");
    assert_string_equal(file->rows[0].value[TEMPLATE_BIRTH_DATE], "20080101");
    assert_string_equal(file->rows[0].value[TEMPLATE_GENDER], "1");
    diag = find_diag(file, 2, TEMPLATE_ID_NUMBER, TEMPLATE_NOTICE, "full-width");
    assert_non_null(diag);
    assert_string_equal(diag->value, "110101***********9");
    assert_non_null(find_diag(file, 2, TEMPLATE_BIRTH_DATE, TEMPLATE_NOTICE,
                              "full-width"));
    assert_int_equal(count_severity(file, TEMPLATE_ERROR), 0);
    template_free(file);
}

static void
test_lowercase_x(void **state)
{
    struct template_file *file = read_ok(
        HEADER "李四,2,20080101,1,11010120080101006x,CHN,01,七年级,1班,202009\n");

    (void)state;
    assert_string_equal(file->rows[0].value[TEMPLATE_ID_NUMBER], "11010120080101006X");
    assert_non_null(find_diag(file, 2, TEMPLATE_ID_NUMBER, TEMPLATE_NOTICE,
                              "lowercase x made uppercase"));
    assert_false(file->rows[0].id_invalid);
    template_free(file);
}

static void
test_invisible_and_spaces(void **state)
{
    struct template_file *file = read_ok(
        HEADER "\xE2\x80\x8B张 三 ,1,20080101,1, 110101 200801010019\xEF\xBB\xBF,CHN,"
        "01,七年级,1班,202009\n");

    (void)state;
    assert_string_equal(file->rows[0].value[TEMPLATE_NAME], "张三");
    assert_string_equal(file->rows[0].value[TEMPLATE_ID_NUMBER], "110101200801010019");
    assert_non_null(find_diag(file, 2, TEMPLATE_NAME, TEMPLATE_NOTICE,
                              "invisible characters removed"));
    assert_non_null(find_diag(file, 2, TEMPLATE_ID_NUMBER, TEMPLATE_NOTICE,
                              "spaces inside the value removed"));
    assert_false(file->rows[0].id_invalid);
    template_free(file);
}

static void
test_date_forms(void **state)
{
    struct template_file *file = read_ok(
        HEADER
        "甲,1,39448,1,110101200801010019,CHN,01,七年级,1班,2020.9\n"
        "乙,1,2008.1.1,1,110101200801010019,CHN,01,七年级,1班,2020-09\n"
        "丙,1,2008年1月1日,1,110101200801010019,CHN,01,七年级,1班,2020年9月\n"
        "丁,1,2008/1/1 0:00,1,110101200801010019,CHN,01,七年级,1班,44075\n"
        "戊,1,2008-01-01,1,110101200801010019,CHN,01,七年级,1班,202009\n");

    (void)state;
    assert_int_equal(file->row_count, 5);
    for (size_t i = 0; i < file->row_count; i++) {
        assert_string_equal(file->rows[i].value[TEMPLATE_BIRTH_DATE], "20080101");
        assert_string_equal(file->rows[i].value[TEMPLATE_ENROL_MONTH], "202009");
        assert_false(file->rows[i].has_error);
        assert_false(file->rows[i].id_invalid);
    }
    assert_non_null(find_diag(file, 2, TEMPLATE_BIRTH_DATE, TEMPLATE_NOTICE,
                              "Excel serial number"));
    assert_non_null(find_diag(file, 3, TEMPLATE_BIRTH_DATE, TEMPLATE_NOTICE,
                              "rewritten as 20080101"));
    assert_non_null(find_diag(file, 5, TEMPLATE_ENROL_MONTH, TEMPLATE_NOTICE,
                              "Excel serial number"));
    template_free(file);
}

static void
test_bad_dates(void **state)
{
    struct template_file *file = read_ok(
        HEADER
        "甲,1,20070229,Z,,CHN,01,七年级,1班,202009\n"
        "乙,1,2030-01-01,Z,,CHN,01,七年级,1班,202009\n"
        "丙,1,19800101,Z,,CHN,01,七年级,1班,202009\n"
        "丁,1,1/1/2008,Z,,CHN,01,七年级,1班,202013\n"
        "戊,1,20120229,Z,,CHN,01,七年级,1班,201001\n");

    (void)state;
    assert_non_null(find_diag(file, 2, TEMPLATE_BIRTH_DATE, TEMPLATE_ERROR,
                              "does not exist"));
    assert_non_null(find_diag(file, 3, TEMPLATE_BIRTH_DATE, TEMPLATE_ERROR,
                              "in the future"));
    assert_non_null(find_diag(file, 4, TEMPLATE_BIRTH_DATE, TEMPLATE_WARNING,
                              "44 years old"));
    assert_false(file->rows[2].has_error);
    assert_non_null(find_diag(file, 5, TEMPLATE_BIRTH_DATE, TEMPLATE_ERROR,
                              "is not a date"));
    assert_non_null(find_diag(file, 5, TEMPLATE_ENROL_MONTH, TEMPLATE_ERROR,
                              "does not exist"));
    assert_non_null(find_diag(file, 6, TEMPLATE_ENROL_MONTH, TEMPLATE_ERROR,
                              "before the birth date"));
    assert_false(file->rows[4].id_invalid);
    template_free(file);
}

static void
test_missing_required_column(void **state)
{
    struct template_file *file = NULL;
    struct xj_error err;

    (void)state;
    assert_int_equal(read_text("姓名,性别,出生日期,身份证件类型,"
                               "身份证件号,国籍/地区,"
                               "年级,入学年月\n" ROW_ZHANG, &file, &err),
                     XJ_ERR_INVALID);
    assert_null(file);
    assert_non_null(strstr(err.message, "民族"));
    assert_non_null(strstr(err.message, "班级"));
    assert_null(strstr(err.message, "姓名"));
    assert_true(err.hint[0] != '\0');
}

static void
test_missing_required_value(void **state)
{
    struct template_file *file = read_ok(
        HEADER "张三,1,20080101,1,110101200801010019,CHN,01,,1班,202009\n"
        "李四,2,20080101,1,,CHN,01,七年级,1班,202009\n");
    const struct template_diag *diag;

    (void)state;
    diag = find_diag(file, 2, TEMPLATE_GRADE, TEMPLATE_ERROR, "missing 年级");
    assert_non_null(diag);
    assert_true(diag->hint[0] != '\0');
    assert_true(file->rows[0].has_error);
    diag = find_diag(file, 3, TEMPLATE_ID_NUMBER, TEMPLATE_ERROR, "missing 身份证件号");
    assert_non_null(diag);
    assert_false(diag->id_only);
    assert_false(file->rows[1].id_invalid);
    assert_true(file->rows[1].has_error);
    template_free(file);
}

static void
test_text_too_long(void **state)
{
    char text[4096];
    struct template_file *file;
    const struct template_diag *diag;
    int len = 0;

    (void)state;
    len += snprintf(text + len, sizeof(text) - (size_t)len, "%s", HEADER);
    for (int i = 0; i < 67; i++) {      /* 67 x 3 bytes = 201 bytes */
        len += snprintf(text + len, sizeof(text) - (size_t)len, "张");
    }
    snprintf(text + len, sizeof(text) - (size_t)len,
             ",1,20080101,1,110101200801010019,CHN,01,七年级,1班,202009\n");
    file = read_ok(text);
    diag = find_diag(file, 2, TEMPLATE_NAME, TEMPLATE_ERROR,
                     "姓名 has 201 bytes");
    assert_non_null(diag);
    assert_true(file->rows[0].has_error);
    template_free(file);
}

static void
test_short_row_and_partial_header(void **state)
{
    struct template_file *file = read_ok(
        HEADER "张三,1,20080101,1,110101200801010019,CHN,01,七年级,1班\n");
    struct template_file *other = NULL;
    struct xj_error err;

    (void)state;
    assert_non_null(find_diag(file, 2, TEMPLATE_FIELD_COUNT, TEMPLATE_WARNING,
                              "row has 9 cells"));
    template_free(file);

    /* Two known headers make a header row with missing columns, not a
     * file without a header. */
    assert_int_equal(read_text("姓名,性别,foo\n张三,1,x\n", &other, &err),
                     XJ_ERR_INVALID);
    assert_non_null(strstr(err.message, "missing required columns"));
    assert_non_null(strstr(err.message, "出生日期"));
}

static void
test_code_not_in_table(void **state)
{
    struct template_file *file = read_ok(
        HEADER "张三,1,20080101,1,110101200801010019,CHN,57,七年级,1班,202009\n"
        "李四,2,20080101,1,110101200801010027,XYZ,1,七年级,1班,202009\n");
    const struct template_diag *diag;

    (void)state;
    diag = find_diag(file, 2, TEMPLATE_ETHNICITY, TEMPLATE_ERROR, "not in the code table");
    assert_non_null(diag);
    assert_non_null(strstr(diag->hint, "01 汉族"));
    assert_string_equal(diag->value, "57");
    diag = find_diag(file, 3, TEMPLATE_NATIONALITY, TEMPLATE_ERROR,
                     "not in the code table");
    assert_non_null(diag);
    assert_non_null(strstr(diag->hint, "CHN"));
    assert_non_null(find_diag(file, 3, TEMPLATE_ETHNICITY, TEMPLATE_NOTICE,
                              "leading zero"));
    assert_string_equal(file->rows[1].value[TEMPLATE_ETHNICITY], "01");
    template_free(file);
}

static void
test_id_number_faults(void **state)
{
    struct template_file *file = read_ok(
        HEADER
        "张三,2,20080101,1,110101200801010019,CHN,01,七年级,1班,202009\n"
        "李四,1,20080101,1,110199200801010014,CHN,01,七年级,1班,202009\n"
        "王五,1,20080101,1,410102200801012000,CHN,01,七年级,1班,202009\n"
        "赵六,1,20080101,A,E12345678,USA,01,七年级,1班,202009\n"
        "钱七,1,20080101,A,E1234567@,USA,01,七年级,1班,202009\n"
        "孙八,1,20080101,Z,,CHN,01,七年级,1班,202009\n");
    const struct template_diag *diag;

    (void)state;
    diag = find_diag(file, 2, TEMPLATE_ID_NUMBER, TEMPLATE_ERROR, "man's");
    assert_non_null(diag);
    assert_true(diag->id_only);
    assert_true(file->rows[0].id_invalid);
    assert_false(file->rows[0].has_error);

    assert_non_null(find_diag(file, 3, TEMPLATE_ID_NUMBER, TEMPLATE_WARNING,
                              "county code 110199 unknown since 2024"));
    assert_false(file->rows[1].id_invalid);

    diag = find_diag(file, 4, TEMPLATE_ID_NUMBER, TEMPLATE_ERROR, "000");
    assert_non_null(diag);
    assert_false(diag->id_only);
    assert_non_null(strstr(diag != NULL ? diag->hint : "", "text"));
    assert_true(file->rows[2].has_error);

    assert_false(file->rows[3].id_invalid);
    assert_false(file->rows[4].id_invalid);
    assert_true(file->rows[4].has_error);
    assert_false(file->rows[5].id_invalid);
    assert_false(file->rows[5].has_error);
    template_free(file);
}

static void
test_import_keys(void **state)
{
    struct template_file *first = read_ok(HEADER ROW_ZHANG ROW_LI ROW_ZHANG);
    struct template_file *second = read_ok(HEADER ROW_ZHANG ROW_LI ROW_ZHANG);
    struct template_file *single = read_ok(HEADER ROW_ZHANG);

    (void)state;
    assert_int_equal(first->row_count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(first->rows[i].import_key,
                            second->rows[i].import_key);
    }
    assert_string_not_equal(first->rows[0].import_key,
                            first->rows[2].import_key);
    assert_string_not_equal(first->rows[0].import_key,
                            first->rows[1].import_key);
    assert_string_equal(first->rows[0].import_key, single->rows[0].import_key);
    template_free(first);
    template_free(second);
    template_free(single);
}

/* Returns HEADER followed by count rows: ROW_ZHANG, except every
 * bad_every-th row, which has gender 3. The caller frees it. */
static char *
long_file_text(size_t count, size_t bad_every)
{
    static const char bad[] =
        "张三,3,20080101,1,110101200801010019,CHN,01,七年级,1班,202009\n";
    size_t size = strlen(HEADER) + count * sizeof(bad) + 1;
    char *text = malloc(size);
    char *p;

    assert_non_null(text);
    p = stpcpy(text, HEADER);
    for (size_t i = 0; i < count; i++) {
        p = stpcpy(p, (i + 1) % bad_every == 0 ? bad : ROW_ZHANG);
    }
    return text;
}

static int
compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A file of several batches of rows is checked in a second thread, and its
 * rows, findings and import keys come out as they do for a short file. */
static void
test_long_file(void **state)
{
    const size_t count = 5000;
    char *text = long_file_text(count, 1000);
    struct template_file *file = read_ok(text);
    struct template_file *pair = read_ok(HEADER ROW_ZHANG ROW_ZHANG);
    const char **keys = calloc(count, sizeof(*keys));

    (void)state;
    assert_int_equal(file->row_count, count);
    assert_int_equal(count_severity(file, TEMPLATE_ERROR), count / 1000);
    for (size_t i = 0; i < file->diag_count; i++) {
        assert_int_equal(file->diags[i].row, 1000 * (i + 1) + 1);
        assert_int_equal(file->diags[i].field, TEMPLATE_GENDER);
    }
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(file->rows[i].row, i + 2);
        assert_string_equal(file->rows[i].value[TEMPLATE_NAME], "张三");
        assert_int_equal(file->rows[i].has_error, (i + 1) % 1000 == 0);
        keys[i] = file->rows[i].import_key;
    }
    assert_string_equal(file->rows[0].import_key, pair->rows[0].import_key);
    assert_string_equal(file->rows[1].import_key, pair->rows[1].import_key);

    /* Equal rows are numbered, so every key differs. */
    assert_non_null(keys);
    qsort(keys, count, sizeof(*keys), compare_strings);
    for (size_t i = 1; i < count; i++) {
        assert_string_not_equal(keys[i - 1], keys[i]);
    }
    free(keys);
    free(text);
    template_free(file);
    template_free(pair);
}

/* The first error in file order wins, whichever thread finds it: a wide row
 * after many rows, and the row limit before a wide row. */
static void
test_long_file_errors(void **state)
{
    struct template_file *file = NULL;
    struct xj_error err;
    char *rows = long_file_text(3000, 1000);
    char *over = long_file_text(200001, 1000000);
    size_t rows_len = strlen(rows);
    size_t over_len = strlen(over);
    char *wide = malloc(rows_len + 10002 + 3);
    char *wide_over = malloc(over_len + 10002 + 3);

    (void)state;
    assert_non_null(wide);
    assert_non_null(wide_over);
    memcpy(wide, rows, rows_len);
    memset(wide + rows_len, ',', 10001);
    strcpy(wide + rows_len + 10001, "x\n");
    assert_int_equal(read_text(wide, &file, &err), XJ_ERR_TOO_LARGE);
    assert_null(file);
    assert_non_null(strstr(err.message, "row 3002 has more than"));

    memcpy(wide_over, over, over_len);
    memset(wide_over + over_len, ',', 10001);
    strcpy(wide_over + over_len + 10001, "x\n");
    assert_int_equal(read_text(wide_over, &file, &err), XJ_ERR_TOO_LARGE);
    assert_null(file);
    assert_non_null(strstr(err.message, "more than 200000 student rows"));
    free(rows);
    free(over);
    free(wide);
    free(wide_over);
}

static void
test_english_headers(void **state)
{
    struct template_file *file = read_ok(
        "name,gender,birth_date,id_type,id_number,nationality,ethnicity,grade,class,"
        "enrol_month,Address\n"
        "张三,1,20080101,1,110101200801010019,CHN,01,七年级,1班,202009,北京市东城区\n");

    (void)state;
    assert_int_equal(file->row_count, 1);
    assert_string_equal(file->rows[0].value[TEMPLATE_ADDRESS], "北京市东城区");
    assert_int_equal(file->diag_count, 0);
    template_free(file);
}

static void
test_marked_headers_and_unknown_column(void **state)
{
    struct template_file *file = read_ok(
        "学生名单\n"
        "*姓名,★性别, 出生日期（YYYYMMDD）,身份证件类型,身份证件号,"
        "国籍／地区,民族,年级,"
        "班级,入学年月,备注\n" ROW_ZHANG);
    const struct template_diag *diag;

    (void)state;
    assert_int_equal(file->row_count, 1);
    assert_int_equal(file->rows[0].row, 3);
    diag = find_diag(file, 2, TEMPLATE_FIELD_COUNT, TEMPLATE_WARNING, "unknown column");
    assert_non_null(diag);
    assert_string_equal(diag->value, "备注");
    template_free(file);
}

static void
test_empty_lines_and_line_numbers(void **state)
{
    struct template_file *file = read_ok(
        HEADER "\n" ROW_ZHANG ",,,,,,,,,\n\r\n"
        "\"李\n四\",2,20080101,1,110101200801010027,CHN,01,七年级,1班,202009\n"
        ROW_ZHANG);

    (void)state;
    assert_int_equal(file->row_count, 3);
    assert_int_equal(file->rows[0].row, 3);
    assert_int_equal(file->rows[1].row, 6);
    assert_int_equal(file->rows[2].row, 8);
    assert_string_equal(file->rows[1].value[TEMPLATE_NAME], "李四");
    template_free(file);
}

static void
test_diags_in_column_order(void **state)
{
    struct template_file *file = read_ok(
        "民族,年级,班级,入学年月,姓名,性别,出生日期,身份证件类型,"
        "身份证件号,国籍/地区\n"
        "57,,1班,202013, 张三,3,20080101,1,110101200801010018,CHN\n");
    enum template_field expected[] = {
        TEMPLATE_ETHNICITY, TEMPLATE_GRADE, TEMPLATE_ENROL_MONTH, TEMPLATE_NAME,
        TEMPLATE_GENDER, TEMPLATE_ID_NUMBER,
    };

    (void)state;
    if (file->diag_count != sizeof(expected) / sizeof(expected[0])) {
        print_diags(file);
    }
    assert_int_equal(file->diag_count, sizeof(expected) / sizeof(expected[0]));
    for (size_t i = 0; i < file->diag_count; i++) {
        assert_int_equal(file->diags[i].field, expected[i]);
    }
    template_free(file);
}

static void
test_too_many_columns(void **state)
{
    size_t len = strlen(HEADER) + 10001 + 2;
    char *text = malloc(len + 1);
    struct template_file *file = NULL;
    struct xj_error err;

    (void)state;
    strcpy(text, HEADER);
    memset(text + strlen(HEADER), ',', 10001);
    strcpy(text + strlen(HEADER) + 10001, "x\n");
    assert_int_equal(read_text(text, &file, &err), XJ_ERR_TOO_LARGE);
    assert_null(file);
    assert_non_null(strstr(err.message, "row 2"));
    free(text);
}

static void
test_file_too_large(void **state)
{
    char *path = write_fixture(HEADER, strlen(HEADER));
    struct template_file *file = NULL;
    struct xj_error err;

    (void)state;
    assert_int_equal(truncate(path, ((off_t)64 << 20) + 1), 0);
    assert_int_equal(template_read(path, TODAY, &file, &err), XJ_ERR_TOO_LARGE);
    assert_null(file);
    assert_non_null(strstr(err.message, "64 MiB"));
    unlink(path);
    free(path);
}

static void
test_empty_and_headerless_files(void **state)
{
    struct template_file *file = NULL;
    struct xj_error err;

    (void)state;
    assert_int_equal(read_text("", &file, &err), XJ_ERR_INVALID);
    assert_non_null(strstr(err.message, "empty"));
    assert_int_equal(read_text("a,b\n1,2\n", &file, &err), XJ_ERR_INVALID);
    assert_non_null(strstr(err.message, "header"));
    assert_null(strstr(err.message, "semicolons"));
    assert_int_equal(read_text("姓名;性别;出生日期\n张三;1;20150304\n",
                               &file, &err), XJ_ERR_INVALID);
    assert_non_null(strstr(err.message, "semicolons"));
    assert_non_null(strstr(err.hint, "comma"));
    assert_int_equal(template_read("/nonexistent/xueji.csv", TODAY, &file, &err),
                     XJ_ERR_IO);
    assert_null(file);
}

static void
test_field_names(void **state)
{
    (void)state;
    assert_string_equal(template_header(TEMPLATE_NATIONALITY), "国籍/地区");
    assert_string_equal(template_field_id(TEMPLATE_CLASS_NUMBER), "class_number");
    assert_true(template_field_is_required(TEMPLATE_ENROL_MONTH));
    assert_false(template_field_is_required(TEMPLATE_ID_NUMBER));
    assert_false(template_field_is_required(TEMPLATE_ADDRESS));
    assert_string_equal(template_header(TEMPLATE_FIELD_COUNT), "");
    template_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_file),
        cmocka_unit_test(test_utf8_bom_file),
        cmocka_unit_test(test_gb18030_file),
        cmocka_unit_test(test_bad_byte_names_its_line),
        cmocka_unit_test(test_unclosed_quote_names_its_line),
        cmocka_unit_test(test_extra_cells_warned),
        cmocka_unit_test(test_stray_quotes_rejected),
        cmocka_unit_test(test_quoted_cells_accepted),
        cmocka_unit_test(test_undecodable_file),
        cmocka_unit_test(test_excel_workbook_rejected),
        cmocka_unit_test(test_scientific_id_number),
        cmocka_unit_test(test_scientific_telephone),
        cmocka_unit_test(test_fullwidth_digits),
        cmocka_unit_test(test_lowercase_x),
        cmocka_unit_test(test_invisible_and_spaces),
        cmocka_unit_test(test_date_forms),
        cmocka_unit_test(test_bad_dates),
        cmocka_unit_test(test_missing_required_column),
        cmocka_unit_test(test_missing_required_value),
        cmocka_unit_test(test_code_not_in_table),
        cmocka_unit_test(test_id_number_faults),
        cmocka_unit_test(test_import_keys),
        cmocka_unit_test(test_long_file),
        cmocka_unit_test(test_long_file_errors),
        cmocka_unit_test(test_english_headers),
        cmocka_unit_test(test_marked_headers_and_unknown_column),
        cmocka_unit_test(test_empty_lines_and_line_numbers),
        cmocka_unit_test(test_diags_in_column_order),
        cmocka_unit_test(test_too_many_columns),
        cmocka_unit_test(test_file_too_large),
        cmocka_unit_test(test_empty_and_headerless_files),
        cmocka_unit_test(test_field_names),
        cmocka_unit_test(test_text_too_long),
        cmocka_unit_test(test_short_row_and_partial_header),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
