/* SPDX-License-Identifier: MIT */
/*
 * xuejid: options, configuration, the operator commands, and the life of
 * the serving daemon: start-up, signals, draining and shutdown.
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "db.h"
#include "log.h"
#include "provisional.h"
#include "server.h"
#include "tls.h"

#define XUEJID_DEFAULT_CONFIG "/etc/xueji/xuejid.conf"

static const char xuejid_usage[] =
    "usage: xuejid [-c FILE] [--set KEY=VALUE]... [COMMAND [ARGS]]\n"
    "\n"
    "Commands:\n"
    "  serve                 run the daemon in the foreground (default)\n"
    "  migrate               apply pending schema migrations\n"
    "  load-divisions [--province CODE]\n"
    "                        load provinces, cities and counties\n"
    "  add-school --code CODE --name NAME --county CODE [--phone TEL]\n"
    "                        add or update a school (10-digit code)\n"
    "  add-account --user NAME --org CODE --role ROLE\n"
    "                        add an account or reset its password; the\n"
    "                        password comes from XUEJID_PASSWORD or a prompt\n"
    "  print-config          print every configuration key with its value\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE     configuration file (default " XUEJID_DEFAULT_CONFIG
    " if it exists)\n"
    "  --set KEY=VALUE       override one configuration key\n"
    "  -h, --help            show this help; COMMAND --help shows the\n"
    "                        options of one command\n"
    "  --version             show the version\n";

static const char serve_help[] =
    "usage: xuejid [-c FILE] [--set KEY=VALUE]... [serve]\n"
    "\n"
    "Runs the daemon in the foreground. It listens for clients on\n"
    "listen_address and port of the configuration and needs a database\n"
    "migrated with \"xuejid migrate\". SIGTERM or SIGINT stops it after the\n"
    "running requests finish (at most shutdown_timeout seconds), and SIGHUP\n"
    "reloads the TLS certificate and key. It takes no options besides the\n"
    "global -c and --set.\n";

static const char print_config_help[] =
    "usage: xuejid print-config\n"
    "\n"
    "Prints every configuration key with its description and the value\n"
    "in force after the file of -c and the --set overrides, in the format\n"
    "of the configuration file: commented out where it is the default,\n"
    "set with the default noted where it is not. A password in the\n"
    "database string is printed as ***. It takes no options.\n";

double
server_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
server_tls_reload(struct server *server, struct xj_error *err)
{
    SSL_CTX *fresh, *old;

    fresh = tls_server_ctx_new(server->config.tls_cert, server->config.tls_key,
                               server->config.tls_client_ca, err);
    if (fresh == NULL) {
        return err->code;
    }
    old = atomic_exchange(&server->tls_ctx, fresh);
    SSL_CTX_free(old);
    return 0;
}

/* Tells systemd the daemon is ready when it runs under Type=notify. */
static void
server_notify_ready(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    if (path == NULL || path[0] == '\0' ||
        strlen(path) >= sizeof(addr.sun_path)) {
        return;
    }
    memcpy(addr.sun_path, path, strlen(path));
    if (addr.sun_path[0] == '@') {
        addr.sun_path[0] = '\0';
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    if (sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&addr,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                           strlen(path))) < 0) {
        log_warn("systemd notification failed error=\"%s\"", strerror(errno));
    }
    close(fd);
}

static void
server_on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct server *server = arg;
    long busy = db_pool_busy(server->db);

    (void)fd;
    (void)what;
    if (busy == 0 || server_now() >= server->drain_deadline) {
        if (busy > 0) {
            log_warn("shutdown timeout reached, requests still running=%ld",
                     busy);
        }
        event_base_loopexit(server->base, NULL);
    }
}

static void
server_on_signal(evutil_socket_t signo, short what, void *arg)
{
    struct server *server = arg;
    struct xj_error err;

    (void)what;
    if (signo == SIGHUP) {
        xj_error_clear(&err);
        if (server_tls_reload(server, &err) == 0) {
            log_notice("TLS certificate reloaded cert=%s",
                       server->config.tls_cert);
        } else {
            log_warn("TLS reload failed, keeping the old certificate "
                     "error=\"%s\"", err.message);
        }
        return;
    }
    if (server->signals_seen++ > 0) {
        log_notice("second signal received, exiting now signal=%d",
                   (int)signo);
        _exit(1);
    }
    log_notice("shutting down: no new connections, waiting for requests "
               "signal=%d shutdown_timeout=%lds", (int)signo,
               server->config.shutdown_timeout);
    atomic_store(&server->draining, true);
    listener_stop(server);
    server->drain_deadline = server_now() +
                             (double)server->config.shutdown_timeout;
    server->drain_timer = event_new(server->base, -1, EV_PERSIST,
                                    server_on_drain_tick, server);
    event_add(server->drain_timer, &(struct timeval){0, 100000});
}

