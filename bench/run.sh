#!/bin/sh
# make bench: the same workloads through lh and through its peers, side by side, one core each.
#   bench/run.sh BIN_DIR            BENCH_EVENTS (default 5000000), BENCH_RUNS (default 3)
#
# Stages:
#   lh-gen | pipe              events generated into a pipe (lh only: the peers have no generator)
#   write: columns → Parquet    clickstream NDJSON loaded into memory (not timed), then written as
#                               zstd level 3 Parquet: lh vs pyarrow, DuckDB, Polars
#   read: Parquet → columns     lh's file read into memory: lh vs pyarrow, DuckDB, Polars
#   gold: silver → 8 tables     the clickstream gold tables: lh-gold vs DuckDB running them as SQL
#   bronze: NDJSON → table      the clickstream file landed by lh-bronze (all cores, and one) vs
#                               DuckDB read_json → COPY zstd Parquet (all cores) vs zstd -T (floor)
#   silver: bronze → silver     that bronze table (5 % duplicates, 1 % malformed lines) refined by
#                               lh-silver (all cores) vs DuckDB reading the same bronze files,
#                               parsing, validating, deduplicating and writing partitioned zstd
#                               Parquet (all cores)
#   archive: lake → .tar.zst    lh-pack archive (and verify) of that bronze lake vs tar -I 'zstd -3'
#   end to end: gen → gold      lh-bronze + lh-silver + lh-gold vs DuckDB doing the same steps
# Each timing is the best of BENCH_RUNS runs (the machine is shared; the best run is the least
# disturbed). Ratio = peer time / lh time: above 1 means lh is faster. Peak RSS is the whole
# process (loading included). Results go in bench/RESULTS.md by hand, with the machine.
set -eu
bin=$(cd "$1" && pwd)
lhbench=${LH_BENCH:-$bin/lh-bench}
[ -x "$bin/lh-gen" ] && [ -x "$lhbench" ] || { echo "bench: need lh-gen in $bin and lh-bench at $lhbench (make bench builds both)" >&2; exit 66; }
n=${BENCH_EVENTS:-5000000}
runs=${BENCH_RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
python=$("$root/scripts/peers.sh" --print)
work=$here/work
mkdir -p "$work"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "lh $("$bin/lh-gen" --version), $("$python" -c 'import pyarrow, duckdb, polars; print("pyarrow", pyarrow.__version__, "duckdb", duckdb.__version__, "polars", polars.__version__)'), events: $n, best of $runs"
echo

printf '%-28s %-8s %9s %12s %9s %10s %13s %8s\n' stage engine seconds events/s MB/s "peak RSS" "output B" ratio
row() {  # stage engine seconds rss_kb bytes mb_basis ratio
  awk -v s="$1" -v e="$2" -v t="$3" -v r="$4" -v b="$5" -v m="$6" -v q="$7" -v n="$n" 'BEGIN {
    printf "%-28s %-8s %9.3f %12.0f %9.1f %7.0f MiB %13d %8s\n", s, e, t, n / t, m / t / 1e6, r / 1024, b, q }'
}
best() {  # command...: runs it $runs times; prints "seconds rss bytes" of the fastest run
  i=0; bestline=""
  while [ $i -lt "$runs" ]; do
    line=$("$@")
    bestline=$(printf '%s\n%s\n' "$bestline" "$line" | awk 'NF' | sort -g | head -1)
    i=$((i + 1))
  done
  echo "$bestline"
}

# 1. Generation into a pipe.
for contract in clickstream iot sales; do
  measure_gen() {
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin/lh-gen" --quiet --contract $contract --count "$n" --seed 1 | wc -c > "$work/bytes"
    echo "$(cut -d' ' -f1 "$work/time") $(cut -d' ' -f2 "$work/time") $(cat "$work/bytes")"
  }
  set -- $(best measure_gen)
  row "lh-gen $contract | pipe" lh "$1" "$2" "$3" "$3" ""
done

