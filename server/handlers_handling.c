/* SPDX-License-Identifier: MIT */
/*
 * A school's handling of its problem registrations: change (corrected key
 * fields with evidence, waits for the county), attest (reasons with
 * evidence, waits for the county) and delete (takes effect at once). Each
 * runs in one transaction that locks the problem and the student first
 * (a deletion takes the duplicate-check locks before them) and checks the
 * transition with problem_state_next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "idcard.h"
#include "problem_state.h"
#include "request_job.h"
#include "rowcheck.h"
#include "text.h"

#define HANDLING_REASON_MAX 2000
#define HANDLING_EVIDENCE_MAX 20

/* The locked problem and its student, as the handlers need them. */
struct handling_target {
    char status[32];
    char kind[32];
    int64_t student_id;
    int64_t school_id;
    int64_t county_id;
    bool deleted;
    char name[256];
    char gender[4];
    char birth_date[16];
    char id_type[4];
    char id_number[64];
};

static enum problem_action
handling_action(Xueji__V1__HandlingKind kind)
{
    switch (kind) {
    case XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE:
        return PROBLEM_ACTION_CHANGE;
    case XUEJI__V1__HANDLING_KIND__HANDLING_KIND_ATTEST:
        return PROBLEM_ACTION_ATTEST;
    default:
        return PROBLEM_ACTION_DELETE;
    }
}


/* Locks problem_id and its student; fails the job when the problem is not
 * one of the organisation's. */
static bool
handling_lock(struct request_job *job, PGconn *pg, uint64_t problem_id,
              struct handling_target *target)
{
    static const char sql[] =
        "SELECT p.status, p.kind, s.id, s.school_id, sc.parent_id,"
        " s.deleted_at IS NOT NULL, s.name, s.gender,"
        " to_char(s.birth_date, 'YYYYMMDD'), s.id_type, s.id_number"
        " FROM problem p JOIN student s ON s.id = p.student_id"
        " JOIN organisation sc ON sc.id = s.school_id"
        " WHERE p.id = $1 FOR UPDATE OF p, s";
    PGresult *res = request_job_query_id(job, pg, "handling lock", sql,
                                         (int64_t)problem_id);

    if (res == NULL) {
        return false;
    }
    if (PQntuples(res) != 1 || atoll(PQgetvalue(res, 0, 3)) != job->org_id) {
        PQclear(res);
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_NOT_FOUND,
                         "problem_id", "list your problems with xueji problems",
                         "problem %llu is not one of your school's problems",
                         (unsigned long long)problem_id);
        return false;
    }
    snprintf(target->status, sizeof(target->status), "%s", PQgetvalue(res, 0, 0));
    snprintf(target->kind, sizeof(target->kind), "%s", PQgetvalue(res, 0, 1));
    target->student_id = atoll(PQgetvalue(res, 0, 2));
    target->school_id = atoll(PQgetvalue(res, 0, 3));
    target->county_id = atoll(PQgetvalue(res, 0, 4));
    target->deleted = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
    snprintf(target->name, sizeof(target->name), "%s", PQgetvalue(res, 0, 6));
    snprintf(target->gender, sizeof(target->gender), "%s", PQgetvalue(res, 0, 7));
    snprintf(target->birth_date, sizeof(target->birth_date), "%s",
             PQgetvalue(res, 0, 8));
    snprintf(target->id_type, sizeof(target->id_type), "%s", PQgetvalue(res, 0, 9));
    snprintf(target->id_number, sizeof(target->id_number), "%s",
             PQgetvalue(res, 0, 10));
    PQclear(res);
    return true;
}

/* Takes the duplicate-check locks of the problem's student before any row
 * lock, as an import and the approval of a change do. A deletion updates
 * the problems of other records under these locks. Taken after its own
 * row locks, they could make it wait for a request that waits for one of
 * those rows, a deadlock that PostgreSQL ends by aborting one of the two.
 * handling_delete takes them again under the row lock, which costs nothing
 * while the keys are unchanged. */
