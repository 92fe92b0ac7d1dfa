#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A client that sends rows the real client would hold back.

Logs in, sends one import batch of ROWS rows that each fail the server's
row checks (an import key of one character), and prints what the reply lists: the rows received, the row
errors listed and the rows left unlisted. Then it sends a ping on the
same connection and prints "ping ok" when the reply arrives. Usage:
reply_limit.py PORT CA_FILE USER PASSWORD ROWS.
"""
import socket
import ssl
import struct
import sys

from protowire import field_bytes, field_varint, fields, frame

PORT = int(sys.argv[1])
CA_FILE = sys.argv[2]
USER = sys.argv[3].encode()
PASSWORD = sys.argv[4].encode()
ROWS = int(sys.argv[5])
TIMEOUT = 30


def envelope(request_id, body_number, body):
    return field_varint(1, request_id) + field_bytes(body_number, body)


def send(sock, body):
    sock.sendall(frame(body))


def receive(sock):
    """Returns the body (field number and bytes) of the next envelope."""
    data = b""
    while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("server closed the connection")
        data += chunk
    (length,) = struct.unpack(">I", data[:4])
    for number, _, value in fields(data[4:4 + length]):
        if number != 1:
            return number, value
    return 0, b""


def main():
    context = ssl.create_default_context(cafile=CA_FILE)
    raw = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
    sock = context.wrap_socket(raw, server_hostname="localhost")
    send(sock, envelope(1, 10, field_varint(1, 1)))
    assert receive(sock)[0] == 11, "no hello reply"
    send(sock, envelope(2, 20, field_bytes(1, USER) + field_bytes(2, PASSWORD)))
    assert receive(sock)[0] == 21, "login failed"

    # A one-character import key is the cheapest row to send, and its
    # row error is several times longer than the row.
    rows = b""
    for number in range(ROWS):
        row = field_varint(1, number + 2) + field_bytes(2, b"x")
        rows += field_bytes(2, row)
    send(sock, envelope(3, 30, field_bytes(1, b"hostile.csv") + rows))
    body_number, reply = receive(sock)
    assert body_number == 31, "expected an import reply, got body %d" % body_number
    received = listed = unlisted = 0
    for number, _, value in fields(reply):
        if number == 1:
            received = value
        elif number == 4:
            listed += 1
        elif number == 6:
            unlisted = value
    print("received %d listed %d unlisted %d" % (received, listed, unlisted))

    send(sock, envelope(4, 13, b""))
    body_number, _ = receive(sock)
    assert body_number == 14, "expected a ping reply, got body %d" % body_number
    print("ping ok")


main()
