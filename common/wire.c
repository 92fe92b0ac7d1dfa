/* SPDX-License-Identifier: MIT */
/* protobuf-c glue: one Envelope per frame, sizes checked on both sides. */
#include "wire.h"

#include <stdlib.h>

#include "frame.h"

int
wire_pack(const wire_envelope *env, uint32_t max_len, unsigned char **frame,
          size_t *frame_len)
{
    size_t body_len = xueji__v1__envelope__get_packed_size(env);
    unsigned char *buf;

    if (body_len == 0 || body_len > max_len) {
        return XJ_ERR_TOO_LARGE;
    }
    buf = malloc(FRAME_HEADER_LEN + body_len);
    if (buf == NULL) {
        return XJ_ERR_NOMEM;
    }
    frame_header_encode((uint32_t)body_len, buf);
    xueji__v1__envelope__pack(env, buf + FRAME_HEADER_LEN);
    *frame = buf;
    *frame_len = FRAME_HEADER_LEN + body_len;
    return 0;
}

wire_envelope *
wire_unpack(const unsigned char *body, size_t len)
{
    wire_envelope *env = xueji__v1__envelope__unpack(NULL, len, body);

    if (env != NULL && env->body_case == XUEJI__V1__ENVELOPE__BODY__NOT_SET) {
        xueji__v1__envelope__free_unpacked(env, NULL);
        return NULL;
    }
    return env;
}

void
wire_free(wire_envelope *env)
{
    if (env != NULL) {
        xueji__v1__envelope__free_unpacked(env, NULL);
    }
}

const char *
wire_body_name(const wire_envelope *env)
{
    const ProtobufCFieldDescriptor *field;

    field = protobuf_c_message_descriptor_get_field(
        &xueji__v1__envelope__descriptor, (unsigned)env->body_case);
    return field != NULL ? field->name : "none";
}
