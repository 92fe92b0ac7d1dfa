/* SPDX-License-Identifier: MIT */
/*
 * Operator commands: migrate, load-divisions, add-school, add-account.
 * They run on the server host with the daemon's configuration, connect
 * with blocking libpq and print plain messages; each is safe to run again.
 */
#include "admin.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "db.h"
#include "db_migrate.h"
#include "divisions.h"
#include "log.h"
#include "password.h"

#define ADMIN_STRINGIFY(x) #x
#define ADMIN_STRING(x) ADMIN_STRINGIFY(x)

/* The usage line of an operator command, printed on a usage error, and the
 * description of what the command and each option do, added by --help. */
struct admin_help {
    const char *command;
    const char *usage;
    const char *description;
};

static const struct admin_help admin_helps[] = {
    {"migrate", "usage: xuejid [-c FILE] migrate\n",
     "\n"
     "Applies the pending schema migrations to the database named by the\n"
     "database key of the configuration. On a current schema it changes\n"
     "nothing. It takes no options.\n"},
    {"load-divisions",
     "usage: xuejid [-c FILE] load-divisions [--province CODE]\n",
     "\n"
     "Loads the provinces, cities and counties into the database, or\n"
     "updates their names if they are already loaded.\n"
     "\n"
     "Options:\n"
     "  --province CODE   load only this province, its cities and its\n"
     "                    counties (2-digit code, e.g. 41 for Henan);\n"
     "                    default: every province\n"},
    {"add-school",
     "usage: xuejid [-c FILE] add-school --code CODE --name NAME "
     "--county CODE [--phone TEL]\n",
     "\n"
     "Adds a school under a loaded county, or updates the name, county and\n"
     "telephone of the school with this code.\n"
     "\n"
     "Options:\n"
     "  --code CODE       10-digit school identifier code (required)\n"
     "  --name NAME       name of the school (required)\n"
     "  --county CODE     6-digit code of the county the school belongs to;\n"
     "                    load it first with load-divisions (required)\n"
     "  --phone TEL       telephone number shown to other schools\n"
     "                    (default: none)\n"},
    {"add-account",
     "usage: xuejid [-c FILE] add-account --user NAME --org CODE "
     "--role school|county|city|province\n",
     "\n"
     "Adds an account, or for an existing user name sets its organisation,\n"
     "role and password, clears its failed logins and enables it again.\n"
     "The password, " ADMIN_STRING(PASSWORD_MIN_LEN) " to "
     ADMIN_STRING(PASSWORD_MAX_LEN) " characters, comes from the\n"
     "XUEJID_PASSWORD environment variable or is read from the terminal\n"
     "without echo.\n"
     "\n"
     "Options:\n"
     "  --user NAME       user name to log in with, 1 to 63 characters\n"
     "                    (required)\n"
     "  --org CODE        code of the school, county, city or province the\n"
     "                    account works for (required)\n"
     "  --role ROLE       school, county, city or province; must match the\n"
     "                    level of the organisation (required)\n"},
};

static const struct admin_help *
admin_find_help(const char *command)
{
    for (size_t i = 0; i < sizeof(admin_helps) / sizeof(admin_helps[0]);
         i++) {
        if (strcmp(admin_helps[i].command, command) == 0) {
            return &admin_helps[i];
        }
    }
    return NULL;
}

bool
admin_print_help(const char *command, FILE *out)
{
    const struct admin_help *help = admin_find_help(command);

    if (help == NULL) {
        return false;
    }
    fputs(help->usage, out);
    fputs(help->description, out);
    return true;
}

/* Prints the usage line of command after an unexpected argument. */
static void
admin_print_usage_error(const char *command, const char *argument)
{
    fprintf(stderr, "xuejid: unexpected argument \"%s\"\n%s"
            "Run \"xuejid %s --help\" for the options.\n", argument,
            admin_find_help(command)->usage, command);
}

static PGconn *
admin_connect(const struct server_config *config)
{
    struct xj_error err;
    PGconn *pg;

    xj_error_clear(&err);
    pg = db_connect(config->database, &err);
    if (pg == NULL) {
        fprintf(stderr, "xuejid: %s\nhint: %s\n", err.message, err.hint);
    }
    return pg;
}

int
admin_check_schema(const char *conninfo, struct xj_error *err)
{
    PGconn *pg = db_connect(conninfo, err);
    int current;

    if (pg == NULL) {
        return XJ_ERR_DB;
    }
    current = db_migrate_current(pg, err);
    PQfinish(pg);
    if (current < 0) {
        return current;
    }
    if (current < db_migrate_latest()) {
        return xj_error_set(err, XJ_ERR_DB, "database", NULL,
                            "run \"xuejid migrate\" with the same configuration",
                            "database schema is at version %d, this xuejid "
                            "needs %d", current, db_migrate_latest());
    }
    if (current > db_migrate_latest()) {
        return xj_error_set(err, XJ_ERR_DB, "database", NULL,
                            "run the xuejid version that migrated this database",
                            "database schema version %d is newer than this "
                            "xuejid knows (%d)", current, db_migrate_latest());
    }
    return 0;
}

