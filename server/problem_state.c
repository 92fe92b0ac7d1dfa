/* SPDX-License-Identifier: MIT */
/* The problem state machine; the table is documented in problem_state.h. */
#include "problem_state.h"

#include <stddef.h>
#include <string.h>

struct problem_transition {
    const char *from;
    enum problem_action action;
    const char *to;
};

static const struct problem_transition problem_transitions[] = {
    {"open", PROBLEM_ACTION_CHANGE, "pending_review"},
    {"open", PROBLEM_ACTION_ATTEST, "pending_review"},
    {"open", PROBLEM_ACTION_DELETE, "resolved"},
    {"rejected", PROBLEM_ACTION_CHANGE, "pending_review"},
    {"rejected", PROBLEM_ACTION_ATTEST, "pending_review"},
    {"rejected", PROBLEM_ACTION_DELETE, "resolved"},
    {"pending_review", PROBLEM_ACTION_APPROVE, "resolved"},
    {"pending_review", PROBLEM_ACTION_REJECT, "rejected"},
};

const char *
problem_state_next(const char *from, enum problem_action action)
{
    for (size_t i = 0;
         i < sizeof(problem_transitions) / sizeof(problem_transitions[0]);
         i++) {
        if (problem_transitions[i].action == action &&
            strcmp(problem_transitions[i].from, from) == 0) {
            return problem_transitions[i].to;
        }
    }
    return NULL;
}

const char *
problem_action_name(enum problem_action action)
{
    static const char *const names[] = {
        [PROBLEM_ACTION_CHANGE] = "change",
        [PROBLEM_ACTION_ATTEST] = "attest",
        [PROBLEM_ACTION_DELETE] = "delete",
        [PROBLEM_ACTION_APPROVE] = "approve",
        [PROBLEM_ACTION_REJECT] = "reject",
    };

    return names[action];
}
