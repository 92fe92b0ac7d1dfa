/* SPDX-License-Identifier: MIT */
/*
 * Import keys of the rows of a template file. A key is the first 16 bytes,
 * as 32 lowercase hex digits, of the SHA-256 of the identity fields (name,
 * gender, birth date, ID type and ID number) joined by U+001F, a U+001F
 * and the occurrence index in decimal. The index counts the earlier rows
 * with equal identity fields.
 */
#ifndef XUEJI_TEMPLATE_KEYS_H
#define XUEJI_TEMPLATE_KEYS_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "template.h"

struct template_identity_slot;

/* Import keys of the rows of a file, given in file order, possibly while
 * the rows after them are still being checked. Rows with equal identity
 * fields are numbered in file order. Values contain no U+001F
 * (text_normalize removes control characters), so rows with equal fields
 * are exactly the rows whose joined fields are equal. */
struct template_keys {
    bool ready;             /* template_keys_init succeeded */
    EVP_MD_CTX *ctx;
    EVP_MD *md;             /* SHA-256, fetched once for all rows */
    char *message;          /* the text hashed for one row */
    size_t message_capacity;
    struct template_identity_slot *slots;
    size_t capacity;        /* slots, a power of two */
    size_t keyed;           /* rows that have their key */
    int status;
};

/* Prepares keys, whose table grows with the rows added. Returns 0 or a
 * negative status. */
int template_keys_init(struct template_keys *keys);

/* Frees what template_keys_init allocated and clears keys. */
void template_keys_free(struct template_keys *keys);

/* Gives rows from keys->keyed up to count their import keys, up to the
 * first error, which stays in keys->status. */
void template_keys_add(struct template_keys *keys, struct template_row *rows,
                       size_t count);

/* Gives the rows of the file that have none their import keys, preparing
 * keys first when that has not been done. Returns 0 or a negative status. */
int template_keys_finish(struct template_keys *keys,
                         struct template_file *file);

#endif
