/* SPDX-License-Identifier: MIT */
/* Unit tests of the client's aligned tables: exact printed bytes for mixed
 * CJK and ASCII cells, cutting at a width, empty cells and line ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output.h"
#include "status.h"
#include "text.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Returns what output_table_print writes for table at max_width, as a
 * string the caller frees. */
static char *
print_to_string(const struct output_table *table, size_t max_width)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    assert_non_null(out);
    output_table_print(table, out, max_width);
    assert_int_equal(fclose(out), 0);
    assert_non_null(text);
    return text;
}

/* Checks that no line of text ends in a space and every line ends in a
 * line feed. */
static void
assert_no_trailing_spaces(const char *text)
{
    size_t len = strlen(text);

    assert_true(len > 0);
    assert_int_equal(text[len - 1], '\n');
    for (size_t i = 1; i < len; i++) {
        if (text[i] == '\n') {
            if (text[i - 1] == ' ') {
                print_error("line ending at byte %zu ends in a space\n", i);
            }
            assert_int_not_equal(text[i - 1], ' ');
        }
    }
}

static struct output_table *
new_table(size_t column_count, const char *const *headers)
{
    struct output_table *table = output_table_new(column_count, headers);

    assert_non_null(table);
    return table;
}

static void
add_row(struct output_table *table, const char *const *cells)
{
    assert_int_equal(output_table_add(table, cells), XJ_OK);
}

static void
test_mixed_cjk_ascii_alignment(void **state)
{
    static const char *const headers[] = {"姓名", "学号", "班级"};
    static const char *const rows[][3] = {
        {"张三", "20240001", "一班"},
        {"Li Lei", "20240002", "2"},
        {"欧阳小明", "3", "三年级二班"},
    };
    static const char expected[] =
        "姓名      学号      班级\n"
        "--------  --------  ----------\n"
        "张三      20240001  一班\n"
        "Li Lei    20240002  2\n"
        "欧阳小明  3         三年级二班\n";
    struct output_table *table = new_table(3, headers);
    char *text;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        add_row(table, rows[i]);
    }
    text = print_to_string(table, 0);
    assert_string_equal(text, expected);
    assert_no_trailing_spaces(text);
    free(text);
    output_table_free(table);
}

static void
test_mixed_columns_start_aligned(void **state)
{
    static const char *const headers[] = {"名", "代码"};
    static const char *const rows[][2] = {
        {"张三", "a"},
        {"Zhang San", "b"},
        {"ａｂ", "c"},
    };
    struct output_table *table = new_table(2, headers);
    char *text;
    char *line;
    char *save = NULL;
    size_t line_count = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        add_row(table, rows[i]);
    }
    text = print_to_string(table, 0);

    /* The second column starts after 9 + 2 display columns on every line,
     * whatever mix of wide and narrow characters precedes it. */
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *second = strrchr(line, ' ');

        assert_non_null(second);
        *second = '\0';
        assert_int_equal(text_display_width(line) + 1, 11);
        line_count++;
    }
    assert_int_equal(line_count, 5);
    free(text);
    output_table_free(table);
}

static void
test_cut_at_width(void **state)
{
    static const char *const headers[] = {"名字", "备注"};
    static const char *const rows[][2] = {
        {"张三李四王五", "abcdefgh"},
        {"a张三", "abcde"},
        {"ab张三", "x"},
    };
    static const char expected[] =
        "名字   备注\n"
        "-----  -----\n"
        "张三…  abcd…\n"
        "a张三  abcde\n"
        "ab张…  x\n";
    struct output_table *table = new_table(2, headers);
    char *text;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        add_row(table, rows[i]);
    }
    text = print_to_string(table, 5);
    assert_string_equal(text, expected);
    assert_no_trailing_spaces(text);
    free(text);
    output_table_free(table);
}

static void
test_cut_leaves_out_crossing_wide_char(void **state)
{
    static const char *const headers[] = {"列"};
    static const char *const rows[][1] = {
        {"a张三"},
        {"ab张三"},
        {"abcd"},
        {"张三李"},
        {"e\xCC\x81" "e\xCC\x81" "e\xCC\x81" "xx"},
    };
    static const char *const expected_lines[] = {
        "列",
        "----",
        "a张…",
        "ab…",
        "abcd",
        "张…",
        "e\xCC\x81" "e\xCC\x81" "e\xCC\x81…",
    };
    struct output_table *table = new_table(1, headers);
    char *text;
    char *line;
    char *save = NULL;
    size_t line_index = 0;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        add_row(table, rows[i]);
    }
    text = print_to_string(table, 4);
    assert_true(text_is_utf8(text, strlen(text)));

    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        assert_true(line_index < ARRAY_LEN(expected_lines));
        assert_string_equal(line, expected_lines[line_index]);
        assert_true(text_display_width(line) <= 4);
        line_index++;
    }
    assert_int_equal(line_index, ARRAY_LEN(expected_lines));
    free(text);
    output_table_free(table);
}

