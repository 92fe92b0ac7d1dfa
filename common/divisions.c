/* SPDX-License-Identifier: MIT */
/*
 * The administrative division table, parsed on first use from the CSV files
 * that the build embeds (provinces.csv, cities.csv, areas.csv, in that
 * order). Loading the table into the database is left to the server.
 */
#include "divisions.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "status.h"

extern const struct embed_file divisions_embed[];
extern const unsigned divisions_embed_count;

/* How many numbers 6-digit county codes and 2-digit province codes can
 * take. */
#define DIVISIONS_COUNTY_NUMBERS 1000000
#define DIVISIONS_PROVINCE_NUMBERS 100

/* Entries in file order, and the codes of counties and provinces as sets
 * of one bit per number. */
static struct divisions_entry *divisions_entries;
static size_t divisions_entry_count;
static unsigned char *divisions_county_set;
static unsigned char *divisions_province_set;
static pthread_once_t divisions_once = PTHREAD_ONCE_INIT;
static int divisions_status;

/* Copies one CSV field starting at *p into out (size bytes), removing the
 * quotes around it and undoing doubled quotes. Moves *p past the comma. */
static void
divisions_read_field(const char **p, const char *end, char *out, size_t size)
{
    const char *s = *p;
    size_t n = 0;
    bool quoted = s < end && *s == '"';

    if (quoted) {
        s++;
    }
    while (s < end) {
        if (quoted && *s == '"') {
            if (s + 1 < end && s[1] == '"') {
                s++;
            } else {
                quoted = false;
                s++;
                continue;
            }
        } else if (!quoted && (*s == ',' || *s == '\n' || *s == '\r')) {
            break;
        }
        if (n + 1 < size) {
            out[n++] = *s;
        }
        s++;
    }
    out[n] = '\0';
    if (s < end && *s == ',') {
        s++;
    }
    *p = s;
}

/* Parses the lines of one embedded file after its header line. The parent
 * is the third column of cities.csv and areas.csv. */
static void
divisions_parse_file(const struct embed_file *file, enum divisions_level level)
{
    const char *p = file->data;
    const char *end = file->data + file->length;
    const char *eol = memchr(p, '\n', file->length);

    p = eol != NULL ? eol + 1 : end;
    while (p < end) {
        struct divisions_entry *entry =
            &divisions_entries[divisions_entry_count];

        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL) {
            eol = end;
        }
        if (eol > p && !(eol - p == 1 && *p == '\r')) {
            memset(entry, 0, sizeof(*entry));
            entry->level = level;
            divisions_read_field(&p, eol, entry->code, sizeof(entry->code));
            divisions_read_field(&p, eol, entry->name, sizeof(entry->name));
            if (level != DIVISIONS_PROVINCE) {
                divisions_read_field(&p, eol, entry->parent,
                                     sizeof(entry->parent));
            }
            divisions_entry_count++;
        }
        p = eol < end ? eol + 1 : end;
    }
}

/* Returns a set of the numeric codes below numbers of one level. */
static unsigned char *
divisions_code_set(enum divisions_level level, uint32_t numbers)
{
    unsigned char *set = calloc(numbers / CHAR_BIT + 1, 1);

    if (set == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < divisions_entry_count; i++) {
        if (divisions_entries[i].level == level) {
            uint32_t code =
                (uint32_t)strtoul(divisions_entries[i].code, NULL, 10);

            if (code < numbers) {
                set[code / CHAR_BIT] |= (unsigned char)(1u << code % CHAR_BIT);
            }
        }
    }
    return set;
}

static size_t
divisions_count_lines(void)
{
    size_t lines = 0;

    for (unsigned i = 0; i < divisions_embed_count; i++) {
        const char *data = divisions_embed[i].data;

        for (size_t j = 0; j < divisions_embed[i].length; j++) {
            lines += data[j] == '\n';
        }
        lines++;
    }
    return lines;
}

static void
divisions_load(void)
{
    static const enum divisions_level levels[] = {
        DIVISIONS_PROVINCE, DIVISIONS_CITY, DIVISIONS_COUNTY,
    };

    /* Every line contains at most one entry, so this bounds the table. */
    divisions_entries = calloc(divisions_count_lines(),
                               sizeof(*divisions_entries));
    if (divisions_entries == NULL) {
        divisions_status = XJ_ERR_NOMEM;
        return;
    }
    for (unsigned i = 0; i < divisions_embed_count && i < 3; i++) {
        divisions_parse_file(&divisions_embed[i], levels[i]);
    }
    divisions_county_set =
        divisions_code_set(DIVISIONS_COUNTY, DIVISIONS_COUNTY_NUMBERS);
    divisions_province_set =
        divisions_code_set(DIVISIONS_PROVINCE, DIVISIONS_PROVINCE_NUMBERS);
    if (divisions_county_set == NULL || divisions_province_set == NULL) {
        divisions_status = XJ_ERR_NOMEM;
    }
}

static int
divisions_ready(void)
{
    pthread_once(&divisions_once, divisions_load);
    return divisions_status;
}

int
divisions_each(int (*visit)(const struct divisions_entry *entry, void *arg),
               void *arg)
{
    int rc = divisions_ready();

    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < divisions_entry_count; i++) {
        rc = visit(&divisions_entries[i], arg);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static bool
divisions_is_digits(const char *code, size_t len)
{
    if (code == NULL || strlen(code) != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (code[i] < '0' || code[i] > '9') {
            return false;
        }
    }
    return true;
}

/* Tells whether code, which divisions_is_digits has checked, is in set. */
static bool
divisions_code_in(const unsigned char *set, const char *code)
{
    uint32_t number = 0;

    for (; *code != '\0'; code++) {
        number = number * 10 + (uint32_t)(*code - '0');
    }
    return set != NULL
        && (set[number / CHAR_BIT] >> number % CHAR_BIT & 1) != 0;
}

bool
divisions_county_exists(const char *code)
{
    if (!divisions_is_digits(code, 6) || divisions_ready() != 0) {
        return false;
    }
    return divisions_code_in(divisions_county_set, code);
}

bool
divisions_province_exists(const char *code)
{
    if (!divisions_is_digits(code, 2)) {
        return false;
    }

    /* Residence permits of Hong Kong, Macau and Taiwan residents. */
    if (strcmp(code, "81") == 0 || strcmp(code, "82") == 0
        || strcmp(code, "83") == 0) {
        return true;
    }
    if (divisions_ready() != 0) {
        return false;
    }
    return divisions_code_in(divisions_province_set, code);
}
