/* SPDX-License-Identifier: MIT */
/*
 * xueji history: one student's record, every student number it has held
 * and its audit trail. Which students an account may see is the server's
 * decision, and ID numbers arrive masked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "handling.h"
#include "i18n.h"
#include "output.h"

#define HISTORY_COLUMNS 5
/* The audit table cuts no cell: the before and after values are the
 * point of it, and they stand in the last column, where a long cell
 * only makes its own line longer. */
#define HISTORY_CELL_WIDTH 0

static const char history_usage[] = N_(
    "usage: xueji history STUDENT_ID\n"
    "\n"
    "Shows a student's record, every student number it has held (oldest\n"
    "first) and its audit trail: time, account, organisation, action and\n"
    "the values before and after. xueji --json problems and the case\n"
    "details of xueji review show give the student id.\n");

/* Appends "key: before → after" for each value that differs, to buf. */
static void
history_describe_keys(json_object *before, json_object *after, char *buf,
                      size_t size)
{
    size_t used = 0;

    json_object_object_foreach(after, key, value) {
        json_object *old = NULL;
        const char *new_text = json_object_get_string(value);
        const char *old_text = "";

        if (json_object_object_get_ex(before, key, &old)) {
            old_text = json_object_get_string(old);
        }
        if (old_text != NULL && new_text != NULL &&
            strcmp(old_text, new_text) == 0) {
            continue;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%s: %s → %s",
                                 used > 0 ? "; " : "", key,
                                 old_text ? old_text : "", new_text ? new_text
                                                                    : "");
        if (used >= size) {
            return;
        }
    }
}

/* Writes what an audit entry changed into buf: the keys whose values
 * differ, or the raw before → after when they are not JSON objects. */
static void
history_describe_change(const Xueji__V1__HistoryEntry *entry, char *buf,
                        size_t size)
{
    json_object *before = json_tokener_parse(entry->before);
    json_object *after = json_tokener_parse(entry->after);

    buf[0] = '\0';
    if (entry->before[0] == '\0' && entry->after[0] == '\0') {
        /* Nothing recorded, as for an import. */
    } else if (json_object_is_type(after, json_type_object) &&
        (before == NULL || json_object_is_type(before, json_type_object))) {
        history_describe_keys(before, after, buf, size);
    } else {
        snprintf(buf, size, "%s → %s", entry->before, entry->after);
    }
    json_object_put(before);
    json_object_put(after);
}

static void
history_print_numbers(const Xueji__V1__HistoryReply *reply)
{
    printf(_("Student numbers held (oldest first):"));
    if (reply->n_student_numbers == 0) {
        printf(_(" none yet"));
    }
    for (size_t i = 0; i < reply->n_student_numbers; i++) {
        printf("%s %s", i > 0 ? "," : "", reply->student_numbers[i]);
    }
    putchar('\n');
}

static void
history_print_text(const Xueji__V1__HistoryReply *reply)
{
    const char *headers[HISTORY_COLUMNS] = {
        _("Time"), _("Account"), _("Organisation"), _("Action"),
        _("Before → after"),
    };
    struct output_table *table = output_table_new(HISTORY_COLUMNS, headers);

    if (reply->student != NULL) {
        handling_print_record(reply->student, "");
    }
    history_print_numbers(reply);
    if (reply->n_entries == 0) {
        printf(_("No audit entries.\n"));
    }
    for (size_t i = 0; table != NULL && i < reply->n_entries; i++) {
        const Xueji__V1__HistoryEntry *entry = reply->entries[i];
        char change[1024];
        const char *cells[HISTORY_COLUMNS] = {
            entry->at, entry->account, entry->organisation, entry->action,
            change,
        };

        history_describe_change(entry, change, sizeof(change));
        if (output_table_add(table, cells) < 0) {
            break;
        }
    }
    if (reply->n_entries > 0) {
        putchar('\n');
        output_table_print(table, stdout, HISTORY_CELL_WIDTH);
    }
    output_table_free(table);
}

/* Returns the parsed JSON of text, or text as a string when it is not
 * JSON. */
static json_object *
history_json_value(const char *text)
{
    json_object *value = json_tokener_parse(text);

    return value != NULL ? value : json_object_new_string(text);
}

static void
history_print_json(const Xueji__V1__HistoryReply *reply)
{
    json_object *obj = json_object_new_object();
    json_object *numbers = json_object_new_array();
    json_object *entries = json_object_new_array();

    for (size_t i = 0; i < reply->n_student_numbers; i++) {
        json_object_array_add(numbers, json_object_new_string(
                                           reply->student_numbers[i]));
    }
    for (size_t i = 0; i < reply->n_entries; i++) {
        const Xueji__V1__HistoryEntry *entry = reply->entries[i];
        json_object *item = json_object_new_object();

        json_object_object_add(item, "at", json_object_new_string(entry->at));
        json_object_object_add(item, "account",
                               json_object_new_string(entry->account));
        json_object_object_add(item, "organisation",
                               json_object_new_string(entry->organisation));
        json_object_object_add(item, "action",
                               json_object_new_string(entry->action));
        json_object_object_add(item, "before",
                               history_json_value(entry->before));
        json_object_object_add(item, "after",
                               history_json_value(entry->after));
        json_object_array_add(entries, item);
    }
    json_object_object_add(obj, "student",
                           reply->student != NULL
                               ? handling_record_json(reply->student)
                               : NULL);
    json_object_object_add(obj, "student_numbers", numbers);
    json_object_object_add(obj, "entries", entries);
    handling_print_json(obj);
    json_object_put(obj);
}

int
cmd_history(const struct client_settings *settings, int argc, char **argv)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__HistoryRequest history = XUEJI__V1__HISTORY_REQUEST__INIT;
    wire_envelope *reply = NULL;
    int rc;

    if (cmd_wants_help(argc, argv, _(history_usage))) {
        return CLIENT_EXIT_OK;
    }
    if (argc != 1) {
        fputs(_(history_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    if (!handling_parse_id(argv[0], _("student id"), &history.student_id)) {
        return CLIENT_EXIT_USAGE;
    }
    request.body_case = XUEJI__V1__ENVELOPE__BODY_HISTORY;
    request.history = &history;
    rc = handling_request(settings, &request,
                          XUEJI__V1__ENVELOPE__BODY_HISTORY_REPLY, &reply);
    if (rc != CLIENT_EXIT_OK) {
        return rc;
    }
    if (settings->json) {
        history_print_json(reply->history_reply);
    } else {
        history_print_text(reply->history_reply);
    }
    wire_free(reply);
    return CLIENT_EXIT_OK;
}
