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

#define PROBLEMS_COLUMNS 11

static const char problems_usage[] = N_(
    "usage: xueji problems [--kind KIND] [--status STATUS]\n"
    "       xueji problems change|delete|attest|cases ... (each has --help)\n"
    "\n"
    "Lists problem registrations: open ones unless --status says otherwise,\n"
    "with the student's current number and, for rejected ones, the county's\n"
    "opinion.\n"
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

static int
problems_add_row(struct output_table *table, const Xueji__V1__Problem *problem)
{
    const struct problems_kind *kind = problems_kind_find(problem->kind);
    char id[24], label[96];
    const char *cells[PROBLEMS_COLUMNS];

    snprintf(id, sizeof(id), "%llu", (unsigned long long)problem->id);
    snprintf(label, sizeof(label), "%s%s%s%s",
             kind != NULL ? _(kind->label) : problem->kind,
             problem->detail[0] ? " (" : "", problem->detail,
             problem->detail[0] ? ")" : "");
    cells[0] = id;
    cells[1] = label;
    cells[2] = problem->name;
    cells[3] = problem->student_number;
    cells[4] = problem->id_number_masked;
    cells[5] = problem->grade;
    cells[6] = problem->class_name;
    cells[7] = problem->counterpart_school;
    cells[8] = problem->counterpart_county;
    cells[9] = problem->counterpart_phone;
    cells[10] = problem->status;
    return output_table_add(table, cells);
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

static int
problems_parse(int argc, char **argv, Xueji__V1__ProblemListRequest *request)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
            request->kind = argv[++i];
        } else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc) {
            request->status = argv[++i];
        } else {
            fprintf(stderr, _("xueji: unexpected argument \"%s\"\n"), argv[i]);
            fputs(_(problems_usage), stderr);
            return CLIENT_EXIT_USAGE;
        }
    }
    if (request->kind[0] != '\0' && problems_kind_find(request->kind) == NULL) {
        fprintf(stderr, _("xueji: unknown problem kind \"%s\"\n"),
                request->kind);
        fputs(_(problems_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    return 0;
}

/* Adds one page of problems to the table or the JSON array. */
static int
problems_collect(const Xueji__V1__ProblemListReply *page,
                 struct output_table *table, struct output_table **opinions,
                 json_object *array, bool *seen)
{
    for (size_t i = 0; i < page->n_problems; i++) {
        const Xueji__V1__Problem *problem = page->problems[i];
        const struct problems_kind *kind = problems_kind_find(problem->kind);

        if (kind != NULL) {
            seen[kind - problems_kinds] = true;
        }
        if (array != NULL) {
            json_object_array_add(array, problems_json(problem));
        } else if (problems_add_row(table, problem) < 0 ||
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
                              array, seen);
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
    const char *headers[PROBLEMS_COLUMNS] = {
        _("ID"), _("Problem"), _("Name"), _("Student number"), _("ID number"),
        _("Grade"), _("Class"), _("Other school"), _("Its county"),
        _("Its telephone"), _("Status"),
    };
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
    if (settings->json) {
        array = json_object_new_array();
    } else {
        table = output_table_new(PROBLEMS_COLUMNS, headers);
    }

    xj_error_clear(&err);
    rc = client_open(&client, settings, &err);
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