static bool
handling_prelock(struct request_job *job, PGconn *pg, uint64_t problem_id)
{
    static const char sql[] =
        "SELECT dedup_lock(dedup_keys(s.id_number, s.name, s.gender,"
        " to_char(s.birth_date, 'YYYYMMDD')))"
        " FROM problem p JOIN student s ON s.id = p.student_id"
        " WHERE p.id = $1";
    PGresult *res = request_job_query_id(job, pg, "handling prelock", sql,
                                         (int64_t)problem_id);

    return db_clear_ok(res);
}

/* Fails the job with the reason a transition is not allowed. */
static void
handling_refuse(struct request_job *job, uint64_t problem_id,
                const char *status, enum problem_action action)
{
    if (strcmp(status, "pending_review") == 0) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_CONFLICT,
                         "problem_id",
                         "wait for the county's decision, then handle it again "
                         "if it is rejected",
                         "problem %llu is waiting for the county's review",
                         (unsigned long long)problem_id);
    } else {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_CONFLICT,
                         "problem_id", "list open problems with xueji problems",
                         "problem %llu is %s and cannot be handled by %s",
                         (unsigned long long)problem_id, status,
                         problem_action_name(action));
    }
}

/* Writes the request's evidence ids as a PostgreSQL array literal. */
static void
handling_evidence_array(const Xueji__V1__HandleRequest *request, char *buf,
                        size_t size)
{
    size_t used = 0;

    buf[used++] = '{';
    for (size_t i = 0; i < request->n_evidence_ids && used < size; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%llu",
                                 i ? "," : "",
                                 (unsigned long long)request->evidence_ids[i]);
    }
    if (used < size) {
        snprintf(buf + used, size - used, "}");
    }
}

/* Adds the request's evidence ids to the job's log line, as "evidence=3,5". */
static void
handling_log_evidence(struct request_job *job,
                      const Xueji__V1__HandleRequest *request)
{
    char list[HANDLING_EVIDENCE_MAX * 24 + 4];
    size_t len;

    handling_evidence_array(request, list, sizeof(list));
    len = strlen(list);
    if (len >= 2 && list[len - 1] == '}') {
        list[len - 1] = '\0';
        request_job_log_text(job, "evidence", list + 1);
    }
}

/* Checks that every evidence id was uploaded by the organisation. */
static bool
handling_check_evidence(struct request_job *job, PGconn *pg,
                        const Xueji__V1__HandleRequest *request)
{
    char org[24], list[HANDLING_EVIDENCE_MAX * 24 + 4];
    const char *params[2] = {request_job_id(org, job->org_id), list};
    PGresult *res;
    long missing;

    handling_evidence_array(request, list, sizeof(list));
    res = db_query(pg, "handling evidence",
                   "SELECT count(*) FROM unnest($2::bigint[]) e(id)"
                   " WHERE NOT EXISTS (SELECT 1 FROM evidence_owner o"
                   " WHERE o.evidence_id = e.id AND o.org_id = $1)",
                   2, params);
    if (res == NULL) {
        request_job_db_fail(job, pg);
        return false;
    }
    missing = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (missing > 0) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_NOT_FOUND,
                         "evidence_ids", "upload the files again with this account",
                         "%ld of the evidence files were not uploaded by your "
                         "school", missing);
        return false;
    }
    return true;
}

/* Merges the corrected fields into the record's and checks them like an
 * import row. Fills merged and *id_fault; fails the job on bad values. */
static bool
handling_merge_change(struct request_job *job,
                      const Xueji__V1__ControlledFields *fields,
                      const struct handling_target *target,
                      struct rowcheck_controlled *merged, const char **id_fault)
{
    struct xj_error err;
    char today[9];

