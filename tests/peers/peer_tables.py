#!/usr/bin/env python3
"""Writes an independent suite of Delta tables the way Spark, Databricks and delta-rs write them, and
what a reader must make of each one.

    peer_tables.py OUTDIR      (run by Tests/EndToEndTests/PeerTablesTests.swift with the peers' python)

For each case NAME it writes OUTDIR/NAME/ (the table) and OUTDIR/NAME.expected.json:

    {"name": NAME, "covers": "what the table exercises",
     "latest": 12,                                  the latest version
     "versions": {"12": {"schema": [...], "rows": [...]}, "10": {...}},
                                                    every version a reader must reconstruct (the latest
                                                    always; older ones for time travel): the Delta
                                                    schema fields ({"name","type"}, type as in
                                                    schemaString: "long", "decimal(38,18)",
                                                    "timestamp_ntz", {"type":"struct",...}) and the
                                                    rows, lh canonical values (tests/peers/README.md;
                                                    structs as objects, arrays as arrays, maps as
                                                    objects), sorted by their JSON text
     "unreconstructible": [0, 1],                   versions whose commits were cleaned up (no
                                                    checkpoint at or before them): reading them fails
     "refuse": "deletionVectors"}                   instead of versions: the table must be refused with
                                                    one line naming this feature

The tables come from deltalake (write_deltalake with its options) or from hand-written `_delta_log` JSON
and pyarrow-written Parquet (data files and classic checkpoints in Spark's exact checkpoint schema) where
deltalake cannot write what Spark and Databricks do. Every hand-written table deltalake can read is read
back with deltalake and must equal what we wrote, so the expectations are not ours alone. Deterministic:
fixed data, fixed UUIDs and times (deltalake still stamps its own clock times and UUIDs in its tables).
Prints one line per table on stderr with -v; exits 1 with a message when a cross-check fails.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import random
import shutil
import sys
import uuid
import warnings
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import canonical as C  # noqa: E402

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from deltalake import DeltaTable, QueryBuilder, write_deltalake  # noqa: E402

warnings.simplefilter("ignore")

UTC = dt.timezone.utc
D = decimal.Decimal
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: commit times of hand-written logs
SPARK_ENGINE = "Apache-Spark/3.5.0 Delta-Lake/3.1.0"
DATABRICKS_ENGINE = "Databricks-Runtime/14.3.x-scala2.12"
VERBOSE = False


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------------
# Canonical values (tests/peers/README.md), by Delta type, nested types as JSON structures


def canon(v, t):
    """The canonical JSON-able value of v (as pyarrow's to_pylist gives it) for Delta type t."""
    if v is None:
        return None
    if isinstance(t, dict):
        kind = t["type"]
        if kind == "struct":
            return {f["name"]: canon(v.get(f["name"]), f["type"]) for f in t["fields"]}
        if kind == "array":
            return [canon(e, t["elementType"]) for e in v]
        if kind == "map":
            items = v.items() if isinstance(v, dict) else v
            return {str(canon(k, t["keyType"])): canon(x, t["valueType"]) for k, x in items}
        raise Failure(f"unknown nested type {kind}")
    if t in ("timestamp", "timestamp_ntz"):
        return C.canon_datetime(v)
    lh = {"byte": "int32", "short": "int32", "integer": "int32", "long": "int64"}.get(t, t)
    text = C.canon_value(v, lh)
    return json.loads(text)


def canon_rows(tb: pa.Table, fields):
    """Canonical rows of an Arrow table under Delta schema fields, sorted by their JSON text."""
    rows = []
    for r in tb.to_pylist():
        rows.append({f["name"]: canon(r.get(f["name"]), f["type"]) for f in fields})
    return sorted(rows, key=row_key)


def row_key(row):
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------------------------
# Delta schema <-> Arrow


def delta_type(a: pa.DataType):
    if pa.types.is_struct(a):
        return {"type": "struct", "fields": [delta_field(a.field(i)) for i in range(a.num_fields)]}
    if pa.types.is_list(a) or pa.types.is_large_list(a):
        return {"type": "array", "elementType": delta_type(a.value_type), "containsNull": True}
    if pa.types.is_map(a):
        return {"type": "map", "keyType": delta_type(a.key_type), "valueType": delta_type(a.item_type),
                "valueContainsNull": True}
    simple = {
        pa.bool_(): "boolean", pa.int8(): "byte", pa.int16(): "short", pa.int32(): "integer",
        pa.int64(): "long", pa.float32(): "float", pa.float64(): "double", pa.string(): "string",
        pa.large_string(): "string", pa.binary(): "binary", pa.large_binary(): "binary", pa.date32(): "date",
    }
    if a in simple:
        return simple[a]
    if pa.types.is_decimal(a):
        return f"decimal({a.precision},{a.scale})"
    if pa.types.is_timestamp(a):
        return "timestamp" if a.tz else "timestamp_ntz"
    raise Failure(f"no Delta type for {a}")


def delta_field(f: pa.Field, metadata=None):
    return {"name": f.name, "type": delta_type(f.type), "nullable": f.nullable, "metadata": metadata or {}}


def schema_string(fields):
    return json.dumps({"type": "struct", "fields": fields}, separators=(",", ":"))


def expected_fields(fields):
    return [{"name": f["name"], "type": f["type"]} for f in fields]


# ---------------------------------------------------------------------------------------------------------------
# Hand-written tables: Spark-style log, pyarrow data files, classic checkpoints


def fixed_uuid(rng: random.Random):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def stat_value(v, t):
    if v is None:
        return None
    if t == "timestamp":
        return v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"
    if t == "timestamp_ntz":
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}"
    if t == "date":
        return v.isoformat()
    if isinstance(v, D):
        return float(v)
    if isinstance(v, bytes):
        return None
    return v


