#!/bin/sh
# make bench-shapes: workload shapes of our own making (bench/shapes/gen.py, not lh-gen), each run
# end to end (NDJSON → bronze → silver → gold) through lh and through DuckDB and Polars doing the
# same work (bench/shapes/peers.py), side by side.
#
#   bench/shapes.sh [--check] BIN_DIR [SHAPE...]
#       SHAPES_EVENTS  events per shape (default 1000000; 3000 with --check)
#       BENCH_RUNS     runs per engine and shape, the best (least total wall time) kept (default 3)
#       SHAPES_WORK    working directory (default bench/work/shapes; emptied per shape)
#       LH_PEERS_PYTHON  the Python with duckdb, polars, pyarrow and deltalake (default: scripts/peers.sh --print)
#       SHAPES_PEERS   the peers run (default: duckdb-typed polars-typed duckdb polars)
#
# Shapes (default: all): week month-strings year sessions-hc skewed wide invalid tiny; contracts in
# bench/shapes/*.contract. Each shape's NDJSON is generated once. Per engine and run: lh-bronze,
# lh-silver --contract F, lh-gold into a new lake. Peers, two ways each:
#   duckdb, polars: the same work as lh — bronze keeps the raw lines (zstd Parquet), silver parses
#     and validates each line as lh's contract does (JSON types, required, bounds, values, RFC 3339),
#     rejects, dedupes per key and event day, writes partitioned zstd Parquet; gold the tables.
#   duckdb-typed, polars-typed: as users write them — bronze is a typed NDJSON read straight to
#     Parquet (raw lines not kept, malformed lines skipped by DuckDB; Polars stops on them), silver
#     the contract's checks on typed columns and the dedupe, gold the same tables.
# A peer that fails on a shape is shown as failed, and the run goes on.
# Seconds are each lh step's whole process as /usr/bin/time sees it, and each peer step's own work
# as it reports it (Python's start-up and imports excluded); CPU = user + sys over the processes;
# peak RSS = the largest step's. Ratio = peer / lh: above 1 means lh is faster (time) or smaller
# (memory).
#
# --check: at a small size, one lh run, then both peers in one process and silver rows, rejects
# and every gold table of lh compared with each peer's (peers.py check); exits 1 on any
# difference. Only lh's row of the table is printed, and its times mean nothing at that size.
set -eu
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
[ $# -ge 1 ] || { echo "usage: bench/shapes.sh [--check] BIN_DIR [SHAPE...]" >&2; exit 64; }
bin=$(cd "$1" && pwd) || exit 66
shift
for t in lh-bronze lh-silver lh-gold; do
  [ -x "$bin/$t" ] || { echo "bench/shapes.sh: no $t in $bin" >&2; exit 66; }
done
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
python=${LH_PEERS_PYTHON:-$("$root/scripts/peers.sh" --print)}
gen="$here/shapes/gen.py"
peers="$here/shapes/peers.py"
if [ $check = 1 ]; then n=${SHAPES_EVENTS:-3000}; runs=1; else n=${SHAPES_EVENTS:-1000000}; runs=${BENCH_RUNS:-3}; fi
work=${SHAPES_WORK:-$here/work/shapes}
mkdir -p "$work"
[ $# -gt 0 ] || set -- $("$python" "$gen" --list | cut -d' ' -f1)

# timed LABEL CMD...: runs CMD, appends "LABEL wall cpu rss_kb" to $work/steps; stdout to $work/out
timed() {
  label=$1; shift
  if ! /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err"; then
    echo "bench/shapes.sh: $shape: $label failed: $*" >&2
    tail -1 "$work/err" >&2
    touch "$work/failed"
    exit 70
  fi
  # A peer's seconds are its own step's work as it reports it (Python's start-up and imports
  # excluded, as a DuckDB CLI user would not pay them); CPU and RSS are the whole process's.
  work_s=$(sed -n 's/.*"seconds": \([0-9.]*\).*/\1/p' "$work/out" | tail -1)
  awk -v l="$label" -v w="$work_s" '{ printf "%s %s %.2f %s\n", l, (w != "" ? w : $1), $2 + $3, $4 }' "$work/time" >> "$work/steps"
}

# run_engine ENGINE: one run of the three steps; prints "bronze silver gold total cpu rss s1 s2 s3"
run_engine() {
  : > "$work/steps"
  case $1 in
    lh)
      rm -rf "$work/lake"
      timed bronze "$bin/lh-bronze" --lake "$work/lake" --quiet "$data"
      timed silver "$bin/lh-silver" --lake "$work/lake" --contract "$contract" --quiet
      timed gold "$bin/lh-gold" --lake "$work/lake" --quiet ;;
    *)
      rm -rf "${work:?}/$1"
      timed bronze "$python" "$peers" "$1" bronze "$data" "$work/$1" "$contract"
      timed silver "$python" "$peers" "$1" silver "$contract" "$work/$1"
      timed gold "$python" "$peers" "$1" gold "$contract" "$work/$1" ;;
  esac
  awk '{ w[NR] = $2; t += $2; c += $3; if ($4 > r) r = $4; m[NR] = $4 }
       END { printf "%.2f %.2f %.2f %.2f %.2f %d %d %d %d\n", w[1], w[2], w[3], t, c, r, m[1], m[2], m[3] }' "$work/steps"
}

