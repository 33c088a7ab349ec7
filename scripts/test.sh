#!/usr/bin/env bash
# Installs dependencies, cross-builds the Windows agent and its MSI (build-win/), builds
# Posture twice (optimised with GCC, then with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs every test in both builds; the optimised one also runs
# the Windows agent under Wine. Last, the libFuzzer targets (tests/fuzz/), built in the
# sanitizer build, run for 160 s in all from a fixed libFuzzer seed (reproducible; longer
# campaigns draw their own: tests/fuzz/README.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/install-deps.sh

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

summary=()
status=0
# run_suite NAME DIR CTEST_ARGS CMAKE_OPTIONS...
run_suite() {
  local name=$1 dir=$2 select=$3
  shift 3
  echo "== build ($name)"
  ./scripts/build.sh "$dir" "$@"
  echo "== test ($name)"
  local log="$dir/ctest.log"
  # shellcheck disable=SC2086 # $select is empty or one option and its value
  if ctest --test-dir "$dir" --output-on-failure --timeout 900 $select 2>&1 | tee "$log"; then :; else status=1; fi
  summary+=("$name: $(grep -E 'tests passed|tests failed' "$log" | tail -1)")
}
echo "== build (windows agent, mingw-w64)"
# Warnings are errors in every build of the test command (POSTURE_WERROR).
./scripts/windows/build-agent.sh "$root/build-win" -DPOSTURE_WERROR=ON
run_suite release build "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOSTURE_WERROR=ON \
  -DPOSTURE_WINDOWS_AGENT_DIR="$root/build-win"
# The sanitizer suite is built with clang in the fuzz configuration (cmake/Fuzz.cmake: ASan,
# UBSan and libFuzzer's coverage instrumentation), so the fuzz targets link against the same
# objects as the tests: one sanitizer build instead of two, and clang compiles each unit in
# 25-40% less time than GCC with UBSan. The TLS audit looks at the listeners' TLS settings,
# which the sanitizers do not change: the release suite runs it.
run_suite "asan+ubsan" build-asan "-LE testssl" -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Debug -DPOSTURE_FUZZ=ON -DPOSTURE_WERROR=ON

if POSTURE_FUZZ_SEED=1 ./scripts/fuzz.sh build-asan 160 2>&1 | tee build-asan/fuzz.log; then :; else status=1; fi
summary+=("$(grep -E '^fuzz summary:' build-asan/fuzz.log | tail -1 || echo 'fuzz summary: FAILED before running (see build-asan/fuzz.log)')")

echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