# 2. Columns → Parquet.
"$bin/lh-gen" --quiet --count "$n" --seed 1 > "$work/events.ndjson"
ndjson_bytes=$(wc -c < "$work/events.ndjson")
lh_write() {
  /usr/bin/time -f "%M" -o "$work/rss" "$lhbench" write clickstream "$work/events.ndjson" "$work/lh.parquet" 3 > "$work/out.json"
  "$python" -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['write'], open(sys.argv[2]).read().strip(), d['bytes'])" "$work/out.json" "$work/rss"
}
peer_write() {
  "$python" "$here/peers_bench.py" "$1" write clickstream "$work/events.ndjson" "$work/$1.parquet" 3 |
    "$python" -c "import json,sys; d=json.load(sys.stdin); print(d['seconds'], d['rss_kb'], d['bytes'])"
}
set -- $(best lh_write)
lh_w=$1
row "write: columns → Parquet" lh "$1" "$2" "$3" "$ndjson_bytes" "1.00"
for engine in pyarrow duckdb polars; do
  set -- $(best peer_write $engine)
  row "write: columns → Parquet" $engine "$1" "$2" "$3" "$ndjson_bytes" "$(awk -v a="$1" -v b="$lh_w" 'BEGIN{printf "%.2f", a/b}')"
done

# 3. Parquet → columns (everyone reads lh's file).
parquet_bytes=$(wc -c < "$work/lh.parquet")
lh_read() {
  /usr/bin/time -f "%M" -o "$work/rss" "$lhbench" read "$work/lh.parquet" > "$work/out.json"
  "$python" -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['read'], open(sys.argv[2]).read().strip(), 0)" "$work/out.json" "$work/rss"
}
peer_read() {
  "$python" "$here/peers_bench.py" "$1" read "$work/lh.parquet" |
    "$python" -c "import json,sys; d=json.load(sys.stdin); print(d['seconds'], d['rss_kb'], 0)"
}
set -- $(best lh_read)
lh_r=$1
row "read: Parquet → columns" lh "$1" "$2" "$parquet_bytes" "$parquet_bytes" "1.00"
for engine in pyarrow duckdb polars; do
  set -- $(best peer_read $engine)
  row "read: Parquet → columns" $engine "$1" "$2" "$parquet_bytes" "$parquet_bytes" "$(awk -v a="$1" -v b="$lh_r" 'BEGIN{printf "%.2f", a/b}')"
done
echo
echo "output size, lh / pyarrow at zstd level 3: $(awk -v a="$(wc -c < "$work/lh.parquet")" -v b="$(wc -c < "$work/pyarrow.parquet")" 'BEGIN{printf "%.3f", a/b}')"

# 4. Bronze: the NDJSON file landed in a Delta table, every line verbatim (lh-bronze, all cores)
#    vs DuckDB parsing the same file and writing zstd Parquet (all cores), beside the floor: the
#    zstd CLI compressing every byte of the file on all cores (at lh-bronze's level, 3).
cores=$(nproc)
echo
printf '%-28s %-8s %9s %12s %9s %10s %13s %8s\n' "bronze: NDJSON → table" engine seconds events/s MB/s "peak RSS" "output B" "vs lh"
lh_land() {  # extra lh-bronze flags...
  rm -rf "$work/lake"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin/lh-bronze" --quiet --lake "$work/lake" "$@" "$work/events.ndjson"
  echo "$(cut -d' ' -f1 "$work/time") $(cut -d' ' -f2 "$work/time") $(find "$work/lake" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s}')"
}
duck_land() {
  rm -f "$work/duck-land.parquet"
  "$python" "$here/peers_bench.py" duckdb land "$work/events.ndjson" "$work/duck-land.parquet" "$cores" |
    "$python" -c "import json,sys; d=json.load(sys.stdin); print(d['seconds'], d['rss_kb'], d['bytes'])"
}
zstd_floor() {  # level
  /usr/bin/time -f "%e %M" -o "$work/time" zstd -q -f -T"$cores" -"$1" "$work/events.ndjson" -o "$work/floor.zst"
  echo "$(cut -d' ' -f1 "$work/time") $(cut -d' ' -f2 "$work/time") $(wc -c < "$work/floor.zst")"
}
set -- $(best lh_land)
lh_b=$1
row "lh-bronze ($cores threads)" lh "$1" "$2" "$3" "$ndjson_bytes" "1.00"
set -- $(best lh_land --threads 1)
row "lh-bronze (1 thread)" lh "$1" "$2" "$3" "$ndjson_bytes" "$(awk -v a="$1" -v b="$lh_b" 'BEGIN{printf "%.2f", a/b}')"
set -- $(best duck_land)
row "read_json → COPY zstd" duckdb "$1" "$2" "$3" "$ndjson_bytes" "$(awk -v a="$1" -v b="$lh_b" 'BEGIN{printf "%.2f", a/b}')"
set -- $(best zstd_floor 3)
row "zstd -T$cores -3 (floor)" zstd "$1" "$2" "$3" "$ndjson_bytes" "$(awk -v a="$1" -v b="$lh_b" 'BEGIN{printf "%.2f", a/b}')"
rm -rf "$work/lake" "$work/floor.zst" "$work/duck-land.parquet"

