/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by xueji problems change/delete/attest/cases, xueji review
 * and xueji history: id and text parsing, typed calls, and the text and
 * JSON display of cases, student records and evidence lists.
 */
#include "handling.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "i18n.h"
#include "output.h"
#include "text.h"

/* Evidence table cells longer than this many columns are cut. */
#define HANDLING_CELL_WIDTH 48

bool
handling_parse_id(const char *text, const char *what, uint64_t *id)
{
    unsigned long long value;
    char *end;

    errno = 0;
    value = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
        value == 0) {
        fprintf(stderr, _("xueji: %s \"%s\" is invalid; give a positive "
                          "whole number\n"), what, text);
        return false;
    }
    *id = (uint64_t)value;
    return true;
}

bool
handling_is_blank(const char *text)
{
    char *normalised = text_normalize(text, 0, NULL);
    bool blank = normalised == NULL || normalised[0] == '\0';

    free(normalised);
    return blank;
}

int
handling_call(struct client *client, wire_envelope *request,
              Xueji__V1__Envelope__BodyCase expected, wire_envelope **reply,
              struct xj_error *err)
{
    int rc = client_call(client, request, reply, err);

    if (rc < 0) {
        return rc;
    }
    if ((*reply)->body_case != expected) {
        wire_free(*reply);
        *reply = NULL;
        return xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL,
                            _("check that the server runs the same xueji "
                              "version as this client"),
                            _("the server sent an unexpected response"));
    }
    return 0;
}

int
handling_request(const struct client_settings *settings,
                 wire_envelope *request,
                 Xueji__V1__Envelope__BodyCase expected, wire_envelope **reply)
{
    struct client client;
    struct xj_error err;
    int rc;

    xj_error_clear(&err);
    rc = client_open(&client, settings, &err);
    if (rc == 0) {
        rc = handling_call(&client, request, expected, reply, &err);
    }
    client_close(&client);
    if (rc < 0) {
        client_print_error(&err);
        return client_exit_for(rc);
    }
    return CLIENT_EXIT_OK;
}

const char *
handling_kind_name(Xueji__V1__HandlingKind kind)
{
    switch (kind) {
    case XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE:
        return "change";
    case XUEJI__V1__HANDLING_KIND__HANDLING_KIND_DELETE:
        return "delete";
    case XUEJI__V1__HANDLING_KIND__HANDLING_KIND_ATTEST:
        return "attest";
    default:
        return "";
    }
}

void
handling_format_size(uint64_t size, char *buf, size_t buf_size)
{
    if (size < 1024) {
        snprintf(buf, buf_size, _("%" PRIu64 " bytes"), size);
    } else if (size < 1024 * 1024) {
        snprintf(buf, buf_size, _("%.1f KiB"), (double)size / 1024);
    } else {
        snprintf(buf, buf_size, _("%.1f MiB"), (double)size / (1024 * 1024));
    }
}

/* Returns "code name" of a code table entry, e.g. "1 男", into buf. */
static const char *
handling_code_label(enum codes_table table, const char *code, char *buf,
                    size_t size)
{
    const char *name = code[0] != '\0' ? codes_name(table, code) : NULL;

    snprintf(buf, size, "%s%s%s", code, name != NULL ? " " : "",
             name != NULL ? name : "");
    return buf;
}

void
handling_print_record(const Xueji__V1__StudentRecord *record,
                      const char *indent)
{
    char gender[32], id_type[64];

    printf(_("%sStudent %" PRIu64 ", number %s, state %s\n"), indent,
           record->student_id,
           record->student_number[0] ? record->student_number : _("(none)"),
           record->state);
    printf(_("%s  name:        %s\n"), indent, record->name);
    printf(_("%s  gender:      %s\n"), indent,
           handling_code_label(CODES_GENDER, record->gender, gender,
                               sizeof(gender)));
    printf(_("%s  birth date:  %s\n"), indent, record->birth_date);
    printf(_("%s  ID type:     %s\n"), indent,
           handling_code_label(CODES_ID_TYPE, record->id_type, id_type,
                               sizeof(id_type)));
    printf(_("%s  ID number:   %s\n"), indent,
           record->id_number[0] != '\0' ? record->id_number
                                         : record->id_number_masked);
    printf(_("%s  grade/class: %s %s\n"), indent, record->grade,
           record->class_name);
    printf(_("%s  school:      %s %s, %s, telephone %s\n"), indent,
           record->school_code, record->school_name, record->county_name,
           record->school_phone);
}

