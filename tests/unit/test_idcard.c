/* SPDX-License-Identifier: MIT */
/* Unit tests of the resident ID number checks and masking. All numbers are
 * synthetic, with check digits computed independently of idcard.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "divisions.h"
#include "idcard.h"

#define TODAY "20240901"

struct idcard_case {
    const char *id;
    char gender;
    const char *birth_date;
    enum idcard_fault fault;
};

static void
test_check_char_known_values(void **state)
{
    (void)state;
    assert_int_equal(idcard_check_char("11010120080101001"), '9');
    assert_int_equal(idcard_check_char("11010120080101006"), 'X');
    assert_int_equal(idcard_check_char("44030520120229001"), 'X');
    assert_int_equal(idcard_check_char("1101012008010100"), 0);
    assert_int_equal(idcard_check_char("1101012008010100A"), 0);
    assert_int_equal(idcard_check_char(NULL), 0);
}

static void
test_valid_numbers(void **state)
{
    static const struct idcard_case cases[] = {
        {"110101200801010019", '1', "20080101", IDCARD_OK},
        {"110101200801010027", '2', "20080101", IDCARD_OK},
        {"11010120080101006X", 0, NULL, IDCARD_OK},
        {"11010120080101014X", '2', "20080101", IDCARD_OK},
        {"44030520120229001X", '1', "20120229", IDCARD_OK},
        {"440305201202290028", '2', NULL, IDCARD_OK},
        {"810000201105050015", '1', "20110505", IDCARD_OK},
    };
    struct xj_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum idcard_fault fault = idcard_check(
            cases[i].id, cases[i].gender, cases[i].birth_date, TODAY, &err);

        if (fault != IDCARD_OK) {
            print_error("case %zu (%s): %s\n", i, cases[i].id, err.message);
        }
        assert_int_equal(fault, IDCARD_OK);
        assert_int_equal(err.code, XJ_OK);
    }
}

static void
test_faults(void **state)
{
    static const struct idcard_case cases[] = {
        {"", 0, NULL, IDCARD_EMPTY},
        {NULL, 0, NULL, IDCARD_EMPTY},
        {"4.10102E+17", 0, NULL, IDCARD_SCIENTIFIC},
        {"4.10102e17", 0, NULL, IDCARD_SCIENTIFIC},
        {"4E+17", 0, NULL, IDCARD_SCIENTIFIC},
        {"11010120080101001", 0, NULL, IDCARD_LENGTH},
        {"1101012008010100190", 0, NULL, IDCARD_LENGTH},
        {"110101080101001", 0, NULL, IDCARD_LENGTH},
        {"11010120080101001A", 0, NULL, IDCARD_CHARACTERS},
        {"11010120080101006x", 0, NULL, IDCARD_CHARACTERS},
        {"1101012008O1010019", 0, NULL, IDCARD_CHARACTERS},
        {"410102200801012000", 0, NULL, IDCARD_ZEROS_LOST},
        {"990101200801010012", 0, NULL, IDCARD_PROVINCE},
        {"110101200702290019", 0, NULL, IDCARD_BIRTH_DATE},
        {"110101209901010017", 0, NULL, IDCARD_BIRTH_DATE},
        {"110101200801010018", 0, NULL, IDCARD_CHECK_DIGIT},
        {"110101200801010028", 0, NULL, IDCARD_CHECK_DIGIT},
        {"110101200801010019", '2', NULL, IDCARD_GENDER_MISMATCH},
        {"110101200801010027", '1', NULL, IDCARD_GENDER_MISMATCH},
        {"110101200801010019", '1', "20080102", IDCARD_BIRTH_MISMATCH},
        {"110101200801010019", 0, "2008-01-01", IDCARD_BIRTH_MISMATCH},
    };
    struct xj_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum idcard_fault fault = idcard_check(
            cases[i].id, cases[i].gender, cases[i].birth_date, TODAY, &err);

        if (fault != cases[i].fault) {
            print_error("case %zu (%s): got %s, expected %s\n", i,
                        cases[i].id ? cases[i].id : "NULL",
                        idcard_fault_name(fault),
                        idcard_fault_name(cases[i].fault));
        }
        assert_int_equal(fault, cases[i].fault);
        assert_int_equal(err.code, XJ_ERR_INVALID);
        assert_string_equal(err.field, "id_number");
        assert_true(err.message[0] != '\0');
        assert_true(err.hint[0] != '\0');
    }
}

static void
test_check_digit_hint_names_digit(void **state)
{
    struct xj_error err;

    (void)state;
    assert_int_equal(idcard_check("110101200801010018", 0, NULL, TODAY, &err),
                     IDCARD_CHECK_DIGIT);
    assert_non_null(strstr(err.hint, "check digit would be 9"));
    assert_string_equal(err.value, "110101***********8");
}

static void
test_zeros_lost_hint_says_text(void **state)
{
    struct xj_error err;

    (void)state;
    assert_int_not_equal(idcard_check_char("41010220080101200"), '0');
    assert_int_equal(idcard_check("410102200801012000", 0, NULL, TODAY, &err),
                     IDCARD_ZEROS_LOST);
    assert_non_null(strstr(err.hint, "as text"));
}

static void
test_scientific_value_is_masked(void **state)
{
    struct xj_error err;

    (void)state;
    assert_int_equal(idcard_check("4.10102E+17", 0, NULL, TODAY, &err),
                     IDCARD_SCIENTIFIC);
    assert_string_equal(err.value, "4.1010****7");
    assert_non_null(strstr(err.hint, "text"));
}

static void
test_leap_day_in_leap_year(void **state)
{
    struct xj_error err;

    (void)state;
    assert_int_equal(idcard_check("44030520120229001X", 0, "20120229", TODAY, &err),
                     IDCARD_OK);
    assert_int_equal(idcard_check("110101200702290019", 0, NULL, TODAY, &err),
                     IDCARD_BIRTH_DATE);
}

static void
test_future_date_depends_on_today(void **state)
{
    struct xj_error err;

    (void)state;
    assert_int_equal(idcard_check("440305201202290028", 0, NULL, "20120228", &err),
                     IDCARD_BIRTH_DATE);
    assert_int_equal(idcard_check("440305201202290028", 0, NULL, "20120229", &err),
                     IDCARD_OK);
    assert_int_equal(idcard_check("440305201202290028", 0, NULL, NULL, &err),
                     IDCARD_OK);
}

static void
test_unknown_county_is_not_fault(void **state)
{
    struct xj_error err;

    (void)state;
    assert_int_equal(idcard_check("110199200801010014", 0, NULL, TODAY, &err),
                     IDCARD_OK);
    assert_false(idcard_region_is_known("110199200801010014"));
    assert_true(idcard_region_is_known("110101200801010019"));
    assert_true(idcard_region_is_known("810000201105050015"));
    assert_false(idcard_region_is_known("11"));
    assert_false(idcard_region_is_known(NULL));
}

static void
test_mask(void **state)
{
    char out[IDCARD_MASK_SIZE];
    char long_id[200];

    (void)state;
    idcard_mask("110101200801010019", out);
    assert_string_equal(out, "110101***********9");
    idcard_mask("11010120080101006X", out);
    assert_string_equal(out, "110101***********X");
    idcard_mask("12345678", out);
    assert_string_equal(out, "123456*8");
    idcard_mask("1234567", out);
    assert_string_equal(out, "*******");
    idcard_mask("", out);
    assert_string_equal(out, "");
    idcard_mask(NULL, out);
    assert_string_equal(out, "");

    /* Multi-byte characters stay whole. */
    idcard_mask("身份证号码不详无号", out);
    assert_string_equal(out, "身份证号码不**号");

    /* Long values are shortened to fit. */
    memset(long_id, '7', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    long_id[sizeof(long_id) - 2] = 'Z';
    idcard_mask(long_id, out);
    assert_true(strlen(out) < IDCARD_MASK_SIZE);
    assert_memory_equal(out, "777777*", 7);
    assert_int_equal(out[strlen(out) - 1], 'Z');
}

