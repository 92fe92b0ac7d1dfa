/* SPDX-License-Identifier: MIT */
/*
 * Hello, ping and login. A failed login is answered after
 * LOGIN_FAILURE_DELAY seconds with the same error whether the user name or
 * the password was wrong. After LOGIN_LOCK_AFTER failures in a row an
 * account accepts no password for a period that doubles with each further
 * failure, and a connection is closed after LOGIN_TRIES_PER_CONN failures.
 */
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "handlers.h"
#include "password.h"
#include "server.h"

#define LOGIN_FAILURE_DELAY 1
#define LOGIN_LOCK_AFTER 5
#define LOGIN_LOCK_BASE 30
#define LOGIN_LOCK_MAX 900
#define LOGIN_TRIES_PER_CONN 3

enum login_outcome {
    LOGIN_OK,
    LOGIN_WRONG,
    LOGIN_LOCKED,
    LOGIN_DB_ERROR,
};

struct login_job {
    struct db_job job;
    struct conn *conn;
    uint64_t request_id;
    char user[64];
    char *password;
    enum login_outcome outcome;
    long retry_after;
    int64_t account_id;
    int64_t org_id;
    enum conn_role role;
    char org_code[16];
    char org_name[128];
};

void
handle_hello(struct conn *conn, wire_envelope *env)
{
    struct server *server = conn->worker->server;
    wire_envelope reply = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__HelloReply hello = XUEJI__V1__HELLO_REPLY__INIT;
    uint64_t id = env->request_id;
    uint32_t version = env->hello->protocol_version;

    wire_free(env);
    if (version != XUEJI__V1__PROTOCOL_VERSION__PROTOCOL_VERSION_1) {
        clog_info(conn, "unsupported protocol version=%u", version);
        conn_fail(conn, id,
                  XUEJI__V1__ERROR_CODE__ERROR_CODE_UNSUPPORTED_VERSION,
                  "protocol version not supported; this server speaks 1");
        return;
    }
    conn->hello_done = true;
    hello.protocol_version = version;
    hello.server_name = (char *)"xuejid/" XUEJI_VERSION;
    hello.max_frame_size = (uint32_t)server->config.max_frame_size;
    hello.max_batch_rows = (uint32_t)server->config.max_batch_rows;
    reply.request_id = id;
    reply.body_case = XUEJI__V1__ENVELOPE__BODY_HELLO_REPLY;
    reply.hello_reply = &hello;
    handler_reply(conn, &reply);
}

struct ping_job {
    struct db_job job;
    struct conn *conn;
    uint64_t request_id;
    bool database_ok;
};

static void
ping_run(struct db_job *job, struct db_session *session)
{
    struct ping_job *ping = (struct ping_job *)job;
    PGresult *res = PQexec(session->pg, "SELECT 1");

    ping->database_ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
}

static void
ping_done(struct db_job *job)
{
    struct ping_job *ping = (struct ping_job *)job;
    wire_envelope reply = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__PingReply pong = XUEJI__V1__PING_REPLY__INIT;

    pong.database_ok = ping->database_ok;
    reply.request_id = ping->request_id;
    reply.body_case = XUEJI__V1__ENVELOPE__BODY_PONG;
    reply.pong = &pong;
    if (!ping->conn->closing) {
        (void)conn_send(ping->conn, &reply);
    }
    conn_request_done(ping->conn);
    free(ping);
}

void
handle_ping(struct conn *conn, wire_envelope *env)
{
    struct ping_job *ping = calloc(1, sizeof(*ping));
    uint64_t id = env->request_id;

    wire_free(env);
    if (ping == NULL) {
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
                      NULL, NULL, "out of memory");
        return;
    }
    ping->conn = conn;
    ping->request_id = id;
    ping->job.run = ping_run;
    ping->job.done = ping_done;
    ping->job.owner = conn->worker;
    conn->job_in_flight = true;
    db_pool_submit(conn->worker->server->db, &ping->job);
}

