/* SPDX-License-Identifier: MIT */
/*
 * xueji problems change, delete, attest and cases: a school resolves one of
 * its problem registrations and follows the cases it filed. Corrected
 * values are checked with the template's rules and evidence is uploaded
 * before the request is sent. Listing problems stays in cmd_problems.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "evidence.h"
#include "handling.h"
#include "i18n.h"
#include "output.h"
#include "template.h"

/* The server accepts at most this many evidence files per case. */
#define HANDLE_EVIDENCE_MAX 20

static const char change_usage[] = N_(
    "usage: xueji problems change PROBLEM_ID --reason TEXT --evidence FILE\n"
    "           [--evidence FILE]... [--name NAME] [--gender GENDER]\n"
    "           [--birth-date DATE] [--id-type TYPE] [--id-number NUMBER]\n"
    "\n"
    "Files a change of the record's key data for the county to review. Give\n"
    "at least one corrected value; the others keep the record's value. The\n"
    "values are checked like a template row before anything is sent.\n"
    "  --reason TEXT        why the record was wrong (required)\n"
    "  --evidence FILE      a scan or photo of the household register or a\n"
    "                       written explanation; repeat for up to 20 files.\n"
    "                       The server checks each file's type by its content\n"
    "                       and its size against the server's limit\n"
    "  --name NAME          name as in the household register\n"
    "  --gender GENDER      1 男 or 2 女 (code or name)\n"
    "  --birth-date DATE    YYYYMMDD, or forms such as 2008-01-01\n"
    "  --id-type TYPE       ID document type code or name, e.g. 1 居民身份证\n"
    "  --id-number NUMBER   checked as a resident ID number unless --id-type\n"
    "                       names another type\n");

static const char delete_usage[] = N_(
    "usage: xueji problems delete PROBLEM_ID --reason TEXT\n"
    "\n"
    "Deletes the record of the problem at once (the school and the county\n"
    "can still see it). Duplicate problems of the other records clear, and\n"
    "those records count as attested and approved.\n"
    "  --reason TEXT   why the record should not exist (required)\n");

static const char attest_usage[] = N_(
    "usage: xueji problems attest PROBLEM_ID --reason TEXT --evidence FILE\n"
    "           [--evidence FILE]...\n"
    "\n"
    "Files an attestation that the record is right, for the county to\n"
    "review. Approved, the registration becomes formal; rejected, the\n"
    "problem returns with the reviewer's opinion.\n"
    "  --reason TEXT     your reasons (required, not blank)\n"
    "  --evidence FILE   household registration certificate, transfer papers\n"
    "                    or proof of attendance; repeat for up to 20 files\n");

static const char cases_usage[] = N_(
    "usage: xueji problems cases [PROBLEM_ID]\n"
    "\n"
    "Lists the cases your school filed (all, or those of one problem) with\n"
    "their status and, once decided, the county's opinion.\n");

/* Options that set a controlled field, indexed by enum template_field. */
static const char *const handle_field_options[TEMPLATE_CONTROLLED_COUNT] = {
    "--name", "--gender", "--birth-date", "--id-type", "--id-number",
};

struct handle_options {
    Xueji__V1__HandlingKind kind;
    const char *usage;
    uint64_t problem_id;
    const char *reason;
    const char *evidence[HANDLE_EVIDENCE_MAX];
    size_t evidence_count;
    const char *fields[TEMPLATE_CONTROLLED_COUNT];
    size_t field_count;
};

/* Returns the field an option sets, or TEMPLATE_FIELD_COUNT. */
static enum template_field
handle_field_of_option(const char *option)
{
    for (int f = 0; f < TEMPLATE_CONTROLLED_COUNT; f++) {
        if (strcmp(option, handle_field_options[f]) == 0) {
            return (enum template_field)f;
        }
    }
    return TEMPLATE_FIELD_COUNT;
}

/* Applies one option with its value. Returns false for an unknown option. */
static bool
handle_parse_option(struct handle_options *options, const char *option,
                    const char *value)
{
    enum template_field field = handle_field_of_option(option);
    bool takes_evidence =
        options->kind != XUEJI__V1__HANDLING_KIND__HANDLING_KIND_DELETE;
    bool is_change =
        options->kind == XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE;

    if (strcmp(option, "--reason") == 0) {
        options->reason = value;
    } else if (takes_evidence && strcmp(option, "--evidence") == 0 &&
               options->evidence_count < HANDLE_EVIDENCE_MAX) {
        options->evidence[options->evidence_count++] = value;
    } else if (is_change && field != TEMPLATE_FIELD_COUNT) {
        options->field_count += options->fields[field] == NULL;
        options->fields[field] = value;
    } else {
        return false;
    }
    return true;
}

