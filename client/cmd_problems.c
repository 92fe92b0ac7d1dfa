/* SPDX-License-Identifier: MIT */
/*
 * xueji problems: the problem registrations the account may see, with the
 * counterpart school, county and telephone, and the usual handling of each
 * kind.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "i18n.h"
#include "output.h"

/* The problem table's columns, with the School column of accounts above a
 * school. */
#define PROBLEMS_COLUMNS_MAX 13

static const char problems_usage[] = N_(
    "usage: xueji problems [--kind KIND] [--status STATUS]\n"
    "       xueji problems change|delete|attest|cases ... (each has --help)\n"
    "\n"
    "Lists problem registrations: the unresolved ones (open, waiting for\n"
    "review, rejected) unless --status says otherwise, with the student's\n"
    "current number and, for rejected ones, the county's opinion.\n"
    "  --kind KIND       id_dup_school, id_dup_county, id_dup_province,\n"
    "                    id_dup_national, ngb_dup, id_invalid, id_not_found,\n"
    "                    id_name_mismatch\n"
    "  --status STATUS   open, pending_review, rejected, resolved or all\n"
    "\n"
    "Subcommands:\n"
    "  change PROBLEM_ID   correct key data, with evidence, for the county\n"
    "  delete PROBLEM_ID   delete the record at once\n"
    "  attest PROBLEM_ID   attest that the record is right, with evidence\n"
    "  cases [PROBLEM_ID]  the cases your school filed and their outcome\n");

struct problems_kind {
    const char *kind;
    const char *label;          /* short, for the table */
    const char *handling;       /* the usual handling */
};

static const struct problems_kind problems_kinds[] = {
    {"id_dup_school", N_("ID duplicated in school"),
     N_("delete the wrong record, correct it, import it again")},
    {"id_dup_county", N_("ID duplicated in county"),
     N_("agree with the other school: the wrong side deletes, or attest")},
    {"id_dup_province", N_("ID duplicated, other county"),
     N_("attest with transfer or attendance papers; ask the other school to "
        "delete")},
    {"id_dup_national", N_("ID registered in other province"),
     N_("attest with transfer or attendance papers; ask the other school to "
        "delete")},
    {"ngb_dup", N_("name+gender+birth duplicated"),
     N_("call the other school: delete the wrong record, or attest")},
    {"id_invalid", N_("ID number invalid"),
     N_("change the ID number to the one in the household register (or "
        "delete)")},
    {"id_not_found", N_("ID number does not exist"),
     N_("attest with the police certificate if the number is right, "
        "otherwise change")},
    {"id_name_mismatch", N_("ID number and name do not match"),
     N_("change if it was an entry error (check homophones); attest if it "
        "matches the household register")},
};

static const struct problems_kind *
problems_kind_find(const char *kind)
{
    for (size_t i = 0; i < sizeof(problems_kinds) / sizeof(problems_kinds[0]);
         i++) {
        if (strcmp(problems_kinds[i].kind, kind) == 0) {
            return &problems_kinds[i];
        }
    }
    return NULL;
}

static json_object *
problems_json(const Xueji__V1__Problem *problem)
{
    const struct problems_kind *kind = problems_kind_find(problem->kind);
    json_object *obj = json_object_new_object();

    json_object_object_add(obj, "id", json_object_new_int64((int64_t)problem->id));
    json_object_object_add(obj, "kind", json_object_new_string(problem->kind));
    json_object_object_add(obj, "status", json_object_new_string(problem->status));
    json_object_object_add(obj, "student_id",
                           json_object_new_int64((int64_t)problem->student_id));
    json_object_object_add(obj, "name", json_object_new_string(problem->name));
    json_object_object_add(obj, "id_number",
                           json_object_new_string(problem->id_number_masked));
    json_object_object_add(obj, "grade", json_object_new_string(problem->grade));
    json_object_object_add(obj, "class", json_object_new_string(problem->class_name));
    json_object_object_add(obj, "school_name",
                           json_object_new_string(problem->school_name));
    json_object_object_add(obj, "counterpart_school",
                           json_object_new_string(problem->counterpart_school));
    json_object_object_add(obj, "counterpart_county",
                           json_object_new_string(problem->counterpart_county));
    json_object_object_add(obj, "counterpart_phone",
                           json_object_new_string(problem->counterpart_phone));
    json_object_object_add(obj, "detail", json_object_new_string(problem->detail));
    json_object_object_add(obj, "created_at",
                           json_object_new_string(problem->created_at));
    json_object_object_add(obj, "student_number",
                           json_object_new_string(problem->student_number));
    json_object_object_add(obj, "opinion",
                           json_object_new_string(problem->opinion));
    json_object_object_add(obj, "suggestion", json_object_new_string(
        kind != NULL ? _(kind->handling) : ""));
    return obj;
}

