/* SPDX-License-Identifier: MIT */
/*
 * Per-connection state of xuejid. A connection handles one request at a
 * time: while a request waits on the database, input is paused, which
 * bounds the memory and database work one client can cause. Responses
 * still carry the request id, so clients may pipeline.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evidence.h"
#include "frame.h"
#include "server.h"
#include "tls.h"

/* Requests taken from one connection per wake-up of its read callback. */
#define CONN_FRAMES_PER_WAKEUP 16
/* Output above this pauses request handling until it drains. */
#define CONN_OUTPUT_HIGH (1024 * 1024)
/* Seconds allowed to flush a final error frame before closing anyway. */
#define CONN_FLUSH_TIMEOUT 5

static void conn_process_input(struct conn *conn);

void
conn_log(const struct conn *conn, enum log_level level, const char *fmt, ...)
{
    char message[1024];
    va_list ap;

    if (!log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    log_write(level, "%s conn=%llu peer=%s user=%s org=%s", message,
              (unsigned long long)conn->id, conn->peer,
              conn->logged_in ? conn->username : "-",
              conn->logged_in ? conn->org_code : "-");
}

static void
conn_free(struct conn *conn)
{
    struct worker *worker = conn->worker;

    if (conn->prev != NULL) {
        conn->prev->next = conn->next;
    } else {
        worker->conns = conn->next;
    }
    if (conn->next != NULL) {
        conn->next->prev = conn->prev;
    }
    if (conn->delay != NULL) {
        event_free(conn->delay);
    }
    evidence_upload_free(conn->upload);
    wire_free(conn->postponed);
    if (conn->bev != NULL) {
        bufferevent_free(conn->bev);
    }
    atomic_fetch_sub(&worker->connection_count, 1);
    atomic_fetch_sub(&worker->server->connections, 1);
    free(conn);
}

static void
conn_on_flushed(struct bufferevent *bev, void *arg)
{
    struct conn *conn = arg;

    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
        !conn->job_in_flight) {
        conn_free(conn);
    }
}

void
conn_close(struct conn *conn, const char *reason)
{
    if (conn->closing) {
        return;
    }
    conn->closing = true;
    clog_info(conn, "connection closed reason=\"%s\" age=%.1fs", reason,
              server_now() - conn->started);
    bufferevent_disable(conn->bev, EV_READ);
    bufferevent_set_timeouts(conn->bev, NULL,
                             &(struct timeval){CONN_FLUSH_TIMEOUT, 0});
    if (conn->delay != NULL) {
        event_del(conn->delay);
    }
    if (conn->job_in_flight) {
        return;
    }
    conn_on_flushed(conn->bev, conn);
}

void
conn_close_all(struct worker *worker, const char *reason)
{
    struct conn *conn = worker->conns;

    while (conn != NULL) {
        struct conn *next = conn->next;

        conn_close(conn, reason);
        conn = next;
    }
}

int
conn_send(struct conn *conn, const wire_envelope *env)
{
    struct server *server = conn->worker->server;
    unsigned char *frame;
    size_t len;
    int rc;

    rc = wire_pack(env, (uint32_t)server->config.max_frame_size, &frame,
                   &len);
    if (rc < 0) {
        clog_error(conn, "cannot pack response body=%s status=%s",
                   wire_body_name(env), xj_status_name(rc));
        conn_close(conn, "response could not be packed");
        return rc;
    }
    rc = bufferevent_write(conn->bev, frame, len);
    free(frame);
    return rc == 0 ? 0 : XJ_ERR_NOMEM;
}

static void
conn_send_errorv(struct conn *conn, uint64_t request_id,
                 Xueji__V1__ErrorCode code, const char *field,
                 const char *hint, const char *fmt, va_list ap)
{
    wire_envelope env = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__Error error = XUEJI__V1__ERROR__INIT;
    char message[512];

    vsnprintf(message, sizeof(message), fmt, ap);
    error.code = code;
    error.message = message;
    error.field = (char *)(field ? field : "");
    error.hint = (char *)(hint ? hint : "");
    env.request_id = request_id;
    env.body_case = XUEJI__V1__ENVELOPE__BODY_ERROR;
    env.error = &error;
    (void)conn_send(conn, &env);
}

