#!/usr/bin/env bash
# The main job on one machine: installs dependencies, builds, starts a province collector
# and a district collector on localhost (each with its SQLite database and the policies in
# policies/; the district enrols with the province and pushes to it), enrols this
# machine's real agent and a simulated fleet in the district's units, then prints the
# per-unit compliance summary of both tiers and exports the compliance list.
#   ./scripts/demo.sh          run it (the collector and the agent keep running)
#   ./scripts/demo.sh stop     stop what a previous run left running
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
demo=${POSTURE_DEMO_DIR:-$root/demo}
port=${POSTURE_DEMO_PORT:-8443}
console_port=${POSTURE_DEMO_CONSOLE_PORT:-8444}
province_port=${POSTURE_DEMO_PROVINCE_PORT:-8445}
province_console_port=${POSTURE_DEMO_PROVINCE_CONSOLE_PORT:-8446}
endpoints=${POSTURE_DEMO_ENDPOINTS:-300}

stop_demo() {
  for f in "$demo"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" && echo "stopped $(basename "$f" .pid) ($pid)"; fi
    rm -f "$f"
  done
}
if [ "${1:-}" = stop ]; then stop_demo; exit 0; fi

# What building and running need; the test toolchains (Wine, LibreOffice, Chromium, ...)
# come with scripts/test.sh.
./scripts/install-deps.sh --runtime
echo "== build (release) into build/: the collector, the agent and the fleet simulator"
POSTURE_TARGETS="posture-collector posture-agent posture-fleet-sim" \
  ./scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$root/build-demo.log" 2>&1 || {
  tail -40 "$root/build-demo.log" >&2
  exit 1
}
bin=$root/build

# started NAME: waits until collector NAME (its .out, .pid, .log in $demo) printed its CA
# fingerprint; prints its log and fails when it exited first.
started() {
  for _ in $(seq 100); do
    grep -q "CA fingerprint" "$demo/$1.out" 2>/dev/null && return 0
    kill -0 "$(cat "$demo/$1.pid")" 2>/dev/null || { cat "$demo/$1.log" >&2; exit 1; }
    sleep 0.1
  done
}

stop_demo
rm -rf "$demo"
mkdir -p "$demo"
pc="$bin/collector/posture-collector"
echo "== province collector (Quảng Ngãi): https://127.0.0.1:$province_port, data in $demo/province"
"$pc" unit add --data-dir "$demo/province" --code QNG --kind province --name-vi "Tỉnh Quảng Ngãi" \
  --name-en "Quảng Ngãi province" >/dev/null
"$pc" unit add --data-dir "$demo/province" --code BS --kind district --parent QNG \
  --name-vi "Huyện Bình Sơn" --name-en "Bình Sơn district" >/dev/null
province_password=$("$pc" user add --data-dir "$demo/province" --name admin --role admin 2>/dev/null)
"$pc" serve --data-dir "$demo/province" --listen "127.0.0.1:$province_port" --policies "$root/policies" \
  --console-listen "127.0.0.1:$province_console_port" --evaluate-every 1s \
  >"$demo/province.out" 2>"$demo/province.log" &
echo $! >"$demo/province.pid"
started province
province_fingerprint=$(sed -n 's/.*CA fingerprint (SHA-256) //p' "$demo/province.out")
province_console=$(sed -n 's/.*console: //p' "$demo/province.out" | head -1)
# What a province operator types to add a district: a single-use child token for the
# unit the district mounts at; the district's IT staff pass it to `serve --upstream`.
child_token=$("$pc" token create --data-dir "$demo/province" --unit BS --collector 2>/dev/null)

echo "== organization: the sample Bình Sơn unit tree, four-layer records and systems (examples/org)"
"$bin/collector/posture-collector" org import "$root/examples/org/binh-son.yaml" --data-dir "$demo/collector" | sed 's/^/   /'
echo "== console user: admin (role admin)"
# The first admin of the console; on a reused data directory its password is reset.
if "$bin/collector/posture-collector" user list --data-dir "$demo/collector" --lang en 2>/dev/null |
    awk '{print $1}' | grep -qx admin; then
  admin_password=$("$bin/collector/posture-collector" user passwd --data-dir "$demo/collector" --name admin 2>/dev/null)
else
  admin_password=$("$bin/collector/posture-collector" user add --data-dir "$demo/collector" --name admin --role admin 2>/dev/null)
