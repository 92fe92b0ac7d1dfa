/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the commands that resolve and review problem
 * registrations: parsing of ids and free text, calls that expect one reply
 * type, and the display of cases, student records and evidence lists as
 * text or JSON. The commands themselves own their options and output flow.
 */
#ifndef XUEJI_HANDLING_H
#define XUEJI_HANDLING_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "client.h"

/* Parses text as a decimal id greater than 0 into *id. On failure prints
 * an error naming what (e.g. "problem id") on stderr and returns false. */
bool handling_parse_id(const char *text, const char *what, uint64_t *id);

/* Tells whether text is empty or holds only spaces and invisible
 * characters (as text_normalize counts them), or is not valid UTF-8. */
bool handling_is_blank(const char *text);

/* Sends request with client_call and checks that the reply's body is
 * expected. Returns 0 with *reply (free it with wire_free), or a negative
 * status with err filled. */
int handling_call(struct client *client, wire_envelope *request,
                  Xueji__V1__Envelope__BodyCase expected,
                  wire_envelope **reply, struct xj_error *err) XJ_MUSTCHECK;

/* Connects with settings, sends request with handling_call and closes.
 * Returns CLIENT_EXIT_OK with *reply (free it with wire_free), or, after
 * printing the error, the exit code that fits it. */
int handling_request(const struct client_settings *settings,
                     wire_envelope *request,
                     Xueji__V1__Envelope__BodyCase expected,
                     wire_envelope **reply);

/* Returns the English identifier of kind: "change", "delete", "attest",
 * or "" when unspecified. */
const char *handling_kind_name(Xueji__V1__HandlingKind kind);

/* Writes size in bytes for people, e.g. "1.5 MiB", into buf. */
void handling_format_size(uint64_t size, char *buf, size_t buf_size);

/* Prints a student record as labelled lines on stdout, each line starting
 * with indent. */
void handling_print_record(const Xueji__V1__StudentRecord *record,
                           const char *indent);

/* Prints every detail of a case on stdout: record, proposed values,
 * counterparts, reason, evidence and the decision once there is one. */
void handling_print_case(const Xueji__V1__ReviewCase *review_case);

/* Returns a new JSON object of a student record, owned by the caller. */
json_object *handling_record_json(const Xueji__V1__StudentRecord *record);

/* Returns a new JSON object, owned by the caller, of a case with every
 * field the reply carries. */
json_object *handling_case_json(const Xueji__V1__ReviewCase *review_case);

/* Prints obj as indented JSON on stdout. obj stays the caller's. */
void handling_print_json(json_object *obj);

#endif
