#!/bin/sh
# Proves the Delta checker before lh's Delta writer exists: check_lh_delta.py must PASS on the delta-rs-written
# fixtures (fixtures/delta/) and must FAIL, naming the right check, on copies broken on purpose (wrong add.size,
# a stats min off by one, a missing commitInfo, a removed data file, wrong numRecords, ...). Prints one line per
# case and "delta selftest: N passed, N failed" last; exit 1 on a failure.
#   tests/peers/selftest_delta.sh                  (installs the peers into .venv first: scripts/peers.sh)
#   LH_PEERS_PYTHON=/path/to/python tests/peers/selftest_delta.sh   (use a python that has the pinned peers)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "${LH_PEERS_PYTHON:-}" ]; then
  py=$LH_PEERS_PYTHON
else
  py=$("$root/scripts/peers.sh" --print) || exit 1
fi
export PYTHONDONTWRITEBYTECODE=1
check="$root/tests/peers/check_lh_delta.py"
fx="$root/fixtures/delta"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lh-delta-selftest.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# expect_pass NAME: the fixture must pass every check
expect_pass() {
  if "$py" "$check" "$fx/$1" "$fx/$1.expected.json" "$fx/$1.expected.ndjson" >"$tmp/out" 2>&1; then
    ok "passes: $1"
  else
    bad "passes: $1"; sed 's/^/     /' "$tmp/out"
  fi
}

# expect_fail LABEL PATTERN TABLE_DIR EXPECTED.json EXPECTED.ndjson: must exit 1 and print a line matching PATTERN
expect_fail() {
  label=$1 pattern=$2; shift 2
  "$py" "$check" "$@" >"$tmp/out" 2>&1
  rc=$?
  if [ "$rc" = 1 ] && grep -Eq -- "$pattern" "$tmp/out"; then
    ok "catches: $label"
  else
    bad "catches: $label (exit $rc, wanted 1 and /$pattern/)"; sed 's/^/     /' "$tmp/out"
  fi
}

# expect_rc LABEL RC ARGS...: exit status only (usage 64, missing input 66)
expect_rc() {
  label=$1 want=$2; shift 2
  "$py" "$check" "$@" >"$tmp/out" 2>&1
  rc=$?
  if [ "$rc" = "$want" ]; then ok "exit $want: $label"; else bad "exit $want: $label (got $rc)"; sed 's/^/     /' "$tmp/out"; fi
}

for name in simple partitioned overwrite replace_partition txn many_commits schema_evolution; do
  expect_pass "$name"
done

# broken NAME WHAT: copies fixture NAME to $tmp/WHAT/NAME and breaks it (see the python below); the expectations
# stay the committed ones, so the checker must notice.
broken() {
  mkdir -p "$tmp/$2" && cp -R "$fx/$1" "$tmp/$2/" &&
    "$py" - "$tmp/$2/$1" "$2" <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["LH_PEERS_DIR"])
import delta_common as D
table, what = sys.argv[1], sys.argv[2]
log = D.replay(table)

def rewrite(version, edit):
    """edit(kind, body) -> body, or None to drop the line."""
    p = D.commit_path(table, version)
    out = []
    for line in open(p, encoding="utf-8").read().splitlines():
        (kind, body), = json.loads(line).items()
        body = edit(kind, body)
        if body is not None:
            out.append(json.dumps({kind: body}, ensure_ascii=False, separators=(",", ":")))
    open(p, "w", encoding="utf-8").write("\n".join(out) + "\n")

def first_add(kind, body, done=[]):
    return kind == "add" and not done and not done.append(1)

def edit_stats(fn):
    def edit(kind, body):
        if first_add(kind, body):
            st = json.loads(body["stats"])
            fn(st)
            body["stats"] = json.dumps(st, separators=(",", ":"))
        return body
    return edit

if what == "wrong_size":
    rewrite(0, lambda k, b: (b.update(size=b["size"] + 10) or b) if first_add(k, b) else b)
elif what == "min_off_by_one":
    def f(st): st["minValues"]["id"] += 1
    rewrite(0, edit_stats(f))
elif what == "no_commitinfo":
    rewrite(1, lambda k, b: None if k == "commitInfo" else b)
elif what == "removed_file":
    path = sorted(log.files)[0]
    os.remove(os.path.join(table, D.decode_path(path)))
elif what == "wrong_numrecords":
    def f(st): st["numRecords"] += 1
    rewrite(0, edit_stats(f))
elif what == "wrong_nullcount":
    def f(st): st["nullCount"]["name"] += 1
    rewrite(0, edit_stats(f))
