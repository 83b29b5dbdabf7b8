#!/usr/bin/env python3
"""Writes peer-written Delta tables with deltalake (delta-rs) and what lh must read from them.

    make_delta_fixtures.py OUTDIR      (run as: make_delta_fixtures.py fixtures)

For each table NAME it writes OUTDIR/delta/NAME/ (the table, by write_deltalake / DeltaTable), NAME.expected.json
(snapshot facts: version, protocol, partitionColumns, lh schema, live files, txn, row count, versions with a
commitInfo) and NAME.expected.ndjson (all live rows, lh canonical NDJSON, sorted by id). `overwrite` and
`schema_evolution` also get NAME.v<N>.expected.ndjson for an older version (time travel). The format is in
tests/peers/README.md ("Delta fixtures").

The data is deterministic (fixed seeds); delta-rs still puts random UUIDs in file names and metaData.id and clock
times in commitInfo and add.modificationTime, so a rerun changes the paths in `files` but nothing else. Every table
is read back (DeltaTable(...).to_pyarrow_table(), every version written) and compared with the data we wrote;
prints nothing on success, exits 1 with a message otherwise.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import random
import shutil
import sys
import warnings
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import canonical as C  # noqa: E402
import delta_common as D  # noqa: E402

import pyarrow as pa  # noqa: E402
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake  # noqa: E402

warnings.simplefilter("ignore")

UTC = dt.timezone.utc
D2 = decimal.Decimal

SIMPLE_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("amount", pa.decimal128(12, 2)),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("d", pa.date32()),
        pa.field("ok", pa.bool_()),
        pa.field("score", pa.float64()),
    ]
)

EVENT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("event_date", pa.date32()),
        pa.field("region", pa.string()),
        pa.field("name", pa.string()),
        pa.field("amount", pa.decimal128(12, 2)),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
    ]
)

# Partition values that need Hive escaping in the directory and URI encoding in add.path (and one null).
REGIONS = ["north", "Zürich Süd/Ost 100%=x", "a b#c", None]
DATES = [dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)]
NAMES = ["alpha", "beta", "gamma", "δέλτα", "e\"q\\uote", "tab\there", "line\nbreak", "x" * 40, ""]


def simple_rows(seed, id0, n):
    r = random.Random(seed)
    cols = {f.name: [] for f in SIMPLE_SCHEMA}
    for i in range(n):
        cols["id"].append(id0 + i)
        cols["name"].append(None if r.random() < 0.15 else r.choice(NAMES))
        cols["amount"].append(None if r.random() < 0.15 else D2(r.randint(-99_999_99, 99_999_99)).scaleb(-2))
        us = r.randint(-86_400_000_000, 2_000_000_000_000_000)
        cols["ts"].append(None if r.random() < 0.15 else dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=us))
        cols["d"].append(None if r.random() < 0.15 else dt.date(2020, 1, 1) + dt.timedelta(days=r.randint(-5000, 5000)))
        cols["ok"].append(None if r.random() < 0.15 else r.random() < 0.5)
        cols["score"].append(None if r.random() < 0.15 else round(r.uniform(-1e6, 1e6), r.randint(0, 6)))
    return pa.table(cols, schema=SIMPLE_SCHEMA)


def event_rows(seed, id0, n, dates=DATES, regions=REGIONS):
    r = random.Random(seed)
    cols = {f.name: [] for f in EVENT_SCHEMA}
    for i in range(n):
        cols["id"].append(id0 + i)
        cols["event_date"].append(r.choice(dates))
        cols["region"].append(r.choice(regions))
        cols["name"].append(None if r.random() < 0.2 else r.choice(NAMES[:4]))
        cols["amount"].append(None if r.random() < 0.2 else D2(r.randint(-100_000, 100_000)).scaleb(-2))
        us = 1_767_225_600_000_000 + r.randint(0, 3 * 86_400_000_000)
        cols["ts"].append(dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=us))
    return pa.table(cols, schema=EVENT_SCHEMA)


def concat(tables):
    """Concatenates tables whose schemas may be prefixes of the last one's (missing columns become null)."""
    target = tables[-1].schema
    for t in tables:
        if len(t.schema) > len(target):
            target = t.schema
    out = []
    for t in tables:
        for f in target:
            if f.name not in t.column_names:
                t = t.append_column(f, pa.nulls(t.num_rows, f.type))
        out.append(t.select(target.names).cast(target))
    return pa.concat_tables(out)


