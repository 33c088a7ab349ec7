#!/usr/bin/env bash
# install-deps.sh [--runtime]: installs what Posture needs, from Debian 12's packages only.
# --runtime: only what building and running the collector, the agent and the demo need
# (scripts/demo.sh); without it, also what the tests run against (scripts/test.sh).
set -euo pipefail
runtime_only=0
case "${1:-}" in
  --runtime) runtime_only=1 ;;
  "") ;;
  *) echo "usage: install-deps.sh [--runtime]" >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi
packages=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libssl-dev openssl ca-certificates
  libsqlite3-dev sqlite3 libyaml-cpp-dev
  libprotobuf-dev protobuf-compiler doctest-dev
  procps iproute2
  # the collector's XLSX exports, Argon2id password hashes of the console users
  libxlsxwriter-dev zlib1g-dev libargon2-dev
)
[ "$runtime_only" = 1 ] || packages+=(
  # real software the probe tests run against (issue 3)
  clamav clamav-daemon clamav-freshclam
  nftables iptables iproute2 radvd dnsmasq-base
  # Debian packages: cpack's dependency list, unit verification, the collector's user
  dpkg-dev fakeroot systemd adduser
  # a skewed clock for the enrolment test
  faketime
  # LibreOffice (headless) for the export round-trip test
  libreoffice-calc-nogui
  # the TLS audit of both listeners (tests/integration/testssl_test.cpp, issue 15)
  testssl.sh
  # the Windows agent (issue 6): mingw-w64 cross compiler (posix threads), Debian source
  # packages of its dependencies, Wine to run it headless, wixl for the MSI
  g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64
  mingw-w64-x86-64-dev tcl wine64 wixl
  # the console's end-to-end test in headless Chromium (tests/console/), driven by
  # playwright-core from npm (no browser download)
  chromium nodejs
  # the test command's ASan+UBSan build and the libFuzzer targets (tests/fuzz/,
  # scripts/fuzz.sh): Debian's clang 14; libclang-rt-14-dev holds libFuzzer and the sanitizer
  # runtimes (only recommended by clang)
  clang libclang-rt-14-dev
  # a real SMTP server with STARTTLS on loopback for the e-mail notices (issue 17,
  # tests/integration/smtp_delivery_test.cpp)
  python3-aiosmtpd
  # a real Prometheus scrapes the collector's /metrics; promtool checks the format (issue 18,
  # tests/integration/metrics_prometheus_test.cpp)
  prometheus
)
# npm: Debian's package unless an npm is already there (NodeSource's nodejs bundles npm and
# conflicts with Debian's npm package).
[ "$runtime_only" = 1 ] || command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
