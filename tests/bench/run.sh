#!/usr/bin/env bash
# pullgate's benchmark (issue 5): pullgate, Squid 5 ssl-bump, mitmdump and
# direct, side by side on a loopback registry. One command:
#
#   tests/bench/run.sh [--size-mib N] [--duration S] [--rounds R] [--out FILE] [--quick]
#
# See tests/bench/README.md. Needs scripts/install-deps.sh --test --bench
# and runs as root (the registry listens on port 443; Squid starts as root
# and works as the proxy user). The pullgate binary is $PULLGATE, else
# build/proxy/pullgate. The load tool is compiled here into $BENCH_BUILD_DIR
# (default build-bench/) when its source is newer than the binary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build_dir="${BENCH_BUILD_DIR:-$root/build-bench}"
loadgen="$build_dir/loadgen"

if [[ $EUID -ne 0 ]]; then
    echo "run.sh: run as root (the registry binds port 443; Squid drops to the proxy user)" >&2
    exit 1
fi

mkdir -p "$build_dir"
if [[ ! -x "$loadgen" || "$here/loadgen.cpp" -nt "$loadgen" ]]; then
    echo "building $loadgen" >&2
    g++ -O2 -std=c++20 -Wall -Wextra -o "$loadgen.tmp" "$here/loadgen.cpp" \
        -lssl -lcrypto -pthread
    mv "$loadgen.tmp" "$loadgen"
fi

# 1,000 idle connections need 1,000 descriptors in the client and two
# thousand in each proxy, which inherit this limit.
ulimit -n "$(ulimit -Hn)"

export BENCH_COMMAND="tests/bench/run.sh${*:+ $*}"
export PYTHONDONTWRITEBYTECODE=1
exec python3 "$here/bench.py" --loadgen "$loadgen" "$@"