    merged->name = fields->name[0] ? fields->name : target->name;
    merged->gender = fields->gender[0] ? fields->gender : target->gender;
    merged->birth_date = fields->birth_date[0] ? fields->birth_date
                                               : target->birth_date;
    merged->id_type = fields->id_type[0] ? fields->id_type : target->id_type;
    merged->id_number = fields->id_number[0] ? fields->id_number
                                             : target->id_number;
    if (strcmp(merged->name, target->name) == 0 &&
        strcmp(merged->gender, target->gender) == 0 &&
        strcmp(merged->birth_date, target->birth_date) == 0 &&
        strcmp(merged->id_type, target->id_type) == 0 &&
        strcmp(merged->id_number, target->id_number) == 0) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                         "fields", "give at least one corrected value",
                         "the change does not differ from the record");
        return false;
    }
    rowcheck_today(today);
    xj_error_clear(&err);
    if (rowcheck_controlled(merged, today, id_fault, &err) < 0) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                         err.field, err.hint, "%s", err.message);
        return false;
    }

    /* A change that touches the ID number or the fields it encodes must
     * leave a number that passes its check. A change of the name alone
     * may keep an invalid number, whose problem then stays. */
    if ((*id_fault)[0] != '\0' &&
        (fields->id_number[0] || fields->id_type[0] || fields->gender[0] ||
         fields->birth_date[0])) {
        xj_error_clear(&err);
        (void)idcard_check(merged->id_number, merged->gender[0],
                           merged->birth_date, today, &err);
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                         "id_number", err.hint,
                         "the corrected values fail the ID number check: %s",
                         err.message);
        return false;
    }
    return true;
}

/* Files a change or attestation case, moves the problem to next and
 * records the audit entry. */
static bool
handling_file_case(struct request_job *job, PGconn *pg,
                   const Xueji__V1__HandleRequest *request,
                   const struct handling_target *target, const char *next,
                   const struct rowcheck_controlled *merged,
                   const char *id_fault, int64_t *case_id)
{
    static const char sql[] =
        "WITH c AS (INSERT INTO handling_case (problem_id, student_id,"
        " school_id, county_id, kind, status, reason, proposed, created_by)"
        " VALUES ($1, $2, $3, $4, $5, 'pending', $6, CASE WHEN $5 = 'change'"
        " THEN jsonb_build_object('name', $7::text, 'gender', $8::text,"
        " 'birth_date', $9::text, 'id_type', $10::text, 'id_number', $11::text,"
        " 'id_fault', $12::text) END, $13) RETURNING id),"
        " e AS (INSERT INTO case_evidence (case_id, evidence_id)"
        " SELECT c.id, x FROM c, unnest($14::bigint[]) x ON CONFLICT DO NOTHING),"
        " p AS (UPDATE problem SET status = $15, updated_at = now()"
        " WHERE id = $1),"
        " a AS (INSERT INTO audit_log (account_id, org_id, action, object_kind,"
        " object_id, before, after) SELECT $13, $3, 'request_' || $5, 'student',"
        " $2, jsonb_build_object('problem', $1::bigint, 'status', $16::text),"
        " jsonb_build_object('problem', $1::bigint, 'status', $15::text,"
        " 'case', c.id, 'reason', $6::text) FROM c)"
        " SELECT id FROM c";
    char problem[24], student[24], school[24], county[24], account[24];
    char list[HANDLING_EVIDENCE_MAX * 24 + 4];
    const char *kind = request->kind == XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE
                           ? "change" : "attest";
    const char *params[16] = {
        request_job_id(problem, (int64_t)request->problem_id),
        request_job_id(student, target->student_id),
        request_job_id(school, target->school_id),
        request_job_id(county, target->county_id),
        kind, request->reason,
        merged->name, merged->gender, merged->birth_date, merged->id_type,
        merged->id_number, id_fault,
        request_job_id(account, job->account_id), list, next, target->status,
    };
    PGresult *res;

    handling_evidence_array(request, list, sizeof(list));
    res = db_query(pg, "file case", sql, 16, params);
    if (res == NULL) {
        request_job_db_fail(job, pg);
        return false;
    }
    *case_id = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return true;
}

/* Deletes the target's student at once: its problems resolve, the duplicate
 * check runs again, and every counterpart left with nothing against it
 * becomes an enrolled student, as if attested and approved by the county. */
