/* SPDX-License-Identifier: MIT */
/*
 * Import of student rows into the logged-in school. A batch is one
 * transaction: rows are checked, copied into a per-connection staging
 * table with COPY, the keys are locked (dedup_lock), new rows are inserted
 * in one statement that skips rows already imported, and the duplicate
 * check runs set-based over the batch (dedup_recheck). The whole job runs
 * on a database thread, so the event loop only unpacks and replies.
 */
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "handlers.h"
#include "idcard.h"
#include "rowcheck.h"
#include "server.h"
#include "text.h"

#define IMPORT_STAGE_SQL                                                      \
    "CREATE TEMP TABLE IF NOT EXISTS import_stage ("                          \
    " import_key text, name text, gender text, birth_date text,"              \
    " id_type text, id_number text, nationality text, ethnicity text,"        \
    " grade text, class_name text, enrol_month text, overseas_status text,"   \
    " health text, household_type text, attendance text, entry_mode text,"    \
    " address text, telephone text, class_number text, id_fault text)"        \
    " ON COMMIT DELETE ROWS"

#define IMPORT_COLUMNS                                                        \
    "import_key, name, gender, id_type, id_number, nationality, ethnicity,"   \
    " grade, class_name, enrol_month, overseas_status, health,"               \
    " household_type, attendance, entry_mode, address, telephone,"            \
    " class_number, id_fault"

struct import_job {
    struct db_job job;
    struct conn *conn;
    wire_envelope *env;
    uint64_t request_id;
    int64_t school_id;
    int64_t account_id;
    char school_code[16];
    bool failed;                    /* database error: nothing stored */
    unsigned accepted;
    unsigned created;
    unsigned problems_created;
    Xueji__V1__RowError **rejected;
    size_t rejected_count;
};


/* Appends value to buf as a COPY text field; rowcheck has rejected
 * control characters, so only the backslash needs escaping. */
static void
import_copy_field(struct evbuffer *buf, const char *value, char end)
{
    const char *p = value;
    const char *slash;

    while ((slash = strchr(p, '\\')) != NULL) {
        evbuffer_add(buf, p, (size_t)(slash - p));
        evbuffer_add(buf, "\\\\", 2);
        p = slash + 1;
    }
    evbuffer_add(buf, p, strlen(p));
    evbuffer_add(buf, &end, 1);
}

static void
import_copy_row(struct evbuffer *buf, const Xueji__V1__StudentRow *row,
                const char *id_fault)
{
    const char *fields[] = {
        row->import_key, row->name, row->gender, row->birth_date,
        row->id_type, row->id_number, row->nationality, row->ethnicity,
        row->grade, row->class_name, row->enrol_month, row->overseas_status,
        row->health, row->household_type, row->attendance, row->entry_mode,
        row->address, row->telephone, row->class_number, id_fault,
    };
    size_t count = sizeof(fields) / sizeof(fields[0]);

    for (size_t i = 0; i < count; i++) {
        import_copy_field(buf, fields[i], i + 1 < count ? '\t' : '\n');
    }
}

static int
import_reject(struct import_job *import, const Xueji__V1__StudentRow *row,
              const struct xj_error *err)
{
    Xueji__V1__RowError *error = calloc(1, sizeof(*error));

    if (error == NULL) {
        return XJ_ERR_NOMEM;
    }
    xueji__v1__row_error__init(error);
    error->row_number = row->row_number;
    error->field = strdup(err->field);
    error->message = strdup(err->message);
    error->hint = strdup(err->hint);
    import->rejected[import->rejected_count++] = error;
    if (error->field == NULL || error->message == NULL || error->hint == NULL) {
        return XJ_ERR_NOMEM;
    }
    return 0;
}

/* Checks every row and writes the accepted ones as COPY data into buf. */
static int
import_check_rows(struct import_job *import, struct evbuffer *buf)
{
    Xueji__V1__ImportBatch *batch = import->env->import_batch;
    char today[9];

    rowcheck_today(today);
    import->rejected = calloc(batch->n_rows + 1, sizeof(*import->rejected));
    if (import->rejected == NULL) {
        return XJ_ERR_NOMEM;
    }
    for (size_t i = 0; i < batch->n_rows; i++) {
        const Xueji__V1__StudentRow *row = batch->rows[i];
        const char *id_fault = "";
        struct xj_error err;

        xj_error_clear(&err);
        if (rowcheck_student(row, today, &id_fault, &err) < 0) {
            if (import_reject(import, row, &err) < 0) {
                return XJ_ERR_NOMEM;
            }
            continue;
        }
        import_copy_row(buf, row, id_fault);
        import->accepted++;
    }
    return 0;
}