class Fail(Exception):
    pass


def expect_equal(what, want_lines, got_lines):
    if want_lines != got_lines:
        for i, (a, b) in enumerate(zip(want_lines, got_lines)):
            if a != b:
                raise Fail(f"{what}: row {i}: wrote {a} read {b}")
        raise Fail(f"{what}: wrote {len(want_lines)} rows, read {len(got_lines)}")


def write_ndjson(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(line + "\n" for line in lines))


def expected_json(table_dir):
    log = D.replay(table_dir)
    files = []
    for path in sorted(log.files):
        add = log.files[path]
        st = D.stats_of(add) or {}
        files.append(
            {
                "path": path,
                "size": add["size"],
                "partitionValues": dict(sorted(add["partitionValues"].items())),
                "numRecords": st.get("numRecords"),
            }
        )
    return {
        "version": log.version,
        "protocol": {
            "minReaderVersion": log.protocol["minReaderVersion"],
            "minWriterVersion": log.protocol["minWriterVersion"],
        },
        "partitionColumns": log.metadata["partitionColumns"],
        "schema": D.lh_schema_of_metadata(log.metadata),
        "files": files,
        "txn": dict(sorted(log.txn.items())),
        "rows": sum(f["numRecords"] for f in files),
        "history_versions": log.commit_infos,
    }


def dump_json(obj):
    """One key per line at the top, files one per line: diffable and still plain JSON."""
    parts = []
    for k, v in obj.items():
        if k in ("files", "schema") and v:
            inner = ",\n    ".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")) for x in v)
            parts.append(f'  {json.dumps(k)}: [\n    {inner}\n  ]')
        else:
            parts.append(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(',', ':'))}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def finish(out, name, snapshots, time_travel=None):
    """snapshots: {version: pyarrow table of all live rows we wrote}. Verifies every version reads back as written,
    writes the expected files for the latest (and time_travel) version."""
    table_dir = os.path.join(out, name)
    latest = max(snapshots)
    for v, data in sorted(snapshots.items()):
        want = D.canon_sorted(data)
        dtab = DeltaTable(table_dir, version=v)
        got = D.canon_sorted(dtab.to_pyarrow_table())
        expect_equal(f"{name} v{v}", want, got)
        if v == latest:
            write_ndjson(os.path.join(out, f"{name}.expected.ndjson"), want)
            exp = expected_json(table_dir)
            if exp["version"] != v or dtab.version() != v:
                raise Fail(f"{name}: log version {exp['version']}, deltalake {dtab.version()}, expected {v}")
            if exp["rows"] != data.num_rows:
                raise Fail(f"{name}: stats say {exp['rows']} rows, wrote {data.num_rows}")
            names = [c["name"] for c in exp["schema"]]
            if names != data.column_names:
                raise Fail(f"{name}: schema {names}, data {data.column_names}")
            with open(os.path.join(out, f"{name}.expected.json"), "w", encoding="utf-8") as f:
                f.write(dump_json(exp))
        if v == time_travel:
            write_ndjson(os.path.join(out, f"{name}.v{v}.expected.ndjson"), want)
    size = sum(p.stat().st_size for p in Path(table_dir).rglob("*") if p.is_file())
    if size > 200_000:
        raise Fail(f"{name}: {size} bytes, over the 200 KB budget")


def make_simple(out):
    p = os.path.join(out, "simple")
    data = simple_rows(1, 1, 60)
    write_deltalake(p, data)
    finish(out, "simple", {0: data})


def make_partitioned(out):
    p = os.path.join(out, "partitioned")
    parts, snaps = [], {}
    for v, (seed, id0, n) in enumerate([(11, 1, 40), (12, 101, 30), (13, 201, 25)]):
        t = event_rows(seed, id0, n)
        write_deltalake(p, t, mode="append", partition_by=["event_date", "region"])
        parts.append(t)
        snaps[v] = concat(parts)
    finish(out, "partitioned", snaps)


def make_overwrite(out):
    p = os.path.join(out, "overwrite")
    a = event_rows(21, 1, 30)
    write_deltalake(p, a, mode="append")
    b = event_rows(22, 101, 20)
    write_deltalake(p, b, mode="overwrite")
    c = event_rows(23, 201, 10)
    write_deltalake(p, c, mode="append")
    finish(out, "overwrite", {0: a, 1: b, 2: concat([b, c])}, time_travel=0)


