/* SPDX-License-Identifier: MIT */
/*
 * The database thread pool. Worker loops never wait on PostgreSQL: they
 * queue a db_job; a pool thread runs it on its own blocking libpq
 * connection and posts it back to the owning worker, whose loop calls
 * job->done.
 */
#ifndef XUEJI_DB_H
#define XUEJI_DB_H

#include <libpq-fe.h>
#include <stdint.h>
#include <stdbool.h>

#include "status.h"

struct worker;

/* One pool thread's connection. */
struct db_session {
    PGconn *pg;
};

struct db_job {
    void (*run)(struct db_job *job, struct db_session *session);
    void (*done)(struct db_job *job);
    struct worker *owner;
    struct db_job *next;
};

struct db_pool;

/* Opens size connections and starts one thread for each. Returns NULL
 * with err filled when the first connection fails. */
struct db_pool *db_pool_new(const char *conninfo, int size,
                            struct xj_error *err);

/* Queues job; it runs on a pool thread and then returns to job->owner. */
void db_pool_submit(struct db_pool *pool, struct db_job *job);

/* Returns the number of jobs queued or running. */
long db_pool_busy(struct db_pool *pool);

/* Stops the threads after the queued jobs and closes the connections;
 * NULL is allowed. */
void db_pool_free(struct db_pool *pool);

/* Connects with conninfo (blocking). Returns NULL with err filled. */
PGconn *db_connect(const char *conninfo, struct xj_error *err);

/* Runs sql (no parameters) and tells whether it succeeded; failures are
 * logged with context. */
bool db_exec(PGconn *pg, const char *context, const char *sql);

/* Tells whether res is PGRES_COMMAND_OK or PGRES_TUPLES_OK; logs the
 * error with context otherwise. res may be NULL. */
bool db_result_ok(PGconn *pg, const PGresult *res, const char *context);

/* Runs sql with count text parameters (NULL entries are SQL NULL).
 * Returns the result, which the caller frees with PQclear, or NULL after
 * logging the failure with context. */
PGresult *db_query(PGconn *pg, const char *context, const char *sql,
                   int count, const char *const *params);

/* Begins a transaction on behalf of an account and its organisation,
 * which the database reads back (settings xueji.account_id and
 * xueji.org_id) for the audit rows it writes itself, such as problems
 * the duplicate check clears. Returns false after logging a failure. */
bool db_begin_as(PGconn *pg, const char *context, int64_t account_id,
                 int64_t org_id);

/* Frees res, which may be NULL, and returns whether it was a result. It
 * ends a statement that db_query ran only for its effect. */
bool db_clear_ok(PGresult *res);

/* Rolls back the open transaction, if any. */
void db_rollback(PGconn *pg);

#endif
