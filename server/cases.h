/* SPDX-License-Identifier: MIT */
/*
 * Reading handling cases and student records out of query results into
 * protocol messages, shared by the review, case list and history handlers.
 */
#ifndef XUEJI_CASES_H
#define XUEJI_CASES_H

#include <libpq-fe.h>

#include "arena.h"
#include "wire.h"

/* Schools at or below organisation $1, as a CTE named scope(id, kind). */
#define CASES_SCOPE_SQL                                                       \
    "WITH RECURSIVE scope AS ("                                               \
    " SELECT id, kind FROM organisation WHERE id = $1"                        \
    " UNION ALL SELECT o.id, o.kind FROM organisation o"                      \
    " JOIN scope ON o.parent_id = scope.id)"

/* The 14 columns of a student record, for cases_fill_student. Needs
 * student s, its school sc and the school's county cc. */
#define CASES_STUDENT_COLUMNS                                                 \
    " s.id, coalesce(s.student_number, ''), s.name, s.gender,"                \
    " to_char(s.birth_date, 'YYYYMMDD'), s.id_type, id_mask(s.id_number),"    \
    " s.grade, s.class_name, sc.code, sc.name, cc.name, sc.telephone,"        \
    " CASE WHEN s.deleted_at IS NOT NULL THEN 'deleted' ELSE s.state END"

#define CASES_STUDENT_JOINS                                                   \
    " JOIN organisation sc ON sc.id = s.school_id"                            \
    " JOIN organisation cc ON cc.id = sc.parent_id"

/* A case row: 32 columns read by cases_fill. The case's record and the
 * proposed values carry whole ID numbers, because the school and the
 * county that see a case are responsible for its record. */
#define CASES_SELECT_SQL                                                      \
    " SELECT c.id, c.kind, c.status, c.problem_id, p.kind, p.detail,"         \
    CASES_STUDENT_COLUMNS ","                                                 \
    " c.reason, coalesce(c.proposed->>'name', ''),"                           \
    " coalesce(c.proposed->>'gender', ''),"                                   \
    " coalesce(c.proposed->>'birth_date', ''),"                               \
    " coalesce(c.proposed->>'id_type', ''),"                                  \
    " coalesce(c.proposed->>'id_number', ''),"                                \
    " to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"\
    " ua.username, c.opinion, coalesce(ud.username, ''),"                     \
    " coalesce(to_char(c.decided_at AT TIME ZONE 'UTC',"                      \
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), s.id_number"                    \
    " FROM handling_case c JOIN problem p ON p.id = c.problem_id"             \
    " JOIN student s ON s.id = c.student_id"                                  \
    CASES_STUDENT_JOINS                                                       \
    " JOIN account ua ON ua.id = c.created_by"                                \
    " LEFT JOIN account ud ON ud.id = c.decided_by"

/* Returns a student record read from 14 columns of res starting at
 * column; strings point into res. NULL when the arena fails. */
Xueji__V1__StudentRecord *cases_fill_student(struct arena *arena,
                                             PGresult *res, int row,
                                             int column);

/* Returns the case in row of a CASES_SELECT_SQL result. */
Xueji__V1__ReviewCase *cases_fill(struct arena *arena, PGresult *res,
                                  int row);

/* Returns the protocol kind of "change", "delete" or "attest". */
Xueji__V1__HandlingKind cases_kind(const char *kind);

#endif
