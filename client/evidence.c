/* SPDX-License-Identifier: MIT */
/*
 * Evidence upload: reads the whole file (at most EVIDENCE_MAX_FILE_SIZE),
 * sends its name, size and SHA-256, and then, unless the server already
 * stores the same content, the chunks in order. The server checks the type
 * by content, its own size limit and the digest, and returns the evidence
 * id with the detected type.
 */
#include "evidence.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "handling.h"
#include "i18n.h"
#include "progress.h"

#define EVIDENCE_SHA256_LEN 32
/* Room for the envelope and chunk fields around the data of a chunk. */
#define EVIDENCE_CHUNK_OVERHEAD 256
/* Chunk size when the server names none. */
#define EVIDENCE_DEFAULT_CHUNK (256u * 1024)

struct evidence_file {
    const char *path;
    const char *base_name;
    unsigned char *data;
    size_t size;
    unsigned char sha256[EVIDENCE_SHA256_LEN];
};

/* What the server replied so far: where to send chunks, or the stored
 * file. */
struct evidence_state {
    uint64_t upload_id;
    uint32_t chunk_size;
    uint64_t evidence_id;
    char detected_type[128];
};

static int
evidence_check_stat(const struct evidence_file *file, const struct stat *st,
                    struct xj_error *err)
{
    char size[32];

    if (!S_ISREG(st->st_mode)) {
        return xj_error_set(err, XJ_ERR_INVALID, "evidence", file->path,
                            _("give a regular file"),
                            _("%s is not a regular file"), file->path);
    }
    if (st->st_size == 0) {
        return xj_error_set(err, XJ_ERR_INVALID, "evidence", file->path,
                            _("give the scanned or photographed document"),
                            _("%s is empty"), file->path);
    }
    if ((uint64_t)st->st_size > EVIDENCE_MAX_FILE_SIZE) {
        handling_format_size((uint64_t)st->st_size, size, sizeof(size));
        return xj_error_set(err, XJ_ERR_TOO_LARGE, "evidence", file->path,
                            _("scan at a lower resolution or compress the "
                              "file; the server accepts far smaller files"),
                            _("%s is %s, more than the 64 MiB this client "
                              "sends"), file->path, size);
    }
    return 0;
}

int
evidence_check_file(const char *path, struct xj_error *err)
{
    struct evidence_file file = {.path = path};
    struct stat st;

    if (stat(path, &st) != 0) {
        return xj_error_set(err, XJ_ERR_IO, "evidence", path,
                            _("check the file name"), _("cannot open %s: %s"),
                            path, strerror(errno));
    }
    return evidence_check_stat(&file, &st, err);
}

/* Reads the whole file into file->data and computes its SHA-256. */
static int
evidence_read(struct evidence_file *file, struct xj_error *err)
{
    FILE *in = fopen(file->path, "rb");
    struct stat st;
    int rc;

    if (in == NULL) {
        return xj_error_set(err, XJ_ERR_IO, "evidence", file->path,
                            _("check the file name"), _("cannot open %s: %s"),
                            file->path, strerror(errno));
    }
    rc = fstat(fileno(in), &st) == 0
             ? evidence_check_stat(file, &st, err)
             : xj_error_set(err, XJ_ERR_IO, "evidence", file->path, NULL,
                            _("cannot read %s: %s"), file->path,
                            strerror(errno));
    if (rc == 0) {
        file->size = (size_t)st.st_size;
        file->data = malloc(file->size);
        if (file->data == NULL) {
            rc = xj_error_set(err, XJ_ERR_NOMEM, NULL, NULL, NULL,
                              _("out of memory"));
        }
    }
    if (rc == 0 && fread(file->data, 1, file->size, in) != file->size) {
        rc = xj_error_set(err, XJ_ERR_IO, "evidence", file->path,
                          _("check that no other program changes the file"),
                          _("cannot read %s completely"), file->path);
    }
    fclose(in);
    if (rc == 0 && EVP_Digest(file->data, file->size, file->sha256, NULL,
                              EVP_sha256(), NULL) != 1) {
        rc = xj_error_set(err, XJ_ERR_INTERNAL, NULL, NULL, NULL,
                          _("cannot compute the SHA-256 of %s"), file->path);
    }
    return rc;
}

static int
evidence_start(struct client *client, const struct evidence_file *file,
               struct evidence_state *state, struct xj_error *err)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__EvidenceUploadStart start =
        XUEJI__V1__EVIDENCE_UPLOAD_START__INIT;
    wire_envelope *reply = NULL;
    const Xueji__V1__EvidenceUploadReply *answer;
    int rc;

    start.file_name = (char *)file->base_name;
    start.size = file->size;
    start.sha256.data = (uint8_t *)file->sha256;
    start.sha256.len = sizeof(file->sha256);
    request.body_case = XUEJI__V1__ENVELOPE__BODY_EVIDENCE_UPLOAD_START;
    request.evidence_upload_start = &start;
    rc = handling_call(client, &request,
                       XUEJI__V1__ENVELOPE__BODY_EVIDENCE_UPLOAD_REPLY, &reply,
                       err);
    if (rc < 0) {
        return rc;
    }
    answer = reply->evidence_upload_reply;
    state->upload_id = answer->upload_id;
    state->chunk_size = answer->chunk_size;
    state->evidence_id = answer->evidence_id;
    snprintf(state->detected_type, sizeof(state->detected_type), "%s",
             answer->detected_type);
    wire_free(reply);
    return 0;
}