elif what == "ts_micros":
    # the stats max of ts at microsecond precision instead of delta-rs's milliseconds truncated down
    import pyarrow.parquet as pq, pyarrow as pa
    add = [b for k, b in log.commits[0] if k == "add"][0]
    ts = pq.read_table(os.path.join(table, D.decode_path(add["path"])), columns=["ts"]).column("ts").drop_null()
    import canonical as C
    mx = max(ts.cast(pa.int64()).to_pylist())
    def f(st): st["maxValues"]["ts"] = C.canon_timestamp_units(mx + 1000, "us")
    rewrite(0, edit_stats(f))
elif what == "unencoded_path":
    # add.path with the directory name as on disk (one level of %-encoding too few)
    def edit(kind, body):
        if kind == "add" and "%25" in body["path"]:
            body["path"] = D.decode_path(body["path"])
        return body
    for v in range(log.version + 1):
        rewrite(v, edit)
elif what == "no_stats":
    def edit(kind, body):
        if first_add(kind, body):
            del body["stats"]
        return body
    rewrite(0, edit)
else:
    sys.exit(f"unknown breakage {what}")
sys.stdout.flush()
os._exit(0)  # skip interpreter teardown
PY
}
export LH_PEERS_DIR="$root/tests/peers"

if broken simple wrong_size; then
  expect_fail "wrong add.size (disk)" '^.*: files: .*add\.size [0-9]+, the file has [0-9]+ bytes' \
    "$tmp/wrong_size/simple" "$fx/simple.expected.json" "$fx/simple.expected.ndjson"
  expect_fail "wrong add.size (expected files)" ': files: deltalake: .*"size"' \
    "$tmp/wrong_size/simple" "$fx/simple.expected.json" "$fx/simple.expected.ndjson"
else bad "could not break simple (wrong_size)"; fi

if broken partitioned min_off_by_one; then
  expect_fail "stats min off by one" ': stats: .*column id: minValues [0-9]+, the file.s min is [0-9]+' \
    "$tmp/min_off_by_one/partitioned" "$fx/partitioned.expected.json" "$fx/partitioned.expected.ndjson"
else bad "could not break partitioned (min_off_by_one)"; fi

if broken overwrite no_commitinfo; then
  expect_fail "missing commitInfo" ': history: version 1: first line is .*not a commitInfo' \
    "$tmp/no_commitinfo/overwrite" "$fx/overwrite.expected.json" "$fx/overwrite.expected.ndjson"
else bad "could not break overwrite (no_commitinfo)"; fi

if broken partitioned removed_file; then
  expect_fail "removed data file" ': (files|stats): .*(does not exist|data file missing)' \
    "$tmp/removed_file/partitioned" "$fx/partitioned.expected.json" "$fx/partitioned.expected.ndjson"
  expect_fail "removed data file (rows)" ': rows: deltalake: cannot read' \
    "$tmp/removed_file/partitioned" "$fx/partitioned.expected.json" "$fx/partitioned.expected.ndjson"
else bad "could not break partitioned (removed_file)"; fi

if broken simple wrong_numrecords; then
  expect_fail "wrong numRecords" ': stats: .*numRecords 61, the file has 60 rows' \
    "$tmp/wrong_numrecords/simple" "$fx/simple.expected.json" "$fx/simple.expected.ndjson"
else bad "could not break simple (wrong_numrecords)"; fi

if broken simple wrong_nullcount; then
  expect_fail "wrong nullCount" ': stats: .*column name: nullCount [0-9]+, the file has [0-9]+ nulls' \
    "$tmp/wrong_nullcount/simple" "$fx/simple.expected.json" "$fx/simple.expected.ndjson"
else bad "could not break simple (wrong_nullcount)"; fi

if broken simple ts_micros; then
  expect_fail "timestamp stats not truncated to ms" ': stats: .*column ts: maxValues' \
    "$tmp/ts_micros/simple" "$fx/simple.expected.json" "$fx/simple.expected.ndjson"
else bad "could not break simple (ts_micros)"; fi

if broken simple no_stats; then
  expect_fail "add without stats" ': stats: .*: no stats' \
    "$tmp/no_stats/simple" "$fx/simple.expected.json" "$fx/simple.expected.ndjson"
else bad "could not break simple (no_stats)"; fi

if broken partitioned unencoded_path; then
  expect_fail "add.path not URI-encoded" ': (files|rows): ' \
    "$tmp/unencoded_path/partitioned" "$fx/partitioned.expected.json" "$fx/partitioned.expected.ndjson"
else bad "could not break partitioned (unencoded_path)"; fi

