/* SPDX-License-Identifier: MIT */
/*
 * Request handlers, one per request type. Each takes ownership of the
 * envelope, validates it, and either replies at once or queues a
 * database job whose done callback replies and calls conn_request_done.
 */
#ifndef XUEJI_HANDLERS_H
#define XUEJI_HANDLERS_H

#include "conn.h"
#include "wire.h"

void handle_hello(struct conn *conn, wire_envelope *env);
void handle_ping(struct conn *conn, wire_envelope *env);
void handle_login(struct conn *conn, wire_envelope *env);
void handle_import_batch(struct conn *conn, wire_envelope *env);
void handle_problem_list(struct conn *conn, wire_envelope *env);
void handle_evidence_upload_start(struct conn *conn, wire_envelope *env);
void handle_evidence_chunk(struct conn *conn, wire_envelope *env);
void handle_evidence_get(struct conn *conn, wire_envelope *env);
void handle_handle(struct conn *conn, wire_envelope *env);
void handle_case_list(struct conn *conn, wire_envelope *env);
void handle_review_list(struct conn *conn, wire_envelope *env);
void handle_review_show(struct conn *conn, wire_envelope *env);
void handle_review_decide(struct conn *conn, wire_envelope *env);
void handle_history(struct conn *conn, wire_envelope *env);

/* Replies with env and ends the request. */
void handler_reply(struct conn *conn, const wire_envelope *env);

/* Replies with an error and ends the request. */
void handler_error(struct conn *conn, uint64_t request_id,
                   Xueji__V1__ErrorCode code, const char *field,
                   const char *hint, const char *fmt, ...) XJ_PRINTF(6, 7);

#endif