static int
admin_migrate(const struct server_config *config, int argc, char **argv)
{
    struct xj_error err;
    PGconn *pg;
    int before, rc;

    if (argc > 0) {
        admin_print_usage_error("migrate", argv[0]);
        return 2;
    }
    pg = admin_connect(config);
    if (pg == NULL) {
        return 1;
    }
    xj_error_clear(&err);
    before = db_migrate_current(pg, &err);
    rc = db_migrate_run(pg, &err);
    if (rc < 0) {
        fprintf(stderr, "xuejid: %s\nhint: %s\n", err.message, err.hint);
    } else {
        printf("schema at version %d (was %d)\n", db_migrate_latest(),
               before < 0 ? 0 : before);
    }
    PQfinish(pg);
    return rc < 0 ? 1 : 0;
}

struct admin_divisions {
    PGconn *pg;
    const char *province;   /* NULL: all */
    long loaded;
};

static int
admin_load_division(const struct divisions_entry *entry, void *arg)
{
    static const char *const kinds[] = {"province", "city", "county"};
    static const char sql[] =
        "INSERT INTO organisation (kind, code, name, parent_id) "
        "VALUES ($1, $2, $3, (SELECT id FROM organisation WHERE code = $4)) "
        "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name";
    struct admin_divisions *state = arg;
    const char *params[4];
    PGresult *res;

    if (state->province != NULL &&
        strncmp(entry->code, state->province, 2) != 0) {
        return 0;
    }
    params[0] = kinds[entry->level];
    params[1] = entry->code;
    params[2] = entry->name;
    params[3] = entry->parent;
    res = PQexecParams(state->pg, sql, 4, NULL, params, NULL, NULL, 0);
    if (!db_result_ok(state->pg, res, "load division")) {
        fprintf(stderr, "xuejid: cannot store division %s %s\n", entry->code,
                entry->name);
        PQclear(res);
        return XJ_ERR_DB;
    }
    PQclear(res);
    state->loaded++;
    return 0;
}

static int
admin_load_divisions(const struct server_config *config, int argc,
                     char **argv)
{
    struct admin_divisions state = {NULL, NULL, 0};

    if (argc == 2 && strcmp(argv[0], "--province") == 0) {
        state.province = argv[1];
        if (!divisions_province_exists(state.province) ||
            strlen(state.province) != 2) {
            fprintf(stderr, "xuejid: unknown province code \"%s\": use the "
                    "2-digit code, e.g. 41 for Henan\n", state.province);
            return 2;
        }
    } else if (argc != 0) {
        admin_print_usage_error("load-divisions", argv[0]);
        return 2;
    }
    state.pg = admin_connect(config);
    if (state.pg == NULL) {
        return 1;
    }
    if (!db_exec(state.pg, "begin", "BEGIN") ||
        divisions_each(admin_load_division, &state) != 0 ||
        !db_exec(state.pg, "commit", "COMMIT")) {
        db_rollback(state.pg);
        PQfinish(state.pg);
        fprintf(stderr, "xuejid: nothing was loaded\n");
        return 1;
    }
    PQfinish(state.pg);
    printf("loaded %ld divisions\n", state.loaded);
    return 0;
}

