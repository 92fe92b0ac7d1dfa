/* SPDX-License-Identifier: MIT */
/* Operator commands of xuejid, run on the server host with blocking libpq. */
#ifndef XUEJI_ADMIN_H
#define XUEJI_ADMIN_H

#include <stdbool.h>
#include <stdio.h>

#include "server.h"
#include "status.h"

/* Runs the operator command named command with its arguments; returns the
 * process exit code (0 success, 1 failure, 2 usage error). */
int admin_command(const struct server_config *config, const char *command,
                  int argc, char **argv);

/* Prints the usage line of the operator command named command and what it
 * and each of its options do. Returns false, printing nothing, if there is
 * no operator command of that name. */
bool admin_print_help(const char *command, FILE *out);

/* Checks that the database is reachable and fully migrated. Returns 0, or
 * a negative status with err holding the message and the hint. */
int admin_check_schema(const char *conninfo, struct xj_error *err)
    XJ_MUSTCHECK;

#endif
