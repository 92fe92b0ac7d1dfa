/* SPDX-License-Identifier: MIT */
/* Connection, TLS verification and calls of the xueji client. */
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "frame.h"
#include "i18n.h"
#include "tls.h"

/* Responses larger than this are refused without reading them. */
#define CLIENT_MAX_RESPONSE (64u * 1024 * 1024)

#define KEY_STRING(name, def, help) \
    {#name, CONFIG_STRING, offsetof(struct client_settings, name), def, 0, 0, help}

const struct config_key client_settings_keys[] = {
    KEY_STRING(server, "localhost:7631", "xuejid address as HOST:PORT"),
    KEY_STRING(ca_file, "", "CA certificate that signed the server's; "
               "empty: the system store"),
    KEY_STRING(user, "", "account user name"),
    KEY_STRING(server_name, "", "name in the server certificate; "
               "empty: the host of server"),
    {"timeout", CONFIG_INT, offsetof(struct client_settings, timeout), "120",
     1, 3600, "seconds to wait for the server on each step"},
    {NULL, CONFIG_STRING, 0, NULL, 0, 0, NULL},
};

void
client_print_error(const struct xj_error *err)
{
    fprintf(stderr, _("xueji: %s\n"), err->message);
    if (err->hint[0] != '\0') {
        fprintf(stderr, _("hint: %s\n"), err->hint);
    }
}

enum client_exit
client_exit_for(int status)
{
    switch (status) {
    case XJ_ERR_IO:
    case XJ_ERR_TLS:
    case XJ_ERR_PROTOCOL:
        return CLIENT_EXIT_CONNECT;
    case XJ_ERR_AUTH:
    case XJ_ERR_DENIED:
        return CLIENT_EXIT_AUTH;
    case XJ_ERR_INVALID:
    case XJ_ERR_NOT_FOUND:
    case XJ_ERR_CONFLICT:
    case XJ_ERR_TOO_LARGE:
        return CLIENT_EXIT_FINDINGS;
    default:
        return CLIENT_EXIT_SERVER;
    }
}

/* Splits "host:port" or "[v6]:port" into host and port. */
static int
client_split_address(const char *address, char *host, size_t host_size,
                     char *port, size_t port_size, struct xj_error *err)
{
    const char *colon = strrchr(address, ':');
    const char *start = address;
    size_t len;

    if (colon == NULL || colon[1] == '\0') {
        return xj_error_set(err, XJ_ERR_INVALID, "server", address,
                            _("write the server as HOST:PORT, e.g. localhost:7631"),
                            _("server address \"%s\" has no port"), address);
    }
    len = (size_t)(colon - address);
    if (address[0] == '[' && len >= 2 && address[len - 1] == ']') {
        start++;
        len -= 2;
    }
    if (len == 0 || len >= host_size || strlen(colon + 1) >= port_size) {
        return xj_error_set(err, XJ_ERR_INVALID, "server", address, NULL,
                            _("server address \"%s\" is invalid"), address);
    }
    memcpy(host, start, len);
    host[len] = '\0';
    snprintf(port, port_size, "%s", colon + 1);
    return 0;
}

static int
client_wait(int fd, short events, long timeout)
{
    struct pollfd pfd = {fd, events, 0};
    int rc;

    do {
        rc = poll(&pfd, 1, (int)(timeout * 1000));
    } while (rc < 0 && errno == EINTR);
    return rc;
}

static int
client_tcp_connect(const char *host, const char *port, long timeout,
                   struct xj_error *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *list, *ai;
    int fd = -1, rc, last_errno = 0;

    rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        xj_error_set(err, XJ_ERR_IO, "server", host,
                     _("check the server setting"),
                     _("cannot resolve %s: %s"), host, gai_strerror(rc));
        return -1;
    }
    for (ai = list; ai != NULL; ai = ai->ai_next) {
        int soerr = 0;
        socklen_t len = sizeof(soerr);

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        fcntl(fd, F_SETFL, O_NONBLOCK);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
            (errno == EINPROGRESS && client_wait(fd, POLLOUT, timeout) > 0 &&
             getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
             soerr == 0)) {
            fcntl(fd, F_SETFL, 0);
            break;
        }
        last_errno = soerr != 0 ? soerr : errno ? errno : ETIMEDOUT;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0) {
        xj_error_set(err, XJ_ERR_IO, "server", host,
                     _("check that xuejid runs and the address is right"),
                     _("cannot connect to %s port %s: %s"), host, port,
                     strerror(last_errno));
    }
    return fd;
}

