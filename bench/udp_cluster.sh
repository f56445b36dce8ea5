#!/usr/bin/env bash
# Real-UDP benchmark (issue 7): a 4-node cluster on loopback per protocol, batched,
# ed25519-signed protocol messages, MAC-authenticated client requests and replies
# (--client-auth signature: ed25519 there too), HMAC-authenticated datagrams,
# fdatasync'd data directories. Prints ops/s and client latency p50/p99 per protocol.
#
#   bench/udp_cluster.sh [--duration 10s] [--concurrency 512] [--batch 200]
#                        [--protocols "pbft hotstuff"] [--client-auth mac|signature]
#                        [--rate R] [--no-fsync] [--max-datagram BYTES] [--profile]
#
# KNHK_BINARY selects the binary (default: build/release/cli/knhk, built if missing).
# --profile records every node and the client with `perf` during the run and prints the
# top symbols of each (HotStuff rotates its leader, so every node leads in turn).
# After each protocol a "cpu" line gives each process's CPU time (user + system, from
# /proc and the shell's `times`) during the client run, and the total in µs per op: a
# cost that does not depend on how busy the machine is; a "machine" line gives the CPU
# seconds other processes took meanwhile (from /proc/stat), i.e. how loaded the run was.
# --max-datagram goes into the cluster file (max_datagram), so the nodes and the client
# send no datagram above it (1400: a 1,500-byte-MTU network); a "datagrams" line gives
# each node's datagrams sent and the longest one (from its metrics) and the client's.
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
max_datagram=65000
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
    --max-datagram) max_datagram="$2"; shift 2 ;;
    *) echo "usage: $0 [--duration S] [--concurrency C] [--batch B] [--protocols P] [--client-auth mac|signature] [--rate R] [--no-fsync] [--max-datagram BYTES] [--profile]" >&2; exit 2 ;;
  esac
done

knhk="${KNHK_BINARY:-$root/build/release/cli/knhk}"
if [ ! -x "$knhk" ]; then
  "$root/scripts/build" release knhk >/dev/null
fi

# Busy and total CPU ticks of the whole machine (/proc/stat; idle and iowait are not busy).
machine_ticks() {
  awk '/^cpu / { t = 0; for (i = 2; i <= 9; ++i) t += $i; print t - $5 - $6, t }' /proc/stat
}
# utime + stime of a process in clock ticks (/proc/PID/stat fields 14 and 15).
cpu_ticks() {
  awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# Prints per-process CPU seconds over the client run and the total in µs per completed
# request (the client's includes its start-up: key derivation for every identity).
cpu_line() {
  local protocol="$1" completed="$2" times_file="$3" hz line total client
  hz=$(getconf CLK_TCK)
  # `times` prints the shell's own times, then its children's (the client): "1m2.5s 0m0.1s".
  client=$(sed -n 2p "$times_file" | awk '{ for (i = 1; i <= 2; ++i) { split($i, a, "m");
    sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.2f", t }')
  line="" total=$client
  for i in 0 1 2 3; do
    local s
    s=$(awk -v a="${after[$i]}" -v b="${before[$i]}" -v hz="$hz" 'BEGIN { printf "%.2f", (a - b) / hz }')
    line="$line node$i $s"
    total=$(awk -v t="$total" -v s="$s" 'BEGIN { printf "%.2f", t + s }')
  done
  awk -v p="$protocol" -v l="$line" -v c="$client" -v t="$total" -v n="$completed" \
    'BEGIN { printf "cpu %s: CPU s over the run:%s client %s; total %.1f us per op\n",
             p, l, c, (n > 0 ? t * 1e6 / n : 0) }'
  # What else ran meanwhile: the machine's busy CPU seconds minus the cluster's.
  read -r busy0 all0 <<<"$machine_before"
  read -r busy1 all1 <<<"$machine_after"
  awk -v b="$((busy1 - busy0))" -v a="$((all1 - all0))" -v t="$total" -v hz="$hz" \
    'BEGIN { printf "machine: %.1f of %.1f CPU s busy, %.1f of them other processes\n",
             b / hz, a / hz, b / hz - t }'
}

