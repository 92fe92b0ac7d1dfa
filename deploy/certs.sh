#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Create the TLS files that xuejid and xueji need, with the openssl CLI.
#
#   deploy/certs.sh DIR [HOSTNAME...]
#
# Files in DIR (each is created only if missing, so a second run reuses
# them):
#   ca.pem, ca.key          a private ECDSA P-256 certificate authority
#   server.pem, server.key  the server certificate signed by that CA, with
#                           subjectAltName DNS:localhost, IP:127.0.0.1 and
#                           DNS:HOSTNAME for each host name given
#   client.pem, client.key  a client certificate signed by the same CA, for
#                           deployments that require client certificates
#   other-ca.pem, other-ca.key
#                           an unrelated CA, so tests can check that a client
#                           rejects a server that this CA signed
#
# Keys are mode 0600. Environment: CA_DAYS (default 3650) and CERT_DAYS
# (default 825, the longest validity that Apple platforms accept for TLS
# server certificates) set the validity in days.

set -euo pipefail

readonly CA_DAYS=${CA_DAYS:-3650}
readonly CERT_DAYS=${CERT_DAYS:-825}

prog=${0##*/}

usage() {
    cat <<EOF
Usage: $prog DIR [HOSTNAME...]

Create in DIR, unless they already exist: a P-256 CA (ca.pem, ca.key), a
server certificate signed by it (server.pem, server.key) for localhost,
127.0.0.1 and each HOSTNAME, a client certificate (client.pem, client.key)
and an unrelated CA (other-ca.pem, other-ca.key) for negative tests.
CA_DAYS (default 3650) and CERT_DAYS (default 825) set validity in days.
EOF
}

die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 1
}

note() {
    printf '%s: %s\n' "$prog" "$*" >&2
}

# Fail unless both files of a pair exist or neither does. Returns 0 when
# both exist.
pair_exists() {
    local cert=$1 key=$2
    if [[ -f $cert && -f $key ]]; then
        return 0
    fi
    if [[ -f $cert || -f $key ]]; then
        die "only one of $cert and $key exists; remove it to create a new pair"
    fi
    return 1
}

# Write a new P-256 private key to $1 with mode 0600.
new_key() {
    (umask 077 && openssl genpkey -algorithm EC \
        -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
        -out "$1" 2>/dev/null) || die "openssl genpkey failed for $1"
    chmod 0600 "$1"
}

# Create a self-signed CA: $1 = base name in DIR, $2 = subject common name.
make_ca() {
    local base=$1 cn=$2
    new_key "$tmp/$base.key"
    openssl req -new -x509 -key "$tmp/$base.key" -sha256 -days "$CA_DAYS" \
        -subj "/O=xueji/CN=$cn" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" \
        -out "$tmp/$base.pem" || die "openssl req failed for $cn"
    mv "$tmp/$base.key" "$dir/$base.key"
    mv "$tmp/$base.pem" "$dir/$base.pem"
    note "created $dir/$base.pem (CA \"$cn\", $CA_DAYS days)"
}

# Create a leaf certificate signed by ca.pem: $1 = base name, $2 = common
# name, $3 = extensions text for "openssl x509 -extfile".
make_leaf() {
    local base=$1 cn=$2 extensions=$3
    new_key "$tmp/$base.key"
    openssl req -new -key "$tmp/$base.key" -sha256 -subj "/O=xueji/CN=$cn" \
        -out "$tmp/$base.csr" || die "openssl req failed for $cn"
    printf '%s\n' "$extensions" >"$tmp/$base.ext"

    # A random 128-bit serial, so that no serial file is kept next to the CA.
    openssl x509 -req -in "$tmp/$base.csr" -CA "$dir/ca.pem" \
        -CAkey "$dir/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
        -sha256 -days "$CERT_DAYS" -extfile "$tmp/$base.ext" \
        -out "$tmp/$base.pem" 2>/dev/null || die "openssl x509 failed for $cn"
    mv "$tmp/$base.key" "$dir/$base.key"
    mv "$tmp/$base.pem" "$dir/$base.pem"
    note "created $dir/$base.pem (\"$cn\", $CERT_DAYS days)"
}

# Warn when a reused server certificate lacks a requested host name.
check_server_names() {
    local san name
    san=$(openssl x509 -in "$dir/server.pem" -noout -ext subjectAltName 2>/dev/null) ||
        die "cannot read subjectAltName of $dir/server.pem"
    for name in "${hostnames[@]}"; do
        if ! grep -qF "DNS:$name" <<<"$san"; then
            note "warning: existing $dir/server.pem does not name $name;" \
                "remove server.pem and server.key and run again to add it"
        fi
    done
}

server_extensions() {
    local san="DNS:localhost,IP:127.0.0.1" name
    for name in "${hostnames[@]}"; do
        san+=",DNS:$name"
    done
    cat <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=$san
EOF
}

client_extensions() {
    cat <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
}

main() {
    if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
        usage
        [[ $# -ge 1 ]] && return 0
        exit 2
    fi
    [[ -n $1 ]] || die "DIR must not be empty"
    command -v openssl >/dev/null || die "openssl not found; install the openssl package"

    dir=$1
    shift
    hostnames=("$@")
    local name
    for name in "${hostnames[@]}"; do
        [[ $name =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] ||
            die "invalid host name '$name': use letters, digits, dots and hyphens"
    done
    mkdir -p -- "$dir"
    tmp=$(mktemp -d "$dir/.certs.XXXXXX")
    trap 'rm -rf -- "$tmp"' EXIT

    local ca_created=false
    if pair_exists "$dir/ca.pem" "$dir/ca.key"; then
        note "reusing $dir/ca.pem"
    else
        make_ca ca "xueji CA"
        ca_created=true
    fi

    if pair_exists "$dir/server.pem" "$dir/server.key"; then
        $ca_created && die "$dir/server.pem was signed by an earlier CA;" \
            "remove server.pem and server.key"
        note "reusing $dir/server.pem"
        check_server_names
    else
        make_leaf server "${hostnames[0]:-localhost}" "$(server_extensions)"
    fi

    if pair_exists "$dir/client.pem" "$dir/client.key"; then
        $ca_created && die "$dir/client.pem was signed by an earlier CA;" \
            "remove client.pem and client.key"
        note "reusing $dir/client.pem"
    else
        make_leaf client "xueji client" "$(client_extensions)"
    fi

    if pair_exists "$dir/other-ca.pem" "$dir/other-ca.key"; then
        note "reusing $dir/other-ca.pem"
    else
        make_ca other-ca "xueji unrelated test CA"
    fi

    openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null ||
        die "$dir/server.pem does not verify against $dir/ca.pem"
}

dir=
tmp=
hostnames=()
main "$@"
