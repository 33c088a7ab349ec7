#!/usr/bin/env bash
# Ingest benchmark: a real collector on loopback, a simulated fleet enrolled through the real
# enrolment path sending reports over mTLS for a fixed time, then the plain-SQLite baseline
# with as many rows as the collector acknowledged. Prints the figures; never fails on them,
# only on errors (a refused or lost report, a collector that does not start).
#
# Usage: tests/bench/run_ingest_bench.sh BUILD_DIR
# Knobs (environment): ENDPOINTS=2000 CONCURRENCY=256 DURATION=20s UNITS=4
#   COLLECTOR_THREADS=1 SIM_THREADS=1 EVALUATE_EVERY=60s SEED=1 POLICIES=<repository>/policies
set -euo pipefail

if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COLLECTOR="$BUILD/collector/posture-collector"
SIM="$BUILD/tests/bench/posture-fleet-sim"
for exe in "$COLLECTOR" "$SIM"; do
  [[ -x "$exe" ]] || { echo "missing $exe (ninja -C $BUILD posture-collector posture-fleet-sim)" >&2; exit 2; }
done

ENDPOINTS=${ENDPOINTS:-2000}
CONCURRENCY=${CONCURRENCY:-256}
DURATION=${DURATION:-20s}
UNITS=${UNITS:-4}
# One I/O thread: on a 2-core machine shared with the simulator it measured 15-30% more
# than two (the writer has its own thread anyway).
COLLECTOR_THREADS=${COLLECTOR_THREADS:-1}
SIM_THREADS=${SIM_THREADS:-1}
# Evaluation runs on the writer thread; at 60s it stays out of a 20s measurement (the
# summary says so). Set EVALUATE_EVERY=2s to measure with the collector's default.
EVALUATE_EVERY=${EVALUATE_EVERY:-60s}
SEED=${SEED:-1}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/posture-bench.XXXXXX")
COLLECTOR_PID=""
cleanup() {
  if [[ -n "$COLLECTOR_PID" ]] && kill -0 "$COLLECTOR_PID" 2>/dev/null; then
    kill -TERM "$COLLECTOR_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$COLLECTOR_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$COLLECTOR_PID" 2>/dev/null || true
    wait "$COLLECTOR_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "run_ingest_bench: $*" >&2
  if [[ -s "$WORK/collector.err" ]]; then
    echo "--- collector stderr (last 20 lines) ---" >&2
    tail -n 20 "$WORK/collector.err" >&2
  fi
  exit 1
}

# key: value lookup in a simulator output file.
field() { sed -n "s/^$1: //p" "$2" | head -n 1; }

# Port 0: the kernel picks a free port and the collector prints the one it got. Every
# simulated endpoint connects from 127.0.0.1, where a real fleet comes from as many
# addresses: the cap on handshakes in progress per source address is raised to the fleet.
"$COLLECTOR" serve --data-dir "$WORK/data" --listen 127.0.0.1:0 --threads "$COLLECTOR_THREADS" \
  --evaluate-every "$EVALUATE_EVERY" --policies "${POLICIES:-$ROOT/policies}" --log-level warn \
  --max-unauthenticated-per-source "$((ENDPOINTS + 64))" >"$WORK/collector.out" 2>"$WORK/collector.err" &
