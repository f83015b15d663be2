#!/usr/bin/env bash
# Builds pullgate into BUILD_DIR (default: build) -> BUILD_DIR/proxy/pullgate.
# The one build recipe: the README, CI (scripts/test-all.sh) and
# docker/Dockerfile all run this script, so they build the same thing.
#   scripts/build.sh [BUILD_DIR] [extra meson options...]
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
# -O2 without debug information and with NDEBUG: optimised like a release,
# and quicker to compile than debugoptimized (coroutine-heavy units compile
# a third faster). Spelled as the three options rather than
# --buildtype=release, which a reconfigure would apply after
# -Doptimization and so turn into -O3.
options=(-Ddebug=false -Doptimization=2 -Db_ndebug=true "$@")
if [[ -f "$build_dir/build.ninja" ]]; then
    setup=(meson setup --reconfigure "$build_dir" "${options[@]}")
else
    setup=(meson setup "$build_dir" "${options[@]}")
fi
# Quiet when it works; the whole output when it does not.
if ! log=$("${setup[@]}" 2>&1); then
    printf '%s\n' "$log" >&2
    echo "scripts/build.sh: meson setup failed (above)" >&2
    exit 1
fi
meson compile -C "$build_dir"
