#!/usr/bin/env bash
# Builds the libFuzzer target for the UDP receive path with clang (ASan + UBSan) and runs
# it for a while:  tests/net/fuzz/run.sh [seconds, default 60]
# Crashing inputs are written to build-fuzz/ (libFuzzer's crash-* files).
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
seconds="${1:-60}"
out="$root/build-fuzz"
mkdir -p "$out/corpus"
sources=$(cd "$root" && ls protocols/common/*.cpp protocols/message.cpp protocols/factory.cpp \
  protocols/smr/*.cpp protocols/pbft/*.cpp protocols/hotstuff/*.cpp \
  net/frame.cpp net/link_keys.cpp net/reassembly.cpp net/wire.cpp)
if [ ! -x "$out/wire_fuzzer" ] || [ -n "$(cd "$root" && find $sources tests/net/fuzz/wire_fuzzer.cpp -newer "$out/wire_fuzzer")" ]; then
  (cd "$root" && clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. \
    $sources tests/net/fuzz/wire_fuzzer.cpp -o "$out/wire_fuzzer" $(pkg-config --libs libsodium))
fi
cd "$out"
./wire_fuzzer -max_total_time="$seconds" -max_len=4096 corpus