# lh's own file names are random: expected paths may be fnmatch patterns and sizes null.
sed -E 's/part-00000-[0-9a-f-]{36}-c000\.snappy\.parquet/part-*.parquet/g; s/"size":[0-9]+/"size":null/g' \
  "$fx/partitioned.expected.json" >"$tmp/patterns.json"
if grep -q 'part-\*' "$tmp/patterns.json" &&
  "$py" "$check" "$fx/partitioned" "$tmp/patterns.json" "$fx/partitioned.expected.ndjson" >"$tmp/out" 2>&1; then
  ok "passes: partitioned with path patterns and null sizes"
else
  bad "passes: partitioned with path patterns and null sizes"; sed 's/^/     /' "$tmp/out"
fi
sed 's/"region":"north"},"numRecords":3/"region":"north"},"numRecords":4/' "$tmp/patterns.json" >"$tmp/patterns_bad.json"
expect_fail "pattern files with a wrong numRecords" ': files: deltalake: expected file .*part-\*\.parquet.* is not in the table' \
  "$fx/partitioned" "$tmp/patterns_bad.json" "$fx/partitioned.expected.ndjson"

# Expectations that are wrong on purpose (the tables are fine).
sed 's/"lh-silver:events":7/"lh-silver:events":8/' "$fx/txn.expected.json" >"$tmp/txn8.json"
expect_fail "wrong txn version" ": txn: transaction_version\('lh-silver:events'\) = 7, expected 8" \
  "$fx/txn" "$tmp/txn8.json" "$fx/txn.expected.ndjson"
sed 's/"version": 2,/"version": 3,/' "$fx/overwrite.expected.json" >"$tmp/v3.json"
expect_fail "wrong version" ': version: deltalake version\(\) 2, expected 3' \
  "$fx/overwrite" "$tmp/v3.json" "$fx/overwrite.expected.ndjson"
sed 's/{"name":"amount","type":"decimal(12,2)"/{"name":"amount","type":"decimal(12,3)"/' "$fx/simple.expected.json" >"$tmp/schema.json"
expect_fail "wrong schema" ': schema: column 2: .*decimal\(12,2\).*expected .*decimal\(12,3\)' \
  "$fx/simple" "$tmp/schema.json" "$fx/simple.expected.ndjson"
sed '5s/"name":"[^"]*"/"name":"CHANGED"/' "$fx/partitioned.expected.ndjson" >"$tmp/rows.ndjson"
expect_fail "wrong row (deltalake)" ': rows: deltalake: row 4 column name: expected "CHANGED"' \
  "$fx/partitioned" "$fx/partitioned.expected.json" "$tmp/rows.ndjson"
expect_fail "wrong row (polars)" ': rows: polars: row 4 column name: expected "CHANGED"' \
  "$fx/partitioned" "$fx/partitioned.expected.json" "$tmp/rows.ndjson"
expect_fail "wrong row (pruned read)" ': prune: partitions=' \
  "$fx/partitioned" "$fx/partitioned.expected.json" "$tmp/rows.ndjson"
# time travel: the current table is not its version 0
expect_fail "old snapshot's rows" ': rows: deltalake: ' \
  "$fx/overwrite" "$fx/overwrite.expected.json" "$fx/overwrite.v0.expected.ndjson"

expect_rc "usage" 64 "$fx/simple"
expect_rc "missing table" 66 "$tmp/nowhere" "$fx/simple.expected.json" "$fx/simple.expected.ndjson"
expect_rc "missing expected" 66 "$fx/simple" "$tmp/nowhere.json" "$fx/simple.expected.ndjson"

# Time travel: the committed older-version expectations are what deltalake reads at that version.
if "$py" - "$fx" <<'PY'
import sys, pathlib, os, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, os.environ["LH_PEERS_DIR"])
import canonical as C
import delta_common as D
from deltalake import DeltaTable
fx = pathlib.Path(sys.argv[1])
bad = 0
for p in sorted(fx.glob("*.v*.expected.ndjson")):
    name, v = p.name.split(".")[0], int(p.name.split(".")[1][1:])
    got = D.canon_sorted(DeltaTable(str(fx / name), version=v).to_pyarrow_table())
    if got != C.read_ndjson_lines(p):
        bad += 1
        print(f"     {p.name}: deltalake at version {v} differs")
sys.stdout.flush()
os._exit(1 if bad else 0)  # skip interpreter teardown: deltalake's runtime has aborted there
PY
then ok "time travel: every NAME.vN.expected.ndjson is what deltalake reads at version N"
else bad "time travel: read-back differs"
fi

echo "delta selftest: $passed passed, $failed failed"
[ "$failed" = 0 ]