static void
test_fault_names(void **state)
{
    (void)state;
    assert_string_equal(idcard_fault_name(IDCARD_OK), "ok");
    assert_string_equal(idcard_fault_name(IDCARD_CHECK_DIGIT), "check_digit");
    assert_string_equal(idcard_fault_name(IDCARD_ZEROS_LOST), "zeros_lost");
    assert_string_equal(idcard_fault_name((enum idcard_fault)99), "unknown");
}

static int
count_entry(const struct divisions_entry *entry, void *arg)
{
    size_t *counts = arg;

    counts[entry->level]++;
    return 0;
}

static int
stop_at_first(const struct divisions_entry *entry, void *arg)
{
    (void)entry;
    (*(int *)arg)++;
    return 7;
}

static void
test_divisions(void **state)
{
    size_t counts[3] = {0, 0, 0};
    int visits = 0;

    (void)state;
    assert_int_equal(divisions_each(count_entry, counts), 0);
    assert_int_equal(counts[DIVISIONS_PROVINCE], 31);
    assert_true(counts[DIVISIONS_CITY] > 300);
    assert_true(counts[DIVISIONS_COUNTY] > 2800);
    assert_int_equal(divisions_each(stop_at_first, &visits), 7);
    assert_int_equal(visits, 1);

    assert_true(divisions_county_exists("110101"));
    assert_true(divisions_county_exists("659010"));
    assert_false(divisions_county_exists("110199"));
    assert_false(divisions_county_exists("11010"));
    assert_false(divisions_county_exists("1101011"));
    assert_false(divisions_county_exists("11010a"));
    assert_false(divisions_county_exists(NULL));
    assert_true(divisions_province_exists("11"));
    assert_true(divisions_province_exists("65"));
    assert_true(divisions_province_exists("81"));
    assert_true(divisions_province_exists("83"));
    assert_false(divisions_province_exists("99"));
    assert_false(divisions_province_exists("1"));
    assert_false(divisions_province_exists("110"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_char_known_values),
        cmocka_unit_test(test_valid_numbers),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_check_digit_hint_names_digit),
        cmocka_unit_test(test_zeros_lost_hint_says_text),
        cmocka_unit_test(test_scientific_value_is_masked),
        cmocka_unit_test(test_leap_day_in_leap_year),
        cmocka_unit_test(test_future_date_depends_on_today),
        cmocka_unit_test(test_unknown_county_is_not_fault),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_fault_names),
        cmocka_unit_test(test_divisions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
