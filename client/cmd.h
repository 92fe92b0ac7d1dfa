/* SPDX-License-Identifier: MIT */
/* The subcommands of xueji; each returns a process exit code. */
#ifndef XUEJI_CMD_H
#define XUEJI_CMD_H

#include "client.h"

int cmd_check(const struct client_settings *settings, int argc, char **argv);
int cmd_import(const struct client_settings *settings, int argc, char **argv);
int cmd_problems(const struct client_settings *settings, int argc,
                 char **argv);
int cmd_ping(const struct client_settings *settings, int argc, char **argv);
int cmd_template(const struct client_settings *settings, int argc,
                 char **argv);

/* Tells whether argv holds -h or --help, and prints usage if so. */
bool cmd_wants_help(int argc, char **argv, const char *usage);

#endif
