/* SPDX-License-Identifier: MIT */
/*
 * xueji review: the county reviewer's queue of changes and attestations
 * filed by its schools, the details of one case, decisions on one or more
 * cases, and an interactive pass through the queue (review next). Which
 * cases an account may see and decide is the server's decision.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "handling.h"
#include "i18n.h"
#include "output.h"

#define REVIEW_PAGE_SIZE 200
#define REVIEW_LIST_COLUMNS 7

static const char review_usage[] = N_(
    "usage: xueji review list|show|approve|reject|next ... (each has --help)\n"
    "\n"
    "County review of the changes and attestations filed by schools.\n"
    "  list                           pending cases, oldest first\n"
    "  show CASE_ID                   every detail of one case\n"
    "  approve CASE_ID... [--opinion TEXT]\n"
    "  reject CASE_ID... --opinion TEXT\n"
    "  next                           decide pending cases one by one\n");

static const char list_usage[] = N_(
    "usage: xueji review list [--school CODE] [--kind change|attest]\n"
    "\n"
    "Lists the pending cases of your county, oldest first.\n"
    "  --school CODE   only the cases of the school with this 10-digit code\n"
    "  --kind KIND     only changes (change) or attestations (attest)\n");

static const char show_usage[] = N_(
    "usage: xueji review show CASE_ID\n"
    "\n"
    "Shows a case: the record, the corrected values of a change, the other\n"
    "records with their school, county and telephone, the school's reason\n"
    "and the evidence files (download them with xueji evidence get).\n");

static const char approve_usage[] = N_(
    "usage: xueji review approve CASE_ID [CASE_ID]... [--opinion TEXT]\n"
    "\n"
    "Approves each case: a change corrects the record and checks it again,\n"
    "an attestation makes the registration formal. Reports every case and\n"
    "exits 1 if any of them failed.\n"
    "  --opinion TEXT   your opinion, stored with each decision (optional)\n");

static const char reject_usage[] = N_(
    "usage: xueji review reject CASE_ID [CASE_ID]... --opinion TEXT\n"
    "\n"
    "Rejects each case: the problem returns to the school with your opinion.\n"
    "Reports every case and exits 1 if any of them failed.\n"
    "  --opinion TEXT   what the school must correct or provide (required)\n");

static const char next_usage[] = N_(
    "usage: xueji review next\n"
    "\n"
    "Shows the oldest pending case and reads a decision from standard input,\n"
    "then shows the next one until the queue is done:\n"
    "  a   approve; then asks \"Opinion (optional, Enter for none):\" and\n"
    "      stores the line as the opinion (an empty line stores none)\n"
    "  r   reject; then asks \"Opinion for the school (required):\" until\n"
    "      the line is not blank, and sends it to the school\n"
    "  s   skip; asks nothing and leaves the case pending\n"
    "  q   quit; asks nothing\n"
    "Any other answer asks for the decision again. End of input at any\n"
    "prompt quits without deciding the case shown.\n");

/* ---- list ---------------------------------------------------------------- */

/* Tells whether code is a school code: exactly 10 ASCII digits. */
static bool
review_is_school_code(const char *code)
{
    return strlen(code) == 10 && strspn(code, "0123456789") == 10;
}

/* Parses the list options into list; prints the usage error and returns
 * CLIENT_EXIT_USAGE on a bad one. */