static void
test_cut_to_one_column(void **state)
{
    static const char *const headers[] = {"ab", "c"};
    static const char *const cells[] = {"张", "d"};
    static const char expected[] =
        "…  c\n"
        "-  -\n"
        "…  d\n";
    struct output_table *table = new_table(2, headers);
    char *text;

    (void)state;
    add_row(table, cells);
    text = print_to_string(table, 1);
    assert_string_equal(text, expected);
    free(text);
    output_table_free(table);
}

static void
test_null_cells_print_empty(void **state)
{
    static const char *const headers[] = {"a", "b", "c"};
    static const char *const middle_only[] = {NULL, "x", NULL};
    static const char *const last_missing[] = {"long", NULL, "z"};
    static const char expected[] =
        "a     b  c\n"
        "----  -  -\n"
        "\n"
        "      x\n"
        "long     z\n";
    struct output_table *table = new_table(3, headers);
    char *text;

    (void)state;
    add_row(table, NULL);
    add_row(table, middle_only);
    add_row(table, last_missing);
    text = print_to_string(table, 0);
    assert_string_equal(text, expected);
    free(text);
    output_table_free(table);
}

static void
test_null_headers_print_empty(void **state)
{
    static const char *const headers[] = {NULL, "b"};
    static const char *const cells[] = {"aa", "bb"};
    static const char expected[] =
        "    b\n"
        "--  --\n"
        "aa  bb\n";
    struct output_table *table = new_table(2, headers);
    struct output_table *no_headers = new_table(2, NULL);
    char *text;

    (void)state;
    add_row(table, cells);
    text = print_to_string(table, 0);
    assert_string_equal(text, expected);
    free(text);

    add_row(no_headers, cells);
    text = print_to_string(no_headers, 0);
    assert_string_equal(text, "\n--  --\naa  bb\n");
    free(text);

    output_table_free(table);
    output_table_free(no_headers);
}

static void
test_no_trailing_spaces(void **state)
{
    static const char *const headers[] = {"名称", "值", "备注"};
    static const char *const rows[][3] = {
        {"ab   ", "1", ""},
        {"张三", "  ", "  "},
        {"x", "22", "note  "},
        {"", "", ""},
    };
    static const char expected[] =
        "名称   值  备注\n"
        "-----  --  ------\n"
        "ab     1\n"
        "张三\n"
        "x      22  note\n"
        "\n";
    struct output_table *table = new_table(3, headers);
    char *text;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        add_row(table, rows[i]);
    }
    text = print_to_string(table, 0);
    assert_string_equal(text, expected);
    assert_no_trailing_spaces(text);
    free(text);
    output_table_free(table);
}

static void
test_control_chars_replaced(void **state)
{
    static const char *const headers[] = {"v", "w"};
    static const char *const cells[] = {"a\tb\nc", "\x1b[31m\xff"};
    static const char expected[] =
        "v      w\n"
        "-----  ------\n"
        "a b c  \xEF\xBF\xBD[31m\xEF\xBF\xBD\n";
    struct output_table *table = new_table(2, headers);
    char *text;

    (void)state;
    add_row(table, cells);
    text = print_to_string(table, 0);
    assert_string_equal(text, expected);
    free(text);
    output_table_free(table);
}

static void
test_null_table_is_ignored(void **state)
{
    static const char *const cells[] = {"a"};
    char *text;

    (void)state;
    assert_int_equal(output_table_add(NULL, cells), XJ_ERR_INVALID);
    text = print_to_string(NULL, 0);
    assert_string_equal(text, "");
    free(text);
    output_table_print(NULL, NULL, 0);
    output_table_free(NULL);
}

static void
test_many_rows_grow(void **state)
{
    static const char *const headers[] = {"n"};
    struct output_table *table = new_table(1, headers);
    char *text;
    size_t line_count = 0;

    (void)state;
    for (int i = 0; i < 1000; i++) {
        char number[16];
        const char *cells[] = {number};

        snprintf(number, sizeof(number), "%d", i);
        add_row(table, cells);
    }
    text = print_to_string(table, 0);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n') {
            line_count++;
        }
    }
    assert_int_equal(line_count, 1002);
    assert_non_null(strstr(text, "\n999\n"));
    free(text);
    output_table_free(table);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_cjk_ascii_alignment),
        cmocka_unit_test(test_mixed_columns_start_aligned),
        cmocka_unit_test(test_cut_at_width),
        cmocka_unit_test(test_cut_leaves_out_crossing_wide_char),
        cmocka_unit_test(test_cut_to_one_column),
        cmocka_unit_test(test_null_cells_print_empty),
        cmocka_unit_test(test_null_headers_print_empty),
        cmocka_unit_test(test_no_trailing_spaces),
        cmocka_unit_test(test_control_chars_replaced),
        cmocka_unit_test(test_null_table_is_ignored),
        cmocka_unit_test(test_many_rows_grow),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
