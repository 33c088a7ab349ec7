#!/usr/bin/env bash
# build-deps.sh: cross-builds the Windows agent's dependencies (OpenSSL, the
# protobuf runtime, SQLite) as static x86_64-w64-mingw32 libraries from
# Debian's own source packages, at the versions of the host's -dev packages
# (so the host's protoc matches the cross-built protobuf runtime), and adds
# the host's Boost headers (Asio and Beast are header-only).
#
# Prints the install prefix, and nothing else, on stdout; logs go to stderr.
# Use it as  cmake -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
#                  -DPOSTURE_WIN_DEPS="$(scripts/windows/build-deps.sh)"
# and add <prefix>/boost-include to the include path for Boost.
#
# Results are cached in $POSTURE_WIN_DEPS_CACHE (default
# /var/cache/posture/win-deps), outside any build tree, under a key made of
# the three source versions, the compiler and this script: a second run only
# prints the prefix. apt uses a private configuration there (deb-src entries,
# lists, caches); the system's /etc/apt is never modified.
set -euo pipefail
exec 3>&1 1>&2 # fd 3 is the real stdout, for the prefix; everything else to stderr

die() {
  echo "build-deps.sh: $*"
  exit 1
}
log() { echo "== $*"; }

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
root=$(cd "$(dirname "$self")/../.." && pwd)
toolchain=$root/cmake/mingw-w64.cmake
host=x86_64-w64-mingw32
cc=$host-gcc-posix
cxx=$host-g++-posix
cache=${POSTURE_WIN_DEPS_CACHE:-/var/cache/posture/win-deps}
jobs=$(nproc)
# Host build flags must not leak into the cross builds.
unset CC CXX CFLAGS CXXFLAGS CPPFLAGS LDFLAGS

# --- tools ------------------------------------------------------------------
if ! command -v "$cxx" >/dev/null || ! command -v "$cc" >/dev/null; then
  die "$cxx/$cc not found: install the Debian packages g++-mingw-w64-x86-64-posix and gcc-mingw-w64-x86-64-posix"
fi
declare -A tool_pkg=(
  [$host-ar]=binutils-mingw-w64-x86-64 [$host-ranlib]=binutils-mingw-w64-x86-64
  [$host-windres]=binutils-mingw-w64-x86-64 [apt-get]=apt [dpkg-source]=dpkg-dev
  [cmake]=cmake [ninja]=ninja-build [make]=make [gcc]=gcc [perl]=perl
  [tclsh]=tcl [flock]=util-linux [sha256sum]=coreutils
)
for t in "${!tool_pkg[@]}"; do
  command -v "$t" >/dev/null || die "$t not found: install the Debian package ${tool_pkg[$t]}"
done
[ -f "$toolchain" ] || die "missing $toolchain"

# --- versions and cache key -------------------------------------------------
# source_version BINARY...: the Debian source version of the first of these
# binary packages that is installed; else of the first with an apt candidate
# (what install-deps.sh would install); else nothing (take the newest source).
source_version() {
  local p v
  for p in "$@"; do
    v=$(dpkg-query -W -f='${db:Status-Abbrev}|${source:Version}' "$p" 2>/dev/null) || continue
    if [[ $v == ii* ]]; then
      echo "${v#*|}"
      return
    fi
  done
  for p in "$@"; do
    v=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }')
    if [[ -n $v && $v != "(none)" ]]; then
      echo "build-deps.sh: $1 is not installed; taking the version apt would install, $v" >&2
      [[ $v =~ ^(.*)\+b[0-9]+$ ]] && v=${BASH_REMATCH[1]} # binNMU: same source
      echo "$v"
      return
    fi
  done
  echo "build-deps.sh: none of $* is installed or installable; taking the newest source" >&2
}
declare -A want=(
  [openssl]=$(source_version libssl-dev)
  [protobuf]=$(source_version libprotobuf-dev protobuf-compiler)
  [sqlite3]=$(source_version libsqlite3-dev)
)
compiler=$("$cxx" --version | head -n 1)
key=$({
  for s in openssl protobuf sqlite3; do echo "$s=${want[$s]}"; done
  echo "$compiler"
  cat "$self"
} | sha256sum | cut -c 1-16)
prefix=$cache/prefix-$key

# The fast path: built before, nothing to do (and no network).
if [ -e "$prefix/.complete" ]; then
  echo "$prefix" >&3
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
if ! flock -n 9; then
  log "waiting for another build-deps.sh ($cache/.lock)"
  flock 9
fi
if [ -e "$prefix/.complete" ]; then # the other run built it
  echo "$prefix" >&3
  exit 0
fi

