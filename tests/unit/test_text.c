/* SPDX-License-Identifier: MIT */
/* Unit tests of text normalisation and display widths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status.h"
#include "text.h"

struct text_case {
    const char *in;
    unsigned options;
    const char *out;
    unsigned changes;
};

static void
test_normalize_table(void **state)
{
    static const struct text_case cases[] = {
        /* Unchanged values. */
        {"张三", 0, "张三", 0},
        {"", 0, "", 0},
        {"110101200801010019", TEXT_OPT_FOLD_WIDTH | TEXT_OPT_UPPER,
         "110101200801010019", 0},
        /* NFC: e + combining acute, and Hangul jamo. */
        {"Jose\xCC\x81", 0, "Jos\xC3\xA9", TEXT_CHANGE_NFC},
        {"\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", 0, "\xED\x95\x9C",
         TEXT_CHANGE_NFC},
        /* Full-width ASCII only with TEXT_OPT_FOLD_WIDTH. */
        {"１１０１０１", TEXT_OPT_FOLD_WIDTH, "110101", TEXT_CHANGE_FULLWIDTH},
        {"１１０１０１", 0, "１１０１０１", 0},
        {"ＡＢｃ（１）", TEXT_OPT_FOLD_WIDTH, "ABc(1)", TEXT_CHANGE_FULLWIDTH},
        {"ｘ", TEXT_OPT_FOLD_WIDTH | TEXT_OPT_UPPER, "X",
         TEXT_CHANGE_FULLWIDTH | TEXT_CHANGE_CASE},
        {"11010120080101006x", TEXT_OPT_UPPER, "11010120080101006X",
         TEXT_CHANGE_CASE},
        /* Spaces: ASCII, U+00A0 and U+3000 at the ends and inside. */
        {"  张三 ", 0, "张三", TEXT_CHANGE_TRIMMED},
        {"\xE3\x80\x80张三\xC2\xA0", 0, "张三", TEXT_CHANGE_TRIMMED},
        {"北京市  东城区", 0, "北京市 东城区", TEXT_CHANGE_SPACES},
        {"北京市\xE3\x80\x80东城区", 0, "北京市 东城区", TEXT_CHANGE_SPACES},
        {"a\tb", 0, "a b", TEXT_CHANGE_SPACES},
        {"a b", 0, "a b", 0},
        /* Invisible characters: zero-width, BOM inside, soft hyphen, controls.
         */
        {"张\xE2\x80\x8B三", 0, "张三", TEXT_CHANGE_INVISIBLE},
        {"\xEF\xBB\xBF张三", 0, "张三", TEXT_CHANGE_INVISIBLE},
        {"张\xEF\xBB\xBF三", 0, "张三", TEXT_CHANGE_INVISIBLE},
        {"11010\xC2\xAD"
         "1",
         0, "110101", TEXT_CHANGE_INVISIBLE},
        {"a\x01"
         "b\xC2\x85"
         "c\xE2\x81\xA0",
         0, "abc", TEXT_CHANGE_INVISIBLE},
        {"\xE2\x80\x8D \xE2\x80\x8C", 0, "",
         TEXT_CHANGE_INVISIBLE | TEXT_CHANGE_TRIMMED},
        /* Names: dot variants and inner spaces. */
        {"买买提.艾力", TEXT_OPT_NAME, "买买提·艾力", TEXT_CHANGE_DOT},
        {"买买提\xE2\x80\xA2艾力", TEXT_OPT_NAME, "买买提·艾力",
         TEXT_CHANGE_DOT},
        {"买买提\xE3\x83\xBB艾力", TEXT_OPT_NAME, "买买提·艾力",
         TEXT_CHANGE_DOT},
        {"买买提\xEF\xBC\x8E艾力", TEXT_OPT_NAME, "买买提·艾力",
         TEXT_CHANGE_DOT},
        {"买买提\xE2\x80\xA7艾力", TEXT_OPT_NAME, "买买提·艾力",
         TEXT_CHANGE_DOT},
        {"买买提\xE2\x88\x99艾力", TEXT_OPT_NAME, "买买提·艾力",
         TEXT_CHANGE_DOT},
        {"买买提\xEF\xBD\xA5艾力", TEXT_OPT_NAME, "买买提·艾力",
         TEXT_CHANGE_DOT},
        /* U+0387 is canonically equivalent to U+00B7, so NFC maps it. */
        {"买买提\xCE\x87艾力", TEXT_OPT_NAME, "买买提·艾力", TEXT_CHANGE_NFC},
        {"买买提·艾力", TEXT_OPT_NAME, "买买提·艾力", 0},
        {"买买提 · 艾力", TEXT_OPT_NAME, "买买提·艾力", TEXT_CHANGE_SPACES},
        {"买买提.艾力", 0, "买买提.艾力", 0},
        {"张 三", TEXT_OPT_NAME, "张三", TEXT_CHANGE_SPACES},
        {"张\xE3\x80\x80三", TEXT_OPT_NAME, "张三", TEXT_CHANGE_SPACES},
        {"Ay\xC5\x9F"
         "e Kaya",
         TEXT_OPT_NAME,
         "Ay\xC5\x9F"
         "e Kaya",
         0},
        {"Ay\xC5\x9F"
         "e   Kaya",
         TEXT_OPT_NAME,
         "Ay\xC5\x9F"
         "e Kaya",
         TEXT_CHANGE_SPACES},
        {"John 张", TEXT_OPT_NAME, "John张", TEXT_CHANGE_SPACES},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned changes = 0xFFFF;
        char *out = text_normalize(cases[i].in, cases[i].options, &changes);

        assert_non_null(out);
        if (strcmp(out, cases[i].out) != 0 || changes != cases[i].changes) {
            print_error("case %zu: \"%s\" gave \"%s\" changes 0x%x, expected "
                        "\"%s\" 0x%x\n", i, cases[i].in, out, changes,
                        cases[i].out, cases[i].changes);
        }
        assert_string_equal(out, cases[i].out);
        assert_int_equal(changes, cases[i].changes);
        free(out);
    }
}

