#!/bin/sh
# make bench: times lh's stages on a deterministic workload and prints one row per measurement.
#   bench/run.sh BIN_DIR            (BENCH_EVENTS=5000000 by default)
# Each row: stage, events, seconds, events/s, MB/s, peak RSS, output bytes. Record the results
# and the machine in bench/RESULTS.md. Peer comparisons (DuckDB, pyarrow) join with the Parquet
# stages.
set -eu
bin=$(cd "$1" && pwd)
[ -x "$bin/lh-gen" ] || { echo "bench: no lh-gen in $bin" >&2; exit 66; }
n=${BENCH_EVENTS:-5000000}
cd "$(dirname "$0")"
mkdir -p work
timefmt="%e %M"
row() {  # stage events seconds rss_kb bytes
  awk -v s="$1" -v n="$2" -v t="$3" -v r="$4" -v b="$5" 'BEGIN {
    printf "%-34s %10d %8.2f s %12.0f ev/s %8.1f MB/s %8.1f MiB %12d B\n",
      s, n, t, n / t, b / t / 1e6, r / 1024, b }'
}
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "lh: $("$bin/lh-gen" --version), events: $n"
for contract in clickstream iot sales; do
  # lh-gen into a pipe, as in a real pipeline (wc counts the bytes on the other side).
  /usr/bin/time -f "$timefmt" -o work/time "$bin/lh-gen" --quiet --contract $contract \
    --count "$n" --seed 1 | wc -c > work/bytes
  set -- $(cat work/time)
  row "lh-gen $contract | pipe" "$n" "$1" "$2" "$(cat work/bytes)"
done
