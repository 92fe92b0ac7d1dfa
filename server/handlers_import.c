/* SPDX-License-Identifier: MIT */
/*
 * Import of student rows into the logged-in school. A batch is one
 * transaction on a database thread, so the event loop only unpacks and
 * replies:
 *
 *   1. the rows are checked (rowcheck_student);
 *   2. a per-school advisory lock serialises imports of one school, and
 *      the import keys already stored are looked up, so that an import
 *      run again stores nothing twice;
 *   3. the duplicate-check keys of the new rows are locked (dedup_lock);
 *   4. the new rows get ids from the student sequence and provisional L
 *      numbers, and go into student with one COPY;
 *   5. the duplicate check and the student numbers run set-based over the
 *      new ids (dedup_recheck, student_number_refresh), and the audit row
 *      is written.
 *
 * A COPY straight into student took 60 % of the time of an INSERT ...
 * SELECT from a staging table, which inserts row by row and needs ON
 * CONFLICT (200,000 rows in batches of 5,000, tests/bench/import.sh).
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

/* SQLSTATE of a rejection raised by the schema's own functions. */
#define IMPORT_REJECTION_SQLSTATE "XJ001"

/* Namespace of the per-school import lock; dedup_lock uses 7001. */
#define IMPORT_LOCK_SPACE "7002"

#define IMPORT_COPY_SQL                                                       \
    "COPY student (id, school_id, birth_date, student_number, import_key,"    \
    " name, gender, id_type, id_number, nationality, ethnicity, grade,"       \
    " class_name, enrol_month, overseas_status, health, household_type,"      \
    " attendance, entry_mode, address, telephone, class_number, id_fault)"    \
    " FROM STDIN"

/* A row that passed the checks, with what the COPY adds to it. */
struct import_row {
    const Xueji__V1__StudentRow *row;
    const char *id_fault;
    bool stored;                    /* its import key is in student already */
};

struct import_job {
    struct db_job job;
    struct conn *conn;
    wire_envelope *env;
    uint64_t request_id;
    int64_t school_id;
    int64_t account_id;
    char school_code[16];
    char region[8];                 /* the school's county code */
    bool failed;                    /* database error: nothing stored */
    char rejection[256];            /* why the schema rejected the rows */
    char rejection_hint[256];
    unsigned accepted;
    unsigned created;
    unsigned problems_created;
    struct import_row *rows;        /* the accepted rows, in batch order */
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

/* Appends one row of IMPORT_COPY_SQL with its id and, for a resident ID,
 * a provisional L number: region code, birth date, 4 random digits. */
static void
import_copy_row(struct evbuffer *buf, const struct import_job *import,
                const struct import_row *accepted, const char *id)
{
    const Xueji__V1__StudentRow *row = accepted->row;
    const char *fields[] = {
        row->import_key, row->name, row->gender, row->id_type,
        row->id_number, row->nationality, row->ethnicity, row->grade,
        row->class_name, row->enrol_month, row->overseas_status, row->health,
        row->household_type, row->attendance, row->entry_mode, row->address,
        row->telephone, row->class_number, accepted->id_fault,
    };
    size_t count = sizeof(fields) / sizeof(fields[0]);

    evbuffer_add_printf(buf, "%s\t%lld\t%s\t", id,
                        (long long)import->school_id, row->birth_date);
    if (strcmp(row->id_type, "1") == 0) {
        evbuffer_add_printf(buf, "L%s%s%04u\t", import->region,
                            row->birth_date, arc4random_uniform(10000));
    } else {
        evbuffer_add(buf, "\\N\t", 3);
    }
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

/* Checks every row, collecting the accepted ones in import->rows and the
 * rejected ones with their errors. */
static int
import_check_rows(struct import_job *import)
{
    Xueji__V1__ImportBatch *batch = import->env->import_batch;
    char today[9];

    rowcheck_today(today);
    import->rejected = calloc(batch->n_rows + 1, sizeof(*import->rejected));
    import->rows = calloc(batch->n_rows + 1, sizeof(*import->rows));
    if (import->rejected == NULL || import->rows == NULL) {
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
        import->rows[import->accepted].row = row;
        import->rows[import->accepted].id_fault = id_fault;
        import->accepted++;
    }
    return 0;
}

static int
import_compare_keys(const void *a, const void *b)
{
    const struct import_row *left = *(const struct import_row *const *)a;
    const struct import_row *right = *(const struct import_row *const *)b;

    return strcmp(left->row->import_key, right->row->import_key);
}

/* Appends s to buf as one quoted element of a text[] literal. */
static void
import_array_element(struct evbuffer *buf, const char *s, bool first)
{
    evbuffer_add(buf, first ? "\"" : ",\"", first ? 1 : 2);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            evbuffer_add(buf, "\\", 1);
        }
        evbuffer_add(buf, p, 1);
    }
    evbuffer_add(buf, "\"", 1);
}

