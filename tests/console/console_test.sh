#!/usr/bin/env bash
# The console end to end: a real collector with the console listener, an admin, a small
# simulated fleet (real enrolment and mTLS), then console_test.js in headless Chromium.
# The collector is a district under a province (issue 16): a second collector, the
# province, is started first, and the district enrols with it and pushes every 2 s, so
# the scenario ends on the province's console, which shows the district.
#   console_test.sh BUILD_DIR SOURCE_DIR
# Needs /usr/bin/chromium (Debian package chromium), node and npm; playwright-core is
# installed with `npm ci` from this folder's package-lock.json into BUILD_DIR/console-test
# (no browser download). Exit 77 (skipped) when Chromium, node/npm or the npm registry is
# missing; a failure when the collector lacks what the console needs.
# Artefacts: BUILD_DIR/tests/console/screenshots/*.png, the XLSX export, both collectors' logs.
set -euo pipefail
build=$(cd "${1:?usage: console_test.sh BUILD_DIR SOURCE_DIR}" && pwd)
src=$(cd "${2:?usage: console_test.sh BUILD_DIR SOURCE_DIR}" && pwd)
here=$src/tests/console
collector=$build/collector/posture-collector
fleetsim=$build/tests/bench/posture-fleet-sim
chromium=${POSTURE_CHROMIUM:-/usr/bin/chromium}
out=$build/tests/console
shots=$out/screenshots
prefix=$build/console-test

skip() { echo "SKIPPED: $*" >&2; exit 77; }
fail() { echo "FAILED: $*" >&2; exit 1; }

[ -x "$chromium" ] || skip "no $chromium (apt-get install --no-install-recommends chromium)"
command -v node >/dev/null && command -v npm >/dev/null || skip "no node/npm (apt-get install nodejs npm)"
[ -x "$collector" ] || fail "no $collector (build it first)"
[ -x "$fleetsim" ] || skip "no $fleetsim (the bench test area is not built)"
# The console listener is the other half of this test: say so plainly when it is missing.
usage=$("$collector" 2>&1 || true)
if ! grep -q -- "--console-listen" <<<"$usage"; then
  fail "this posture-collector has no 'serve --console-listen' (the console HTTPS server is not built in); nothing to test"
fi

