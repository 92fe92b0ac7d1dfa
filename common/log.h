/* SPDX-License-Identifier: MIT */
/*
 * Log lines on stderr: time, level, a short English phrase and key=value
 * details. ID numbers reach the log only through idcard_mask().
 */
#ifndef XUEJI_LOG_H
#define XUEJI_LOG_H

#include <stdbool.h>

#include "status.h"

enum log_level {
    LOG_LEVEL_ERROR,
    LOG_LEVEL_WARN,
    LOG_LEVEL_NOTICE,
    LOG_LEVEL_INFO,
    LOG_LEVEL_DEBUG,
};

/* Sets the most verbose level written. */
void log_set_level(enum log_level level);

/* Parses "error", "warning", "notice", "info" or "debug"; returns 0 or
 * XJ_ERR_INVALID. */
int log_level_parse(const char *name, enum log_level *level) XJ_MUSTCHECK;

/* Tells whether a message of this level would be written. */
bool log_enabled(enum log_level level);

/* Writes one line at level; thread-safe. */
void log_write(enum log_level level, const char *fmt, ...) XJ_PRINTF(2, 3);

/* Routes libevent's own warnings into this logger. */
void log_bridge_libevent(void);

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_notice(...) log_write(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                   \
    do {                                                                 \
        if (log_enabled(LOG_LEVEL_DEBUG)) {                              \
            log_write(LOG_LEVEL_DEBUG, __VA_ARGS__);                     \
        }                                                                \
    } while (0)

#endif