/* Closes the array literal in buf and runs sql with it as $2 and the
 * school as $1. */
static PGresult *
import_query_array(struct import_job *import, PGconn *pg, const char *context,
                   const char *sql, struct evbuffer *buf)
{
    char school[24];
    const char *params[2] = {school, NULL};

    evbuffer_add(buf, "}", 2);      /* with the NUL */
    params[1] = (const char *)evbuffer_pullup(buf, -1);
    snprintf(school, sizeof(school), "%lld", (long long)import->school_id);
    return db_query(pg, context, sql, 2, params);
}

/* Takes the school's import lock and reads its county code. */
static bool
import_lock_school(struct import_job *import, PGconn *pg)
{
    char school[24];
    const char *params[1] = {school};
    PGresult *res;

    snprintf(school, sizeof(school), "%lld", (long long)import->school_id);
    res = db_query(pg, "import school lock",
                   "SELECT pg_advisory_xact_lock(" IMPORT_LOCK_SPACE ","
                   " $1::int), coalesce(school_region($1::bigint), '')",
                   1, params);
    if (res == NULL) {
        return false;
    }
    snprintf(import->region, sizeof(import->region), "%s",
             PQgetvalue(res, 0, 1));
    PQclear(res);
    return true;
}

/* Marks the rows whose import key is stored already, or appears earlier
 * in the batch. Returns the number of new rows, or -1 on a database
 * error. Callers hold the school's import lock. */
static long
import_mark_stored(struct import_job *import, PGconn *pg,
                   struct evbuffer *buf)
{
    struct import_row **sorted = calloc(import->accepted, sizeof(*sorted));
    PGresult *res;
    long fresh = 0;
    int found, next = 0;

    if (sorted == NULL) {
        return -1;
    }
    evbuffer_add(buf, "{", 1);
    for (unsigned i = 0; i < import->accepted; i++) {
        sorted[i] = &import->rows[i];
        evbuffer_add_printf(buf, i == 0 ? "%s" : ",%s",
                            import->rows[i].row->import_key);
    }
    res = import_query_array(import, pg, "import stored keys",
                             "SELECT import_key FROM student"
                             " WHERE school_id = $1::bigint"
                             " AND import_key = ANY ($2::text[])"
                             " ORDER BY import_key COLLATE \"C\"",
                             buf);
    if (res == NULL) {
        free(sorted);
        return -1;
    }

    /* Both lists are in byte order, so one merge pass marks the stored
     * rows and the repeats inside the batch. */
    qsort(sorted, import->accepted, sizeof(*sorted), import_compare_keys);
    found = PQntuples(res);
    for (unsigned i = 0; i < import->accepted; i++) {
        const char *key = sorted[i]->row->import_key;
        bool stored = i > 0 && strcmp(key, sorted[i - 1]->row->import_key) == 0;

        while (next < found && strcmp(PQgetvalue(res, next, 0), key) < 0) {
            next++;
        }
        if (next < found && strcmp(PQgetvalue(res, next, 0), key) == 0) {
            stored = true;
        }
        sorted[i]->stored = stored;
        fresh += stored ? 0 : 1;
    }
    PQclear(res);
    free(sorted);
    return fresh;
}

