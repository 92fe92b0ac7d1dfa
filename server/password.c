/* SPDX-License-Identifier: MIT */
/*
 * Argon2id with 19 MiB of memory, two passes and one lane: the minimum
 * that the OWASP Password Storage Cheat Sheet (2023) recommends. The
 * parameters are stored in each hash, so raising them later only affects
 * new and reset passwords.
 */
#include "password.h"

#include <argon2.h>
#include <openssl/rand.h>
#include <string.h>

#define PASSWORD_T_COST 2
#define PASSWORD_M_COST (19 * 1024)
#define PASSWORD_PARALLELISM 1
#define PASSWORD_SALT_LEN 16
#define PASSWORD_OUT_LEN 32

int
password_hash(const char *password, char out[PASSWORD_HASH_SIZE])
{
    unsigned char salt[PASSWORD_SALT_LEN];
    size_t len = strlen(password);

    if (len < PASSWORD_MIN_LEN || len > PASSWORD_MAX_LEN) {
        return XJ_ERR_INVALID;
    }
    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        return XJ_ERR_INTERNAL;
    }
    if (argon2id_hash_encoded(PASSWORD_T_COST, PASSWORD_M_COST,
                              PASSWORD_PARALLELISM, password, len, salt,
                              sizeof(salt), PASSWORD_OUT_LEN, out,
                              PASSWORD_HASH_SIZE) != ARGON2_OK) {
        return XJ_ERR_INTERNAL;
    }
    return 0;
}

bool
password_verify(const char *hash, const char *password)
{
    /* A valid hash of a random password, verified when the user is
     * unknown so that the reply takes the same time. */
    static const char decoy[] =
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
        "ddCi+9ur+ifvi0Q5i9GnxyLw9T2XJNTmHDBYe+yx7q0";
    size_t len = strlen(password);
    bool ok;

    if (len > PASSWORD_MAX_LEN) {
        len = PASSWORD_MAX_LEN;
    }
    ok = argon2id_verify(hash != NULL ? hash : decoy, password, len) ==
         ARGON2_OK;
    return hash != NULL && ok;
}
