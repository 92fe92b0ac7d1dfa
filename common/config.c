/* SPDX-License-Identifier: MIT */
/* Configuration tables: defaults, overrides and INI files via libinih. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct config_key *
config_find(const struct config_key *table, const char *name)
{
    for (; table->name != NULL; table++) {
        if (strcmp(table->name, name) == 0) {
            return table;
        }
    }
    return NULL;
}

static int
config_parse_bool(const char *value, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return XJ_ERR_INVALID;
}

static int
config_store(const struct config_key *key, void *target, const char *value,
             struct xj_error *err)
{
    char *slot = (char *)target + key->offset;
    char *end = NULL;
    long number;
    bool flag;

    switch (key->type) {
    case CONFIG_STRING: {
        char *copy = strdup(value);

        if (copy == NULL) {
            return xj_error_set(err, XJ_ERR_NOMEM, key->name, NULL, NULL,
                                "out of memory");
        }
        free(*(char **)slot);
        *(char **)slot = copy;
        return 0;
    }
    case CONFIG_INT:
        errno = 0;
        number = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' ||
            number < key->min || number > key->max) {
            return xj_error_set(err, XJ_ERR_INVALID, key->name, value, NULL,
                                "invalid value \"%s\" for %s: expected a "
                                "whole number from %ld to %ld",
                                value, key->name, key->min, key->max);
        }
        *(long *)slot = number;
        return 0;
    case CONFIG_BOOL:
        if (config_parse_bool(value, &flag) < 0) {
            return xj_error_set(err, XJ_ERR_INVALID, key->name, value, NULL,
                                "invalid value \"%s\" for %s: expected true "
                                "or false", value, key->name);
        }
        *(bool *)slot = flag;
        return 0;
    }
    return XJ_ERR_INTERNAL;
}

int
config_set(const struct config_key *table, void *target, const char *name,
           const char *value, struct xj_error *err)
{
    const struct config_key *key = config_find(table, name);

    if (key == NULL) {
        return xj_error_set(err, XJ_ERR_INVALID, name, value,
                            "see the example configuration for valid keys",
                            "unknown configuration key \"%s\"", name);
    }
    return config_store(key, target, value, err);
}

int
config_defaults(const struct config_key *table, void *target)
{
    for (; table->name != NULL; table++) {
        if (config_store(table, target, table->default_value, NULL) < 0) {
            return XJ_ERR_NOMEM;
        }
    }
    return 0;
}

struct config_load_state {
    const struct config_key *table;
    void *target;
    const char *section;
    struct xj_error *err;
};

static int
config_ini_handler(void *arg, const char *section, const char *name,
                   const char *value)
{
    struct config_load_state *state = arg;

    if (strcmp(section, state->section) != 0) {
        return 1;
    }
    return config_set(state->table, state->target, name, value,
                      state->err) == 0;
}

int
config_load(const struct config_key *table, void *target, const char *path,
            const char *section, struct xj_error *err)
{
    struct config_load_state state = {table, target, section, err};
    struct xj_error inner;
    FILE *file = fopen(path, "r");
    int rc;

    if (file == NULL) {
        return xj_error_set(err, XJ_ERR_IO, "config", path,
                            "pass an existing file with --config",
                            "cannot open configuration file %s: %s", path,
                            strerror(errno));
    }
    xj_error_clear(&inner);
    state.err = &inner;
    rc = ini_parse_file(file, config_ini_handler, &state);
    fclose(file);
    if (rc == 0) {
        return 0;
    }
    if (inner.code != XJ_OK) {
        return xj_error_set(err, inner.code, inner.field, inner.value,
                            inner.hint, "%s:%d: %s", path, rc,
                            inner.message);
    }
    return xj_error_set(err, XJ_ERR_INVALID, "config", path,
                        "lines are \"key = value\" under [section] headers",
                        "%s:%d: syntax error", path, rc);
}

void
config_release(const struct config_key *table, void *target)
{
    for (; table->name != NULL; table++) {
        if (table->type == CONFIG_STRING) {
            char **slot = (char **)((char *)target + table->offset);

            free(*slot);
            *slot = NULL;
        }
    }
}

/* Writes value into out, size bytes, with any password=WORD as
 * password=***. */
static void
config_hide_password(const char *value, char *out, size_t size)
{
    const char *found = strstr(value, "password=");
    size_t keep;

    if (found == NULL) {
        snprintf(out, size, "%s", value);
        return;
    }
    keep = (size_t)(found - value) + strlen("password=");
    found += strlen("password=");
    found += strcspn(found, " ");
    snprintf(out, size, "%.*s***%s", (int)keep, value, found);
}

void
config_print_values(const struct config_key *table, const void *target,
                    const char *section, FILE *out)
{
    fprintf(out, "[%s]\n", section);
    for (; table->name != NULL; table++) {
        const char *slot = (const char *)target + table->offset;
        char value[1024];

        switch (table->type) {
        case CONFIG_STRING:
            config_hide_password(*(char *const *)slot, value, sizeof(value));
            break;
        case CONFIG_INT:
            snprintf(value, sizeof(value), "%ld", *(const long *)slot);
            break;
        case CONFIG_BOOL:
            snprintf(value, sizeof(value), "%s",
                     *(const bool *)slot ? "true" : "false");
            break;
        }
        if (strcmp(value, table->default_value) == 0) {
            fprintf(out, "\n# %s\n#%s = %s\n", table->help, table->name,
                    value);
        } else {
            fprintf(out, "\n# %s (default: %s)\n%s = %s\n", table->help,
                    table->default_value, table->name, value);
        }
    }
}
