"""Shared by make_delta_fixtures.py and check_lh_delta.py: our own replay of a Delta log (JSON commits only, as lh
reads it), lh schema names for Delta types, and canonical rows of a Delta table as deltalake and Polars read it.

    replay(table_dir, upto=None)   -> Log (version, protocol, metadata, files {path: add}, txn, commit_infos, commits)
    lh_type_of_delta(name)          Delta primitive type name ('long', 'decimal(12,2)', ...) -> lh type or None
    lh_schema_of_metadata(meta)     metaData action -> [{"name","type","nullable"}] from its schemaString
    canon_sorted(arrow_table)       -> canonical NDJSON lines sorted by the int64 column `id`
    canon_polars_sorted(df)         the same for a Polars DataFrame
    decode_path(add_path)           add.path -> relative file system path (URI-decoded once)
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from dataclasses import dataclass, field

import canonical as C
import peers_read as R

_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
_DELTA_TO_LH = {
    "boolean": "boolean",
    "byte": "int32",
    "short": "int32",
    "integer": "int32",
    "long": "int64",
    "float": "float",
    "double": "double",
    "string": "string",
    "binary": "binary",
    "date": "date",
    "timestamp": "timestamp",
}


def lh_type_of_delta(name: str):
    if name in _DELTA_TO_LH:
        return _DELTA_TO_LH[name]
    m = _DECIMAL.match(name)
    if m:
        return f"decimal({int(m.group(1))},{int(m.group(2))})"
    return None


def lh_schema_of_metadata(meta):
    fields = json.loads(meta["schemaString"])["fields"]
    out = []
    for f in fields:
        t = f["type"]
        lt = lh_type_of_delta(t) if isinstance(t, str) else None
        out.append({"name": f["name"], "type": lt or f"unsupported:{json.dumps(t)}", "nullable": bool(f["nullable"])})
    return out


def commit_path(table_dir, version):
    return os.path.join(table_dir, "_delta_log", f"{version:020d}.json")


def decode_path(add_path: str) -> str:
    return urllib.parse.unquote(add_path)


@dataclass
class Log:
    version: int = -1
    protocol: dict | None = None
    metadata: dict | None = None
    files: dict = field(default_factory=dict)  # add.path -> add action
    txn: dict = field(default_factory=dict)  # appId -> version
    commit_infos: list = field(default_factory=list)  # versions with a commitInfo action
    commits: list = field(default_factory=list)  # per version: list of (action kind, action dict)


def read_commit(path):
    actions = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                (kind, body), = obj.items()
                actions.append((kind, body))
    return actions


def replay(table_dir, upto=None) -> Log:
    log = Log()
    v = 0
    while (upto is None or v <= upto) and os.path.exists(commit_path(table_dir, v)):
        actions = read_commit(commit_path(table_dir, v))
        for kind, body in actions:
            if kind == "commitInfo":
                log.commit_infos.append(v)
            elif kind == "protocol":
                log.protocol = body
            elif kind == "metaData":
                log.metadata = body
            elif kind == "add":
                log.files[body["path"]] = body
            elif kind == "remove":
                log.files.pop(body["path"], None)
            elif kind == "txn":
                log.txn[body["appId"]] = body["version"]
        log.commits.append(actions)
        log.version = v
        v += 1
    return log


def _sorted_by_id(table):
    import pyarrow.compute as pc

    if "id" not in table.column_names:
        raise C.CanonError("the table has no column `id`")
    if table.column("id").null_count:
        raise C.CanonError("column `id` holds nulls")
    return table.take(pc.sort_indices(table, sort_keys=[("id", "ascending")]))


def canon_sorted(table):
    """pyarrow Table -> canonical lines sorted by id (schema order as the table has it)."""
    return R.canon_arrow_table(_sorted_by_id(table))


def canon_polars_sorted(df):
    import polars as pl

    df = df.sort("id")
    cols = []
    for name, dt in df.schema.items():
        lt = R.lh_type_of_polars(dt)
        if lt is None:
            raise C.CanonError(f"column {name}: Polars type {dt} has no lh type")
        s = df.get_column(name)
        if isinstance(dt, pl.Datetime):
            ints = s.cast(pl.Int64).to_list()
            cols.append(["null" if n is None else C.json_string(C.canon_timestamp_units(n, dt.time_unit)) for n in ints])
        else:
            cols.append([C.canon_value(v, lt) for v in s.to_list()])
    names = list(df.schema.keys())
    return [C.row_line(names, vals) for vals in zip(*cols)] if cols else []


def stats_of(add):
    """add.stats (a JSON string) -> dict with numbers kept as exact text-parsed values (Decimal for fractions)."""
    import decimal

    s = add.get("stats")
    if s is None:
        return None
    return json.loads(s, parse_float=decimal.Decimal)
