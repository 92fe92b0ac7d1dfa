/* SPDX-License-Identifier: MIT */
/* The subcommands of xueji; each returns a process exit code. */
#ifndef XUEJI_CMD_H
#define XUEJI_CMD_H

#include "client.h"

int cmd_check(const struct client_settings *settings, int argc, char **argv);
int cmd_import(const struct client_settings *settings, int argc, char **argv);
int cmd_problems(const struct client_settings *settings, int argc,
                 char **argv);
int cmd_review(const struct client_settings *settings, int argc, char **argv);
int cmd_evidence(const struct client_settings *settings, int argc,
                 char **argv);
int cmd_history(const struct client_settings *settings, int argc,
                char **argv);
int cmd_ping(const struct client_settings *settings, int argc, char **argv);
int cmd_template(const struct client_settings *settings, int argc,
                 char **argv);

/* Tells whether name is a subcommand of xueji problems that cmd_handle
 * runs (change, delete, attest, cases). */
bool cmd_handle_is_subcommand(const char *name);

/* Runs the xueji problems subcommand argv[0] (one for which
 * cmd_handle_is_subcommand is true) with its arguments. */
int cmd_handle(const struct client_settings *settings, int argc, char **argv);

/* Reports arg as an argument the subcommand does not take, with a hint
 * when it is an option of xueji itself, then prints usage (a message id,
 * translated here) when it is not NULL. Returns CLIENT_EXIT_USAGE. */
int cmd_unexpected_argument(const char *arg, const char *usage);

/* Tells whether argv holds -h or --help, and prints usage if so. */
bool cmd_wants_help(int argc, char **argv, const char *usage);

#endif