def column_stats(values, t):
    """(min, max, nullCount) of one column's Python values, as Spark puts them in stats; nested min/max for
    structs (Spark writes `minValues: {"s": {"a": 1}}`)."""
    if isinstance(t, dict) and t["type"] == "struct":
        mins, maxs, nulls = {}, {}, {}
        for f in t["fields"]:
            sub = [None if v is None else v.get(f["name"]) for v in values]
            mn, mx, nc = column_stats(sub, f["type"])
            if mn is not None:
                mins[f["name"]], maxs[f["name"]] = mn, mx
            nulls[f["name"]] = nc
        return (mins or None), (maxs or None), nulls
    nc = sum(v is None for v in values)
    if isinstance(t, dict) or t in ("binary", "boolean"):
        return None, None, nc
    present = [v for v in values if v is not None and not (isinstance(v, float) and v != v)]
    if not present:
        return None, None, nc
    if t == "string":
        present = [v for v in present if len(v) <= 32]
        if not present:
            return None, None, nc
    return stat_value(min(present), t), stat_value(max(present), t), nc


def stats_of(tb: pa.Table, fields):
    mins, maxs, nulls = {}, {}, {}
    cols = {f["name"]: tb.column(f.get("physical", f["name"])).to_pylist() for f in fields}
    for f in fields:
        mn, mx, nc = column_stats(cols[f["name"]], f["type"])
        key = f.get("physical", f["name"])
        if mn is not None:
            mins[key], maxs[key] = mn, mx
        nulls[key] = nc
    return {"numRecords": tb.num_rows, "minValues": mins, "maxValues": maxs, "nullCount": nulls}


class HandTable:
    """A table whose log we write ourselves, action by action, as Spark does."""

    def __init__(self, out: Path, name: str, seed: int):
        self.dir = out / name
        shutil.rmtree(self.dir, ignore_errors=True)
        (self.dir / "_delta_log").mkdir(parents=True)
        self.rng = random.Random(seed)
        self.version = -1
        self.protocol = None
        self.metadata = None
        self.adds = {}  # path -> add action
        self.removes = {}  # path -> remove action (tombstones)
        self.txns = {}
        self.data = {}  # path -> arrow table (logical column names), for expectations
        self.snapshots = {}  # version -> (fields, [arrow tables])
        self.engine = SPARK_ENGINE

    def file_name(self, partition=None):
        name = f"part-{len(self.data):05d}-{fixed_uuid(self.rng)}-c000.snappy.parquet"
        return f"{partition}/{name}" if partition else name

    def write_file(self, tb: pa.Table, fields, partition_values=None, physical=None, field_ids=None):
        """Writes tb (logical names, partition columns excluded) as a data file; returns an add action."""
        pv = partition_values or {}
        part_dir = "/".join(f"{k}={'__HIVE_DEFAULT_PARTITION__' if v is None else v}" for k, v in pv.items())
        rel = self.file_name(part_dir or None)
        disk = tb
        if physical:
            arrays = [tb.column(n) for n in tb.column_names]
            flds = []
            for n in tb.column_names:
                md = {b"PARQUET:field_id": str(field_ids[n]).encode()} if field_ids else None
                flds.append(pa.field(physical[n], tb.schema.field(n).type, metadata=md))
            disk = pa.Table.from_arrays(arrays, schema=pa.schema(flds))
        path = self.dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(disk, path, compression="snappy")
        stat_fields = [dict(f, physical=physical[f["name"]]) if physical else f
                       for f in fields if f["name"] in tb.column_names]
        stats = stats_of(disk, stat_fields)
        self.data[rel] = (tb, dict(pv))
        return {
            "path": rel, "partitionValues": {k: v for k, v in pv.items()}, "size": path.stat().st_size,
            "modificationTime": BASE_MS + len(self.data), "dataChange": True,
            "stats": json.dumps(stats, separators=(",", ":")),
            "tags": {"INSERTION_TIME": str((BASE_MS + len(self.data)) * 1000), "OPTIMIZE_TARGET_SIZE": "268435456"},
        }

    def commit(self, actions, operation="WRITE", params=None):
        self.version += 1
        v = self.version
        info = {
            "timestamp": BASE_MS + v * 1000, "operation": operation,
            "operationParameters": params or {"mode": "Append", "partitionBy": "[]"},
            "isolationLevel": "Serializable", "isBlindAppend": operation == "WRITE",
            "operationMetrics": {"numFiles": str(sum("add" in a for a in actions)), "numOutputRows": "0"},
            "engineInfo": self.engine, "txnId": fixed_uuid(self.rng),
        }
        if v > 0:
            info["readVersion"] = v - 1
        lines = [{"commitInfo": info}] + actions
        with open(self.dir / "_delta_log" / f"{v:020d}.json", "w") as f:
            for a in lines:
                f.write(json.dumps(a, separators=(",", ":")) + "\n")
        for a in actions:
            if "protocol" in a:
                self.protocol = a["protocol"]
            if "metaData" in a:
                self.metadata = a["metaData"]
            if "add" in a:
                self.adds[a["add"]["path"]] = a["add"]
                self.removes.pop(a["add"]["path"], None)
            if "remove" in a:
                self.adds.pop(a["remove"]["path"], None)
                self.removes[a["remove"]["path"]] = a["remove"]
            if "txn" in a:
                self.txns[a["txn"]["appId"]] = a["txn"]
        if self.metadata and self.metadata.get("schemaString"):
            fields = json.loads(self.metadata["schemaString"])["fields"]
            self.snapshots[v] = (fields, list(self.metadata["partitionColumns"]), [self.data[p] for p in self.adds])
        return v

    def metadata_action(self, fields, partition_columns=(), configuration=None, schemaless=False):
        m = {"id": "00000000-0000-4000-8000-00000000c0de", "format": {"provider": "parquet", "options": {}}}
        if not schemaless:
            m["schemaString"] = schema_string(fields)
        m["partitionColumns"] = list(partition_columns)
        m["configuration"] = configuration or {}
        m["createdTime"] = BASE_MS
        return {"metaData": m}

    def remove_action(self, path):
        add = self.adds[path]
        return {"remove": {"path": path, "deletionTimestamp": BASE_MS + (self.version + 1) * 1000, "dataChange": True,
                           "extendedFileMetadata": True, "partitionValues": add["partitionValues"], "size": add["size"]}}

    # -- expectations --

    def rows_at(self, version):
        fields, pcols, files = self.snapshots[version]
        types = {f["name"]: f["type"] for f in fields}
        rows = []
        for tb, pv in files:
            for r in tb.to_pylist():
                row = {}
                for f in fields:
                    n = f["name"]
                    if n in pcols:
                        row[n] = partition_value(pv.get(n), types[n])
                    else:
                        row[n] = canon(r.get(n), f["type"])
                rows.append(row)
        return {"schema": expected_fields(fields), "rows": sorted(rows, key=row_key)}

    # -- checkpoints in Spark's exact classic schema --

    def checkpoint(self, parts=1, stats_parsed=True, last_checkpoint=True):
        """Writes the classic checkpoint of the current version (one file or `parts` files), and
        `_last_checkpoint`, as Spark 3.5 / Delta 3.1 does (snappy, one action per row)."""
        v = self.version
        fields = json.loads(self.metadata["schemaString"])["fields"]
        pcols = self.metadata["partitionColumns"]
        data_fields = [f for f in fields if f["name"] not in pcols]
        part_fields = [f for f in fields if f["name"] in pcols]
        schema = checkpoint_schema(data_fields, part_fields, stats_parsed)
        rows = []
        rows.append({"protocol": self.protocol})
        rows.append({"metaData": {**self.metadata, "format": {"provider": "parquet", "options": []},
                                  "configuration": list(self.metadata["configuration"].items())}})
        for t in self.txns.values():
            rows.append({"txn": t})
        for path in sorted(self.adds):
            a = self.adds[path]
            add = {k: a.get(k) for k in ("path", "size", "modificationTime", "dataChange", "stats")}
            add["dataChange"] = False
            add["partitionValues"] = list(a["partitionValues"].items())
            add["tags"] = list(a.get("tags", {}).items())
            if stats_parsed:
                s = json.loads(a["stats"])
                add["stats_parsed"] = {
                    "numRecords": s["numRecords"],
                    "minValues": parsed_stats(s["minValues"], data_fields),
                    "maxValues": parsed_stats(s["maxValues"], data_fields),
                    "nullCount": s["nullCount"],
                }
                if part_fields:
                    add["partitionValues_parsed"] = {
                        f["name"]: parse_partition(a["partitionValues"].get(f["name"]), f["type"]) for f in part_fields}
            rows.append({"add": add})
        for path in sorted(self.removes):
            r = dict(self.removes[path])
            r["partitionValues"] = list(r.get("partitionValues", {}).items())
            rows.append({"remove": r})
        full = [{name: row.get(name) for name in schema.names} for row in rows]
        log = self.dir / "_delta_log"
        if parts == 1:
            names = [f"{v:020d}.checkpoint.parquet"]
            chunks = [full]
        else:
            names = [f"{v:020d}.checkpoint.{i + 1:010d}.{parts:010d}.parquet" for i in range(parts)]
            chunks = [full[i::parts] for i in range(parts)]
        total = 0
        for name, chunk in zip(names, chunks):
            tb = pa.Table.from_pylist(chunk, schema=schema)
            pq.write_table(tb, log / name, compression="snappy")
            total += (log / name).stat().st_size
        if last_checkpoint:
            lc = {"version": v, "size": len(full), "sizeInBytes": total, "numOfAddFiles": len(self.adds)}
            if parts > 1:
                lc["parts"] = parts
            (log / "_last_checkpoint").write_text(json.dumps(lc, separators=(",", ":")) + "\n")
        return v

    def clean_before(self, version):
        """Deletes the JSON commits before `version` (as log cleanup does after a checkpoint)."""
        for v in range(version):
            p = self.dir / "_delta_log" / f"{v:020d}.json"
            if p.exists():
                p.unlink()


