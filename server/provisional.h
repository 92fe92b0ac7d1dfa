/* SPDX-License-Identifier: MIT */
/*
 * The provisional L numbers that this daemon's unfinished transactions
 * have drawn. An import copies its rows before it takes the duplicate-check
 * locks, so two batches stored at once cannot read each other's numbers in
 * the database. Drawing through this set keeps them apart.
 */
#ifndef XUEJI_PROVISIONAL_H
#define XUEJI_PROVISIONAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The digits of an L number after the letter: 6-digit region code, 8-digit
 * birth date, 4 random digits. */
#define PROVISIONAL_DIGITS 18

struct provisional_set;

/* Returns an empty set, or NULL when out of memory. */
struct provisional_set *provisional_set_new(void);

void provisional_set_free(struct provisional_set *set);

/* Draws a number for each prefixes[i] (region code and birth date as one
 * 14-digit number) into numbers[i], none drawn by another caller or twice
 * in the call. in_set[i] is true when numbers[i] went into the set. It is
 * false when the set cannot grow or every number of the prefix is in the
 * set, and then the database's unique constraint decides. */
void provisional_draw(struct provisional_set *set, const uint64_t *prefixes,
                      uint64_t *numbers, bool *in_set, size_t count);

/* Removes the numbers[i] whose in_set[i] is set. Call once the transaction
 * that stored them has ended, committed or not. */
void provisional_release(struct provisional_set *set, const uint64_t *numbers,
                         const bool *in_set, size_t count);

#endif