static bool
import_copy_in(PGconn *pg, struct evbuffer *buf)
{
    PGresult *res = PQexec(pg, "COPY import_stage (import_key, name, gender,"
                               " birth_date, id_type, id_number, nationality,"
                               " ethnicity, grade, class_name, enrol_month,"
                               " overseas_status, health, household_type,"
                               " attendance, entry_mode, address, telephone,"
                               " class_number, id_fault) FROM STDIN");
    size_t len = evbuffer_get_length(buf);
    bool ok = PQresultStatus(res) == PGRES_COPY_IN;

    PQclear(res);
    if (!ok) {
        return db_result_ok(pg, NULL, "import copy start");
    }
    ok = PQputCopyData(pg, (const char *)evbuffer_pullup(buf, -1),
                       (int)len) == 1;
    ok = PQputCopyEnd(pg, ok ? NULL : "client failed") == 1 && ok;
    res = PQgetResult(pg);
    ok = db_result_ok(pg, res, "import copy") && ok;
    PQclear(res);
    while ((res = PQgetResult(pg)) != NULL) {
        PQclear(res);
    }
    return ok;
}

/* Runs the statements of one batch after COPY; returns false on the
 * first failure, leaving the rollback to the caller. */
static bool
import_store(struct import_job *import, PGconn *pg)
{
    char school[24], account[24], received[16], created[16], problems[16];
    const char *params[7] = {school, account, NULL, received, created,
                             problems, NULL};
    char *ids = NULL;
    PGresult *res;
    bool ok;

    snprintf(school, sizeof(school), "%lld", (long long)import->school_id);
    snprintf(account, sizeof(account), "%lld", (long long)import->account_id);

    /* Lock the duplicate-check keys and the student-number prefixes of
     * the batch before inserting, so concurrent writers of the same keys
     * run one after the other. */
    res = PQexecParams(pg,
                       "SELECT dedup_lock(array_agg(k)) FROM import_stage,"
                       " unnest(dedup_keys(id_number, name, gender, birth_date)"
                       " || ('number|' || (SELECT school_region($1::bigint))"
                       " || birth_date)) k",
                       1, NULL, params, NULL, NULL, 0);
    ok = db_result_ok(pg, res, "import lock");
    PQclear(res);
    if (!ok) {
        return false;
    }
    /* Resident-ID students get their provisional L number here; J numbers
     * and the rare colliding L number are settled by
     * student_number_refresh below. */
    res = PQexecParams(pg,
                       "WITH ins AS (INSERT INTO student (school_id,"
                       " birth_date, student_number, " IMPORT_COLUMNS ")"
                       " SELECT $1, birth_date::date,"
                       " CASE WHEN id_type = '1' THEN 'L'"
                       " || (SELECT school_region($1::bigint)) || birth_date"
                       " || lpad(floor(random() * 10000)::int::text, 4, '0')"
                       " END, " IMPORT_COLUMNS
                       " FROM import_stage"
                       " ON CONFLICT (school_id, import_key) DO NOTHING"
                       " RETURNING id) SELECT count(*), array_agg(id) FROM ins",
                       1, NULL, params, NULL, NULL, 0);
    ok = db_result_ok(pg, res, "import insert");
    if (ok) {
        import->created = (unsigned)atol(PQgetvalue(res, 0, 0));
        ids = strdup(PQgetvalue(res, 0, 1));
        ok = ids != NULL;
    }
    PQclear(res);

    /* Rows that existed already were checked when they were stored, in
     * the transaction that stored them, so only the new rows are checked. */
    if (ok && import->created > 0) {
        res = PQexecParams(pg,
                           "SELECT created FROM dedup_recheck($1::bigint[])",
                           1, NULL, (const char *const *)&ids, NULL, NULL, 0);
        ok = db_result_ok(pg, res, "import duplicate check");
        if (ok) {
            import->problems_created = (unsigned)atol(PQgetvalue(res, 0, 0));
        }
        PQclear(res);
    }

    /* J numbers, and new draws for the rare colliding L number. */
    if (ok && import->created > 0) {
        res = PQexecParams(pg, "SELECT student_number_refresh($1::bigint[])",
                           1, NULL, (const char *const *)&ids, NULL, NULL, 0);
        ok = db_result_ok(pg, res, "import student numbers");
        PQclear(res);
    }
    free(ids);
    if (!ok) {
        return false;
    }
    params[2] = import->env->import_batch->file_name;
    snprintf(received, sizeof(received), "%zu",
             import->env->import_batch->n_rows);
    snprintf(created, sizeof(created), "%u", import->created);
    snprintf(problems, sizeof(problems), "%u", import->problems_created);
    res = PQexecParams(pg,
                       "INSERT INTO audit_log (account_id, org_id, action,"
                       " object_kind, object_id, after) VALUES ($2, $1,"
                       " 'import', 'school', $1, jsonb_build_object('file',"
                       " $3::text, 'received', $4::int, 'created', $5::int,"
                       " 'problems_created', $6::int))",
                       6, NULL, params, NULL, NULL, 0);
    ok = db_result_ok(pg, res, "import audit");
    PQclear(res);
    return ok;
}