# Each node's datagrams sent and the longest one, from its metrics (before cluster down).
datagram_line() {
  local protocol="$1" base="$2" line="" i text sent longest
  for i in 0 1 2 3; do
    text=$(curl -s --max-time 2 "http://127.0.0.1:$((base + 100 + i))/metrics" || true)
    sent=$(sed -n 's/^knhk_datagrams_sent_total \([0-9]*\)$/\1/p' <<<"$text")
    longest=$(sed -n 's/^knhk_datagram_bytes_max{direction="sent"} \([0-9]*\)$/\1/p' <<<"$text")
    line="$line node$i ${sent:-?}/${longest:-?}"
  done
  echo "datagrams $protocol: sent/longest bytes:$line client -/${client_longest:-?} (limit $max_datagram)"
}

work="$(mktemp -d /tmp/knhk-udp-bench.XXXXXX)"
cleanup() {
  for d in "$work"/*/; do [ -d "$d" ] && "$knhk" cluster down --dir "$d" >/dev/null 2>&1 || true; done
  [ -n "${KEEP_BENCH_DIR:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "config: 4 nodes on 127.0.0.1, batch $batch, client concurrency $concurrency, rate ${rate/#0/closed loop}, client auth $client_auth, duration $duration, ${fsync_flag:-fdatasync per loop wake-up}, datagrams up to $max_datagram bytes"
printf "%-9s %10s %9s %9s %9s\n" protocol "ops/s" "p50 ms" "p99 ms" "p999 ms"
port=$((20000 + RANDOM % 20000))
for protocol in $protocols; do
  dir="$work/$protocol"
  "$knhk" keygen --nodes 4 --protocol "$protocol" --base-port "$port" --batch-size "$batch" \
    --clients "$concurrency" --client-auth "$client_auth" --max-datagram "$max_datagram" \
    --out "$dir" >/dev/null
  "$knhk" cluster up --dir "$dir" --metrics-base-port $((port + 100)) $fsync_flag >/dev/null
  sleep 1
  perf_pids=()
  if [ "$profile" = 1 ]; then
    for i in 0 1 2 3; do
      perf record -g -o "$dir/perf-node-$i.data" -p "$(cat "$dir/node-$i.pid")" >/dev/null 2>&1 &
      perf_pids+=($!)
    done
  fi
  before=()
  for i in 0 1 2 3; do before+=("$(cpu_ticks "$(cat "$dir/node-$i.pid")")"); done
  machine_before="$(machine_ticks)"
  client_cmd=("$knhk" client --cluster "$dir/cluster.yaml" --duration "$duration"
    --concurrency "$concurrency" --rate "$rate" --quiet)
  if [ "$profile" = 1 ]; then
    client_cmd=(perf record -g -o "$dir/perf-client.data" -- "${client_cmd[@]}")
  fi
  out="$({ "${client_cmd[@]}" 2>/dev/null; times >"$dir/client-times"; })"
  machine_after="$(machine_ticks)"
  after=()
  for i in 0 1 2 3; do after+=("$(cpu_ticks "$(cat "$dir/node-$i.pid")")"); done
  for p in "${perf_pids[@]}"; do kill -INT "$p"; wait "$p" || true; done
  client_longest=$(sed -n 's/.*longest datagram sent \([0-9]*\) bytes.*/\1/p' <<<"$out")
  datagrams="$(datagram_line "$protocol" "$port")"
  "$knhk" cluster down --dir "$dir" >/dev/null
  ops=$(sed -n 's/.*: \([0-9]*\) ops\/s/\1/p' <<<"$out")
  p50=$(sed -n 's/.*p50 \([0-9.]*\).*/\1/p' <<<"$out")
  p99=$(sed -n 's/.*p99 \([0-9.]*\).*/\1/p' <<<"$out")
  p999=$(sed -n 's/.*p999 \([0-9.]*\).*/\1/p' <<<"$out")
  printf "%-9s %10s %9s %9s %9s\n" "$protocol" "$ops" "$p50" "$p99" "$p999"
  cpu_line "$protocol" "$(sed -n 's/^completed \([0-9]*\) of.*/\1/p' <<<"$out")" "$dir/client-times"
  echo "$datagrams"
  if [ "$profile" = 1 ]; then
    for f in "$dir"/perf-node-{0,1,2,3}.data "$dir/perf-client.data"; do
      echo "--- $protocol $(basename "$f" .data) profile (self time) ---"
      perf report -i "$f" --stdio --no-children --sort dso 2>/dev/null |
        grep -E '^ +[0-9]' | head -6 || true
      perf report -i "$f" --stdio --no-children --sort symbol -g none 2>/dev/null |
        grep -E '^ +[0-9]' | cut -c1-100 | head -15 || true
    done
  fi
  port=$((port + 200))
done