void
conn_send_error(struct conn *conn, uint64_t request_id,
                Xueji__V1__ErrorCode code, const char *field,
                const char *hint, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    conn_send_errorv(conn, request_id, code, field, hint, fmt, ap);
    va_end(ap);
}

void
conn_fail(struct conn *conn, uint64_t request_id, Xueji__V1__ErrorCode code,
          const char *reason)
{
    conn_send_error(conn, request_id, code, NULL,
                    "check that the client speaks this server's protocol",
                    "%s", reason);
    conn_close(conn, reason);
}

void
conn_request_done(struct conn *conn)
{
    /* Import batches of this connection may still run. */
    conn->job_in_flight = conn->imports_in_flight > 0;
    conn->waiting = false;
    if (conn->closing) {
        conn_on_flushed(conn->bev, conn);
        return;
    }
    bufferevent_enable(conn->bev, EV_READ);
    conn_process_input(conn);
}

void
conn_imports_settled(struct conn *conn)
{
    wire_envelope *postponed = conn->postponed;

    if (conn->imports_in_flight > 0) {
        if (postponed == NULL && conn->waiting && !conn->closing) {
            conn_request_done(conn);
        }
        return;
    }
    conn->postponed = NULL;
    if (postponed != NULL && !conn->closing) {
        conn->job_in_flight = false;
        dispatch_request(conn, postponed);
        return;
    }
    wire_free(postponed);
    conn_request_done(conn);
}

static bool
conn_take_frame(struct conn *conn, struct evbuffer *input)
{
    struct server *server = conn->worker->server;
    unsigned char *body = NULL;
    char reason[160];
    wire_envelope *env;
    size_t len = 0;
    int rc;

    rc = frame_take(input, (uint32_t)server->config.max_frame_size, &body,
                    &len);
    if (rc == 0) {
        return false;
    }
    if (rc < 0) {
        unsigned char header[FRAME_HEADER_LEN];

        evbuffer_copyout(input, header, sizeof(header));
        snprintf(reason, sizeof(reason),
                 rc == XJ_ERR_TOO_LARGE
                     ? "frame of %u bytes exceeds max_frame_size %ld"
                     : "empty frame (length %u) is not allowed; "
                       "max_frame_size %ld",
                 frame_header_decode(header), server->config.max_frame_size);
        conn_fail(conn, 0,
                  rc == XJ_ERR_TOO_LARGE ? XUEJI__V1__ERROR_CODE__ERROR_CODE_TOO_LARGE
                                         : XUEJI__V1__ERROR_CODE__ERROR_CODE_PROTOCOL,
                  reason);
        return false;
    }
    env = wire_unpack(body, len);
    free(body);
    if (env == NULL) {
        conn_fail(conn, 0, XUEJI__V1__ERROR_CODE__ERROR_CODE_PROTOCOL,
                  "frame is not a valid xueji.v1.Envelope");
        return false;
    }
    atomic_fetch_add(&server->requests, 1);
    conn->waiting = true;
    dispatch_request(conn, env);
    return true;
}

static void
conn_process_input(struct conn *conn)
{
    struct evbuffer *input = bufferevent_get_input(conn->bev);
    struct evbuffer *output = bufferevent_get_output(conn->bev);

    for (int i = 0; i < CONN_FRAMES_PER_WAKEUP; i++) {
        if (conn->closing || conn->waiting) {
            return;
        }
        if (evbuffer_get_length(output) > CONN_OUTPUT_HIGH) {
            /* Resumed by conn_on_write once the client reads. */
            bufferevent_disable(conn->bev, EV_READ);
            return;
        }
        if (!conn_take_frame(conn, input)) {
            return;
        }
        if (conn->waiting && !conn->closing) {
            bufferevent_disable(conn->bev, EV_READ);
            return;
        }
    }
}

static void
conn_on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_process_input(arg);
}

