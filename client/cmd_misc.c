/* SPDX-License-Identifier: MIT */
/* xueji ping and xueji template. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "i18n.h"
#include "template.h"

static const char ping_usage[] = N_(
    "usage: xueji ping\n"
    "\n"
    "Connects without logging in, verifies the server certificate and asks\n"
    "whether the server's database answers. Exits 0 when it does.\n");

static const char template_usage[] = N_(
    "usage: xueji template [--force] [FILE]\n"
    "\n"
    "Writes the header row of the import template as CSV (UTF-8 with a\n"
    "byte-order mark, which Excel and WPS open correctly) to FILE or to\n"
    "standard output. Format the ID number column as text before typing.\n"
    "  --force   replace FILE if it exists (without it, an existing file\n"
    "            is left alone, since it may hold a filled-in class)\n");

int
cmd_ping(const struct client_settings *settings, int argc, char **argv)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__PingRequest ping = XUEJI__V1__PING_REQUEST__INIT;
    wire_envelope *reply = NULL;
    struct client client;
    struct xj_error err;
    bool database_ok = false;
    int rc;

    if (cmd_wants_help(argc, argv, _(ping_usage))) {
        return CLIENT_EXIT_OK;
    }
    xj_error_clear(&err);
    rc = client_open_anonymous(&client, settings, &err);
    if (rc == 0) {
        request.body_case = XUEJI__V1__ENVELOPE__BODY_PING;
        request.ping = &ping;
        rc = client_call(&client, &request, &reply, &err);
    }
    if (rc == 0) {
        database_ok = reply->body_case == XUEJI__V1__ENVELOPE__BODY_PONG &&
                      reply->pong->database_ok;
        wire_free(reply);
    }
    client_close(&client);
    if (rc < 0) {
        client_print_error(&err);
        return client_exit_for(rc);
    }
    if (settings->json) {
        printf("{\"server\": \"%s\", \"database_ok\": %s}\n",
               client.server_name, database_ok ? "true" : "false");
    } else {
        printf(database_ok ? _("%s at %s: database ok\n")
                           : _("%s at %s: database NOT available\n"),
               client.server_name, settings->server);
    }
    return database_ok ? CLIENT_EXIT_OK : CLIENT_EXIT_SERVER;
}

int
cmd_template(const struct client_settings *settings, int argc, char **argv)
{
    const char *path = NULL;
    bool force = false;
    FILE *out = stdout;
    int fd;

    (void)settings;
    if (cmd_wants_help(argc, argv, _(template_usage))) {
        return CLIENT_EXIT_OK;
    }
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0) {
            force = true;
        } else if (path == NULL && argv[i][0] != '-') {
            path = argv[i];
        } else {
            return cmd_unexpected_argument(argv[i], template_usage);
        }
    }
    if (path != NULL) {
        fd = open(path, O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL),
                  0644);
        if (fd < 0 && errno == EEXIST) {
            fprintf(stderr, _("xueji: %s exists; choose another name, or add "
                              "--force to replace it\n"), path);
            return CLIENT_EXIT_FINDINGS;
        }
        if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
            fprintf(stderr, _("xueji: cannot write %s: %s\n"), path,
                    strerror(errno));
            if (fd >= 0) {
                close(fd);
            }
            return CLIENT_EXIT_FINDINGS;
        }
    }
    fputs("\xEF\xBB\xBF", out);
    for (int f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        fprintf(out, "%s%s", f ? "," : "", template_header(f));
    }
    fputs("\r\n", out);
    if (out != stdout) {
        if (fclose(out) != 0) {
            fprintf(stderr, _("xueji: cannot write %s: %s\n"), path,
                    strerror(errno));
            return CLIENT_EXIT_FINDINGS;
        }
        printf(_("Wrote the template's header row to %s.\n"), path);
    }
    return CLIENT_EXIT_OK;
}