static int
review_list_parse(int argc, char **argv, Xueji__V1__ReviewListRequest *list)
{
    for (int i = 0; i < argc; i++) {
        bool is_school = strcmp(argv[i], "--school") == 0;
        bool is_kind = strcmp(argv[i], "--kind") == 0;
        const char *value;

        if (!is_school && !is_kind) {
            return cmd_unexpected_argument(argv[i], list_usage);
        }
        if (i + 1 == argc) {
            fprintf(stderr, _("xueji: %s needs a value\n"), argv[i]);
            fputs(_(list_usage), stderr);
            return CLIENT_EXIT_USAGE;
        }
        value = argv[++i];
        if (is_school && !review_is_school_code(value)) {
            fprintf(stderr, _("xueji: invalid school code \"%s\": --school "
                              "takes the 10-digit school code, e.g. "
                              "1410503001\n"), value);
            fputs(_(list_usage), stderr);
            return CLIENT_EXIT_USAGE;
        }
        if (is_school) {
            list->school_code = (char *)value;
        } else if (strcmp(value, "change") == 0) {
            list->kind = XUEJI__V1__HANDLING_KIND__HANDLING_KIND_CHANGE;
        } else if (strcmp(value, "attest") == 0) {
            list->kind = XUEJI__V1__HANDLING_KIND__HANDLING_KIND_ATTEST;
        } else {
            fprintf(stderr, _("xueji: invalid kind \"%s\": --kind takes "
                              "change or attest\n"), value);
            fputs(_(list_usage), stderr);
            return CLIENT_EXIT_USAGE;
        }
    }
    return 0;
}

static int
review_list_add(struct output_table *table, json_object *array,
                const Xueji__V1__ReviewCase *item)
{
    const Xueji__V1__StudentRecord *student = item->student;
    char id[24];
    const char *cells[REVIEW_LIST_COLUMNS] = {
        id, handling_kind_name(item->kind),
        student != NULL ? student->school_name : "",
        student != NULL ? student->name : "",
        student != NULL ? student->id_number_masked : "",
        item->problem_kind, item->created_at,
    };

    if (array != NULL) {
        return json_object_array_add(array, handling_case_json(item)) == 0
                   ? 0
                   : XJ_ERR_NOMEM;
    }
    snprintf(id, sizeof(id), "%" PRIu64, item->case_id);
    return output_table_add(table, cells);
}

/* Fetches every page of the queue into the table or the JSON array. */
static int
review_list_fetch(struct client *client, Xueji__V1__ReviewListRequest *list,
                  struct output_table *table, json_object *array,
                  size_t *total, struct xj_error *err)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    int rc = 0;

    list->limit = REVIEW_PAGE_SIZE;
    request.body_case = XUEJI__V1__ENVELOPE__BODY_REVIEW_LIST;
    request.review_list = list;
    do {
        wire_envelope *reply = NULL;
        const Xueji__V1__ReviewListReply *page;
        uint64_t previous = list->after_id;

        rc = handling_call(client, &request,
                           XUEJI__V1__ENVELOPE__BODY_REVIEW_LIST_REPLY, &reply,
                           err);
        if (rc < 0) {
            break;
        }
        page = reply->review_list_reply;
        for (size_t i = 0; rc == 0 && i < page->n_cases; i++) {
            rc = review_list_add(table, array, page->cases[i]);
        }
        *total += page->n_cases;
        list->after_id = page->next_after_id;
        wire_free(reply);

        /* Ids grow along the queue, so a page that goes back would make
         * this loop endless. */
        if (rc == 0 && list->after_id != 0 && list->after_id <= previous) {
            rc = xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL, NULL,
                              _("the server sent a page of the queue out of "
                                "order"));
        }
    } while (rc == 0 && list->after_id != 0);
    return rc;
}

