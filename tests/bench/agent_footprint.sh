#!/usr/bin/env bash
# agent_footprint.sh BUILD_DIR [RUNS]: CPU time and peak RSS of one full collection cycle
# and of the idle agent, beside fusioninventory-inventory and `lynis audit system --quick`
# on the same machine in the same run (/usr/bin/time -v). A benchmark: prints figures and
# never fails on them. Needs root; installs nothing (see the README in this folder).
set -euo pipefail
build=$(cd "$1" && pwd)
runs=${2:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/posture-footprint.XXXXXX")
collector_pid=""
agent_pid=""
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
  [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# measure NAME COMMAND...: prints "NAME cpu_s=U+S rss_mb=M" for each run.
measure() {
  local name=$1
  shift
  for i in $(seq "$runs"); do
    /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>&1 || true
    awk -v name="$name" -v run="$i" -F': ' '
      /User time/ {u=$2} /System time/ {s=$2} /Maximum resident/ {r=$2}
      END { printf "%-28s run %d  cpu_s %.2f  (user %.2f sys %.2f)  peak_rss_mb %.1f\n", name, run, u+s, u, s, r/1024 }' \
      "$work/time.txt"
  done
}

echo "== one full collection cycle, nothing cached (posture-agent collect --json), $runs runs"
measure "posture-agent collect (cold)" "$build/agent/posture-agent" collect --json
echo "== one full collection cycle, apt state unchanged since the last cycle, $runs runs"
mkdir -p "$work/cache"
"$build/agent/posture-agent" collect --json --state-dir "$work/cache" >/dev/null 2>&1 || true
measure "posture-agent collect (warm)" "$build/agent/posture-agent" collect --json --state-dir "$work/cache"

if command -v fusioninventory-inventory >/dev/null; then
  echo "== fusioninventory-inventory, $runs runs"
  measure "fusioninventory-inventory" fusioninventory-inventory
else
  echo "fusioninventory-inventory: not installed (apt-get install fusioninventory-agent)"
fi
if command -v lynis >/dev/null; then
  echo "== lynis audit system --quick, $runs runs"
  measure "lynis audit system --quick" lynis audit system --quick --no-colors --no-log
else
  echo "lynis: not installed (apt-get install lynis)"
fi

echo "== idle agent (run --interval 1h after its first report): the supervisor process;"
echo "   each cycle runs in a worker process, measured by the collect lines above"
"$build/collector/posture-collector" serve --data-dir "$work/c" --listen 127.0.0.1:0 \
  --policies "$(dirname "$0")/../../policies" >"$work/c.out" 2>"$work/c.log" &
collector_pid=$!
for _ in $(seq 100); do grep -q "CA fingerprint" "$work/c.out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's|.*listening on https://||p' "$work/c.out" | head -1)
fp=$(sed -n 's/.*CA fingerprint (SHA-256) //p' "$work/c.out")
token=$("$build/collector/posture-collector" token create --data-dir "$work/c" --unit BENCH 2>/dev/null)
"$build/agent/posture-agent" enroll --collector "$addr" --token "$token" --state-dir "$work/a" \
  --ca-fingerprint "$fp" >/dev/null 2>&1
"$build/agent/posture-agent" run --state-dir "$work/a" --interval 1h 2>"$work/a.log" &
agent_pid=$!
for _ in $(seq 300); do grep -q "acknowledged" "$work/a.log" 2>/dev/null && break; sleep 0.1; done
ticks() { awk '{print $14 + $15}' "/proc/$agent_pid/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
sleep 10
after=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent_pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent_pid/status")
awk -v b="$before" -v a="$after" -v hz="$hz" -v rss="$rss" -v hwm="$hwm" 'BEGIN {
  printf "idle agent: rss_mb %.1f  cpu_s_per_10s_idle %.2f  peak_rss_mb_including_first_cycle %.1f\n",
         rss / 1024, (a - b) / hz, hwm / 1024 }'