# playwright-core, pinned by package-lock.json; reinstalled only when the lock changes.
mkdir -p "$prefix"
if ! cmp -s "$here/package-lock.json" "$prefix/package-lock.json" || [ ! -d "$prefix/node_modules/playwright-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$prefix/"
  timeout 180 npm ci --prefix "$prefix" --ignore-scripts --no-audit --no-fund >"$prefix/npm.log" 2>&1 || {
    tail -20 "$prefix/npm.log" >&2
    rm -f "$prefix/package-lock.json"
    skip "npm ci of playwright-core failed (is the npm registry reachable?)"
  }
fi

# $out is also CMake's binary directory of tests/console (CTestTestfile.cmake): only this
# test's own artefacts are removed.
rm -rf "$shots" "$out"/*.xlsx "$out"/collector.out "$out"/collector.log "$out"/province.out "$out"/province.log
mkdir -p "$shots"
work=$(mktemp -d)
data=$work/collector
pid=""
province_pid=""
stop() {
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill "$1" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
  fi
}
cleanup() {
  stop "$pid"
  stop "$province_pid"
  cp "$work"/collector.out "$work"/collector.log "$work"/province.out "$work"/province.log "$out"/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== organization; users admin, auditor, soc"
"$collector" org import "$src/examples/org/binh-son.yaml" --data-dir "$data" >/dev/null
password="Chromium-e2e-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" | "$collector" user add --data-dir "$data" --name admin --role admin --password-stdin >/dev/null
auditor_password="$password-a"
soc_password="$password-s"
printf '%s\n' "$auditor_password" | "$collector" user add --data-dir "$data" --name auditor --role auditor --password-stdin >/dev/null
printf '%s\n' "$soc_password" | "$collector" user add --data-dir "$data" --name soc --role soc --password-stdin >/dev/null

# started NAME PID: waits until collector NAME ($work/NAME.out) printed its CA fingerprint.
started() {
  for _ in $(seq 150); do
    grep -q "CA fingerprint" "$work/$1.out" 2>/dev/null && break
    kill -0 "$2" 2>/dev/null || { cat "$work/$1.log" >&2; fail "the $1 collector exited at start"; }
    sleep 0.1
  done
  grep -q "CA fingerprint" "$work/$1.out" || { cat "$work/$1.out" >&2; fail "the $1 collector did not start within 15 s"; }
  sleep 0.3  # lines printed after the fingerprint
  sed 's/^/   /' "$work/$1.out"
}
# The agent listener of collector NAME: a "listening on https://" line that does not
# mention the console; its console: the https:// URL on a line that mentions it.
agent_address() { grep -i "https://" "$work/$1.out" | grep -vi console | head -1 | sed -n 's#.*https://\([^/ ]*\).*#\1#p' || true; }
console_url() { grep -i "console" "$work/$1.out" | grep -o 'https://[^ ]*' | head -1 | sed 's#/$##' || true; }
# Trust: a console's certificate must chain to its collector's CA (ca.crt in the data
# directory, checked by openssl); Chromium then pins that certificate's public key.
# pinned_spki HOST:PORT DATA_DIR prints the base64 SHA-256 of the key.
pinned_spki() {
  if openssl s_client -connect "$1" -CAfile "$2/ca.crt" -verify_return_error \
       -verify_ip "${1%:*}" </dev/null >"$work/s_client.txt" 2>&1; then
    openssl s_client -connect "$1" </dev/null 2>/dev/null | openssl x509 -pubkey -noout |
      openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
  else
    grep -i "verify" "$work/s_client.txt" | head -3 >&2 || true
    fail "the console certificate at $1 does not verify against $2/ca.crt"
  fi
}

echo "== province collector (Quảng Ngãi: QNG, with the district Bình Sơn, BS, as the mount); its admin"
province=$work/province
"$collector" unit add --data-dir "$province" --code QNG --kind province --name-vi "Tỉnh Quảng Ngãi" \
  --name-en "Quảng Ngãi province" >/dev/null
"$collector" unit add --data-dir "$province" --code BS --kind district --parent QNG \
  --name-vi "Huyện Bình Sơn" --name-en "Bình Sơn district" >/dev/null
province_password="$password-p"
printf '%s\n' "$province_password" | "$collector" user add --data-dir "$province" --name admin --role admin --password-stdin >/dev/null
"$collector" serve --data-dir "$province" --listen 127.0.0.1:0 --console-listen 127.0.0.1:0 \
  --policies "$src/policies" --evaluate-every 1s >"$work/province.out" 2>"$work/province.log" &
province_pid=$!
started province "$province_pid"
province_agent=$(agent_address province)
province_console=$(console_url province)
[ -n "$province_agent" ] && [ -n "$province_console" ] || fail "no listener addresses on the province's stdout"
province_fingerprint=$(sed -n 's/.*CA fingerprint (SHA-256) //p' "$work/province.out" | head -1)
province_spki=$(pinned_spki "${province_console#https://}" "$province")
echo "   province console certificate verified against the province CA; SPKI $province_spki"
# The district's single-use child token, bound to the mount unit BS.
child_token=$("$collector" token create --data-dir "$province" --unit BS --collector 2>/dev/null)
[ -n "$child_token" ] || fail "token create --collector printed no token"

echo "== collector: the district (agent and console listeners on 127.0.0.1, ephemeral ports), pushing to the province every 2 s"
"$collector" serve --data-dir "$data" --listen 127.0.0.1:0 --console-listen 127.0.0.1:0 \
  --policies "$src/policies" --evaluate-every 1s \
  --upstream "$province_agent" --upstream-token "$child_token" \
  --upstream-ca-fingerprint "$province_fingerprint" --upstream-every 2s \
  >"$work/collector.out" 2>"$work/collector.log" &
pid=$!
started collector "$pid"
fingerprint=$(sed -n 's/.*CA fingerprint (SHA-256) //p' "$work/collector.out" | head -1)
agent=$(agent_address collector)
console=$(console_url collector)
[ -n "$agent" ] || fail "no agent listener address on the collector's stdout"
[ -n "$console" ] || fail "the collector printed no console address (expected a stdout line with 'console' and https://HOST:PORT)"
hostport=${console#https://}
spki=$(pinned_spki "$hostport" "$data")
echo "   console certificate verified against the collector CA; SPKI $spki"

echo "== simulated fleet: 24 endpoints in 4 units"
token() { "$collector" token create --data-dir "$data" --unit "$1" --uses 24 2>/dev/null; }
timeout 120 "$fleetsim" --collector "$agent" --ca-fingerprint "$fingerprint" \
  --unit "BS-VP=$(token BS-VP)" --unit "BS-TC=$(token BS-TC)" \
  --unit "BS-BT=$(token BS-BT)" --unit "BS-BC=$(token BS-BC)" \
  --endpoints 24 --reports 1 --seed 2022 --quiet | sed 's/^/   /' || fail "the fleet simulator failed"

echo "== Chromium: $("$chromium" --version 2>/dev/null | head -1); playwright-core $(node -p "require('$prefix/node_modules/playwright-core/package.json').version")"
CONSOLE_URL="$console/" CONSOLE_SPKI="$spki" ADMIN_NAME=admin ADMIN_PASSWORD="$password" \
  AUDITOR_PASSWORD="$auditor_password" SOC_PASSWORD="$soc_password" \
  PROVINCE_URL="$province_console/" PROVINCE_SPKI="$province_spki" PROVINCE_PASSWORD="$province_password" \
  DISTRICT_ENDPOINTS=24 \
  SHOTS="$shots" CHROMIUM="$chromium" NODE_PATH="$prefix/node_modules" \
  timeout 360 node "$here/console_test.js" || {
    echo "--- collector log (last 30 lines)" >&2
    tail -30 "$work/collector.log" >&2
    echo "--- province log (last 15 lines)" >&2
    tail -15 "$work/province.log" >&2
    fail "the browser scenario failed (screenshots: $shots)"
  }
echo "PASSED: screenshots in $shots"
