/* SPDX-License-Identifier: MIT */
/*
 * xueji check and xueji import: read a template, report every finding with
 * row, column, value and fix, and send the rows that passed in batches.
 * Import is idempotent: each row carries a key derived from its key fields
 * and its occurrence in the file, so running the same import again (for
 * example after an interruption) stores nothing twice.
 */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "i18n.h"
#include "progress.h"
#include "template.h"

#define IMPORT_BATCH_DEFAULT 1000
#define IMPORT_BATCH_MAX 5000
/* Notices printed before the rest are only counted, unless --verbose. */
#define IMPORT_NOTICES_SHOWN 20

static const char check_usage[] = N_(
    "usage: xueji check FILE [--verbose]\n"
    "\n"
    "Checks a template saved as CSV (UTF-8 or GB18030) without sending it:\n"
    "required fields, code tables, dates and ID numbers. Exits 1 when a row\n"
    "has an error.\n"
    "  --verbose   list every normalised value, not only the first 20\n");

static const char import_usage[] = N_(
    "usage: xueji import FILE [--batch-size N] [--accept-invalid-ids]\n"
    "                         [--dry-run] [--verbose]\n"
    "\n"
    "Checks FILE like xueji check, then imports the rows without errors into\n"
    "the logged-in school. Importing the same file again stores nothing\n"
    "twice, so an interrupted import is finished by running it again.\n"
    "  --batch-size N         rows per request, 1 to 5000 (default 1000)\n"
    "  --accept-invalid-ids   also import rows whose only fault is the ID\n"
    "                         number; each gets an \"ID number invalid\"\n"
    "                         problem to resolve by a change\n"
    "  --dry-run              check and report, send nothing\n"
    "  --verbose              list every normalised value\n");

struct import_options {
    const char *path;
    long batch_size;
    bool accept_invalid_ids;
    bool dry_run;
    bool verbose;
};

struct import_totals {
    size_t sent;
    size_t created;
    size_t existing;
    size_t rejected;
    size_t problems_created;
};

static const char *
import_severity_label(enum template_severity severity)
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

static const char *
import_column_label(const struct template_diag *diag)
{
    return diag->field < TEMPLATE_FIELD_COUNT ? template_header(diag->field)
                                              : "-";
}

static void
import_print_diag_text(const char *path, const struct template_diag *diag)
{
    fprintf(stderr, "%s:%u: %s: %s: %s", path, diag->row,
            import_column_label(diag), import_severity_label(diag->severity),
            diag->message);
    if (diag->value[0] != '\0') {
        fprintf(stderr, _(" (value \"%s\")"), diag->value);
    }
    fputc('\n', stderr);
    if (diag->hint[0] != '\0') {
        fprintf(stderr, _("    fix: %s\n"), diag->hint);
    }
}

static json_object *
import_diag_json(const struct template_diag *diag)
{
    static const char *const severities[] = {"error", "warning", "notice"};
    json_object *obj = json_object_new_object();

    json_object_object_add(obj, "row", json_object_new_int((int)diag->row));
    json_object_object_add(obj, "column",
                           json_object_new_string(import_column_label(diag)));
    json_object_object_add(obj, "field", json_object_new_string(
        diag->field < TEMPLATE_FIELD_COUNT ? template_field_id(diag->field)
                                           : ""));
    json_object_object_add(obj, "severity",
                           json_object_new_string(severities[diag->severity]));
    json_object_object_add(obj, "value", json_object_new_string(diag->value));
    json_object_object_add(obj, "message",
                           json_object_new_string(diag->message));
    json_object_object_add(obj, "hint", json_object_new_string(diag->hint));
    return obj;
}

/* Counts diagnostics by severity into counts[3]. */
static void
import_count(const struct template_file *file, size_t counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    for (size_t i = 0; i < file->diag_count; i++) {
        counts[file->diags[i].severity]++;
    }
}

/* Prints the summary line "PATH: N rows (ENCODING): N errors, N warnings,
 * N values normalised" on stderr. Each count is a separate message, so that
 * each takes its own plural form. */
