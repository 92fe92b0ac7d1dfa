/* SPDX-License-Identifier: MIT */
/*
 * Upload of an evidence file on an open connection: local size limit,
 * SHA-256, the start message and the chunks, with a progress bar. Which
 * types and sizes the server accepts is the server's decision.
 */
#ifndef XUEJI_EVIDENCE_H
#define XUEJI_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "client.h"

/* Larger files are rejected before anything is sent. */
#define EVIDENCE_MAX_FILE_SIZE ((uint64_t)64 << 20)

/* Checks without reading it that the file at path is a regular file that
 * is neither empty nor larger than EVIDENCE_MAX_FILE_SIZE. Returns 0, or a
 * negative status with err filled. */
int evidence_check_file(const char *path, struct xj_error *err) XJ_MUSTCHECK;

/* Uploads the file at path and stores its evidence id in *evidence_id. A
 * file the server already stores (same SHA-256) is not sent again. Unless
 * quiet, prints the outcome and the detected type on stdout and a progress
 * bar on stderr when it is a terminal. Returns 0, or a negative status with
 * err filled when the file cannot be read, is empty or too large, or the
 * server rejects it. */
int evidence_upload(struct client *client, const char *path, bool quiet,
                    uint64_t *evidence_id, struct xj_error *err) XJ_MUSTCHECK;

#endif
