/* SPDX-License-Identifier: MIT */
/*
 * Tables for human output, aligned by terminal display width as measured by
 * text_display_width(). Cells are stored as sanitised copies, so what is
 * printed is valid UTF-8 without control characters. Machine output (JSON)
 * is left to the callers, which use json-c.
 */
#include "output.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "text.h"

#define OUTPUT_COLUMN_GAP 2
#define OUTPUT_ELLIPSIS "\xE2\x80\xA6"          /* U+2026 */
#define OUTPUT_REPLACEMENT "\xEF\xBF\xBD"       /* U+FFFD */
#define OUTPUT_UTF8_MAX 4

struct output_table {
    size_t column_count;
    char **headers;             /* column_count sanitised strings */
    char **cells;               /* row_count * column_count, row by row */
    size_t row_count;
    size_t row_capacity;

    /* Scratch space for output_table_print, allocated here so that printing
     * allocates nothing and has no out-of-memory path. */
    size_t *column_widths;
};

/* The part of a cell that fits in a column: its first byte_count bytes,
 * followed by the ellipsis when is_cut is set, taking width columns. */
struct output_fit {
    size_t byte_count;
    size_t width;
    bool is_cut;
};

/* Returns a newly allocated copy of s that a terminal prints as plain text:
 * tab, line feed and carriage return become a space, other C0 and C1 control
 * characters, DEL and malformed UTF-8 become U+FFFD. NULL gives "". Returns
 * NULL when memory runs out. */
static char *
output_sanitize(const char *s)
{
    const unsigned char *in = (const unsigned char *)(s != NULL ? s : "");
    size_t len = strlen((const char *)in);
    size_t at = 0;
    char *copy;
    char *end;

    /* Each input byte becomes at most the three bytes of U+FFFD. */
    if (len > (SIZE_MAX - 1) / 3) {
        return NULL;
    }
    copy = malloc(len * 3 + 1);
    if (copy == NULL) {
        return NULL;
    }
    end = copy;
    while (at < len) {
        uint32_t cp;
        size_t step = text_utf8_decode(in + at, len - at, &cp);

        if (step == 0) {
            memcpy(end, OUTPUT_REPLACEMENT, 3);
            end += 3;
            at++;
        } else if (cp == '\t' || cp == '\n' || cp == '\r') {
            *end++ = ' ';
            at++;
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            memcpy(end, OUTPUT_REPLACEMENT, 3);
            end += 3;
            at += step;
        } else {
            memcpy(end, in + at, step);
            end += step;
            at += step;
        }
    }
    *end = '\0';
    return copy;
}

/* Returns the display width of the single character of len bytes at s. */
static size_t
output_char_width(const char *s, size_t len)
{
    char one[OUTPUT_UTF8_MAX + 1];

    memcpy(one, s, len);
    one[len] = '\0';
    return text_display_width(one);
}

/* Measures how much of the sanitised cell fits in max_width columns (0 for
 * no limit). A cut ends on a character boundary, leaves out any wide
 * character that would cross the limit and adds the ellipsis. */
static struct output_fit
output_fit_cell(const char *cell, size_t max_width)
{
    size_t len = strlen(cell);
    struct output_fit fit = {len, text_display_width(cell), false};
    size_t ellipsis_width = text_display_width(OUTPUT_ELLIPSIS);
    size_t limit;
    size_t at = 0;

    if (max_width == 0 || fit.width <= max_width) {
        return fit;
    }

    /* Keep the longest prefix that leaves room for the ellipsis. Combining
     * marks (width 0) after the last kept character stay with it. */
    limit = max_width > ellipsis_width ? max_width - ellipsis_width : 0;
    fit.width = 0;
    while (at < len) {
        uint32_t cp;
        size_t step = text_utf8_decode((const unsigned char *)cell + at,
                                         len - at, &cp);
        size_t width;

        /* output_sanitize leaves only well-formed UTF-8. */
        if (step == 0) {
            step = 1;
        }
        width = output_char_width(cell + at, step);
        if (fit.width + width > limit) {
            break;
        }
        fit.width += width;
        at += step;
    }
    fit.byte_count = at;
    fit.width += ellipsis_width;
    fit.is_cut = true;
    return fit;
}

/* Returns the number of trailing spaces in the first len bytes of s. */
static size_t
output_trailing_spaces(const char *s, size_t len)
{
    size_t count = 0;

    while (count < len && s[len - 1 - count] == ' ') {
        count++;
    }
    return count;
}

static void
output_put_spaces(FILE *out, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        fputc(' ', out);
    }
}

/* Prints one line of column_count cells padded to the column widths. Spaces
 * are written only when visible text follows them, so no line ends in a
 * space. */
static void
output_print_line(const struct output_table *table, char *const *cells,
                  FILE *out, size_t max_width)
{
    size_t pending = 0;

    for (size_t column = 0; column < table->column_count; column++) {
        struct output_fit fit = output_fit_cell(cells[column], max_width);
        size_t visible = fit.byte_count;
        size_t trailing = 0;

        if (column > 0) {
            pending += OUTPUT_COLUMN_GAP;
        }
        if (!fit.is_cut) {
            trailing = output_trailing_spaces(cells[column], fit.byte_count);
            visible -= trailing;
        }
        if (visible > 0 || fit.is_cut) {
            output_put_spaces(out, pending);
            fwrite(cells[column], 1, visible, out);
            if (fit.is_cut) {
                fputs(OUTPUT_ELLIPSIS, out);
            }
            pending = 0;
        }
        pending += trailing + table->column_widths[column] - fit.width;
    }
    fputc('\n', out);
}

