/* SPDX-License-Identifier: MIT */
/* A progress bar on a terminal; silent when the stream is not a terminal. */
#ifndef XUEJI_PROGRESS_H
#define XUEJI_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

struct progress;

/* Returns a progress bar for total units labelled label, drawn on out only
 * when out is a terminal. Returns NULL when memory runs out; every other
 * function accepts NULL and does nothing. */
struct progress *progress_new(FILE *out, const char *label, size_t total);

/* Sets the number of units done and redraws at most ten times a second. */
void progress_update(struct progress *bar, size_t done);

/* Draws the final state, ends the line and frees the bar. */
void progress_finish(struct progress *bar);

#endif
