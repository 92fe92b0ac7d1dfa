/* SPDX-License-Identifier: MIT */
/*
 * xueji evidence get: downloads an evidence file in chunks, verifies its
 * SHA-256 against the server's and writes it atomically (temporary file,
 * fsync, rename). Which files an account may see is the server's decision.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "evidence.h"
#include "handling.h"
#include "i18n.h"
#include "progress.h"

#define EVIDENCE_GET_SHA256_LEN 32

static const char evidence_usage[] = N_(
    "usage: xueji evidence get EVIDENCE_ID -o FILE [--force]\n"
    "\n"
    "Downloads an evidence file of a case you may see, verifies its SHA-256\n"
    "and writes it to FILE. Case details list the evidence ids.\n"
    "  -o, --output FILE   where to write the file (required)\n"
    "  --force             replace FILE if it exists\n");

struct evidence_get {
    uint64_t evidence_id;
    const char *path;
    bool force;
    char temp_path[4096];
    int fd;
    EVP_MD_CTX *digest;
    uint64_t size;              /* from the first reply */
    uint64_t received;
    unsigned char sha256[EVIDENCE_GET_SHA256_LEN];
    char file_name[256];
    char detected_type[128];
};

static int
evidence_get_parse(int argc, char **argv, struct evidence_get *get)
{
    if (argc < 1 || strcmp(argv[0], "get") != 0) {
        fputs(_(evidence_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
            i + 1 < argc && argv[i + 1][0] != '\0') {
            get->path = argv[++i];
        } else if (strcmp(argv[i], "--force") == 0) {
            get->force = true;
        } else if (argv[i][0] != '-' && get->evidence_id == 0) {
            if (!handling_parse_id(argv[i], _("evidence id"),
                                   &get->evidence_id)) {
                return CLIENT_EXIT_USAGE;
            }
        } else {
            return cmd_unexpected_argument(argv[i], evidence_usage);
        }
    }
    if (get->evidence_id == 0 || get->path == NULL) {
        fputs(_(evidence_usage), stderr);
        return CLIENT_EXIT_USAGE;
    }
    if (!get->force && access(get->path, F_OK) == 0) {
        fprintf(stderr, _("xueji: %s exists; choose another name or add "
                          "--force to replace it\n"), get->path);
        return CLIENT_EXIT_USAGE;
    }
    return 0;
}

/* Creates the temporary file next to the target, so rename is atomic. */
static int
evidence_get_open(struct evidence_get *get, struct xj_error *err)
{
    snprintf(get->temp_path, sizeof(get->temp_path), "%s.XXXXXX", get->path);
    get->fd = mkstemp(get->temp_path);
    if (get->fd < 0) {
        get->temp_path[0] = '\0';
        return xj_error_set(err, XJ_ERR_IO, "output", get->path,
                            _("check that the directory exists and is "
                              "writable"),
                            _("cannot create a file next to %s: %s"),
                            get->path, strerror(errno));
    }
    get->digest = EVP_MD_CTX_new();
    if (get->digest == NULL ||
        EVP_DigestInit_ex(get->digest, EVP_sha256(), NULL) != 1) {
        return xj_error_set(err, XJ_ERR_INTERNAL, NULL, NULL, NULL,
                            _("cannot start a SHA-256 digest"));
    }
    return 0;
}

/* Checks a reply against what came before and stores the first one's
 * details. */
static int
evidence_get_check_reply(struct evidence_get *get,
                         const Xueji__V1__EvidenceGetReply *reply,
                         struct xj_error *err)
{
    if (get->received == 0) {
        if (reply->sha256.len != EVIDENCE_GET_SHA256_LEN ||
            reply->size > EVIDENCE_MAX_FILE_SIZE) {
            return xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL, NULL,
                                _("the server described evidence %" PRIu64
                                  " with an invalid size or digest"),
                                get->evidence_id);
        }
        get->size = reply->size;
        memcpy(get->sha256, reply->sha256.data, EVIDENCE_GET_SHA256_LEN);
        snprintf(get->file_name, sizeof(get->file_name), "%s",
                 reply->file_name);
        snprintf(get->detected_type, sizeof(get->detected_type), "%s",
                 reply->detected_type);
    }
    if (reply->offset != get->received || reply->size != get->size ||
        (reply->data.len == 0 && get->received < get->size) ||
        reply->data.len > get->size - get->received) {
        return xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL,
                            _("run the command again"),
                            _("the server sent a chunk of evidence %" PRIu64
                              " that does not fit at byte %" PRIu64),
                            get->evidence_id, get->received);
    }
    return 0;
}

static int
evidence_get_write(struct evidence_get *get, const uint8_t *data, size_t len,
                   struct xj_error *err)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(get->fd, data + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return xj_error_set(err, XJ_ERR_IO, "output", get->path,
                                _("check the free space"),
                                _("cannot write %s: %s"), get->temp_path,
                                strerror(errno));
        }
        done += (size_t)n;
    }
    if (EVP_DigestUpdate(get->digest, data, len) != 1) {
        return xj_error_set(err, XJ_ERR_INTERNAL, NULL, NULL, NULL,
                            _("cannot compute the SHA-256"));
    }
    get->received += len;
    return 0;
}

