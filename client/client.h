/* SPDX-License-Identifier: MIT */
/*
 * The client side of a connection to xuejid: settings, TLS with server
 * verification, hello, login and request/response calls. The client is a
 * one-shot command, so it uses blocking I/O with socket timeouts.
 */
#ifndef XUEJI_CLIENT_H
#define XUEJI_CLIENT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "status.h"
#include "wire.h"

/* Process exit codes of xueji. */
enum client_exit {
    CLIENT_EXIT_OK = 0,
    CLIENT_EXIT_FINDINGS = 1,   /* rows with errors, or problems found */
    CLIENT_EXIT_USAGE = 2,
    CLIENT_EXIT_CONNECT = 3,    /* network or TLS */
    CLIENT_EXIT_AUTH = 4,       /* login or permission */
    CLIENT_EXIT_SERVER = 5,     /* server reported a failure */
};

struct client_settings {
    char *server;           /* host:port */
    char *ca_file;
    char *user;
    char *server_name;      /* TLS name to verify; "" for the host */
    long timeout;           /* seconds per network operation */
    bool insecure;
    bool json;
};

extern const struct config_key client_settings_keys[];

struct client {
    const struct client_settings *settings;
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    uint64_t next_request_id;
    uint32_t max_frame_size;
    uint32_t max_batch_rows;    /* 0: the server did not say */
    char server_name[64];   /* as the server introduced itself */
    char role[16];
    char org_code[16];
    char org_name[128];
};

/* Connects, verifies the server certificate, says hello and logs in with
 * the user of settings and the password from XUEJI_PASSWORD or a no-echo
 * prompt. Returns 0, or a negative status with err filled. */
int client_open(struct client *client, const struct client_settings *settings,
                struct xj_error *err) XJ_MUSTCHECK;

/* Connects and says hello without logging in. */
int client_open_anonymous(struct client *client,
                          const struct client_settings *settings,
                          struct xj_error *err) XJ_MUSTCHECK;

/* Sends request (its request_id is set here) and reads the response with
 * the same id into *reply (free it with wire_free). An Error response
 * becomes a negative status with err filled from it. */
int client_call(struct client *client, wire_envelope *request,
                wire_envelope **reply, struct xj_error *err) XJ_MUSTCHECK;

/* Sends request without waiting for its response, so that several may be
 * in flight; sets request->request_id. Returns 0 or a negative status. */
int client_send(struct client *client, wire_envelope *request,
                struct xj_error *err) XJ_MUSTCHECK;

/* Reads responses until the one to request_id, as client_call does after
 * sending. Responses to other requests are discarded. */
int client_receive(struct client *client, uint64_t request_id,
                   wire_envelope **reply, struct xj_error *err) XJ_MUSTCHECK;

/* Closes the connection; safe on a client that never opened. */
void client_close(struct client *client);

/* Returns the exit code that fits a failed call's status. */
enum client_exit client_exit_for(int status);

/* Prints err as "xueji: message" plus the hint, on stderr. */
void client_print_error(const struct xj_error *err);

#endif
