/* SPDX-License-Identifier: MIT */
/*
 * A record's audit trail, for its school and the organisations above it:
 * every number the student has held and every audited change, with ID
 * numbers masked.
 */
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "handlers.h"
#include "request_job.h"

/* Masks the id_number key of an audit JSON value, if present. */
#define HISTORY_MASKED(column)                                                \
    "coalesce(CASE WHEN " column " ? 'id_number' THEN jsonb_set(" column ","  \
    " '{id_number}', to_jsonb(id_mask(" column "->>'id_number')))"            \
    " ELSE " column " END::text, '')"

static const char history_student_sql[] =
    CASES_SCOPE_SQL " SELECT" CASES_STUDENT_COLUMNS
    " FROM student s" CASES_STUDENT_JOINS
    " WHERE s.id = $2::bigint"
    " AND s.school_id IN (SELECT id FROM scope WHERE kind = 'school')";

/* A record whose number never changed has no history rows: its one
 * number is on the record, given when it was created. */
static const char history_numbers_sql[] =
    "SELECT student_number FROM ("
    "SELECT student_number, assigned_at FROM student_number_history"
    " WHERE student_id = $1::bigint"
    " UNION ALL"
    " SELECT s.student_number, s.created_at FROM student s"
    " WHERE s.id = $1::bigint AND s.student_number IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM student_number_history h"
    " WHERE h.student_id = s.id)) numbers"
    " ORDER BY assigned_at, student_number";

static const char history_entries_sql[] =
    "SELECT to_char(s.created_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    /* The import's audit row was written in the transaction that stored
     * the record, so both carry that transaction's now(). */
    " coalesce((SELECT ac.username FROM audit_log a"
    " JOIN account ac ON ac.id = a.account_id"
    " WHERE a.object_kind = 'school' AND a.object_id = s.school_id"
    " AND a.action = 'import' AND a.at = s.created_at LIMIT 1), ''),"
    " sc.name, 'import', '', ''"
    " FROM student s JOIN organisation sc ON sc.id = s.school_id"
    " WHERE s.id = $1::bigint"
    " UNION ALL"
    " (SELECT to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " coalesce(ac.username, 'operator'), coalesce(o.name, ''), a.action, "
    HISTORY_MASKED("a.before") ", " HISTORY_MASKED("a.after")
    " FROM audit_log a LEFT JOIN account ac ON ac.id = a.account_id"
    " LEFT JOIN organisation o ON o.id = a.org_id"
    " WHERE a.object_kind = 'student' AND a.object_id = $1::bigint"
    " ORDER BY a.id)";

static void
history_fill(struct request_job *job, Xueji__V1__HistoryReply *reply,
             PGresult *numbers, PGresult *entries)
{
    int rows = PQntuples(numbers);

    reply->student_numbers = arena_alloc(&job->arena,
                                         sizeof(char *) * ((size_t)rows + 1));
    for (int i = 0; reply->student_numbers != NULL && i < rows; i++) {
        reply->student_numbers[reply->n_student_numbers++] =
            PQgetvalue(numbers, i, 0);
    }
    rows = PQntuples(entries);
    reply->entries = arena_alloc(&job->arena,
                                 sizeof(*reply->entries) * ((size_t)rows + 1));
    for (int i = 0; reply->entries != NULL && i < rows; i++) {
        Xueji__V1__HistoryEntry *entry = arena_alloc(&job->arena,
                                                     sizeof(*entry));

        if (entry == NULL) {
            return;
        }
        xueji__v1__history_entry__init(entry);
        entry->at = PQgetvalue(entries, i, 0);
        entry->account = PQgetvalue(entries, i, 1);
        entry->organisation = PQgetvalue(entries, i, 2);
        entry->action = PQgetvalue(entries, i, 3);
        entry->before = PQgetvalue(entries, i, 4);
        entry->after = PQgetvalue(entries, i, 5);
        reply->entries[reply->n_entries++] = entry;
    }
}

static void
history_run(struct request_job *job, struct db_session *session)
{
    uint64_t student_id = job->request->history->student_id;
    char org[24], id[24];
    const char *params[2] = {request_job_id(org, job->org_id),
                             request_job_id(id, (int64_t)student_id)};
    Xueji__V1__HistoryReply *reply;
    PGresult *student, *numbers, *entries;

    student = request_job_keep(job, db_query(session->pg, "history student",
                                             history_student_sql, 2, params));
    if (student == NULL) {
        return;
    }
    if (PQntuples(student) != 1) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_NOT_FOUND,
                         "student_id", "take the student id from xueji problems",
                         "student %llu is not a record of your organisation",
                         (unsigned long long)student_id);
        return;
    }
    numbers = request_job_keep(job, db_query(session->pg, "history numbers",
                                             history_numbers_sql, 1,
                                             params + 1));
    entries = request_job_keep(job, db_query(session->pg, "history entries",
                                             history_entries_sql, 1,
                                             params + 1));
    reply = arena_alloc(&job->arena, sizeof(*reply));
    if (numbers == NULL || entries == NULL || reply == NULL) {
        return;
    }
    xueji__v1__history_reply__init(reply);
    reply->student = cases_fill_student(&job->arena, student, 0, 0);
    history_fill(job, reply, numbers, entries);
    job->reply.body_case = XUEJI__V1__ENVELOPE__BODY_HISTORY_REPLY;
    job->reply.history_reply = reply;
}

void
handle_history(struct conn *conn, wire_envelope *env)
{
    request_job_submit(conn, env, history_run);
}