static bool
handling_delete(struct request_job *job, PGconn *pg,
                const Xueji__V1__HandleRequest *request,
                const struct handling_target *target, unsigned *cleared)
{
    static const char lock_sql[] =
        "SELECT dedup_lock(dedup_keys(id_number, name, gender,"
        " to_char(birth_date, 'YYYYMMDD'))) FROM student WHERE id = $1";
    static const char delete_sql[] =
        "WITH peers AS (SELECT coalesce(array_agg(DISTINCT student_id), '{}')"
        " AS ids FROM problem WHERE counterpart_id = $1"
        " AND status <> 'resolved'),"
        " s AS (UPDATE student SET deleted_at = now(), updated_at = now()"
        " WHERE id = $1),"
        " p AS (UPDATE problem SET status = 'resolved', resolution = 'deleted',"
        " resolved_at = now(), updated_at = now()"
        " WHERE student_id = $1 AND status <> 'resolved' RETURNING id),"
        " c AS (INSERT INTO handling_case (problem_id, student_id, school_id,"
        " county_id, kind, status, reason, created_by)"
        " VALUES ($6, $1, $2, $3, 'delete', 'done', $5, $4) RETURNING id),"
        " a AS (INSERT INTO audit_log (account_id, org_id, action, object_kind,"
        " object_id, before, after) SELECT $4, $2, 'delete', 'student', $1,"
        " jsonb_build_object('deleted', false),"
        " jsonb_build_object('deleted', true, 'reason', $5::text, 'case', c.id)"
        " FROM c)"
        " SELECT (SELECT ids FROM peers), (SELECT count(*) FROM p),"
        " (SELECT id FROM c)";
    static const char enrol_sql[] =
        "WITH freed AS (UPDATE student s SET state = 'approved',"
        " updated_at = now() WHERE s.id = ANY ($1::bigint[])"
        " AND s.deleted_at IS NULL AND s.state <> 'approved'"
        " AND NOT EXISTS (SELECT 1 FROM problem p WHERE p.student_id = s.id"
        " AND p.status <> 'resolved') RETURNING s.id, s.school_id),"
        " a AS (INSERT INTO audit_log (account_id, org_id, action, object_kind,"
        " object_id, before, after) SELECT $2, $3, 'enrol_after_counterpart_delete',"
        " 'student', f.id, jsonb_build_object('state', 'imported'),"
        " jsonb_build_object('state', 'approved', 'deleted_counterpart',"
        " $4::bigint) FROM freed f)"
        " SELECT count(*) FROM freed";
    char student[24], school[24], county[24], account[24], problem[24];
    const char *params[6] = {
        request_job_id(student, target->student_id),
        request_job_id(school, target->school_id),
        request_job_id(county, target->county_id),
        request_job_id(account, job->account_id), request->reason,
        request_job_id(problem, (int64_t)request->problem_id),
    };
    char *peers = NULL;
    PGresult *res;
    bool ok;

    res = db_query(pg, "delete lock", lock_sql, 1, params);
    ok = res != NULL;
    PQclear(res);
    res = ok ? db_query(pg, "delete student", delete_sql, 6, params) : NULL;
    if (res != NULL) {
        peers = strdup(PQgetvalue(res, 0, 0));
        *cleared = (unsigned)atol(PQgetvalue(res, 0, 1));
        request_job_log_id(job, "case", atoll(PQgetvalue(res, 0, 2)));
        PQclear(res);
    }
    res = peers ? db_query(pg, "delete recheck",
                           "SELECT cleared FROM dedup_recheck(ARRAY[$1::bigint])",
                           1, params) : NULL;
    if (res != NULL) {
        const char *enrol_params[4] = {peers, account, school, student};

        *cleared += (unsigned)atol(PQgetvalue(res, 0, 0));
        PQclear(res);
        res = db_query(pg, "delete enrol", enrol_sql, 4, enrol_params);
        /* A separate statement, so that it reads the enrolment above. */
        PQclear(res);
        res = res == NULL ? NULL
                          : db_query(pg, "delete numbers",
                                     "SELECT student_number_refresh($1::bigint[])",
                                     1, enrol_params);
    }
    ok = res != NULL;
    PQclear(res);
    free(peers);
    if (!ok) {
        request_job_db_fail(job, pg);
    }
    return ok;
}

