#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root):
#   installs what the tests need, builds pullgate, runs every meson suite
#   (unit, e2e, ...), repeats the suites under ASan+UBSan, and runs each
#   fuzzer for a bounded time. Ends with "N passed, M failed"; exits non-zero
#   on any failure. .ci/run runs exactly this.
#
#   FUZZ_SECONDS   seconds per fuzz target (default 20)
#   SKIP_SANITIZERS=1, SKIP_FUZZ=1   for quick local runs only; CI sets neither
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
passed=0
failed=0
failures=()

step() { printf '\n=== %s\n' "$*"; }

# Adds the results of one `meson test` run (its testlog.json) to the totals.
count_meson_results() {
    local log=$1/meson-logs/testlog.json label=$2
    if [[ ! -f $log ]]; then
        failed=$((failed + 1))
        failures+=("$label: no test log")
        return
    fi
    local counts
    counts=$(python3 - "$log" "$label" <<'PY'
import json, sys
ok = bad = 0
names = []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)
    if r.get("result") in ("OK", "EXPECTEDFAIL"):
        ok += 1
    else:
        bad += 1
        names.append(f"{sys.argv[2]}: {r.get('name')} {r.get('result')}")
print(ok, bad)
for n in names:
    print(n)
PY
)
    local first
    first=$(head -n1 <<<"$counts")
    passed=$((passed + ${first% *}))
    failed=$((failed + ${first#* }))
    while IFS= read -r name; do
        [[ -n $name ]] && failures+=("$name")
    done < <(tail -n +2 <<<"$counts")
}

record() { # record NAME COMMAND... : one pass or one failure
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
    fi
}

finish() {
    step "summary"
    for f in "${failures[@]}"; do
        echo "FAILED: $f"
    done
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
    exit $?
}

step "installing packages"
if ! scripts/install-deps.sh --test --bench; then
    failures+=("package installation")
    failed=$((failed + 1))
    finish
fi

step "building (build/)"
if ! scripts/build.sh build; then
    failures+=("build")
    failed=$((failed + 1))
    finish
fi

step "test suites (build/)"
meson test -C build --print-errorlogs --no-rebuild
count_meson_results build "build"

if [[ -z ${SKIP_SANITIZERS:-} ]]; then
    step "building with ASan+UBSan (build-asan/)"
    # -O1, as ASan's documentation suggests: quicker to compile than -O2.
    if scripts/build.sh build-asan -Doptimization=1 -Db_sanitize=address,undefined \
        -Db_lundef=false; then
        step "test suites under ASan+UBSan"
        # A 16 MiB quarantine of freed memory (default 256 MiB) still
        # catches a use after free of anything recent, and keeps ASan's own
        # hoard out of the memory figures the e2e tests assert.
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1:quarantine_size_mb=16 \
            UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            meson test -C build-asan --print-errorlogs --no-rebuild --timeout-multiplier 3 --no-suite bench
        count_meson_results build-asan "asan"
    else
        failures+=("sanitizer build")
        failed=$((failed + 1))
    fi
fi

if [[ -z ${SKIP_FUZZ:-} ]]; then
    step "fuzzers (${FUZZ_SECONDS:-20} s each)"
    record "fuzzers" tests/fuzz/run-fuzzers.sh "${FUZZ_SECONDS:-20}"
fi

cd "$root"
finish