static void
server_on_stats(evutil_socket_t fd, short what, void *arg)
{
    struct server *server = arg;

    (void)fd;
    (void)what;
    log_info("stats connections=%ld rejected_total=%ld requests_total=%ld "
             "db_busy=%ld", atomic_load(&server->connections),
             atomic_load(&server->connections_rejected),
             atomic_load(&server->requests), db_pool_busy(server->db));
}

static int
server_add_signals(struct server *server)
{
    server->sig_term = evsignal_new(server->base, SIGTERM, server_on_signal,
                                    server);
    server->sig_int = evsignal_new(server->base, SIGINT, server_on_signal,
                                   server);
    server->sig_hup = evsignal_new(server->base, SIGHUP, server_on_signal,
                                   server);
    if (server->sig_term == NULL || server->sig_int == NULL ||
        server->sig_hup == NULL) {
        return XJ_ERR_NOMEM;
    }
    evsignal_add(server->sig_term, NULL);
    evsignal_add(server->sig_int, NULL);
    evsignal_add(server->sig_hup, NULL);
    if (server->config.stats_interval > 0) {
        server->stats_timer = event_new(server->base, -1, EV_PERSIST,
                                        server_on_stats, server);
        event_add(server->stats_timer,
                  &(struct timeval){server->config.stats_interval, 0});
    }
    return 0;
}

static void
server_free_events(struct server *server)
{
    struct event *events[] = {server->sig_term, server->sig_int,
                              server->sig_hup, server->stats_timer,
                              server->drain_timer};

    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        if (events[i] != NULL) {
            event_free(events[i]);
        }
    }
}

static int
server_run(struct server *server)
{
    struct xj_error err;
    int rc = 1;

    xj_error_clear(&err);
    if (server_tls_reload(server, &err) < 0) {
        log_error("cannot load TLS certificate error=\"%s\" hint=\"%s\"",
                  err.message, err.hint);
        return 1;
    }
    if (admin_check_schema(server->config.database, &err) < 0) {
        log_error("%s hint=\"%s\"", err.message, err.hint);
        goto out;
    }
    server->provisional = provisional_set_new();
    if (server->provisional == NULL) {
        log_error("out of memory");
        goto out;
    }
    server->db = db_pool_new(server->config.database,
                             (int)server->config.db_pool_size, &err);
    if (server->db == NULL) {
        log_error("%s hint=\"%s\"", err.message, err.hint);
        goto out;
    }
    server->base = event_base_new();
    if (server->base == NULL || server_add_signals(server) < 0 ||
        worker_start_all(server) < 0 || listener_start(server) < 0) {
        goto stop;
    }
    log_notice("xuejid started version=%s workers=%ld db_pool_size=%ld",
               XUEJI_VERSION, server->config.workers,
               server->config.db_pool_size);
    server_notify_ready();
    event_base_dispatch(server->base);
    rc = 0;

stop:
    listener_stop(server);
    if (server->workers != NULL) {
        worker_stop_all(server);
    }
    db_pool_free(server->db);
    server->db = NULL;
    if (server->workers != NULL) {
        worker_free_all(server);
    }
    server_free_events(server);
    if (server->base != NULL) {
        event_base_free(server->base);
    }
    log_notice("xuejid stopped");
out:
    db_pool_free(server->db);
    provisional_set_free(server->provisional);
    SSL_CTX_free(atomic_load(&server->tls_ctx));
    return rc;
}

/* Returns the index of the first argument after the -c and --set options,
 * with *path set to the last -c or --config value (NULL if none). */
static int
server_skip_options(int argc, char **argv, const char **path)
{
    int i;

    *path = NULL;
    for (i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
            && i + 1 < argc) {
            *path = argv[++i];
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            i++;
        } else {
            break;
        }
    }
    return i;
}

static bool
server_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* Tells whether the arguments of a command contain -h or --help in the
 * place of an option. The word after any other "--" option is its value
 * and is skipped, so "--name --help" sets a name. */
