/* SPDX-License-Identifier: MIT */
/*
 * Evidence upload and download. An upload is declared with its size and
 * SHA-256; a file already stored is not sent again. Chunks are kept in
 * memory on the connection (at most evidence_max_size bytes, one upload
 * per connection); when the last arrives the checksum is verified and the
 * type is detected from the content with libmagic. A renamed file is thus
 * judged by what it is, not by its name.
 */
#include "evidence.h"

#include <magic.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "handlers.h"
#include "request_job.h"
#include "server.h"
#include "text.h"

#define EVIDENCE_GET_DEFAULT (256 * 1024)
#define EVIDENCE_GET_MAX (1024 * 1024)

void
evidence_upload_free(struct evidence_upload *upload)
{
    if (upload != NULL) {
        free(upload->data);
        free(upload);
    }
}

void
evidence_worker_free(struct worker *worker)
{
    if (worker->magic != NULL) {
        magic_close(worker->magic);
        worker->magic = NULL;
    }
}

/* Returns the MIME type of data, or NULL when libmagic fails. libmagic
 * handles are not thread-safe, so each worker thread opens its own. */
static const char *
evidence_detect(struct worker *worker, const unsigned char *data, size_t size)
{
    if (worker->magic == NULL) {
        worker->magic = magic_open(MAGIC_MIME_TYPE);
        if (worker->magic == NULL || magic_load(worker->magic, NULL) != 0) {
            log_error("cannot load the libmagic database error=\"%s\"",
                      worker->magic ? magic_error(worker->magic) : "no memory");
            evidence_worker_free(worker);
            return NULL;
        }
    }
    return magic_buffer(worker->magic, data, size);
}

/* Tells whether type is in the comma-separated list allowed. */
static bool
evidence_type_is_allowed(const char *allowed, const char *type)
{
    size_t len = strlen(type);
    const char *p = allowed;

    while (*p != '\0') {
        size_t item = strcspn(p, ",");

        if (item == len && strncmp(p, type, len) == 0) {
            return true;
        }
        p += item;
        p += *p == ',';
    }
    return false;
}

static void
evidence_start_done(struct request_job *job)
{
    struct evidence_upload *upload = job->data;
    Xueji__V1__EvidenceUploadReply *reply = job->reply.evidence_upload_reply;

    if (reply->evidence_id == 0) {
        /* Nothing is stored yet: the connection takes the upload over. */
        evidence_upload_free(job->conn->upload);
        job->conn->upload = upload;
        job->data = NULL;
    }
}

/* Looks up a declared file among those the organisation uploaded before,
 * so that it is not sent again. A file that only another organisation
 * uploaded must be sent in full: knowing its SHA-256 is no proof of
 * having it, and ownership lets the organisation download it. */
static void
evidence_start_run(struct request_job *job, struct db_session *session)
{
    struct evidence_upload *upload = job->data;
    char org[24], sha[65];
    const char *params[2] = {sha, request_job_id(org, job->org_id)};
    Xueji__V1__EvidenceUploadReply *reply;
    PGresult *res;

    for (int i = 0; i < 32; i++) {
        snprintf(sha + 2 * i, 3, "%02x", upload->sha256[i]);
    }
    res = request_job_keep(job, db_query(
        session->pg, "evidence lookup",
        "SELECT e.id, e.detected_type FROM evidence e"
        " JOIN evidence_owner o ON o.evidence_id = e.id"
        " AND o.org_id = $2::bigint"
        " WHERE e.sha256 = decode($1, 'hex')", 2, params));
    reply = arena_alloc(&job->arena, sizeof(*reply));
    if (res == NULL || reply == NULL) {
        return;
    }
    xueji__v1__evidence_upload_reply__init(reply);
    if (PQntuples(res) == 1) {
        reply->evidence_id = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        reply->detected_type = PQgetvalue(res, 0, 1);
    } else {
        reply->upload_id = upload->id;
        reply->chunk_size =
            (uint32_t)job->conn->worker->server->config.evidence_chunk_size;
    }
    job->reply.body_case = XUEJI__V1__ENVELOPE__BODY_EVIDENCE_UPLOAD_REPLY;
    job->reply.evidence_upload_reply = reply;
}