static int
handle_usage_error(const struct handle_options *options, const char *message)
{
    fprintf(stderr, _("xueji: %s\n"), message);
    fputs(_(options->usage), stderr);
    return CLIENT_EXIT_USAGE;
}

/* Checks the options that every kind needs and the evidence files. */
static int
handle_check_options(const struct handle_options *options)
{
    struct xj_error err;

    if (options->problem_id == 0) {
        return handle_usage_error(options, _("give the problem id"));
    }
    if (options->reason == NULL || handling_is_blank(options->reason)) {
        return handle_usage_error(options, _("--reason is required and must "
                                             "not be blank"));
    }
    if (options->kind == XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE &&
        options->field_count == 0) {
        return handle_usage_error(options, _("give at least one corrected "
                                             "value, e.g. --id-number"));
    }
    if (options->kind != XUEJI__V1__HANDLING_KIND__HANDLING_KIND_DELETE &&
        options->evidence_count == 0) {
        return handle_usage_error(options, _("give at least one --evidence "
                                             "file"));
    }
    for (size_t i = 0; i < options->evidence_count; i++) {
        xj_error_clear(&err);
        if (evidence_check_file(options->evidence[i], &err) < 0) {
            client_print_error(&err);
            return CLIENT_EXIT_USAGE;
        }
    }
    return 0;
}

static int
handle_parse(int argc, char **argv, struct handle_options *options)
{
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] != '-' && options->problem_id == 0) {
            if (!handling_parse_id(argv[i], _("problem id"),
                                   &options->problem_id)) {
                return CLIENT_EXIT_USAGE;
            }
        } else if (i + 1 < argc && argv[i + 1][0] != '\0' &&
                   handle_parse_option(options, argv[i], argv[i + 1])) {
            i++;
        } else if (strcmp(argv[i], "--evidence") == 0 &&
                   options->evidence_count == HANDLE_EVIDENCE_MAX) {
            fprintf(stderr, _("xueji: at most %d evidence files per case\n"),
                    HANDLE_EVIDENCE_MAX);
            return CLIENT_EXIT_USAGE;
        } else {
            return cmd_unexpected_argument(argv[i], options->usage);
        }
    }
    return handle_check_options(options);
}

static const char *
handle_severity_label(enum template_severity severity)
{
    switch (severity) {
    case TEMPLATE_ERROR:
        return _("error");
    case TEMPLATE_WARNING:
        return _("warning");
    default:
        return _("normalised");
    }
}

/* Prints the findings of the corrected values on stderr, as xueji import
 * prints those of a row, with the option in place of the line. */
static void
handle_print_findings(const struct template_file *checked)
{
    for (size_t i = 0; i < checked->diag_count; i++) {
        const struct template_diag *diag = &checked->diags[i];
        const char *option = diag->field < TEMPLATE_CONTROLLED_COUNT
                                 ? handle_field_options[diag->field]
                                 : "-";

        fprintf(stderr, "%s (%s): %s: %s", option,
                template_header(diag->field),
                handle_severity_label(diag->severity), diag->message);
        if (diag->value[0] != '\0') {
            fprintf(stderr, _(" (value \"%s\")"), diag->value);
        }
        fputc('\n', stderr);
        if (diag->hint[0] != '\0') {
            fprintf(stderr, _("    fix: %s\n"), diag->hint);
        }
    }
}

/* Checks and normalises the corrected values into *checked. Returns 0, or
 * an exit code when they have errors. */
static int
handle_check_fields(const struct handle_options *options,
                    struct template_file **checked)
{
    struct xj_error err;
    const struct template_row *row;

    xj_error_clear(&err);
    if (template_check_controlled(options->fields, NULL, checked, &err) < 0) {
        client_print_error(&err);
        return CLIENT_EXIT_SERVER;
    }
    handle_print_findings(*checked);
    row = &(*checked)->rows[0];
    if (row->has_error || row->id_invalid) {
        fprintf(stderr, _("xueji: the corrected values have errors; nothing "
                          "was sent\n"));
        return CLIENT_EXIT_FINDINGS;
    }
    return 0;
}

static void
handle_fill_fields(Xueji__V1__ControlledFields *fields,
                   const struct template_row *row)
{
    fields->name = row->value[TEMPLATE_NAME];
    fields->gender = row->value[TEMPLATE_GENDER];
    fields->birth_date = row->value[TEMPLATE_BIRTH_DATE];
    fields->id_type = row->value[TEMPLATE_ID_TYPE];
    fields->id_number = row->value[TEMPLATE_ID_NUMBER];
}

