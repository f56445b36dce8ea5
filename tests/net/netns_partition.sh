#!/usr/bin/env bash
# Partitions real nodes with Linux network namespaces (issue 7, optional test).
#
# Four `knhk node` processes, each in its own network namespace with its own address,
# joined by veth pairs to a bridge in the root namespace, where the client runs. Then:
#   1. the whole cluster commits;
#   2. node 3 is cut off (its link down): the other three keep committing;
#   3. nodes 2 and 3 are cut off: no quorum, nothing commits (the client stalls);
#   4. both links come back: the stalled requests and new ones commit, and node 3
#      catches up to the same state hash as the others.
#
#   tests/net/netns_partition.sh [pbft|hotstuff]      (needs root: ip netns, ip link)
#
# Not in ctest: it needs CAP_NET_ADMIN. KNHK_BINARY selects the binary. Exit 0 on
# success, 1 on a failed check, 77 when namespaces are not available (skip).
set -euo pipefail
protocol="${1:-pbft}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
knhk="${KNHK_BINARY:-$root/build/release/cli/knhk}"
tag="k$$"
subnet="10.$((77 + $$ % 100)).$(($$ % 250))"
bridge="${tag}br"
work="$(mktemp -d /tmp/knhk-netns.XXXXXX)"
pids=()

if ! ip netns add "${tag}probe" 2>/dev/null; then
  echo "skip: cannot create network namespaces here (needs root / CAP_NET_ADMIN)"
  exit 77
fi
ip netns del "${tag}probe"

cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for i in 0 1 2 3; do ip netns del "${tag}n$i" 2>/dev/null || true; done
  ip link del "$bridge" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  for i in 0 1 2 3; do echo "--- node $i log tail"; tail -5 "$work/node-$i.log" || true; done
  exit 1
}

node_ip() { echo "$subnet.$(($1 + 1))"; }

# ---- network: one namespace per node, a bridge in the root namespace ----
ip link add "$bridge" type bridge
ip addr add "$subnet.254/24" dev "$bridge"
ip link set "$bridge" up
for i in 0 1 2 3; do
  ns="${tag}n$i"
  ip netns add "$ns"
  ip link add "${tag}v$i" type veth peer name eth0 netns "$ns"
  ip link set "${tag}v$i" master "$bridge" up
  ip -n "$ns" addr add "$(node_ip "$i")/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
done
cut_off() { ip link set "${tag}v$1" down; }
reconnect() { ip link set "${tag}v$1" up; }

# ---- keys, with every node at its own address ----
"$knhk" keygen --nodes 4 --protocol "$protocol" --base-port 7000 --clients 32 \
  --out "$work" >/dev/null
/usr/bin/python3 - "$work/cluster.yaml" "$subnet" <<'EOF'
import re, sys
path, subnet = sys.argv[1], sys.argv[2]
text = open(path).read()
counter = iter(range(4))
text = re.sub(r"address: 127\.0\.0\.1:(\d+)",
              lambda m: f"address: {subnet}.{next(counter) + 1}:{m.group(1)}", text)
open(path, "w").write(text)
EOF

start_node() {
  ip netns exec "${tag}n$1" "$knhk" node --cluster "$work/cluster.yaml" --id "$1" \
    --data "$work/data-$1" --metrics-port 9100 --no-fsync >>"$work/node-$1.log" 2>&1 &
  pids+=($!)
}
for i in 0 1 2 3; do start_node "$i"; done
sleep 1

metric() {  # node, metric name: value of the first sample
  curl -s --max-time 2 "http://$(node_ip "$1"):9100/metrics" | awk -v m="$2" '$1 == m {print $2; exit}'
}
state_hash() {
  curl -s --max-time 2 "http://$(node_ip "$1"):9100/metrics" |
    sed -n 's/^knhk_state_hash{position="\([0-9]*\)",hash="\([0-9a-f]*\)".*/\1 \2/p'
}
client() {  # first-client, requests, time limit in s
  timeout "$3" "$knhk" client --cluster "$work/cluster.yaml" --requests "$2" \
    --concurrency 8 --first-client "$1" --quiet
}

echo "1. all four nodes ($protocol)"
client 0 400 60 || fail "the connected cluster did not commit 400 requests"

echo "2. node 3 cut off: three nodes keep committing"
cut_off 3
client 8 400 60 || fail "three connected nodes did not commit"

echo "3. nodes 2 and 3 cut off: no quorum, nothing commits"
cut_off 2
before="$(metric 0 knhk_committed_requests_total)"
[ -n "$before" ] || fail "cannot read node 0's metrics"
if client 16 50 8 >/dev/null; then fail "requests committed without a quorum"; fi
after="$(metric 0 knhk_committed_requests_total)"
[ "$before" = "$after" ] || fail "node 0 committed without a quorum ($before -> $after)"

echo "4. links back: commits resume and node 3 catches up"
reconnect 2
reconnect 3
client 24 400 90 || fail "the healed cluster did not commit"
for attempt in $(seq 1 30); do
  h0="$(state_hash 0)"; h3="$(state_hash 3)"
  [ -n "$h0" ] && [ "$h0" = "$h3" ] && break
  sleep 1
done
[ -n "$h0" ] && [ "$h0" = "$h3" ] || fail "node 3 did not catch up: node 0 at '$h0', node 3 at '$h3'"
echo "node 0: $h0"
echo "node 3: $h3"
echo "PASS: $protocol partition test"
