/* SPDX-License-Identifier: MIT */
/*
 * The states of a problem registration and the transitions between them.
 * Every handler that changes a problem's status asks problem_state_next
 * first, inside the transaction that holds the problem's row lock.
 *
 * | from           | action          | to             | who      |
 * |----------------|-----------------|----------------|----------|
 * | open           | change, attest  | pending_review | school   |
 * | rejected       | change, attest  | pending_review | school   |
 * | open, rejected | delete          | resolved       | school   |
 * | pending_review | approve         | resolved       | county   |
 * | pending_review | reject          | rejected       | county   |
 * | any unresolved | no longer holds | resolved       | the duplicate check |
 */
#ifndef XUEJI_PROBLEM_STATE_H
#define XUEJI_PROBLEM_STATE_H

enum problem_action {
    PROBLEM_ACTION_CHANGE,
    PROBLEM_ACTION_ATTEST,
    PROBLEM_ACTION_DELETE,
    PROBLEM_ACTION_APPROVE,
    PROBLEM_ACTION_REJECT,
};

/* Returns the status a problem in status from moves to by action, or NULL
 * when the action is not allowed in that status. */
const char *problem_state_next(const char *from, enum problem_action action);

/* Returns the verb of an action for messages and the audit log. */
const char *problem_action_name(enum problem_action action);

#endif
