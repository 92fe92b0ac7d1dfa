/* SPDX-License-Identifier: MIT */
/* Unit tests of checking the corrected controlled fields of a change with
 * the template's rules. Every name and number is synthetic, and ID numbers
 * carry check digits computed independently (ISO 7064 MOD 11-2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "template.h"

#define TODAY "20240901"

/* Checks values and returns the result, failing the test when the check
 * itself fails. */
static struct template_file *
check_ok(const char *name, const char *gender, const char *birth_date,
         const char *id_type, const char *id_number)
{
    const char *values[TEMPLATE_CONTROLLED_COUNT];
    struct template_file *file = NULL;
    struct xj_error err;
    int rc;

    values[TEMPLATE_NAME] = name;
    values[TEMPLATE_GENDER] = gender;
    values[TEMPLATE_BIRTH_DATE] = birth_date;
    values[TEMPLATE_ID_TYPE] = id_type;
    values[TEMPLATE_ID_NUMBER] = id_number;
    rc = template_check_controlled(values, TODAY, &file, &err);
    if (rc != 0) {
        print_error("template_check_controlled: %s\n", err.message);
    }
    assert_int_equal(rc, 0);
    assert_non_null(file);
    assert_int_equal(file->row_count, 1);
    return file;
}

/* Returns the first finding of field with severity whose message contains
 * part, or NULL. */