void
handle_evidence_upload_start(struct conn *conn, wire_envelope *env)
{
    const Xueji__V1__EvidenceUploadStart *start = env->evidence_upload_start;
    const struct server_config *config = &conn->worker->server->config;
    const char *base = strrchr(start->file_name, '/');
    struct evidence_upload *upload;
    struct request_job *job;
    uint64_t id = env->request_id;

    base = base != NULL ? base + 1 : start->file_name;
    if (start->size == 0 || start->sha256.len != 32 || strlen(base) > 255 ||
        !text_is_utf8(base, strlen(base))) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "size", "declare the size, a 32-byte SHA-256 and a "
                      "UTF-8 file name", "invalid evidence upload declaration");
        return;
    }
    if (start->size > (uint64_t)config->evidence_max_size) {
        clog_info(conn, "evidence upload rejected reason=\"too large\" "
                  "size=%llu evidence_max_size=%ld",
                  (unsigned long long)start->size, config->evidence_max_size);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_TOO_LARGE,
                      "size", "make the file smaller (scan at a lower "
                      "resolution, or split it) and upload again",
                      "evidence file %.100s has %llu bytes, more than "
                      "evidence_max_size %ld bytes", base,
                      (unsigned long long)start->size,
                      config->evidence_max_size);
        wire_free(env);
        return;
    }
    upload = calloc(1, sizeof(*upload));
    if (upload == NULL) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
                      NULL, NULL, "out of memory");
        return;
    }
    upload->id = ++conn->worker->next_upload_id;
    upload->size = (size_t)start->size;
    snprintf(upload->file_name, sizeof(upload->file_name), "%s", base);
    memcpy(upload->sha256, start->sha256.data, 32);
    job = request_job_new(conn, env, evidence_start_run);
    if (job == NULL) {
        evidence_upload_free(upload);
        return;
    }
    job->data = upload;
    job->data_free = (void (*)(void *))evidence_upload_free;
    job->on_success = evidence_start_done;
    request_job_queue(job);
}

static void
evidence_store_run(struct request_job *job, struct db_session *session)
{
    struct evidence_upload *upload = job->data;
    Xueji__V1__EvidenceChunkReply *reply;
    char account[24], org[24], size[24];
    const char *params[6] = {(const char *)upload->sha256, size,
                             upload->detected_type, upload->file_name,
                             (const char *)upload->data,
                             request_job_id(account, job->account_id)};
    int lengths[6] = {32, 0, 0, 0, (int)upload->size, 0};
    int formats[6] = {1, 0, 0, 0, 1, 0};
    const char *owner[2] = {NULL, request_job_id(org, job->org_id)};
    PGresult *res;

    snprintf(size, sizeof(size), "%zu", upload->size);
    res = PQexecParams(session->pg,
                       "INSERT INTO evidence (sha256, size, detected_type,"
                       " file_name, data, uploaded_by)"
                       " VALUES ($1, $2::int, $3, $4, $5, $6::bigint)"
                       " ON CONFLICT (sha256) DO UPDATE SET sha256 = EXCLUDED.sha256"
                       " RETURNING id, detected_type",
                       6, NULL, params, lengths, formats, 0);
    if (!db_result_ok(session->pg, res, "evidence store")) {
        PQclear(res);
        request_job_db_fail(job, session->pg);
        return;
    }
    request_job_keep(job, res);
    owner[0] = PQgetvalue(res, 0, 0);
    PQclear(db_query(session->pg, "evidence owner",
                     "INSERT INTO evidence_owner (evidence_id, org_id)"
                     " VALUES ($1::bigint, $2::bigint) ON CONFLICT DO NOTHING",
                     2, owner));
    reply = arena_alloc(&job->arena, sizeof(*reply));
    if (reply == NULL) {
        return;
    }
    xueji__v1__evidence_chunk_reply__init(reply);
    reply->received = upload->size;
    reply->evidence_id = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    reply->detected_type = PQgetvalue(res, 0, 1);
    request_job_log_id(job, "evidence", (int64_t)reply->evidence_id);
    job->reply.body_case = XUEJI__V1__ENVELOPE__BODY_EVIDENCE_CHUNK_REPLY;
    job->reply.evidence_chunk_reply = reply;
    job->log_action = "evidence stored";
}

/* Checks a complete upload and queues it for storage; replies itself on
 * failure. Takes the upload over from the connection. */
static void
evidence_finish(struct conn *conn, wire_envelope *env)
{
    struct evidence_upload *upload = conn->upload;
    const struct server_config *config = &conn->worker->server->config;
    unsigned char digest[32];
    unsigned int digest_len = 0;
    uint64_t id = env->request_id;
    const char *type;
    struct request_job *job;

    conn->upload = NULL;
    EVP_Digest(upload->data, upload->size, digest, &digest_len, EVP_sha256(),
               NULL);
    type = evidence_detect(conn->worker, upload->data, upload->size);
    if (digest_len != 32 || memcmp(digest, upload->sha256, 32) != 0) {
        clog_info(conn, "evidence upload rejected upload_id=%llu "
                  "reason=\"SHA-256 does not match\" size=%zu",
                  (unsigned long long)upload->id, upload->size);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "sha256", "upload the file again",
                      "evidence file %.100s arrived damaged: its SHA-256 does "
                      "not match", upload->file_name);
    } else if (type == NULL ||
               !evidence_type_is_allowed(config->evidence_types, type)) {
        clog_info(conn, "evidence upload rejected upload_id=%llu "
                  "reason=\"type not accepted\" type=\"%s\" size=%zu",
                  (unsigned long long)upload->id, type ? type : "unknown",
                  upload->size);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "data", "upload a Word document (.doc, .docx), a RAR "
                      "archive, a JPEG or a PNG image",
                      "evidence file %.100s is %s, which is not an accepted "
                      "type", upload->file_name, type ? type : "of unknown type");
    } else {
        job = request_job_new(conn, env, evidence_store_run);
        if (job == NULL) {
            evidence_upload_free(upload);
            return;
        }
        /* libmagic reuses its buffer, so the type is copied now. */
        snprintf(upload->detected_type, sizeof(upload->detected_type), "%s",
                 type);
        job->data = upload;
        job->data_free = (void (*)(void *))evidence_upload_free;
        request_job_queue(job);
        return;
    }
    evidence_upload_free(upload);
    wire_free(env);
}

