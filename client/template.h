/* SPDX-License-Identifier: MIT */
/*
 * Reading of the import template saved as CSV (UTF-8 with or without a
 * byte-order mark, or GB18030/GBK as Excel and WPS save it on Chinese
 * Windows): header mapping, normalisation of every cell, and the format
 * check of every row with row, column, value and a fix for each fault.
 */
#ifndef XUEJI_TEMPLATE_H
#define XUEJI_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* Template columns in template order. */
enum template_field {
    TEMPLATE_NAME,
    TEMPLATE_GENDER,
    TEMPLATE_BIRTH_DATE,
    TEMPLATE_ID_TYPE,
    TEMPLATE_ID_NUMBER,
    TEMPLATE_NATIONALITY,
    TEMPLATE_ETHNICITY,
    TEMPLATE_GRADE,
    TEMPLATE_CLASS,
    TEMPLATE_ENROL_MONTH,
    TEMPLATE_OVERSEAS_STATUS,
    TEMPLATE_HEALTH,
    TEMPLATE_HOUSEHOLD_TYPE,
    TEMPLATE_ATTENDANCE,
    TEMPLATE_ENTRY_MODE,
    TEMPLATE_ADDRESS,
    TEMPLATE_TELEPHONE,
    TEMPLATE_CLASS_NUMBER,
    TEMPLATE_FIELD_COUNT,
};

enum template_severity {
    TEMPLATE_ERROR,     /* the row is not sent */
    TEMPLATE_WARNING,   /* sent, but the registrar should look */
    TEMPLATE_NOTICE,    /* a value was normalised */
};

/* One finding about one cell (or the whole file when row is 0). */
struct template_diag {
    unsigned row;                   /* line in the file, header is 1 */
    enum template_field field;      /* TEMPLATE_FIELD_COUNT for the row or file */
    enum template_severity severity;
    bool id_only;                   /* an ID number fault (see id_invalid) */
    char value[128];                /* masked when it is an ID number */
    char message[256];
    char hint[256];
};

struct template_row {
    unsigned row;                           /* line in the file */
    char *value[TEMPLATE_FIELD_COUNT];      /* normalised, "" when empty */
    char import_key[33];                    /* 32 lowercase hex digits */
    bool has_error;     /* some error other than the ID number */
    bool id_invalid;    /* the ID number fails its check */
};

struct template_text_block;

struct template_file {
    struct template_row *rows;
    size_t row_count;
    struct template_diag *diags;
    size_t diag_count;
    const char *encoding;           /* "UTF-8", "UTF-8 with BOM" or "GB18030" */
    struct template_text_block *text_blocks;    /* storage of the values */
};

/* Reads and checks the CSV file at path, checking the rows of long files
 * in a second thread. Returns 0 and *out (free it with template_free),
 * also when rows have errors. Returns a negative status and fills err
 * when the file cannot be read, cannot be decoded, or has no usable
 * header row. today is YYYYMMDD or NULL for the current date. */
int template_read(const char *path, const char *today,
                  struct template_file **out, struct xj_error *err)
    XJ_MUSTCHECK;

/* The controlled fields are the first of enum template_field. */
#define TEMPLATE_CONTROLLED_COUNT (TEMPLATE_ID_NUMBER + 1)

/* Normalises and checks the corrected controlled fields of a change with
 * the rules and findings of a template row. values has
 * TEMPLATE_CONTROLLED_COUNT entries indexed by enum template_field. NULL
 * or "" keeps the record's value, and only given fields are checked. An ID
 * number given without an ID type is checked as a resident ID number.
 * Checks against kept values (the record is not at hand) are left to the
 * server. Returns 0 and *out, one row with row number 0 whose values are
 * the normalised corrections ("" elsewhere) plus its findings. Free it
 * with template_free. Returns a negative status with err filled when
 * today (YYYYMMDD, or NULL for the current date) is invalid or memory
 * runs out. */
int template_check_controlled(const char *const *values, const char *today,
                              struct template_file **out,
                              struct xj_error *err) XJ_MUSTCHECK;

/* Frees a template file; NULL is allowed. */
void template_free(struct template_file *file);

/* Returns the Chinese column header of a field, e.g. "姓名". */
const char *template_header(enum template_field field);

/* Returns the English identifier of a field, e.g. "name". */
const char *template_field_id(enum template_field field);

/* Tells whether the field must be filled in every row. */
bool template_field_is_required(enum template_field field);

#endif
