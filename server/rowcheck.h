/* SPDX-License-Identifier: MIT */
/*
 * The server's own check of an imported student row. The client checks
 * rows before sending them, but the server trusts no client: every field
 * is checked again here before it reaches the database.
 */
#ifndef XUEJI_ROWCHECK_H
#define XUEJI_ROWCHECK_H

#include <stdbool.h>

#include "status.h"
#include "xueji/v1/import.pb-c.h"

/* Checks row. Returns 0 when it may be stored; then *id_fault is "" or the
 * name of the failed resident-ID check, which becomes an "ID number
 * invalid" problem. Returns XJ_ERR_INVALID with err naming the field and
 * the (masked) value when the row must be rejected. today is YYYYMMDD. */
int rowcheck_student(const Xueji__V1__StudentRow *row, const char *today,
                     const char **id_fault, struct xj_error *err)
    XJ_MUSTCHECK;

/* Tells whether s is YYYYMMDD and a real calendar date from 1900 on. */
bool rowcheck_is_date(const char *s);

#endif
