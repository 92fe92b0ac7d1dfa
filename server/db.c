/* SPDX-License-Identifier: MIT */
/*
 * Design note: database work goes to a pool of threads, each with one
 * blocking libpq connection, instead of non-blocking libpq driven by the
 * event loops. A request's database work is several statements in one
 * transaction (COPY into a staging table, advisory locks, set-based
 * inserts and the duplicate check), which reads as straight-line code on a
 * pool thread and would be a large state machine in a loop. The loops
 * stay free: they only queue jobs and take finished ones back, so a slow
 * query delays its own request and nothing else. The pool also bounds the
 * number of PostgreSQL connections, which cost about 1.3 MiB each.
 */
#include "db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"

struct db_pool {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct db_job *head, *tail;
    long busy;
    bool stopping;
    char *conninfo;
    int size;
    pthread_t *threads;
    struct db_session *sessions;
};

static void
db_notice_processor(void *arg, const char *message)
{
    (void)arg;
    log_debug("postgresql notice: %.*s", (int)strcspn(message, "\n"),
              message);
}

PGconn *
db_connect(const char *conninfo, struct xj_error *err)
{
    PGconn *pg = PQconnectdb(conninfo);

    if (pg == NULL) {
        xj_error_set(err, XJ_ERR_NOMEM, "database", NULL, NULL,
                     "out of memory connecting to PostgreSQL");
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        xj_error_set(err, XJ_ERR_DB, "database", NULL,
                     "check the database key and that PostgreSQL runs",
                     "cannot connect to PostgreSQL: %.*s",
                     (int)strcspn(PQerrorMessage(pg), "\n"),
                     PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, db_notice_processor, NULL);
    return pg;
}

bool
db_result_ok(PGconn *pg, const PGresult *res, const char *context)
{
    ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    const char *message;

    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        return true;
    }
    message = res ? PQresultErrorMessage(res) : PQerrorMessage(pg);
    log_error("database statement failed context=%s error=\"%.*s\"",
              context, (int)strcspn(message, "\n"), message);
    return false;
}

bool
db_exec(PGconn *pg, const char *context, const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    bool ok = db_result_ok(pg, res, context);

    PQclear(res);
    return ok;
}

PGresult *
db_query(PGconn *pg, const char *context, const char *sql, int count,
         const char *const *params)
{
    PGresult *res = PQexecParams(pg, sql, count, NULL, params, NULL, NULL, 0);

    if (!db_result_ok(pg, res, context)) {
        PQclear(res);
        return NULL;
    }
    return res;
}

bool
db_clear_ok(PGresult *res)
{
    bool ok = res != NULL;

    PQclear(res);
    return ok;
}

bool
db_begin_as(PGconn *pg, const char *context, int64_t account_id,
            int64_t org_id)
{
    char account[24], org[24];
    const char *params[2] = {account, org};
    PGresult *res;

    if (!db_exec(pg, context, "BEGIN")) {
        return false;
    }
    snprintf(account, sizeof(account), "%lld", (long long)account_id);
    snprintf(org, sizeof(org), "%lld", (long long)org_id);
    res = db_query(pg, context,
                   "SELECT set_config('xueji.account_id', $1, true),"
                   " set_config('xueji.org_id', $2, true)",
                   2, params);
    return db_clear_ok(res);
}

void
db_rollback(PGconn *pg)
{
    if (PQtransactionStatus(pg) != PQTRANS_IDLE) {
        PQclear(PQexec(pg, "ROLLBACK"));
    }
}

static void
db_session_check(struct db_session *session)
{
    if (PQstatus(session->pg) == CONNECTION_OK) {
        return;
    }
    log_warn("database connection lost, reconnecting");
    PQreset(session->pg);
    if (PQstatus(session->pg) != CONNECTION_OK) {
        log_warn("database reconnect failed error=\"%.*s\"",
                 (int)strcspn(PQerrorMessage(session->pg), "\n"),
                 PQerrorMessage(session->pg));
    }
}

struct db_thread_arg {
    struct db_pool *pool;
    int index;
};

static void *
db_pool_thread(void *arg)
{
    struct db_thread_arg *thread_arg = arg;
    struct db_pool *pool = thread_arg->pool;
    struct db_session *session = &pool->sessions[thread_arg->index];

    free(thread_arg);
    for (;;) {
        struct db_job *job;

        pthread_mutex_lock(&pool->lock);
        while (pool->head == NULL && !pool->stopping) {
            pthread_cond_wait(&pool->ready, &pool->lock);
        }
        job = pool->head;
        if (job == NULL) {
            pthread_mutex_unlock(&pool->lock);
            return NULL;
        }
        pool->head = job->next;
        if (pool->head == NULL) {
            pool->tail = NULL;
        }
        pthread_mutex_unlock(&pool->lock);

        db_session_check(session);
        job->run(job, session);
        db_rollback(session->pg);

        pthread_mutex_lock(&pool->lock);
        pool->busy--;
        pthread_mutex_unlock(&pool->lock);
        worker_post_done(job->owner, job);
    }
}

static void
db_pool_close(struct db_pool *pool, int started)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->ready);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < started; i++) {
        pthread_join(pool->threads[i], NULL);
    }
    for (int i = 0; i < pool->size; i++) {
        if (pool->sessions[i].pg != NULL) {
            PQfinish(pool->sessions[i].pg);
        }
    }
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->ready);
    free(pool->threads);
    free(pool->sessions);
    free(pool->conninfo);
    free(pool);
}

struct db_pool *
db_pool_new(const char *conninfo, int size, struct xj_error *err)
{
    struct db_pool *pool = calloc(1, sizeof(*pool));
    int started = 0;

    if (pool == NULL) {
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->ready, NULL);
    pool->size = size;
    pool->conninfo = strdup(conninfo);
    pool->threads = calloc((size_t)size, sizeof(*pool->threads));
    pool->sessions = calloc((size_t)size, sizeof(*pool->sessions));
    if (pool->conninfo == NULL || pool->threads == NULL ||
        pool->sessions == NULL) {
        xj_error_set(err, XJ_ERR_NOMEM, NULL, NULL, NULL, "out of memory");
        goto fail;
    }
    for (int i = 0; i < size; i++) {
        pool->sessions[i].pg = db_connect(conninfo, err);
        if (pool->sessions[i].pg == NULL) {
            goto fail;
        }
    }
    for (; started < size; started++) {
        struct db_thread_arg *arg = malloc(sizeof(*arg));

        if (arg == NULL) {
            goto fail;
        }
        arg->pool = pool;
        arg->index = started;
        if (pthread_create(&pool->threads[started], NULL, db_pool_thread,
                           arg) != 0) {
            free(arg);
            xj_error_set(err, XJ_ERR_INTERNAL, NULL, NULL, NULL,
                         "cannot start database thread");
            goto fail;
        }
    }
    log_info("database pool ready connections=%d", size);
    return pool;

fail:
    db_pool_close(pool, started);
    return NULL;
}

void
db_pool_submit(struct db_pool *pool, struct db_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->tail != NULL) {
        pool->tail->next = job;
    } else {
        pool->head = job;
    }
    pool->tail = job;
    pool->busy++;
    pthread_cond_signal(&pool->ready);
    pthread_mutex_unlock(&pool->lock);
}

long
db_pool_busy(struct db_pool *pool)
{
    long busy;

    pthread_mutex_lock(&pool->lock);
    busy = pool->busy;
    pthread_mutex_unlock(&pool->lock);
    return busy;
}

void
db_pool_free(struct db_pool *pool)
{
    if (pool != NULL) {
        db_pool_close(pool, pool->size);
    }
}