/* Uploads every evidence file into ids. */
static int
handle_upload(struct client *client, const struct handle_options *options,
              uint64_t *ids, struct xj_error *err)
{
    for (size_t i = 0; i < options->evidence_count; i++) {
        int rc = evidence_upload(client, options->evidence[i],
                                 client->settings->json, &ids[i], err);

        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static void
handle_print_reply_json(const struct handle_options *options,
                        const uint64_t *ids,
                        const Xueji__V1__HandleReply *reply)
{
    json_object *obj = json_object_new_object();
    json_object *evidence = json_object_new_array();

    for (size_t i = 0; i < options->evidence_count; i++) {
        json_object_array_add(evidence, json_object_new_uint64(ids[i]));
    }
    json_object_object_add(obj, "problem_id",
                           json_object_new_uint64(options->problem_id));
    json_object_object_add(obj, "kind", json_object_new_string(
        handling_kind_name(options->kind)));
    json_object_object_add(obj, "case_id",
                           json_object_new_uint64(reply->case_id));
    json_object_object_add(obj, "problem_status",
                           json_object_new_string(reply->problem_status));
    json_object_object_add(obj, "problems_cleared",
                           json_object_new_int64(reply->problems_cleared));
    json_object_object_add(obj, "student_number",
                           json_object_new_string(reply->student_number));
    json_object_object_add(obj, "evidence_ids", evidence);
    handling_print_json(obj);
    json_object_put(obj);
}

static void
handle_print_reply(const struct handle_options *options,
                   const Xueji__V1__HandleReply *reply)
{
    if (options->kind == XUEJI__V1__HANDLING_KIND__HANDLING_KIND_DELETE) {
        printf(_("Deleted the record of problem %" PRIu64 "; the problem is "
                 "now %s.\n"), options->problem_id, reply->problem_status);
        printf(ngettext("%u problem registration was cleared (this "
                        "record's and its counterparts').\n",
                        "%u problem registrations were cleared (this "
                        "record's and its counterparts').\n",
                        reply->problems_cleared),
               reply->problems_cleared);
    } else {
        printf(_("Filed case %" PRIu64 ": %s of problem %" PRIu64 ", which "
                 "is now %s until the county decides.\n"), reply->case_id,
               handling_kind_name(options->kind), options->problem_id,
               reply->problem_status);
        printf(_("Follow it with: xueji problems cases %" PRIu64 "\n"),
               options->problem_id);
    }
    if (reply->student_number[0] != '\0') {
        printf(_("Student number: %s\n"), reply->student_number);
    }
}

/* Connects, uploads the evidence and sends the handling request. */
static int
handle_send(const struct client_settings *settings,
            const struct handle_options *options,
            const struct template_row *corrected)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__HandleRequest handle = XUEJI__V1__HANDLE_REQUEST__INIT;
    Xueji__V1__ControlledFields fields = XUEJI__V1__CONTROLLED_FIELDS__INIT;
    uint64_t ids[HANDLE_EVIDENCE_MAX];
    wire_envelope *reply = NULL;
    struct client client;
    struct xj_error err;
    int rc;

    xj_error_clear(&err);
    rc = client_open(&client, settings, &err);
    if (rc == 0) {
        rc = handle_upload(&client, options, ids, &err);
    }
    if (rc == 0) {
        handle.problem_id = options->problem_id;
        handle.kind = options->kind;
        handle.reason = (char *)options->reason;
        if (corrected != NULL) {
            handle_fill_fields(&fields, corrected);
            handle.fields = &fields;
        }
        handle.evidence_ids = ids;
        handle.n_evidence_ids = options->evidence_count;
        request.body_case = XUEJI__V1__ENVELOPE__BODY_HANDLE;
        request.handle = &handle;
        rc = handling_call(&client, &request,
                           XUEJI__V1__ENVELOPE__BODY_HANDLE_REPLY, &reply,
                           &err);
    }
    client_close(&client);
    if (rc < 0) {
        client_print_error(&err);
        return client_exit_for(rc);
    }
    if (settings->json) {
        handle_print_reply_json(options, ids, reply->handle_reply);
    } else {
        handle_print_reply(options, reply->handle_reply);
    }
    wire_free(reply);
    return CLIENT_EXIT_OK;
}

static int
handle_run(const struct client_settings *settings, int argc, char **argv,
           Xueji__V1__HandlingKind kind, const char *usage)
{
    struct handle_options options;
    struct template_file *checked = NULL;
    int rc;

    if (cmd_wants_help(argc, argv, _(usage))) {
        return CLIENT_EXIT_OK;
    }
    memset(&options, 0, sizeof(options));
    options.kind = kind;
    options.usage = usage;
    rc = handle_parse(argc, argv, &options);
    if (rc == 0 && kind == XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE) {
        rc = handle_check_fields(&options, &checked);
    }
    if (rc == 0) {
        rc = handle_send(settings, &options,
                         checked != NULL ? &checked->rows[0] : NULL);
    }
    template_free(checked);
    return rc;
}

/* ---- xueji problems cases ----------------------------------------------- */

static int
cases_add_row(struct output_table *table, const Xueji__V1__ReviewCase *item)
{
    char id[24], problem[24];
    const char *cells[7] = {
        id, problem, handling_kind_name(item->kind), item->status,
        item->student != NULL ? item->student->name : "",
        item->created_at, item->decided_at,
    };

    snprintf(id, sizeof(id), "%" PRIu64, item->case_id);
    snprintf(problem, sizeof(problem), "%" PRIu64, item->problem_id);
    return output_table_add(table, cells);
}

static void
cases_print_table(const Xueji__V1__CaseListReply *list)
{
    const char *headers[7] = {
        _("Case"), _("Problem"), _("Kind"), _("Status"), _("Student"),
        _("Filed at"), _("Decided at"),
    };
    struct output_table *table = output_table_new(7, headers);
    bool has_opinion = false;

    for (size_t i = 0; table != NULL && i < list->n_cases; i++) {
        if (cases_add_row(table, list->cases[i]) < 0) {
            break;
        }
        has_opinion = has_opinion || list->cases[i]->opinion[0] != '\0';
    }
    output_table_print(table, stdout, 40);
    output_table_free(table);
    if (has_opinion) {
        printf(_("\nOpinions of the county:\n"));
    }
    for (size_t i = 0; has_opinion && i < list->n_cases; i++) {
        const Xueji__V1__ReviewCase *item = list->cases[i];

        if (item->opinion[0] != '\0') {
            printf(_("  case %" PRIu64 " (%s): %s\n"), item->case_id,
                   item->status, item->opinion);
        }
    }
}

static void
cases_print(const struct client_settings *settings,
            const Xueji__V1__CaseListReply *list)
{
    json_object *array;

    if (settings->json) {
        array = json_object_new_array();
        for (size_t i = 0; i < list->n_cases; i++) {
            json_object_array_add(array, handling_case_json(list->cases[i]));
        }
        handling_print_json(array);
        json_object_put(array);
    } else if (list->n_cases == 0) {
        printf(_("No cases filed.\n"));
    } else {
        cases_print_table(list);
    }
}

static int
cases_run(const struct client_settings *settings, int argc, char **argv)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__CaseListRequest list = XUEJI__V1__CASE_LIST_REQUEST__INIT;
    wire_envelope *reply = NULL;
    int rc;

    if (cmd_wants_help(argc, argv, _(cases_usage))) {
        return CLIENT_EXIT_OK;
    }
    if (argc > 1 || (argc == 1 && !handling_parse_id(argv[0], _("problem id"),
                                                     &list.problem_id))) {
        fputs(_(cases_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    request.body_case = XUEJI__V1__ENVELOPE__BODY_CASE_LIST;
    request.case_list = &list;
    rc = handling_request(settings, &request,
                          XUEJI__V1__ENVELOPE__BODY_CASE_LIST_REPLY, &reply);
    if (rc != CLIENT_EXIT_OK) {
        return rc;
    }
    cases_print(settings, reply->case_list_reply);
    wire_free(reply);
    return CLIENT_EXIT_OK;
}

bool
cmd_handle_is_subcommand(const char *name)
{
    return strcmp(name, "change") == 0 || strcmp(name, "delete") == 0 ||
           strcmp(name, "attest") == 0 || strcmp(name, "cases") == 0;
}

int
cmd_handle(const struct client_settings *settings, int argc, char **argv)
{
    const char *name = argv[0];

    if (strcmp(name, "change") == 0) {
        return handle_run(settings, argc - 1, argv + 1,
                          XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE,
                          change_usage);
    }
    if (strcmp(name, "delete") == 0) {
        return handle_run(settings, argc - 1, argv + 1,
                          XUEJI__V1__HANDLING_KIND__HANDLING_KIND_DELETE,
                          delete_usage);
    }
    if (strcmp(name, "attest") == 0) {
        return handle_run(settings, argc - 1, argv + 1,
                          XUEJI__V1__HANDLING_KIND__HANDLING_KIND_ATTEST,
                          attest_usage);
    }
    return cases_run(settings, argc - 1, argv + 1);
}
