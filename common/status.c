/* SPDX-License-Identifier: MIT */
/* Names of the shared status codes and struct xj_error helpers. */
#include "status.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

const char *
xj_status_name(enum xj_status status)
{
    switch (status) {
    case XJ_OK: return "ok";
    case XJ_ERR_NOMEM: return "out of memory";
    case XJ_ERR_INVALID: return "invalid";
    case XJ_ERR_IO: return "input/output error";
    case XJ_ERR_TLS: return "TLS error";
    case XJ_ERR_PROTOCOL: return "protocol error";
    case XJ_ERR_TOO_LARGE: return "too large";
    case XJ_ERR_DB: return "database error";
    case XJ_ERR_AUTH: return "authentication failed";
    case XJ_ERR_DENIED: return "permission denied";
    case XJ_ERR_NOT_FOUND: return "not found";
    case XJ_ERR_CONFLICT: return "conflict";
    case XJ_ERR_INTERNAL: return "internal error";
    case XJ_ERR_UNAVAILABLE: return "unavailable";
    }
    return "unknown status";
}

void
xj_error_clear(struct xj_error *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
}

/* Drops a character that the end of the buffer cut from s. */
static void
status_cut_at_character(char *s)
{
    s[text_utf8_valid_length(s, strlen(s))] = '\0';
}

int
xj_error_set(struct xj_error *err, enum xj_status code, const char *field,
             const char *value, const char *hint, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return code;
    }
    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    snprintf(err->value, sizeof(err->value), "%s", value ? value : "");
    snprintf(err->hint, sizeof(err->hint), "%s", hint ? hint : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    /* A value cut at the buffer's end may end inside a character, and
     * JSON output and terminals need whole UTF-8. */
    status_cut_at_character(err->value);
    status_cut_at_character(err->hint);
    status_cut_at_character(err->message);
    return code;
}
