#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages that building, testing and running xueji
# need, and only those that are missing. Runs apt-get as root, through
# sudo for other users.
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    libevent-dev libpq-dev libprotobuf-c-dev protobuf-c-compiler libssl-dev
    libargon2-dev libinih-dev libicu-dev libjson-c-dev libmagic-dev
    libcsv-dev libcmocka-dev gettext
    postgresql postgresql-client openssl python3 util-linux
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
        grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Installing: ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    echo "packages missing and not root: install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
