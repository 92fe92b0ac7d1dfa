/* SPDX-License-Identifier: MIT */
/* The [xuejid] configuration keys: this table is their documentation. */
#include <stddef.h>

#include "server.h"

#define KEY_STRING(name, def, help) \
    {#name, CONFIG_STRING, offsetof(struct server_config, name), def, 0, 0, help}
#define KEY_INT(name, def, min, max, help) \
    {#name, CONFIG_INT, offsetof(struct server_config, name), def, min, max, help}

const struct config_key server_config_keys[] = {
    KEY_STRING(listen_address, "127.0.0.1",
               "address to listen on (IPv4 or IPv6 literal)"),
    KEY_INT(port, "7631", 1, 65535, "TCP port for TLS connections"),
    KEY_STRING(tls_cert, "/etc/xueji/server.pem",
               "server certificate chain, PEM"),
    KEY_STRING(tls_key, "/etc/xueji/server.key", "server private key, PEM"),
    KEY_STRING(tls_client_ca, "",
               "CA file that verifies optional client certificates; empty: none"),
    KEY_STRING(database, "dbname=xueji",
               "libpq connection string of the PostgreSQL primary"),
    KEY_INT(db_pool_size, "4", 1, 256,
            "database connections (one thread each) shared by all workers"),
    KEY_INT(workers, "2", 1, 64, "event-loop threads serving connections"),
    KEY_INT(max_connections, "10000", 1, 1000000,
            "connections held at once; more are closed before the TLS handshake"),
    KEY_INT(max_frame_size, "4194304", 1024, 268435456,
            "largest frame accepted, bytes; larger ones close the connection"),
    KEY_INT(idle_timeout, "300", 1, 86400,
            "seconds a logged-in connection may stay silent before it is closed"),
    KEY_INT(handshake_timeout, "10", 1, 600,
            "seconds allowed for the TLS handshake and the first request"),
    KEY_INT(shutdown_timeout, "10", 0, 3600,
            "seconds in-flight requests get to finish after SIGTERM"),
    KEY_INT(max_batch_rows, "5000", 1, 100000, "rows accepted in one import batch"),
    KEY_STRING(log_level, "info", "error, warning, notice, info or debug"),
    KEY_INT(stats_interval, "60", 0, 86400,
            "seconds between statistics lines in the log; 0: never"),
    KEY_INT(evidence_max_size, "2097152", 1024, 67108864,
            "largest evidence file accepted, bytes"),
    KEY_STRING(evidence_types,
               "application/msword,"
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
               "application/x-rar,application/vnd.rar,image/jpeg,image/png",
               "comma-separated MIME types accepted as evidence, detected by content"),
    KEY_INT(evidence_chunk_size, "262144", 4096, 1048576,
            "bytes per evidence upload chunk; must fit in max_frame_size"),
    {NULL, CONFIG_STRING, 0, NULL, 0, 0, NULL},
};