def parsed_stats(values, fields):
    out = {}
    for f in fields:
        if isinstance(f["type"], dict):
            continue
        v = values.get(f["name"])
        out[f["name"]] = None if v is None else parse_stat(v, f["type"])
    return out


def parse_stat(v, t):
    if t == "timestamp":
        return dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    if t == "timestamp_ntz":
        return dt.datetime.fromisoformat(v)
    if t == "date":
        return dt.date.fromisoformat(v)
    if isinstance(t, str) and t.startswith("decimal"):
        return D(str(v))
    return v


def parse_partition(s, t):
    if s is None:
        return None
    if t in ("byte", "short", "integer", "long"):
        return int(s)
    if t in ("float", "double"):
        return float(s)
    if t == "boolean":
        return s == "true"
    if t == "date":
        return dt.date.fromisoformat(s)
    if t == "timestamp":
        return dt.datetime.fromisoformat(s).replace(tzinfo=UTC) if "+" not in s and not s.endswith("Z") \
            else dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    if t == "timestamp_ntz":
        return dt.datetime.fromisoformat(s)
    if t.startswith("decimal"):
        return D(s)
    return s


def partition_value(s, t):
    """The canonical value of a partition value string of type t."""
    return canon(parse_partition(s, t), t)


def arrow_of_delta(t):
    if isinstance(t, dict):
        if t["type"] == "struct":
            return pa.struct([pa.field(f["name"], arrow_of_delta(f["type"])) for f in t["fields"]])
        if t["type"] == "array":
            return pa.list_(arrow_of_delta(t["elementType"]))
        return pa.map_(arrow_of_delta(t["keyType"]), arrow_of_delta(t["valueType"]))
    simple = {"boolean": pa.bool_(), "byte": pa.int8(), "short": pa.int16(), "integer": pa.int32(),
              "long": pa.int64(), "float": pa.float32(), "double": pa.float64(), "string": pa.string(),
              "binary": pa.binary(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"),
              "timestamp_ntz": pa.timestamp("us")}
    if t in simple:
        return simple[t]
    p, s = t[8:-1].split(",")
    return pa.decimal128(int(p), int(s))


def checkpoint_schema(data_fields, part_fields, stats_parsed):
    """Spark 3.5 / Delta 3.1's classic checkpoint schema (the columns of golden/checkpoint), plus stats_parsed and
    partitionValues_parsed (delta.checkpoint.writeStatsAsStruct)."""
    smap = pa.map_(pa.string(), pa.string())
    dv = pa.struct([("storageType", pa.string()), ("pathOrInlineDv", pa.string()), ("offset", pa.int32()),
                    ("sizeInBytes", pa.int32()), ("cardinality", pa.int64()), ("maxRowIndex", pa.int64())])
    add = [("path", pa.string()), ("partitionValues", smap), ("size", pa.int64()),
           ("modificationTime", pa.int64()), ("dataChange", pa.bool_()), ("tags", smap), ("deletionVector", dv),
           ("baseRowId", pa.int64()), ("defaultRowCommitVersion", pa.int64()), ("stats", pa.string())]
    if stats_parsed:
        prim = [f for f in data_fields if not isinstance(f["type"], dict)]
        vals = pa.struct([(f["name"], arrow_of_delta(f["type"])) for f in prim])
        nulls = pa.struct([(f["name"], pa.int64()) for f in data_fields if not isinstance(f["type"], dict)])
        add.append(("stats_parsed", pa.struct([("numRecords", pa.int64()), ("minValues", vals),
                                               ("maxValues", vals), ("nullCount", nulls)])))
        if part_fields:
            add.append(("partitionValues_parsed",
                        pa.struct([(f["name"], arrow_of_delta(f["type"])) for f in part_fields])))
    return pa.schema([
        ("txn", pa.struct([("appId", pa.string()), ("version", pa.int64()), ("lastUpdated", pa.int64())])),
        ("add", pa.struct(add)),
        ("remove", pa.struct([("path", pa.string()), ("deletionTimestamp", pa.int64()), ("dataChange", pa.bool_()),
                              ("extendedFileMetadata", pa.bool_()), ("partitionValues", smap), ("size", pa.int64()),
                              ("deletionVector", dv), ("baseRowId", pa.int64()),
                              ("defaultRowCommitVersion", pa.int64())])),
        ("metaData", pa.struct([("id", pa.string()), ("name", pa.string()), ("description", pa.string()),
                                ("format", pa.struct([("provider", pa.string()), ("options", smap)])),
                                ("schemaString", pa.string()), ("partitionColumns", pa.list_(pa.string())),
                                ("configuration", smap), ("createdTime", pa.int64())])),
        ("protocol", pa.struct([("minReaderVersion", pa.int32()), ("minWriterVersion", pa.int32()),
                                ("readerFeatures", pa.list_(pa.string())),
                                ("writerFeatures", pa.list_(pa.string()))])),
        ("domainMetadata", pa.struct([("domain", pa.string()), ("configuration", pa.string()),
                                      ("removed", pa.bool_())])),
    ])


# ---------------------------------------------------------------------------------------------------------------
# Data


SPARK_SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("name", pa.string()),
    pa.field("amount", pa.decimal128(12, 2)),
    pa.field("ts", pa.timestamp("us", tz="UTC")),
    pa.field("day", pa.date32()),
])