# 5. Silver: a bronze table of the clickstream events with faults (2 % duplicates, 1 % malformed),
#    refined by lh-silver (parse, validate, dedupe, write partitioned zstd Parquet, commit) vs DuckDB
#    doing the same work on the same bronze files.
echo
printf '%-28s %-8s %9s %12s %9s %10s %13s %8s\n' "silver: bronze → silver" engine seconds events/s MB/s "peak RSS" "output B" "vs lh"
"$bin/lh-gen" --quiet --count "$n" --seed 1 --duplicates 0.02 --malformed 0.01 > "$work/faults.ndjson"
faults_bytes=$(wc -c < "$work/faults.ndjson")
rm -rf "$work/silverlake"
"$bin/lh-bronze" --quiet --lake "$work/silverlake" "$work/faults.ndjson"
rm -f "$work/faults.ndjson"
lh_silver() {
  rm -rf "$work/silverlake/silver"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin/lh-silver" --quiet --lake "$work/silverlake"
  echo "$(cut -d' ' -f1 "$work/time") $(cut -d' ' -f2 "$work/time") $(find "$work/silverlake/silver" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s}')"
}
duck_silver() {
  rm -rf "$work/duck-silver"
  "$python" "$here/peers_bench.py" duckdb silver "$work/silverlake/bronze/events" "$work/duck-silver" "$cores" |
    "$python" -c "import json,sys; d=json.load(sys.stdin); print(d['seconds'], d['rss_kb'], d['bytes'])"
}
set -- $(best lh_silver)
lh_s=$1
row "lh-silver ($cores threads)" lh "$1" "$2" "$3" "$faults_bytes" "1.00"
set -- $(best duck_silver)
row "parse+check+dedupe → COPY" duckdb "$1" "$2" "$3" "$faults_bytes" "$(awk -v a="$1" -v b="$lh_s" 'BEGIN{printf "%.2f", a/b}')"
rm -rf "$work/duck-silver"

# 6. Gold: every clickstream gold table from that silver table (lh-gold, all cores) vs DuckDB
#    running the same tables as SQL (tests/peers/gold_check.py) over silver's files, writing
#    zstd Parquet (all cores).
echo
printf '%-28s %-8s %9s %12s %9s %10s %13s %8s\n' "gold: silver → 8 tables" engine seconds events/s MB/s "peak RSS" "output B" "vs lh"
lh_silver >/dev/null
silver_bytes=$(find "$work/silverlake/silver/events" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s}')
lh_gold() {
  rm -rf "$work/silverlake/gold"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin/lh-gold" --quiet --lake "$work/silverlake"
  echo "$(cut -d' ' -f1 "$work/time") $(cut -d' ' -f2 "$work/time") $(find "$work/silverlake/gold" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s}')"
}
duck_gold() {
  rm -rf "$work/duck-gold"
  "$python" "$here/peers_bench.py" duckdb gold "$work/silverlake" "$work/duck-gold" "$cores" |
    "$python" -c "import json,sys; d=json.load(sys.stdin); print(d['seconds'], d['rss_kb'], d['bytes'])"
}
set -- $(best lh_gold)
lh_g=$1
row "lh-gold" lh "$1" "$2" "$3" "$silver_bytes" "1.00"
set -- $(best duck_gold)
row "8 SQL queries → COPY" duckdb "$1" "$2" "$3" "$silver_bytes" "$(awk -v a="$1" -v b="$lh_g" 'BEGIN{printf "%.2f", a/b}')"
rm -rf "$work/silverlake" "$work/duck-gold"