/* Adds one problem to the table. with_school adds the record's own school
 * before the counterpart columns, for accounts above a school. */
static int
problems_add_row(struct output_table *table, const Xueji__V1__Problem *problem,
                 bool with_school)
{
    const struct problems_kind *kind = problems_kind_find(problem->kind);
    char id[24], student[24], label[96];
    const char *cells[PROBLEMS_COLUMNS_MAX];
    size_t n = 0;

    snprintf(id, sizeof(id), "%llu", (unsigned long long)problem->id);
    snprintf(student, sizeof(student), "%llu",
             (unsigned long long)problem->student_id);
    snprintf(label, sizeof(label), "%s%s%s%s",
             kind != NULL ? _(kind->label) : problem->kind,
             problem->detail[0] ? " (" : "", problem->detail,
             problem->detail[0] ? ")" : "");
    cells[n++] = id;
    cells[n++] = label;
    cells[n++] = problem->name;
    cells[n++] = student;
    cells[n++] = problem->student_number;
    cells[n++] = problem->id_number_masked;
    cells[n++] = problem->grade;
    cells[n++] = problem->class_name;
    if (with_school) {
        cells[n++] = problem->school_name;
    }
    cells[n++] = problem->counterpart_school;
    cells[n++] = problem->counterpart_county;
    cells[n++] = problem->counterpart_phone;
    cells[n++] = problem->status;
    return output_table_add(table, cells);
}

/* Returns a new table with the columns of problems_add_row. */
static struct output_table *
problems_table_new(bool with_school)
{
    const char *headers[PROBLEMS_COLUMNS_MAX];
    size_t n = 0;

    headers[n++] = _("ID");
    headers[n++] = _("Problem");
    headers[n++] = _("Name");
    headers[n++] = _("Student ID");
    headers[n++] = _("Student number");
    headers[n++] = _("ID number");
    headers[n++] = _("Grade");
    headers[n++] = _("Class");
    if (with_school) {
        headers[n++] = _("School");
    }
    headers[n++] = _("Other school");
    headers[n++] = _("Its county");
    headers[n++] = _("Its telephone");
    headers[n++] = _("Status");
    return output_table_new(n, headers);
}

/* Adds the reviewer's opinion of a rejected problem to *opinions, a
 * table created with the first opinion and printed in full under the
 * problem table. */
static int
problems_add_opinion(struct output_table **opinions,
                     const Xueji__V1__Problem *problem)
{
    const char *headers[2] = {_("ID"), _("Opinion")};
    char id[24];
    const char *cells[2] = {id, problem->opinion};

    if (problem->opinion[0] == '\0') {
        return 0;
    }
    if (*opinions == NULL) {
        *opinions = output_table_new(2, headers);
        if (*opinions == NULL) {
            return XJ_ERR_NOMEM;
        }
    }
    snprintf(id, sizeof(id), "%llu", (unsigned long long)problem->id);
    return output_table_add(*opinions, cells);
}

/* Prints the usual handling of every kind that occurs in the list. */
static void
problems_print_handling(const bool *seen)
{
    printf(_("\nSuggested handling:\n"));
    for (size_t i = 0; i < sizeof(problems_kinds) / sizeof(problems_kinds[0]);
         i++) {
        if (seen[i]) {
            printf("  %s: %s\n", _(problems_kinds[i].label),
                   _(problems_kinds[i].handling));
        }
    }
}

/* Tells whether status is one that the server's problem list accepts. */
static bool
problems_status_is_valid(const char *status)
{
    static const char *const statuses[] = {
        "open", "pending_review", "rejected", "resolved", "all",
    };

    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        if (strcmp(statuses[i], status) == 0) {
            return true;
        }
    }
    return false;
}

