/* SPDX-License-Identifier: MIT */
/* The set of L numbers drawn by unfinished transactions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "provisional.h"

#define PREFIX UINT64_C(41010220180809)
#define SUFFIXES 10000

static int
compare_numbers(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Draws count numbers of one prefix in one call. */
static void
draw_same_prefix(struct provisional_set *set, uint64_t *numbers, bool *in_set,
                 size_t count)
{
    uint64_t *prefixes = malloc(count * sizeof(*prefixes));

    assert_non_null(prefixes);
    for (size_t i = 0; i < count; i++) {
        prefixes[i] = PREFIX;
    }
    provisional_draw(set, prefixes, numbers, in_set, count);
    free(prefixes);
}

static void
test_numbers_keep_their_prefix(void **state)
{
    struct provisional_set *set = provisional_set_new();
    uint64_t prefixes[3] = {PREFIX, UINT64_C(11010120100101),
                            UINT64_C(65290119991231)};
    uint64_t numbers[3];
    bool in_set[3];

    (void)state;
    assert_non_null(set);
    provisional_draw(set, prefixes, numbers, in_set, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(in_set[i]);
        assert_int_equal(numbers[i] / SUFFIXES, prefixes[i]);
    }
    provisional_release(set, numbers, in_set, 3);
    provisional_set_free(set);
}

/* Two callers drawing 2,000 numbers each from one prefix, far more than
 * random draws could keep apart, get 4,000 distinct numbers. */
static void
test_unfinished_draws_never_meet(void **state)
{
    enum { EACH = 2000 };
    struct provisional_set *set = provisional_set_new();
    uint64_t *numbers = malloc(2 * EACH * sizeof(*numbers));
    bool *in_set = malloc(2 * EACH * sizeof(*in_set));

    (void)state;
    assert_non_null(set);
    assert_non_null(numbers);
    assert_non_null(in_set);
    draw_same_prefix(set, numbers, in_set, EACH);
    draw_same_prefix(set, numbers + EACH, in_set + EACH, EACH);
    for (size_t i = 0; i < 2 * EACH; i++) {
        assert_true(in_set[i]);
    }
    qsort(numbers, 2 * EACH, sizeof(*numbers), compare_numbers);
    for (size_t i = 1; i < 2 * EACH; i++) {
        assert_true(numbers[i - 1] < numbers[i]);
    }
    provisional_release(set, numbers, in_set, 2 * EACH);
    provisional_set_free(set);
    free(numbers);
    free(in_set);
}

/* Once the 10,000 numbers of a prefix are in the set, a draw is left to
 * the database and reports that. After a release they are free again. */
static void
test_full_prefix_and_release(void **state)
{
    struct provisional_set *set = provisional_set_new();
    uint64_t *numbers = malloc(SUFFIXES * sizeof(*numbers));
    bool *in_set = malloc(SUFFIXES * sizeof(*in_set));
    uint64_t extra;
    bool extra_in_set;
    size_t filled = 0;

    (void)state;
    assert_non_null(set);
    assert_non_null(numbers);
    assert_non_null(in_set);
    /* Random draws fill a prefix only slowly near the end, so draw until
     * every one of its numbers is in the set. */
    for (int round = 0; round < 20000 && filled < SUFFIXES; round++) {
        size_t start = filled, want = SUFFIXES - filled;

        draw_same_prefix(set, numbers + start, in_set + start, want);
        for (size_t i = start; i < start + want; i++) {
            if (in_set[i]) {
                numbers[filled] = numbers[i];
                in_set[filled++] = true;
            }
        }
    }
    assert_int_equal(filled, SUFFIXES);
    draw_same_prefix(set, &extra, &extra_in_set, 1);
    assert_false(extra_in_set);
    assert_int_equal(extra / SUFFIXES, PREFIX);

    provisional_release(set, numbers, in_set, SUFFIXES);
    draw_same_prefix(set, &extra, &extra_in_set, 1);
    assert_true(extra_in_set);
    provisional_release(set, &extra, &extra_in_set, 1);
    provisional_set_free(set);
    free(numbers);
    free(in_set);
}

/* Numbers outside the set are not removed, because releasing one that
 * another caller drew would let a third caller draw it too. */
static void
test_release_only_what_is_in_set(void **state)
{
    struct provisional_set *set = provisional_set_new();
    uint64_t prefix = PREFIX, number, again;
    bool in_set, not_in_set = false, again_in_set;

    (void)state;
    assert_non_null(set);
    provisional_draw(set, &prefix, &number, &in_set, 1);
    assert_true(in_set);
    provisional_release(set, &number, &not_in_set, 1);
    for (int i = 0; i < 20000; i++) {
        provisional_draw(set, &prefix, &again, &again_in_set, 1);
        assert_false(again_in_set && again == number);
        provisional_release(set, &again, &again_in_set, 1);
    }
    provisional_release(set, &number, &in_set, 1);
    provisional_set_free(set);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_keep_their_prefix),
        cmocka_unit_test(test_unfinished_draws_never_meet),
        cmocka_unit_test(test_full_prefix_and_release),
        cmocka_unit_test(test_release_only_what_is_in_set),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