static void
import_print_summary(const char *path, const struct template_file *file,
                     const size_t counts[3])
{
    fprintf(stderr, "%s: ", path);
    fprintf(stderr, ngettext("%zu row", "%zu rows", file->row_count),
            file->row_count);
    fprintf(stderr, " (%s): ", file->encoding);
    fprintf(stderr, ngettext("%zu error", "%zu errors",
                             counts[TEMPLATE_ERROR]),
            counts[TEMPLATE_ERROR]);
    fputs(", ", stderr);
    fprintf(stderr, ngettext("%zu warning", "%zu warnings",
                             counts[TEMPLATE_WARNING]),
            counts[TEMPLATE_WARNING]);
    fputs(", ", stderr);
    fprintf(stderr, ngettext("%zu value normalised", "%zu values normalised",
                             counts[TEMPLATE_NOTICE]),
            counts[TEMPLATE_NOTICE]);
    fputc('\n', stderr);
}

/* Prints the findings as text on stderr; returns the number of errors. */
static size_t
import_report_text(const char *path, const struct template_file *file,
                   bool verbose)
{
    size_t counts[3], notices = 0;

    import_count(file, counts);
    for (size_t i = 0; i < file->diag_count; i++) {
        const struct template_diag *diag = &file->diags[i];

        if (diag->severity == TEMPLATE_NOTICE && !verbose &&
            ++notices > IMPORT_NOTICES_SHOWN) {
            continue;
        }
        import_print_diag_text(path, diag);
    }
    if (!verbose && counts[TEMPLATE_NOTICE] > IMPORT_NOTICES_SHOWN) {
        size_t hidden = counts[TEMPLATE_NOTICE] - IMPORT_NOTICES_SHOWN;

        fprintf(stderr, ngettext("... %zu more normalised value; --verbose "
                                 "lists them all\n",
                                 "... %zu more normalised values; --verbose "
                                 "lists them all\n", hidden), hidden);
    }
    import_print_summary(path, file, counts);
    return counts[TEMPLATE_ERROR];
}

static json_object *
import_report_json(const char *path, const struct template_file *file)
{
    json_object *obj = json_object_new_object();
    json_object *diags = json_object_new_array();
    size_t counts[3];

    import_count(file, counts);
    for (size_t i = 0; i < file->diag_count; i++) {
        json_object_array_add(diags, import_diag_json(&file->diags[i]));
    }
    json_object_object_add(obj, "file", json_object_new_string(path));
    json_object_object_add(obj, "encoding",
                           json_object_new_string(file->encoding));
    json_object_object_add(obj, "rows",
                           json_object_new_int64((int64_t)file->row_count));
    json_object_object_add(obj, "errors",
                           json_object_new_int64((int64_t)counts[0]));
    json_object_object_add(obj, "warnings",
                           json_object_new_int64((int64_t)counts[1]));
    json_object_object_add(obj, "notices",
                           json_object_new_int64((int64_t)counts[2]));
    json_object_object_add(obj, "diagnostics", diags);
    return obj;
}