/* Prints one corrected value, marked when it differs from the record's. */
static void
handling_print_proposed_line(const char *label, const char *value,
                             const char *current)
{
    printf("  %-13s%s%s\n", label, value,
           strcmp(value, current) != 0 ? _("  (changed)") : "");
}

/* Prints the corrected values of a change. An empty value keeps the
 * record's and is left out. */
static void
handling_print_proposed(const Xueji__V1__ControlledFields *fields,
                        const Xueji__V1__StudentRecord *record)
{
    const Xueji__V1__StudentRecord empty = XUEJI__V1__STUDENT_RECORD__INIT;
    const char *values[5] = {fields->name, fields->gender, fields->birth_date,
                             fields->id_type, fields->id_number};
    const char *labels[5] = {_("name:"), _("gender:"), _("birth date:"),
                             _("ID type:"), _("ID number:")};
    const char *current[5];

    if (record == NULL) {
        record = &empty;
    }
    current[0] = record->name;
    current[1] = record->gender;
    current[2] = record->birth_date;
    current[3] = record->id_type;
    current[4] = record->id_number[0] != '\0' ? record->id_number
                                              : record->id_number_masked;
    printf(_("Values after the change:\n"));
    for (size_t i = 0; i < 5; i++) {
        if (values[i][0] != '\0') {
            handling_print_proposed_line(labels[i], values[i], current[i]);
        }
    }
}

static void
handling_print_counterparts(const Xueji__V1__ReviewCase *review_case)
{
    if (review_case->n_counterparts == 0) {
        return;
    }
    printf(_("Other records in this problem (call their school):\n"));
    for (size_t i = 0; i < review_case->n_counterparts; i++) {
        const Xueji__V1__StudentRecord *other = review_case->counterparts[i];

        printf(_("  %s %s, %s, telephone %s: %s, %s, %s %s\n"),
               other->school_code, other->school_name, other->county_name,
               other->school_phone, other->name, other->id_number_masked,
               other->grade, other->class_name);
    }
}

static void
handling_print_evidence(const Xueji__V1__ReviewCase *review_case)
{
    const char *headers[5];
    struct output_table *table;

    if (review_case->n_evidence == 0) {
        printf(_("Evidence: none\n"));
        return;
    }
    headers[0] = _("Evidence");
    headers[1] = _("File name");
    headers[2] = _("Type");
    headers[3] = _("Size");
    headers[4] = _("SHA-256");
    table = output_table_new(5, headers);
    for (size_t i = 0; table != NULL && i < review_case->n_evidence; i++) {
        const Xueji__V1__EvidenceInfo *info = review_case->evidence[i];
        char id[24], size[32];
        const char *cells[5] = {id, info->file_name, info->detected_type, size,
                                info->sha256_hex};

        snprintf(id, sizeof(id), "%" PRIu64, info->evidence_id);
        handling_format_size(info->size, size, sizeof(size));
        if (output_table_add(table, cells) < 0) {
            break;
        }
    }
    printf(_("Evidence:\n"));
    output_table_print(table, stdout, HANDLING_CELL_WIDTH);
    printf(_("Download one with: xueji evidence get ID -o FILE\n"));
    output_table_free(table);
}

void
handling_print_case(const Xueji__V1__ReviewCase *review_case)
{
    printf(_("Case %" PRIu64 ": %s of problem %" PRIu64 " (%s%s%s), %s\n"),
           review_case->case_id, handling_kind_name(review_case->kind),
           review_case->problem_id, review_case->problem_kind,
           review_case->problem_detail[0] ? ": " : "",
           review_case->problem_detail, review_case->status);
    printf(_("Filed %s by %s\n"), review_case->created_at,
           review_case->created_by);
    if (review_case->student != NULL) {
        handling_print_record(review_case->student, "");
    }
    if (review_case->kind == XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE &&
        review_case->proposed != NULL) {
        handling_print_proposed(review_case->proposed, review_case->student);
    }
    handling_print_counterparts(review_case);
    printf(_("Reason given by the school: %s\n"), review_case->reason);
    handling_print_evidence(review_case);
    if (review_case->decided_at[0] != '\0') {
        printf(_("Decided %s by %s: %s\n"), review_case->decided_at,
               review_case->decided_by,
               review_case->opinion[0] ? review_case->opinion
                                       : _("(no opinion)"));
    }
}

