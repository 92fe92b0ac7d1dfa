/* SPDX-License-Identifier: MIT */
/* Packing and unpacking of one protocol Envelope per frame. */
#ifndef XUEJI_WIRE_H
#define XUEJI_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "xueji/v1/envelope.pb-c.h"

typedef Xueji__V1__Envelope wire_envelope;

/* Packs env into a new buffer holding the frame header and body; the
 * caller frees *frame. Returns XJ_ERR_TOO_LARGE when the body would exceed
 * max_len, XJ_ERR_NOMEM when memory runs out. */
int wire_pack(const wire_envelope *env, uint32_t max_len,
              unsigned char **frame, size_t *frame_len) XJ_MUSTCHECK;

/* Unpacks one frame body. Returns NULL for bytes that are no Envelope or an
 * Envelope without a body; free the result with wire_free. */
wire_envelope *wire_unpack(const unsigned char *body, size_t len);

/* Frees an unpacked envelope; NULL is allowed. */
void wire_free(wire_envelope *env);

/* Returns the protocol name of an envelope's body, e.g. "login". */
const char *wire_body_name(const wire_envelope *env);

#endif