# 7. lh-pack archive: a bronze lake (the clickstream file landed by lh-bronze) archived to a
#    .tar.zst by lh-pack (libarchive pax + zstd level 3 by lh, SHA-256 of every file, one core) vs
#    GNU tar piping through the zstd CLI at the same level, one core (`tar -I 'zstd -3'`), on the
#    same lake. MB/s is of the lake's bytes. lh-pack also verifies with `verify` (read back).
echo
printf '%-28s %-8s %9s %12s %9s %10s %13s %8s\n' "archive: lake → .tar.zst" engine seconds events/s MB/s "peak RSS" "output B" "vs lh"
rm -rf "$work/lake"
"$bin/lh-bronze" --quiet --lake "$work/lake" "$work/events.ndjson"
lake_bytes=$(du -sb "$work/lake" | cut -f1)
pack_archive() {
  rm -f "$work/lake.tar.zst"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin/lh-pack" archive --quiet --lake "$work/lake" -o "$work/lake.tar.zst"
  echo "$(cut -d' ' -f1 "$work/time") $(cut -d' ' -f2 "$work/time") $(wc -c < "$work/lake.tar.zst")"
}
pack_verify() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin/lh-pack" verify --quiet "$work/lake.tar.zst"
  echo "$(cut -d' ' -f1 "$work/time") $(cut -d' ' -f2 "$work/time") 0"
}
tar_zstd() {
  rm -f "$work/tar.tar.zst"
  /usr/bin/time -f "%e %M" -o "$work/time" tar -C "$work" -I 'zstd -3' -cf "$work/tar.tar.zst" lake
  echo "$(cut -d' ' -f1 "$work/time") $(cut -d' ' -f2 "$work/time") $(wc -c < "$work/tar.tar.zst")"
}
set -- $(best pack_archive)
lh_a=$1
row "lh-pack archive" lh "$1" "$2" "$3" "$lake_bytes" "1.00"
set -- $(best pack_verify)
row "lh-pack verify" lh "$1" "$2" "$3" "$lake_bytes" "$(awk -v a="$1" -v b="$lh_a" 'BEGIN{printf "%.2f", a/b}')"
set -- $(best tar_zstd)
row "tar -I 'zstd -3'" tar "$1" "$2" "$3" "$lake_bytes" "$(awk -v a="$1" -v b="$lh_a" 'BEGIN{printf "%.2f", a/b}')"
rm -rf "$work/lake" "$work/lake.tar.zst" "$work/tar.tar.zst"

# 8. End to end: the clickstream file through lh-bronze, lh-silver and lh-gold (all cores) vs
#    DuckDB doing the same three steps (read_json → bronze Parquet, validate + dedupe → silver
#    partitioned by day, the eight gold tables as SQL; all cores). Seconds are the three steps'
#    sum; peak RSS the largest step's.
echo
printf '%-28s %-8s %9s %12s %9s %10s %13s %8s\n' "end to end: gen → gold" engine seconds events/s MB/s "peak RSS" "output B" "vs lh"
lh_e2e() {
  rm -rf "$work/e2e"
  total=0; peak=0
  for step in "lh-bronze --quiet --lake $work/e2e $work/events.ndjson" "lh-silver --quiet --lake $work/e2e" "lh-gold --quiet --lake $work/e2e"; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %M" -o "$work/time" "$bin/"$step
    total=$(awk -v a="$total" -v b="$(cut -d' ' -f1 "$work/time")" 'BEGIN{print a + b}')
    peak=$(awk -v a="$peak" -v b="$(cut -d' ' -f2 "$work/time")" 'BEGIN{print (b > a) ? b : a}')
  done
  echo "$total $peak $(find "$work/e2e" -name '*.parquet' -printf '%s\n' | awk '{s += $1} END {print s}')"
}
duck_e2e() {
  rm -rf "$work/duck-e2e"
  "$python" "$here/peers_bench.py" duckdb e2e "$work/events.ndjson" "$work/duck-e2e" "$cores" |
    "$python" -c "import json,sys; d=json.load(sys.stdin); print(d['seconds'], d['rss_kb'], d['bytes'])"
}
set -- $(best lh_e2e)
lh_e=$1
row "bronze+silver+gold" lh "$1" "$2" "$3" "$ndjson_bytes" "1.00"
set -- $(best duck_e2e)
row "the same three steps" duckdb "$1" "$2" "$3" "$ndjson_bytes" "$(awk -v a="$1" -v b="$lh_e" 'BEGIN{printf "%.2f", a/b}')"
rm -rf "$work/e2e" "$work/duck-e2e"