void
handle_evidence_chunk(struct conn *conn, wire_envelope *env)
{
    const Xueji__V1__EvidenceChunk *chunk = env->evidence_chunk;
    struct evidence_upload *upload = conn->upload;
    wire_envelope reply = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__EvidenceChunkReply body = XUEJI__V1__EVIDENCE_CHUNK_REPLY__INIT;
    uint64_t id = env->request_id;

    if (upload == NULL || chunk->upload_id != upload->id ||
        chunk->offset != upload->received || chunk->data.len == 0 ||
        chunk->data.len > upload->size - upload->received) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                      "offset", "start the upload again",
                      "evidence chunk does not continue the upload in progress");
        return;
    }
    if (upload->data == NULL && (upload->data = malloc(upload->size)) == NULL) {
        wire_free(env);
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
                      NULL, NULL, "out of memory");
        return;
    }
    memcpy(upload->data + upload->received, chunk->data.data, chunk->data.len);
    upload->received += chunk->data.len;
    if (upload->received == upload->size) {
        evidence_finish(conn, env);
        return;
    }
    wire_free(env);
    body.received = upload->received;
    reply.request_id = id;
    reply.body_case = XUEJI__V1__ENVELOPE__BODY_EVIDENCE_CHUNK_REPLY;
    reply.evidence_chunk_reply = &body;
    handler_reply(conn, &reply);
}

static void
evidence_get_run(struct request_job *job, struct db_session *session)
{
    const Xueji__V1__EvidenceGetRequest *request = job->request->evidence_get;
    unsigned length = request->length == 0 ? EVIDENCE_GET_DEFAULT
                      : request->length > EVIDENCE_GET_MAX ? EVIDENCE_GET_MAX
                                                           : request->length;
    char org[24], id[24], offset[24], length_text[16];
    const char *params[4] = {request_job_id(org, job->org_id),
                             request_job_id(id, (int64_t)request->evidence_id),
                             offset, length_text};
    Xueji__V1__EvidenceGetReply *reply;
    unsigned char *data, *digest;
    size_t data_len = 0, digest_len = 0;
    PGresult *res;

    snprintf(offset, sizeof(offset), "%llu",
             (unsigned long long)request->offset);
    snprintf(length_text, sizeof(length_text), "%u", length);
    request_job_log_id(job, "evidence", (int64_t)request->evidence_id);
    res = request_job_keep(job, db_query(
        session->pg, "evidence get",
        CASES_SCOPE_SQL
        " SELECT e.file_name, e.detected_type, e.size, e.sha256,"
        " substring(e.data FROM ($3::bigint + 1)::int FOR $4::int)"
        " FROM evidence e WHERE e.id = $2::bigint AND (EXISTS ("
        " SELECT 1 FROM evidence_owner o WHERE o.evidence_id = e.id"
        " AND o.org_id = $1) OR EXISTS (SELECT 1 FROM case_evidence ce"
        " JOIN handling_case c ON c.id = ce.case_id"
        " WHERE ce.evidence_id = e.id"
        " AND c.school_id IN (SELECT id FROM scope WHERE kind = 'school')))",
        4, params));
    if (res == NULL) {
        return;
    }
    if (PQntuples(res) != 1) {
        request_job_fail(job, XUEJI__V1__ERROR_CODE__ERROR_CODE_NOT_FOUND,
                         "evidence_id", "take the id from xueji review show",
                         "evidence %llu is not a file you may see",
                         (unsigned long long)request->evidence_id);
        return;
    }
    reply = arena_alloc(&job->arena, sizeof(*reply));
    digest = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 3),
                             &digest_len);
    data = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 4),
                           &data_len);
    if (reply != NULL && digest != NULL && data != NULL) {
        xueji__v1__evidence_get_reply__init(reply);
        reply->evidence_id = request->evidence_id;
        reply->file_name = PQgetvalue(res, 0, 0);
        reply->detected_type = PQgetvalue(res, 0, 1);
        reply->size = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
        reply->offset = request->offset;
        reply->sha256.data = arena_alloc(&job->arena, digest_len);
        reply->data.data = arena_alloc(&job->arena, data_len);
        if (reply->sha256.data != NULL && reply->data.data != NULL) {
            memcpy(reply->sha256.data, digest, digest_len);
            reply->sha256.len = digest_len;
            memcpy(reply->data.data, data, data_len);
            reply->data.len = data_len;
        }
        job->reply.body_case = XUEJI__V1__ENVELOPE__BODY_EVIDENCE_GET_REPLY;
        job->reply.evidence_get_reply = reply;
    } else {
        job->arena.failed = 1;
    }
    PQfreemem(digest);
    PQfreemem(data);
}

void
handle_evidence_get(struct conn *conn, wire_envelope *env)
{
    request_job_submit(conn, env, evidence_get_run);
}