# --- work area ----------------------------------------------------------------
start=$SECONDS
rm -rf "$cache"/work.* "$cache"/prefix-*.tmp # leftovers of interrupted runs (we hold the lock)
work=$(mktemp -d "$cache/work.XXXXXX")
logs=$cache/logs # kept after a failure
rm -rf "$logs"
mkdir -p "$logs" "$work/src" "$work/build"
# Everything is installed as if into $prefix (so paths baked into the
# libraries and the CMake/pkg-config files name the final place), staged under
# $work/root, then moved to $prefix.tmp and from there atomically to $prefix.
inst=$work/root$prefix
mkdir -p "$inst/include" "$inst/lib"
trap 'rc=$?; rm -rf "$work"; [ $rc = 0 ] || { rm -rf "$prefix.tmp"; echo "build-deps.sh: failed; logs in $logs"; }' EXIT
log "building Windows dependencies into $prefix ($jobs jobs)"
# Source file names compiled into the libraries (__FILE__ in assertions)
# must not name this temporary directory: reproducible, and nothing of the
# build machine in the .exe. (OpenSSL compiles with relative names already,
# and records its flags in the library: it does without.)
map=-ffile-prefix-map=$work=/posture-win-deps

# step NAME COMMAND...: runs COMMAND (in a subshell, with set -e in force) with
# its output in $logs/NAME.log; on failure shows the log's end and stops.
step() {
  local name=$1 rc=0
  shift
  log "$name"
  ("$@") >>"$logs/$name.log" 2>&1 </dev/null &
  wait $! || rc=$?
  if [ $rc != 0 ]; then
    tail -n 40 "$logs/$name.log"
    die "$name failed ($rc); full log: $logs/$name.log"
  fi
}

in_dir() { cd "$1" && shift && "$@"; }

# --- sources: apt with a private configuration ---------------------------------
apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
# shellcheck disable=SC1091
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
cat >"$apt/sources.list" <<EOF
deb-src http://deb.debian.org/debian $codename main
deb-src http://deb.debian.org/debian $codename-updates main
deb-src http://deb.debian.org/debian-security $codename-security main
EOF
apt_opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
  -o Dir::State::Status=/var/lib/dpkg/status
  -o APT::Sandbox::User=root -o Acquire::Languages=none)
step apt-update apt-get -q "${apt_opts[@]}" update

