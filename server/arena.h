/* SPDX-License-Identifier: MIT */
/*
 * A list of allocations freed together: replies are built from many small
 * protobuf structs whose strings point into a PGresult, and all of it goes
 * once the reply is packed.
 */
#ifndef XUEJI_ARENA_H
#define XUEJI_ARENA_H

#include <stddef.h>

struct arena {
    void **items;
    size_t count;
    size_t capacity;
    int failed;         /* sticky: an allocation failed */
};

/* Returns zeroed memory owned by the arena, or NULL (and sets failed). */
void *arena_alloc(struct arena *arena, size_t size);

/* Returns a copy of s owned by the arena, or NULL (and sets failed). */
char *arena_strdup(struct arena *arena, const char *s);

/* Frees every allocation; the arena may be used again. */
void arena_release(struct arena *arena);

#endif
