/* SPDX-License-Identifier: MIT */
/*
 * Framing: each frame is a 4-byte big-endian body length followed by the
 * body. The length is checked against the maximum before any of the body
 * is buffered.
 */
#ifndef XUEJI_FRAME_H
#define XUEJI_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define FRAME_HEADER_LEN 4
#define FRAME_DEFAULT_MAX_LEN (4u * 1024 * 1024)

struct evbuffer;

/* Writes len big-endian into header. */
void frame_header_encode(uint32_t len, unsigned char header[FRAME_HEADER_LEN]);

/* Returns the body length stored in header. */
uint32_t frame_header_decode(const unsigned char header[FRAME_HEADER_LEN]);

/* Checks a body length: 0 when 1 <= len <= max_len, XJ_ERR_PROTOCOL for an
 * empty frame, XJ_ERR_TOO_LARGE above max_len. */
int frame_check_len(uint32_t len, uint32_t max_len) XJ_MUSTCHECK;

/* Takes one complete frame from in. Returns 1 and a malloc'ed body in
 * *body (the caller frees it) when one was complete, 0 when more bytes are
 * needed, or a negative status from frame_check_len without draining. */
int frame_take(struct evbuffer *in, uint32_t max_len, unsigned char **body,
               size_t *len) XJ_MUSTCHECK;

#endif
