/* SPDX-License-Identifier: MIT */
/*
 * The server's own check of an imported student row. The client checks
 * rows before sending them, but the server trusts no client: every field
 * is checked again here before it reaches the database.
 */
#ifndef XUEJI_ROWCHECK_H
#define XUEJI_ROWCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"
#include "xueji/v1/import.pb-c.h"

/* Checks row. Returns 0 when it may be stored; then *id_fault is "" or the
 * name of the failed resident-ID check, which becomes an "ID number
 * invalid" problem. Returns XJ_ERR_INVALID with err naming the field and
 * the (masked) value when the row must be rejected. today is YYYYMMDD. */
int rowcheck_student(const Xueji__V1__StudentRow *row, const char *today,
                     const char **id_fault, struct xj_error *err)
    XJ_MUSTCHECK;

/* The controlled (key) fields of a record. */
struct rowcheck_controlled {
    const char *name;
    const char *gender;
    const char *birth_date;     /* YYYYMMDD */
    const char *id_type;
    const char *id_number;
};

/* Checks controlled fields with the rules of an imported row; returns 0
 * with *id_fault set as rowcheck_student does, or XJ_ERR_INVALID with err
 * filled. */
int rowcheck_controlled(const struct rowcheck_controlled *fields,
                        const char *today, const char **id_fault,
                        struct xj_error *err) XJ_MUSTCHECK;

/* Tells whether s is valid UTF-8 of at most max bytes without control
 * characters. */
bool rowcheck_is_clean_text(const char *s, size_t max);

/* Writes the local date as YYYYMMDD into out. */
void rowcheck_today(char out[9]);

/* Tells whether s is YYYYMMDD and a real calendar date from 1900 on. */
bool rowcheck_is_date(const char *s);

#endif
