#!/usr/bin/env bash
# Real nodes on a 1,500-byte-MTU network (optional test, needs root): four `knhk node`
# processes, each in its own network namespace, joined by veth pairs (MTU 1500) to a
# bridge in the root namespace, where the client runs. The same load runs twice:
#   1. max_datagram 65000 (the default): the nodes' datagrams are IP-fragmented — the
#      namespaces' FragCreates counters grow (this is what the limit is for);
#   2. max_datagram 1400 (cluster file): every request commits and no node namespace
#      fragments (FragCreates) or reassembles (ReasmReqds) a single IP packet.
#
#   tests/net/netns_mtu.sh [pbft|hotstuff] [requests]      (needs root: ip netns, ip link)
#
# Not in ctest: it needs CAP_NET_ADMIN. KNHK_BINARY selects the binary. Exit 0 on
# success, 1 on a failed check, 77 when namespaces are not available (skip).
set -euo pipefail
protocol="${1:-pbft}"
requests="${2:-3000}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
knhk="${KNHK_BINARY:-$root/build/release/cli/knhk}"
tag="m$$"
subnet="10.$((177 + $$ % 70)).$(($$ % 250))"
bridge="${tag}br"
work="$(mktemp -d /tmp/knhk-netns-mtu.XXXXXX)"
pids=()

if ! ip netns add "${tag}probe" 2>/dev/null; then
  echo "skip: cannot create network namespaces here (needs root / CAP_NET_ADMIN)"
  exit 77
fi
ip netns del "${tag}probe"

stop_nodes() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_nodes
  for i in 0 1 2 3; do ip netns del "${tag}n$i" 2>/dev/null || true; done
  ip link del "$bridge" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for d in "$work"/*/; do
    for i in 0 1 2 3; do echo "--- $d node $i log tail"; tail -3 "$d/node-$i.log" || true; done
  done
  exit 1
}

node_ip() { echo "$subnet.$(($1 + 1))"; }

# ---- network: one namespace per node, a bridge in the root namespace, MTU 1500 ----
ip link add "$bridge" type bridge
ip link set "$bridge" mtu 1500
ip addr add "$subnet.254/24" dev "$bridge"
ip link set "$bridge" up
for i in 0 1 2 3; do
  ns="${tag}n$i"
  ip netns add "$ns"
  ip link add "${tag}v$i" mtu 1500 type veth peer name eth0 mtu 1500 netns "$ns"
  ip link set "${tag}v$i" master "$bridge" up
  ip -n "$ns" addr add "$(node_ip "$i")/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done

# Sum of one IPv4 counter (/proc/net/snmp, e.g. FragCreates) over the node namespaces.
ip_counter() {
  local total=0 i v
  for i in 0 1 2 3; do
    v=$(ip netns exec "${tag}n$i" awk -v name="$1" '
      /^Ip:/ && !header { for (k = 1; k <= NF; ++k) col[$k] = k; header = 1; next }
      /^Ip:/ && header { print $col[name]; exit }' /proc/net/snmp)
    total=$((total + v))
  done
  echo "$total"
}

run_cluster() {  # max_datagram: prints the client summary; sets frag_created, reassembled
  local limit="$1" dir="$work/$1" frag0 reasm0
  "$knhk" keygen --nodes 4 --protocol "$protocol" --base-port 7000 --clients 32 \
    --max-datagram "$limit" --out "$dir" >/dev/null
  /usr/bin/python3 - "$dir/cluster.yaml" "$subnet" <<'PY'
import re, sys
path, subnet = sys.argv[1], sys.argv[2]
text = open(path).read()
counter = iter(range(4))
text = re.sub(r"address: 127\.0\.0\.1:(\d+)",
              lambda m: f"address: {subnet}.{next(counter) + 1}:{m.group(1)}", text)
open(path, "w").write(text)
PY
  for i in 0 1 2 3; do
    ip netns exec "${tag}n$i" "$knhk" node --cluster "$dir/cluster.yaml" --id "$i" \
      --data "$dir/data-$i" --metrics-port 9100 --no-fsync >>"$dir/node-$i.log" 2>&1 &
    pids+=($!)
  done
  sleep 1
  frag0=$(ip_counter FragCreates)
  reasm0=$(ip_counter ReasmReqds)
  summary=$(timeout 120 "$knhk" client --cluster "$dir/cluster.yaml" --requests "$requests" \
    --concurrency 32 --quiet) || fail "max_datagram $limit: $requests requests did not commit"
  frag_created=$(($(ip_counter FragCreates) - frag0))
  reassembled=$(($(ip_counter ReasmReqds) - reasm0))
  longest=""
  for i in 0 1 2 3; do
    longest="$longest $(curl -s --max-time 2 "http://$(node_ip "$i"):9100/metrics" |
      sed -n 's/^knhk_datagram_bytes_max{direction="sent"} //p')"
  done
  stop_nodes
  echo "max_datagram $limit: $(head -1 <<<"$summary")"
  echo "  node namespaces: IP fragments created $frag_created, fragments reassembled $reassembled; longest datagram sent per node:$longest"
}

echo "4 $protocol nodes in namespaces, veth MTU $(cat /sys/class/net/${tag}v0/mtu), $requests requests per run"
run_cluster 65000
[ "$frag_created" -gt 0 ] || fail "at 65000 no IP fragments were created: the check would have no teeth"
run_cluster 1400
[ "$frag_created" -eq 0 ] || fail "at 1400 the nodes created $frag_created IP fragments"
[ "$reassembled" -eq 0 ] || fail "at 1400 the nodes reassembled $reassembled IP fragments"
echo "PASS: $protocol at max_datagram 1400 on a 1,500-byte MTU, no IP fragmentation"
