#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time, for CI and by hand.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS_PER_TARGET]     (default 60)
#
# Builds build-fuzz with clang if it is missing (FUZZ_BUILD_DIR overrides
# the directory), replays tests/fuzz/regressions/<target>/*, then fuzzes
# each target from a copy of its seed corpus in a temporary directory, so a
# run never writes into the repository's corpus. Prints one line per target
# and exits 1 when any target crashed, leaked, timed out or ran out of
# memory (or a regression input failed), 2 when it could not build.
#
# Inputs that fail are kept under tests/fuzz/artifacts/<target>/
# (FUZZ_ARTIFACTS overrides; git ignores the default) for CI to upload.
# Reproduce one with: build-fuzz/tests/fuzz/<target>_fuzzer FILE
set -euo pipefail

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
artifacts=${FUZZ_ARTIFACTS:-$here/artifacts}

# target:max_len. The lengths cover the seeds with room to grow: a config
# file of a few KiB, a header block past the 512-byte limit the
# header_block target also checks, names past the 255-character limit.
targets=(
    classify:4096
    token_scope:1024
    host:512
    config:8192
    header_block:4096
    reference:1024
)

# UBSan only reports and carries on unless told to stop; a fuzzer must stop.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}

if [[ ! -f $build/build.ninja ]]; then
    echo "configuring $build (clang, ASan+UBSan, fuzzers)"
    if ! CC=clang CXX=clang++ meson setup "$build" "$root" -Dfuzzers=true -Dtests=false \
        -Db_sanitize=address,undefined -Db_lundef=false >"$build.setup.log" 2>&1; then
        cat "$build.setup.log" >&2
        exit 2
    fi
fi
if ! ninja -C "$build" fuzzers >/dev/null; then
    ninja -C "$build" fuzzers >&2 || true
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pullgate-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=0
printf '%-13s %-12s %12s  %s\n' target result execs coverage

for entry in "${targets[@]}"; do
    name=${entry%%:*}
    max_len=${entry##*:}
    exe=$build/tests/fuzz/${name}_fuzzer
    kept=$artifacts/$name
    log=$work/$name.log

    # Regressions first, one run each so that every failing file is named.
    replay_failed=()
    if [[ -d $here/regressions/$name ]]; then
        while IFS= read -r -d '' f; do
            if ! "$exe" -timeout=5 -rss_limit_mb=2048 -artifact_prefix="$work/replay-" "$f" \
                >"$work/$name.replay.log" 2>&1; then
                replay_failed+=("$f")
                {
                    echo "    ${f#"$root"/}"
                    grep -E 'invariant failed|context:|ERROR: ' "$work/$name.replay.log" |
                        head -n 3 | sed 's/^/      /'
                } >>"$work/$name.replay.summary"
            fi
        done < <(find "$here/regressions/$name" -type f ! -name '*.md' -print0 | sort -z)
    fi
    if ((${#replay_failed[@]})); then
        failed=1
        printf '%-13s %-12s %12s  %s\n' "$name" regression - \
            "${#replay_failed[@]} file(s) in tests/fuzz/regressions/$name fail:"
        cat "$work/$name.replay.summary"
        continue
    fi

    corpus=$work/corpus/$name
    mkdir -p "$corpus" "$work/artifacts/$name"
    cp -r "$here/corpus/$name/." "$corpus/"
    dict=()
    [[ -f $here/$name.dict ]] && dict=(-dict="$here/$name.dict")

    status=0
    timeout --kill-after=30 $((seconds + 120)) \
        "$exe" "${dict[@]}" -max_total_time="$seconds" -max_len="$max_len" -timeout=5 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$name/" \
        "$corpus" >"$log" 2>&1 || status=$?

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
    result=ok
    if ((status != 0)) || compgen -G "$work/artifacts/$name/*" >/dev/null; then
        failed=1
        if grep -q 'ERROR: LeakSanitizer' "$log"; then
            result=leak
        elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
            result=timeout
        elif grep -qE 'ERROR: libFuzzer: (out-of-memory|malloc limit)' "$log"; then
            result=out-of-memory
        elif ((status == 124 || status == 137)); then
            result=hung
        else
            result=crash
        fi
        mkdir -p "$kept"
        cp "$work/artifacts/$name/"* "$kept/" 2>/dev/null || true
    fi
    printf '%-13s %-12s %12s  %s\n' "$name" "$result" "${execs:--}" "${coverage:--}"
    if [[ $result != ok ]]; then
        grep -E 'invariant failed|context:|ERROR: |SUMMARY|^    #[0-9]+ .* in pullgate::' "$log" |
            head -n 20 | sed 's/^/    /'
        echo "    failing input kept in $kept/"
    fi
done

exit "$failed"