static enum conn_role
login_role_parse(const char *role)
{
    if (strcmp(role, "school") == 0) {
        return CONN_ROLE_SCHOOL;
    }
    if (strcmp(role, "county") == 0) {
        return CONN_ROLE_COUNTY;
    }
    if (strcmp(role, "city") == 0) {
        return CONN_ROLE_CITY;
    }
    return CONN_ROLE_PROVINCE;
}

static void
login_record(struct login_job *login, PGconn *pg, bool success)
{
    char id_text[24];
    const char *params[1] = {id_text};
    PGresult *res;

    snprintf(id_text, sizeof(id_text), "%lld", (long long)login->account_id);
    res = PQexecParams(pg,
                       success ? "UPDATE account SET failed_logins = 0 "
                                 "WHERE id = $1 AND failed_logins <> 0"
                               : "UPDATE account SET failed_logins = "
                                 "failed_logins + 1, last_failed_at = now() "
                                 "WHERE id = $1",
                       1, NULL, params, NULL, NULL, 0);
    (void)db_result_ok(pg, res, "record login");
    PQclear(res);
}

static void
login_run(struct db_job *job, struct db_session *session)
{
    static const char sql[] =
        "SELECT a.id, a.password_hash, a.role, a.org_id, o.code, o.name, "
        "a.disabled, a.failed_logins, "
        "extract(epoch FROM now() - coalesce(a.last_failed_at, 'epoch'))::bigint "
        "FROM account a JOIN organisation o ON o.id = a.org_id "
        "WHERE a.username = $1";
    struct login_job *login = (struct login_job *)job;
    const char *params[1] = {login->user};
    PGresult *res;
    const char *hash = NULL;
    long failures = 0, since = 0;
    bool known;

    res = PQexecParams(session->pg, sql, 1, NULL, params, NULL, NULL, 0);
    if (!db_result_ok(session->pg, res, "login lookup")) {
        PQclear(res);
        login->outcome = LOGIN_DB_ERROR;
        return;
    }
    known = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 6), "t") != 0;
    if (known) {
        hash = PQgetvalue(res, 0, 1);
        login->account_id = atoll(PQgetvalue(res, 0, 0));
        login->role = login_role_parse(PQgetvalue(res, 0, 2));
        login->org_id = atoll(PQgetvalue(res, 0, 3));
        snprintf(login->org_code, sizeof(login->org_code), "%s",
                 PQgetvalue(res, 0, 4));
        snprintf(login->org_name, sizeof(login->org_name), "%s",
                 PQgetvalue(res, 0, 5));
        failures = atol(PQgetvalue(res, 0, 7));
        since = atol(PQgetvalue(res, 0, 8));
    }

    if (known && failures >= LOGIN_LOCK_AFTER) {
        long shift = failures - LOGIN_LOCK_AFTER;
        long lock = shift > 5 ? LOGIN_LOCK_MAX : LOGIN_LOCK_BASE << shift;

        if (lock > LOGIN_LOCK_MAX) {
            lock = LOGIN_LOCK_MAX;
        }
        if (since < lock) {
            login->outcome = LOGIN_LOCKED;
            login->retry_after = lock - since;
            (void)password_verify(NULL, login->password);
            PQclear(res);
            return;
        }
    }
    login->outcome = password_verify(known ? hash : NULL, login->password)
                         ? LOGIN_OK
                         : LOGIN_WRONG;
    PQclear(res);
    if (known) {
        login_record(login, session->pg, login->outcome == LOGIN_OK);
    }
}

static void
login_on_delay(evutil_socket_t fd, short what, void *arg)
{
    struct conn *conn = arg;

    (void)fd;
    (void)what;
    if (conn->delay_retry_after > 0) {
        handler_error(conn, conn->delay_request_id,
                      XUEJI__V1__ERROR_CODE__ERROR_CODE_RATE_LIMITED, NULL,
                      "wait, or ask the operator to reset the password",
                      "too many failed logins for this account; try again "
                      "in %ld seconds", conn->delay_retry_after);
    } else {
        handler_error(conn, conn->delay_request_id,
                      XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAUTHENTICATED,
                      "password", "check the user name and the password",
                      "login failed: wrong user name or password");
    }
    if (conn->failed_logins >= LOGIN_TRIES_PER_CONN) {
        conn_close(conn, "too many failed logins on one connection");
    }
}