static void
test_normalize_rejects_invalid_utf8(void **state)
{
    unsigned changes = 123;

    (void)state;
    assert_null(text_normalize("\xD5\xC5\xC8\xFD", 0, &changes));
    assert_int_equal(changes, 0);
    assert_null(text_normalize("\xC0\xAF", 0, NULL));
    assert_null(text_normalize("\xED\xA0\x80", 0, NULL));
    assert_null(text_normalize(NULL, 0, NULL));
}

static void
test_normalize_without_changes_pointer(void **state)
{
    char *out;

    (void)state;
    out = text_normalize(" x ", TEXT_OPT_UPPER, NULL);
    assert_non_null(out);
    assert_string_equal(out, "X");
    free(out);
}

/* text_normalize_to reads exactly len bytes and writes what text_normalize
 * returns. */
static void
test_normalize_to_length(void **state)
{
    static const struct text_case cases[] = {
        {"110101200801010019", TEXT_OPT_FOLD_WIDTH | TEXT_OPT_UPPER,
         "110101200801010019", 0},
        {"CHN", TEXT_OPT_FOLD_WIDTH, "CHN", 0},
        {"a b", 0, "a b", 0},
        {"a  b", 0, "a b", TEXT_CHANGE_SPACES},
        {" x", TEXT_OPT_UPPER, "X", TEXT_CHANGE_TRIMMED | TEXT_CHANGE_CASE},
        {"a.b", TEXT_OPT_NAME, "a\xC2\xB7" "b", TEXT_CHANGE_DOT},
        {"张三", TEXT_OPT_NAME, "张三", 0},
        {"河南省郑州市", 0, "河南省郑州市", 0},
        {"１班", TEXT_OPT_FOLD_WIDTH, "1班", TEXT_CHANGE_FULLWIDTH},
        {"Jose\xCC\x81", TEXT_OPT_NAME, "Jos\xC3\xA9", TEXT_CHANGE_NFC},
        {"\xEF\xA4\x80", 0, "\xE8\xB1\x88", TEXT_CHANGE_NFC},
    };
    char out[TEXT_NORMALIZE_SIZE(8)];
    unsigned changes = 0xFFFF;
    size_t len = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[TEXT_NORMALIZE_SIZE(64)];
        char *copy = text_normalize(cases[i].in, cases[i].options, NULL);

        assert_true(strlen(cases[i].in) <= 64);
        assert_true(text_normalize_to(cases[i].in, strlen(cases[i].in),
                                      cases[i].options, buf, &len, &changes));
        assert_string_equal(buf, cases[i].out);
        assert_int_equal(len, strlen(cases[i].out));
        assert_int_equal(changes, cases[i].changes);
        assert_non_null(copy);
        assert_string_equal(copy, buf);
        free(copy);
    }

    /* Only the first len bytes count, and a NUL byte is a control
     * character. */
    assert_true(text_normalize_to("张三X", 6, 0, out, &len, &changes));
    assert_string_equal(out, "张三");
    assert_int_equal(len, 6);
    assert_int_equal(changes, 0);
    assert_true(text_normalize_to("张\0三", 7, 0, out, &len, &changes));
    assert_string_equal(out, "张三");
    assert_int_equal(changes, TEXT_CHANGE_INVISIBLE);
    assert_false(text_normalize_to("\xE5\xBC\xA0", 2, 0, out, &len,
                                   &changes));
    assert_int_equal(changes, 0);
    assert_false(text_normalize_to(NULL, 0, 0, out, &len, NULL));
}

static void
test_is_blank(void **state)
{
    (void)state;
    assert_true(text_is_blank("", 0));
    assert_true(text_is_blank(" \t\r\n", 4));
    assert_true(text_is_blank("\xC2\xA0\xE3\x80\x80", 5));
    assert_true(text_is_blank("\xE2\x80\x8B\xEF\xBB\xBF\x01", 7));
    assert_true(text_is_blank("x", 0));
    assert_false(text_is_blank("a", 1));
    assert_false(text_is_blank(" 张", 4));
    assert_false(text_is_blank("\xE3\x80\x80.", 4));
    assert_false(text_is_blank("\xFF", 1));
    assert_false(text_is_blank("\xE3\x80", 2));
}