def spark_batch(seed, id0, n):
    r = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append({
            "id": id0 + i,
            "name": None if r.random() < 0.2 else r.choice(["alpha", "beta", "γάμμα", "d\"q", "tab\there"]),
            "amount": None if r.random() < 0.2 else D(r.randint(-99_999, 99_999)).scaleb(-2),
            "ts": dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=r.randint(0, 86_400_000_000)),
            "day": dt.date(2026, 1, 1) + dt.timedelta(days=r.randint(0, 3)),
        })
    return pa.Table.from_pylist(rows, schema=SPARK_SCHEMA)


def spark_fields(extra=()):
    return [delta_field(f) for f in SPARK_SCHEMA] + list(extra)


def spark_table(out, name, seed, commits, partitioned=False):
    """A Spark-written table: commit 0 creates it (protocol, metaData, one file), each later commit appends one
    file; every fifth commit also removes the oldest live file (an overwrite of one partition, as Spark's
    replaceWhere does)."""
    t = HandTable(out, name, seed)
    fields = spark_fields([{"name": "p", "type": "string", "nullable": True, "metadata": {}}] if partitioned else [])
    pcols = ["p"] if partitioned else []
    for v in range(commits):
        tb = spark_batch(seed * 100 + v, v * 10, 3)
        pv = {"p": ["x", "y z", None][v % 3]} if partitioned else None
        actions = []
        if v == 0:
            actions.append({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}})
            actions.append(t.metadata_action(fields, pcols, {"delta.checkpoint.writeStatsAsStruct": "true"}))
        if v > 0 and v % 5 == 0:
            actions.append(t.remove_action(sorted(t.adds, key=lambda p: t.adds[p]["modificationTime"])[0]))
        actions.append({"add": t.write_file(tb, fields, pv)})
        if v == 2:
            actions.append({"txn": {"appId": "spark-streaming-query-1", "version": 2, "lastUpdated": BASE_MS + 2000}})
        t.commit(actions)
    return t


# ---------------------------------------------------------------------------------------------------------------
# Cases


class Suite:
    def __init__(self, out: Path):
        self.out = out
        self.names = []

    def expect(self, name, covers, **body):
        doc = {"name": name, "covers": covers, **body}
        text = json.dumps(doc, ensure_ascii=False, indent=1)
        (self.out / f"{name}.expected.json").write_text(text + "\n", encoding="utf-8")
        self.names.append(name)
        if VERBOSE:
            print(f"{name}: {covers}", file=sys.stderr)

    def hand(self, t: HandTable, covers, versions=None, unreconstructible=(), crosscheck=True):
        """Expectations of a hand-written table: the given versions (default: the latest) from what we wrote,
        cross-checked with deltalake when it can read the table."""
        versions = sorted(set(versions or []) | {t.version})
        exp = {str(v): t.rows_at(v) for v in versions}
        if crosscheck:
            for v in versions:
                got = deltalake_rows(t.dir, v)
                if got != exp[str(v)]:
                    raise Failure(f"{t.dir.name} v{v}: deltalake reads {json.dumps(got)[:600]}\n"
                                  f"  we wrote {json.dumps(exp[str(v)])[:600]}")
        self.expect(t.dir.name, covers, latest=t.version, versions=exp, unreconstructible=list(unreconstructible))

    def delta_rs(self, name, covers, versions=None):
        """Expectations of a deltalake-written table: deltalake's own reading of each version."""
        path = self.out / name
        latest = DeltaTable(str(path)).version()
        versions = sorted(set(versions or []) | {latest})
        exp = {str(v): deltalake_rows(path, v) for v in versions}
        self.expect(name, covers, latest=latest, versions=exp, unreconstructible=[])
        return exp

    def refuse(self, name, covers, feature):
        self.expect(name, covers, refuse=feature)


