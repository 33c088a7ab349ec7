#!/usr/bin/env bash
# module_check_test.sh SOURCE_DIR RULES: the collector's module boundary check
# (cmake/CheckModuleIncludes.cmake) passes on the tree, and fails, naming the file and the
# undeclared module, when a module includes one it does not depend on (here storage, the
# bottom of the graph, including the console: a cycle).
set -euo pipefail
src=$1
rules=$2
check=$src/cmake/CheckModuleIncludes.cmake
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake -DROOT="$src" "-DRULES=$rules" -P "$check"
echo "ok: the tree keeps its module boundaries"

mkdir -p "$tmp/tree"
cp -r "$src/collector" "$tmp/tree/"
echo '#include "collector/console/console_api.h"' >>"$tmp/tree/collector/storage/storage.h"
if cmake -DROOT="$tmp/tree" "-DRULES=$rules" -P "$check" >"$tmp/out" 2>&1; then
  echo "FAIL: storage including the console passed the check" >&2
  exit 1
fi
grep -q "collector/storage/storage.h includes collector/console/console_api.h, but module 'storage' does not depend on 'console'" "$tmp/out" || {
  echo "FAIL: the refusal does not name the file and the module:" >&2
  cat "$tmp/out" >&2
  exit 1
}
echo "ok: an undeclared include is refused with its file and module"

cp "$src/collector/storage/storage.h" "$tmp/tree/collector/storage/storage.h"
echo '#include "collector/program.h"' >>"$tmp/tree/collector/org/org.h"
if cmake -DROOT="$tmp/tree" "-DRULES=$rules" -P "$check" >"$tmp/out" 2>&1; then
  echo "FAIL: a module including a top-level collector header passed the check" >&2
  exit 1
fi
grep -q "collector/org/org.h includes collector/program.h, the program's own header" "$tmp/out" || {
  cat "$tmp/out" >&2
  exit 1
}
echo "ok: a module including the program's own header is refused"