/* text_is_blank agrees with text_normalize returning "" for every single
 * character, alone and between spaces. */
static void
test_is_blank_matches_normalize(void **state)
{
    (void)state;
    for (uint32_t c = 1; c <= 0x10FFFF; c++) {
        char text[8];
        size_t n = 0;
        char *out;

        if (c >= 0xD800 && c <= 0xDFFF) {
            continue;
        }
        text[n++] = ' ';
        if (c < 0x80) {
            text[n++] = (char)c;
        } else if (c < 0x800) {
            text[n++] = (char)(0xC0 | c >> 6);
            text[n++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            text[n++] = (char)(0xE0 | c >> 12);
            text[n++] = (char)(0x80 | (c >> 6 & 0x3F));
            text[n++] = (char)(0x80 | (c & 0x3F));
        } else {
            text[n++] = (char)(0xF0 | c >> 18);
            text[n++] = (char)(0x80 | (c >> 12 & 0x3F));
            text[n++] = (char)(0x80 | (c >> 6 & 0x3F));
            text[n++] = (char)(0x80 | (c & 0x3F));
        }
        text[n++] = ' ';
        text[n] = '\0';
        out = text_normalize(text, 0, NULL);
        assert_non_null(out);
        if (text_is_blank(text, n) != (out[0] == '\0')) {
            print_error("U+%04X: text_is_blank %d, normalised \"%s\"\n", c,
                        text_is_blank(text, n), out);
        }
        assert_int_equal(text_is_blank(text, n), out[0] == '\0');
        free(out);
    }
}

static void
test_utf8_validation(void **state)
{
    (void)state;
    assert_true(text_is_utf8("张三", strlen("张三")));
    assert_true(text_is_utf8("", 0));
    assert_true(text_is_utf8("\xF0\x9F\x98\x80", 4));
    assert_false(text_is_utf8("\xD5\xC5", 2));
    assert_false(text_is_utf8("\xE5\xBC", 2));
    assert_false(text_is_utf8("\xF4\x90\x80\x80", 4));
    assert_false(text_is_utf8("\xE0\x80\xAF", 3));
    assert_int_equal(text_utf8_valid_length("ab\xFF" "c", 4), 2);
    assert_int_equal(text_utf8_valid_length("张\xD5\xC5", 5), 3);
    assert_int_equal(text_utf8_valid_length("张三", 6), 6);
    assert_int_equal(text_utf8_valid_length("abcdefgh张三", 14), 14);
    assert_int_equal(text_utf8_valid_length("abcdefghij\xFF", 11), 10);
    assert_int_equal(text_utf8_valid_length("abcdefgh\xED\xA0\x80", 11), 8);
}

static void
test_display_width(void **state)
{
    (void)state;
    assert_int_equal(text_display_width("张三"), 4);
    assert_int_equal(text_display_width("abc"), 3);
    assert_int_equal(text_display_width(""), 0);
    assert_int_equal(text_display_width(NULL), 0);
    assert_int_equal(text_display_width("１２"), 4);
    assert_int_equal(text_display_width("e\xCC\x81"), 1);
    assert_int_equal(text_display_width("买买提·艾力"), 11);
    assert_int_equal(text_display_width("Ay\xC5\x9F" "e"), 4);
    assert_int_equal(text_display_width("\xFF"), 1);
}

/* An error whose message, value or hint is cut at its buffer's end keeps
 * whole UTF-8 characters, so JSON output stays valid. */
static void
test_error_cut_at_character(void **state)
{
    char long_text[1024] = "";
    struct xj_error err;

    (void)state;
    /* One ASCII byte first, so that the 3-byte characters straddle every
     * buffer end. */
    strcat(long_text, "x");
    while (strlen(long_text) + 3 < sizeof(long_text)) {
        strcat(long_text, "河");
    }
    xj_error_set(&err, XJ_ERR_INVALID, "name", long_text, long_text, "%s",
                 long_text);
    assert_true(text_is_utf8(err.message, strlen(err.message)));
    assert_true(text_is_utf8(err.value, strlen(err.value)));
    assert_true(text_is_utf8(err.hint, strlen(err.hint)));
    assert_true(strlen(err.message) > sizeof(err.message) - 4);
    assert_true(strlen(err.value) > sizeof(err.value) - 4);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_table),
        cmocka_unit_test(test_normalize_rejects_invalid_utf8),
        cmocka_unit_test(test_normalize_without_changes_pointer),
        cmocka_unit_test(test_normalize_to_length),
        cmocka_unit_test(test_is_blank),
        cmocka_unit_test(test_is_blank_matches_normalize),
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_display_width),
        cmocka_unit_test(test_error_cut_at_character),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