/* Requests chunks until the whole file arrived. */
static int
evidence_get_fetch(struct client *client, struct evidence_get *get,
                   struct xj_error *err)
{
    wire_envelope request = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__EvidenceGetRequest fetch = XUEJI__V1__EVIDENCE_GET_REQUEST__INIT;
    struct progress *bar = NULL;
    int rc = 0;

    fetch.evidence_id = get->evidence_id;
    request.body_case = XUEJI__V1__ENVELOPE__BODY_EVIDENCE_GET;
    request.evidence_get = &fetch;
    do {
        wire_envelope *reply = NULL;

        fetch.offset = get->received;
        rc = handling_call(client, &request,
                           XUEJI__V1__ENVELOPE__BODY_EVIDENCE_GET_REPLY,
                           &reply, err);
        if (rc == 0) {
            rc = evidence_get_check_reply(get, reply->evidence_get_reply, err);
        }
        if (rc == 0) {
            rc = evidence_get_write(get, reply->evidence_get_reply->data.data,
                                    reply->evidence_get_reply->data.len, err);
        }
        wire_free(reply);
        if (bar == NULL && rc == 0 && !client->settings->json) {
            bar = progress_new(stderr, get->path, get->size);
        }
        progress_update(bar, get->received);
    } while (rc == 0 && get->received < get->size);
    progress_finish(bar);
    return rc;
}

/* Verifies the digest, then syncs and renames the temporary file. */
static int
evidence_get_finish(struct evidence_get *get, struct xj_error *err)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;

    if (EVP_DigestFinal_ex(get->digest, digest, &digest_len) != 1 ||
        digest_len != EVIDENCE_GET_SHA256_LEN ||
        memcmp(digest, get->sha256, EVIDENCE_GET_SHA256_LEN) != 0) {
        return xj_error_set(err, XJ_ERR_PROTOCOL, NULL, NULL,
                            _("run the command again; if it fails again, "
                              "tell the operator"),
                            _("the SHA-256 of the downloaded evidence %" PRIu64
                              " does not match the server's"),
                            get->evidence_id);
    }
    if (fsync(get->fd) != 0 || close(get->fd) != 0) {
        get->fd = -1;
        return xj_error_set(err, XJ_ERR_IO, "output", get->path, NULL,
                            _("cannot write %s: %s"), get->temp_path,
                            strerror(errno));
    }
    get->fd = -1;
    if (renameat2(AT_FDCWD, get->temp_path, AT_FDCWD, get->path,
                  get->force ? 0 : RENAME_NOREPLACE) != 0) {
        return xj_error_set(err, XJ_ERR_IO, "output", get->path,
                            errno == EEXIST ? _("choose another name or add "
                                                "--force to replace it")
                                            : NULL,
                            _("cannot write %s: %s"), get->path,
                            strerror(errno));
    }
    get->temp_path[0] = '\0';
    return 0;
}

static void
evidence_get_print(const struct client_settings *settings,
                   const struct evidence_get *get)
{
    json_object *obj;
    char size[32];

    if (!settings->json) {
        handling_format_size(get->size, size, sizeof(size));
        printf(_("Wrote %s: evidence %" PRIu64 " \"%s\", %s, %s, SHA-256 "
                 "verified.\n"), get->path, get->evidence_id, get->file_name,
               get->detected_type, size);
        return;
    }
    obj = json_object_new_object();
    json_object_object_add(obj, "evidence_id",
                           json_object_new_uint64(get->evidence_id));
    json_object_object_add(obj, "output", json_object_new_string(get->path));
    json_object_object_add(obj, "file_name",
                           json_object_new_string(get->file_name));
    json_object_object_add(obj, "detected_type",
                           json_object_new_string(get->detected_type));
    json_object_object_add(obj, "size", json_object_new_uint64(get->size));
    handling_print_json(obj);
    json_object_put(obj);
}

int
cmd_evidence(const struct client_settings *settings, int argc, char **argv)
{
    struct evidence_get get;
    struct client client;
    struct xj_error err;
    int rc;

    if (cmd_wants_help(argc, argv, _(evidence_usage))) {
        return CLIENT_EXIT_OK;
    }
    memset(&get, 0, sizeof(get));
    get.fd = -1;
    rc = evidence_get_parse(argc, argv, &get);
    if (rc != 0) {
        return rc;
    }
    xj_error_clear(&err);
    /* The output file is created first, so that a bad path fails before
     * the password is asked for. */
    rc = evidence_get_open(&get, &err);
    if (rc == 0) {
        rc = client_open(&client, settings, &err);
        if (rc == 0) {
            rc = evidence_get_fetch(&client, &get, &err);
        }
        client_close(&client);
    }
    if (rc == 0) {
        rc = evidence_get_finish(&get, &err);
    }
    if (get.fd >= 0) {
        close(get.fd);
    }
    if (get.temp_path[0] != '\0') {
        unlink(get.temp_path);
    }
    EVP_MD_CTX_free(get.digest);
    if (rc < 0) {
        client_print_error(&err);
        /* The output file is local: failing to write it is no network
         * fault. */
        if (rc == XJ_ERR_IO && strcmp(err.field, "output") == 0) {
            return CLIENT_EXIT_FINDINGS;
        }
        return client_exit_for(rc);
    }
    evidence_get_print(settings, &get);
    return CLIENT_EXIT_OK;
}