COLLECTOR_PID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT=$(sed -n 's|^posture-collector: listening on https://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$WORK/collector.out")
  [[ -n "$PORT" ]] && break
  kill -0 "$COLLECTOR_PID" 2>/dev/null || fail "the collector exited at start"
  sleep 0.1
done
[[ -n "$PORT" ]] || fail "the collector did not report its port within 10 s"
FINGERPRINT=$(sed -n 's/^posture-collector: CA fingerprint (SHA-256) //p' "$WORK/collector.out")

UNIT_ARGS=()
for i in $(seq 1 "$UNITS"); do
  code=$(printf 'BENCH-U%02d' "$i")
  token=$("$COLLECTOR" token create --data-dir "$WORK/data" --unit "$code" --uses "$ENDPOINTS" 2>/dev/null) ||
    fail "token create for $code failed"
  UNIT_ARGS+=(--unit "$code=$token")
done

echo "run_ingest_bench: collector on 127.0.0.1:$PORT (threads $COLLECTOR_THREADS, evaluation every $EVALUATE_EVERY);" \
  "$ENDPOINTS endpoints in $UNITS units, concurrency $CONCURRENCY, for $DURATION" >&2
SIM_RC=0
timeout 100 "$SIM" --collector "127.0.0.1:$PORT" "${UNIT_ARGS[@]}" --endpoints "$ENDPOINTS" \
  --concurrency "$CONCURRENCY" --duration "$DURATION" --threads "$SIM_THREADS" --seed "$SEED" \
  --ca-fingerprint "$FINGERPRINT" --quiet >"$WORK/sim.out" 2>"$WORK/sim.err" || SIM_RC=$?
RSS_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$COLLECTOR_PID/status" 2>/dev/null || echo 0)
DB_BYTES=$(du -cb "$WORK/data"/posture.db* 2>/dev/null | tail -n 1 | cut -f1)
cat "$WORK/sim.err" >&2
if [[ $SIM_RC -ne 0 ]]; then
  cat "$WORK/sim.out" >&2
  fail "the fleet simulator failed (exit $SIM_RC)"
fi

ACKED=$(field reports_acknowledged "$WORK/sim.out")
[[ "$ACKED" -gt 0 ]] || fail "no report was acknowledged"

# The ceiling at the collector's largest batch, and at the batch the collector can really
# form: at most one report in flight per connection, so never more than the concurrency.
"$SIM" --sqlite-baseline "$WORK/baseline" --endpoints "$ENDPOINTS" --rows "$ACKED" \
  --seed "$SEED" >"$WORK/baseline.out" || fail "the SQLite baseline failed"
BATCH2=$((CONCURRENCY < 2048 ? CONCURRENCY : 2048))
"$SIM" --sqlite-baseline "$WORK/baseline2" --endpoints "$ENDPOINTS" --rows "$ACKED" \
  --seed "$SEED" --batch "$BATCH2" >"$WORK/baseline2.out" || fail "the SQLite baseline failed"

RATE=$(field reports_per_s "$WORK/sim.out")
BASE=$(field baseline_rows_per_s "$WORK/baseline.out")
BASE2=$(field baseline_rows_per_s "$WORK/baseline2.out")
share() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "n/a" }'; }

echo "== ingest benchmark ($(nproc) CPUs; simulator on the same machine) =="
echo "endpoints: $ENDPOINTS ($(field endpoints_enrolled "$WORK/sim.out") enrolled in $(field enrol_elapsed_s "$WORK/sim.out") s)"
echo "concurrency: $CONCURRENCY requests in flight over $ENDPOINTS kept-alive mTLS connections (one per endpoint)"
echo "collector_threads: $COLLECTOR_THREADS (evaluation every $EVALUATE_EVERY)"
echo "duration_s: $(field elapsed_s "$WORK/sim.out")"
echo "reports_acknowledged: $ACKED (duplicates $(field duplicates "$WORK/sim.out"), errors $(field errors "$WORK/sim.out"))"
echo "collector_reports_per_s: $RATE"
echo "collector_steady_reports_per_s: $(field steady_reports_per_s "$WORK/sim.out") (after every connection's TLS handshake)"
echo "baseline_rows_per_s: $BASE (the collector's storage code alone, batches of 2048, synchronous=FULL)"
echo "share_of_baseline_pct: $(share "$RATE" "$BASE")"
echo "baseline_rows_per_s_batch_$BATCH2: $BASE2"
echo "share_of_baseline_batch_${BATCH2}_pct: $(share "$RATE" "$BASE2")"
echo "latency_ms_p50: $(field latency_ms_p50 "$WORK/sim.out")"
echo "latency_ms_p95: $(field latency_ms_p95 "$WORK/sim.out")"
echo "latency_ms_p99: $(field latency_ms_p99 "$WORK/sim.out")"
echo "collector_peak_rss_mb: $(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')"
echo "database_bytes: ${DB_BYTES:-0}"