static void
client_set_timeouts(int fd, long timeout)
{
    struct timeval tv = {timeout, 0};

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
client_tls_fail(struct client *client, struct xj_error *err)
{
    long verify = SSL_get_verify_result(client->ssl);
    char detail[512];

    tls_error_string(detail, sizeof(detail));
    if (verify != X509_V_OK) {
        return xj_error_set(err, XJ_ERR_TLS, "ca_file", NULL,
                            _("check ca_file names the CA that signed the "
                              "server certificate, and that the server name "
                              "matches the certificate"),
                            _("the server certificate is not trusted: %s"),
                            X509_verify_cert_error_string(verify));
    }
    return xj_error_set(err, XJ_ERR_TLS, "server", NULL,
                        _("check that the address is a xuejid TLS port"),
                        _("TLS handshake failed: %s"), detail);
}

static int
client_tls_start(struct client *client, const char *host,
                 struct xj_error *err)
{
    const struct client_settings *settings = client->settings;
    const char *name = settings->server_name[0] ? settings->server_name : host;
    unsigned char ip[16];
    bool is_ip = inet_pton(AF_INET, name, ip) == 1 ||
                 inet_pton(AF_INET6, name, ip) == 1;

    client->ctx = tls_client_ctx_new(settings->ca_file, settings->insecure,
                                     err);
    if (client->ctx == NULL) {
        return err->code;
    }
    client->ssl = SSL_new(client->ctx);
    if (client->ssl == NULL || SSL_set_fd(client->ssl, client->fd) != 1) {
        return xj_error_set(err, XJ_ERR_TLS, NULL, NULL, NULL,
                            _("cannot create a TLS session"));
    }
    if (!is_ip) {
        SSL_set_tlsext_host_name(client->ssl, name);
    }
    if (!settings->insecure) {
        X509_VERIFY_PARAM *param = SSL_get0_param(client->ssl);

        if ((is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name)
                   : X509_VERIFY_PARAM_set1_host(param, name, 0)) != 1) {
            return xj_error_set(err, XJ_ERR_TLS, "server_name", name, NULL,
                                _("cannot verify against name %s"), name);
        }
    }
    if (SSL_connect(client->ssl) != 1) {
        return client_tls_fail(client, err);
    }
    return 0;
}

/* Tells whether an SSL_read or SSL_write that returned n was only
 * interrupted by a signal, so that the call can be made again. */
static bool
client_interrupted(struct client *client, int n)
{
    int reason = SSL_get_error(client->ssl, n);

    return errno == EINTR &&
           (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE ||
            reason == SSL_ERROR_SYSCALL);
}

