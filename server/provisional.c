/* SPDX-License-Identifier: MIT */
/*
 * An open-addressing hash set of numbers behind one mutex. Slots hold the
 * 18 digits of an L number as an integer; 0 marks a free slot, which no
 * number can be because region codes start with a non-zero digit. The
 * table doubles at half load and removal shifts the following entries
 * back, so no slot ever needs a tombstone.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "provisional.h"

#define PROVISIONAL_INITIAL_SLOTS 16384
/* Random draws per number before it is left to the unique constraint. A
 * prefix has 10,000 numbers and an unfinished transaction draws a few of
 * them, so a draw almost always succeeds at the first try. */
#define PROVISIONAL_TRIES 32
#define PROVISIONAL_SUFFIXES 10000

struct provisional_set {
    pthread_mutex_t lock;
    uint64_t *slots;
    size_t mask;                    /* slot count - 1, a power of two */
    size_t used;
    uint64_t state;                 /* of the generator of the suffixes */
};

/* The next suffix, 0 to PROVISIONAL_SUFFIXES - 1, from SplitMix64. The
 * digits need to be spread, not secret: the set and the unique
 * constraint keep numbers apart, and a system call per number (glibc's
 * arc4random) would cost more than the rest of the draw. */
static uint64_t
provisional_suffix(struct provisional_set *set)
{
    uint64_t z = (set->state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    /* The bias of the modulo is below 10^4 / 2^64. */
    return z % PROVISIONAL_SUFFIXES;
}

static size_t
provisional_home(const struct provisional_set *set, uint64_t number)
{
    return (size_t)((number * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & set->mask;
}

struct provisional_set *
provisional_set_new(void)
{
    struct provisional_set *set = calloc(1, sizeof(*set));

    if (set == NULL) {
        return NULL;
    }
    set->slots = calloc(PROVISIONAL_INITIAL_SLOTS, sizeof(*set->slots));
    if (set->slots == NULL) {
        free(set);
        return NULL;
    }
    set->mask = PROVISIONAL_INITIAL_SLOTS - 1;
    if (getrandom(&set->state, sizeof(set->state), 0) !=
        (ssize_t)sizeof(set->state)) {
        set->state = (uint64_t)time(NULL);
    }
    pthread_mutex_init(&set->lock, NULL);
    return set;
}

void
provisional_set_free(struct provisional_set *set)
{
    if (set == NULL) {
        return;
    }
    pthread_mutex_destroy(&set->lock);
    free(set->slots);
    free(set);
}

/* Doubles the table; returns false when out of memory. */
static bool
provisional_grow(struct provisional_set *set)
{
    size_t old_count = set->mask + 1;
    uint64_t *old = set->slots;
    uint64_t *slots = calloc(old_count * 2, sizeof(*slots));

    if (slots == NULL) {
        return false;
    }
    set->slots = slots;
    set->mask = old_count * 2 - 1;
    for (size_t i = 0; i < old_count; i++) {
        size_t slot;

        if (old[i] == 0) {
            continue;
        }
        slot = provisional_home(set, old[i]);
        while (slots[slot] != 0) {
            slot = (slot + 1) & set->mask;
        }
        slots[slot] = old[i];
    }
    free(old);
    return true;
}

/* Adds number; returns false when it is there already. */
static bool
provisional_add(struct provisional_set *set, uint64_t number)
{
    size_t slot = provisional_home(set, number);

    while (set->slots[slot] != 0) {
        if (set->slots[slot] == number) {
            return false;
        }
        slot = (slot + 1) & set->mask;
    }
    set->slots[slot] = number;
    set->used++;
    return true;
}

static void
provisional_remove(struct provisional_set *set, uint64_t number)
{
    size_t slot = provisional_home(set, number);
    size_t next;

    while (set->slots[slot] != number) {
        if (set->slots[slot] == 0) {
            return;
        }
        slot = (slot + 1) & set->mask;
    }
    /* Moves back each following entry that would no longer be found from
     * its home slot across the gap. */
    next = slot;
    for (;;) {
        size_t home;

        next = (next + 1) & set->mask;
        if (set->slots[next] == 0) {
            break;
        }
        home = provisional_home(set, set->slots[next]);
        if (((next - home) & set->mask) >= ((next - slot) & set->mask)) {
            set->slots[slot] = set->slots[next];
            slot = next;
        }
    }
    set->slots[slot] = 0;
    set->used--;
}

void
provisional_draw(struct provisional_set *set, const uint64_t *prefixes,
                 uint64_t *numbers, bool *in_set, size_t count)
{
    pthread_mutex_lock(&set->lock);
    for (size_t i = 0; i < count; i++) {
        uint64_t base = prefixes[i] * PROVISIONAL_SUFFIXES;
        bool room = (set->used + 1) * 2 <= set->mask + 1 ||
                    provisional_grow(set);

        in_set[i] = false;
        numbers[i] = base + provisional_suffix(set);
        for (int try = 0; room && try < PROVISIONAL_TRIES; try++) {
            if (provisional_add(set, numbers[i])) {
                in_set[i] = true;
                break;
            }
            numbers[i] = base + provisional_suffix(set);
        }
    }
    pthread_mutex_unlock(&set->lock);
}

void
provisional_release(struct provisional_set *set, const uint64_t *numbers,
                    const bool *in_set, size_t count)
{
    pthread_mutex_lock(&set->lock);
    for (size_t i = 0; i < count; i++) {
        if (in_set[i]) {
            provisional_remove(set, numbers[i]);
        }
    }
    pthread_mutex_unlock(&set->lock);
}