static int
review_list(const struct client_settings *settings, int argc, char **argv)
{
    const char *headers[REVIEW_LIST_COLUMNS] = {
        _("Case"), _("Kind"), _("School"), _("Student"), _("ID number"),
        _("Problem"), _("Filed at"),
    };
    Xueji__V1__ReviewListRequest list = XUEJI__V1__REVIEW_LIST_REQUEST__INIT;
    struct output_table *table = NULL;
    json_object *array = NULL;
    struct client client;
    struct xj_error err;
    size_t total = 0;
    int rc;

    if (cmd_wants_help(argc, argv, _(list_usage))) {
        return CLIENT_EXIT_OK;
    }
    rc = review_list_parse(argc, argv, &list);
    if (rc != 0) {
        return rc;
    }
    if (settings->json) {
        array = json_object_new_array();
    } else {
        table = output_table_new(REVIEW_LIST_COLUMNS, headers);
    }
    xj_error_clear(&err);
    rc = client_open(&client, settings, &err);
    if (rc == 0) {
        rc = review_list_fetch(&client, &list, table, array, &total, &err);
    }
    client_close(&client);
    if (rc < 0) {
        client_print_error(&err);
        rc = client_exit_for(rc);
    } else if (array != NULL) {
        handling_print_json(array);
    } else if (total == 0) {
        printf(_("No cases wait for review.\n"));
    } else {
        printf(ngettext("%zu case waits for review:\n\n",
                        "%zu cases wait for review:\n\n", total), total);
        output_table_print(table, stdout, 40);
        printf(_("\nNext: xueji review show CASE_ID, or xueji review next\n"));
    }
    json_object_put(array);
    output_table_free(table);
    return rc;
}

/* ---- show ---------------------------------------------------------------- */

/* Fetches case case_id, or with case_id 0 the oldest pending case after
 * after_id. *reply's case is NULL when there is none. */
static int
review_fetch(struct client *client, uint64_t case_id, uint64_t after_id,
             wire_envelope **reply, struct xj_error *err)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__ReviewShowRequest show = XUEJI__V1__REVIEW_SHOW_REQUEST__INIT;

    show.case_id = case_id;
    show.after_id = after_id;
    request.body_case = XUEJI__V1__ENVELOPE__BODY_REVIEW_SHOW;
    request.review_show = &show;
    return handling_call(client, &request,
                         XUEJI__V1__ENVELOPE__BODY_REVIEW_SHOW_REPLY, reply,
                         err);
}

