#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes small evidence files of each kind into DIR for the tests.

png.png and png-named.jpg are the same PNG image; scan.jpg is a JPEG;
letter.docx is a Word 2007 document; text-named.doc is plain text under a
Word name; big.jpg is a JPEG just over 2 MiB. Usage: make_evidence.py DIR
"""
import os
import struct
import sys
import zipfile
import zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def png(width=4, height=4):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + \
            struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def jpeg(padding=0):
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    head = b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
    comment = b"xueji test evidence"
    body = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    filler = bytes(padding)
    return head + body + filler + b"\xff\xd9"


def docx(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxml'
                   'formats.org/package/2006/content-types"><Override PartName='
                   '"/word/document.xml" ContentType="application/vnd.openxml'
                   'formats-officedocument.wordprocessingml.document.main+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"/>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
                   'openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                   '<w:p><w:r><w:t>Proof of attendance</w:t></w:r></w:p>'
                   '</w:body></w:document>')


with open(os.path.join(out, "png.png"), "wb") as f:
    f.write(png())
with open(os.path.join(out, "png-named.jpg"), "wb") as f:
    f.write(png())
with open(os.path.join(out, "scan.jpg"), "wb") as f:
    f.write(jpeg())
with open(os.path.join(out, "scan2.jpg"), "wb") as f:
    f.write(jpeg(padding=64))
with open(os.path.join(out, "big.jpg"), "wb") as f:
    f.write(jpeg(padding=2 * 1024 * 1024 + 100))
with open(os.path.join(out, "text-named.doc"), "w") as f:
    f.write("This is a plain text note and not a Word document.\n" * 20)
docx(os.path.join(out, "letter.docx"))
