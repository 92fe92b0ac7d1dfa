/* SPDX-License-Identifier: MIT */
/*
 * Evidence files: chunked upload over the request connection, type check
 * by content (libmagic), storage in PostgreSQL once per SHA-256, and
 * download for the organisations that may see them.
 */
#ifndef XUEJI_EVIDENCE_H
#define XUEJI_EVIDENCE_H

#include "conn.h"

struct worker;

/* An upload in progress on one connection. */
struct evidence_upload {
    uint64_t id;
    char file_name[256];
    char detected_type[128];        /* MIME type, once complete */
    unsigned char sha256[32];
    size_t size;
    size_t received;
    unsigned char *data;
};

/* Frees an upload; NULL is allowed. */
void evidence_upload_free(struct evidence_upload *upload);

/* Frees the worker's libmagic handle, if it opened one. */
void evidence_worker_free(struct worker *worker);

#endif