/* Locks the duplicate-check keys and the student-number prefix of every
 * new row: the keys of dedup_keys() and student_number_key(). */
static bool
import_lock_keys(struct import_job *import, PGconn *pg, struct evbuffer *buf)
{
    char key[512];
    bool first = true;
    PGresult *res;

    evbuffer_add(buf, "{", 1);
    for (unsigned i = 0; i < import->accepted; i++) {
        const Xueji__V1__StudentRow *row = import->rows[i].row;

        if (import->rows[i].stored) {
            continue;
        }
        if (row->id_number[0] != '\0') {
            import_array_element(buf, row->id_number, first);
            first = false;
        }
        snprintf(key, sizeof(key), "%s|%s|%s", row->name, row->gender,
                 row->birth_date);
        import_array_element(buf, key, first);
        snprintf(key, sizeof(key), "number|%s%s", import->region,
                 row->birth_date);
        import_array_element(buf, key, false);
        first = false;
    }
    res = import_query_array(import, pg, "import lock",
                             "SELECT dedup_lock($2::text[]), $1", buf);
    return db_clear_ok(res);
}

/* Draws count ids from the student sequence into *ids, a bigint[] literal
 * the caller frees, and copies the new rows into student through buf. */
static bool
import_copy_new(struct import_job *import, PGconn *pg, long count,
                struct evbuffer *buf, char **ids)
{
    char number[24];
    const char *params[1] = {number};
    PGresult *res;
    struct evbuffer *list = evbuffer_new();
    int row = 0;
    bool ok;

    snprintf(number, sizeof(number), "%ld", count);
    res = db_query(pg, "import ids",
                   "SELECT nextval('student_id_seq')"
                   " FROM generate_series(1, $1::int)", 1, params);
    if (res == NULL || list == NULL || PQntuples(res) != count) {
        PQclear(res);
        if (list != NULL) {
            evbuffer_free(list);
        }
        return false;
    }
    evbuffer_add(list, "{", 1);
    for (unsigned i = 0; i < import->accepted; i++) {
        const char *id;

        if (import->rows[i].stored) {
            continue;
        }
        id = PQgetvalue(res, row++, 0);
        import_copy_row(buf, import, &import->rows[i], id);
        evbuffer_add_printf(list, row == 1 ? "%s" : ",%s", id);
    }
    evbuffer_add(list, "}", 2);
    PQclear(res);
    *ids = strdup((const char *)evbuffer_pullup(list, -1));
    evbuffer_free(list);
    if (*ids == NULL) {
        return false;
    }

    res = PQexec(pg, IMPORT_COPY_SQL);
    ok = PQresultStatus(res) == PGRES_COPY_IN;
    PQclear(res);
    if (!ok) {
        return db_result_ok(pg, NULL, "import copy start");
    }
    ok = PQputCopyData(pg, (const char *)evbuffer_pullup(buf, -1),
                       (int)evbuffer_get_length(buf)) == 1;
    ok = PQputCopyEnd(pg, ok ? NULL : "client failed") == 1 && ok;
    res = PQgetResult(pg);
    ok = db_result_ok(pg, res, "import copy") && ok;
    PQclear(res);
    while ((res = PQgetResult(pg)) != NULL) {
        PQclear(res);
    }
    return ok;
}

/* Returns a field of a failed result, or "" when it has none. */
static const char *
import_error_field(const PGresult *res, int field)
{
    const char *value = PQresultErrorField(res, field);

    return value != NULL ? value : "";
}

