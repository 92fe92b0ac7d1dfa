/* SPDX-License-Identifier: MIT */
/*
 * Import keys of template rows. Rows with equal identity fields are found
 * with a hash table of their FNV-1a hashes and numbered in file order.
 */
#include "template_keys.h"

#include <stdlib.h>
#include <string.h>

/* Joins the identity fields in the hashed text. */
#define TEMPLATE_SEPARATOR '\x1f'

/* Fields that identify a student in the import key. */
static const enum template_field template_identity_fields[] = {
    TEMPLATE_NAME, TEMPLATE_GENDER, TEMPLATE_BIRTH_DATE, TEMPLATE_ID_TYPE,
    TEMPLATE_ID_NUMBER,
};

#define TEMPLATE_IDENTITY_COUNT \
    (sizeof(template_identity_fields) / sizeof(template_identity_fields[0]))

/* A slot of the table that counts the rows with equal identity fields. */
struct template_identity_slot {
    uint64_t hash;
    uint32_t row;           /* index of the first such row plus 1, 0 if free */
    uint32_t count;         /* rows seen with these identity fields */
};

/* Hashes the identity fields of a row, joined by U+001F, then a separator
 * and the occurrence index, in one update of the digest. */
static int
template_hash_row(struct template_keys *keys,
                  const struct template_row *row, const char *occurrence,
                  unsigned char digest[32])
{
    size_t lengths[TEMPLATE_IDENTITY_COUNT];
    size_t occurrence_len = strlen(occurrence);
    size_t size = TEMPLATE_IDENTITY_COUNT + occurrence_len;
    size_t n = 0;

    for (size_t i = 0; i < TEMPLATE_IDENTITY_COUNT; i++) {
        lengths[i] = strlen(row->value[template_identity_fields[i]]);
        size += lengths[i];
    }
    if (size > keys->message_capacity) {
        char *message = realloc(keys->message, size);

        if (message == NULL) {
            return XJ_ERR_NOMEM;
        }
        keys->message = message;
        keys->message_capacity = size;
    }
    for (size_t i = 0; i < TEMPLATE_IDENTITY_COUNT; i++) {
        memcpy(keys->message + n, row->value[template_identity_fields[i]],
               lengths[i]);
        n += lengths[i];
        keys->message[n++] = TEMPLATE_SEPARATOR;
    }
    memcpy(keys->message + n, occurrence, occurrence_len);
    n += occurrence_len;
    if (!EVP_DigestInit_ex(keys->ctx, keys->md, NULL)
        || !EVP_DigestUpdate(keys->ctx, keys->message, n)
        || !EVP_DigestFinal_ex(keys->ctx, digest, NULL)) {
        return XJ_ERR_INTERNAL;
    }
    return 0;
}

/* Writes the import key of the row from its occurrence index. */
static int
template_write_key(struct template_keys *keys, struct template_row *row,
                   uint32_t occurrence)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[32];
    char index[16];
    char *digits = index + sizeof(index) - 1;
    int rc;

    /* The decimal digits, written from the last one back. */
    *digits = '\0';
    do {
        *--digits = (char)('0' + occurrence % 10);
        occurrence /= 10;
    } while (occurrence > 0);
    rc = template_hash_row(keys, row, digits, digest);
    for (size_t i = 0; rc == 0 && i < 16; i++) {
        row->import_key[2 * i] = hex[digest[i] >> 4];
        row->import_key[2 * i + 1] = hex[digest[i] & 0x0F];
    }
    row->import_key[32] = '\0';
    return rc;
}

/* Returns the FNV-1a hash of the identity fields of a row, each followed by
 * U+001F. */
