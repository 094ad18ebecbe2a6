#!/usr/bin/env bash
# Fuzz every untrusted-input reader for a bounded time (libFuzzer, ASan+UBSan; tests/fuzz/):
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default 60 s, every tests/fuzz/fuzz_*.c
# Builds the targets in build-fuzz/ (clang, -DHEMOVK_FUZZ=ON), runs each on a scratch copy of its seed
# corpus tests/fuzz/corpus/<target>/ (the repository is never written), and prints executions and
# executions per second per target. Any crash, sanitizer report, leak or timeout fails the run; the input
# is saved as build-fuzz/crashes/<target>/crash-* — copy it into tests/fuzz/corpus/<target>/ with the fix,
# and the plain and ASan test suites replay it from then on (CTest fuzz.replay_<target>).
# FUZZ_JOBS (default 1) runs that many targets at once; FUZZ_KEEP_CORPUS=DIR keeps the grown corpora;
# FUZZ_RUNS=N also stops each target after N executions (the long runs: FUZZ_RUNS=10000000 with a
# generous time); FUZZ_MAX_LEN (default 65536) bounds an input's size.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }
CC=clang cmake -S . -B "$build" -DHEMOVK_FUZZ=ON -DHEMOVK_BUILD_TESTS=OFF -DHEMOVK_BUILD_BENCH=OFF >/dev/null
if [ $# -gt 0 ]; then targets=("$@"); else
  targets=()
  for f in tests/fuzz/fuzz_*.c; do n=$(basename "$f" .c); targets+=("${n#fuzz_}"); done
fi
cmake --build "$build" -j"$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")

# Scratch: working corpora, the targets' own scratch files (TMPDIR) and logs, removed at the end.
base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
work=$(mktemp -d "$base/hemovk-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Leaks fail a run (libFuzzer checks after each input that allocated); the suppressions are the test
# suite's (Vulkan loader and driver only) where that file exists.
# intercept_tls_get_addr=0: see scripts/test.sh (LeakSanitizer's tracer crash on dynamic TLS).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:intercept_tls_get_addr=0}
[ -f tests/lsan.supp ] && export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
  local t=$1 dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/tmp" "$build/crashes/$t"
  cp tests/fuzz/corpus/"$t"/* "$dir/corpus/"
  local rc=0
  TMPDIR="$dir/tmp" "$build/fuzz/fuzz_$t" "$dir/corpus" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
    -max_len="${FUZZ_MAX_LEN:-65536}" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" >"$dir/log" 2>&1 || rc=$?
  local execs rate
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    echo "fuzz $t: FAILED (exit $rc) after ${execs:-?} executions; input saved in $build/crashes/$t/" >&2
    # -a: FFmpeg's log lines may carry the input's raw bytes, and grep would then print only "binary file matches"
    grep -a -E 'ERROR|SUMMARY|runtime error|Test unit written|==[0-9]+==|^ *#[0-9]+ 0x|^fuzz_' "$dir/log" | head -40 >&2
    tail -60 "$dir/log" > "$build/crashes/$t/last.log"
    # CI keeps only what is printed: a small crashing input goes into the log too, to reproduce it elsewhere
    local unit
    for unit in "$build/crashes/$t"/crash-* "$build/crashes/$t"/leak-* "$build/crashes/$t"/timeout-* "$build/crashes/$t"/oom-*; do
      [ -f "$unit" ] && [ "$(stat -c %s "$unit")" -le 8192 ] || continue
      echo "fuzz $t: $(basename "$unit") as base64 (base64 -d > unit; $build/fuzz/fuzz_$t unit):" >&2
      base64 -w 120 "$unit" >&2
    done
    return 1
  fi
  printf 'fuzz %-16s %12s executions  %8s exec/s  corpus %s -> %s files\n' "$t" "${execs:-?}" "${rate:-?}" \
    "$(ls tests/fuzz/corpus/"$t" | wc -l)" "$(ls "$dir/corpus" | wc -l)"
  if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then mkdir -p "$FUZZ_KEEP_CORPUS/$t" && cp "$dir/corpus"/* "$FUZZ_KEEP_CORPUS/$t/"; fi
}

failed=0
jobs=${FUZZ_JOBS:-1}
running=0
for t in "${targets[@]}"; do
  if [ "$jobs" -le 1 ]; then run_one "$t" || failed=1; continue; fi
  run_one "$t" &
  running=$((running + 1))
  # a slot frees when any target ends (not the oldest: targets run for very different times)
  if [ "$running" -ge "$jobs" ]; then wait -n || failed=1; running=$((running - 1)); fi
done
while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
[ "$failed" -eq 0 ] && echo "fuzz: ${#targets[@]} targets, ${secs} s each, no crash" || echo "fuzz: FAILED (above)" >&2
exit "$failed"
