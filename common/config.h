/* SPDX-License-Identifier: MIT */
/*
 * Typed configuration tables over libinih. Each row names a key, its type,
 * where it is stored, its default, its bounds and its help text; the same
 * table loads files, applies command-line overrides and prints the
 * documented example.
 */
#ifndef XUEJI_CONFIG_H
#define XUEJI_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "status.h"

enum config_type {
    CONFIG_STRING,      /* char * (malloc'ed), "" allowed */
    CONFIG_INT,         /* long, within min..max */
    CONFIG_BOOL,        /* bool: true/false, yes/no, on/off, 1/0 */
};

struct config_key {
    const char *name;
    enum config_type type;
    size_t offset;              /* offsetof() in the target struct */
    const char *default_value;
    long min, max;              /* bounds of CONFIG_INT */
    const char *help;           /* one line, with the unit */
};

/* Stores every key's default into target. Returns 0 or XJ_ERR_NOMEM. */
int config_defaults(const struct config_key *table, void *target)
    XJ_MUSTCHECK;

/* Sets one key from text. Fails with err naming key and value when the key
 * is unknown or the value does not parse or is out of bounds. */
int config_set(const struct config_key *table, void *target,
               const char *name, const char *value, struct xj_error *err)
    XJ_MUSTCHECK;

/* Loads the keys of [section] from path. Fails on the first bad line with
 * err naming the file, line, key and value. Other sections are ignored. */
int config_load(const struct config_key *table, void *target,
                const char *path, const char *section, struct xj_error *err)
    XJ_MUSTCHECK;

/* Frees the strings of target (not target itself). */
void config_release(const struct config_key *table, void *target);

/* Prints every key of target in the format of the configuration file:
 * commented out where it has its default, set with the default noted
 * where the file or an override changed it. A password=... part of a
 * string value (libpq connection strings) is printed as "***". */
void config_print_values(const struct config_key *table, const void *target,
                         const char *section, FILE *out);

#endif