static uint64_t
template_identity_hash(const struct template_row *row)
{
    uint64_t hash = UINT64_C(14695981039346656037);

    for (size_t i = 0; i < TEMPLATE_IDENTITY_COUNT; i++) {
        const unsigned char *p =
            (const unsigned char *)row->value[template_identity_fields[i]];

        for (; *p != '\0'; p++) {
            hash = (hash ^ *p) * UINT64_C(1099511628211);
        }
        hash = (hash ^ (unsigned char)TEMPLATE_SEPARATOR)
               * UINT64_C(1099511628211);
    }
    return hash;
}

static bool
template_same_identity(const struct template_row *a,
                       const struct template_row *b)
{
    for (size_t i = 0; i < TEMPLATE_IDENTITY_COUNT; i++) {
        enum template_field field = template_identity_fields[i];

        if (strcmp(a->value[field], b->value[field]) != 0) {
            return false;
        }
    }
    return true;
}

/* Returns how many rows before rows[index] have its identity fields, and
 * counts rows[index] in the table (capacity slots, a power of two). */
static uint32_t
template_count_identity(struct template_identity_slot *slots, size_t capacity,
                        const struct template_row *rows, size_t index)
{
    uint64_t hash = template_identity_hash(&rows[index]);
    size_t i = (size_t)hash & (capacity - 1);

    while (slots[i].row != 0
           && (slots[i].hash != hash
               || !template_same_identity(&rows[slots[i].row - 1],
                                          &rows[index]))) {
        i = (i + 1) & (capacity - 1);
    }
    if (slots[i].row == 0) {
        slots[i].hash = hash;
        slots[i].row = (uint32_t)index + 1;
    }
    return slots[i].count++;
}

/* Doubles the slots of the table and moves the used ones over. */
static int
template_grow_slots(struct template_keys *keys)
{
    size_t capacity = keys->capacity * 2;
    struct template_identity_slot *slots = calloc(capacity, sizeof(*slots));

    if (slots == NULL) {
        return XJ_ERR_NOMEM;
    }
    for (size_t i = 0; i < keys->capacity; i++) {
        size_t j = (size_t)keys->slots[i].hash & (capacity - 1);

        if (keys->slots[i].row == 0) {
            continue;
        }
        while (slots[j].row != 0) {
            j = (j + 1) & (capacity - 1);
        }
        slots[j] = keys->slots[i];
    }
    free(keys->slots);
    keys->slots = slots;
    keys->capacity = capacity;
    return 0;
}

int
template_keys_init(struct template_keys *keys)
{
    keys->capacity = 16;
    keys->ctx = EVP_MD_CTX_new();
    keys->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    keys->slots = calloc(keys->capacity, sizeof(*keys->slots));
    if (keys->ctx == NULL || keys->md == NULL) {
        return XJ_ERR_INTERNAL;
    }
    if (keys->slots == NULL) {
        return XJ_ERR_NOMEM;
    }
    keys->ready = true;
    return 0;
}

void
template_keys_free(struct template_keys *keys)
{
    free(keys->slots);
    free(keys->message);
    EVP_MD_free(keys->md);
    EVP_MD_CTX_free(keys->ctx);
    memset(keys, 0, sizeof(*keys));
}

void
template_keys_add(struct template_keys *keys, struct template_row *rows,
                  size_t count)
{
    for (size_t i = keys->keyed; i < count && keys->status == 0; i++) {
        uint32_t occurrence;

        /* At most half the slots are used, which keeps probe runs short. */
        if ((i + 1) * 2 > keys->capacity) {
            keys->status = template_grow_slots(keys);
            if (keys->status != 0) {
                break;
            }
        }
        occurrence =
            template_count_identity(keys->slots, keys->capacity, rows, i);
        keys->status = template_write_key(keys, &rows[i], occurrence);
    }
    keys->keyed = count;
}

int
template_keys_finish(struct template_keys *keys, struct template_file *file)
{
    if (!keys->ready) {
        int rc = template_keys_init(keys);

        if (rc != 0) {
            return rc;
        }
    }
    template_keys_add(keys, file->rows, file->row_count);
    return keys->status;
}

