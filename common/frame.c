/* SPDX-License-Identifier: MIT */
/* The length-prefixed framing shared by xuejid (evbuffers) and xueji. */
#include "frame.h"

#include <event2/buffer.h>
#include <stdlib.h>

void
frame_header_encode(uint32_t len, unsigned char header[FRAME_HEADER_LEN])
{
    header[0] = (unsigned char)(len >> 24);
    header[1] = (unsigned char)(len >> 16);
    header[2] = (unsigned char)(len >> 8);
    header[3] = (unsigned char)len;
}

uint32_t
frame_header_decode(const unsigned char header[FRAME_HEADER_LEN])
{
    return ((uint32_t)header[0] << 24) | ((uint32_t)header[1] << 16) |
           ((uint32_t)header[2] << 8) | (uint32_t)header[3];
}

int
frame_check_len(uint32_t len, uint32_t max_len)
{
    if (len == 0) {
        return XJ_ERR_PROTOCOL;
    }
    if (len > max_len) {
        return XJ_ERR_TOO_LARGE;
    }
    return 0;
}

int
frame_take(struct evbuffer *in, uint32_t max_len, unsigned char **body,
           size_t *len)
{
    unsigned char header[FRAME_HEADER_LEN];
    uint32_t body_len;
    int rc;

    if (evbuffer_get_length(in) < FRAME_HEADER_LEN) {
        return 0;
    }
    if (evbuffer_copyout(in, header, FRAME_HEADER_LEN) != FRAME_HEADER_LEN) {
        return 0;
    }
    body_len = frame_header_decode(header);
    rc = frame_check_len(body_len, max_len);
    if (rc < 0) {
        return rc;
    }
    if (evbuffer_get_length(in) < FRAME_HEADER_LEN + (size_t)body_len) {
        return 0;
    }

    *body = malloc(body_len);
    if (*body == NULL) {
        return XJ_ERR_NOMEM;
    }
    evbuffer_drain(in, FRAME_HEADER_LEN);
    evbuffer_remove(in, *body, body_len);
    *len = body_len;
    return 1;
}
