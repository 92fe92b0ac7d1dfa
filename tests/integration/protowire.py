# SPDX-License-Identifier: MIT
"""The protobuf wire format and xueji's framing, for test clients that
send what the real client never would.

Only the two wire types xueji's messages use are handled: varint (0) and
length-delimited (2).
"""
import struct


def frame(body):
    """Returns body behind its 4-byte big-endian length."""
    return struct.pack(">I", len(body)) + body


def encode_varint(value):
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def field_varint(number, value):
    return encode_varint(number << 3) + encode_varint(value)


def field_bytes(number, value):
    return encode_varint(number << 3 | 2) + encode_varint(len(value)) + value


def varint(data, pos):
    """Returns the varint at data[pos] and the position after it."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def fields(data):
    """Yields (field number, wire type, value) of a protobuf message."""
    pos = 0
    while pos < len(data):
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire == 2:
            length, pos = varint(data, pos)
            value = data[pos:pos + length]
            pos += length
        else:
            raise ValueError("unexpected wire type %d" % wire)
        yield number, wire, value