static void
import_run(struct db_job *job, struct db_session *session)
{
    struct import_job *import = (struct import_job *)job;
    struct evbuffer *buf = evbuffer_new();
    PGconn *pg = session->pg;

    if (buf == NULL || import_check_rows(import, buf) < 0) {
        import->failed = true;
        goto out;
    }
    if (import->accepted == 0) {
        goto out;
    }
    if (!session->import_stage_ready) {
        session->import_stage_ready =
            db_exec(pg, "import staging table", IMPORT_STAGE_SQL);
    }
    if (!session->import_stage_ready ||
        !db_begin_as(pg, "import begin", import->account_id,
                     import->school_id) ||
        !import_copy_in(pg, buf) || !import_store(import, pg) ||
        !db_exec(pg, "import commit", "COMMIT")) {
        import->failed = true;
        import->created = 0;
        import->problems_created = 0;
    }
out:
    if (buf != NULL) {
        evbuffer_free(buf);
    }
}

static void
import_free(struct import_job *import)
{
    for (size_t i = 0; i < import->rejected_count; i++) {
        free(import->rejected[i]->field);
        free(import->rejected[i]->message);
        free(import->rejected[i]->hint);
        free(import->rejected[i]);
    }
    free(import->rejected);
    wire_free(import->env);
    free(import);
}

static void
import_done(struct db_job *job)
{
    struct import_job *import = (struct import_job *)job;
    struct conn *conn = import->conn;
    wire_envelope reply = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__ImportReply body = XUEJI__V1__IMPORT_REPLY__INIT;

    if (conn->closing) {
        conn_request_done(conn);
    } else if (import->failed) {
        clog_error(conn, "import batch failed school=%s rows=%zu",
                   import->school_code, import->env->import_batch->n_rows);
        handler_error(conn, import->request_id,
                      XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                      "nothing of this batch was stored; run the same import "
                      "again, and call the operator if it keeps failing",
                      "the server could not store the batch");
    } else {
        clog_info(conn, "import batch stored school=%s received=%zu "
                  "created=%u rejected=%zu problems_created=%u",
                  import->school_code, import->env->import_batch->n_rows,
                  import->created, import->rejected_count,
                  import->problems_created);
        body.received = (uint32_t)import->env->import_batch->n_rows;
        body.created = import->created;
        body.existing = import->accepted - import->created;
        body.rejected = import->rejected;
        body.n_rejected = import->rejected_count;
        body.problems_created = import->problems_created;
        reply.request_id = import->request_id;
        reply.body_case = XUEJI__V1__ENVELOPE__BODY_IMPORT_REPLY;
        reply.import_reply = &body;
        handler_reply(conn, &reply);
    }
    import_free(import);
}

void
handle_import_batch(struct conn *conn, wire_envelope *env)
{
    struct server *server = conn->worker->server;
    Xueji__V1__ImportBatch *batch = env->import_batch;
    struct import_job *import;
    uint64_t id = env->request_id;

    if (batch->n_rows == 0 || batch->n_rows > (size_t)server->config.max_batch_rows) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "rows", "send between 1 and max_batch_rows rows",
                      "a batch must have 1 to %ld rows",
                      server->config.max_batch_rows);
        return;
    }
    if (strlen(batch->file_name) > 255 ||
        !text_is_utf8(batch->file_name, strlen(batch->file_name))) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "file_name", "send the base name of the file, in UTF-8",
                      "file name is not UTF-8 or longer than 255 bytes");
        return;
    }
    import = calloc(1, sizeof(*import));
    if (import == NULL) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
                      NULL, NULL, "out of memory");
        return;
    }
    import->conn = conn;
    import->env = env;
    import->request_id = id;
    import->school_id = conn->org_id;
    import->account_id = conn->account_id;
    snprintf(import->school_code, sizeof(import->school_code), "%s",
             conn->org_code);
    import->job.run = import_run;
    import->job.done = import_done;
    import->job.owner = conn->worker;
    conn->job_in_flight = true;
    db_pool_submit(server->db, &import->job);
}
