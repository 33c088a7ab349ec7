#!/usr/bin/env bash
# build.sh DIR [cmake options...]: configures and builds Posture into DIR; every target, or
# only those named in POSTURE_TARGETS ("posture-collector posture-agent").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
mkdir -p "$dir"
# A directory configured before with another compiler (the sanitizer build moved from GCC to
# clang) is configured afresh: CMake cannot change the compiler of an existing cache.
for opt in "$@"; do
  case $opt in
    -DCMAKE_CXX_COMPILER=*)
      want=$(command -v "${opt#*=}" || echo "${opt#*=}")
      have=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$dir/CMakeCache.txt" 2>/dev/null || true)
      if [ -n "$have" ] && [ "$(readlink -f "$have")" != "$(readlink -f "$want")" ]; then
        rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
      fi
      ;;
  esac
done
cmake -S "$root" -B "$dir" -G Ninja "$@" >"$dir/configure.log" 2>&1 || {
  cat "$dir/configure.log" >&2
  exit 1
}
# Two jobs: the machines have two cores, and Boost.Beast units need ~1 GiB each.
read -r -a targets <<<"${POSTURE_TARGETS:-}"
ninja -C "$dir" -j "${POSTURE_JOBS:-2}" "${targets[@]}"
