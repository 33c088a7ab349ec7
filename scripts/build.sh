#!/usr/bin/env bash
# build.sh DIR [cmake options...]: configures and builds Posture into DIR; every target, or
# only those named in POSTURE_TARGETS ("posture-collector posture-agent").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
mkdir -p "$dir"
cmake -S "$root" -B "$dir" -G Ninja "$@" >"$dir/configure.log" 2>&1 || {
  cat "$dir/configure.log" >&2
  exit 1
}
# Two jobs: the machines have two cores, and Boost.Beast units need ~1 GiB each.
read -r -a targets <<<"${POSTURE_TARGETS:-}"
ninja -C "$dir" -j "${POSTURE_JOBS:-2}" "${targets[@]}"
