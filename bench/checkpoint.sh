#!/bin/sh
# Checkpoint read/write cost (issue 15): lh's checkpoint codec on N synthetic adds, and a bronze
# table of N live files opened from its checkpoint by lh-report status, lh-bronze and lh-silver
# (bench/checkpoint.py).
#   bench/checkpoint.sh BIN_DIR LH_BENCH [N]    N default 100000; CHECKPOINT_DIR (default
#                                               /tmp/lh-checkpoint), CHECKPOINT_RUNS (default 5)
# BIN_DIR: `swift build -c release --show-bin-path`; LH_BENCH: the release lh-bench
# (`swift build -c release --package-path Benchmarks --show-bin-path`/lh-bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/checkpoint.py" "$1" "$2" "${CHECKPOINT_DIR:-/tmp/lh-checkpoint}" "${3:-100000}"