# index_versions SOURCE: the versions of SOURCE in the source index, newest first.
index_versions() {
  local v i sorted=()
  while read -r v; do
    for ((i = 0; i < ${#sorted[@]}; i++)); do
      dpkg --compare-versions "$v" gt "${sorted[i]}" && break
    done
    sorted=("${sorted[@]:0:i}" "$v" "${sorted[@]:i}")
  done < <(apt-cache "${apt_opts[@]}" showsrc --only-source "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
  printf '%s\n' "${sorted[@]}"
}

declare -A got # source package -> version actually fetched
# fetch SOURCE: downloads (checked against the signed index) and unpacks,
# Debian patches applied, a source package into $work/src/SOURCE/tree: the
# version wanted if the index still has it, else the newest one that can
# be downloaded (mirrors drop superseded versions, and sometimes lag).
fetch() {
  local src=$1 ver=${want[$1]} dir=$work/src/$1 v
  local tries=()
  [ -z "$ver" ] || tries+=("$ver")
  for v in $(index_versions "$src"); do
    [ "$v" = "$ver" ] || tries+=("$v")
  done
  for v in "${tries[@]}"; do
    rm -rf "$dir"
    mkdir -p "$dir"
    log "fetch $src $v"
    if (cd "$dir" && apt-get -q "${apt_opts[@]}" source --download-only --only-source "$src=$v") \
      >>"$logs/fetch-$src.log" 2>&1; then
      [ "$v" = "$ver" ] || echo "build-deps.sh: warning: $src ${ver:-(no version wanted)} could not be fetched; took $v instead"
      got[$src]=$v
      step "unpack-$src" dpkg-source -x "$(echo "$dir"/*.dsc)" "$dir/tree"
      return
    fi
    echo "build-deps.sh: $src $v: not in the source index or not downloadable (see $logs/fetch-$src.log)"
  done
  die "could not download any version of the source of $src"
}
fetch openssl
fetch protobuf
fetch sqlite3
# Code generated by the host's protoc needs a runtime of the same release.
if command -v protoc >/dev/null; then
  v=${got[protobuf]#*:}
  [ "libprotoc ${v%-*}" = "$(protoc --version)" ] ||
    echo "build-deps.sh: warning: protobuf runtime ${v%-*} does not match the host's $(protoc --version)"
fi

# --- OpenSSL: libssl.a and libcrypto.a ------------------------------------------
# no-module/no-engine: no loadable providers or engines; no-shared: static only.
# The directories compiled into libcrypto (openssl.cnf, default certificates,
# engines, providers) are OpenSSL's defaults for Windows builds, which only
# administrators can write. The mingw64 target's defaults would be Unix paths
# under $prefix, which Windows resolves on the current drive, where any user
# could plant an openssl.cnf (cf. CVE-2019-1552); and its Unix makefile takes
# "C:/..." given to --openssldir for a relative path, so they are set here.
ossl=$work/src/openssl/tree
ossl_dirs=(OPENSSLDIR="C:/Program Files/Common Files/SSL"
  ENGINESDIR="C:/Program Files/OpenSSL/lib/engines-3"
  MODULESDIR="C:/Program Files/OpenSSL/lib/ossl-modules")
step openssl-configure in_dir "$ossl" ./Configure \
  mingw64 no-shared no-module no-engine no-tests --prefix="$prefix" --libdir=lib \
  CC="$cc" CXX="$cxx" AR="$host-ar" RANLIB="$host-ranlib" RC="$host-windres"
step openssl-build make -C "$ossl" -j "$jobs" build_libs "${ossl_dirs[@]}"
step openssl-install make -C "$ossl" install_dev DESTDIR="$work/root" "${ossl_dirs[@]}"

# --- protobuf runtime: libprotobuf.a (and -lite), headers, CMake package --------
pb=$work/src/protobuf/tree
step protobuf-configure cmake -S "$pb/cmake" -B "$work/build/protobuf" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS="$map" -DCMAKE_CXX_FLAGS="$map" \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
  -Dprotobuf_BUILD_TESTS=OFF -Dprotobuf_BUILD_PROTOC_BINARIES=OFF \
  -Dprotobuf_BUILD_LIBPROTOC=OFF -Dprotobuf_BUILD_SHARED_LIBS=OFF \
  -Dprotobuf_WITH_ZLIB=OFF -Dprotobuf_MSVC_STATIC_RUNTIME=OFF
step protobuf-build cmake --build "$work/build/protobuf" -j "$jobs"
step protobuf-install env DESTDIR="$work/root" cmake --install "$work/build/protobuf"

# --- SQLite: the amalgamation, generated on the host, compiled for Windows ------
sq=$work/src/sqlite3/tree
sqb=$work/build/sqlite3
mkdir -p "$sqb"
step sqlite3-configure in_dir "$sqb" "$sq/configure" --disable-tcl
step sqlite3-amalgamation make -C "$sqb" sqlite3.c sqlite3.h
# The SQL features of Debian's own libsqlite3 (debian/rules), so queries
# behave the same as on Linux; extensions cannot be loaded.
step sqlite3-compile "$cc" -O2 "$map" -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION \
  -DSQLITE_SECURE_DELETE -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_FTS3 \
  -DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_FTS4 -DSQLITE_ENABLE_FTS5 \
  -DSQLITE_ENABLE_RTREE=1 -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_ENABLE_UNLOCK_NOTIFY \
  -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_MAX_VARIABLE_NUMBER=250000 \
  -c "$sqb/sqlite3.c" -o "$sqb/sqlite3.o"
step sqlite3-archive "$host-ar" rcs "$inst/lib/libsqlite3.a" "$sqb/sqlite3.o"
cp "$sqb/sqlite3.h" "$sq/src/sqlite3ext.h" "$inst/include/"

# --- Boost: the host's headers ------------------------------------------------
[ -f /usr/include/boost/version.hpp ] ||
  die "/usr/include/boost is missing: install the Debian package libboost-dev"
boost_pkg=$(dpkg -S /usr/include/boost/version.hpp | cut -d: -f1)
boost=$(dpkg-query -W -f='${source:Package} ${source:Version}' "$boost_pkg")
mkdir -p "$inst/boost-include"
ln -s /usr/include/boost "$inst/boost-include/boost"

# --- publish ----------------------------------------------------------------------
find "$inst" -type d -empty -delete # OpenSSL's install_dev leaves an empty bin/
if grep -rlIF "$work" "$inst" >"$logs/work-paths.txt"; then
  cat "$logs/work-paths.txt"
  die "these installed text files name the temporary build directory"
fi
mv "$inst" "$prefix.tmp"
{
  for s in openssl protobuf sqlite3; do echo "$s ${got[$s]}"; done
  echo "$boost (host headers, /usr/include/boost)"
} >"$prefix.tmp/versions.txt"
touch "$prefix.tmp/.complete"
rm -rf "$prefix" # an incomplete one (no .complete): rebuilt
mv "$prefix.tmp" "$prefix"

took=$((SECONDS - start))
log "done in $((took / 60))m$((took % 60))s with $compiler:"
sed 's/^/   /' "$prefix/versions.txt"
log "static libraries: $(cd "$prefix/lib" && echo *.a)"
log "prefix: $prefix"
echo "$prefix" >&3
