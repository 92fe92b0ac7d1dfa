/* SPDX-License-Identifier: MIT */
/*
 * The county's decision on one case. Rejecting returns the problem to the
 * school with the opinion. Approving an attestation resolves the problem
 * and remembers the attested pair. Approving a change applies the
 * corrected values unless they collide with another live record. It then
 * runs the duplicate check again for the record and for every record that
 * shared its old or new key values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "problem_state.h"
#include "request_job.h"
#include "text.h"

#define DECIDE_OPINION_MAX 2000

/* The locked case with its problem and student. */
struct decide_target {
    char status[16];
    char kind[16];
    int64_t county_id;
    int64_t school_id;
    int64_t problem_id;
    int64_t student_id;
    char decided_by[64];
    char decided_at[32];
    char problem_status[32];
    const char *proposed[6];    /* name, gender, birth_date, id_type, id_number, id_fault */
    PGresult *res;              /* owns proposed */
};

/* Takes the duplicate-check locks of the record of a pending case, for its
 * current values and the proposed ones of a change, before any row lock.
 * Approving a change updates the problems of other records under these
 * locks. A deletion and an import do the same. All of them take the locks
 * before their row locks, so none waits for the locks while holding a row
 * that another needs. The locks also serialise approvals for the two
 * records of a pair, which share a key. Each approval refers to the other
 * record in its attested pair and may give its own record the G number of
 * the shared ID number, so two at the same moment would deadlock.
 * decide_approve_change takes the locks again under the row locks, which
 * costs nothing while the values are unchanged. */
static bool
decide_prelock(struct request_job *job, PGconn *pg, uint64_t case_id)
{
    static const char sql[] =
        "SELECT dedup_lock(dedup_keys(s.id_number, s.name, s.gender,"
        " to_char(s.birth_date, 'YYYYMMDD'))"
        " || CASE WHEN c.kind = 'change' THEN"
        " dedup_keys(c.proposed->>'id_number', c.proposed->>'name',"
        " c.proposed->>'gender', c.proposed->>'birth_date')"
        " ELSE '{}' END)"
        " FROM handling_case c JOIN student s ON s.id = c.student_id"
        " WHERE c.id = $1::bigint AND c.status = 'pending'";
    PGresult *res = request_job_query_id(job, pg, "decide prelock", sql,
                                         (int64_t)case_id);

    return db_clear_ok(res);
}

/* Locks the case, its problem and its student. The decider's name comes
 * from a subquery, not a join. A second decider that waited for the lock
 * gets the case row as the first one committed it. PostgreSQL (Read
 * Committed) evaluates the select list again for that row but keeps the
 * rows it had joined from tables it does not lock, so a join to account
 * would return no name. */
static bool
decide_lock(struct request_job *job, PGconn *pg, uint64_t case_id,
            struct decide_target *target)
{
    static const char sql[] =
        "SELECT c.status, c.kind, c.county_id, c.school_id, c.problem_id,"
        " c.student_id,"
        " coalesce((SELECT username FROM account WHERE id = c.decided_by), ''),"
        " coalesce(to_char(c.decided_at AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), p.status,"
        " coalesce(c.proposed->>'name', ''), coalesce(c.proposed->>'gender', ''),"
        " coalesce(c.proposed->>'birth_date', ''),"
        " coalesce(c.proposed->>'id_type', ''),"
        " coalesce(c.proposed->>'id_number', ''),"
        " coalesce(c.proposed->>'id_fault', '')"
        " FROM handling_case c JOIN problem p ON p.id = c.problem_id"
        " JOIN student s ON s.id = c.student_id"
        " WHERE c.id = $1::bigint FOR UPDATE OF c, p, s";
    PGresult *res = request_job_query_id(job, pg, "decide lock", sql,
                                         (int64_t)case_id);

    if (res == NULL) {
        return false;
    }
    if (PQntuples(res) != 1 || atoll(PQgetvalue(res, 0, 2)) != job->org_id) {
        PQclear(res);
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_NOT_FOUND,
                         "case_id", "list the queue with xueji review list",
                         "case %llu is not a case of your county's schools",
                         (unsigned long long)case_id);
        return false;
    }
    snprintf(target->status, sizeof(target->status), "%s", PQgetvalue(res, 0, 0));
    snprintf(target->kind, sizeof(target->kind), "%s", PQgetvalue(res, 0, 1));
    target->county_id = atoll(PQgetvalue(res, 0, 2));
    target->school_id = atoll(PQgetvalue(res, 0, 3));
    target->problem_id = atoll(PQgetvalue(res, 0, 4));
    target->student_id = atoll(PQgetvalue(res, 0, 5));
    request_job_log_id(job, "problem", target->problem_id);
    request_job_log_id(job, "student", target->student_id);
    snprintf(target->decided_by, sizeof(target->decided_by), "%s",
             PQgetvalue(res, 0, 6));
    snprintf(target->decided_at, sizeof(target->decided_at), "%s",
             PQgetvalue(res, 0, 7));
    snprintf(target->problem_status, sizeof(target->problem_status), "%s",
             PQgetvalue(res, 0, 8));
    for (int i = 0; i < 6; i++) {
        target->proposed[i] = PQgetvalue(res, 0, 9 + i);
    }
    target->res = res;
    return true;
}

