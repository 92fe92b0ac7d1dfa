/* SPDX-License-Identifier: MIT */
/*
 * The problem list. A school account lists its own students' problems,
 * and a county, city or province account lists those of its schools. Of the
 * counterpart only its school, county and telephone are returned, which is
 * what the two registrars need to call each other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "handlers.h"
#include "idcard.h"
#include "server.h"

#define PROBLEM_PAGE_DEFAULT 500
#define PROBLEM_PAGE_MAX 2000

static const char *const problem_kinds[] = {
    "id_dup_school", "id_dup_county", "id_dup_province", "id_dup_national",
    "ngb_dup", "id_invalid", "id_not_found", "id_name_mismatch", NULL,
};
static const char *const problem_statuses[] = {
    "open", "pending_review", "rejected", "resolved", "all", NULL,
};

/* Schools below or equal to $1, for any organisation level. */
#define PROBLEM_SCOPE_SQL                                                     \
    "WITH RECURSIVE scope AS ("                                               \
    " SELECT id, kind FROM organisation WHERE id = $1"                        \
    " UNION ALL SELECT o.id, o.kind FROM organisation o"                      \
    " JOIN scope ON o.parent_id = scope.id)"

static const char problem_list_sql[] =
    PROBLEM_SCOPE_SQL
    " SELECT p.id, p.kind, p.status, s.id, s.name, s.id_number, s.grade,"
    " s.class_name, coalesce(cs.name, ''), coalesce(cc.name, ''),"
    " coalesce(cs.telephone, ''), p.detail,"
    " to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " coalesce(s.student_number, ''),"
    " CASE WHEN p.status = 'rejected' THEN coalesce((SELECT hc.opinion"
    " FROM handling_case hc WHERE hc.problem_id = p.id"
    " AND hc.status = 'rejected' ORDER BY hc.id DESC LIMIT 1), '') ELSE '' END,"
    " ss.name"
    " FROM problem p"
    " JOIN student s ON s.id = p.student_id"
    " JOIN organisation ss ON ss.id = s.school_id"
    " LEFT JOIN student c ON c.id = p.counterpart_id"
    " LEFT JOIN organisation cs ON cs.id = c.school_id"
    " LEFT JOIN organisation cc ON cc.id = cs.parent_id"
    " WHERE s.school_id IN (SELECT id FROM scope WHERE kind = 'school')"
    " AND ($2 = '' OR p.kind = $2)"
    " AND CASE $3 WHEN '' THEN p.status <> 'resolved'"
    "             WHEN 'all' THEN true ELSE p.status = $3 END"
    " AND p.id > $4::bigint"
    " ORDER BY p.id LIMIT $5::int";

struct problem_job {
    struct db_job job;
    struct conn *conn;
    uint64_t request_id;
    int64_t org_id;
    char kind[32];
    char status[32];
    uint64_t after_id;
    unsigned limit;
    PGresult *res;          /* owned; NULL after a database error */
};

static bool
problem_is_one_of(const char *value, const char *const *allowed)
{
    for (; *allowed != NULL; allowed++) {
        if (strcmp(value, *allowed) == 0) {
            return true;
        }
    }
    return false;
}

static void
problem_run(struct db_job *job, struct db_session *session)
{
    struct problem_job *list = (struct problem_job *)job;
    char org[24], after[24], limit[16];
    const char *params[5] = {org, list->kind, list->status, after, limit};

    snprintf(org, sizeof(org), "%lld", (long long)list->org_id);
    snprintf(after, sizeof(after), "%llu", (unsigned long long)list->after_id);
    snprintf(limit, sizeof(limit), "%u", list->limit + 1);
    list->res = PQexecParams(session->pg, problem_list_sql, 5, NULL, params,
                             NULL, NULL, 0);
    if (!db_result_ok(session->pg, list->res, "problem list")) {
        PQclear(list->res);
        list->res = NULL;
    }
}

