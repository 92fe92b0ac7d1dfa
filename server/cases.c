/* SPDX-License-Identifier: MIT */
/* Case and student rows to protocol messages; see cases.h. */
#include "cases.h"

#include <stdlib.h>
#include <string.h>

Xueji__V1__HandlingKind
cases_kind(const char *kind)
{
    if (strcmp(kind, "change") == 0) {
        return XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE;
    }
    if (strcmp(kind, "delete") == 0) {
        return XUEJI__V1__HANDLING_KIND__HANDLING_KIND_DELETE;
    }
    if (strcmp(kind, "attest") == 0) {
        return XUEJI__V1__HANDLING_KIND__HANDLING_KIND_ATTEST;
    }
    return XUEJI__V1__HANDLING_KIND__HANDLING_KIND_UNSPECIFIED;
}

Xueji__V1__StudentRecord *
cases_fill_student(struct arena *arena, PGresult *res, int row, int column)
{
    Xueji__V1__StudentRecord *record = arena_alloc(arena, sizeof(*record));

    if (record == NULL) {
        return NULL;
    }
    xueji__v1__student_record__init(record);
    record->student_id = strtoull(PQgetvalue(res, row, column), NULL, 10);
    record->student_number = PQgetvalue(res, row, column + 1);
    record->name = PQgetvalue(res, row, column + 2);
    record->gender = PQgetvalue(res, row, column + 3);
    record->birth_date = PQgetvalue(res, row, column + 4);
    record->id_type = PQgetvalue(res, row, column + 5);
    record->id_number_masked = PQgetvalue(res, row, column + 6);
    record->grade = PQgetvalue(res, row, column + 7);
    record->class_name = PQgetvalue(res, row, column + 8);
    record->school_code = PQgetvalue(res, row, column + 9);
    record->school_name = PQgetvalue(res, row, column + 10);
    record->county_name = PQgetvalue(res, row, column + 11);
    record->school_phone = PQgetvalue(res, row, column + 12);
    record->state = PQgetvalue(res, row, column + 13);
    return record;
}

Xueji__V1__ReviewCase *
cases_fill(struct arena *arena, PGresult *res, int row)
{
    Xueji__V1__ReviewCase *item = arena_alloc(arena, sizeof(*item));
    Xueji__V1__ControlledFields *proposed;

    if (item == NULL) {
        return NULL;
    }
    xueji__v1__review_case__init(item);
    item->case_id = strtoull(PQgetvalue(res, row, 0), NULL, 10);
    item->kind = cases_kind(PQgetvalue(res, row, 1));
    item->status = PQgetvalue(res, row, 2);
    item->problem_id = strtoull(PQgetvalue(res, row, 3), NULL, 10);
    item->problem_kind = PQgetvalue(res, row, 4);
    item->problem_detail = PQgetvalue(res, row, 5);
    item->student = cases_fill_student(arena, res, row, 6);
    item->reason = PQgetvalue(res, row, 20);
    if (item->kind == XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE) {
        proposed = arena_alloc(arena, sizeof(*proposed));
        if (proposed != NULL) {
            xueji__v1__controlled_fields__init(proposed);
            proposed->name = PQgetvalue(res, row, 21);
            proposed->gender = PQgetvalue(res, row, 22);
            proposed->birth_date = PQgetvalue(res, row, 23);
            proposed->id_type = PQgetvalue(res, row, 24);
            proposed->id_number = PQgetvalue(res, row, 25);
        }
        item->proposed = proposed;
    }
    item->created_at = PQgetvalue(res, row, 26);
    item->created_by = PQgetvalue(res, row, 27);
    item->opinion = PQgetvalue(res, row, 28);
    item->decided_by = PQgetvalue(res, row, 29);
    item->decided_at = PQgetvalue(res, row, 30);
    if (item->student != NULL) {
        item->student->id_number = PQgetvalue(res, row, 31);
    }
    return item;
}
