/* SPDX-License-Identifier: MIT */
/* Argon2id password hashes in the PHC string format. */
#ifndef XUEJI_PASSWORD_H
#define XUEJI_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#define PASSWORD_HASH_SIZE 128
#define PASSWORD_MIN_LEN 8
#define PASSWORD_MAX_LEN 256

/* Hashes password with a fresh random salt into out. Returns 0, or
 * XJ_ERR_INVALID for a password outside PASSWORD_MIN_LEN..MAX_LEN, or
 * XJ_ERR_INTERNAL. */
int password_hash(const char *password, char out[PASSWORD_HASH_SIZE])
    XJ_MUSTCHECK;

/* Tells whether password matches hash. With hash NULL it still spends the
 * time of one verification, so unknown user names take as long as wrong
 * passwords. */
bool password_verify(const char *hash, const char *password);

#endif