static void
conn_on_write(struct bufferevent *bev, void *arg)
{
    struct conn *conn = arg;

    if (conn->closing) {
        conn_on_flushed(bev, conn);
        return;
    }
    if (!conn->waiting && !(bufferevent_get_enabled(bev) & EV_READ)) {
        bufferevent_enable(bev, EV_READ);
        conn_process_input(conn);
    }
}

static void
conn_on_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *conn = arg;
    struct evbuffer *output = bufferevent_get_output(bev);
    unsigned long ssl_error;
    char detail[512];

    if (what & BEV_EVENT_CONNECTED) {
        clog_debug(conn, "TLS handshake done");
        return;
    }
    if (conn->closing) {
        /* The final frame did not drain in time, or the socket broke. */
        evbuffer_drain(output, evbuffer_get_length(output));
        conn_on_flushed(bev, conn);
        return;
    }
    /* A connection whose import batches are still stored is not idle,
     * although it may read nothing meanwhile. libevent disabled reading
     * at the timeout, so it is enabled again. */
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
        conn->imports_in_flight > 0) {
        bufferevent_enable(bev, EV_READ);
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        conn_close(conn, conn->logged_in ? "idle timeout"
                                         : "handshake or login timeout");
        return;
    }
    if (what & BEV_EVENT_EOF) {
        evbuffer_drain(output, evbuffer_get_length(output));
        conn_close(conn, "client closed the connection");
        return;
    }
    ssl_error = bufferevent_get_openssl_error(bev);
    if (ssl_error != 0) {
        ERR_error_string_n(ssl_error, detail, sizeof(detail));
    } else {
        snprintf(detail, sizeof(detail), "socket error: %s",
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    }
    ERR_clear_error();
    clog_info(conn, "connection error detail=\"%s\"", detail);
    /* The socket is unusable, so nothing queued can be written. */
    evbuffer_drain(output, evbuffer_get_length(output));
    conn_close(conn, "connection error");
}

static void
conn_describe_peer(int fd, char *out, size_t size)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (getpeername(fd, (struct sockaddr *)&addr, &len) == 0) {
        if (addr.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&addr;

            inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
            port = ntohs(in->sin_port);
        } else if (addr.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;

            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
            port = ntohs(in6->sin6_port);
        }
    }
    snprintf(out, size, "%s:%d", host, port);
}

void
conn_accept(struct worker *worker, int fd, SSL *ssl)
{
    struct server *server = worker->server;
    struct timeval handshake = {server->config.handshake_timeout, 0};
    struct conn *conn = calloc(1, sizeof(*conn));

    if (conn == NULL) {
        log_error("cannot allocate connection, closing socket fd=%d", fd);
        SSL_free(ssl);
        close(fd);
        atomic_fetch_sub(&server->connections, 1);
        return;
    }
    conn->id = atomic_fetch_add(&server->next_conn_id, 1) + 1;
    conn->worker = worker;
    conn->started = server_now();
    conn_describe_peer(fd, conn->peer, sizeof(conn->peer));
    conn->bev = bufferevent_openssl_socket_new(
        worker->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (conn->bev == NULL) {
        log_error("cannot create TLS bufferevent peer=%s", conn->peer);
        SSL_free(ssl);
        close(fd);
        free(conn);
        atomic_fetch_sub(&server->connections, 1);
        return;
    }
    conn->next = worker->conns;
    if (worker->conns != NULL) {
        worker->conns->prev = conn;
    }
    worker->conns = conn;
    atomic_fetch_add(&worker->connection_count, 1);

    bufferevent_openssl_set_allow_dirty_shutdown(conn->bev, 1);
    bufferevent_setcb(conn->bev, conn_on_read, conn_on_write, conn_on_event,
                      conn);
    bufferevent_setwatermark(conn->bev, EV_READ, 0,
                             (size_t)server->config.max_frame_size +
                                 FRAME_HEADER_LEN);
    bufferevent_set_timeouts(conn->bev, &handshake, NULL);
    bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
    clog_debug(conn, "connection accepted");
}
