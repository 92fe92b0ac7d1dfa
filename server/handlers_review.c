/* SPDX-License-Identifier: MIT */
/*
 * The county's review of changes and attestations: the queue, the detail
 * of one case, and the decision. A county decides only cases of its own
 * schools; cities and the province may read. The decision locks the case,
 * its problem and its student in one transaction, so two reviewers
 * deciding one case at once produce one decision and one clear error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "handlers.h"
#include "problem_state.h"
#include "request_job.h"

#define REVIEW_PAGE_DEFAULT 200
#define REVIEW_PAGE_MAX 1000
#define REVIEW_OPINION_MAX 2000

static const char review_list_sql[] =
    CASES_SCOPE_SQL CASES_SELECT_SQL
    " WHERE c.status = 'pending'"
    " AND c.school_id IN (SELECT id FROM scope WHERE kind = 'school')"
    " AND ($2 = '' OR sc.code = $2) AND ($3 = '' OR c.kind = $3)"
    " AND c.id > $4::bigint ORDER BY c.id LIMIT $5::int";

static const char review_case_sql[] =
    CASES_SCOPE_SQL CASES_SELECT_SQL
    " WHERE c.school_id IN (SELECT id FROM scope WHERE kind = 'school')"
    " AND c.id = $2::bigint";

static const char review_next_sql[] =
    CASES_SCOPE_SQL CASES_SELECT_SQL
    " WHERE c.status = 'pending'"
    " AND c.school_id IN (SELECT id FROM scope WHERE kind = 'school')"
    " AND c.id > $2::bigint ORDER BY c.id LIMIT 1";

/* Live records that share the student's ID number (old or proposed) or
 * are the problem's counterpart. */
static const char review_counterparts_sql[] =
    "WITH t AS (SELECT hc.student_id, st.id_number AS old_id,"
    " coalesce(hc.proposed->>'id_number', '') AS new_id,"
    " (SELECT counterpart_id FROM problem WHERE id = hc.problem_id) AS other"
    " FROM handling_case hc JOIN student st ON st.id = hc.student_id"
    " WHERE hc.id = $1::bigint)"
    " SELECT" CASES_STUDENT_COLUMNS
    " FROM student s" CASES_STUDENT_JOINS ", t"
    " WHERE s.id <> t.student_id AND s.deleted_at IS NULL"
    " AND (s.id = t.other OR (s.id_number <> ''"
    " AND s.id_number IN (t.old_id, t.new_id)))"
    " ORDER BY s.id LIMIT 50";

static const char review_evidence_sql[] =
    "SELECT e.id, e.file_name, e.detected_type, e.size,"
    " encode(e.sha256, 'hex') FROM case_evidence ce"
    " JOIN evidence e ON e.id = ce.evidence_id"
    " WHERE ce.case_id = $1::bigint ORDER BY e.id";

static const char *
review_kind_text(Xueji__V1__HandlingKind kind)
{
    switch (kind) {
    case XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE:
        return "change";
    case XUEJI__V1__HANDLING_KIND__HANDLING_KIND_ATTEST:
        return "attest";
    case XUEJI__V1__HANDLING_KIND__HANDLING_KIND_DELETE:
        return "delete";
    default:
        return "";
    }
}

/* Fills the array of cases of res into *cases and *count. */
static void
review_fill_all(struct request_job *job, PGresult *res, int rows,
                Xueji__V1__ReviewCase ***cases, size_t *count)
{
    *cases = arena_alloc(&job->arena, sizeof(**cases) * ((size_t)rows + 1));
    *count = 0;
    for (int i = 0; *cases != NULL && i < rows; i++) {
        (*cases)[(*count)++] = cases_fill(&job->arena, res, i);
    }
}

static void
review_list_run(struct request_job *job, struct db_session *session)
{
    const Xueji__V1__ReviewListRequest *request = job->request->review_list;
    unsigned limit = request->limit == 0 ? REVIEW_PAGE_DEFAULT
                     : request->limit > REVIEW_PAGE_MAX ? REVIEW_PAGE_MAX
                                                        : request->limit;
    char org[24], after[24], limit_text[16];
    const char *params[5] = {request_job_id(org, job->org_id),
                             request->school_code,
                             review_kind_text(request->kind),
                             request_job_id(after, (int64_t)request->after_id),
                             limit_text};
    Xueji__V1__ReviewListReply *reply;
    PGresult *res;
    int rows;

    snprintf(limit_text, sizeof(limit_text), "%u", limit + 1);
    res = request_job_keep(job, db_query(session->pg, "review list",
                                         review_list_sql, 5, params));
    reply = arena_alloc(&job->arena, sizeof(*reply));
    if (res == NULL || reply == NULL) {
        return;
    }
    xueji__v1__review_list_reply__init(reply);
    rows = PQntuples(res);
    review_fill_all(job, res, rows > (int)limit ? (int)limit : rows,
                    &reply->cases, &reply->n_cases);
    if (rows > (int)limit && reply->n_cases > 0) {
        reply->next_after_id = reply->cases[reply->n_cases - 1]->case_id;
    }
    job->reply.body_case = XUEJI__V1__ENVELOPE__BODY_REVIEW_LIST_REPLY;
    job->reply.review_list_reply = reply;
}

