/* SPDX-License-Identifier: MIT */
/*
 * Request routing: a table from envelope body to handler, with the checks
 * every request passes before its handler runs (protocol agreed, logged
 * in, role allowed). Handlers then authorise by organisation themselves,
 * because only they know which records a request touches.
 */
#include <stdarg.h>
#include <stdio.h>

#include "conn.h"
#include "handlers.h"
#include "server.h"

struct dispatch_entry {
    Xueji__V1__Envelope__BodyCase body;
    bool needs_hello;
    bool needs_login;
    unsigned roles;         /* enum conn_role flags allowed */
    void (*handler)(struct conn *conn, wire_envelope *env);
};

static const struct dispatch_entry dispatch_table[] = {
    {XUEJI__V1__ENVELOPE__BODY_HELLO, false, false, 0, handle_hello},
    {XUEJI__V1__ENVELOPE__BODY_PING, false, false, 0, handle_ping},
    {XUEJI__V1__ENVELOPE__BODY_LOGIN, true, false, 0, handle_login},
    {XUEJI__V1__ENVELOPE__BODY_IMPORT_BATCH, true, true, CONN_ROLE_SCHOOL,
     handle_import_batch},
    {XUEJI__V1__ENVELOPE__BODY_PROBLEM_LIST, true, true, CONN_ROLE_ANY,
     handle_problem_list},
    {XUEJI__V1__ENVELOPE__BODY_EVIDENCE_UPLOAD_START, true, true,
     CONN_ROLE_SCHOOL, handle_evidence_upload_start},
    {XUEJI__V1__ENVELOPE__BODY_EVIDENCE_CHUNK, true, true, CONN_ROLE_SCHOOL,
     handle_evidence_chunk},
    {XUEJI__V1__ENVELOPE__BODY_EVIDENCE_GET, true, true, CONN_ROLE_ANY,
     handle_evidence_get},
    {XUEJI__V1__ENVELOPE__BODY_HANDLE, true, true, CONN_ROLE_SCHOOL,
     handle_handle},
    {XUEJI__V1__ENVELOPE__BODY_CASE_LIST, true, true, CONN_ROLE_SCHOOL,
     handle_case_list},
    {XUEJI__V1__ENVELOPE__BODY_REVIEW_LIST, true, true,
     CONN_ROLE_COUNTY | CONN_ROLE_CITY | CONN_ROLE_PROVINCE,
     handle_review_list},
    {XUEJI__V1__ENVELOPE__BODY_REVIEW_SHOW, true, true,
     CONN_ROLE_COUNTY | CONN_ROLE_CITY | CONN_ROLE_PROVINCE,
     handle_review_show},
    {XUEJI__V1__ENVELOPE__BODY_REVIEW_DECIDE, true, true, CONN_ROLE_COUNTY,
     handle_review_decide},
    {XUEJI__V1__ENVELOPE__BODY_HISTORY, true, true, CONN_ROLE_ANY,
     handle_history},
};

void
handler_reply(struct conn *conn, const wire_envelope *env)
{
    (void)conn_send(conn, env);
    conn_request_done(conn);
}

void
handler_error(struct conn *conn, uint64_t request_id,
              Xueji__V1__ErrorCode code, const char *field, const char *hint,
              const char *fmt, ...)
{
    char message[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    conn_send_error(conn, request_id, code, field, hint, "%s", message);
    conn_request_done(conn);
}

static const struct dispatch_entry *
dispatch_find(Xueji__V1__Envelope__BodyCase body)
{
    for (size_t i = 0; i < sizeof(dispatch_table) / sizeof(dispatch_table[0]);
         i++) {
        if (dispatch_table[i].body == body) {
            return &dispatch_table[i];
        }
    }
    return NULL;
}

void
dispatch_request(struct conn *conn, wire_envelope *env)
{
    const struct dispatch_entry *entry = dispatch_find(env->body_case);
    uint64_t id = env->request_id;

    clog_debug(conn, "request body=%s request_id=%llu", wire_body_name(env),
               (unsigned long long)id);
    /* Replies leave in request order. So a request other than an import
     * batch, and any request while the daemon drains, waits until every
     * import batch in flight has its reply. */
    if (conn->imports_in_flight > 0 &&
        (env->body_case != XUEJI__V1__ENVELOPE__BODY_IMPORT_BATCH ||
         atomic_load(&conn->worker->server->draining))) {
        conn->postponed = env;
        return;
    }
    if (entry == NULL) {
        clog_info(conn, "request type not accepted body=%s",
                  wire_body_name(env));
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "body", "send requests only, never responses",
                      "this message type is not a request the server accepts");
        return;
    }
    /* While the daemon drains, running requests finish but an open
     * connection starts no new one, so the drain ends. */
    if (atomic_load(&conn->worker->server->draining)) {
        clog_info(conn, "request rejected while shutting down body=%s",
                  wire_body_name(env));
        wire_free(env);
        conn_send_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAVAILABLE,
                        NULL, "run the same command again in a minute",
                        "the server is shutting down");
        conn_close(conn, "server shutting down");
        return;
    }
    if (entry->needs_hello && !conn->hello_done) {
        wire_free(env);
        conn_fail(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_PROTOCOL,
                  "the first request on a connection must be Hello");
        return;
    }
    if (entry->needs_login && !conn->logged_in) {
        wire_free(env);
        handler_error(conn, id,
                      XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAUTHENTICATED,
                      NULL, "log in first", "not logged in");
        return;
    }
    if (entry->roles != 0 && (entry->roles & conn->role) == 0) {
        clog_info(conn, "request denied for role body=%s",
                  wire_body_name(env));
        wire_free(env);
        handler_error(conn, id,
                      XUEJI__V1__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED,
                      NULL, "use an account of the right level",
                      "this account's role may not make this request");
        return;
    }
    entry->handler(conn, env);
}