static void
decide_refuse(struct request_job *job, uint64_t case_id,
              const struct decide_target *target)
{
    if (target->decided_by[0] != '\0') {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_CONFLICT,
                         "case_id", "show the case to see the decision",
                         "case %llu was already %s by %s at %s",
                         (unsigned long long)case_id, target->status,
                         target->decided_by, target->decided_at);
    } else {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_CONFLICT,
                         "case_id", "show the case to see why",
                         "case %llu is %s and cannot be decided",
                         (unsigned long long)case_id, target->status);
    }
}

static bool
decide_reject(struct request_job *job, PGconn *pg, uint64_t case_id,
              const struct decide_target *target, const char *opinion)
{
    static const char sql[] =
        "WITH c AS (UPDATE handling_case SET status = 'rejected',"
        " opinion = $2, decided_by = $3, decided_at = now()"
        " WHERE id = $1::bigint RETURNING problem_id, student_id, kind),"
        " p AS (UPDATE problem SET status = 'rejected', updated_at = now()"
        " WHERE id = (SELECT problem_id FROM c)),"
        " a AS (INSERT INTO audit_log (account_id, org_id, action, object_kind,"
        " object_id, before, after) SELECT $3, $4, 'reject_' || c.kind,"
        " 'student', c.student_id, jsonb_build_object('case', $1::bigint,"
        " 'status', 'pending'), jsonb_build_object('case', $1::bigint,"
        " 'status', 'rejected', 'opinion', $2::text) FROM c)"
        " SELECT 1";
    char id[24], account[24], org[24];
    const char *params[4] = {request_job_id(id, (int64_t)case_id), opinion,
                             request_job_id(account, job->account_id),
                             request_job_id(org, job->org_id)};
    PGresult *res = db_query(pg, "decide reject", sql, 4, params);

    (void)target;
    return db_clear_ok(res);
}

static bool
decide_approve_attest(struct request_job *job, PGconn *pg, uint64_t case_id,
                      const struct decide_target *target, const char *opinion)
{
    static const char sql[] =
        "WITH c AS (UPDATE handling_case SET status = 'approved',"
        " opinion = $2, decided_by = $3, decided_at = now()"
        " WHERE id = $1::bigint RETURNING problem_id, student_id),"
        " p AS (UPDATE problem SET status = 'resolved', resolution = 'attested',"
        " resolved_at = now(), updated_at = now()"
        " WHERE id = (SELECT problem_id FROM c)"
        " RETURNING student_id, kind, counterpart_id),"
        " ap AS (INSERT INTO attested_pair (student_id, kind, counterpart_id,"
        " case_id) SELECT student_id, kind, counterpart_id, $1::bigint FROM p"
        " ON CONFLICT DO NOTHING),"
        " s AS (UPDATE student SET state = 'approved', updated_at = now()"
        " WHERE id = (SELECT student_id FROM c)),"
        " a AS (INSERT INTO audit_log (account_id, org_id, action, object_kind,"
        " object_id, before, after) SELECT $3, $4, 'approve_attest', 'student',"
        " c.student_id, jsonb_build_object('case', $1::bigint, 'status',"
        " 'pending'), jsonb_build_object('case', $1::bigint, 'status',"
        " 'approved', 'opinion', $2::text) FROM c)"
        " SELECT 1";
    char id[24], account[24], org[24], student[24];
    const char *params[4] = {request_job_id(id, (int64_t)case_id), opinion,
                             request_job_id(account, job->account_id),
                             request_job_id(org, job->org_id)};
    const char *refresh[1] = {request_job_id(student, target->student_id)};
    PGresult *res = db_query(pg, "decide attest", sql, 4, params);

    if (res == NULL) {
        return false;
    }
    PQclear(res);
    res = db_query(pg, "decide attest number",
                   "SELECT student_number_refresh(ARRAY[$1::bigint])", 1,
                   refresh);
    return db_clear_ok(res);
}

/* Fails the job when the proposed values collide with another live
 * record: the same ID number, or the same name, gender and birth date
 * where one of the two has no resident ID number. */
