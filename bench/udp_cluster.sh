#!/usr/bin/env bash
# Real-UDP benchmark (issue 7): a 4-node cluster on loopback per protocol, batched,
# ed25519-signed protocol messages, MAC-authenticated client requests and replies
# (--client-auth signature: ed25519 there too), HMAC-authenticated datagrams,
# fdatasync'd data directories. Prints ops/s and client latency p50/p99 per protocol.
#
#   bench/udp_cluster.sh [--duration 10s] [--concurrency 512] [--batch 200]
#                        [--protocols "pbft hotstuff"] [--client-auth mac|signature]
#                        [--rate R] [--no-fsync] [--profile]
#
# KNHK_BINARY selects the binary (default: build/release/cli/knhk, built if missing).
# --profile records node 0 with `perf` during the run and prints the top symbols.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
duration=10s
concurrency=512
batch=200
protocols="pbft hotstuff"
profile=0
fsync_flag=""
client_auth=mac
rate=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --protocols) protocols="$2"; shift 2 ;;
    --profile) profile=1; shift ;;
    --no-fsync) fsync_flag="--no-fsync"; shift ;;
    --client-auth) client_auth="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    *) echo "usage: $0 [--duration S] [--concurrency C] [--batch B] [--protocols P] [--client-auth mac|signature] [--rate R] [--no-fsync] [--profile]" >&2; exit 2 ;;
  esac
done

knhk="${KNHK_BINARY:-$root/build/release/cli/knhk}"
if [ ! -x "$knhk" ]; then
  "$root/scripts/build" release knhk >/dev/null
fi

work="$(mktemp -d /tmp/knhk-udp-bench.XXXXXX)"
cleanup() {
  for d in "$work"/*/; do [ -d "$d" ] && "$knhk" cluster down --dir "$d" >/dev/null 2>&1 || true; done
  [ -n "${KEEP_BENCH_DIR:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "config: 4 nodes on 127.0.0.1, batch $batch, client concurrency $concurrency, rate ${rate/#0/closed loop}, client auth $client_auth, duration $duration, ${fsync_flag:-fdatasync per loop wake-up}"
printf "%-9s %10s %9s %9s %9s\n" protocol "ops/s" "p50 ms" "p99 ms" "p999 ms"
port=$((20000 + RANDOM % 20000))
for protocol in $protocols; do
  dir="$work/$protocol"
  "$knhk" keygen --nodes 4 --protocol "$protocol" --base-port "$port" --batch-size "$batch" \
    --clients "$concurrency" --client-auth "$client_auth" --out "$dir" >/dev/null
  "$knhk" cluster up --dir "$dir" --metrics-base-port $((port + 100)) $fsync_flag >/dev/null
  sleep 1
  if [ "$profile" = 1 ]; then
    perf record -g -o "$dir/perf.data" -p "$(cat "$dir/node-0.pid")" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  out="$("$knhk" client --cluster "$dir/cluster.yaml" --duration "$duration" \
    --concurrency "$concurrency" --rate "$rate" --quiet)"
  if [ "$profile" = 1 ]; then
    kill -INT "$perf_pid"; wait "$perf_pid" || true
  fi
  "$knhk" cluster down --dir "$dir" >/dev/null
  ops=$(sed -n 's/.*: \([0-9]*\) ops\/s/\1/p' <<<"$out")
  p50=$(sed -n 's/.*p50 \([0-9.]*\).*/\1/p' <<<"$out")
  p99=$(sed -n 's/.*p99 \([0-9.]*\).*/\1/p' <<<"$out")
  p999=$(sed -n 's/.*p999 \([0-9.]*\).*/\1/p' <<<"$out")
  printf "%-9s %10s %9s %9s %9s\n" "$protocol" "$ops" "$p50" "$p99" "$p999"
  if [ "$profile" = 1 ]; then
    echo "--- $protocol node 0 profile (self time) ---"
    perf report -i "$dir/perf.data" --stdio --no-children --sort dso 2>/dev/null |
      grep -E '^ +[0-9]' | head -8
    perf report -i "$dir/perf.data" --stdio --no-children --sort symbol -g none 2>/dev/null |
      grep -E '^ +[0-9]' | cut -c1-100 | head -15
  fi
  port=$((port + 200))
done