/* Prints a line of "-" as wide as each column. */
static void
output_print_separator(const struct output_table *table, FILE *out)
{
    size_t pending = 0;

    for (size_t column = 0; column < table->column_count; column++) {
        size_t width = table->column_widths[column];

        if (column > 0) {
            pending += OUTPUT_COLUMN_GAP;
        }
        if (width == 0) {
            continue;
        }
        output_put_spaces(out, pending);
        pending = 0;
        for (size_t i = 0; i < width; i++) {
            fputc('-', out);
        }
    }
    fputc('\n', out);
}

/* Frees the first count strings of strings and the array itself. */
static void
output_free_strings(char **strings, size_t count)
{
    if (strings == NULL) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        free(strings[i]);
    }
    free(strings);
}

/* Returns a table whose headers are sanitised copies of headers. A NULL
 * headers array or a NULL header gives an empty header. Returns NULL when
 * memory runs out. The caller frees the table with output_table_free. */
struct output_table *
output_table_new(size_t column_count, const char *const *headers)
{
    struct output_table *table = calloc(1, sizeof(*table));

    if (table == NULL) {
        return NULL;
    }
    table->column_count = column_count;
    table->headers = calloc(column_count + 1, sizeof(*table->headers));
    table->column_widths = calloc(column_count + 1,
                                  sizeof(*table->column_widths));
    if (table->headers == NULL || table->column_widths == NULL) {
        goto fail;
    }
    for (size_t column = 0; column < column_count; column++) {
        const char *header = headers != NULL ? headers[column] : NULL;

        table->headers[column] = output_sanitize(header);
        if (table->headers[column] == NULL) {
            goto fail;
        }
    }
    return table;

fail:
    output_table_free(table);
    return NULL;
}

/* Ensures room for one more row. Returns 0, or XJ_ERR_NOMEM. */
static int
output_table_reserve(struct output_table *table)
{
    size_t capacity;
    char **cells;

    if (table->row_count < table->row_capacity) {
        return XJ_OK;
    }
    capacity = table->row_capacity == 0 ? 16 : table->row_capacity * 2;
    if (table->column_count > 0 &&
        capacity > SIZE_MAX / sizeof(*cells) / table->column_count) {
        return XJ_ERR_NOMEM;
    }
    cells = realloc(table->cells,
                    capacity * table->column_count * sizeof(*cells) + 1);
    if (cells == NULL) {
        return XJ_ERR_NOMEM;
    }
    table->cells = cells;
    table->row_capacity = capacity;
    return XJ_OK;
}

/* Appends a row of sanitised copies of column_count cells. A NULL cells
 * array or a NULL cell gives an empty cell. Returns 0, XJ_ERR_NOMEM when
 * memory runs out (the table is then unchanged) or XJ_ERR_INVALID when table
 * is NULL. */
int
output_table_add(struct output_table *table, const char *const *cells)
{
    char **row;
    int status;

    if (table == NULL) {
        return XJ_ERR_INVALID;
    }
    status = output_table_reserve(table);
    if (status != XJ_OK) {
        return status;
    }
    row = table->cells + table->row_count * table->column_count;
    for (size_t column = 0; column < table->column_count; column++) {
        row[column] = output_sanitize(cells != NULL ? cells[column] : NULL);
        if (row[column] == NULL) {
            for (size_t i = 0; i < column; i++) {
                free(row[i]);
            }
            return XJ_ERR_NOMEM;
        }
    }
    table->row_count++;
    return XJ_OK;
}

/* Prints the header line, a line of "-" under each column and the rows.
 * Columns are as wide as their widest cell after cutting, two spaces apart,
 * and no line ends in a space. Cells wider than max_width columns (0 for no
 * limit), headers included, are cut to at most max_width columns ending in
 * "…". Does nothing when table or out is NULL or the table has no columns.
 * Write errors are left in the error indicator of out. */
void
output_table_print(const struct output_table *table, FILE *out,
                   size_t max_width)
{
    if (table == NULL || out == NULL || table->column_count == 0) {
        return;
    }

    for (size_t column = 0; column < table->column_count; column++) {
        size_t width = output_fit_cell(table->headers[column],
                                       max_width).width;

        for (size_t row = 0; row < table->row_count; row++) {
            const char *cell =
                table->cells[row * table->column_count + column];
            size_t cell_width = output_fit_cell(cell, max_width).width;

            if (cell_width > width) {
                width = cell_width;
            }
        }
        table->column_widths[column] = width;
    }

    output_print_line(table, table->headers, out, max_width);
    output_print_separator(table, out);
    for (size_t row = 0; row < table->row_count; row++) {
        output_print_line(table, table->cells + row * table->column_count,
                          out, max_width);
    }
}

/* Frees a table and all its copied strings; NULL is allowed. */
void
output_table_free(struct output_table *table)
{
    if (table == NULL) {
        return;
    }
    output_free_strings(table->headers, table->column_count);
    if (table->cells != NULL) {
        for (size_t i = 0; i < table->row_count * table->column_count; i++) {
            free(table->cells[i]);
        }
        free(table->cells);
    }
    free(table->column_widths);
    free(table);
}
