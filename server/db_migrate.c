/* SPDX-License-Identifier: MIT */
/*
 * Schema migrations: the files of server/sql are compiled into xuejid in
 * name order. Each file whose number is not yet in schema_migration runs
 * in its own transaction together with the row that records it, under an
 * advisory lock, so two operators migrating at once apply each file once.
 */
#include "db_migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "log.h"

extern const struct embed_file migrations_embed[];
extern const unsigned migrations_embed_count;

/* Advisory lock key held while migrating. */
#define DB_MIGRATE_LOCK "SELECT pg_advisory_lock(7000, 1)"
#define DB_MIGRATE_UNLOCK "SELECT pg_advisory_unlock(7000, 1)"

int
db_migrate_latest(void)
{
    int latest = 0;

    for (unsigned i = 0; i < migrations_embed_count; i++) {
        int version = atoi(migrations_embed[i].name);

        if (version > latest) {
            latest = version;
        }
    }
    return latest;
}

int
db_migrate_current(PGconn *pg, struct xj_error *err)
{
    PGresult *res;
    int version;

    res = PQexec(pg, "SELECT coalesce(max(version), 0) FROM schema_migration");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        if (!db_exec(pg, "create schema_migration",
                     "CREATE TABLE IF NOT EXISTS schema_migration ("
                     " version integer PRIMARY KEY,"
                     " name text NOT NULL,"
                     " applied_at timestamptz NOT NULL DEFAULT now())")) {
            return xj_error_set(err, XJ_ERR_DB, "database", NULL,
                                "check the account may create tables",
                                "cannot create table schema_migration");
        }
        return 0;
    }
    version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return version;
}

static int
db_migrate_apply(PGconn *pg, const struct embed_file *file, int version,
                 struct xj_error *err)
{
    char version_text[16];
    const char *params[2] = {version_text, file->name};
    PGresult *res;

    snprintf(version_text, sizeof(version_text), "%d", version);
    if (!db_exec(pg, "begin migration", "BEGIN")) {
        return xj_error_set(err, XJ_ERR_DB, NULL, file->name, NULL,
                            "cannot start a transaction");
    }
    res = PQexec(pg, file->data);
    if (PQresultStatus(res) != PGRES_COMMAND_OK &&
        PQresultStatus(res) != PGRES_TUPLES_OK) {
        xj_error_set(err, XJ_ERR_DB, NULL, file->name,
                     "nothing of this migration was applied; fix the "
                     "database and run migrate again",
                     "migration %s failed: %.*s", file->name,
                     (int)strcspn(PQresultErrorMessage(res), "\n"),
                     PQresultErrorMessage(res));
        PQclear(res);
        db_rollback(pg);
        return XJ_ERR_DB;
    }
    PQclear(res);
    res = PQexecParams(pg, "INSERT INTO schema_migration (version, name) "
                       "VALUES ($1, $2)", 2, NULL, params, NULL, NULL, 0);
    if (!db_result_ok(pg, res, "record migration") ||
        !db_exec(pg, "commit migration", "COMMIT")) {
        PQclear(res);
        db_rollback(pg);
        return xj_error_set(err, XJ_ERR_DB, NULL, file->name, NULL,
                            "cannot record migration %s", file->name);
    }
    PQclear(res);
    log_notice("migration applied file=%s", file->name);
    return 0;
}

int
db_migrate_run(PGconn *pg, struct xj_error *err)
{
    int current, rc = 0;

    if (!db_exec(pg, "migration lock", DB_MIGRATE_LOCK)) {
        return xj_error_set(err, XJ_ERR_DB, NULL, NULL, NULL,
                            "cannot take the migration lock");
    }
    current = db_migrate_current(pg, err);
    for (unsigned i = 0; current >= 0 && i < migrations_embed_count; i++) {
        int version = atoi(migrations_embed[i].name);

        if (version <= current) {
            continue;
        }
        rc = db_migrate_apply(pg, &migrations_embed[i], version, err);
        if (rc < 0) {
            break;
        }
    }
    if (current < 0) {
        rc = current;
    }
    (void)db_exec(pg, "migration unlock", DB_MIGRATE_UNLOCK);
    return rc;
}