def deltalake_rows(path, version):
    """deltalake's reading of one version, through its DataFusion query engine: to_pyarrow_table() of
    deltalake 1.6 returns nulls for every data column of a column-mapped table."""
    d = DeltaTable(str(path), version=version)
    fields = [json.loads(f.to_json()) for f in d.schema().fields]
    fields = [{"name": f["name"], "type": f["type"]} for f in fields]
    names = ", ".join('"' + f["name"].replace('"', '""') + '"' for f in fields)
    result = pa.table(QueryBuilder().register("t", d).execute(f"SELECT {names} FROM t").read_all())
    return {"schema": fields, "rows": canon_rows(result, fields)}


def case_spark_log(s: Suite):
    t = spark_table(s.out, "spark_log", 1, 4)
    s.hand(t, "Spark-style JSON log: commitInfo with Spark's fields, stats with minValues/maxValues/nullCount, "
              "add.tags, txn; decimal, timestamp and date columns", versions=range(4))


def case_spark_partitioned_checkpoint(s: Suite):
    t = spark_table(s.out, "spark_checkpoint", 2, 11, partitioned=True)
    t.checkpoint()
    for v in range(11, 13):
        t.commit([{"add": t.write_file(spark_batch(200 + v, v * 10, 3), json.loads(t.metadata["schemaString"])["fields"],
                                       {"p": "x"})}])
    s.hand(t, "Spark-style partitioned table (a null partition too) with a classic single-file checkpoint at 10 "
              "(Spark's checkpoint schema, stats as JSON and stats_parsed, partitionValues_parsed, tombstones, "
              "txn), all JSON commits kept; every version", versions=range(13))


def case_cleaned(s: Suite):
    t = spark_table(s.out, "spark_checkpoint_cleaned", 3, 11)
    t.checkpoint()
    for v in range(11, 13):
        t.commit([{"add": t.write_file(spark_batch(300 + v, v * 10, 3), json.loads(t.metadata["schemaString"])["fields"])}])
    s.hand(t, "cleaned log: checkpoint at 10, JSON commits 0-9 deleted (as Spark and delta-rs do after "
              "logRetentionDuration); versions 10-12 readable, 0-9 not", versions=range(10, 13),
           unreconstructible=list(range(10)))
    t.clean_before(10)
    # deltalake reads the cleaned table too (checked after cleaning)
    for v in range(10, 13):
        if deltalake_rows(t.dir, v) != t.rows_at(v):
            raise Failure(f"spark_checkpoint_cleaned v{v}: deltalake disagrees after cleanup")


def case_multipart(s: Suite):
    t = spark_table(s.out, "multipart_checkpoint", 4, 6)
    t.checkpoint(parts=3)
    t.commit([{"add": t.write_file(spark_batch(406, 60, 3), json.loads(t.metadata["schemaString"])["fields"])}])
    t.clean_before(5)
    s.hand(t, "multi-part classic checkpoint (3 parts) at 5, `_last_checkpoint` with parts, commits 0-4 deleted",
           versions=[5, 6], unreconstructible=list(range(5)))


def case_last_checkpoint_variants(s: Suite):
    for name, seed, how in [("last_checkpoint_missing", 5, "missing"), ("last_checkpoint_stale", 6, "stale"),
                            ("last_checkpoint_corrupt", 7, "corrupt")]:
        t = spark_table(s.out, name, seed, 6)
        t.checkpoint()  # at 5
        stale = (t.dir / "_delta_log" / "_last_checkpoint").read_text()
        for v in range(6, 11):
            t.commit([{"add": t.write_file(spark_batch(seed * 100 + v, v * 10, 3),
                                           json.loads(t.metadata["schemaString"])["fields"])}])
        t.checkpoint()  # at 10
        t.commit([{"add": t.write_file(spark_batch(seed * 100 + 11, 110, 3),
                                       json.loads(t.metadata["schemaString"])["fields"])}])
        lc = t.dir / "_delta_log" / "_last_checkpoint"
        if how == "missing":
            lc.unlink()
        elif how == "stale":
            lc.write_text(stale)
        else:
            lc.write_text('{"version":10,"size":1')
        t.clean_before(5)
        covers = {
            "missing": "checkpoints at 5 and 10, no `_last_checkpoint` (found by listing), commits 0-4 deleted",
            "stale": "`_last_checkpoint` names the checkpoint at 5 though one at 10 exists; commits 0-4 deleted",
            "corrupt": "`_last_checkpoint` truncated mid-object (a crashed writer); checkpoints at 5 and 10, "
                       "commits 0-4 deleted",
        }[how]
        s.hand(t, covers, versions=range(5, 12), unreconstructible=list(range(5)))