/* Runs the duplicate check and the student numbers over the new ids. */
static bool
import_check_new(struct import_job *import, PGconn *pg, const char *ids)
{
    const char *params[1] = {ids};
    PGresult *res;
    bool ok;

    res = db_query(pg, "import duplicate check",
                   "SELECT created FROM dedup_recheck($1::bigint[])", 1,
                   params);
    if (res == NULL) {
        return false;
    }
    import->problems_created = (unsigned)atol(PQgetvalue(res, 0, 0));
    PQclear(res);

    /* J numbers, and new draws for the rare colliding L number. The
     * refresh raises SQLSTATE XJ001 when a county has no J number left for
     * a birth date. That is a fault of the rows, so the message goes to
     * the registrar. */
    res = PQexecParams(pg, "SELECT student_number_refresh($1::bigint[])", 1,
                       NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_FATAL_ERROR &&
        strcmp(import_error_field(res, PG_DIAG_SQLSTATE),
               IMPORT_REJECTION_SQLSTATE) == 0) {
        snprintf(import->rejection, sizeof(import->rejection), "%s",
                 import_error_field(res, PG_DIAG_MESSAGE_PRIMARY));
        snprintf(import->rejection_hint, sizeof(import->rejection_hint), "%s",
                 import_error_field(res, PG_DIAG_MESSAGE_HINT));
        PQclear(res);
        return false;
    }
    ok = db_result_ok(pg, res, "import student numbers");
    PQclear(res);
    return ok;
}

static bool
import_audit(struct import_job *import, PGconn *pg)
{
    char school[24], account[24], received[16], created[16], problems[16];
    const char *params[6] = {school, account,
                             import->env->import_batch->file_name,
                             received, created, problems};
    PGresult *res;

    snprintf(school, sizeof(school), "%lld", (long long)import->school_id);
    snprintf(account, sizeof(account), "%lld", (long long)import->account_id);
    snprintf(received, sizeof(received), "%zu",
             import->env->import_batch->n_rows);
    snprintf(created, sizeof(created), "%u", import->created);
    snprintf(problems, sizeof(problems), "%u", import->problems_created);
    res = db_query(pg, "import audit",
                   "INSERT INTO audit_log (account_id, org_id, action,"
                   " object_kind, object_id, after) VALUES ($2, $1,"
                   " 'import', 'school', $1, jsonb_build_object('file',"
                   " $3::text, 'received', $4::int, 'created', $5::int,"
                   " 'problems_created', $6::int))",
                   6, params);
    return db_clear_ok(res);
}

/* Runs the statements of one batch inside its transaction; returns false
 * on the first failure, leaving the rollback to the caller. */
static bool
import_store(struct import_job *import, PGconn *pg)
{
    struct evbuffer *buf = evbuffer_new();
    char *ids = NULL;
    long fresh;
    bool ok;

    if (buf == NULL) {
        return false;
    }
    ok = import_lock_school(import, pg);
    fresh = ok ? import_mark_stored(import, pg, buf) : -1;
    ok = fresh >= 0;
    if (ok && fresh > 0) {
        evbuffer_drain(buf, evbuffer_get_length(buf));
        ok = import_lock_keys(import, pg, buf);
        evbuffer_drain(buf, evbuffer_get_length(buf));
        ok = ok && import_copy_new(import, pg, fresh, buf, &ids) &&
             import_check_new(import, pg, ids);
        import->created = ok ? (unsigned)fresh : 0;
    }
    /* A batch whose rows were all stored before changes nothing, so it
     * leaves no audit row; importing a file again is a no-op. */
    ok = ok && (fresh == 0 || import_audit(import, pg));
    free(ids);
    evbuffer_free(buf);
    return ok;
}

static void
import_run(struct db_job *job, struct db_session *session)
{
    struct import_job *import = (struct import_job *)job;
    PGconn *pg = session->pg;

    if (import_check_rows(import) < 0) {
        import->failed = true;
        return;
    }
    if (import->accepted == 0) {
        return;
    }
    if (!db_begin_as(pg, "import begin", import->account_id,
                     import->school_id) ||
        !import_store(import, pg) ||
        !db_exec(pg, "import commit", "COMMIT")) {
        db_rollback(pg);
        import->failed = true;
        import->created = 0;
        import->problems_created = 0;
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
    free(import->rows);
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
    } else if (import->failed && import->rejection[0] != '\0') {
        clog_info(conn, "import batch rejected school=%s rows=%zu reason=\"%s\"",
                  import->school_code, import->env->import_batch->n_rows,
                  import->rejection);
        handler_error(conn, import->request_id,
                      XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST, NULL,
                      import->rejection_hint, "nothing of this batch was "
                      "stored: %s", import->rejection);
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