static void
handling_json_add_string(json_object *obj, const char *key, const char *value)
{
    json_object_object_add(obj, key, json_object_new_string(value));
}

static void
handling_json_add_id(json_object *obj, const char *key, uint64_t value)
{
    json_object_object_add(obj, key, json_object_new_uint64(value));
}

json_object *
handling_record_json(const Xueji__V1__StudentRecord *record)
{
    json_object *obj = json_object_new_object();

    handling_json_add_id(obj, "student_id", record->student_id);
    handling_json_add_string(obj, "student_number", record->student_number);
    handling_json_add_string(obj, "name", record->name);
    handling_json_add_string(obj, "gender", record->gender);
    handling_json_add_string(obj, "birth_date", record->birth_date);
    handling_json_add_string(obj, "id_type", record->id_type);
    handling_json_add_string(obj, "id_number", record->id_number_masked);
    if (record->id_number[0] != '\0') {
        handling_json_add_string(obj, "id_number_full", record->id_number);
    }
    handling_json_add_string(obj, "grade", record->grade);
    handling_json_add_string(obj, "class", record->class_name);
    handling_json_add_string(obj, "school_code", record->school_code);
    handling_json_add_string(obj, "school_name", record->school_name);
    handling_json_add_string(obj, "county_name", record->county_name);
    handling_json_add_string(obj, "school_phone", record->school_phone);
    handling_json_add_string(obj, "state", record->state);
    return obj;
}

static json_object *
handling_proposed_json(const Xueji__V1__ControlledFields *fields)
{
    json_object *obj = json_object_new_object();

    handling_json_add_string(obj, "name", fields->name);
    handling_json_add_string(obj, "gender", fields->gender);
    handling_json_add_string(obj, "birth_date", fields->birth_date);
    handling_json_add_string(obj, "id_type", fields->id_type);
    handling_json_add_string(obj, "id_number", fields->id_number);
    return obj;
}

static json_object *
handling_evidence_json(const Xueji__V1__ReviewCase *review_case)
{
    json_object *array = json_object_new_array();

    for (size_t i = 0; i < review_case->n_evidence; i++) {
        const Xueji__V1__EvidenceInfo *info = review_case->evidence[i];
        json_object *obj = json_object_new_object();

        handling_json_add_id(obj, "evidence_id", info->evidence_id);
        handling_json_add_string(obj, "file_name", info->file_name);
        handling_json_add_string(obj, "detected_type", info->detected_type);
        handling_json_add_id(obj, "size", info->size);
        handling_json_add_string(obj, "sha256", info->sha256_hex);
        json_object_array_add(array, obj);
    }
    return array;
}

json_object *
handling_case_json(const Xueji__V1__ReviewCase *review_case)
{
    json_object *obj = json_object_new_object();
    json_object *counterparts = json_object_new_array();

    handling_json_add_id(obj, "case_id", review_case->case_id);
    handling_json_add_string(obj, "kind",
                             handling_kind_name(review_case->kind));
    handling_json_add_string(obj, "status", review_case->status);
    handling_json_add_id(obj, "problem_id", review_case->problem_id);
    handling_json_add_string(obj, "problem_kind", review_case->problem_kind);
    handling_json_add_string(obj, "problem_detail",
                             review_case->problem_detail);
    json_object_object_add(obj, "student",
                           review_case->student != NULL
                               ? handling_record_json(review_case->student)
                               : NULL);
    json_object_object_add(obj, "proposed",
                           review_case->proposed != NULL
                               ? handling_proposed_json(review_case->proposed)
                               : NULL);
    for (size_t i = 0; i < review_case->n_counterparts; i++) {
        json_object_array_add(
            counterparts, handling_record_json(review_case->counterparts[i]));
    }
    json_object_object_add(obj, "counterparts", counterparts);
    handling_json_add_string(obj, "reason", review_case->reason);
    json_object_object_add(obj, "evidence",
                           handling_evidence_json(review_case));
    handling_json_add_string(obj, "created_at", review_case->created_at);
    handling_json_add_string(obj, "created_by", review_case->created_by);
    handling_json_add_string(obj, "opinion", review_case->opinion);
    handling_json_add_string(obj, "decided_by", review_case->decided_by);
    handling_json_add_string(obj, "decided_at", review_case->decided_at);
    return obj;
}

void
handling_print_json(json_object *obj)
{
    puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
                                             JSON_C_TO_STRING_NOSLASHESCAPE));
}