def case_deltalake_checkpoints(s: Suite):
    path = s.out / "deltalake_checkpoints"
    conf = {"delta.checkpointInterval": "5", "delta.logRetentionDuration": "interval 1 second"}
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("v", pa.string())])
    for v in range(13):
        tb = pa.Table.from_pylist([{"id": v * 10 + i, "v": f"r{v}.{i}"} for i in range(3)], schema=schema)
        write_deltalake(str(path), tb, mode="append", configuration=conf if v == 0 else None)
    all_versions = {v: deltalake_rows(path, v) for v in range(13)}
    log = path / "_delta_log"
    if not (log / f"{9:020d}.checkpoint.parquet").exists():
        raise Failure(f"deltalake wrote no automatic checkpoint at version 9: {sorted(p.name for p in log.iterdir())}")
    past = 1_000_000_000  # 2001: every commit is older than the retention
    for p in log.iterdir():
        os.utime(p, (past, past))
    DeltaTable(str(path)).cleanup_metadata()
    left = sorted(int(p.name[:20]) for p in log.iterdir() if p.name.endswith(".json") and p.name[:20].isdigit())
    ckpts = sorted(int(p.name[:20]) for p in log.iterdir() if ".checkpoint" in p.name)
    ok = [v for v in range(13) if v in left and all(u in left for u in range(0, v + 1))
          or any(c <= v and all(u in left for u in range(c + 1, v + 1)) for c in ckpts)]
    if 0 in ok:
        raise Failure(f"deltalake cleanup_metadata removed nothing: {left}")
    s.expect("deltalake_checkpoints", "deltalake with delta.checkpointInterval=5 (automatic checkpoints at 4 and "
             "9, every fifth commit) and delta.logRetentionDuration='interval 1 second', then cleanup_metadata(): only what the "
             "newest checkpoint needs is left", latest=12, versions={str(v): all_versions[v] for v in ok},
             unreconstructible=[v for v in range(13) if v not in ok])


def case_time_travel(s: Suite):
    path = s.out / "time_travel"
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("v", pa.string())])
    rows = lambda a, b: pa.Table.from_pylist([{"id": i, "v": f"x{i}"} for i in range(a, b)], schema=schema)
    write_deltalake(str(path), rows(0, 5))
    write_deltalake(str(path), rows(5, 8), mode="append")
    write_deltalake(str(path), rows(100, 102), mode="overwrite")
    write_deltalake(str(path), rows(200, 204), mode="append")
    DeltaTable(str(path)).delete("id = 201")
    s.delta_rs("time_travel", "deltalake: create, append, overwrite, append, delete (file rewrite); every version "
               "with --as-of", versions=range(5))


def case_schema_evolution(s: Suite):
    path = s.out / "schema_evolution"
    a = pa.Table.from_pylist([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}],
                             schema=pa.schema([("id", pa.int64()), ("v", pa.string())]))
    b = pa.Table.from_pylist([{"id": 3, "v": "c", "extra": 1.5, "flag": True}],
                             schema=pa.schema([("id", pa.int64()), ("v", pa.string()), ("extra", pa.float64()),
                                               ("flag", pa.bool_())]))
    c = pa.Table.from_pylist([{"id": 4, "v": None, "extra": None, "flag": False, "note": "n"}],
                             schema=pa.schema([("id", pa.int64()), ("v", pa.string()), ("extra", pa.float64()),
                                               ("flag", pa.bool_()), ("note", pa.string())]))
    write_deltalake(str(path), a)
    write_deltalake(str(path), b, mode="append", schema_mode="merge")
    write_deltalake(str(path), c, mode="append", schema_mode="merge")
    s.delta_rs("schema_evolution", "deltalake schema_mode='merge': columns added in versions 1 and 2 (older files "
               "lack them: null); every version", versions=range(3))


PRIMITIVES = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("b", pa.bool_()),
    pa.field("i8", pa.int8()),
    pa.field("i16", pa.int16()),
    pa.field("i32", pa.int32()),
    pa.field("i64", pa.int64()),
    pa.field("f32", pa.float32()),
    pa.field("f64", pa.float64()),
    pa.field("dec", pa.decimal128(10, 2)),
    pa.field("dec38", pa.decimal128(38, 18)),
    pa.field("s", pa.string()),
    pa.field("bin", pa.binary()),
    pa.field("d", pa.date32()),
    pa.field("ts", pa.timestamp("us", tz="UTC")),
])


def primitive_rows():
    return [
        {"id": 0, "b": True, "i8": -128, "i16": -32768, "i32": -2147483648, "i64": -9223372036854775808,
         "f32": 0.1, "f64": -0.0, "dec": D("-12345678.90"), "dec38": D("-12345678901234567890.123456789012345678"),
         "s": "", "bin": b"", "d": dt.date(1969, 12, 31), "ts": dt.datetime(1969, 12, 31, 23, 59, 59, 999999, UTC)},
        {"id": 1, "b": False, "i8": 127, "i16": 32767, "i32": 2147483647, "i64": 9223372036854775807,
         "f32": 3.4028235e38, "f64": 1.7976931348623157e308, "dec": D("99999999.99"),
         "dec38": D("99999999999999999999.999999999999999999"), "s": "δέλτα \"q\" \\ /", "bin": b"ascii bytes",
         "d": dt.date(2026, 12, 31), "ts": dt.datetime(2026, 6, 30, 12, 0, 0, 123456, UTC)},
        {"id": 2, "b": None, "i8": None, "i16": None, "i32": None, "i64": None, "f32": None, "f64": None,
         "dec": None, "dec38": None, "s": None, "bin": None, "d": None, "ts": None},
        {"id": 3, "b": True, "i8": 0, "i16": 0, "i32": 0, "i64": 0, "f32": -1.5, "f64": 5e-324,
         "dec": D("0.05"), "dec38": D("0.000000000000000001"), "s": "line\nbreak", "bin": b"\xce\xbb",
         "d": dt.date(2000, 2, 29), "ts": dt.datetime(2000, 2, 29, 0, 0, 0, 0, UTC)},
    ]


def case_primitives(s: Suite):
    write_deltalake(str(s.out / "primitives"), pa.Table.from_pylist(primitive_rows(), schema=PRIMITIVES))
    s.delta_rs("primitives", "deltalake: every primitive type (byte, short, integer, long, float, double, "
               "decimal(10,2), decimal(38,18), string, binary, boolean, date, timestamp) at its limits and null")


