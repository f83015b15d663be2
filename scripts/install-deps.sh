#!/usr/bin/env bash
# Installs every Debian package pullgate needs to build (and, with --test,
# to run its test suite; with --bench, to run tests/bench/run.sh, whose
# peers are Squid with ssl-bump and mitmproxy). Idempotent: packages already
# present are skipped by apt itself. Debian 12 packages only; nothing is
# downloaded from elsewhere.
#
#   scripts/install-deps.sh [--test] [--bench]
set -euo pipefail

build_packages=(
    build-essential pkg-config meson ninja-build
    libboost1.81-dev libboost-json1.81-dev libssl-dev libyaml-cpp-dev libfmt-dev doctest-dev
    ca-certificates openssl
)
test_packages=(
    docker-registry skopeo podman docker.io containerd curl jq
    python3 python3-yaml haproxy iproute2 util-linux procps
    clang libclang-rt-14-dev clang-format
)

bench_packages=(
    squid-openssl mitmproxy docker-registry skopeo curl openssl python3
)

want=("${build_packages[@]}")
for arg in "$@"; do
    case "$arg" in
        --test) want+=("${test_packages[@]}") ;;
        --bench) want+=("${bench_packages[@]}") ;;
        *) echo "usage: $0 [--test] [--bench]" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
