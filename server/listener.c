/* SPDX-License-Identifier: MIT */
/*
 * The listening socket, on the main thread. Connections over
 * max_connections are closed before any TLS work is spent on them; the
 * rest get their TLS object here and go to a worker.
 */
#include <errno.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

static void
listener_on_accept(struct evconnlistener *listener, evutil_socket_t fd,
                   struct sockaddr *addr, int addr_len, void *arg)
{
    struct server *server = arg;
    static double last_full_log;
    int one = 1;
    SSL *ssl;

    (void)listener;
    (void)addr;
    (void)addr_len;
    if (atomic_load(&server->draining)) {
        close(fd);
        return;
    }
    if (atomic_load(&server->connections) >= server->config.max_connections) {
        long rejected = atomic_fetch_add(&server->connections_rejected, 1) + 1;

        if (server_now() - last_full_log >= 10) {
            last_full_log = server_now();
            log_warn("connection rejected, server full max_connections=%ld "
                     "rejected_total=%ld", server->config.max_connections,
                     rejected);
        }
        close(fd);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ssl = SSL_new(atomic_load(&server->tls_ctx));
    if (ssl == NULL) {
        log_error("cannot create TLS session; closing new connection");
        close(fd);
        return;
    }
    atomic_fetch_add(&server->connections, 1);
    if (worker_hand_off(server, fd, ssl) < 0) {
        log_error("cannot hand connection to a worker: out of memory");
        atomic_fetch_sub(&server->connections, 1);
        SSL_free(ssl);
        close(fd);
    }
}

static void
listener_on_error(struct evconnlistener *listener, void *arg)
{
    static double last_log;
    int err = EVUTIL_SOCKET_ERROR();

    (void)listener;
    (void)arg;
    if (server_now() - last_log >= 10) {
        last_log = server_now();
        log_warn("accept failed error=\"%s\"",
                 evutil_socket_error_to_string(err));
    }
}

int
listener_start(struct server *server)
{
    struct sockaddr_storage addr;
    int addr_len = sizeof(addr);
    char text[128];

    snprintf(text, sizeof(text), "%s%s%s:%ld",
             strchr(server->config.listen_address, ':') ? "[" : "",
             server->config.listen_address,
             strchr(server->config.listen_address, ':') ? "]" : "",
             server->config.port);
    memset(&addr, 0, sizeof(addr));
    if (evutil_parse_sockaddr_port(text, (struct sockaddr *)&addr,
                                   &addr_len) != 0) {
        log_error("invalid listen address listen_address=%s port=%ld",
                  server->config.listen_address, server->config.port);
        return XJ_ERR_INVALID;
    }
    server->listener = evconnlistener_new_bind(
        server->base, listener_on_accept, server,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
        1024, (struct sockaddr *)&addr, addr_len);
    if (server->listener == NULL) {
        log_error("cannot listen address=%s error=\"%s\"", text,
                  strerror(errno));
        return XJ_ERR_IO;
    }
    evconnlistener_set_error_cb(server->listener, listener_on_error);
    log_notice("listening address=%s", text);
    return 0;
}

void
listener_stop(struct server *server)
{
    if (server->listener != NULL) {
        evconnlistener_free(server->listener);
        server->listener = NULL;
    }
}