static void
import_print_json(json_object *obj)
{
    puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
                                             JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int
import_parse(int argc, char **argv, struct import_options *options,
             bool is_import)
{
    memset(options, 0, sizeof(*options));
    options->batch_size = IMPORT_BATCH_DEFAULT;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--verbose") == 0) {
            options->verbose = true;
        } else if (is_import && strcmp(argv[i], "--dry-run") == 0) {
            options->dry_run = true;
        } else if (is_import && strcmp(argv[i], "--accept-invalid-ids") == 0) {
            options->accept_invalid_ids = true;
        } else if (is_import && strcmp(argv[i], "--batch-size") == 0 &&
                   i + 1 < argc) {
            char *end;

            options->batch_size = strtol(argv[++i], &end, 10);
            if (*end != '\0' || options->batch_size < 1 ||
                options->batch_size > IMPORT_BATCH_MAX) {
                fprintf(stderr, _("xueji: --batch-size takes a number from 1 "
                                  "to %d, got \"%s\"\n"), IMPORT_BATCH_MAX,
                        argv[i]);
                return CLIENT_EXIT_USAGE;
            }
        } else if (argv[i][0] != '-' && options->path == NULL) {
            options->path = argv[i];
        } else {
            return cmd_unexpected_argument(argv[i], NULL);
        }
    }
    if (options->path == NULL) {
        fputs(_(is_import ? import_usage : check_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    return 0;
}

/* Reads and checks the file, printing findings unless json_out is given,
 * in which case the report is stored there. */
static int
import_read(const struct client_settings *settings,
            const struct import_options *options, struct template_file **file,
            json_object **json_out)
{
    struct xj_error err;

    xj_error_clear(&err);
    if (template_read(options->path, NULL, file, &err) < 0) {
        client_print_error(&err);
        return CLIENT_EXIT_FINDINGS;
    }
    if (settings->json) {
        *json_out = import_report_json(options->path, *file);
    } else {
        import_report_text(options->path, *file, options->verbose);
    }
    return 0;
}

int
cmd_check(const struct client_settings *settings, int argc, char **argv)
{
    struct import_options options;
    struct template_file *file = NULL;
    json_object *report = NULL;
    size_t counts[3];
    int rc;

    if (cmd_wants_help(argc, argv, _(check_usage))) {
        return CLIENT_EXIT_OK;
    }
    rc = import_parse(argc, argv, &options, false);
    if (rc == 0) {
        rc = import_read(settings, &options, &file, &report);
    }
    if (rc == 0) {
        import_count(file, counts);
        rc = counts[TEMPLATE_ERROR] > 0 ? CLIENT_EXIT_FINDINGS : CLIENT_EXIT_OK;
    }
    if (report != NULL) {
        import_print_json(report);
        json_object_put(report);
    }
    template_free(file);
    return rc;
}

static void
import_fill_row(Xueji__V1__StudentRow *out, const struct template_row *row)
{
    xueji__v1__student_row__init(out);
    out->row_number = row->row;
    out->import_key = (char *)row->import_key;
    out->name = row->value[TEMPLATE_NAME];
    out->gender = row->value[TEMPLATE_GENDER];
    out->birth_date = row->value[TEMPLATE_BIRTH_DATE];
    out->id_type = row->value[TEMPLATE_ID_TYPE];
    out->id_number = row->value[TEMPLATE_ID_NUMBER];
    out->nationality = row->value[TEMPLATE_NATIONALITY];
    out->ethnicity = row->value[TEMPLATE_ETHNICITY];
    out->grade = row->value[TEMPLATE_GRADE];
    out->class_name = row->value[TEMPLATE_CLASS];
    out->enrol_month = row->value[TEMPLATE_ENROL_MONTH];
    out->overseas_status = row->value[TEMPLATE_OVERSEAS_STATUS];
    out->health = row->value[TEMPLATE_HEALTH];
    out->household_type = row->value[TEMPLATE_HOUSEHOLD_TYPE];
    out->attendance = row->value[TEMPLATE_ATTENDANCE];
    out->entry_mode = row->value[TEMPLATE_ENTRY_MODE];
    out->address = row->value[TEMPLATE_ADDRESS];
    out->telephone = row->value[TEMPLATE_TELEPHONE];
    out->class_number = row->value[TEMPLATE_CLASS_NUMBER];
}

static void
import_print_rejected(const char *path, const Xueji__V1__ImportReply *reply)
{
    for (size_t i = 0; i < reply->n_rejected; i++) {
        const Xueji__V1__RowError *error = reply->rejected[i];

        fprintf(stderr, _("%s:%u: %s: rejected by the server: %s\n"), path,
                error->row_number, error->field, error->message);
        if (error->hint[0] != '\0') {
            fprintf(stderr, _("    fix: %s\n"), error->hint);
        }
    }
    if (reply->rejected_unlisted > 0) {
        fprintf(stderr, ngettext("%s: %u more row of this batch was rejected "
                                 "by the server and is not listed; fix the "
                                 "rows above and run the import again to "
                                 "see it\n",
                                 "%s: %u more rows of this batch were "
                                 "rejected by the server and are not listed; "
                                 "fix the rows above and run the import "
                                 "again to see them\n",
                                 reply->rejected_unlisted),
                path, reply->rejected_unlisted);
    }
}

/* Set by SIGINT during an upload: no batch is sent after it, the replies
 * to the batches in flight are read, and the client says how many rows
 * are stored. A second SIGINT ends the client at once. */
static volatile sig_atomic_t import_interrupted;

static void
import_on_interrupt(int signo)
{
    (void)signo;
    import_interrupted = 1;
}

/* A batch that was sent and whose reply has not arrived yet. */
struct import_inflight {
    uint64_t request_id;
    size_t count;
};

/* Batches in flight at once: the daemon stores one while the next one
 * travels, so the client's and the network's work overlaps the
 * database's. */
#define IMPORT_INFLIGHT_MAX 2

/* Sends rows[0..*count) as one batch without waiting for the reply,
 * first halving *count until the batch fits in the server's frame size. */
static int
import_send(struct client *client, const char *path,
            Xueji__V1__StudentRow **rows, size_t *count,
            struct import_inflight *sent, struct xj_error *err)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__ImportBatch batch = XUEJI__V1__IMPORT_BATCH__INIT;
    const char *base = strrchr(path, '/');
    int rc;

    batch.file_name = (char *)(base != NULL ? base + 1 : path);
    batch.rows = rows;
    batch.n_rows = *count;
    request.body_case = XUEJI__V1__ENVELOPE__BODY_IMPORT_BATCH;
    request.import_batch = &batch;
    while (batch.n_rows > 1 &&
           xueji__v1__envelope__get_packed_size(&request) + 64 >
               client->max_frame_size) {
        batch.n_rows /= 2;
    }
    rc = client_send(client, &request, err);
    if (rc == 0) {
        *count = batch.n_rows;
        sent->request_id = request.request_id;
        sent->count = batch.n_rows;
    }
    return rc;
}

/* Waits for the reply to one batch and adds it to the totals. */
static int
import_receive(struct client *client, const char *path,
               const struct import_inflight *sent,
               struct import_totals *totals, struct xj_error *err)
{
    wire_envelope *reply = NULL;
    int rc = client_receive(client, sent->request_id, &reply, err);

    if (rc < 0) {
        return rc;
    }
    if (reply->body_case != XUEJI__V1__ENVELOPE__BODY_IMPORT_REPLY) {
        wire_free(reply);
        return xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL, NULL,
                            _("the server sent an unexpected response"));
    }
    totals->sent += sent->count;
    totals->created += reply->import_reply->created;
    totals->existing += reply->import_reply->existing;
    totals->rejected += reply->import_reply->n_rejected +
                        reply->import_reply->rejected_unlisted;
    totals->problems_created += reply->import_reply->problems_created;
    if (!client->settings->json) {
        import_print_rejected(path, reply->import_reply);
    }
    wire_free(reply);
    return 0;
}

