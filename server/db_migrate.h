/* SPDX-License-Identifier: MIT */
/* Numbered schema migrations compiled into xuejid. */
#ifndef XUEJI_DB_MIGRATE_H
#define XUEJI_DB_MIGRATE_H

#include "db.h"
#include "status.h"

/* Returns the highest migration number compiled in. */
int db_migrate_latest(void);

/* Returns the highest migration number applied to the database (0 for an
 * empty database), or a negative status with err filled. */
int db_migrate_current(PGconn *pg, struct xj_error *err);

/* Applies every pending migration in order, each in its own transaction.
 * Returns 0, or a negative status with err naming the failed file; the
 * files before it stay applied. */
int db_migrate_run(PGconn *pg, struct xj_error *err) XJ_MUSTCHECK;

#endif
