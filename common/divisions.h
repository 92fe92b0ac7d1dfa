/* SPDX-License-Identifier: MIT */
/*
 * The administrative division codes (GB/T 2260, as of 2024) compiled into
 * the binaries from the CSV files in common/divisions.
 */
#ifndef XUEJI_DIVISIONS_H
#define XUEJI_DIVISIONS_H

#include <stdbool.h>

enum divisions_level {
    DIVISIONS_PROVINCE,     /* 2-digit code */
    DIVISIONS_CITY,         /* 4-digit code */
    DIVISIONS_COUNTY,       /* 6-digit code */
};

struct divisions_entry {
    enum divisions_level level;
    char code[7];
    char parent[7];         /* "" for provinces */
    char name[64];          /* UTF-8 */
};

/* Calls visit for every entry, provinces first, then cities, then
 * counties, each in file order; stops early and returns the callback's
 * value when it is not 0. Returns 0 after the last entry, or XJ_ERR_NOMEM. */
int divisions_each(int (*visit)(const struct divisions_entry *entry, void *arg),
                   void *arg);

/* Tells whether code is a 6-digit county-level code in the list. */
bool divisions_county_exists(const char *code);

/* Tells whether code is a 2-digit province code in the list or one of the
 * codes of Hong Kong, Macau and Taiwan residence permits (81, 82, 83). */
bool divisions_province_exists(const char *code);

#endif