static bool
decide_check_collision(struct request_job *job, PGconn *pg,
                       const struct decide_target *target)
{
    static const char sql[] =
        "SELECT sc.name, cc.name, sc.telephone, id_mask(x.id_number),"
        " x.id_number = $6 AND $6 <> ''"
        " FROM student x JOIN organisation sc ON sc.id = x.school_id"
        " JOIN organisation cc ON cc.id = sc.parent_id"
        " WHERE x.deleted_at IS NULL AND x.id <> $1::bigint"
        " AND ((x.id_number = $6 AND $6 <> '')"
        " OR ((x.name, x.gender, x.birth_date) = ($2, $3, $4::date)"
        " AND ($5 <> '1' OR $6 = '' OR x.id_type <> '1' OR x.id_number = '')))"
        " ORDER BY x.id LIMIT 1";
    char student[24];
    const char *params[6] = {request_job_id(student, target->student_id),
                             target->proposed[0], target->proposed[1],
                             target->proposed[2], target->proposed[3],
                             target->proposed[4]};
    PGresult *res = db_query(pg, "decide collision", sql, 6, params);
    bool same_id;

    if (res == NULL) {
        request_job_db_fail(job, pg);
        return false;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        return true;
    }
    same_id = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
    request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_CONFLICT,
                     "case_id",
                     "reject the change with this reason, or ask that school "
                     "to delete or correct its record first",
                     same_id ? "the new ID number is already held by a live "
                               "record at %s (%s, telephone %s)"
                             : "the new name, gender and birth date match a "
                               "live record at %s (%s, telephone %s)",
                     PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                     PQgetvalue(res, 0, 2));
    PQclear(res);
    db_rollback(pg);
    return false;
}

static bool
decide_approve_change(struct request_job *job, PGconn *pg, uint64_t case_id,
                      const struct decide_target *target, const char *opinion,
                      unsigned *cleared)
{
    static const char lock_sql[] =
        "SELECT dedup_lock(dedup_keys(id_number, name, gender,"
        " to_char(birth_date, 'YYYYMMDD')) || dedup_keys($5, $2, $3, $4))"
        " FROM student WHERE id = $1::bigint";
    static const char apply_sql[] =
        "WITH old AS (SELECT name, gender, to_char(birth_date, 'YYYYMMDD')"
        " AS birth_date, id_type, id_number FROM student WHERE id = $1::bigint),"
        " peers AS (SELECT coalesce(array_agg(x.id), '{}') AS ids FROM student x,"
        " old WHERE x.deleted_at IS NULL AND x.id <> $1::bigint"
        " AND ((x.id_number = old.id_number AND old.id_number <> '')"
        " OR (x.name, x.gender, to_char(x.birth_date, 'YYYYMMDD'))"
        " = (old.name, old.gender, old.birth_date))),"
        " u AS (UPDATE student SET name = $2, gender = $3, birth_date = $4::date,"
        " id_type = $5, id_number = $6, id_fault = $7, state = 'approved',"
        " updated_at = now() WHERE id = $1::bigint),"
        " c AS (UPDATE handling_case SET status = 'approved', opinion = $9,"
        " decided_by = $10, decided_at = now(),"
        " previous = (SELECT to_jsonb(old) FROM old) WHERE id = $8::bigint),"
        " p AS (UPDATE problem SET status = 'resolved', resolution = 'changed',"
        " resolved_at = now(), updated_at = now() WHERE id = $12::bigint),"
        " d AS (DELETE FROM attested_pair WHERE student_id = $1::bigint"
        " OR counterpart_id = $1::bigint),"
        " a AS (INSERT INTO audit_log (account_id, org_id, action, object_kind,"
        " object_id, before, after) SELECT $10, $11, 'approve_change',"
        " 'student', $1::bigint, to_jsonb(old), jsonb_build_object('name', $2,"
        " 'gender', $3, 'birth_date', to_char($4::date, 'YYYYMMDD'),"
        " 'id_type', $5, 'id_number', $6,"
        " 'case', $8::bigint, 'opinion', $9) FROM old)"
        " SELECT ARRAY[$1::bigint] || ids FROM peers";
    char student[24], id[24], account[24], org[24], problem[24];
    const char *params[12] = {
        request_job_id(student, target->student_id), target->proposed[0],
        target->proposed[1], target->proposed[2], target->proposed[3],
        target->proposed[4], target->proposed[5],
        request_job_id(id, (int64_t)case_id), opinion,
        request_job_id(account, job->account_id),
        request_job_id(org, job->org_id),
        request_job_id(problem, target->problem_id),
    };
    const char *lock_params[5] = {params[0], params[1], params[2], params[3],
                                  params[5]};
    PGresult *res = db_query(pg, "decide change lock", lock_sql, 5,
                             lock_params);
    char *ids;

    PQclear(res);
    if (res == NULL) {
        request_job_db_fail(job, pg);
        return false;
    }
    if (!decide_check_collision(job, pg, target)) {
        return false;
    }
    res = db_query(pg, "decide change apply", apply_sql, 12, params);
    ids = res != NULL ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    res = ids ? db_query(pg, "decide change recheck",
                         "SELECT cleared FROM dedup_recheck($1::bigint[])",
                         1, (const char *const *)&ids) : NULL;
    if (res != NULL) {
        *cleared = (unsigned)atol(PQgetvalue(res, 0, 0));
        /* A separate statement, so that it reads the problems cleared above. */
        PQclear(res);
        res = db_query(pg, "decide change numbers",
                       "SELECT student_number_refresh($1::bigint[])", 1,
                       (const char *const *)&ids);
    }
    PQclear(res);
    free(ids);
    if (res == NULL) {
        request_job_db_fail(job, pg);
        return false;
    }
    return true;
}

