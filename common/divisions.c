/* SPDX-License-Identifier: MIT */
/*
 * The administrative division table, parsed on first use from the CSV files
 * that the build embeds (provinces.csv, cities.csv, areas.csv, in that
 * order). Loading the table into the database is left to the server.
 */
#include "divisions.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "status.h"

extern const struct embed_file divisions_embed[];
extern const unsigned divisions_embed_count;

/* Entries in file order, and sorted codes for binary search. */
static struct divisions_entry *divisions_entries;
static size_t divisions_entry_count;
static uint32_t *divisions_county_codes;
static size_t divisions_county_count;
static uint32_t *divisions_province_codes;
static size_t divisions_province_count;
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

static int
divisions_compare_code(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Fills a sorted array with the numeric codes of one level. */
static uint32_t *
divisions_sorted_codes(enum divisions_level level, size_t *count)
{
    uint32_t *codes = malloc((divisions_entry_count + 1) * sizeof(*codes));
    size_t n = 0;

    if (codes == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < divisions_entry_count; i++) {
        if (divisions_entries[i].level == level) {
            codes[n++] = (uint32_t)strtoul(divisions_entries[i].code, NULL, 10);
        }
    }
    qsort(codes, n, sizeof(*codes), divisions_compare_code);
    *count = n;
    return codes;
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
    divisions_county_codes = divisions_sorted_codes(DIVISIONS_COUNTY,
                                                    &divisions_county_count);
    divisions_province_codes =
        divisions_sorted_codes(DIVISIONS_PROVINCE, &divisions_province_count);
    if (divisions_county_codes == NULL || divisions_province_codes == NULL) {
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

static bool
divisions_code_in(const uint32_t *codes, size_t count, const char *code)
{
    uint32_t key = (uint32_t)strtoul(code, NULL, 10);

    return codes != NULL
        && bsearch(&key, codes, count, sizeof(*codes),
                   divisions_compare_code) != NULL;
}

bool
divisions_county_exists(const char *code)
{
    if (!divisions_is_digits(code, 6) || divisions_ready() != 0) {
        return false;
    }
    return divisions_code_in(divisions_county_codes, divisions_county_count,
                             code);
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
    return divisions_code_in(divisions_province_codes,
                             divisions_province_count, code);
}
