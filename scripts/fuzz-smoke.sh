#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time, two at a time, and prints one
# summary line per target (runs, coverage, corpus, result). Exits 1 if any target found a
# crash, a panic, a timeout or an out-of-memory; the input is left in fuzz/artifacts/<target>/.
#
#   scripts/fuzz-smoke.sh            # 30 s per target (CI smoke)
#   scripts/fuzz-smoke.sh 600        # 10 minutes per target (development runs)
#   FUZZ_TARGETS="claims intake" FUZZ_JOBS=1 scripts/fuzz-smoke.sh 60
#
# Needs `cargo +nightly fuzz` (cargo-fuzz 0.13 and a nightly toolchain). Without it the
# script says so and exits 0: the same properties run on stable in
# engine/tests/security_props.rs. Builds are release with debug assertions, overflow checks
# and AddressSanitizer (cargo-fuzz's defaults).
set -euo pipefail

secs=${1:-30}
jobs=${FUZZ_JOBS:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: \`cargo +nightly fuzz\` is not available; skipped (engine/tests/security_props.rs covers the same properties on stable)"
    exit 0
fi

targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
logs=${FUZZ_LOG_DIR:-$root/fuzz/target/fuzz-logs}
mkdir -p "$logs"
if command -v python3 >/dev/null 2>&1; then
    python3 seed.py
fi

start=$(date +%s)
cargo +nightly fuzz build >"$logs/build.log" 2>&1 || { tail -40 "$logs/build.log"; exit 1; }
echo "fuzz-smoke: built all targets in $(( $(date +%s) - start )) s"

run() {
    local t=$1 extra=()
    # The structured targets read a policy and requests from the input bytes: give them
    # long inputs from the start instead of libFuzzer's slowly growing length.
    case $t in differential | decide) extra=(-len_control=0 -max_len=4096) ;; esac
    mkdir -p "corpus/$t"
    cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}" \
        >"$logs/$t.log" 2>&1
}

status=0
pids=()
names=()
for t in $targets; do
    run "$t" &
    pids+=($!)
    names+=("$t")
    if [ "${#pids[@]}" -ge "$jobs" ]; then
        wait "${pids[0]}" || true
        pids=("${pids[@]:1}")
    fi
done
wait || true

for t in $targets; do
    log="$logs/$t.log"
    runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 || true)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
    if grep -qE '^==[0-9]+==ERROR|panicked at|deadly signal|ERROR: libFuzzer' "$log"; then
        echo "FAIL $t: $runs; $cov; see $log and fuzz/artifacts/$t/"
        grep -m1 -E 'panicked at|ERROR' "$log" || true
        status=1
    else
        echo "ok   $t: $runs; $cov"
    fi
done
exit $status