def case_timestamp_ntz(s: Suite):
    schema = pa.schema([pa.field("id", pa.int64()), pa.field("ntz", pa.timestamp("us"))])
    tb = pa.Table.from_pylist([{"id": 1, "ntz": dt.datetime(2026, 1, 1, 8, 30)},
                               {"id": 2, "ntz": dt.datetime(1900, 1, 1, 0, 0, 0, 1)}, {"id": 3, "ntz": None}],
                              schema=schema)
    write_deltalake(str(s.out / "timestamp_ntz"), tb)
    s.delta_rs("timestamp_ntz", "deltalake writes a naive timestamp as timestamp_ntz: protocol 3/7 with reader "
               "feature timestampNtz")


PARTITION_TYPES = [
    ("byte", pa.int8(), [-128, 7, None]),
    ("short", pa.int16(), [-32768, 300, None]),
    ("integer", pa.int32(), [-2147483648, 42, None]),
    ("long", pa.int64(), [-9223372036854775808, 9223372036854775807, None]),
    ("float", pa.float32(), [1.5, -0.25, None]),
    ("double", pa.float64(), [9.9, -1e-05, None]),
    ("decimal", pa.decimal128(10, 2), [D("12.30"), D("0.05"), None]),  # delta-rs 1.6 writes -12.30 as "-12.-30"
    ("decimal38", pa.decimal128(38, 18), [D("12345678901234567890.000000000000000001"), D("1.5"), None]),
    ("string", pa.string(), ["a b", "x/y=z%", None]),
    ("boolean", pa.bool_(), [True, False, None]),
    ("date", pa.date32(), [dt.date(2026, 1, 1), dt.date(1970, 1, 1), None]),
    ("timestamp", pa.timestamp("us", tz="UTC"), [dt.datetime(2026, 1, 1, 10, 0, 0, 500000, UTC),
                                                  dt.datetime(1970, 1, 1, tzinfo=UTC), None]),
    ("timestamp_ntz", pa.timestamp("us"), [dt.datetime(2026, 1, 1, 10, 0), dt.datetime(2000, 1, 1), None]),
]


def case_partition_types(s: Suite):
    for label, typ, values in PARTITION_TYPES:
        name = f"partition_{label}"
        schema = pa.schema([pa.field("id", pa.int64()), pa.field("p", typ)])
        tb = pa.Table.from_pylist([{"id": i, "p": v} for i, v in enumerate(values)], schema=schema)
        write_deltalake(str(s.out / name), tb, partition_by=["p"])
        s.delta_rs(name, f"deltalake: partition column of type {delta_type(typ)}, with a null partition")


NESTED = pa.schema([
    pa.field("id", pa.int64()),
    pa.field("s", pa.struct([("a", pa.int32()), ("b", pa.string()), ("t", pa.timestamp("us", tz="UTC"))])),
    pa.field("arr", pa.list_(pa.int64())),
    pa.field("m", pa.map_(pa.string(), pa.float64())),
    pa.field("deep", pa.struct([("xs", pa.list_(pa.struct([("k", pa.string()), ("v", pa.decimal128(9, 3))]))),
                                ("inner", pa.struct([("z", pa.date32())]))])),
])


def case_nested(s: Suite):
    rows = [
        {"id": 1, "s": {"a": 1, "b": "x", "t": dt.datetime(2026, 1, 1, tzinfo=UTC)}, "arr": [1, 2, 3],
         "m": [("k1", 1.5), ("k2", -0.5)],
         "deep": {"xs": [{"k": "a", "v": D("1.250")}, {"k": "b", "v": None}], "inner": {"z": dt.date(2026, 2, 1)}}},
        {"id": 2, "s": {"a": None, "b": None, "t": None}, "arr": [], "m": [],
         "deep": {"xs": [], "inner": None}},
        {"id": 3, "s": None, "arr": None, "m": None, "deep": None},
        {"id": 4, "s": {"a": -7, "b": "δ", "t": None}, "arr": [None, 9], "m": [("only", None)],
         "deep": {"xs": None, "inner": {"z": None}}},
    ]
    write_deltalake(str(s.out / "nested"), pa.Table.from_pylist(rows, schema=NESTED))
    s.delta_rs("nested", "deltalake: struct, array, map and nested struct<array<struct>> columns with nulls at "
               "every level (delta-rs writes nested minValues in stats)")


def case_column_mapping(s: Suite):
    for mode in ("name", "id"):
        t = HandTable(s.out, f"column_mapping_{mode}", 10 if mode == "name" else 11)
        logical = [("id", pa.int64()), ("Customer Name", pa.string()), ("amount", pa.decimal128(12, 2)),
                   ("region", pa.string())]
        physical = {n: f"col-{fixed_uuid(t.rng)}" for n, _ in logical}
        ids = {n: i + 1 for i, (n, _) in enumerate(logical)}

        def fields_named(names):
            return [{"name": names.get(n, n), "type": delta_type(a), "nullable": True,
                     "metadata": {"delta.columnMapping.id": ids[n], "delta.columnMapping.physicalName": physical[n]}}
                    for n, a in logical]

        conf = {"delta.columnMapping.mode": mode, "delta.columnMapping.maxColumnId": str(len(logical))}
        fields = fields_named({})
        proto = {"minReaderVersion": 2, "minWriterVersion": 5}
        data = pa.Table.from_pylist(
            [{"id": 1, "Customer Name": "Ann", "amount": D("1.50")}, {"id": 2, "Customer Name": None, "amount": None}],
            schema=pa.schema(logical[:3]))
        add = t.write_file(data, fields, {physical["region"]: "eu"}, physical=physical, field_ids=ids)
        t.data[add["path"]] = (data, {"region": "eu"})
        t.commit([{"protocol": proto}, t.metadata_action(fields, ["region"], conf), {"add": add}])
        # rename "Customer Name" to "customer" (ALTER TABLE RENAME COLUMN): only the logical name changes
        renamed = fields_named({"Customer Name": "customer"})
        t.commit([t.metadata_action(renamed, ["region"], conf)], operation="RENAME COLUMN", params={})
        data2 = pa.Table.from_pylist([{"id": 3, "customer": "Bo", "amount": D("-2.00")}],
                                     schema=pa.schema([("id", pa.int64()), ("customer", pa.string()),
                                                       ("amount", pa.decimal128(12, 2))]))
        phys2 = {"id": physical["id"], "customer": physical["Customer Name"], "amount": physical["amount"]}
        ids2 = {"id": ids["id"], "customer": ids["Customer Name"], "amount": ids["amount"]}
        add2 = t.write_file(data2, renamed, {physical["region"]: "us"}, physical=phys2, field_ids=ids2)
        t.data[add2["path"]] = (data2, {"region": "us"})
        t.commit([{"add": add2}])
        # partition values are keyed by physical name in the log; our expectation works on logical names
        for v, (flds, pcols, files) in list(t.snapshots.items()):
            fixed = []
            for tb, pv in files:
                fixed.append((rename_columns(tb, {"Customer Name": "customer"}) if v >= 1 else tb, pv))
            t.snapshots[v] = (flds, pcols, fixed)
        s.hand(t, f"column mapping mode {mode} (protocol 2/5): physical column names in the files"
                  f"{' and field ids' if mode == 'id' else ''}, partition values keyed by physical name, a column "
                  "renamed in version 1; every version", versions=range(3))


