/* SPDX-License-Identifier: MIT */
/*
 * xueji, the command-line client: global options, settings from the
 * configuration file and the environment, and the subcommand table.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "i18n.h"

struct main_command {
    const char *name;
    int (*run)(const struct client_settings *settings, int argc, char **argv);
    const char *summary;
};

static const struct main_command main_commands[] = {
    {"check", cmd_check, N_("check a template file offline, send nothing")},
    {"import", cmd_import, N_("check a template file and import its students")},
    {"problems", cmd_problems,
     N_("list problem registrations; change, delete or attest one")},
    {"review", cmd_review, N_("county review of changes and attestations")},
    {"evidence", cmd_evidence, N_("download an evidence file")},
    {"history", cmd_history, N_("a student's numbers and audit trail")},
    {"ping", cmd_ping, N_("check that the server and its database answer")},
    {"template", cmd_template, N_("write an empty import template (CSV)")},
};

static void
main_usage(FILE *out)
{
    fputs(_("usage: xueji [OPTIONS] COMMAND [ARGS]\n"
            "\n"
            "Options:\n"
            "  --server HOST:PORT   xuejid address (XUEJI_SERVER)\n"
            "  --ca FILE            CA certificate of the server (XUEJI_CA_FILE)\n"
            "  --user NAME          account user name (XUEJI_USER)\n"
            "  --server-name NAME   name expected in the server certificate\n"
            "  --config FILE        settings file (XUEJI_CONFIG, default\n"
            "                       ~/.config/xueji/xueji.conf)\n"
            "  --json               machine-readable output\n"
            "  --insecure           do not verify the server (development only)\n"
            "  -h, --help           show this help; COMMAND --help for a command\n"
            "  --version            show the version\n"
            "\n"
            "The password comes from XUEJI_PASSWORD or is asked for without echo.\n"
            "\n"
            "Commands:\n"), out);
    for (size_t i = 0; i < sizeof(main_commands) / sizeof(main_commands[0]);
         i++) {
        fprintf(out, "  %-10s %s\n", main_commands[i].name,
                _(main_commands[i].summary));
    }
}

int
cmd_unexpected_argument(const char *arg, const char *usage)
{
    static const char *const global[] = {
        "--json", "--insecure", "--config", "--server", "--ca", "--user",
        "--server-name",
    };

    fprintf(stderr, _("xueji: unexpected argument \"%s\" (or an option "
                      "without its value)\n"), arg);
    for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
        if (strcmp(arg, global[i]) == 0) {
            fprintf(stderr, _("hint: %s is an option of xueji itself; put "
                              "it before the command, as in "
                              "\"xueji %s problems\"\n"), arg, arg);
            break;
        }
    }
    if (usage != NULL) {
        fputs(_(usage), stderr);
    }
    return CLIENT_EXIT_USAGE;
}

bool
cmd_wants_help(int argc, char **argv, const char *usage)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return true;
        }
    }
    return false;
}

/* Loads the settings file named by --config, XUEJI_CONFIG or the default
 * path (which may be missing), then applies the environment. */
static int
main_load_settings(struct client_settings *settings, const char *path)
{
    static const struct {
        const char *env;
        const char *key;
    } envs[] = {
        {"XUEJI_SERVER", "server"}, {"XUEJI_CA_FILE", "ca_file"},
        {"XUEJI_USER", "user"}, {"XUEJI_SERVER_NAME", "server_name"},
    };
    char default_path[4096];
    struct xj_error err;
    bool must_exist = path != NULL;
    bool from_env = false;

    xj_error_clear(&err);
    if (path == NULL) {
        path = getenv("XUEJI_CONFIG");
        must_exist = path != NULL;
        from_env = path != NULL;
    }
    if (path == NULL && getenv("HOME") != NULL) {
        snprintf(default_path, sizeof(default_path),
                 "%s/.config/xueji/xueji.conf", getenv("HOME"));
        path = default_path;
    }
    if (path != NULL && (must_exist || access(path, R_OK) == 0) &&
        config_load(client_settings_keys, settings, path, "xueji", &err) < 0) {
        if (err.code == XJ_ERR_IO) {
            /* The file could not be opened, so the hint names the setting
             * that its path came from. */
            snprintf(err.hint, sizeof(err.hint), "%s",
                     from_env ? _("set XUEJI_CONFIG to an existing file, or "
                                  "pass one with --config")
                              : _("pass an existing file with --config"));
        }
        client_print_error(&err);
        return CLIENT_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
        const char *value = getenv(envs[i].env);

        if (value != NULL &&
            config_set(client_settings_keys, settings, envs[i].key, value,
                       &err) < 0) {
            client_print_error(&err);
            return CLIENT_EXIT_USAGE;
        }
    }
    return 0;
}

