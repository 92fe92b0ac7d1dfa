/* SPDX-License-Identifier: MIT */
/* OpenSSL 3 contexts for xuejid and xueji: TLS 1.2 minimum, 1.3 preferred. */
#ifndef XUEJI_TLS_H
#define XUEJI_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* Returns a server context with the certificate chain and key loaded, or
 * NULL with err filled. When client_ca is not NULL, clients may present a
 * certificate and it is verified against that file. */
SSL_CTX *tls_server_ctx_new(const char *cert_file, const char *key_file,
                            const char *client_ca, struct xj_error *err);

/* Returns a client context that verifies the server against ca_file
 * (NULL: the system store), or NULL with err filled. insecure turns all
 * verification off. */
SSL_CTX *tls_client_ctx_new(const char *ca_file, bool insecure,
                            struct xj_error *err);

/* Drains OpenSSL's error queue of this thread into buf as one line. */
void tls_error_string(char *buf, size_t size);

#endif
