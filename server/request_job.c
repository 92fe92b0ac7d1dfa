/* SPDX-License-Identifier: MIT */
/* Database-backed requests; see request_job.h. */
#include "request_job.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "server.h"

void
request_job_fail(struct request_job *job, Xueji__V1__ErrorCode code,
                 const char *field, const char *hint, const char *fmt, ...)
{
    va_list ap;

    if (job->error_code != 0) {
        return;
    }
    job->error_code = code;
    snprintf(job->error_field, sizeof(job->error_field), "%s",
             field ? field : "");
    snprintf(job->error_hint, sizeof(job->error_hint), "%s",
             hint ? hint : "");
    va_start(ap, fmt);
    vsnprintf(job->error_message, sizeof(job->error_message), fmt, ap);
    va_end(ap);
}

void
request_job_db_fail(struct request_job *job, PGconn *pg)
{
    db_rollback(pg);
    request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAVAILABLE, NULL,
                     "nothing was changed; try again, and call the operator "
                     "if it keeps failing",
                     "the server could not complete the request");
}

PGresult *
request_job_query_id(struct request_job *job, PGconn *pg, const char *context,
                     const char *sql, int64_t id)
{
    char text[24];
    const char *params[1] = {request_job_id(text, id)};
    PGresult *res = db_query(pg, context, sql, 1, params);

    if (res == NULL) {
        request_job_db_fail(job, pg);
    }
    return res;
}

PGresult *
request_job_keep(struct request_job *job, PGresult *res)
{
    if (res == NULL || job->result_count == REQUEST_JOB_RESULTS) {
        PQclear(res);
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAVAILABLE,
                         NULL, "try again in a minute",
                         "the server could not complete the request");
        return NULL;
    }
    job->results[job->result_count++] = res;
    return res;
}

const char *
request_job_id(char *buf, int64_t id)
{
    snprintf(buf, 24, "%lld", (long long)id);
    return buf;
}

void
request_job_log_text(struct request_job *job, const char *name,
                     const char *value)
{
    size_t used = strlen(job->log_ids);
    int len = snprintf(job->log_ids + used, sizeof(job->log_ids) - used,
                       "%s%s=%s", used > 0 ? " " : "", name, value);

    if (len < 0 || (size_t)len >= sizeof(job->log_ids) - used) {
        job->log_ids[used] = '\0';
    }
}

void
request_job_log_id(struct request_job *job, const char *name, int64_t id)
{
    char text[24];

    request_job_log_text(job, name, request_job_id(text, id));
}

static void
request_job_on_run(struct db_job *db_job, struct db_session *session)
{
    struct request_job *job = (struct request_job *)db_job;

    job->run(job, session);
    if (job->error_code == 0 && job->arena.failed) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
                         NULL, NULL, "out of memory");
    }
}

static void
request_job_on_done(struct db_job *db_job)
{
    struct request_job *job = (struct request_job *)db_job;
    struct conn *conn = job->conn;

    if (conn->closing) {
        conn_request_done(conn);
    } else if (job->error_code != 0) {
        clog_info(conn, "request failed body=%s code=%d%s%s message=\"%s\"",
                  wire_body_name(job->request), (int)job->error_code,
                  job->log_ids[0] != '\0' ? " " : "", job->log_ids,
                  job->error_message);
        handler_error(conn, job->request_id, job->error_code,
                      job->error_field, job->error_hint, "%s",
                      job->error_message);
    } else {
        if (job->log_action != NULL) {
            clog_info(conn, "%s%s%s", job->log_action,
                      job->log_ids[0] != '\0' ? " " : "", job->log_ids);
        }
        if (job->on_success != NULL) {
            job->on_success(job);
        }
        job->reply.request_id = job->request_id;
        handler_reply(conn, &job->reply);
    }
    for (int i = 0; i < job->result_count; i++) {
        PQclear(job->results[i]);
    }
    arena_release(&job->arena);
    if (job->data_free != NULL) {
        job->data_free(job->data);
    }
    wire_free(job->request);
    free(job);
}

struct request_job *
request_job_new(struct conn *conn, wire_envelope *request, request_job_run run)
{
    struct request_job *job = calloc(1, sizeof(*job));
    uint64_t id = request->request_id;

    if (job == NULL) {
        wire_free(request);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
                      NULL, NULL, "out of memory");
        return NULL;
    }
    xueji__v1__envelope__init(&job->reply);
    job->conn = conn;
    job->request = request;
    job->request_id = id;
    job->org_id = conn->org_id;
    job->account_id = conn->account_id;
    job->role = conn->role;
    snprintf(job->username, sizeof(job->username), "%s", conn->username);
    job->run = run;
    job->job.run = request_job_on_run;
    job->job.done = request_job_on_done;
    job->job.owner = conn->worker;
    return job;
}

void
request_job_queue(struct request_job *job)
{
    job->conn->job_in_flight = true;
    db_pool_submit(job->conn->worker->server->db, &job->job);
}

void
request_job_submit(struct conn *conn, wire_envelope *request,
                   request_job_run run)
{
    struct request_job *job = request_job_new(conn, request, run);

    if (job != NULL) {
        request_job_queue(job);
    }
}