static int
review_show(const struct client_settings *settings, int argc, char **argv)
{
    wire_envelope *reply = NULL;
    const Xueji__V1__ReviewCase *found;
    struct client client;
    struct xj_error err;
    uint64_t case_id;
    int rc;

    if (cmd_wants_help(argc, argv, _(show_usage))) {
        return CLIENT_EXIT_OK;
    }
    if (argc != 1 || !handling_parse_id(argv[0], _("case id"), &case_id)) {
        fputs(_(show_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    xj_error_clear(&err);
    rc = client_open(&client, settings, &err);
    if (rc == 0) {
        rc = review_fetch(&client, case_id, 0, &reply, &err);
    }
    client_close(&client);
    if (rc < 0) {
        client_print_error(&err);
        return client_exit_for(rc);
    }
    found = reply->review_show_reply->case_;
    if (found == NULL) {
        fprintf(stderr, _("xueji: case %" PRIu64 " not found\n"), case_id);
        rc = CLIENT_EXIT_FINDINGS;
    } else if (settings->json) {
        json_object *obj = handling_case_json(found);

        handling_print_json(obj);
        json_object_put(obj);
    } else {
        handling_print_case(found);
    }
    wire_free(reply);
    return rc;
}

/* ---- approve and reject -------------------------------------------------- */

static int
review_decide(struct client *client, uint64_t case_id, bool approve,
              const char *opinion, wire_envelope **reply,
              struct xj_error *err)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__ReviewDecideRequest decide =
        XUEJI__V1__REVIEW_DECIDE_REQUEST__INIT;

    decide.case_id = case_id;
    decide.approve = approve;
    decide.opinion = (char *)(opinion != NULL ? opinion : "");
    request.body_case = XUEJI__V1__ENVELOPE__BODY_REVIEW_DECIDE;
    request.review_decide = &decide;
    return handling_call(client, &request,
                         XUEJI__V1__ENVELOPE__BODY_REVIEW_DECIDE_REPLY, reply,
                         err);
}

static void
review_print_decision(const Xueji__V1__ReviewDecideReply *decided)
{
    printf(_("Case %" PRIu64 ": %s."), decided->case_id, decided->status);
    if (decided->problems_cleared > 0) {
        printf(ngettext(" %u problem registration cleared.",
                        " %u problem registrations cleared.",
                        decided->problems_cleared),
               decided->problems_cleared);
    }
    if (decided->student_number[0] != '\0') {
        printf(_(" Student number %s."), decided->student_number);
    }
    putchar('\n');
}

static json_object *
review_decision_json(uint64_t case_id,
                     const Xueji__V1__ReviewDecideReply *decided,
                     const struct xj_error *err)
{
    json_object *obj = json_object_new_object();

    json_object_object_add(obj, "case_id", json_object_new_uint64(case_id));
    if (decided == NULL) {
        json_object_object_add(obj, "error",
                               json_object_new_string(err->message));
        json_object_object_add(obj, "hint", json_object_new_string(err->hint));
        return obj;
    }
    json_object_object_add(obj, "status",
                           json_object_new_string(decided->status));
    json_object_object_add(obj, "problems_cleared",
                           json_object_new_int64(decided->problems_cleared));
    json_object_object_add(obj, "student_number",
                           json_object_new_string(decided->student_number));
    return obj;
}

struct review_decisions {
    uint64_t *case_ids;
    size_t count;
    const char *opinion;
    bool approve;
};

static int
review_decide_parse(int argc, char **argv, struct review_decisions *decisions,
                    const char *usage)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--opinion") == 0 && i + 1 < argc) {
            decisions->opinion = argv[++i];
        } else if (argv[i][0] == '-') {
            return cmd_unexpected_argument(argv[i], usage);
        } else {
            uint64_t *slot = &decisions->case_ids[decisions->count++];

            if (!handling_parse_id(argv[i], _("case id"), slot)) {
                return CLIENT_EXIT_USAGE;
            }
        }
    }
    if (decisions->count == 0) {
        fputs(_(usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    if (!decisions->approve &&
        (decisions->opinion == NULL || handling_is_blank(decisions->opinion))) {
        fprintf(stderr, _("xueji: rejecting needs --opinion TEXT saying what "
                          "the school must correct or provide\n"));
        return CLIENT_EXIT_USAGE;
    }
    return 0;
}

/* Prints the error of one decision. Most server messages already start
 * with "case ID ", and those are printed as they are; the others get the
 * case id in front, so that each line of a batch names its case. */
static void
review_print_case_error(uint64_t case_id, const struct xj_error *err)
{
    char prefix[32];

    snprintf(prefix, sizeof(prefix), "case %" PRIu64 " ", case_id);
    if (strncmp(err->message, prefix, strlen(prefix)) == 0) {
        fprintf(stderr, _("xueji: %s\n"), err->message);
    } else {
        fprintf(stderr, _("xueji: case %" PRIu64 ": %s\n"), case_id,
                err->message);
    }
    if (err->hint[0] != '\0') {
        fprintf(stderr, _("hint: %s\n"), err->hint);
    }
}

/* Decides every case and reports each. A lost connection or a role the
 * server denies stops the rest, with exit status 3 or 4. Any other failed
 * case makes the exit status 1. */
static int
review_decide_all(struct client *client, const struct review_decisions *d,
                  json_object *array)
{
    int exit_code = CLIENT_EXIT_OK;

    for (size_t i = 0; i < d->count; i++) {
        wire_envelope *reply = NULL;
        struct xj_error err;
        int rc;

        xj_error_clear(&err);
        rc = review_decide(client, d->case_ids[i], d->approve, d->opinion,
                           &reply, &err);
        if (rc == 0 && array != NULL) {
            json_object_array_add(array, review_decision_json(
                d->case_ids[i], reply->review_decide_reply, NULL));
        } else if (rc == 0) {
            review_print_decision(reply->review_decide_reply);
        } else if (array != NULL) {
            json_object_array_add(array,
                                  review_decision_json(d->case_ids[i], NULL,
                                                       &err));
        } else {
            review_print_case_error(d->case_ids[i], &err);
        }
        wire_free(reply);
        if (rc < 0 && (client_exit_for(rc) == CLIENT_EXIT_CONNECT ||
                       client_exit_for(rc) == CLIENT_EXIT_AUTH)) {
            return client_exit_for(rc);
        }
        if (rc < 0) {
            exit_code = CLIENT_EXIT_FINDINGS;
        }
    }
    return exit_code;
}

static int
review_decide_command(const struct client_settings *settings, int argc,
                      char **argv, bool approve)
{
    const char *usage = approve ? approve_usage : reject_usage;
    struct review_decisions decisions = {NULL, 0, NULL, approve};
    json_object *array = NULL;
    struct client client;
    struct xj_error err;
    int rc;

    if (cmd_wants_help(argc, argv, _(usage))) {
        return CLIENT_EXIT_OK;
    }
    decisions.case_ids = calloc((size_t)argc + 1, sizeof(uint64_t));
    if (decisions.case_ids == NULL) {
        return CLIENT_EXIT_SERVER;
    }
    rc = review_decide_parse(argc, argv, &decisions, usage);
    if (rc == 0) {
        xj_error_clear(&err);
        rc = client_open(&client, settings, &err);
        if (rc < 0) {
            client_print_error(&err);
            rc = client_exit_for(rc);
        } else {
            array = settings->json ? json_object_new_array() : NULL;
            rc = review_decide_all(&client, &decisions, array);
        }
        client_close(&client);
    }
    if (array != NULL) {
        handling_print_json(array);
        json_object_put(array);
    }
    free(decisions.case_ids);
    return rc;
}

/* ---- next ---------------------------------------------------------------- */

/* Prints prompt and reads one line of standard input into *line without
 * the line end. Returns false at end of input. */
static bool
review_read_line(const char *prompt, char **line, size_t *size)
{
    ssize_t len;

    fputs(prompt, stdout);
    fflush(stdout);
    len = getline(line, size, stdin);
    if (len < 0) {
        putchar('\n');
        return false;
    }
    (*line)[strcspn(*line, "\r\n")] = '\0';
    return true;
}

enum review_choice {
    REVIEW_APPROVE,
    REVIEW_REJECT,
    REVIEW_SKIP,
    REVIEW_QUIT,
};

/* Asks for a decision until the answer is one of a, r, s, q. */
static enum review_choice
review_ask_choice(char **line, size_t *size)
{
    while (review_read_line(_("approve [a], reject [r], skip [s], quit [q]: "),
                            line, size)) {
        char *answer = *line + strspn(*line, " \t");

        switch (answer[0]) {
        case 'a':
            return REVIEW_APPROVE;
        case 'r':
            return REVIEW_REJECT;
        case 's':
            return REVIEW_SKIP;
        case 'q':
            return REVIEW_QUIT;
        default:
            printf(_("Answer a, r, s or q.\n"));
        }
    }
    return REVIEW_QUIT;
}

/* Asks for the opinion of a decision into *line. A rejection asks again
 * until it is not blank. Returns false at end of input. */
static bool
review_ask_opinion(bool approve, char **line, size_t *size)
{
    if (approve) {
        return review_read_line(_("Opinion (optional, Enter for none): "),
                                line, size);
    }
    while (review_read_line(_("Opinion for the school (required): "), line,
                            size)) {
        if (!handling_is_blank(*line)) {
            return true;
        }
        printf(_("A rejection needs an opinion saying what the school must "
                 "correct or provide.\n"));
    }
    return false;
}

struct review_session {
    struct client *client;
    char *line;
    size_t line_size;
    size_t decided;
    size_t skipped;
};

/* Asks for and sends the decision on one case. Returns 1 to go on, 0 to
 * quit, or a negative status with err filled when the connection fails. */
static int
review_next_one(struct review_session *session,
                const Xueji__V1__ReviewCase *item, struct xj_error *err)
{
    enum review_choice choice = review_ask_choice(&session->line,
                                                  &session->line_size);
    bool approve = choice == REVIEW_APPROVE;
    wire_envelope *reply = NULL;
    int rc;

    if (choice == REVIEW_QUIT) {
        return 0;
    }
    if (choice == REVIEW_SKIP) {
        session->skipped++;
        return 1;
    }
    if (!review_ask_opinion(approve, &session->line, &session->line_size)) {
        return 0;
    }
    rc = review_decide(session->client, item->case_id, approve, session->line,
                       &reply, err);
    if (rc < 0 && client_exit_for(rc) == CLIENT_EXIT_CONNECT) {
        return rc;
    }
    if (rc < 0) {
        /* For example the case closed meanwhile: report it and go on. */
        client_print_error(err);
        xj_error_clear(err);
        session->skipped++;
        return 1;
    }
    review_print_decision(reply->review_decide_reply);
    session->decided++;
    wire_free(reply);
    return 1;
}

/* Walks the queue. Every case is decided or skipped before after_id moves
 * past it, and case ids grow along the queue, so each pass ends. */
static int
review_next_loop(struct review_session *session, struct xj_error *err)
{
    uint64_t after_id = 0;
    int rc = 1;

    while (rc == 1) {
        wire_envelope *reply = NULL;
        const Xueji__V1__ReviewCase *item;

        rc = review_fetch(session->client, 0, after_id, &reply, err);
        if (rc < 0) {
            break;
        }
        item = reply->review_show_reply->case_;
        if (item == NULL || item->case_id <= after_id) {
            printf(after_id == 0 ? _("No cases wait for review.\n")
                                 : _("No further cases wait for review.\n"));
            wire_free(reply);
            break;
        }
        putchar('\n');
        handling_print_case(item);
        after_id = item->case_id;
        rc = review_next_one(session, item, err);
        wire_free(reply);
    }
    return rc < 0 ? rc : 0;
}

static int
review_next(const struct client_settings *settings, int argc, char **argv)
{
    struct review_session session = {NULL, NULL, 0, 0, 0};
    struct client client;
    struct xj_error err;
    int rc;

    if (cmd_wants_help(argc, argv, _(next_usage))) {
        return CLIENT_EXIT_OK;
    }
    if (argc != 0) {
        fputs(_(next_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    xj_error_clear(&err);
    rc = client_open(&client, settings, &err);
    if (rc == 0) {
        session.client = &client;
        rc = review_next_loop(&session, &err);
    }
    client_close(&client);
    free(session.line);
    if (rc < 0) {
        client_print_error(&err);
        return client_exit_for(rc);
    }
    printf(_("Decided %zu, skipped %zu.\n"), session.decided,
           session.skipped);
    return CLIENT_EXIT_OK;
}

int
cmd_review(const struct client_settings *settings, int argc, char **argv)
{
    const char *name = argc > 0 ? argv[0] : "";

    if (strcmp(name, "list") == 0) {
        return review_list(settings, argc - 1, argv + 1);
    }
    if (strcmp(name, "show") == 0) {
        return review_show(settings, argc - 1, argv + 1);
    }
    if (strcmp(name, "approve") == 0 || strcmp(name, "reject") == 0) {
        return review_decide_command(settings, argc - 1, argv + 1,
                                     name[0] == 'a');
    }
    if (strcmp(name, "next") == 0) {
        return review_next(settings, argc - 1, argv + 1);
    }
    if (cmd_wants_help(argc, argv, _(review_usage))) {
        return CLIENT_EXIT_OK;
    }
    if (name[0] != '\0') {
        fprintf(stderr, _("xueji: unknown review command \"%s\"\n"), name);
    }
    fputs(_(review_usage), stderr);
    return CLIENT_EXIT_USAGE;
}
