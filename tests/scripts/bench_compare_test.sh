#!/usr/bin/env bash
# scripts/bench-compare against a stand-in benchmark whose wall time is set by FAKE_WALL:
# both modes must read the wall-seconds column and summarise it per command.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fake="$work/fake_bench"
cat > "$fake" <<'FAKE'
#!/usr/bin/env bash
# bench_pbft_bench's shape: a header, then one row with wall s in the ninth column.
[[ "$*" == "--only 0 --seconds 1" ]] || { echo "unexpected arguments: $*" >&2; exit 2; }
echo "| setting | offered | sim s | ops/s | p50 | p99 | messages | views | wall s | cpu s |"
echo "| fake | 1 | 1 | 1 | 1 | 1 | 1 | 0 | ${FAKE_WALL:?} | 9.99 |"
FAKE
chmod +x "$fake"
fail() { echo "bench-compare test: $1" >&2; echo "$2" >&2; exit 1; }

out=$("$root/scripts/bench-compare" --rounds 3 --seconds 1 "FAKE_WALL=1.50 $fake" "FAKE_WALL=2.25 $fake")
grep -qx "round 2: 1.50 2.25" <<< "$out" || fail "interleaved rounds" "$out"
grep -qx "min 1.50  q1 1.50  median 1.50  : FAKE_WALL=1.50 $fake" <<< "$out" ||
  fail "interleaved summary of A" "$out"
grep -qx "min 2.25  q1 2.25  median 2.25  : FAKE_WALL=2.25 $fake" <<< "$out" ||
  fail "interleaved summary of B" "$out"

out=$("$root/scripts/bench-compare" --paired --rounds 2 --seconds 1 "FAKE_WALL=2.00 $fake" "FAKE_WALL=3.00 $fake")
grep -qx "round 1: A 2.00 s  B 3.00 s  B/A 1.500" <<< "$out" || fail "paired rounds" "$out"
grep -qx "B/A: min 1.500  q1 1.500  median 1.500" <<< "$out" || fail "paired summary" "$out"

# A wrong flag prints usage and exits 2.
if "$root/scripts/bench-compare" --no-such-flag a b > "$work/usage" 2>&1; then
  fail "a wrong flag was accepted" "$(cat "$work/usage")"
fi
grep -q "bench-compare \[--paired\]" "$work/usage" || fail "usage text" "$(cat "$work/usage")"
echo "bench-compare: ok"