def rename_columns(tb, names):
    return tb.rename_columns([names.get(n, n) for n in tb.column_names])


def case_schemaless(s: Suite):
    t = HandTable(s.out, "schemaless_first_metadata", 12)
    t.engine = DATABRICKS_ENGINE
    t.commit([{"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}, t.metadata_action([], schemaless=True)],
             operation="CREATE TABLE", params={"isManaged": "true", "description": None, "partitionBy": "[]",
                                                "properties": "{}"})
    fields = spark_fields()
    t.commit([{"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}, t.metadata_action(fields),
              {"add": t.write_file(spark_batch(1200, 0, 4), fields)}], operation="CREATE OR REPLACE TABLE AS SELECT")
    s.hand(t, "Databricks: version 0's metaData has no schemaString (the table was created before its "
              "schema was known); version 1 sets protocol and schema and adds data")

    e = HandTable(s.out, "databricks_empty", 13)
    e.engine = DATABRICKS_ENGINE
    e.commit([{"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}, e.metadata_action([], schemaless=True)],
             operation="DLT REFRESH", params={"pipelineId": "00000000-0000-4000-8000-000000000001"})
    fields = [delta_field(pa.field("user_id", pa.decimal128(38, 0))), delta_field(pa.field("enabled", pa.bool_())),
              delta_field(pa.field("last_login", pa.timestamp("us", tz="UTC")))]
    e.commit([{"protocol": {"minReaderVersion": 2, "minWriterVersion": 5}}, e.metadata_action(fields)],
             operation="DLT SETUP", params={"pipelineId": "00000000-0000-4000-8000-000000000001"})
    s.hand(e, "Databricks Delta Live Tables: a schema-less metaData, then protocol 2/5 and the schema, no data "
              "file at all (an empty table)")


def case_refusals(s: Suite):
    # deletion vectors: a real DV on a file (the descriptor as Spark writes it; lh must refuse, not return rows
    # the DV deletes)
    t = HandTable(s.out, "deletion_vectors", 14)
    fields = spark_fields()
    proto = {"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["deletionVectors"],
             "writerFeatures": ["deletionVectors"]}
    add = t.write_file(spark_batch(1400, 0, 5), fields)
    t.commit([{"protocol": proto}, t.metadata_action(fields, configuration={"delta.enableDeletionVectors": "true"}),
              {"add": add}])
    dv = dict(add, deletionVector={"storageType": "i", "pathOrInlineDv": "wi5b=000010000siXQKl0rr91000f000",
                                   "offset": 1, "sizeInBytes": 36, "cardinality": 2}, dataChange=True)
    t.commit([t.remove_action(add["path"]), {"add": dv}], operation="DELETE", params={"predicate": '["(id < 2)"]'})
    s.refuse("deletion_vectors", "Spark DELETE with deletion vectors (protocol 3/7, reader feature "
             "deletionVectors, an add with a deletionVector)", "deletionVectors")

    u = HandTable(s.out, "unknown_reader_feature", 15)
    proto = {"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["fancyFutureFeature"],
             "writerFeatures": ["fancyFutureFeature"]}
    u.commit([{"protocol": proto}, u.metadata_action(fields), {"add": u.write_file(spark_batch(1500, 0, 2), fields)}])
    s.refuse("unknown_reader_feature", "a reader feature no engine knows (protocol 3/7)", "fancyFutureFeature")

    w = HandTable(s.out, "variant", 16)
    proto = {"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["variantType"],
             "writerFeatures": ["variantType"]}
    vfields = [delta_field(pa.field("id", pa.int64())), {"name": "v", "type": "variant", "nullable": True,
                                                         "metadata": {}}]
    w.commit([{"protocol": proto}, w.metadata_action(vfields)])
    s.refuse("variant", "Spark 4 variant column (reader feature variantType)", "variantType")


CASES = [case_spark_log, case_spark_partitioned_checkpoint, case_cleaned, case_multipart,
         case_last_checkpoint_variants, case_deltalake_checkpoints, case_time_travel, case_schema_evolution,
         case_primitives, case_timestamp_ntz, case_partition_types, case_nested, case_column_mapping,
         case_schemaless, case_refusals]


def main(argv):
    global VERBOSE
    args = [a for a in argv[1:] if a != "-v"]
    VERBOSE = len(args) != len(argv) - 1
    if len(args) != 1:
        print("usage: peer_tables.py [-v] OUTDIR", file=sys.stderr)
        return 64
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    suite = Suite(out)
    try:
        for case in CASES:
            case(suite)
    except Failure as e:
        print(f"peer_tables.py: {e}", file=sys.stderr)
        return 1
    (out / "cases.json").write_text(json.dumps(suite.names, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # deltalake sometimes aborts during interpreter teardown (tests/peers/README.md)
