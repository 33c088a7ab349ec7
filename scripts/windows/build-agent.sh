#!/usr/bin/env bash
# build-agent.sh [DIR [cmake options...]]: cross-builds the Windows agent (posture-agent.exe, statically
# linked: it needs only DLLs every Windows has) and its MSI into DIR (default build-win).
# Dependencies come from build-deps.sh (cached; the first run takes a while).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/build-win}
shift $(($# > 0 ? 1 : 0))
deps=$("$root/scripts/windows/build-deps.sh")
mkdir -p "$dir"
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64.cmake" -DPOSTURE_WIN_DEPS="$deps" "$@" \
  >"$dir/configure.log" 2>&1 || {
  cat "$dir/configure.log" >&2
  exit 1
}
ninja -C "$dir" -j "${POSTURE_JOBS:-2}" >&2
echo "$dir/agent/posture-agent.exe"
ls "$dir"/posture-agent-*-x64.msi