static void
login_succeeded(struct conn *conn, struct login_job *login)
{
    struct server *server = conn->worker->server;
    wire_envelope reply = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__LoginReply body = XUEJI__V1__LOGIN_REPLY__INIT;
    static const char *const role_names[] = {
        [CONN_ROLE_SCHOOL] = "school", [CONN_ROLE_COUNTY] = "county",
        [CONN_ROLE_CITY] = "city", [CONN_ROLE_PROVINCE] = "province"};
    struct timeval idle = {server->config.idle_timeout, 0};

    conn->logged_in = true;
    conn->account_id = login->account_id;
    conn->org_id = login->org_id;
    conn->role = login->role;
    snprintf(conn->username, sizeof(conn->username), "%s", login->user);
    snprintf(conn->org_code, sizeof(conn->org_code), "%s", login->org_code);
    snprintf(conn->org_name, sizeof(conn->org_name), "%s", login->org_name);
    bufferevent_set_timeouts(conn->bev, &idle, NULL);
    clog_info(conn, "login succeeded role=%s", role_names[conn->role]);

    body.user = conn->username;
    body.role = (char *)role_names[conn->role];
    body.org_code = conn->org_code;
    body.org_name = conn->org_name;
    reply.request_id = login->request_id;
    reply.body_case = XUEJI__V1__ENVELOPE__BODY_LOGIN_REPLY;
    reply.login_reply = &body;
    handler_reply(conn, &reply);
}

static void
login_done(struct db_job *job)
{
    struct login_job *login = (struct login_job *)job;
    struct conn *conn = login->conn;

    conn->job_in_flight = false;
    if (conn->closing) {
        conn_request_done(conn);
    } else if (login->outcome == LOGIN_OK) {
        login_succeeded(conn, login);
    } else if (login->outcome == LOGIN_DB_ERROR) {
        handler_error(conn, login->request_id,
                      XUEJI__V1__ERROR_CODE__ERROR_CODE_UNAVAILABLE, NULL,
                      "try again in a minute", "database unavailable");
    } else {
        conn->failed_logins++;
        conn->delay_request_id = login->request_id;
        conn->delay_retry_after = login->retry_after;
        clog_info(conn, "login failed attempted_user=\"%s\" locked=%s",
                  login->user, login->outcome == LOGIN_LOCKED ? "yes" : "no");
        if (conn->delay == NULL) {
            conn->delay = evtimer_new(conn->worker->base, login_on_delay,
                                      conn);
        }
        if (conn->delay == NULL) {
            login_on_delay(-1, 0, conn);
        } else {
            struct timeval delay = {LOGIN_FAILURE_DELAY, 0};

            evtimer_add(conn->delay, &delay);
        }
    }
    explicit_bzero(login->password, strlen(login->password));
    free(login->password);
    free(login);
}

void
handle_login(struct conn *conn, wire_envelope *env)
{
    Xueji__V1__LoginRequest *request = env->login;
    uint64_t id = env->request_id;
    struct login_job *login;

    if (conn->logged_in) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_CONFLICT,
                      NULL, "open a new connection to change account",
                      "this connection is already logged in");
        return;
    }
    if (request->user[0] == '\0' || strlen(request->user) >= 64 ||
        strlen(request->password) > PASSWORD_MAX_LEN) {
        explicit_bzero(request->password, strlen(request->password));
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "user", "user names have 1 to 63 bytes, passwords at "
                      "most 256", "user name or password has an invalid length");
        return;
    }
    login = calloc(1, sizeof(*login));
    if (login == NULL || (login->password = strdup(request->password)) == NULL) {
        free(login);
        explicit_bzero(request->password, strlen(request->password));
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
                      NULL, NULL, "out of memory");
        return;
    }
    snprintf(login->user, sizeof(login->user), "%s", request->user);
    explicit_bzero(request->password, strlen(request->password));
    wire_free(env);
    login->conn = conn;
    login->request_id = id;
    login->job.run = login_run;
    login->job.done = login_done;
    login->job.owner = conn->worker;
    conn->job_in_flight = true;
    db_pool_submit(conn->worker->server->db, &login->job);
}
