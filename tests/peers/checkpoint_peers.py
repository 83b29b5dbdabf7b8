#!/usr/bin/env python3
"""Peer side of lh's checkpoint tests (Tests/EndToEndTests/CheckpointPeerTests.swift).

  describe TABLE OUT.json            deltalake's view: version, files, rows, history length
  cleanup TABLE                      deltalake cleanup_metadata() (expired JSON and checkpoints)
  make-cleaned TABLE N OUT.json      deltalake writes N appends with checkpointInterval 5 and a
                                     1-second log retention, cleaning expired logs as it goes;
                                     OUT holds each version's files, rows and commit time
  append TABLE                       deltalake appends one row (id, name) to TABLE
  split TABLE VERSION multipart|v2   rewrites the classic checkpoint of VERSION as a 3-part
                                     checkpoint, or as a V2 (UUID-named) Parquet checkpoint
                                     with two sidecars, and removes the classic one
"""
import json
import os
import sys
import time
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake


def view(dt):
    adds = dt.get_add_actions(flatten=True)
    paths = adds.column("path").to_pylist() if adds.num_rows else []
    return {"version": dt.version(), "files": sorted(paths),
            "rows": dt.to_pyarrow_table().num_rows}


def describe(table, out):
    dt = DeltaTable(table)
    v = view(dt)
    v["history"] = len(dt.history())
    with open(out, "w") as f:
        json.dump(v, f)


def make_cleaned(table, n, out):
    versions = {}
    config = {"delta.checkpointInterval": "5", "delta.logRetentionDuration": "interval 1 second"}
    for i in range(n):
        data = pa.table({"id": pa.array([i * 10 + k for k in range(3)], pa.int64()),
                         "name": pa.array([f"n{i}"] * 3, pa.string())})
        if i == 0:
            write_deltalake(table, data, configuration=config)
        elif i % 4 == 3:
            write_deltalake(table, data, mode="overwrite")
        else:
            write_deltalake(table, data, mode="append")
        dt = DeltaTable(table)
        v = view(dt)
        v["timestamp"] = dt.history(1)[0]["timestamp"]
        versions[str(dt.version())] = v
        time.sleep(0.25)
    DeltaTable(table).cleanup_metadata()
    with open(out, "w") as f:
        json.dump(versions, f)


def append(table):
    data = pa.table({"id": pa.array([999], pa.int64()), "name": pa.array(["peer"], pa.string())})
    write_deltalake(table, data, mode="append")


def split(table, version, how):
    log = os.path.join(table, "_delta_log")
    classic = os.path.join(log, "%020d.checkpoint.parquet" % version)
    t = pq.read_table(classic)
    rows = t.to_pylist()
    if how == "multipart":
        parts = [rows[i::3] for i in range(3)]
        for k, part in enumerate(parts, start=1):
            name = "%020d.checkpoint.%010d.%010d.parquet" % (version, k, 3)
            pq.write_table(pa.Table.from_pylist(part, schema=t.schema), os.path.join(log, name))
    else:
        files = [r for r in rows if r.get("add") is not None or r.get("remove") is not None]
        others = [r for r in rows if r.get("add") is None and r.get("remove") is None]
        side_schema = pa.schema([t.schema.field("add"), t.schema.field("remove")])
        os.makedirs(os.path.join(log, "_sidecars"), exist_ok=True)
        sidecars = []
        for half in (files[0::2], files[1::2]):
            name = "%s.parquet" % uuid.uuid4()
            path = os.path.join(log, "_sidecars", name)
            pq.write_table(pa.Table.from_pylist(
                [{"add": r.get("add"), "remove": r.get("remove")} for r in half],
                schema=side_schema), path)
            sidecars.append({"path": name, "sizeInBytes": os.path.getsize(path),
                             "modificationTime": int(time.time() * 1000), "tags": None})
        top_fields = [f for f in t.schema if f.name not in ("add", "remove")]
        tags = pa.map_(pa.string(), pa.string())
        top_fields.append(pa.field("checkpointMetadata", pa.struct(
            [pa.field("version", pa.int64()), pa.field("tags", tags)])))
        top_fields.append(pa.field("sidecar", pa.struct(
            [pa.field("path", pa.string()), pa.field("sizeInBytes", pa.int64()),
             pa.field("modificationTime", pa.int64()), pa.field("tags", tags)])))
        top = [{k: v for k, v in r.items() if k not in ("add", "remove")} for r in others]
        top.append({"checkpointMetadata": {"version": version, "tags": None}})
        top += [{"sidecar": s} for s in sidecars]
        name = "%020d.checkpoint.%s.parquet" % (version, uuid.uuid4())
        pq.write_table(pa.Table.from_pylist(top, schema=pa.schema(top_fields)),
                       os.path.join(log, name))
    os.unlink(classic)


def main():
    cmd = sys.argv[1]
    if cmd == "describe":
        describe(sys.argv[2], sys.argv[3])
    elif cmd == "cleanup":
        DeltaTable(sys.argv[2]).cleanup_metadata()
    elif cmd == "make-cleaned":
        make_cleaned(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "append":
        append(sys.argv[2])
    elif cmd == "split":
        split(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
    # deltalake's runtime threads can abort the interpreter's shutdown ("terminate called
    # without an active exception"): leave without it once the work is done.
    sys.stdout.flush()
    os._exit(0)
