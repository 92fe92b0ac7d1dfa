/* SPDX-License-Identifier: MIT */
/*
 * A one-line progress bar redrawn in place with "\r" on a terminal, for
 * example `导入 [########............]  4,000/10,000  40%  1.2 s`. When the
 * stream is not a terminal nothing is written, so redirected output stays
 * clean. What the units are and when to update is left to the caller.
 */
#include "progress.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "text.h"

/* NOTE: the line is not fitted to the terminal width, so on a terminal
 * narrower than label plus about 60 columns it wraps, and "\r" then redraws
 * only its last row. */
#define PROGRESS_BAR_WIDTH 20
#define PROGRESS_REDRAW_NS 100000000LL  /* at most ten redraws a second */
#define PROGRESS_COUNT_MAX 32           /* "18,446,744,073,709,551,615" */

struct progress {
    FILE *out;
    char *label;
    size_t label_width;         /* display columns of label */
    size_t total;
    size_t done;
    bool is_terminal;
    bool has_drawn;
    int64_t start_ns;           /* CLOCK_MONOTONIC */
    int64_t last_draw_ns;
    size_t last_line_width;     /* columns of the last line drawn */
};

/* Returns CLOCK_MONOTONIC in nanoseconds. */
static int64_t
progress_now_ns(void)
{
    struct timespec now;

    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) {
        return 0;
    }
    return (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* Writes n with "," between groups of three digits into buf. */
static void
progress_format_count(size_t n, char *buf, size_t size)
{
    char digits[PROGRESS_COUNT_MAX];
    size_t digit_count = (size_t)snprintf(digits, sizeof(digits), "%zu", n);
    size_t at = 0;

    for (size_t i = 0; i < digit_count && at + 1 < size; i++) {
        if (i > 0 && (digit_count - i) % 3 == 0 && at + 2 < size) {
            buf[at++] = ',';
        }
        buf[at++] = digits[i];
    }
    buf[at] = '\0';
}

/* Writes the bar at the current state, padding with spaces over what is
 * left of a longer previous line. */
static void
progress_draw(struct progress *bar, int64_t now_ns)
{
    char done_text[PROGRESS_COUNT_MAX];
    char total_text[PROGRESS_COUNT_MAX];
    char cells[PROGRESS_BAR_WIDTH + 1];
    char tail[128];
    size_t clamped_done = bar->done < bar->total ? bar->done : bar->total;
    size_t filled = PROGRESS_BAR_WIDTH;
    unsigned percent = 100;
    double seconds = (double)(now_ns - bar->start_ns) / 1e9;
    size_t line_width;
    int tail_len;

    /* A total of zero has nothing left to do, so it shows as complete. */
    if (bar->total > 0) {
        double fraction = (double)clamped_done / (double)bar->total;

        filled = (size_t)(fraction * PROGRESS_BAR_WIDTH);
        percent = (unsigned)(fraction * 100.0);
    }
    memset(cells, '#', filled);
    memset(cells + filled, '.', PROGRESS_BAR_WIDTH - filled);
    cells[PROGRESS_BAR_WIDTH] = '\0';
    progress_format_count(bar->done, done_text, sizeof(done_text));
    progress_format_count(bar->total, total_text, sizeof(total_text));

    tail_len = snprintf(tail, sizeof(tail), " [%s]  %s/%s  %u%%  %.1f s",
                        cells, done_text, total_text, percent, seconds);
    if (tail_len < 0) {
        return;
    }
    line_width = bar->label_width + (size_t)tail_len;

    fprintf(bar->out, "\r%s%s", bar->label, tail);
    for (size_t i = line_width; i < bar->last_line_width; i++) {
        fputc(' ', bar->out);
    }
    fflush(bar->out);
    bar->last_line_width = line_width;
    bar->last_draw_ns = now_ns;
    bar->has_drawn = true;
}

/* Returns a progress bar for total units, drawn on out only when out is a
 * terminal. The bar keeps a copy of label, and NULL means no label. Returns
 * NULL when memory runs out, and every other function accepts NULL and does
 * nothing. The caller ends the bar with progress_finish, which frees it. */
struct progress *
progress_new(FILE *out, const char *label, size_t total)
{
    struct progress *bar = calloc(1, sizeof(*bar));

    if (bar == NULL) {
        return NULL;
    }
    bar->label = strdup(label != NULL ? label : "");
    if (bar->label == NULL) {
        free(bar);
        return NULL;
    }
    bar->out = out;
    bar->label_width = text_display_width(bar->label);
    bar->total = total;
    bar->is_terminal = out != NULL && isatty(fileno(out)) == 1;
    bar->start_ns = progress_now_ns();
    return bar;
}

/* Sets the number of units done and redraws when at least a tenth of a
 * second has passed since the last redraw. */
void
progress_update(struct progress *bar, size_t done)
{
    int64_t now_ns;

    if (bar == NULL) {
        return;
    }
    bar->done = done;
    if (!bar->is_terminal) {
        return;
    }
    now_ns = progress_now_ns();
    if (bar->has_drawn && now_ns - bar->last_draw_ns < PROGRESS_REDRAW_NS) {
        return;
    }
    progress_draw(bar, now_ns);
}

/* Draws the final state whatever the time since the last redraw, ends the
 * line and frees the bar. */
void
progress_finish(struct progress *bar)
{
    if (bar == NULL) {
        return;
    }
    if (bar->is_terminal) {
        progress_draw(bar, progress_now_ns());
        fputc('\n', bar->out);
        fflush(bar->out);
    }
    free(bar->label);
    free(bar);
}