static const char *
decide_student_number(struct request_job *job, PGconn *pg, int64_t student_id)
{
    char id[24];
    const char *params[1] = {request_job_id(id, student_id)};
    PGresult *res = request_job_keep(
        job, db_query(pg, "decide number",
                      "SELECT coalesce(student_number, '') FROM student"
                      " WHERE id = $1::bigint", 1, params));

    return res != NULL && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
}

static bool
decide_apply(struct request_job *job, PGconn *pg,
             const Xueji__V1__ReviewDecideRequest *request,
             struct decide_target *target, unsigned *cleared)
{
    enum problem_action action = request->approve ? PROBLEM_ACTION_APPROVE
                                                  : PROBLEM_ACTION_REJECT;

    if (strcmp(target->status, "pending") != 0 ||
        problem_state_next(target->problem_status, action) == NULL) {
        decide_refuse(job, request->case_id, target);
        return false;
    }
    if (!request->approve) {
        return decide_reject(job, pg, request->case_id, target,
                             request->opinion);
    }
    if (strcmp(target->kind, "change") == 0) {
        return decide_approve_change(job, pg, request->case_id, target,
                                     request->opinion, cleared);
    }
    return decide_approve_attest(job, pg, request->case_id, target,
                                 request->opinion);
}

static void
decide_run(struct request_job *job, struct db_session *session)
{
    const Xueji__V1__ReviewDecideRequest *request = job->request->review_decide;
    struct decide_target target = {0};
    Xueji__V1__ReviewDecideReply *reply;
    PGconn *pg = session->pg;
    unsigned cleared = 0;
    bool ok;

    request_job_log_id(job, "case", (int64_t)request->case_id);
    if (!db_begin_as(pg, "decide begin", job->account_id, job->org_id)) {
        request_job_db_fail(job, pg);
        return;
    }
    ok = (!request->approve || decide_prelock(job, pg, request->case_id)) &&
         decide_lock(job, pg, request->case_id, &target) &&
         decide_apply(job, pg, request, &target, &cleared);
    PQclear(target.res);
    if (!ok) {
        if (job->error_code == 0) {
            request_job_db_fail(job, pg);
        }
        db_rollback(pg);
        return;
    }
    if (!db_exec(pg, "decide commit", "COMMIT")) {
        request_job_db_fail(job, pg);
        return;
    }
    reply = arena_alloc(&job->arena, sizeof(*reply));
    if (reply == NULL) {
        return;
    }
    xueji__v1__review_decide_reply__init(reply);
    reply->case_id = request->case_id;
    reply->status = (char *)(request->approve ? "approved" : "rejected");
    reply->problems_cleared = cleared;
    reply->student_number = (char *)decide_student_number(job, pg,
                                                          target.student_id);
    job->reply.body_case = XUEJI__V1__ENVELOPE__BODY_REVIEW_DECIDE_REPLY;
    job->reply.review_decide_reply = reply;
    job->log_action = request->approve ? "case approved" : "case rejected";
}

void
handle_review_decide(struct conn *conn, wire_envelope *env)
{
    const Xueji__V1__ReviewDecideRequest *request = env->review_decide;
    size_t len = strlen(request->opinion);
    uint64_t id = env->request_id;

    if (request->case_id == 0 || len > DECIDE_OPINION_MAX ||
        !text_is_utf8(request->opinion, len) ||
        (!request->approve && strspn(request->opinion, " \t\r\n") == len)) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "opinion",
                      "a rejection needs an opinion that tells the school what "
                      "to do; at most 2000 bytes",
                      "a case id is required, and an opinion to reject");
        return;
    }
    request_job_submit(conn, env, decide_run);
}
