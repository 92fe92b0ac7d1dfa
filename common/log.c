/* SPDX-License-Identifier: MIT */
/*
 * The logger: one line per message on stderr, written with a single
 * write(2) so lines from several threads never interleave.
 */
#include "log.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_threshold = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {
    "error", "warning", "notice", "info", "debug",
};

void
log_set_level(enum log_level level)
{
    atomic_store(&log_threshold, (int)level);
}

int
log_level_parse(const char *name, enum log_level *level)
{
    for (int i = 0; i <= LOG_LEVEL_DEBUG; i++) {
        if (strcmp(name, log_level_names[i]) == 0) {
            *level = (enum log_level)i;
            return 0;
        }
    }
    if (strcmp(name, "warn") == 0) {
        *level = LOG_LEVEL_WARN;
        return 0;
    }
    return XJ_ERR_INVALID;
}

bool
log_enabled(enum log_level level)
{
    return (int)level <= atomic_load(&log_threshold);
}

void
log_write(enum log_level level, const char *fmt, ...)
{
    char line[2048];
    struct timeval now;
    struct tm tm;
    size_t used;
    va_list ap;
    int n;

    if (!log_enabled(level)) {
        return;
    }
    gettimeofday(&now, NULL);
    gmtime_r(&now.tv_sec, &tm);
    used = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n = snprintf(line + used, sizeof(line) - used, ".%03ldZ %s ",
                 (long)(now.tv_usec / 1000), log_level_names[level]);
    used += (size_t)n;

    va_start(ap, fmt);
    n = vsnprintf(line + used, sizeof(line) - used - 1, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    used += (size_t)n;
    if (used > sizeof(line) - 2) {
        used = sizeof(line) - 2;
    }
    line[used++] = '\n';
    if (write(STDERR_FILENO, line, used) < 0) {
        /* Nothing sensible is left to report to. */
    }
}

static void
log_libevent_callback(int severity, const char *msg)
{
    enum log_level level = LOG_LEVEL_DEBUG;

    if (severity == EVENT_LOG_ERR) {
        level = LOG_LEVEL_ERROR;
    } else if (severity == EVENT_LOG_WARN) {
        level = LOG_LEVEL_WARN;
    }
    log_write(level, "libevent: %s", msg);
}

void
log_bridge_libevent(void)
{
    event_set_log_callback(log_libevent_callback);
}
