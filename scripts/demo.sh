#!/bin/sh
# The main job on its embedded default, end to end, in ./lake. Each tool joins the pipeline as it
# lands: today lh-gen generates a day of clickstream events (with a few late, duplicate and
# malformed lines) into lake/incoming/, as NDJSON and as Parquet, lh-bronze lands it in the bronze
# Delta table (twice: the second time it is skipped), lh-silver refines it into typed,
# deduplicated silver rows and rejects (twice: the second time there is nothing new), and the
# demo shows what it made.
set -eu
bin=$1
lake=${LH_LAKE:-./lake}
mkdir -p "$lake/incoming"
echo "== lh-gen: one day of clickstream events, with faults, into $lake/incoming/clickstream.ndjson"
"$bin/lh-gen" --contract clickstream --count 200000 --duration 24h --seed 42 \
  --late 0.01 --duplicates 0.005 --malformed 0.002 > "$lake/incoming/clickstream.ndjson"
"$bin/lh-gen" --contract iot --count 50000 --duration 6h --seed 42 > "$lake/incoming/iot.ndjson"
"$bin/lh-gen" --contract sales --count 20000 --duration 7d --seed 42 > "$lake/incoming/sales.ndjson"
echo "== the same clickstream day as zstd Parquet with typed columns (readable by DuckDB, Polars, pyarrow)"
"$bin/lh-gen" --contract clickstream --count 200000 --duration 24h --seed 42 \
  --late 0.01 --duplicates 0.005 --format parquet -o "$lake/incoming/clickstream.parquet"
echo "== lh-bronze: land the day in $lake/bronze/events (a Delta table), then land it again (skipped)"
"$bin/lh-bronze" --lake "$lake" "$lake/incoming/clickstream.ndjson"
"$bin/lh-bronze" --lake "$lake" "$lake/incoming/clickstream.ndjson"
echo "== lh-silver: refine bronze into $lake/silver/events and $lake/silver/rejects, then again (nothing new)"
"$bin/lh-silver" --lake "$lake"
"$bin/lh-silver" --lake "$lake"
echo "== lh-gold: the clickstream KPI tables in $lake/gold/, then again (nothing new)"
"$bin/lh-gold" --lake "$lake"
"$bin/lh-gold" --lake "$lake"
echo "== lh-silver --stream: the first two clean rows of a stream"
head -5 "$lake/incoming/clickstream.ndjson" | "$bin/lh-silver" --stream --quiet | head -2
echo
echo "== the first three clickstream events"
head -3 "$lake/incoming/clickstream.ndjson"
echo
echo "== event types"
grep -ao '"event_type":"[a-z_]*"' "$lake/incoming/clickstream.ndjson" | sort | uniq -c | sort -rn
echo
echo "== files"
ls -l "$lake/incoming"
echo
echo "== the tables' logs"
ls "$lake/bronze/events/_delta_log" "$lake/silver/events/_delta_log" "$lake/silver/rejects/_delta_log"
echo
echo "== silver partitions (event_date)"
ls "$lake/silver/events"
echo
echo "== gold tables"
ls "$lake/gold"
echo
echo "== lh-report: the daily gold tables, with charts"
"$bin/lh-report" --lake "$lake" --format text --width 100 \
  daily_active_users conversion_rate_daily revenue_daily events_per_source_daily
echo "== lh-report status: versions, sizes, lag behind bronze, reconciliation"
"$bin/lh-report" status --lake "$lake" --format text --width 150
