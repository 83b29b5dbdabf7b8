"""Reads a Parquet file with each peer engine and turns the result into lh canonical rows.

    read_pyarrow(path) / read_duckdb(path) / read_polars(path) -> EngineResult
    ENGINES = {"pyarrow": read_pyarrow, "duckdb": read_duckdb, "polars": read_polars}

Each EngineResult has: engine, columns [(name, engine type text, lh type or None if unmapped)], nullables
(pyarrow only, else None), lines (canonical NDJSON lines, no newline). Timestamps are taken as integers since the
epoch in the engine's own unit and floored to microseconds here, so no engine's datetime conversion (or its
rounding toward zero, as DuckDB's epoch_us does for TIMESTAMP_NS) can blur the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import canonical as C


@dataclass
class EngineResult:
    engine: str
    columns: list  # [(name, engine_type_text, lh_type_or_None)]
    lines: list
    nullables: list | None = None
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------- pyarrow


def lh_type_of_arrow(t):
    import pyarrow as pa
    import pyarrow.types as T

    if T.is_boolean(t):
        return "boolean"
    if T.is_int8(t) or T.is_int16(t) or T.is_int32(t):
        return "int32"
    if T.is_int64(t):
        return "int64"
    if T.is_float32(t):
        return "float"
    if T.is_float64(t):
        return "double"
    if T.is_string(t) or T.is_large_string(t) or (hasattr(T, "is_string_view") and T.is_string_view(t)):
        return "string"
    if T.is_binary(t) or T.is_large_binary(t) or (hasattr(T, "is_binary_view") and T.is_binary_view(t)):
        return "binary"
    if T.is_date32(t):
        return "date"
    if T.is_timestamp(t):
        return "timestamp"
    if T.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if T.is_dictionary(t):
        return lh_type_of_arrow(t.value_type)
    _ = pa
    return None


def canon_arrow_column(arr, lh_type):
    """arr: pyarrow Array or ChunkedArray -> list of JSON texts."""
    import pyarrow as pa
    import pyarrow.types as T

    t = arr.type
    if T.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = t.value_type
    if T.is_timestamp(t):
        ints = arr.cast(pa.int64()).to_pylist()
        return ["null" if n is None else C.json_string(C.canon_timestamp_units(n, t.unit)) for n in ints]
    return [C.canon_value(v, lh_type) for v in arr.to_pylist()]


def canon_arrow_table(table):
    names = table.column_names
    cols = []
    for name, f in zip(names, table.schema):
        lt = lh_type_of_arrow(f.type)
        if lt is None:
            raise C.CanonError(f"column {name}: arrow type {f.type} has no lh type")
        cols.append(canon_arrow_column(table.column(name), lt))
    return [C.row_line(names, vals) for vals in zip(*cols)] if cols else []


def read_pyarrow(path) -> EngineResult:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    columns = [(f.name, str(f.type), lh_type_of_arrow(f.type)) for f in table.schema]
    return EngineResult(
        "pyarrow", columns, canon_arrow_table(table), [f.nullable for f in table.schema], {"schema": table.schema}
    )


# ---------------------------------------------------------------- DuckDB

_DUCK_SIMPLE = {
    "BOOLEAN": "boolean",
    "TINYINT": "int32",
    "SMALLINT": "int32",
    "INTEGER": "int32",
    "BIGINT": "int64",
    "FLOAT": "float",
    "DOUBLE": "double",
    "VARCHAR": "string",
    "BLOB": "binary",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMPTZ_NS": "timestamp",
    "TIMESTAMP_S": "timestamp",
}
# expression giving an integer since the epoch, and its unit (epoch_ns keeps every digit; we floor ourselves)
_DUCK_TS_EXPR = {
    "TIMESTAMP": ("epoch_ns({})", "ns"),
    "TIMESTAMP WITH TIME ZONE": ("epoch_ns({})", "ns"),
    "TIMESTAMP_MS": ("epoch_ns({})", "ns"),
    "TIMESTAMP_NS": ("epoch_ns({})", "ns"),
    "TIMESTAMPTZ_NS": ("epoch_ns({})", "ns"),
    "TIMESTAMP_S": ("epoch_ns({})", "ns"),
}


def lh_type_of_duckdb(t: str):
    if t in _DUCK_SIMPLE:
        return _DUCK_SIMPLE[t]
    m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", t)
    if m:
        return f"decimal({m.group(1)},{m.group(2)})"
    return None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_duckdb(path) -> EngineResult:
    import duckdb

    con = duckdb.connect()
    try:
        desc = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        columns = [(r[0], r[1], lh_type_of_duckdb(r[1])) for r in desc]
        for name, et, lt in columns:
            if lt is None:
                raise C.CanonError(f"column {name}: DuckDB type {et} has no lh type")
        exprs = []
        for name, et, _ in columns:
            if et in _DUCK_TS_EXPR:
                exprs.append(_DUCK_TS_EXPR[et][0].format(_quote(name)))
            else:
                exprs.append(_quote(name))
        sql = "SELECT " + ", ".join(exprs) + " FROM read_parquet(?)" if exprs else "SELECT * FROM read_parquet(?)"
        rows = con.execute(sql, [str(path)]).fetchall()
    finally:
        con.close()
    names = [c[0] for c in columns]
    lines = []
    for row in rows:
        vals = []
        for v, (name, et, lt) in zip(row, columns):
            if et in _DUCK_TS_EXPR and v is not None:
                vals.append(C.json_string(C.canon_timestamp_units(v, _DUCK_TS_EXPR[et][1])))
            else:
                vals.append(C.canon_value(v, lt))
        lines.append(C.row_line(names, vals))
    return EngineResult("duckdb", columns, lines)


# ---------------------------------------------------------------- Polars


def lh_type_of_polars(dt):
    import polars as pl

    if dt == pl.Boolean:
        return "boolean"
    if dt in (pl.Int8, pl.Int16, pl.Int32):
        return "int32"
    if dt == pl.Int64:
        return "int64"
    if dt == pl.Float32:
        return "float"
    if dt == pl.Float64:
        return "double"
    if dt == pl.String:
        return "string"
    if dt == pl.Binary:
        return "binary"
    if dt == pl.Date:
        return "date"
    if isinstance(dt, pl.Datetime):
        return "timestamp"
    if isinstance(dt, pl.Decimal):
        return f"decimal({dt.precision},{dt.scale})"
    return None


def read_polars(path) -> EngineResult:
    import polars as pl

    df = pl.read_parquet(str(path))
    columns = [(n, str(dt), lh_type_of_polars(dt)) for n, dt in df.schema.items()]
    for name, et, lt in columns:
        if lt is None:
            raise C.CanonError(f"column {name}: Polars type {et} has no lh type")
    cols = []
    for name, dt in df.schema.items():
        s = df.get_column(name)
        lt = lh_type_of_polars(dt)
        if isinstance(dt, pl.Datetime):
            unit = dt.time_unit
            cols.append(
                ["null" if n is None else C.json_string(C.canon_timestamp_units(n, unit)) for n in s.cast(pl.Int64).to_list()]
            )
        else:
            cols.append([C.canon_value(v, lt) for v in s.to_list()])
    names = [c[0] for c in columns]
    lines = [C.row_line(names, vals) for vals in zip(*cols)] if cols else []
    return EngineResult("polars", columns, lines, extra={"schema": df.schema})


ENGINES = {"pyarrow": read_pyarrow, "duckdb": read_duckdb, "polars": read_polars}
