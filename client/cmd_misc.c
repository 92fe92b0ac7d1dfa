/* SPDX-License-Identifier: MIT */
/* xueji ping and xueji template. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "i18n.h"
#include "template.h"

static const char ping_usage[] = N_(
    "usage: xueji ping\n"
    "\n"
    "Connects without logging in, verifies the server certificate and asks\n"
    "whether the server's database answers. Exits 0 when it does.\n");

static const char template_usage[] = N_(
    "usage: xueji template [FILE]\n"
    "\n"
    "Writes the header row of the import template as CSV (UTF-8 with a\n"
    "byte-order mark, which Excel and WPS open correctly) to FILE or to\n"
    "standard output. Format the ID number column as text before typing.\n");

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
    FILE *out = stdout;

    (void)settings;
    if (cmd_wants_help(argc, argv, _(template_usage))) {
        return CLIENT_EXIT_OK;
    }
    if (argc > 1) {
        fputs(_(template_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    if (argc == 1 && (out = fopen(argv[0], "w")) == NULL) {
        fprintf(stderr, _("xueji: cannot write %s\n"), argv[0]);
        return CLIENT_EXIT_USAGE;
    }
    fputs("\xEF\xBB\xBF", out);
    for (int f = 0; f < TEMPLATE_FIELD_COUNT; f++) {
        fprintf(out, "%s%s", f ? "," : "", template_header(f));
    }
    fputs("\r\n", out);
    if (out != stdout) {
        fclose(out);
    }
    return CLIENT_EXIT_OK;
}
