/* SPDX-License-Identifier: MIT */
/*
 * Worker threads: each owns an event_base, the connections handed to it
 * and the finished database jobs of those connections. Other threads pass
 * work in through a locked queue and wake the loop with event_active().
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdlib.h>
#include <unistd.h>

#include "conn.h"
#include "db.h"
#include "evidence.h"
#include "log.h"
#include "server.h"

static void
worker_on_wakeup(evutil_socket_t fd, short what, void *arg)
{
    struct worker *worker = arg;
    struct db_job *done;
    struct worker_handoff *fds;
    size_t count;

    (void)fd;
    (void)what;
    pthread_mutex_lock(&worker->lock);
    fds = worker->pending_fds;
    count = worker->pending_count;
    worker->pending_fds = NULL;
    worker->pending_count = worker->pending_cap = 0;
    done = worker->done_head;
    worker->done_head = worker->done_tail = NULL;
    pthread_mutex_unlock(&worker->lock);

    for (size_t i = 0; i < count; i++) {
        if (worker->stopped) {
            SSL_free(fds[i].ssl);
            close(fds[i].fd);
        } else {
            conn_accept(worker, fds[i].fd, fds[i].ssl);
        }
    }
    free(fds);

    while (done != NULL) {
        struct db_job *next = done->next;

        done->done(done);
        done = next;
    }
}

static void
worker_on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct worker *worker = arg;

    (void)fd;
    (void)what;
    worker->stopped = true;
    conn_close_all(worker, "server shutting down");
    event_base_loopexit(worker->base, NULL);
}

int
worker_hand_off(struct server *server, int fd, SSL *ssl)
{
    struct worker *worker;

    worker = &server->workers[server->next_worker++ % server->worker_count];
    pthread_mutex_lock(&worker->lock);
    if (worker->pending_count == worker->pending_cap) {
        size_t cap = worker->pending_cap ? worker->pending_cap * 2 : 16;
        struct worker_handoff *grown;

        grown = realloc(worker->pending_fds, cap * sizeof(*grown));

        if (grown == NULL) {
            pthread_mutex_unlock(&worker->lock);
            return XJ_ERR_NOMEM;
        }
        worker->pending_fds = grown;
        worker->pending_cap = cap;
    }
    worker->pending_fds[worker->pending_count].fd = fd;
    worker->pending_fds[worker->pending_count].ssl = ssl;
    worker->pending_count++;
    pthread_mutex_unlock(&worker->lock);
    event_active(worker->wakeup, EV_READ, 0);
    return 0;
}

void
worker_post_done(struct worker *worker, struct db_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&worker->lock);
    if (worker->done_tail != NULL) {
        worker->done_tail->next = job;
    } else {
        worker->done_head = job;
    }
    worker->done_tail = job;
    pthread_mutex_unlock(&worker->lock);
    event_active(worker->wakeup, EV_READ, 0);
}

static void *
worker_main(void *arg)
{
    struct worker *worker = arg;

    log_debug("worker started index=%d", worker->index);
    /* The loop has no armed event until a connection arrives. */
    event_base_loop(worker->base, EVLOOP_NO_EXIT_ON_EMPTY);
    log_debug("worker stopped index=%d", worker->index);
    return NULL;
}

static int
worker_init(struct server *server, struct worker *worker, int index)
{
    worker->index = index;
    worker->server = server;
    pthread_mutex_init(&worker->lock, NULL);
    worker->base = event_base_new();
    if (worker->base == NULL) {
        return XJ_ERR_NOMEM;
    }
    /* Both events are persistent and never armed on an fd: they run only
     * when another thread calls event_active(). */
    worker->wakeup = event_new(worker->base, -1, EV_PERSIST,
                               worker_on_wakeup, worker);
    worker->stop = event_new(worker->base, -1, 0, worker_on_stop, worker);
    if (worker->wakeup == NULL || worker->stop == NULL) {
        return XJ_ERR_NOMEM;
    }
    event_add(worker->wakeup, NULL);
    return 0;
}

int
worker_start_all(struct server *server)
{
    int count = (int)server->config.workers;

    server->workers = calloc((size_t)count, sizeof(*server->workers));
    if (server->workers == NULL) {
        return XJ_ERR_NOMEM;
    }
    server->worker_count = count;
    for (int i = 0; i < count; i++) {
        struct worker *worker = &server->workers[i];
        int rc = worker_init(server, worker, i);

        if (rc < 0) {
            log_error("cannot create worker index=%d", i);
            return rc;
        }
        if (pthread_create(&worker->thread, NULL, worker_main, worker) != 0) {
            log_error("cannot start worker thread index=%d errno=%d", i,
                      errno);
            return XJ_ERR_INTERNAL;
        }
    }
    return 0;
}

void
worker_stop_all(struct server *server)
{
    for (int i = 0; i < server->worker_count; i++) {
        event_active(server->workers[i].stop, EV_READ, 0);
    }
    for (int i = 0; i < server->worker_count; i++) {
        pthread_join(server->workers[i].thread, NULL);
    }
}

void
worker_free_all(struct server *server)
{
    for (int i = 0; i < server->worker_count; i++) {
        struct worker *worker = &server->workers[i];

        /* Jobs that finished after the loop stopped still own memory. */
        worker->stopped = true;
        worker_on_wakeup(-1, 0, worker);
        evidence_worker_free(worker);
        event_free(worker->wakeup);
        event_free(worker->stop);
        event_base_free(worker->base);
        pthread_mutex_destroy(&worker->lock);
    }
    free(server->workers);
    server->workers = NULL;
    server->worker_count = 0;
}