/* Sends the rows in batches, keeping up to IMPORT_INFLIGHT_MAX of them in
 * flight, and adds each reply to the totals. Each batch is one
 * transaction on the server, so after a failure totals->sent counts only
 * rows that are stored; a batch in flight may be stored too. */
static int
import_send_all(struct client *client, const struct import_options *options,
                Xueji__V1__StudentRow **rows, size_t count,
                struct import_totals *totals, struct progress *bar,
                struct xj_error *err)
{
    struct import_inflight inflight[IMPORT_INFLIGHT_MAX];
    size_t pending = 0, done = 0;
    size_t batch_size = (size_t)options->batch_size;
    bool send_failed = false;
    int rc = 0;

    /* The server's limit wins over --batch-size. */
    if (client->max_batch_rows > 0 && batch_size > client->max_batch_rows) {
        batch_size = client->max_batch_rows;
    }
    while (rc == 0 && ((done < count && !import_interrupted) || pending > 0)) {
        if (done < count && pending < IMPORT_INFLIGHT_MAX &&
            !import_interrupted) {
            size_t n = count - done < batch_size ? count - done : batch_size;

            rc = import_send(client, options->path, rows + done, &n,
                             &inflight[pending], err);
            if (rc == 0) {
                pending++;
                done += n;
            } else {
                send_failed = true;
            }
            continue;
        }
        rc = import_receive(client, options->path, &inflight[0], totals, err);
        memmove(&inflight[0], &inflight[1],
                sizeof(inflight[0]) * (IMPORT_INFLIGHT_MAX - 1));
        pending--;
        progress_update(bar, totals->sent);
    }