static int
client_write_all(struct client *client, const unsigned char *data, size_t len,
                 struct xj_error *err)
{
    while (len > 0) {
        int n;

        errno = 0;
        n = SSL_write(client->ssl, data, len > INT32_MAX ? INT32_MAX
                                                         : (int)len);

        /* A signal with a handler, such as SIGINT during an import,
         * interrupts the call; the socket timeout does not restart it. */
        if (n <= 0 && client_interrupted(client, n)) {
            continue;
        }
        if (n <= 0) {
            return xj_error_set(err, XJ_ERR_IO, NULL, NULL,
                                _("check the network and run the command "
                                  "again"),
                                _("sending to the server failed"));
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int
client_read_all(struct client *client, unsigned char *data, size_t len,
                struct xj_error *err)
{
    while (len > 0) {
        int n;

        errno = 0;
        n = SSL_read(client->ssl, data, len > INT32_MAX ? INT32_MAX
                                                        : (int)len);

        if (n <= 0 && client_interrupted(client, n)) {
            continue;
        }
        if (n <= 0) {
            return xj_error_set(err, XJ_ERR_IO, NULL, NULL,
                                _("the server closed the connection or did "
                                  "not answer in time; run the command "
                                  "again"),
                                _("reading from the server failed"));
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one frame and unpacks it; the caller frees the envelope. */
static int
client_read_envelope(struct client *client, wire_envelope **out,
                     struct xj_error *err)
{
    unsigned char header[FRAME_HEADER_LEN];
    unsigned char *body;
    uint32_t len;
    int rc;

    rc = client_read_all(client, header, sizeof(header), err);
    if (rc < 0) {
        return rc;
    }
    len = frame_header_decode(header);
    if (frame_check_len(len, CLIENT_MAX_RESPONSE) < 0) {
        return xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL, NULL,
                            _("the server sent a frame of %u bytes, which is "
                              "not allowed"), len);
    }
    body = malloc(len);
    if (body == NULL) {
        return xj_error_set(err, XJ_ERR_NOMEM, NULL, NULL, NULL,
                            _("out of memory"));
    }
    rc = client_read_all(client, body, len, err);
    if (rc == 0) {
        *out = wire_unpack(body, len);
        if (*out == NULL) {
            rc = xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL, NULL,
                              _("the server sent an invalid message"));
        }
    }
    free(body);
    return rc;
}

static enum xj_status
client_status_for(Xueji__V1__ErrorCode code)
{
    switch (code) {
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST:
        return XJ_ERR_INVALID;
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAUTHENTICATED:
        return XJ_ERR_AUTH;
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED:
        return XJ_ERR_DENIED;
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_NOT_FOUND:
        return XJ_ERR_NOT_FOUND;
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_CONFLICT:
        return XJ_ERR_CONFLICT;
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_TOO_LARGE:
        return XJ_ERR_TOO_LARGE;
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_RATE_LIMITED:
        return XJ_ERR_AUTH;
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION:
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_PROTOCOL:
        return XJ_ERR_PROTOCOL;
    case XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAVAILABLE:
        return XJ_ERR_UNAVAILABLE;
    default:
        return XJ_ERR_INTERNAL;
    }
}

int
client_send(struct client *client, wire_envelope *request,
            struct xj_error *err)
{
    unsigned char *frame;
    size_t frame_len;
    int rc;

    request->request_id = ++client->next_request_id;
    rc = wire_pack(request, client->max_frame_size, &frame, &frame_len);
    if (rc < 0) {
        return xj_error_set(err, rc, NULL, NULL,
                            _("send fewer rows per batch"),
                            _("request is larger than the server accepts "
                              "(%u bytes)"), client->max_frame_size);
    }
    rc = client_write_all(client, frame, frame_len, err);
    free(frame);
    return rc;
}

int
client_receive(struct client *client, uint64_t request_id,
               wire_envelope **reply, struct xj_error *err)
{
    wire_envelope *response = NULL;
    int rc;

    for (;;) {
        rc = client_read_envelope(client, &response, err);
        if (rc < 0 || response->request_id == request_id ||
            response->request_id == 0) {
            break;
        }
        wire_free(response);    /* a late answer to an earlier request */
        response = NULL;
    }
    if (rc < 0) {
        return rc;
    }
    if (response->body_case == XUEJI__V1__ENVELOPE__BODY_ERROR) {
        Xueji__V1__Error *error = response->error;

        rc = xj_error_set(err, client_status_for(error->code), error->field,
                          NULL, error->hint, "%s", error->message);
        wire_free(response);
        return rc;
    }
    *reply = response;
    return 0;
}

int
client_call(struct client *client, wire_envelope *request,
            wire_envelope **reply, struct xj_error *err)
{
    int rc = client_send(client, request, err);

    return rc < 0 ? rc : client_receive(client, request->request_id, reply,
                                        err);
}

static int
client_hello(struct client *client, struct xj_error *err)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__Hello hello = XUEJI__V1__HELLO__INIT;
    wire_envelope *reply = NULL;
    int rc;

    hello.protocol_version = XUEJI__V1__PROTOCOL_VERSION__PROTOCOL_VERSION_1;
    hello.client_name = (char *)"xueji/" XUEJI_VERSION;
    request.body_case = XUEJI__V1__ENVELOPE__BODY_HELLO;
    request.hello = &hello;
    client->max_frame_size = 64 * 1024;
    rc = client_call(client, &request, &reply, err);
    if (rc < 0) {
        return rc;
    }
    if (reply->body_case != XUEJI__V1__ENVELOPE__BODY_HELLO_REPLY) {
        wire_free(reply);
        return xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL, NULL,
                            _("the server did not answer the greeting"));
    }
    client->max_frame_size = reply->hello_reply->max_frame_size;
    client->max_batch_rows = reply->hello_reply->max_batch_rows;
    snprintf(client->server_name, sizeof(client->server_name), "%s",
             reply->hello_reply->server_name);
    wire_free(reply);
    return 0;
}

int
client_open_anonymous(struct client *client,
                      const struct client_settings *settings,
                      struct xj_error *err)
{
    char host[256], port[16];
    int rc;

    memset(client, 0, sizeof(*client));
    client->fd = -1;
    client->settings = settings;
    rc = client_split_address(settings->server, host, sizeof(host), port,
                              sizeof(port), err);
    if (rc < 0) {
        return rc;
    }
    if (settings->insecure) {
        fprintf(stderr, _("WARNING: --insecure turns off verification of the "
                          "server certificate. Anyone on the network path can "
                          "read and change this session, passwords included. "
                          "Use it only for development.\n"));
    }
    client->fd = client_tcp_connect(host, port, settings->timeout, err);
    if (client->fd < 0) {
        return err->code;
    }
    client_set_timeouts(client->fd, settings->timeout);
    rc = client_tls_start(client, host, err);
    if (rc < 0) {
        return rc;
    }
    return client_hello(client, err);
}

/* Reads the password from XUEJI_PASSWORD or, without echo, from the
 * terminal. Returns false when neither is available. */
static bool
client_read_password(const char *user, char *buf, size_t size)
{
    const char *env = getenv("XUEJI_PASSWORD");
    struct termios saved, quiet;
    FILE *tty;
    bool echo_off;

    if (env != NULL) {
        snprintf(buf, size, "%s", env);
        return true;
    }
    tty = fopen("/dev/tty", "r+");
    if (tty == NULL) {
        return false;
    }
    fprintf(tty, _("Password for %s: "), user);
    fflush(tty);
    echo_off = tcgetattr(fileno(tty), &saved) == 0;
    if (echo_off) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    }
    if (fgets(buf, (int)size, tty) == NULL) {
        buf[0] = '\0';
    }
    if (echo_off) {
        tcsetattr(fileno(tty), TCSAFLUSH, &saved);
    }
    fputc('\n', tty);
    fclose(tty);
    buf[strcspn(buf, "\r\n")] = '\0';
    return true;
}

static int
client_login(struct client *client, struct xj_error *err)
{
    const struct client_settings *settings = client->settings;
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__LoginRequest login = XUEJI__V1__LOGIN_REQUEST__INIT;
    wire_envelope *reply = NULL;
    char password[260];
    int rc;

    if (settings->user[0] == '\0') {
        return xj_error_set(err, XJ_ERR_AUTH, "user", NULL,
                            _("pass --user NAME, set XUEJI_USER, or put "
                              "user = NAME in the configuration file"),
                            _("no user name given"));
    }
    if (!client_read_password(settings->user, password, sizeof(password))) {
        return xj_error_set(err, XJ_ERR_AUTH, "password", NULL,
                            _("set XUEJI_PASSWORD, or run on a terminal to "
                              "type it"),
                            _("no password available"));
    }
    login.user = settings->user;
    login.password = password;
    request.body_case = XUEJI__V1__ENVELOPE__BODY_LOGIN;
    request.login = &login;
    rc = client_call(client, &request, &reply, err);
    explicit_bzero(password, sizeof(password));
    if (rc < 0) {
        return rc;
    }
    snprintf(client->role, sizeof(client->role), "%s",
             reply->login_reply->role);
    snprintf(client->org_code, sizeof(client->org_code), "%s",
             reply->login_reply->org_code);
    snprintf(client->org_name, sizeof(client->org_name), "%s",
             reply->login_reply->org_name);
    wire_free(reply);
    return 0;
}

int
client_open(struct client *client, const struct client_settings *settings,
            struct xj_error *err)
{
    int rc = client_open_anonymous(client, settings, err);

    if (rc < 0) {
        return rc;
    }
    return client_login(client, err);
}

void
client_close(struct client *client)
{
    if (client->ssl != NULL) {
        SSL_shutdown(client->ssl);
        SSL_free(client->ssl);
        client->ssl = NULL;
    }
    if (client->ctx != NULL) {
        SSL_CTX_free(client->ctx);
        client->ctx = NULL;
    }
    if (client->fd >= 0) {
        close(client->fd);
        client->fd = -1;
    }
}
