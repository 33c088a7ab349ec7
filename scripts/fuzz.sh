#!/usr/bin/env bash
# fuzz.sh BUILD_DIR TOTAL_SECONDS: builds the libFuzzer targets of tests/fuzz/ with Debian's
# clang (ASan + UBSan) in BUILD_DIR, then runs each target for its share of TOTAL_SECONDS
# from a temporary copy of its corpus (tests/fuzz/corpus/<target>/, plus seed folders of
# the repository listed below, read only): the run never writes into the repository.
# A BUILD_DIR already configured with POSTURE_FUZZ=ON keeps its configuration (the test
# command's sanitizer build, which also holds the tests, is one); any other is configured
# for the fuzz targets alone.
# Prints one line per target (executions, exec/s, coverage, new corpus entries, CPU time)
# and a last line "fuzz summary: ...". Exits 1 on any crash, sanitizer report, leak,
# timeout or out-of-memory, after printing the report, the input's path and its base64.
#
# Environment: POSTURE_FUZZ_TARGETS="json_fuzz ..." runs only those; POSTURE_FUZZ_KEEP=DIR
# keeps the grown corpora, logs and crash inputs in DIR (tests/fuzz/README.md: merging);
# POSTURE_JOBS build jobs (2); POSTURE_FUZZ_SEED=N starts every target from libFuzzer seed N
# (the test command passes 1, so that the same commit explores the same inputs on every
# machine and a failure reproduces; unset, each run draws its own seed, as campaigns should).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ne 2 ] || ! [ "$2" -gt 0 ] 2>/dev/null; then
  echo "usage: fuzz.sh BUILD_DIR TOTAL_SECONDS" >&2
  exit 2
fi
dir=$(mkdir -p "$1" && cd "$1" && pwd)
total=$2

# Every folder of tests/fuzz/corpus is a target of the same name.
if [ -n "${POSTURE_FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$POSTURE_FUZZ_TARGETS"
else
  targets=()
  for d in "$root"/tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
# Files kept elsewhere in the repository that are already inputs of a target.
declare -A seeds=(
  [policy_loader_fuzz]="policies tests/collector/policy/bad"
  [org_import_fuzz]="examples/org"
)

echo "== build (fuzz targets, clang, asan+ubsan) in $dir"
if ! grep -q '^POSTURE_FUZZ:BOOL=ON$' "$dir/CMakeCache.txt" 2>/dev/null; then
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=Debug -DPOSTURE_FUZZ=ON -DPOSTURE_BUILD_TESTS=OFF >"$dir/configure.log" 2>&1 || {
    cat "$dir/configure.log" >&2
    exit 1
  }
fi
ninja -C "$dir" -j "${POSTURE_JOBS:-2}" fuzzers

work=${POSTURE_FUZZ_KEEP:-}
if [ -z "$work" ]; then
  work=$(mktemp -d /tmp/posture-fuzz.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"

share=$((total / ${#targets[@]}))
[ "$share" -ge 1 ] || share=1
# Reports stop the run at the first error; leaks count as errors.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TIMEFORMAT='%U %S'

# final_stat NAME LOG: a value of libFuzzer's -print_final_stats, or nothing.
final_stat() { grep -m1 "^stat::$1:" "$2" | awk '{print $2}' || true; }

failed=()
executions=0
echo "== fuzz: ${#targets[@]} targets, ${share} s each"
for t in "${targets[@]}"; do
  bin="$dir/tests/fuzz/$t"
  out="$work/$t"
  rm -rf "$out"
  mkdir -p "$out/corpus" "$out/artifacts"
  cp -r "$root/tests/fuzz/corpus/$t/." "$out/corpus/"
  extra=()
  for s in ${seeds[$t]:-}; do extra+=("$root/$s"); done
  before=$(find "$out/corpus" -type f | wc -l)
  rc=0
  {
    time "$bin" ${POSTURE_FUZZ_SEED:+-seed="$POSTURE_FUZZ_SEED"} -max_total_time="$share" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/" "$out/corpus" "${extra[@]}" >"$out/fuzz.log" 2>&1
  } 2>"$out/cpu" || rc=$?
  after=$(find "$out/corpus" -type f | wc -l)
  runs=$(final_stat number_of_executed_units "$out/fuzz.log")
  speed=$(final_stat average_exec_per_sec "$out/fuzz.log")
  cov=$(grep -E '^#[0-9]+.* cov: ' "$out/fuzz.log" | tail -1 | sed -E 's/.* cov: ([0-9]+) ft: ([0-9]+).*/\1 edges, \2 features/' || true)
  cpu=$(tail -n 1 "$out/cpu" | awk '{printf "%.1f", $1 + $2}' || echo "?")
  printf '%-24s %10s executions %7s exec/s  coverage %s  corpus %d -> %d (+%d new)  cpu %s s\n' \
    "$t" "${runs:-?}" "${speed:-?}" "${cov:-?}" "$before" "$after" "$((after - before))" "$cpu"
  [[ "${runs:-}" =~ ^[0-9]+$ ]] && executions=$((executions + runs))
  crashes=$(find "$out/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | sort)
  if [ "$rc" -ne 0 ] || [ -n "$crashes" ]; then
    failed+=("$t")
    echo "-- $t FAILED (exit $rc); the end of its log ($out/fuzz.log):"
    grep -v -E '^#[0-9]+' "$out/fuzz.log" | tail -60
    for c in $crashes; do
      echo "-- input: $c ($(stat -c %s "$c") bytes); reproduce with: $bin $c"
      echo "-- its base64:"
      base64 -w 0 "$c"
      echo
    done
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz summary: FAILED ${failed[*]} (${#targets[@]} targets, $executions executions)"
  # Keep what the failure needs to be reproduced.
  trap - EXIT
  echo "inputs and logs kept in $work"
  exit 1
fi
echo "fuzz summary: ${#targets[@]} targets, $executions executions in ${total} s, no crash"