fi
echo "== district collector (Bình Sơn): https://127.0.0.1:$port and https://[::1]:$port, data in $demo/collector,"
echo "   pushing to the province every 5 s (mounted at its unit BS)"
echo "== console: https://127.0.0.1:$console_port/"
# The simulated fleet connects from 127.0.0.1 only, where a real one comes from as many
# addresses: the cap on handshakes in progress per source address (64, against floods) is
# raised to the fleet's size.
"$bin/collector/posture-collector" serve --data-dir "$demo/collector" \
  --listen "127.0.0.1:$port" --listen "[::1]:$port" --policies "$root/policies" \
  --console-listen "127.0.0.1:$console_port" \
  --max-unauthenticated-per-source "$((endpoints + 64))" \
  --upstream "127.0.0.1:$province_port" --upstream-token "$child_token" \
  --upstream-ca-fingerprint "$province_fingerprint" --upstream-every 5s \
  --evaluate-every 1s >"$demo/collector.out" 2>"$demo/collector.log" &
echo $! >"$demo/collector.pid"
started collector
fingerprint=$(sed -n 's/.*CA fingerprint (SHA-256) //p' "$demo/collector.out")
console_url=$(sed -n 's/.*console: //p' "$demo/collector.out" | head -1)

token() { "$bin/collector/posture-collector" token create --data-dir "$demo/collector" --unit "$1" --uses "$2" 2>/dev/null; }

echo "== this machine's agent, enrolled in unit BS-VP over mTLS (CA pinned: $fingerprint)"
"$bin/agent/posture-agent" enroll --collector "127.0.0.1:$port" --token "$(token BS-VP 1)" \
  --state-dir "$demo/agent" --ca-fingerprint "$fingerprint"
"$bin/agent/posture-agent" run --state-dir "$demo/agent" --once
"$bin/agent/posture-agent" run --state-dir "$demo/agent" --interval 10m >>"$demo/agent.log" 2>&1 &
echo $! >"$demo/agent.pid"

echo "== simulated fleet: $endpoints endpoints in 4 units, real enrolment and mTLS"
"$bin/tests/bench/posture-fleet-sim" --collector "127.0.0.1:$port" --ca-fingerprint "$fingerprint" \
  --unit "BS-VP=$(token BS-VP "$endpoints")" \
  --unit "BS-TC=$(token BS-TC "$endpoints")" \
  --unit "BS-BT=$(token BS-BT "$endpoints")" \
  --unit "BS-BC=$(token BS-BC "$endpoints")" \
  --endpoints "$endpoints" --reports 1 --seed 2022 | sed 's/^/   /'

sleep 2  # the collector evaluates and raises alerts every second
echo
"$bin/collector/posture-collector" status --data-dir "$demo/collector" --policies "$root/policies"
# The province holds the district's rows once a push has carried them (every 5 s).
wanted=$((endpoints + 1))
for _ in $(seq 60); do
  held=$("$pc" status --data-dir "$demo/province" --policies "$root/policies" --lang en 2>/dev/null |
    sed -n 's/^Endpoints: \([0-9]*\).*/\1/p')
  [ "${held:-0}" -ge "$wanted" ] && break
  sleep 1
done
echo
echo "== province: the district's $held endpoints under unit BS, evaluated with the province's plans"
# The head of the summary and the Bình Sơn protection target (awk reads it all: no SIGPIPE).
"$pc" status --data-dir "$demo/province" --policies "$root/policies" |
  awk 'NR <= 2 { print } /endpoints-protected-share/ { f = 1 } f && n < 10 { print; n++ }'
csv=$demo/danh-sach-tuan-thu.csv
xlsx=$demo/danh-sach-tuan-thu.xlsx
for out in "$csv" "$xlsx"; do
  "$bin/collector/posture-collector" export --data-dir "$demo/collector" --policies "$root/policies" \
    --format "${out##*.}" --out "$out"
done
"$bin/collector/posture-collector" export verify "$xlsx" --data-dir "$demo/collector" | tail -2
cat <<MSG

Danh sách tuân thủ / Compliance list: $csv (CSV, UTF-8 BOM), $xlsx
  each with a signed manifest (.manifest.json); check it with
  $bin/collector/posture-collector export verify FILE --data-dir $demo/collector
The province (PID $(cat "$demo/province.pid")), the district collector (PID $(cat "$demo/collector.pid")) and this machine's agent (PID $(cat "$demo/agent.pid")) keep running.
  open alerts:  $bin/collector/posture-collector alerts list --data-dir $demo/collector
  one alert:    $bin/collector/posture-collector alerts show ID --data-dir $demo/collector
  the tree:     $bin/collector/posture-collector org show --data-dir $demo/collector
  the province:  $bin/collector/posture-collector status --data-dir $demo/province
  stop them:    ./scripts/demo.sh stop

Bảng điều khiển / Console: $console_url
  (the collector's own certificate, issued by its CA: $demo/collector/ca.crt)
  user: admin
  password: $admin_password
Bảng điều khiển cấp tỉnh / Province console: $province_console
  (its own CA: $demo/province/ca.crt)
  user: admin
  password: $province_password
MSG
