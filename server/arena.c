/* SPDX-License-Identifier: MIT */
/* Allocations freed together; see arena.h. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

void *
arena_alloc(struct arena *arena, size_t size)
{
    void *item;

    if (arena->count == arena->capacity) {
        size_t capacity = arena->capacity ? arena->capacity * 2 : 32;
        void **grown = realloc(arena->items, capacity * sizeof(*grown));

        if (grown == NULL) {
            arena->failed = 1;
            return NULL;
        }
        arena->items = grown;
        arena->capacity = capacity;
    }
    item = calloc(1, size ? size : 1);
    if (item == NULL) {
        arena->failed = 1;
        return NULL;
    }
    arena->items[arena->count++] = item;
    return item;
}

char *
arena_strdup(struct arena *arena, const char *s)
{
    size_t len = strlen(s);
    char *copy = arena_alloc(arena, len + 1);

    if (copy != NULL) {
        memcpy(copy, s, len + 1);
    }
    return copy;
}

void
arena_release(struct arena *arena)
{
    for (size_t i = 0; i < arena->count; i++) {
        free(arena->items[i]);
    }
    free(arena->items);
    arena->items = NULL;
    arena->count = arena->capacity = 0;
    arena->failed = 0;
}