static bool
admin_is_digits(const char *s, size_t len)
{
    if (strlen(s) != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* Parses --key value pairs into values[] by the names in keys[]. Returns
 * false after printing the problem and the usage of command. */
static bool
admin_parse_pairs(int argc, char **argv, const char *const *keys,
                  const char **values, size_t count, const char *command)
{
    for (int i = 0; i < argc; i += 2) {
        size_t k;

        for (k = 0; k < count; k++) {
            if (strncmp(argv[i], "--", 2) == 0 &&
                strcmp(argv[i] + 2, keys[k]) == 0) {
                break;
            }
        }
        if (k == count || i + 1 >= argc) {
            admin_print_usage_error(command, argv[i]);
            return false;
        }
        values[k] = argv[i + 1];
    }
    return true;
}

static int
admin_exec_params(PGconn *pg, const char *context, const char *sql,
                  int count, const char *const *params, long *rows)
{
    PGresult *res = PQexecParams(pg, sql, count, NULL, params, NULL, NULL, 0);
    int rc = 0;

    if (!db_result_ok(pg, res, context)) {
        fprintf(stderr, "xuejid: %s failed: %s", context,
                PQresultErrorMessage(res));
        rc = 1;
    } else if (rows != NULL) {
        *rows = atol(PQcmdTuples(res));
    }
    PQclear(res);
    return rc;
}

static int
admin_add_school(const struct server_config *config, int argc, char **argv)
{
    static const char *const keys[] = {"code", "name", "county", "phone"};
    static const char sql[] =
        "INSERT INTO organisation (kind, code, name, parent_id, telephone) "
        "SELECT 'school', $1, $2, id, $4 FROM organisation "
        "WHERE code = $3 AND kind = 'county' "
        "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, "
        "parent_id = EXCLUDED.parent_id, telephone = EXCLUDED.telephone";
    const char *values[4] = {NULL, NULL, NULL, ""};
    long rows = 0;
    PGconn *pg;
    const char *usage = admin_find_help("add-school")->usage;
    int rc;

    if (!admin_parse_pairs(argc, argv, keys, values, 4, "add-school")) {
        return 2;
    }
    if (values[0] == NULL || !admin_is_digits(values[0], 10)) {
        fprintf(stderr, "xuejid: school code must be the 10-digit school "
                "identifier code, got \"%s\"\n", values[0] ? values[0] : "");
        return 2;
    }
    if (values[1] == NULL || values[1][0] == '\0' || values[2] == NULL ||
        !admin_is_digits(values[2], 6)) {
        fprintf(stderr, "xuejid: --name and a 6-digit --county are "
                "required\n%s", usage);
        return 2;
    }
    pg = admin_connect(config);
    if (pg == NULL) {
        return 1;
    }
    rc = admin_exec_params(pg, "add school", sql, 4, values, &rows);
    PQfinish(pg);
    if (rc == 0 && rows == 0) {
        fprintf(stderr, "xuejid: county %s is not loaded: run "
                "\"xuejid load-divisions\" first\n", values[2]);
        return 1;
    }
    if (rc == 0) {
        printf("school %s %s stored under county %s\n", values[0], values[1],
               values[2]);
    }
    return rc;
}

/* Reads a password without echo from the terminal into buf. */
static bool
admin_read_password(char *buf, size_t size)
{
    const char *env = getenv("XUEJID_PASSWORD");
    struct termios saved, quiet;
    bool echo_off;

    if (env != NULL) {
        snprintf(buf, size, "%s", env);
        return true;
    }
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "xuejid: set XUEJID_PASSWORD or run on a terminal "
                "to type the password\n");
        return false;
    }
    fprintf(stderr, "Password: ");
    echo_off = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (echo_off) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    if (fgets(buf, (int)size, stdin) == NULL) {
        buf[0] = '\0';
    }
    if (echo_off) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
    fputc('\n', stderr);
    buf[strcspn(buf, "\r\n")] = '\0';
    return true;
}

static int
admin_add_account(const struct server_config *config, int argc, char **argv)
{
    static const char *const keys[] = {"user", "org", "role"};
    static const char sql[] =
        "INSERT INTO account (username, org_id, role, password_hash) "
        "SELECT $1, id, $3, $4 FROM organisation WHERE code = $2 AND kind = $3 "
        "ON CONFLICT (username) DO UPDATE SET org_id = EXCLUDED.org_id, "
        "role = EXCLUDED.role, password_hash = EXCLUDED.password_hash, "
        "failed_logins = 0, disabled = false";
    const char *values[4] = {NULL, NULL, NULL, NULL};
    char password[PASSWORD_MAX_LEN + 2];
    char hash[PASSWORD_HASH_SIZE];
    long rows = 0;
    PGconn *pg;
    const char *usage = admin_find_help("add-account")->usage;
    int rc;

    if (!admin_parse_pairs(argc, argv, keys, values, 3, "add-account")) {
        return 2;
    }
    if (values[0] == NULL || values[1] == NULL || values[2] == NULL ||
        strlen(values[0]) == 0 || strlen(values[0]) > 63) {
        fprintf(stderr, "xuejid: --user (1 to 63 characters), --org and "
                "--role are required\n%s", usage);
        return 2;
    }
    if (strcmp(values[2], "school") != 0 && strcmp(values[2], "county") != 0
        && strcmp(values[2], "city") != 0 &&
        strcmp(values[2], "province") != 0) {
        fprintf(stderr, "xuejid: unknown role \"%s\"\n%s", values[2], usage);
        return 2;
    }
    if (!admin_read_password(password, sizeof(password))) {
        return 2;
    }
    if (password_hash(password, hash) < 0) {
        fprintf(stderr, "xuejid: the password must have %d to %d "
                "characters\n", PASSWORD_MIN_LEN, PASSWORD_MAX_LEN);
        return 2;
    }
    values[3] = hash;
    pg = admin_connect(config);
    if (pg == NULL) {
        return 1;
    }
    rc = admin_exec_params(pg, "add account", sql, 4, values, &rows);
    PQfinish(pg);
    if (rc == 0 && rows == 0) {
        fprintf(stderr, "xuejid: no %s organisation has code %s: the role "
                "must match the organisation's level\n", values[2],
                values[1]);
        return 1;
    }
    if (rc == 0) {
        printf("account %s stored for %s %s\n", values[0], values[2],
               values[1]);
    }
    return rc;
}

int
admin_command(const struct server_config *config, const char *command,
              int argc, char **argv)
{
    if (strcmp(command, "migrate") == 0) {
        return admin_migrate(config, argc, argv);
    }
    if (strcmp(command, "load-divisions") == 0) {
        return admin_load_divisions(config, argc, argv);
    }
    if (strcmp(command, "add-school") == 0) {
        return admin_add_school(config, argc, argv);
    }
    if (strcmp(command, "add-account") == 0) {
        return admin_add_account(config, argc, argv);
    }
    fprintf(stderr, "xuejid: unknown command \"%s\"; see xuejid --help\n",
            command);
    return 2;
}