    /* After the server failed or rejected a batch, the connection still
     * works: read the replies to the batches in flight, so that
     * totals->sent counts every row the server stored. A send also fails
     * when the server closed the connection after an error reply. That
     * reply can still be read, and it gives the reason. */
    while (rc < 0 && pending > 0 &&
           (send_failed || client_exit_for(rc) != CLIENT_EXIT_CONNECT)) {
        struct xj_error later;
        int later_rc;

        xj_error_clear(&later);
        later_rc = import_receive(client, options->path, &inflight[0],
                                  totals, &later);
        if (later_rc < 0 && send_failed &&
            client_exit_for(later_rc) == CLIENT_EXIT_SERVER) {
            *err = later;
            rc = later_rc;
            send_failed = false;
        } else if (later_rc < 0 &&
                   client_exit_for(later.code) == CLIENT_EXIT_CONNECT) {
            break;
        }
        memmove(&inflight[0], &inflight[1],
                sizeof(inflight[0]) * (IMPORT_INFLIGHT_MAX - 1));
        pending--;
    }
    return rc;
}

/* Collects the rows to send; returns how many there are. */
static size_t
import_select(const struct template_file *file,
              const struct import_options *options,
              Xueji__V1__StudentRow *storage, Xueji__V1__StudentRow **rows,
              size_t *held_back)
{
    size_t count = 0;

    *held_back = 0;
    for (size_t i = 0; i < file->row_count; i++) {
        const struct template_row *row = &file->rows[i];

        if (row->has_error) {
            continue;
        }
        if (row->id_invalid && !options->accept_invalid_ids) {
            (*held_back)++;
            continue;
        }
        import_fill_row(&storage[count], row);
        rows[count] = &storage[count];
        count++;
    }
    return count;
}

/* Says why a file gave no row to send. */
static void
import_print_nothing(const struct template_file *file, size_t held_back)
{
    if (file->row_count == 0) {
        fprintf(stderr, _("xueji: the file has no student rows below its "
                          "header row; fill in at least one student and "
                          "run the import again\n"));
    } else if (held_back > 0) {
        fprintf(stderr, _("xueji: no row can be imported; fix the errors "
                          "above, or pass --accept-invalid-ids to store the "
                          "rows whose only fault is the ID number, each "
                          "with an \"ID number invalid\" problem\n"));
    } else {
        fprintf(stderr, _("xueji: no row can be imported; fix the errors "
                          "above and run the import again\n"));
    }
}

static int
import_upload(const struct client_settings *settings,
              const struct import_options *options,
              Xueji__V1__StudentRow **rows, size_t count,
              struct import_totals *totals)
{
    struct sigaction interrupt = {.sa_handler = import_on_interrupt,
                                  .sa_flags = SA_RESETHAND};
    struct sigaction previous;
    struct client client;
    struct progress *bar = NULL;
    struct xj_error err;
    int rc;

    xj_error_clear(&err);
    rc = client_open(&client, settings, &err);
    if (rc == 0 && !settings->json) {
        bar = progress_new(stderr, _("import"), count);
    }
    if (rc == 0) {
        import_interrupted = 0;
        sigemptyset(&interrupt.sa_mask);
        sigaction(SIGINT, &interrupt, &previous);
        rc = import_send_all(&client, options, rows, count, totals, bar,
                             &err);
        sigaction(SIGINT, &previous, NULL);
        if (rc == 0 && import_interrupted && totals->sent < count) {
            rc = xj_error_set(&err, XJ_ERR_UNAVAILABLE, NULL, NULL, NULL,
                              _("the import was interrupted"));
        }
    }
    progress_finish(bar);
    client_close(&client);
    if (rc < 0) {
        client_print_error(&err);
        if (totals->sent > 0) {
            fprintf(stderr, ngettext("xueji: %zu of %zu row was stored "
                                     "before the failure; run the same "
                                     "command again to import the rest "
                                     "(nothing is stored twice)\n",
                                     "xueji: %zu of %zu rows were stored "
                                     "before the failure; run the same "
                                     "command again to import the rest "
                                     "(nothing is stored twice)\n", count),
                    totals->sent, count);
        }
        /* The shell's status for a process that SIGINT ended. */
        return import_interrupted ? 128 + SIGINT : client_exit_for(rc);
    }
    return 0;
}

