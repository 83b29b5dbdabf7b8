#!/bin/sh
# Large and hostile Delta logs (issue 9): time and peak RSS of the tools that read a snapshot.
#   bench/deltalog/run.sh BIN_DIR [CASE...]     DELTALOG_RUNS (default 3), DELTALOG_DIR (default
#                                               /tmp/lh-deltalog), DELTALOG_PYTHON (default python3),
#                                               DELTALOG_TIMEOUT (seconds per run, default 300)
# Each case (see gen.py) is written onto a fresh copy of a small bronze table, then read by
# `lh-report status`, `lh-pack vacuum` (dry run) and `lh-bronze` (appends one commit; run last,
# once). Prints "case tool status seconds peak-KiB user-seconds stderr" lines, the best of DELTALOG_RUNS runs
# (status 137: killed after DELTALOG_TIMEOUT seconds; the tools finish a step on SIGTERM first).
set -eu
bin=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
python=${DELTALOG_PYTHON:-python3}
dir=${DELTALOG_DIR:-/tmp/lh-deltalog}
runs=${DELTALOG_RUNS:-3}
limit=${DELTALOG_TIMEOUT:-300}
cases=${*:-adds addremove commits longline deep txns sparse}
rm -rf "$dir"
mkdir -p "$dir"
"$bin/lh-gen" --count 100 --seed 1 | "$bin/lh-bronze" --quiet --lake "$dir/base"
find "$dir/base/bronze/events/_delta_log" -name '0*.json' ! -name '00000000000000000000.json' -delete

measure() { # case tool command...
  c=$1 t=$2
  shift 2
  best=
  i=0
  while [ $i -lt "$runs" ]; do
    /usr/bin/time -f "%e %M %U" -o "$dir/time" timeout -s KILL "$limit" "$@" >/dev/null 2>"$dir/err" && s=0 || s=$?
    r=$(tail -1 "$dir/time")
    if [ -z "$best" ] || [ "$(echo "$r $best" | awk '{print ($1 < $4)}')" = 1 ]; then best=$r; fi
    i=$((i + 1))
  done
  echo "$c $t $s $best $(head -c 160 "$dir/err" | head -1)"
}

for c in $cases; do
  lake=$dir/$c
  rm -rf "$lake"
  cp -r "$dir/base" "$lake"
  "$python" "$here/gen.py" "$c" "$lake/bronze/events"
  measure "$c" report-status "$bin/lh-report" status --lake "$lake"
  measure "$c" pack-vacuum "$bin/lh-pack" vacuum --lake "$lake"
  measure "$c" bronze-append sh -c "echo '{}' | '$bin/lh-bronze' --quiet --lake '$lake'"
  rm -rf "$lake"
done