static void
handling_run(struct request_job *job, struct db_session *session)
{
    const Xueji__V1__HandleRequest *request = job->request->handle;
    enum problem_action action = handling_action(request->kind);
    Xueji__V1__HandleReply *reply;
    struct handling_target target;
    struct rowcheck_controlled merged = {0};
    const char *id_fault = "", *next;
    PGconn *pg = session->pg;
    int64_t case_id = 0;
    unsigned cleared = 0;

    request_job_log_id(job, "problem", (int64_t)request->problem_id);
    if (!db_begin_as(pg, "handling begin", job->account_id, job->org_id)) {
        request_job_db_fail(job, pg);
        return;
    }
    if (action == PROBLEM_ACTION_DELETE &&
        !handling_prelock(job, pg, request->problem_id)) {
        return;
    }
    if (!handling_lock(job, pg, request->problem_id, &target)) {
        db_rollback(pg);
        return;
    }
    request_job_log_id(job, "student", target.student_id);
    if (action != PROBLEM_ACTION_DELETE) {
        handling_log_evidence(job, request);
    }
    next = problem_state_next(target.status, action);
    if (next == NULL || target.deleted) {
        handling_refuse(job, request->problem_id, target.status, action);
        db_rollback(pg);
        return;
    }
    if (action == PROBLEM_ACTION_DELETE) {
        if (!handling_delete(job, pg, request, &target, &cleared)) {
            return;
        }
    } else if (!handling_check_evidence(job, pg, request) ||
               (action == PROBLEM_ACTION_CHANGE &&
                !handling_merge_change(job, request->fields, &target, &merged,
                                       &id_fault)) ||
               !handling_file_case(job, pg, request, &target, next, &merged,
                                   id_fault, &case_id)) {
        db_rollback(pg);
        return;
    }
    if (case_id != 0) {
        request_job_log_id(job, "case", case_id);
    }
    if (!db_exec(pg, "handling commit", "COMMIT")) {
        request_job_db_fail(job, pg);
        return;
    }

    reply = arena_alloc(&job->arena, sizeof(*reply));
    if (reply == NULL) {
        return;
    }
    xueji__v1__handle_reply__init(reply);
    reply->case_id = (uint64_t)case_id;
    reply->problem_status = (char *)next;
    reply->problems_cleared = cleared;
    job->reply.body_case = XUEJI__V1__ENVELOPE__BODY_HANDLE_REPLY;
    job->reply.handle_reply = reply;
    job->log_action = action == PROBLEM_ACTION_DELETE ? "student deleted"
                                                      : "handling case filed";
}

/* Tells whether a reason is present, at most HANDLING_REASON_MAX bytes of
 * UTF-8 and free of control characters other than line breaks. */
static bool
handling_reason_is_valid(const char *reason)
{
    size_t len = strlen(reason);
    bool blank = true;

    if (len == 0 || len > HANDLING_REASON_MAX || !text_is_utf8(reason, len)) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)reason[i];

        if ((c < 0x20 && c != '\n' && c != '\r') || c == 0x7f) {
            return false;
        }
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            blank = false;
        }
    }
    return !blank;
}

void
handle_handle(struct conn *conn, wire_envelope *env)
{
    const Xueji__V1__HandleRequest *request = env->handle;
    uint64_t id = env->request_id;
    bool needs_evidence =
        request->kind != XUEJI__V1__HANDLING_KIND__HANDLING_KIND_DELETE;
    const char *problem = NULL, *field = NULL, *hint = NULL;

    if (request->kind == XUEJI__V1__HANDLING_KIND__HANDLING_KIND_UNSPECIFIED ||
        request->problem_id == 0) {
        field = "kind";
        problem = "the request needs a problem id and change, delete or attest";
    } else if (!handling_reason_is_valid(request->reason)) {
        field = "reason";
        hint = "write why, in at most 2000 bytes";
        problem = "a reason is required and must be plain text";
    } else if (needs_evidence && (request->n_evidence_ids == 0 ||
                                  request->n_evidence_ids > HANDLING_EVIDENCE_MAX)) {
        field = "evidence_ids";
        hint = "upload 1 to 20 evidence files (Word, RAR, JPEG or PNG)";
        problem = "a change or attestation needs 1 to 20 evidence files";
    } else if (request->kind == XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE &&
               request->fields == NULL) {
        field = "fields";
        hint = "give at least one corrected value";
        problem = "a change needs the corrected fields";
    }
    if (problem != NULL) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      field, hint, "%s", problem);
        return;
    }
    request_job_submit(conn, env, handling_run);
}