/* Adds the counterparts and evidence of item, the case being shown. */
static void
review_add_detail(struct request_job *job, PGconn *pg,
                  Xueji__V1__ReviewCase *item)
{
    char id[24];
    const char *params[1] = {request_job_id(id, (int64_t)item->case_id)};
    PGresult *others = request_job_keep(
        job, db_query(pg, "review counterparts", review_counterparts_sql, 1,
                      params));
    PGresult *files = request_job_keep(
        job, db_query(pg, "review evidence", review_evidence_sql, 1, params));
    int rows;

    if (others == NULL || files == NULL) {
        return;
    }
    rows = PQntuples(others);
    item->counterparts = arena_alloc(&job->arena,
                                     sizeof(*item->counterparts) * ((size_t)rows + 1));
    for (int i = 0; item->counterparts != NULL && i < rows; i++) {
        item->counterparts[item->n_counterparts++] =
            cases_fill_student(&job->arena, others, i, 0);
    }
    rows = PQntuples(files);
    item->evidence = arena_alloc(&job->arena,
                                 sizeof(*item->evidence) * ((size_t)rows + 1));
    for (int i = 0; item->evidence != NULL && i < rows; i++) {
        Xueji__V1__EvidenceInfo *info = arena_alloc(&job->arena, sizeof(*info));

        if (info == NULL) {
            return;
        }
        xueji__v1__evidence_info__init(info);
        info->evidence_id = strtoull(PQgetvalue(files, i, 0), NULL, 10);
        info->file_name = PQgetvalue(files, i, 1);
        info->detected_type = PQgetvalue(files, i, 2);
        info->size = strtoull(PQgetvalue(files, i, 3), NULL, 10);
        info->sha256_hex = PQgetvalue(files, i, 4);
        item->evidence[item->n_evidence++] = info;
    }
}

static void
review_show_run(struct request_job *job, struct db_session *session)
{
    const Xueji__V1__ReviewShowRequest *request = job->request->review_show;
    char org[24], id[24];
    const char *params[2] = {request_job_id(org, job->org_id), id};
    Xueji__V1__ReviewShowReply *reply;
    PGresult *res;

    request_job_id(id, (int64_t)(request->case_id != 0 ? request->case_id
                                                       : request->after_id));
    if (request->case_id != 0) {
        request_job_log_id(job, "case", (int64_t)request->case_id);
    }
    res = request_job_keep(job, db_query(session->pg, "review show",
                                         request->case_id != 0 ? review_case_sql
                                                               : review_next_sql,
                                         2, params));
    reply = arena_alloc(&job->arena, sizeof(*reply));
    if (res == NULL || reply == NULL) {
        return;
    }
    xueji__v1__review_show_reply__init(reply);
    if (PQntuples(res) == 0 && request->case_id != 0) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_NOT_FOUND,
                         "case_id", "list the queue with xueji review list",
                         "case %llu is not a case of your schools",
                         (unsigned long long)request->case_id);
        return;
    }
    if (PQntuples(res) == 1) {
        reply->case_ = cases_fill(&job->arena, res, 0);
        if (reply->case_ != NULL) {
            review_add_detail(job, session->pg, reply->case_);
        }
    }
    job->reply.body_case = XUEJI__V1__ENVELOPE__BODY_REVIEW_SHOW_REPLY;
    job->reply.review_show_reply = reply;
}

/* Tells whether the problem params[1] is one of the school params[0]'s.
 * When it is not, fails the job with the not-found error of a handling
 * request, so that an unknown problem and another school's read the same. */
static bool
case_list_problem_exists(struct request_job *job, PGconn *pg,
                         const char *const params[2])
{
    PGresult *res = db_query(pg, "case list problem",
                             "SELECT 1 FROM problem p"
                             " JOIN student s ON s.id = p.student_id"
                             " WHERE p.id = $2::bigint AND s.school_id = $1",
                             2, params);
    bool found = res != NULL && PQntuples(res) == 1;

    PQclear(res);
    if (res == NULL) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAVAILABLE,
                         NULL, "try again in a minute",
                         "the server could not complete the request");
    } else if (!found) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_NOT_FOUND,
                         "problem_id", "list your problems with xueji problems",
                         "problem %s is not one of your school's problems",
                         params[1]);
    }
    return found;
}

static void
case_list_run(struct request_job *job, struct db_session *session)
{
    const Xueji__V1__CaseListRequest *request = job->request->case_list;
    char org[24], problem[24];
    const char *params[2] = {request_job_id(org, job->org_id),
                             request_job_id(problem,
                                            (int64_t)request->problem_id)};
    Xueji__V1__CaseListReply *reply;
    PGresult *res;

    if (request->problem_id != 0) {
        request_job_log_id(job, "problem", (int64_t)request->problem_id);
    }
    res = request_job_keep(job, db_query(session->pg, "case list",
                                         CASES_SCOPE_SQL CASES_SELECT_SQL
                                         " WHERE c.school_id = $1"
                                         " AND ($2::bigint = 0"
                                         " OR c.problem_id = $2::bigint)"
                                         " ORDER BY c.id LIMIT 1000",
                                         2, params));
    reply = arena_alloc(&job->arena, sizeof(*reply));
    if (res == NULL || reply == NULL) {
        return;
    }
    if (request->problem_id != 0 && PQntuples(res) == 0 &&
        !case_list_problem_exists(job, session->pg, params)) {
        return;
    }
    xueji__v1__case_list_reply__init(reply);
    review_fill_all(job, res, PQntuples(res), &reply->cases, &reply->n_cases);
    job->reply.body_case = XUEJI__V1__ENVELOPE__BODY_CASE_LIST_REPLY;
    job->reply.case_list_reply = reply;
}

void
handle_review_list(struct conn *conn, wire_envelope *env)
{
    if (strlen(env->review_list->school_code) > 16) {
        uint64_t id = env->request_id;

        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "school_code", "use the 10-digit school code",
                      "school code is too long");
        return;
    }
    request_job_submit(conn, env, review_list_run);
}

void
handle_review_show(struct conn *conn, wire_envelope *env)
{
    request_job_submit(conn, env, review_show_run);
}

void
handle_case_list(struct conn *conn, wire_envelope *env)
{
    request_job_submit(conn, env, case_list_run);
}