static void
import_print_totals(const struct client_settings *settings,
                    json_object *report, const struct import_totals *totals,
                    size_t held_back)
{
    if (settings->json) {
        json_object *obj = json_object_new_object();

        json_object_object_add(obj, "sent", json_object_new_int64((int64_t)totals->sent));
        json_object_object_add(obj, "created", json_object_new_int64((int64_t)totals->created));
        json_object_object_add(obj, "existing", json_object_new_int64((int64_t)totals->existing));
        json_object_object_add(obj, "rejected", json_object_new_int64((int64_t)totals->rejected));
        json_object_object_add(obj, "held_back_invalid_id",
                               json_object_new_int64((int64_t)held_back));
        json_object_object_add(obj, "problems_created",
                               json_object_new_int64((int64_t)totals->problems_created));
        json_object_object_add(report, "import", obj);
        return;
    }
    /* "Imported N new students; N were already imported; N rejected by
     * the server." is printed in three messages, one per count. */
    printf(ngettext("Imported %zu new student; ", "Imported %zu new students; ",
                    totals->created), totals->created);
    printf(ngettext("%zu was already imported; ",
                    "%zu were already imported; ", totals->existing),
           totals->existing);
    printf(ngettext("%zu rejected by the server.\n",
                    "%zu rejected by the server.\n", totals->rejected),
           totals->rejected);
    printf(ngettext("The duplicate check found %zu new problem "
                    "registration.\n",
                    "The duplicate check found %zu new problem "
                    "registrations.\n", totals->problems_created),
           totals->problems_created);
    if (held_back > 0) {
        printf(ngettext("%zu row with an invalid ID number was not sent: "
                        "correct it, or import with --accept-invalid-ids to "
                        "store it with an \"ID number invalid\" problem.\n",
                        "%zu rows with an invalid ID number were not sent: "
                        "correct them, or import with --accept-invalid-ids "
                        "to store them with an \"ID number invalid\" "
                        "problem.\n", held_back), held_back);
    }
    printf(_("Next: xueji problems\n"));
}

int
cmd_import(const struct client_settings *settings, int argc, char **argv)
{
    struct import_options options;
    struct import_totals totals = {0, 0, 0, 0, 0};
    struct template_file *file = NULL;
    Xueji__V1__StudentRow *storage = NULL;
    Xueji__V1__StudentRow **rows = NULL;
    json_object *report = NULL;
    size_t count = 0, held_back = 0, counts[3];
    int rc;

    if (cmd_wants_help(argc, argv, _(import_usage))) {
        return CLIENT_EXIT_OK;
    }
    rc = import_parse(argc, argv, &options, true);
    if (rc == 0) {
        rc = import_read(settings, &options, &file, &report);
    }
    if (rc == 0) {
        storage = calloc(file->row_count + 1, sizeof(*storage));
        rows = calloc(file->row_count + 1, sizeof(*rows));
        if (storage == NULL || rows == NULL) {
            fprintf(stderr, _("xueji: out of memory\n"));
            rc = CLIENT_EXIT_SERVER;
        }
    }
    if (rc == 0) {
        count = import_select(file, &options, storage, rows, &held_back);
        if (count > 0 && !options.dry_run) {
            rc = import_upload(settings, &options, rows, count, &totals);
        } else if (count > 0 && !settings->json) {
            fprintf(stderr, ngettext("Dry run: %zu row would be sent; "
                                     "nothing was sent.\n",
                                     "Dry run: %zu rows would be sent; "
                                     "nothing was sent.\n", count),
                    count);
        } else if (count == 0 && !settings->json) {
            import_print_nothing(file, held_back);
        }
    }
    if (rc == 0 && !options.dry_run && (count > 0 || settings->json)) {
        import_print_totals(settings, report, &totals, held_back);
    }
    if (rc == 0) {
        import_count(file, counts);
        if (counts[TEMPLATE_ERROR] > 0 || totals.rejected > 0 || count == 0) {
            rc = CLIENT_EXIT_FINDINGS;
        }
    }
    if (report != NULL) {
        import_print_json(report);
        json_object_put(report);
    }
    free(storage);
    free(rows);
    template_free(file);
    return rc;
}