def make_replace_partition(out):
    p = os.path.join(out, "replace_partition")
    a = event_rows(31, 1, 45, regions=["north", "south"])
    write_deltalake(p, a, mode="append", partition_by=["event_date"])
    day = dt.date(2026, 1, 2)
    b = event_rows(32, 101, 12, dates=[day], regions=["east"])
    write_deltalake(p, b, mode="overwrite", predicate="event_date = '2026-01-02'")
    import pyarrow.compute as pc

    kept = a.filter(pc.not_equal(a.column("event_date"), pa.scalar(day, pa.date32())))
    finish(out, "replace_partition", {0: a, 1: concat([kept, b])})


def make_txn(out):
    p = os.path.join(out, "txn")
    a = event_rows(41, 1, 10)
    write_deltalake(p, a, mode="append", commit_properties=CommitProperties(app_transactions=[Transaction("lh-silver:events", 3)]))
    b = event_rows(42, 101, 10)
    write_deltalake(p, b, mode="append", commit_properties=CommitProperties(app_transactions=[Transaction("lh-gold:daily", 1)]))
    c = event_rows(43, 201, 10)
    write_deltalake(p, c, mode="append", commit_properties=CommitProperties(app_transactions=[Transaction("lh-silver:events", 7)]))
    dtab = DeltaTable(p)
    for app, want in (("lh-silver:events", 7), ("lh-gold:daily", 1)):
        if dtab.transaction_version(app) != want:
            raise Fail(f"txn: transaction_version({app}) = {dtab.transaction_version(app)}, expected {want}")
    finish(out, "txn", {0: a, 1: concat([a, b]), 2: concat([a, b, c])})


MANY_SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])


def make_many_commits(out):
    p = os.path.join(out, "many_commits")
    parts, snaps = [], {}
    for v in range(105):
        t = pa.table({"id": [v + 1], "v": [f"c{v:03d}"]}, schema=MANY_SCHEMA)
        write_deltalake(p, t, mode="append")
        parts.append(t)
        if v in (0, 50, 99, 100, 104):
            snaps[v] = concat(parts)
    log_dir = os.path.join(p, "_delta_log")
    cps = sorted(f for f in os.listdir(log_dir) if ".checkpoint." in f)
    if not cps or not os.path.exists(os.path.join(log_dir, "_last_checkpoint")):
        raise Fail(f"many_commits: no checkpoint written: {sorted(os.listdir(log_dir))[-5:]}")
    if not os.path.exists(D.commit_path(p, 0)):
        raise Fail("many_commits: version 0 JSON commit is gone")
    finish(out, "many_commits", snaps)


def make_schema_evolution(out):
    p = os.path.join(out, "schema_evolution")
    s0 = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("name", pa.string())])
    s1 = pa.schema([*s0, pa.field("score", pa.float64())])
    a = pa.table({"id": [1, 2, 3, 4], "name": ["a", None, "c", "d"]}, schema=s0)
    write_deltalake(p, a, mode="append")
    b = pa.table({"id": [10, 11, 12], "name": ["x", "y", None], "score": [1.5, None, -0.25]}, schema=s1)
    write_deltalake(p, b, mode="append", schema_mode="merge")
    c = pa.table({"id": [20, 21], "name": ["p", "q"], "score": [1e16, 0.1]}, schema=s1)
    write_deltalake(p, c, mode="append")
    finish(out, "schema_evolution", {0: a, 1: concat([a, b]), 2: concat([a, b, c])}, time_travel=0)


TABLES = [
    make_simple,
    make_partitioned,
    make_overwrite,
    make_replace_partition,
    make_txn,
    make_many_commits,
    make_schema_evolution,
]


def main(argv):
    if len(argv) != 2:
        print("usage: make_delta_fixtures.py OUTDIR", file=sys.stderr)
        return 64
    out = os.path.join(argv[1], "delta")
    os.makedirs(out, exist_ok=True)
    for make in TABLES:
        name = make.__name__[len("make_") :]
        for stale in [os.path.join(out, name)] + [str(p) for p in Path(out).glob(f"{name}.*expected.*")]:
            if os.path.isdir(stale):
                shutil.rmtree(stale)
            elif os.path.exists(stale):
                os.remove(stale)
        try:
            make(out)
        except (Fail, C.CanonError) as e:
            print(f"make_delta_fixtures: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # skip interpreter teardown (Rust runtimes have aborted there; see check_lh_delta.py)