static void
problem_fill(Xueji__V1__Problem *problem, PGresult *res, int row,
             char *masked)
{
    xueji__v1__problem__init(problem);
    problem->id = strtoull(PQgetvalue(res, row, 0), NULL, 10);
    problem->kind = PQgetvalue(res, row, 1);
    problem->status = PQgetvalue(res, row, 2);
    problem->student_id = strtoull(PQgetvalue(res, row, 3), NULL, 10);
    problem->name = PQgetvalue(res, row, 4);
    idcard_mask(PQgetvalue(res, row, 5), masked);
    problem->id_number_masked = masked;
    problem->grade = PQgetvalue(res, row, 6);
    problem->class_name = PQgetvalue(res, row, 7);
    problem->counterpart_school = PQgetvalue(res, row, 8);
    problem->counterpart_county = PQgetvalue(res, row, 9);
    problem->counterpart_phone = PQgetvalue(res, row, 10);
    problem->detail = PQgetvalue(res, row, 11);
    problem->created_at = PQgetvalue(res, row, 12);
    problem->student_number = PQgetvalue(res, row, 13);
    problem->opinion = PQgetvalue(res, row, 14);
    problem->school_name = PQgetvalue(res, row, 15);
}

static void
problem_reply(struct conn *conn, struct problem_job *list)
{
    wire_envelope reply = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__ProblemListReply body = XUEJI__V1__PROBLEM_LIST_REPLY__INIT;
    int rows = PQntuples(list->res);
    int shown = rows > (int)list->limit ? (int)list->limit : rows;
    Xueji__V1__Problem *problems = calloc((size_t)shown + 1, sizeof(*problems));
    Xueji__V1__Problem **pointers = calloc((size_t)shown + 1, sizeof(*pointers));
    char (*masked)[IDCARD_MASK_SIZE] = calloc((size_t)shown + 1,
                                              sizeof(*masked));

    if (problems == NULL || pointers == NULL || masked == NULL) {
        handler_error(conn, list->request_id,
                      XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL, NULL, NULL,
                      "out of memory");
        goto out;
    }
    for (int i = 0; i < shown; i++) {
        problem_fill(&problems[i], list->res, i, masked[i]);
        pointers[i] = &problems[i];
    }
    body.problems = pointers;
    body.n_problems = (size_t)shown;
    body.next_after_id = rows > shown ? problems[shown - 1].id : 0;
    reply.request_id = list->request_id;
    reply.body_case = XUEJI__V1__ENVELOPE__BODY_PROBLEM_LIST_REPLY;
    reply.problem_list_reply = &body;
    handler_reply(conn, &reply);
out:
    free(problems);
    free(pointers);
    free(masked);
}

static void
problem_done(struct db_job *job)
{
    struct problem_job *list = (struct problem_job *)job;
    struct conn *conn = list->conn;

    if (conn->closing) {
        conn_request_done(conn);
    } else if (list->res == NULL) {
        clog_error(conn, "problem list failed");
        handler_error(conn, list->request_id,
                      XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAVAILABLE, NULL,
                      "try again in a minute", "database unavailable");
    } else {
        problem_reply(conn, list);
    }
    PQclear(list->res);
    free(list);
}

void
handle_problem_list(struct conn *conn, wire_envelope *env)
{
    Xueji__V1__ProblemListRequest *request = env->problem_list;
    uint64_t id = env->request_id;
    struct problem_job *list;

    if ((request->kind[0] != '\0' &&
         !problem_is_one_of(request->kind, problem_kinds)) ||
        (request->status[0] != '\0' &&
         !problem_is_one_of(request->status, problem_statuses))) {
        bool bad_kind = request->kind[0] != '\0' &&
                        !problem_is_one_of(request->kind, problem_kinds);

        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      bad_kind ? "kind" : "status",
                      bad_kind ? "kinds: id_dup_school, id_dup_county, "
                                 "id_dup_province, ngb_dup, id_invalid, ..."
                               : "statuses: open, pending_review, rejected, "
                                 "resolved, all",
                      "unknown %s \"%.40s\"", bad_kind ? "kind" : "status",
                      bad_kind ? request->kind : request->status);
        wire_free(env);
        return;
    }
    list = calloc(1, sizeof(*list));
    if (list == NULL) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
                      NULL, NULL, "out of memory");
        return;
    }
    list->conn = conn;
    list->request_id = id;
    list->org_id = conn->org_id;
    snprintf(list->kind, sizeof(list->kind), "%s", request->kind);
    snprintf(list->status, sizeof(list->status), "%s", request->status);
    list->after_id = request->after_id;
    list->limit = request->limit == 0 ? PROBLEM_PAGE_DEFAULT
                  : request->limit > PROBLEM_PAGE_MAX ? PROBLEM_PAGE_MAX
                                                      : request->limit;
    wire_free(env);
    list->job.run = problem_run;
    list->job.done = problem_done;
    list->job.owner = conn->worker;
    conn->job_in_flight = true;
    db_pool_submit(conn->worker->server->db, &list->job);
}