static int
problems_parse(int argc, char **argv, Xueji__V1__ProblemListRequest *request)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
            request->kind = argv[++i];
        } else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc) {
            request->status = argv[++i];
        } else {
            return cmd_unexpected_argument(argv[i], problems_usage);
        }
    }
    if (request->kind[0] != '\0' && problems_kind_find(request->kind) == NULL) {
        fprintf(stderr, _("xueji: unknown problem kind \"%s\"\n"),
                request->kind);
        fputs(_(problems_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    if (request->status[0] != '\0' && !problems_status_is_valid(request->status)) {
        fprintf(stderr, _("xueji: unknown problem status \"%s\": use open, "
                          "pending_review, rejected, resolved or all\n"),
                request->status);
        fputs(_(problems_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    return 0;
}

/* Adds one page of problems to the table or the JSON array. */
static int
problems_collect(const Xueji__V1__ProblemListReply *page,
                 struct output_table *table, struct output_table **opinions,
                 json_object *array, bool *seen, bool with_school)
{
    for (size_t i = 0; i < page->n_problems; i++) {
        const Xueji__V1__Problem *problem = page->problems[i];
        const struct problems_kind *kind = problems_kind_find(problem->kind);

        if (kind != NULL) {
            seen[kind - problems_kinds] = true;
        }
        if (array != NULL) {
            json_object_array_add(array, problems_json(problem));
        } else if (problems_add_row(table, problem, with_school) < 0 ||
                   problems_add_opinion(opinions, problem) < 0) {
            return XJ_ERR_NOMEM;
        }
    }
    return 0;
}

static int
problems_fetch(struct client *client, Xueji__V1__ProblemListRequest *request,
               struct output_table *table, struct output_table **opinions,
               json_object *array, bool *seen, size_t *total,
               struct xj_error *err)
{
    wire_envelope envelope = XUEJI__V1__ENVELOPE__INIT;
    bool with_school = strcmp(client->role, "school") != 0;
    int rc = 0;

    envelope.body_case = XUEJI__V1__ENVELOPE__BODY_PROBLEM_LIST;
    envelope.problem_list = request;
    do {
        wire_envelope *reply = NULL;

        rc = client_call(client, &envelope, &reply, err);
        if (rc < 0) {
            break;
        }
        if (reply->body_case != XUEJI__V1__ENVELOPE__BODY_PROBLEM_LIST_REPLY) {
            wire_free(reply);
            return xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL, NULL,
                                _("the server sent an unexpected response"));
        }
        *total += reply->problem_list_reply->n_problems;
        rc = problems_collect(reply->problem_list_reply, table, opinions,
                              array, seen, with_school);
        request->after_id = reply->problem_list_reply->next_after_id;
        wire_free(reply);
    } while (rc == 0 && request->after_id != 0);
    return rc;
}

/* Prints the table, the opinions of rejected problems and the usual
 * handling of the kinds listed. */
static void
problems_print(const struct client *client, size_t total,
               const struct output_table *table,
               const struct output_table *opinions, const bool *seen)
{
    if (total == 0) {
        printf(_("No problem registrations match.\n"));
        return;
    }
    printf(ngettext("%s %s: %zu problem registration\n\n",
                    "%s %s: %zu problem registrations\n\n", total),
           client->org_code, client->org_name, total);
    output_table_print(table, stdout, 40);
    if (opinions != NULL) {
        printf(_("\nOpinions of the county on rejected handling:\n"));
        output_table_print(opinions, stdout, 0);
    }
    problems_print_handling(seen);
}

static int
problems_list(const struct client_settings *settings, int argc, char **argv)
{
    Xueji__V1__ProblemListRequest request =
        XUEJI__V1__PROBLEM_LIST_REQUEST__INIT;
    bool seen[sizeof(problems_kinds) / sizeof(problems_kinds[0])] = {false};
    struct output_table *table = NULL, *opinions = NULL;
    json_object *array = NULL;
    struct client client;
    struct xj_error err;
    size_t total = 0;
    int rc;

    rc = problems_parse(argc, argv, &request);
    if (rc != 0) {
        return rc;
    }
    xj_error_clear(&err);
    rc = client_open(&client, settings, &err);
    /* The columns depend on the account's role, known after the login. */
    if (rc == 0 && settings->json) {
        array = json_object_new_array();
    } else if (rc == 0) {
        table = problems_table_new(strcmp(client.role, "school") != 0);
    }
    if (rc == 0) {
        rc = problems_fetch(&client, &request, table, &opinions, array, seen,
                            &total, &err);
    }
    client_close(&client);
    if (rc < 0) {
        client_print_error(&err);
        rc = client_exit_for(rc);
    } else if (array != NULL) {
        puts(json_object_to_json_string_ext(
            array, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    } else {
        problems_print(&client, total, table, opinions, seen);
    }
    json_object_put(array);
    output_table_free(table);
    output_table_free(opinions);
    return rc;
}

int
cmd_problems(const struct client_settings *settings, int argc, char **argv)
{
    /* A subcommand goes first, so that its own --help is found. */
    if (argc > 0 && cmd_handle_is_subcommand(argv[0])) {
        return cmd_handle(settings, argc, argv);
    }
    if (cmd_wants_help(argc, argv, _(problems_usage))) {
        return CLIENT_EXIT_OK;
    }
    return problems_list(settings, argc, argv);
}
