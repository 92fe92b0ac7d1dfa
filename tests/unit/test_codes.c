/* SPDX-License-Identifier: MIT */
/* Unit tests of the code tables of the national student form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "codes.h"

struct lookup_case {
    enum codes_table table;
    const char *value;
    const char *code;       /* NULL when the value is not in the table */
};

static void
test_lookup_table(void **state)
{
    static const struct lookup_case cases[] = {
        {CODES_GENDER, "1", "1"},
        {CODES_GENDER, "男", "1"},
        {CODES_GENDER, "女", "2"},
        {CODES_GENDER, "男性", "1"},
        {CODES_GENDER, "女性", "2"},
        {CODES_GENDER, "M", "1"},
        {CODES_GENDER, "f", "2"},
        {CODES_GENDER, "1-男", "1"},
        {CODES_GENDER, "3", NULL},
        {CODES_GENDER, "1-女", NULL},
        {CODES_ID_TYPE, "1", "1"},
        {CODES_ID_TYPE, "居民身份证", "1"},
        {CODES_ID_TYPE, "a", "A"},
        {CODES_ID_TYPE, "护照", "A"},
        {CODES_ID_TYPE, "z", "Z"},
        {CODES_ID_TYPE, "香港特区护照/身份证明", "6"},
        {CODES_ID_TYPE, "台湾居民来往大陆通行证", "8"},
        {CODES_ID_TYPE, "2", NULL},
        {CODES_ETHNICITY, "01", "01"},
        {CODES_ETHNICITY, "1", "01"},
        {CODES_ETHNICITY, "汉族", "01"},
        {CODES_ETHNICITY, "汉", "01"},
        {CODES_ETHNICITY, "01汉族", "01"},
        {CODES_ETHNICITY, "维吾尔族", "05"},
        {CODES_ETHNICITY, "基诺族", "56"},
        {CODES_ETHNICITY, "98", "98"},
        {CODES_ETHNICITY, "外国血统中国籍人士", "98"},
        {CODES_ETHNICITY, "57", NULL},
        {CODES_ETHNICITY, "火星族", NULL},
        {CODES_NATIONALITY, "CHN", "CHN"},
        {CODES_NATIONALITY, "chn", "CHN"},
        {CODES_NATIONALITY, "中国", "CHN"},
        {CODES_NATIONALITY, "中国香港", "HKG"},
        {CODES_NATIONALITY, "中国澳门", "MAC"},
        {CODES_NATIONALITY, "中国台湾", "TWN"},
        {CODES_NATIONALITY, "ZWE", "ZWE"},
        {CODES_NATIONALITY, "ABW", "ABW"},
        {CODES_NATIONALITY, "USA", "USA"},
        {CODES_NATIONALITY, "CN", NULL},
        {CODES_NATIONALITY, "XXX", NULL},
        {CODES_OVERSEAS_STATUS, "00", "00"},
        {CODES_OVERSEAS_STATUS, "0", "00"},
        {CODES_OVERSEAS_STATUS, "否", "00"},
        {CODES_OVERSEAS_STATUS, "51", "51"},
        {CODES_OVERSEAS_STATUS, "归侨", "23"},
        {CODES_OVERSEAS_STATUS, "98", NULL},
        {CODES_HEALTH, "10", "10"},
        {CODES_HEALTH, "残疾", "50"},
        {CODES_HEALTH, "60", NULL},
        {CODES_HOUSEHOLD_TYPE, "非农业", "2"},
        {CODES_HOUSEHOLD_TYPE, "1", "1"},
        {CODES_ATTENDANCE, "住校", "2"},
        {CODES_ATTENDANCE, "走读", "1"},
        {CODES_ENTRY_MODE, "11", "11"},
        {CODES_ENTRY_MODE, "就近入学", "11"},
        {CODES_ENTRY_MODE, "统一招生考试/普通入学", "21"},
        {CODES_ENTRY_MODE, "普通入学", "21"},
        {CODES_ENTRY_MODE, "艺术特招", "23"},
        {CODES_ENTRY_MODE, "99", "99"},
        {CODES_ENTRY_MODE, "13", NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *code = codes_lookup(cases[i].table, cases[i].value);

        if (cases[i].code == NULL) {
            if (code != NULL) {
                print_error("case %zu: \"%s\" gave %s\n", i, cases[i].value, code);
            }
            assert_null(code);
            continue;
        }
        if (code == NULL || strcmp(code, cases[i].code) != 0) {
            print_error("case %zu: \"%s\" gave %s, expected %s\n", i,
                        cases[i].value, code ? code : "NULL", cases[i].code);
        }
        assert_non_null(code);
        assert_string_equal(code, cases[i].code);
    }
}

static void
test_lookup_rejects_empty(void **state)
{
    (void)state;
    assert_null(codes_lookup(CODES_GENDER, ""));
    assert_null(codes_lookup(CODES_GENDER, NULL));
    assert_null(codes_lookup(CODES_TABLE_COUNT, "1"));
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(codes_name(CODES_GENDER, "2"), "女");
    assert_string_equal(codes_name(CODES_ETHNICITY, "02"), "蒙古族");
    assert_string_equal(codes_name(CODES_NATIONALITY, "CHN"), "中国");
    assert_string_equal(codes_name(CODES_NATIONALITY, "TWN"), "中国台湾");
    assert_string_equal(codes_name(CODES_ID_TYPE, "Z"), "其他");
    assert_null(codes_name(CODES_ETHNICITY, "2"));
    assert_null(codes_name(CODES_HEALTH, "99"));
    assert_null(codes_name(CODES_HEALTH, NULL));
}

static void
test_entries(void **state)
{
    size_t count;
    const struct codes_entry *entries;

    (void)state;
    entries = codes_entries(CODES_ETHNICITY, &count);
    assert_int_equal(count, 58);
    assert_string_equal(entries[0].code, "01");
    assert_string_equal(entries[55].code, "56");
    for (size_t i = 0; i < 56; i++) {
        char code[3] = {(char)('0' + (i + 1) / 10), (char)('0' + (i + 1) % 10),
                        0};

        assert_string_equal(entries[i].code, code);
    }
    codes_entries(CODES_NATIONALITY, &count);
    assert_int_equal(count, 249);
    codes_entries(CODES_ID_TYPE, &count);
    assert_int_equal(count, 7);
    codes_entries(CODES_OVERSEAS_STATUS, &count);
    assert_int_equal(count, 16);
    codes_entries(CODES_ENTRY_MODE, &count);
    assert_int_equal(count, 6);
    assert_null(codes_entries(CODES_TABLE_COUNT, &count));
    assert_int_equal(count, 0);
}

/* Every code of every table must find itself, and every name but the
 * repeated "其他" of the entry modes must find its own code. */
static void
test_every_entry_round_trips(void **state)
{
    (void)state;
    for (int t = 0; t < CODES_TABLE_COUNT; t++) {
        size_t count;
        const struct codes_entry *entries =
            codes_entries((enum codes_table)t, &count);

        for (size_t i = 0; i < count; i++) {
            const char *by_name =
                codes_lookup((enum codes_table)t, entries[i].name);

            assert_string_equal(
                codes_lookup((enum codes_table)t, entries[i].code),
                entries[i].code);
            assert_non_null(by_name);
            if (!(t == CODES_ENTRY_MODE && strcmp(entries[i].code, "99") == 0)) {
                assert_string_equal(by_name, entries[i].code);
            }
        }
    }
}

/* codes_lookup tries an exact match of the code before ignoring case, which
 * finds the same entry only while no two codes of a table differ in case
 * alone, and no code is empty. */
static void
test_codes_differ_ignoring_case(void **state)
{
    (void)state;
    for (int t = 0; t < CODES_TABLE_COUNT; t++) {
        size_t count;
        const struct codes_entry *entries =
            codes_entries((enum codes_table)t, &count);

        for (size_t i = 0; i < count; i++) {
            assert_true(entries[i].code[0] != '\0');
            for (size_t j = i + 1; j < count; j++) {
                if (strcasecmp(entries[i].code, entries[j].code) == 0) {
                    print_error("table %d: %s and %s\n", t, entries[i].code,
                                entries[j].code);
                }
                assert_int_not_equal(strcasecmp(entries[i].code,
                                                entries[j].code), 0);
            }
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_table),
        cmocka_unit_test(test_lookup_rejects_empty),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_entries),
        cmocka_unit_test(test_every_entry_round_trips),
        cmocka_unit_test(test_codes_differ_ignoring_case),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
