/* SPDX-License-Identifier: MIT */
/*
 * Project-wide status codes and the error object that validators fill.
 * Functions return 0 on success and a negative enum xj_status on failure;
 * yes/no questions return bool instead.
 */
#ifndef XUEJI_STATUS_H
#define XUEJI_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#define XJ_MUSTCHECK __attribute__((warn_unused_result))
#define XJ_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum xj_status {
    XJ_OK = 0,
    XJ_ERR_NOMEM = -1,
    XJ_ERR_INVALID = -2,      /* bad input: fix the value */
    XJ_ERR_IO = -3,
    XJ_ERR_TLS = -4,
    XJ_ERR_PROTOCOL = -5,
    XJ_ERR_TOO_LARGE = -6,
    XJ_ERR_DB = -7,
    XJ_ERR_AUTH = -8,
    XJ_ERR_DENIED = -9,
    XJ_ERR_NOT_FOUND = -10,
    XJ_ERR_CONFLICT = -11,
    XJ_ERR_INTERNAL = -12,
    XJ_ERR_UNAVAILABLE = -13,
};

/* Validation or request error: what failed, on which field and value, and
 * what to do. `value` holds an ID number only in masked form. */
struct xj_error {
    enum xj_status code;
    char field[64];
    char value[128];
    char message[256];
    char hint[256];
};

/* Returns the constant name of a status ("invalid", "database error"). */
const char *xj_status_name(enum xj_status status);

/* Clears an error object to XJ_OK with empty strings. */
void xj_error_clear(struct xj_error *err);

/* Fills err (which may be NULL) and returns code, so a validator can end
 * with `return xj_error_set(...)`. field, value and hint may be NULL. */
int xj_error_set(struct xj_error *err, enum xj_status code, const char *field,
                 const char *value, const char *hint, const char *fmt, ...)
    XJ_PRINTF(6, 7);

#endif