/* Applies global options; returns the index of the command or -1. */
static int
main_parse_options(int argc, char **argv, struct client_settings *settings,
                   const char **config_path)
{
    static const struct {
        const char *option;
        const char *key;
    } valued[] = {
        {"--server", "server"}, {"--ca", "ca_file"}, {"--user", "user"},
        {"--server-name", "server_name"},
    };
    struct xj_error err;
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        size_t k;

        if (strcmp(argv[i], "--json") == 0) {
            settings->json = true;
            continue;
        }
        if (strcmp(argv[i], "--insecure") == 0) {
            settings->insecure = true;
            continue;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            *config_path = argv[++i];
            continue;
        }
        for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
            if (strcmp(argv[i], valued[k].option) == 0) {
                break;
            }
        }
        if (k == sizeof(valued) / sizeof(valued[0]) || i + 1 >= argc) {
            fprintf(stderr, _("xueji: unknown option \"%s\"; see xueji "
                              "--help\n"), argv[i]);
            return -1;
        }
        if (config_set(client_settings_keys, settings, valued[k].key,
                       argv[++i], &err) < 0) {
            client_print_error(&err);
            return -1;
        }
    }
    return i;
}

int
main(int argc, char **argv)
{
    struct client_settings settings;
    const char *config_path = NULL;
    int first, rc;

    setlocale(LC_ALL, "");
    /* A server that closes the connection during a write must give a
     * network error, not a silent exit by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    bindtextdomain("xueji", XUEJI_LOCALEDIR);
    textdomain("xueji");

    if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0) {
        main_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLIENT_EXIT_USAGE : CLIENT_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("xueji %s\n", XUEJI_VERSION);
        return CLIENT_EXIT_OK;
    }
    memset(&settings, 0, sizeof(settings));
    if (config_defaults(client_settings_keys, &settings) < 0) {
        return CLIENT_EXIT_SERVER;
    }

    /* Options on the command line win over the file and the
     * environment, so they are applied last, in a second pass. */
    first = main_parse_options(argc, argv, &settings, &config_path);
    rc = first < 0 ? CLIENT_EXIT_USAGE
                   : main_load_settings(&settings, config_path);
    if (rc == 0) {
        first = main_parse_options(argc, argv, &settings, &config_path);
    }
    if (rc == 0 && first >= argc) {
        main_usage(stderr);
        rc = CLIENT_EXIT_USAGE;
    } else if (rc == 0) {
        size_t k;

        for (k = 0; k < sizeof(main_commands) / sizeof(main_commands[0]); k++) {
            if (strcmp(argv[first], main_commands[k].name) == 0) {
                break;
            }
        }
        if (k == sizeof(main_commands) / sizeof(main_commands[0])) {
            fprintf(stderr, _("xueji: unknown command \"%s\"; see xueji "
                              "--help\n"), argv[first]);
            rc = CLIENT_EXIT_USAGE;
        } else {
            rc = main_commands[k].run(&settings, argc - first - 1,
                                      argv + first + 1);
        }
    }
    config_release(client_settings_keys, &settings);
    return rc;
}