/* Returns the chunk size to use: the server's, within its frame size. */
static size_t
evidence_chunk_size(const struct client *client,
                    const struct evidence_state *state)
{
    size_t limit = client->max_frame_size > 2 * EVIDENCE_CHUNK_OVERHEAD
                       ? client->max_frame_size - EVIDENCE_CHUNK_OVERHEAD
                       : EVIDENCE_CHUNK_OVERHEAD;
    size_t size = state->chunk_size != 0 ? state->chunk_size
                                         : EVIDENCE_DEFAULT_CHUNK;

    return size < limit ? size : limit;
}

/* Sends the chunk at offset and checks the count the server confirms. */
static int
evidence_send_chunk(struct client *client, const struct evidence_file *file,
                    size_t offset, size_t len, struct evidence_state *state,
                    struct xj_error *err)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__EvidenceChunk chunk = XUEJI__V1__EVIDENCE_CHUNK__INIT;
    wire_envelope *reply = NULL;
    const Xueji__V1__EvidenceChunkReply *answer;
    int rc;

    chunk.upload_id = state->upload_id;
    chunk.offset = offset;
    chunk.data.data = file->data + offset;
    chunk.data.len = len;
    request.body_case = XUEJI__V1__ENVELOPE__BODY_EVIDENCE_CHUNK;
    request.evidence_chunk = &chunk;
    rc = handling_call(client, &request,
                       XUEJI__V1__ENVELOPE__BODY_EVIDENCE_CHUNK_REPLY, &reply,
                       err);
    if (rc < 0) {
        return rc;
    }
    answer = reply->evidence_chunk_reply;
    if (answer->received != offset + len) {
        rc = xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL,
                          _("upload the file again"),
                          _("the server confirmed %" PRIu64 " bytes of %s "
                            "instead of %zu"),
                          answer->received, file->path, offset + len);
    }
    state->evidence_id = answer->evidence_id;
    snprintf(state->detected_type, sizeof(state->detected_type), "%s",
             answer->detected_type);
    wire_free(reply);
    return rc;
}

static int
evidence_send_chunks(struct client *client, const struct evidence_file *file,
                     bool quiet, struct evidence_state *state,
                     struct xj_error *err)
{
    size_t chunk_size = evidence_chunk_size(client, state);
    struct progress *bar = NULL;
    size_t offset = 0;
    int rc = 0;

    if (!quiet) {
        bar = progress_new(stderr, file->base_name, file->size);
    }
    while (rc == 0 && offset < file->size && state->evidence_id == 0) {
        size_t len = file->size - offset < chunk_size ? file->size - offset
                                                      : chunk_size;

        rc = evidence_send_chunk(client, file, offset, len, state, err);
        offset += len;
        progress_update(bar, offset);
    }
    progress_finish(bar);
    if (rc == 0 && state->evidence_id == 0) {
        rc = xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL,
                          _("upload the file again"),
                          _("the server received all of %s but returned no "
                            "evidence id"), file->path);
    }
    return rc;
}

int
evidence_upload(struct client *client, const char *path, bool quiet,
                uint64_t *evidence_id, struct xj_error *err)
{
    struct evidence_file file;
    struct evidence_state state;
    const char *slash = strrchr(path, '/');
    char size[32];
    int rc;

    memset(&file, 0, sizeof(file));
    memset(&state, 0, sizeof(state));
    file.path = path;
    file.base_name = slash != NULL ? slash + 1 : path;
    rc = evidence_read(&file, err);
    if (rc == 0) {
        rc = evidence_start(client, &file, &state, err);
    }
    if (rc == 0 && state.evidence_id != 0 && !quiet) {
        printf(_("%s is already stored as evidence %" PRIu64 " (%s); "
                 "nothing was sent.\n"), path, state.evidence_id,
               state.detected_type);
    } else if (rc == 0 && state.evidence_id == 0) {
        rc = evidence_send_chunks(client, &file, quiet, &state, err);
        if (rc == 0 && !quiet) {
            handling_format_size(file.size, size, sizeof(size));
            printf(_("Uploaded %s (%s) as evidence %" PRIu64 ", detected "
                     "type %s.\n"), path, size, state.evidence_id,
                   state.detected_type);
        }
    }
    /* The outcome comes before any error that follows on stderr. */
    fflush(stdout);
    free(file.data);
    if (rc == 0) {
        *evidence_id = state.evidence_id;
    }
    return rc;
}
