/* SPDX-License-Identifier: MIT */
/*
 * Types shared by the modules of xuejid: the configuration, the server and
 * its worker threads. Each worker owns one event_base and the connections
 * handed to it; database work runs on the pool in db.c and returns to the
 * owning worker's loop.
 */
#ifndef XUEJI_SERVER_H
#define XUEJI_SERVER_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "status.h"

struct event_base;
struct event;
struct evconnlistener;
struct db_pool;
struct db_job;
struct conn;

struct server_config {
    char *listen_address;
    long port;
    char *tls_cert;
    char *tls_key;
    char *tls_client_ca;
    char *database;
    long db_pool_size;
    long workers;
    long max_connections;
    long max_frame_size;
    long idle_timeout;
    long handshake_timeout;
    long shutdown_timeout;
    long max_batch_rows;
    char *log_level;
    long stats_interval;
    long evidence_max_size;
    char *evidence_types;
    long evidence_chunk_size;
};

/* The key table of [xuejid]; ends with a row whose name is NULL. */
extern const struct config_key server_config_keys[];

/* An accepted socket and its TLS object on the way to a worker. */
struct worker_handoff {
    int fd;
    SSL *ssl;
};

struct worker {
    int index;
    pthread_t thread;
    struct server *server;
    struct event_base *base;
    struct event *wakeup;           /* new sockets and finished jobs */
    struct event *stop;
    pthread_mutex_t lock;
    struct worker_handoff *pending_fds;     /* under lock */
    size_t pending_count, pending_cap;
    struct db_job *done_head;       /* finished jobs, under lock */
    struct db_job *done_tail;
    struct conn *conns;             /* this worker's connections */
    atomic_long connection_count;
    bool stopped;                   /* loop asked to exit; no new conns */
    struct magic_set *magic;        /* libmagic handle of this thread */
    uint64_t next_upload_id;
};

struct server {
    struct server_config config;
    struct event_base *base;        /* main loop: listener and signals */
    struct evconnlistener *listener;
    SSL_CTX *_Atomic tls_ctx;       /* swapped on SIGHUP */
    struct db_pool *db;
    struct provisional_set *provisional;   /* L numbers being stored */
    struct worker *workers;
    int worker_count;
    unsigned next_worker;
    atomic_long connections;
    atomic_long connections_rejected;
    atomic_long requests;
    atomic_ullong next_conn_id;
    atomic_bool draining;
    struct event *sig_term, *sig_int, *sig_hup, *stats_timer, *drain_timer;
    int signals_seen;
    double drain_deadline;
};

/* Hands an accepted socket and its TLS object (created on the main thread,
 * where the TLS context is swapped) to the next worker. Returns 0, or a
 * negative status when the queue cannot grow; the caller then frees both. */
int worker_hand_off(struct server *server, int fd, SSL *ssl) XJ_MUSTCHECK;

/* Starts every worker thread. Returns 0 or a negative status. */
int worker_start_all(struct server *server) XJ_MUSTCHECK;

/* Asks every worker loop to exit and joins the threads. */
void worker_stop_all(struct server *server);

/* Runs the done callbacks still queued and frees the workers. Call after
 * the database pool has stopped, so no job can arrive later. */
void worker_free_all(struct server *server);

/* Queues a finished database job for its worker's loop (any thread). */
void worker_post_done(struct worker *worker, struct db_job *job);

/* Starts listening; returns 0 or a negative status with the reason logged. */
int listener_start(struct server *server) XJ_MUSTCHECK;

/* Stops accepting new connections. */
void listener_stop(struct server *server);

/* Loads the TLS context from the configured files and swaps it in for new
 * connections. Returns 0, or a negative status with err filled and the old
 * context kept. */
int server_tls_reload(struct server *server, struct xj_error *err)
    XJ_MUSTCHECK;

/* Returns the monotonic clock in seconds. */
double server_now(void);

#endif