static const struct template_diag *
find_diag(const struct template_file *file, enum template_field field,
          enum template_severity severity, const char *part)
{
    for (size_t i = 0; i < file->diag_count; i++) {
        const struct template_diag *diag = &file->diags[i];

        if (diag->field == field && diag->severity == severity &&
            strstr(diag->message, part) != NULL) {
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

        print_error("field %d sev %d value '%s': %s | %s\n", d->field,
                    d->severity, d->value, d->message, d->hint);
    }
}

static void
test_controlled_good_values(void **state)
{
    struct template_file *file = check_ok("张三", "1", "20080101", "1",
                                          "110101200801010019");
    const struct template_row *row = &file->rows[0];

    (void)state;
    if (file->diag_count != 0) {
        print_diags(file);
    }
    assert_int_equal(file->diag_count, 0);
    assert_int_equal(row->row, 0);
    assert_false(row->has_error);
    assert_false(row->id_invalid);
    assert_string_equal(row->value[TEMPLATE_NAME], "张三");
    assert_string_equal(row->value[TEMPLATE_GENDER], "1");
    assert_string_equal(row->value[TEMPLATE_BIRTH_DATE], "20080101");
    assert_string_equal(row->value[TEMPLATE_ID_TYPE], "1");
    assert_string_equal(row->value[TEMPLATE_ID_NUMBER], "110101200801010019");
    assert_string_equal(row->value[TEMPLATE_GRADE], "");
    template_free(file);
}

static void
test_controlled_normalised_values(void **state)
{
    /* Full-width digits, a lowercase x, a written date, code names and
     * spaces around the name. */
    struct template_file *file = check_ok(
        " 李四 ", "女", "2008.1.1", "居民身份证",
        "１１０１０１２００８０１０１００６x");
    const struct template_row *row = &file->rows[0];

    (void)state;
    assert_int_equal(count_severity(file, TEMPLATE_ERROR), 0);
    assert_int_equal(count_severity(file, TEMPLATE_WARNING), 0);
    assert_false(row->has_error);
    assert_false(row->id_invalid);
    assert_string_equal(row->value[TEMPLATE_NAME], "李四");
    assert_string_equal(row->value[TEMPLATE_GENDER], "2");
    assert_string_equal(row->value[TEMPLATE_BIRTH_DATE], "20080101");
    assert_string_equal(row->value[TEMPLATE_ID_TYPE], "1");
    assert_string_equal(row->value[TEMPLATE_ID_NUMBER], "11010120080101006X");
    assert_non_null(find_diag(file, TEMPLATE_NAME, TEMPLATE_NOTICE,
                              "spaces at either end removed"));
    assert_non_null(find_diag(file, TEMPLATE_BIRTH_DATE, TEMPLATE_NOTICE,
                              "rewritten as 20080101"));
    assert_non_null(find_diag(file, TEMPLATE_ID_NUMBER, TEMPLATE_NOTICE,
                              "full-width characters converted"));
    assert_non_null(find_diag(file, TEMPLATE_ID_NUMBER, TEMPLATE_NOTICE,
                              "lowercase x made uppercase"));
    template_free(file);
}

static void
test_controlled_kept_fields(void **state)
{
    struct template_file *file = check_ok(NULL, "", NULL, NULL,
                                          "110101200801010027");
    const struct template_row *row = &file->rows[0];

    (void)state;
    assert_int_equal(file->diag_count, 0);
    assert_string_equal(row->value[TEMPLATE_NAME], "");
    assert_string_equal(row->value[TEMPLATE_GENDER], "");
    assert_string_equal(row->value[TEMPLATE_BIRTH_DATE], "");
    assert_string_equal(row->value[TEMPLATE_ID_TYPE], "");
    assert_string_equal(row->value[TEMPLATE_ID_NUMBER], "110101200801010027");
    template_free(file);
}

static void
test_controlled_id_alone_is_resident(void **state)
{
    /* Without an ID type the number is checked as a resident ID number,
     * so a wrong check digit is found. */
    struct template_file *file = check_ok(NULL, NULL, NULL, NULL,
                                          "110101200801010018");
    const struct template_row *row = &file->rows[0];

    (void)state;
    assert_int_equal(count_severity(file, TEMPLATE_ERROR), 1);
    assert_true(row->id_invalid);
    assert_false(row->has_error);
    assert_string_equal(file->diags[0].value, "110101***********8");
    template_free(file);
}

static void
test_controlled_other_id_type(void **state)
{
    struct template_file *good = check_ok(NULL, NULL, NULL, "A", "E12345678");
    struct template_file *bad = check_ok(NULL, NULL, NULL, "护照",
                                         "E1234_5678");

    (void)state;
    assert_int_equal(good->diag_count, 0);
    assert_string_equal(good->rows[0].value[TEMPLATE_ID_TYPE], "A");
    assert_string_equal(bad->rows[0].value[TEMPLATE_ID_TYPE], "A");
    assert_true(bad->rows[0].has_error);
    assert_non_null(find_diag(bad, TEMPLATE_ID_NUMBER, TEMPLATE_ERROR,
                              "characters other than digits"));
    template_free(good);
    template_free(bad);
}

static void
test_controlled_bad_codes(void **state)
{
    struct template_file *file = check_ok(NULL, "3", NULL, "Q", NULL);

    (void)state;
    assert_true(file->rows[0].has_error);
    assert_int_equal(count_severity(file, TEMPLATE_ERROR), 2);
    assert_non_null(find_diag(file, TEMPLATE_GENDER, TEMPLATE_ERROR,
                              "not in the code table"));
    assert_non_null(find_diag(file, TEMPLATE_ID_TYPE, TEMPLATE_ERROR,
                              "not in the code table"));
    template_free(file);
}

static void
test_controlled_bad_dates(void **state)
{
    struct template_file *not_date = check_ok(NULL, NULL, "2008-13", NULL,
                                              NULL);
    struct template_file *unreal = check_ok(NULL, NULL, "20080230", NULL,
                                            NULL);
    struct template_file *future = check_ok(NULL, NULL, "20250101", NULL,
                                            NULL);
    struct template_file *old = check_ok(NULL, NULL, "19800101", NULL, NULL);

    (void)state;
    assert_non_null(find_diag(not_date, TEMPLATE_BIRTH_DATE, TEMPLATE_ERROR,
                              "is not a date"));
    assert_non_null(find_diag(unreal, TEMPLATE_BIRTH_DATE, TEMPLATE_ERROR,
                              "does not exist"));
    assert_non_null(find_diag(future, TEMPLATE_BIRTH_DATE, TEMPLATE_ERROR,
                              "in the future"));
    assert_true(future->rows[0].has_error);
    assert_non_null(find_diag(old, TEMPLATE_BIRTH_DATE, TEMPLATE_WARNING,
                              "years old"));
    assert_false(old->rows[0].has_error);
    template_free(not_date);
    template_free(unreal);
    template_free(future);
    template_free(old);
}

static void
test_controlled_blank_name(void **state)
{
    /* Given but blank after normalisation: the name would be erased. */
    struct template_file *file = check_ok("\xE3\x80\x80 ", NULL, NULL, NULL,
                                          NULL);

    (void)state;
    assert_true(file->rows[0].has_error);
    assert_non_null(find_diag(file, TEMPLATE_NAME, TEMPLATE_ERROR,
                              "missing 姓名"));
    template_free(file);
}

static void
test_controlled_id_disagrees(void **state)
{
    /* 110101200801010019 is a boy born on 2008-01-01. */
    struct template_file *gender = check_ok(NULL, "2", NULL, "1",
                                            "110101200801010019");
    struct template_file *birth = check_ok(NULL, NULL, "20080102", NULL,
                                           "110101200801010019");

    (void)state;
    assert_true(gender->rows[0].id_invalid);
    assert_int_equal(count_severity(gender, TEMPLATE_ERROR), 1);
    assert_true(birth->rows[0].id_invalid);
    assert_int_equal(count_severity(birth, TEMPLATE_ERROR), 1);
    template_free(gender);
    template_free(birth);
}

static void
test_controlled_id_destroyed(void **state)
{
    struct template_file *file = check_ok(NULL, NULL, NULL, "1",
                                          "1.10101E+17");

    (void)state;
    assert_true(file->rows[0].has_error);
    assert_int_equal(count_severity(file, TEMPLATE_ERROR), 1);
    assert_int_equal(file->diags[0].field, TEMPLATE_ID_NUMBER);
    template_free(file);
}

static void
test_controlled_bad_today(void **state)
{
    const char *values[TEMPLATE_CONTROLLED_COUNT] = {"张三", NULL, NULL, NULL,
                                                     NULL};
    struct template_file *file = NULL;
    struct xj_error err;

    (void)state;
    assert_int_equal(template_check_controlled(values, "2024-09-01", &file,
                                               &err),
                     XJ_ERR_INVALID);
    assert_null(file);
    assert_string_equal(err.field, "today");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controlled_good_values),
        cmocka_unit_test(test_controlled_normalised_values),
        cmocka_unit_test(test_controlled_kept_fields),
        cmocka_unit_test(test_controlled_id_alone_is_resident),
        cmocka_unit_test(test_controlled_other_id_type),
        cmocka_unit_test(test_controlled_bad_codes),
        cmocka_unit_test(test_controlled_bad_dates),
        cmocka_unit_test(test_controlled_blank_name),
        cmocka_unit_test(test_controlled_id_disagrees),
        cmocka_unit_test(test_controlled_id_destroyed),
        cmocka_unit_test(test_controlled_bad_today),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
