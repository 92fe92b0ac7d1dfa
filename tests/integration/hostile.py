#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile clients against a running xuejid on loopback.

Each case opens its own connection, sends bytes a real client never
would, and checks that the server answers with an error frame where it
can and then closes the connection. Usage: hostile.py PORT CA_FILE.
"""
import socket
import ssl
import struct
import sys
import time

from protowire import fields, frame

PORT = int(sys.argv[1])
CA_FILE = sys.argv[2]
TIMEOUT = 10

# Envelope{request_id=1, hello=Hello{protocol_version=1}}
HELLO = bytes([0x08, 0x01, 0x52, 0x02, 0x08, 0x01])
# Envelope{request_id=2, login=LoginRequest{user="a", password="b"}}
LOGIN = bytes([0x08, 0x02, 0xA2, 0x01, 0x06, 0x0A, 0x01, 0x61, 0x12, 0x01, 0x62])
ERROR_TOO_LARGE = 6
ERROR_PROTOCOL = 9


def error_code(envelope):
    """Returns the code of an Error body, or None for another body."""
    for number, _, value in fields(envelope):
        if number == 12:
            for inner, _, code in fields(value):
                if inner == 1:
                    return code
            return 0
    return None


def tls_connect():
    context = ssl.create_default_context(cafile=CA_FILE)
    raw = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
    return context.wrap_socket(raw, server_hostname="localhost")


def read_until_closed(sock):
    """Reads until EOF; fails if the server keeps the connection open."""
    data = b""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
            return data
        except socket.timeout:
            break
        if not chunk:
            return data
        data += chunk
    raise AssertionError("server did not close the connection")


def read_frames(data):
    frames = []
    while len(data) >= 4:
        (length,) = struct.unpack(">I", data[:4])
        frames.append(data[4:4 + length])
        data = data[4 + length:]
    return frames


def expect_error_then_close(name, payload, expected_code, hello_first=True):
    sock = tls_connect()
    if hello_first:
        sock.sendall(frame(HELLO))
    sock.sendall(payload)
    frames = read_frames(read_until_closed(sock))
    codes = [error_code(f) for f in frames]
    assert expected_code in codes, "%s: expected error %d, got %r" % (
        name, expected_code, codes)
    print("ok - %s: error %d then close" % (name, expected_code))


def plain_tcp(name, payload):
    sock = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
    sock.sendall(payload)
    read_until_closed(sock)
    print("ok - %s: closed" % name)


def healthy():
    sock = tls_connect()
    sock.sendall(frame(HELLO))
    data = b""
    while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
        chunk = sock.recv(65536)
        assert chunk, "healthy client: server closed the connection"
        data += chunk
    assert error_code(read_frames(data)[0]) is None, "hello was refused"
    sock.close()


def main():
    plain_tcp("plain HTTP request", b"GET / HTTP/1.0\r\n\r\n")
    healthy()
    plain_tcp("garbage bytes", bytes(range(256)) * 8)
    healthy()
    expect_error_then_close("oversized frame",
                            struct.pack(">I", 0x7FFFFFFF) + b"x" * 16,
                            ERROR_TOO_LARGE)
    healthy()
    expect_error_then_close("zero-length frame", struct.pack(">I", 0),
                            ERROR_PROTOCOL)
    expect_error_then_close("garbage protobuf", frame(b"\xff" * 32),
                            ERROR_PROTOCOL)
    expect_error_then_close("login before hello", frame(LOGIN),
                            ERROR_PROTOCOL, hello_first=False)
    healthy()

    # A truncated frame followed by a close must not disturb the server.
    sock = tls_connect()
    sock.sendall(struct.pack(">I", 1000) + b"abc")
    sock.close()
    healthy()

    # A silent client is closed by the handshake timeout.
    sock = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
    read_until_closed(sock)
    print("ok - silent client closed by timeout")
    healthy()
    print("ok - server still healthy")


if __name__ == "__main__":
    main()
