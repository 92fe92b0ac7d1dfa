/* SPDX-License-Identifier: MIT */
/*
 * Client connections of xuejid: the TLS bufferevent, the frame reader,
 * the logged-in account, and one close path that logs a reason.
 */
#ifndef XUEJI_CONN_H
#define XUEJI_CONN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "status.h"
#include "wire.h"

struct worker;
struct bufferevent;
struct evidence_upload;
struct import_job;
struct event;

enum conn_role {
    CONN_ROLE_SCHOOL = 1 << 0,
    CONN_ROLE_COUNTY = 1 << 1,
    CONN_ROLE_CITY = 1 << 2,
    CONN_ROLE_PROVINCE = 1 << 3,
};
#define CONN_ROLE_ANY (CONN_ROLE_SCHOOL | CONN_ROLE_COUNTY | CONN_ROLE_CITY | \
                       CONN_ROLE_PROVINCE)

struct conn {
    uint64_t id;
    struct worker *worker;
    struct bufferevent *bev;
    struct conn *prev, *next;
    char peer[64];
    double started;

    bool hello_done;
    bool logged_in;
    int64_t account_id;
    int64_t org_id;
    enum conn_role role;
    char username[64];
    char org_code[16];
    char org_name[128];
    int failed_logins;

    bool job_in_flight;     /* a db_job points at this connection */
    struct import_job *imports;     /* batches without a reply, oldest first */
    unsigned imports_in_flight;
    wire_envelope *postponed;       /* a request that waits for those batches */
    bool waiting;           /* a request is being handled; input paused */
    bool closing;           /* marked for close; freed when safe */
    struct evidence_upload *upload;     /* evidence upload in progress */
    struct event *delay;    /* delayed reply after a failed login */
    uint64_t delay_request_id;
    long delay_retry_after; /* seconds; 0 for a plain wrong password */
};

/* Takes over an accepted socket and its TLS object and starts the
 * handshake; on failure both are freed and the reason is logged. */
void conn_accept(struct worker *worker, int fd, SSL *ssl);

/* Marks conn for close with a reason that is logged; the connection is
 * freed once no database job refers to it. */
void conn_close(struct conn *conn, const char *reason);

/* Closes every connection of worker. */
void conn_close_all(struct worker *worker, const char *reason);

/* Sends env. Returns 0, or a negative status (logged) when it cannot be
 * packed; the connection is then closed. */
int conn_send(struct conn *conn, const wire_envelope *env);

/* Sends an error response for request_id. */
void conn_send_error(struct conn *conn, uint64_t request_id,
                     Xueji__V1__ErrorCode code, const char *field,
                     const char *hint, const char *fmt, ...)
    XJ_PRINTF(6, 7);

/* Sends an error response, then closes once it has been written. */
void conn_fail(struct conn *conn, uint64_t request_id,
               Xueji__V1__ErrorCode code, const char *reason);

/* Ends the request being handled: input resumes, or the connection is
 * freed when it was closed meanwhile. */
void conn_request_done(struct conn *conn);

/* Continues after replies to import batches were sent. Once no batch is
 * left, the postponed request runs; until then the next batch is read. */
void conn_imports_settled(struct conn *conn);

/* Writes a log line with the connection's id, peer, account and
 * organisation appended as key=value fields. */
void conn_log(const struct conn *conn, enum log_level level,
              const char *fmt, ...) XJ_PRINTF(3, 4);

#define clog_warn(conn, ...) conn_log(conn, LOG_LEVEL_WARN, __VA_ARGS__)
#define clog_notice(conn, ...) conn_log(conn, LOG_LEVEL_NOTICE, __VA_ARGS__)
#define clog_info(conn, ...) conn_log(conn, LOG_LEVEL_INFO, __VA_ARGS__)
#define clog_error(conn, ...) conn_log(conn, LOG_LEVEL_ERROR, __VA_ARGS__)
#define clog_debug(conn, ...)                                            \
    do {                                                                 \
        if (log_enabled(LOG_LEVEL_DEBUG)) {                              \
            conn_log(conn, LOG_LEVEL_DEBUG, __VA_ARGS__);                \
        }                                                                \
    } while (0)

/* Routes one decoded request to its handler; defined in dispatch.c. Takes
 * ownership of env. */
void dispatch_request(struct conn *conn, wire_envelope *env);

#endif
