/* SPDX-License-Identifier: MIT */
/*
 * Code tables of the national student form: gender, ID type, ethnicity
 * (GB 3304), nationality (GB/T 2659), overseas status, health, household
 * type, attendance and entry mode. Lookups accept either the code or the
 * Chinese name and return the code.
 */
#ifndef XUEJI_CODES_H
#define XUEJI_CODES_H

#include <stddef.h>

enum codes_table {
    CODES_GENDER,
    CODES_ID_TYPE,
    CODES_ETHNICITY,
    CODES_NATIONALITY,
    CODES_OVERSEAS_STATUS,
    CODES_HEALTH,
    CODES_HOUSEHOLD_TYPE,
    CODES_ATTENDANCE,
    CODES_ENTRY_MODE,
    CODES_TABLE_COUNT,
};

struct codes_entry {
    const char *code;
    const char *name;   /* Chinese name as on the form */
};

/* Returns the code of value in table, matching a code ("01") or a name
 * ("汉族"); returns NULL when value is in neither. */
const char *codes_lookup(enum codes_table table, const char *value);

/* Returns the name of a code, or NULL for an unknown code. */
const char *codes_name(enum codes_table table, const char *code);

/* Returns the entries of a table and stores their number in *count. */
const struct codes_entry *codes_entries(enum codes_table table, size_t *count);

#endif
