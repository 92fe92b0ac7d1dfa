/* SPDX-License-Identifier: MIT */
/*
 * The common shape of a request that needs the database: the handler
 * checks the request on the loop, request_job_submit queues it, the run
 * function does the database work on a pool thread and leaves either a
 * reply or an error in the job, and the loop sends it and frees the job.
 */
#ifndef XUEJI_REQUEST_JOB_H
#define XUEJI_REQUEST_JOB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "arena.h"
#include "conn.h"
#include "db.h"
#include "wire.h"

#define REQUEST_JOB_RESULTS 8

struct request_job;
typedef void (*request_job_run)(struct request_job *job,
                                struct db_session *session);

struct request_job {
    struct db_job job;
    struct conn *conn;
    wire_envelope *request;         /* owned; read-only on the pool thread */
    uint64_t request_id;
    int64_t org_id;
    int64_t account_id;
    enum conn_role role;
    char username[64];
    request_job_run run;

    /* Outcome, written by run. */
    Xueji__V1__ErrorCode error_code;        /* 0 for success */
    char error_field[32];
    char error_hint[256];
    char error_message[512];
    wire_envelope reply;
    struct arena arena;                     /* owns the reply's parts */
    PGresult *results[REQUEST_JOB_RESULTS]; /* strings the reply points into */
    int result_count;
    const char *log_action;                 /* logged on success when set */
    char log_ids[384];  /* "problem=12 case=4 ...", added to the log line */

    void *data;                     /* a handler's own state, or NULL */
    void (*data_free)(void *data);  /* frees data; called on the loop */
    void (*on_success)(struct request_job *job);  /* on the loop, before the reply */
};

/* Returns a job for request on conn, or NULL after replying with an error
 * itself; takes ownership of request either way. */
struct request_job *request_job_new(struct conn *conn, wire_envelope *request,
                                    request_job_run run);

/* Queues job on its connection's database pool. */
void request_job_queue(struct request_job *job);

/* Queues run for request on conn's database pool; takes ownership of
 * request. On allocation failure replies with an error itself. */
void request_job_submit(struct conn *conn, wire_envelope *request,
                        request_job_run run);

/* Records an error outcome; the first one recorded wins. */
void request_job_fail(struct request_job *job, Xueji__V1__ErrorCode code,
                      const char *field, const char *hint, const char *fmt,
                      ...) XJ_PRINTF(5, 6);

/* Records a database failure and rolls back. */
void request_job_db_fail(struct request_job *job, PGconn *pg);

/* Runs sql with one bigint parameter, id. Returns the result, which the
 * caller frees with PQclear, or NULL after recording a database failure
 * and rolling back. */
PGresult *request_job_query_id(struct request_job *job, PGconn *pg,
                               const char *context, const char *sql,
                               int64_t id);

/* Keeps res alive until the reply is sent and returns it; returns NULL
 * (and records a database failure) when res is NULL or no slot is left. */
PGresult *request_job_keep(struct request_job *job, PGresult *res);

/* Appends "name=value" to the ids that the job's log line carries, on
 * success and on failure. A pair that does not fit is left out. */
void request_job_log_text(struct request_job *job, const char *name,
                          const char *value);

/* Appends "name=id" to the ids of the job's log line. */
void request_job_log_id(struct request_job *job, const char *name,
                        int64_t id);

/* Formats a 64-bit id into buf (24 bytes) and returns buf. */
const char *request_job_id(char *buf, int64_t id);

#endif