static bool
server_help_requested(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (server_is_help(argv[i])) {
            return true;
        }
        if (strncmp(argv[i], "--", 2) == 0) {
            i++;
        }
    }
    return false;
}

/* Prints the help of command. Returns false, printing nothing, if there is
 * no command of that name. */
static bool
server_print_command_help(const char *command)
{
    if (strcmp(command, "serve") == 0) {
        fputs(serve_help, stdout);
        return true;
    }
    if (strcmp(command, "print-config") == 0) {
        fputs(print_config_help, stdout);
        return true;
    }
    return admin_print_help(command, stdout);
}

/* Rejects arguments given to a command that takes none. */
static bool
server_check_no_arguments(const char *command, const char *help, int argc,
                          char **argv)
{
    if (argc == 0) {
        return true;
    }
    fprintf(stderr, "xuejid: unexpected argument \"%s\"\n%.*s"
            "Run \"xuejid %s --help\" for the options.\n", argv[0],
            (int)(strchr(help, '\n') - help + 1), help, command);
    return false;
}

/* Loads the configuration file and then applies the --set options in argv
 * order. Returns the index of the first remaining argument, or -1 after
 * printing an error. */
static int
server_parse_options(int argc, char **argv, struct server_config *config)
{
    const char *path;
    struct xj_error err;
    int i;

    xj_error_clear(&err);
    i = server_skip_options(argc, argv, &path);
    if (path == NULL && access(XUEJID_DEFAULT_CONFIG, R_OK) == 0) {
        path = XUEJID_DEFAULT_CONFIG;
    }
    if (path != NULL &&
        config_load(server_config_keys, config, path, "xuejid", &err) < 0) {
        fprintf(stderr, "xuejid: %s\n", err.message);
        return -1;
    }
    for (int j = 1; j < i; j++) {
        char *eq;

        if (strcmp(argv[j], "--set") != 0) {
            j++;
            continue;
        }
        eq = strchr(argv[++j], '=');
        if (eq == NULL) {
            fprintf(stderr, "xuejid: --set takes KEY=VALUE, got \"%s\"\n",
                    argv[j]);
            return -1;
        }
        *eq = '\0';
        if (config_set(server_config_keys, config, argv[j], eq + 1,
                       &err) < 0) {
            fprintf(stderr, "xuejid: --set %s: %s\n", argv[j], err.message);
            return -1;
        }
        *eq = '=';
    }
    return i;
}

int
main(int argc, char **argv)
{
    static struct server server;
    enum log_level level;
    const char *command, *path;
    int first, command_argc, rc;
    char **command_argv;

    /* Help is printed before the configuration is read, so it works
     * without a configuration file and never touches the database. */
    first = server_skip_options(argc, argv, &path);
    command = first < argc ? argv[first] : "serve";
    command_argc = first < argc ? argc - first - 1 : 0;
    command_argv = argv + first + (first < argc ? 1 : 0);
    if (server_is_help(command)) {
        fputs(xuejid_usage, stdout);
        return 0;
    }
    if (strcmp(command, "--version") == 0) {
        printf("xuejid %s\n", XUEJI_VERSION);
        return 0;
    }
    if (server_help_requested(command_argc, command_argv) &&
        server_print_command_help(command)) {
        return 0;
    }
    if (config_defaults(server_config_keys, &server.config) < 0) {
        return 1;
    }
    first = server_parse_options(argc, argv, &server.config);
    if (first < 0) {
        return 2;
    }
    if (log_level_parse(server.config.log_level, &level) < 0) {
        fprintf(stderr, "xuejid: invalid log_level \"%s\": use error, "
                "warning, notice, info or debug\n", server.config.log_level);
        return 2;
    }
    log_set_level(level);

    if (strcmp(command, "serve") == 0) {
        if (!server_check_no_arguments(command, serve_help, command_argc,
                                       command_argv)) {
            rc = 2;
        } else {
            signal(SIGPIPE, SIG_IGN);
            evthread_use_pthreads();
            log_bridge_libevent();
            rc = server_run(&server);
        }
    } else if (strcmp(command, "print-config") == 0) {
        if (!server_check_no_arguments(command, print_config_help,
                                       command_argc, command_argv)) {
            rc = 2;
        } else {
            config_print_values(server_config_keys, &server.config,
                                "xuejid", stdout);
            rc = 0;
        }
    } else {
        rc = admin_command(&server.config, command, command_argc,
                           command_argv);
    }
    config_release(server_config_keys, &server.config);
    return rc;
}
