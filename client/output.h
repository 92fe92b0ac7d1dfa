/* SPDX-License-Identifier: MIT */
/*
 * Human output of the client: tables aligned by terminal display width
 * (CJK characters count as two columns). Machine output uses json-c.
 */
#ifndef XUEJI_OUTPUT_H
#define XUEJI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

struct output_table;

/* Returns a table with the given column headers (copied), or NULL when
 * memory runs out. */
struct output_table *output_table_new(size_t column_count,
                                      const char *const *headers);

/* Appends a row of column_count cells (copied; NULL prints as empty).
 * Returns 0, or XJ_ERR_NOMEM. */
int output_table_add(struct output_table *table, const char *const *cells);

/* Prints the table with two spaces between columns; cells longer than
 * max_width display columns (0 for no limit) are cut with "…". */
void output_table_print(const struct output_table *table, FILE *out,
                        size_t max_width);

/* Frees a table; NULL is allowed. */
void output_table_free(struct output_table *table);

#endif