best_of() {  # ENGINE: the run with the least total wall time
  i=0; bestline=""
  while [ $i -lt "$runs" ]; do
    line=$(run_engine "$1")
    [ ! -e "$work/failed" ] || return 70
    bestline=$(printf '%s\n%s\n' "$bestline" "$line" | awk 'NF' | sort -g -k4 | head -1)
    i=$((i + 1))
  done
  echo "$bestline"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); lh $("$bin/lh-bronze" --version);" \
  "$("$python" -c 'import duckdb, polars; print("duckdb", duckdb.__version__, "polars", polars.__version__)');" \
  "events per shape: $n; best of $runs"
echo
table="$work/table.md"
memory="$work/memory.md"
printf '| shape | rows | MB | engine | bronze s | silver s | gold s | total s | CPU s | peak RSS MiB | time ratio | RSS ratio |\n' > "$table"
printf '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n' >> "$table"
printf '| shape | lh-bronze MiB | lh-silver MiB | lh-gold MiB |\n| --- | ---: | ---: | ---: |\n' > "$memory"
failed=0
for shape in "$@"; do
  name=$("$python" "$gen" --list | awk -v s="$shape" '$1 == s { print $2 }')
  [ -n "$name" ] || { echo "bench/shapes.sh: unknown shape '$shape' (see bench/shapes/gen.py --list)" >&2; exit 64; }
  contract="$here/shapes/$name.contract"
  data="$work/$shape.ndjson"
  "$python" "$gen" "$shape" --events "$n" --seed 1 --out "$data"
  rows=$(wc -l < "$data")
  bytes=$(wc -c < "$data")
  rm -f "$work/failed"
  set -- $(best_of lh)
  [ ! -e "$work/failed" ] || exit 70
  lh_total=$4; lh_rss=$6
  printf '| %s | %d | %.1f | lh | %s | %s | %s | %s | %s | %.0f | 1.00 | 1.00 |\n' \
    "$shape" "$rows" "$(echo "$bytes" | awk '{print $1 / 1e6}')" "$1" "$2" "$3" "$4" "$5" "$(echo "$6" | awk '{print $1 / 1024}')" >> "$table"
  printf '| %s | %.0f | %.0f | %.0f |\n' "$shape" "$(echo "$7" | awk '{print $1 / 1024}')" \
    "$(echo "$8" | awk '{print $1 / 1024}')" "$(echo "$9" | awk '{print $1 / 1024}')" >> "$memory"
  if [ $check = 1 ]; then
    # Both peers in one process (start-up dominates at this size), then lh's lake compared with
    # their output.
    echo "$shape ($name, $rows lines):"
    status=0
    "$python" "$peers" check "$contract" "$data" "$work/lake" "$work" > "$work/compare" 2> "$work/err" || status=$?
    sed 's/^/  /' "$work/compare" "$work/err"
    [ $status = 0 ] || failed=1
  else
    for engine in ${SHAPES_PEERS:-duckdb-typed polars-typed duckdb polars}; do
      if ! line=$(best_of $engine) || [ -e "$work/failed" ]; then
        rm -f "$work/failed"
        printf '| %s | | | %s | failed | | | | | | | |\n' "$shape" "$engine" >> "$table"
        continue
      fi
      set -- $line
      awk -v s="$shape" -v e="$engine" -v b="$1" -v sv="$2" -v g="$3" -v t="$4" -v c="$5" -v r="$6" \
        -v lt="$lh_total" -v lr="$lh_rss" 'BEGIN {
          printf "| %s | | | %s | %s | %s | %s | %s | %s | %.0f | %.2f | %.2f |\n", s, e, b, sv, g, t, c, r / 1024,
            t / (lt > 0 ? lt : 0.01), r / lr }' >> "$table"
    done
  fi
  rm -rf "$work/lake" "$work/duckdb" "$work/polars" "$data"
done
cat "$table"
echo
cat "$memory"
[ $failed = 0 ] || { echo "bench/shapes.sh: lh and a peer disagree (see above)" >&2; exit 1; }
