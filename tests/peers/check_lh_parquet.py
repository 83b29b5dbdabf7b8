#!/usr/bin/env python3
"""Proves an lh-written Parquet file against the peers.

    check_lh_parquet.py FILE EXPECTED.ndjson SCHEMA.json

Reads FILE with pyarrow, DuckDB (SELECT * FROM read_parquet(?)) and Polars, turns each result into lh canonical
NDJSON (tests/peers/README.md) and compares it with EXPECTED exactly, row by row. Checks the types each engine
sees against SCHEMA (lh type names): strings must be VARCHAR in DuckDB (not BLOB), timestamps TIMESTAMP WITH TIME
ZONE in DuckDB and timestamp[us, tz=UTC] in pyarrow and Polars, decimals keep precision and scale, dates are DATE,
and pyarrow's nullability equals the schema's. Checks pyarrow's row-group metadata: every column chunk has
statistics with a null_count equal to the real number of nulls and, when the chunk holds a non-null value that is
not NaN, min and max equal to the real minimum and maximum.

Exit 0 when all is well; else 1 with one line per failure on stdout (the first row difference per engine only).
Exit 64 on bad usage, 66 when an input file is missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))

import canonical as C  # noqa: E402
import peers_read as R  # noqa: E402


def parse_line(line):
    """-> [(key, raw JSON text of the value)] keeping numbers as written."""
    pairs = json.loads(line, object_pairs_hook=list, parse_float=lambda s: ("num", s), parse_int=lambda s: ("num", s))
    return [(k, v[1] if isinstance(v, tuple) else json.dumps(v, ensure_ascii=False)) for k, v in pairs]


def short(text, n=120):
    return text if len(text) <= n else text[: n - 1] + "…"


def compare_rows(engine, expected, got):
    if expected == got:
        return []
    for i, (e, g) in enumerate(zip(expected, got)):
        if e == g:
            continue
        try:
            ep, gp = parse_line(e), parse_line(g)
        except ValueError:
            return [f"{engine}: row {i}: expected {short(e)} got {short(g)}"]
        if [k for k, _ in ep] != [k for k, _ in gp]:
            return [f"{engine}: row {i}: columns {[k for k, _ in gp]}, expected {[k for k, _ in ep]}"]
        for (k, ev), (_, gv) in zip(ep, gp):
            if ev != gv:
                return [f"{engine}: row {i} column {k}: expected {short(ev)} got {short(gv)}"]
        return [f"{engine}: row {i}: expected {short(e)} got {short(g)} (same values, different text)"]
    return [f"{engine}: {len(got)} rows, expected {len(expected)}"]


def check_types(res, schema):
    fails = []
    names = [c["name"] for c in schema]
    got_names = [c[0] for c in res.columns]
    if got_names != names:
        return [f"{res.engine}: columns {got_names}, expected {names}"]
    for i, ((name, etype, lt), col) in enumerate(zip(res.columns, schema)):
        want = col["type"]
        if lt != want:
            fails.append(f"{res.engine}: column {name}: type {etype} (lh {lt}), expected {want}")
            continue
        if res.engine == "duckdb":
            duck_want = {"string": "VARCHAR", "binary": "BLOB", "date": "DATE", "timestamp": "TIMESTAMP WITH TIME ZONE"}
            kind = C.parse_type(want)[0]
            if kind in duck_want and etype != duck_want[kind]:
                fails.append(f"duckdb: column {name}: type {etype}, expected {duck_want[kind]}")
        if res.engine == "pyarrow":
            t = res.extra["schema"].field(i).type
            if want == "timestamp" and (t.unit != "us" or t.tz not in ("UTC", "+00:00")):
                fails.append(f"pyarrow: column {name}: type {t}, expected timestamp[us, tz=UTC]")
            if res.nullables[i] != col["nullable"]:
                fails.append(
                    f"pyarrow: column {name}: {'OPTIONAL' if res.nullables[i] else 'REQUIRED'}, "
                    f"expected {'OPTIONAL' if col['nullable'] else 'REQUIRED'} (schema nullable={str(col['nullable']).lower()})"
                )
        if res.engine == "polars" and want == "timestamp":
            dt = res.extra["schema"][name]
            if dt.time_zone != "UTC" or dt.time_unit != "us":
                fails.append(f"polars: column {name}: type {dt}, expected Datetime(us, UTC)")
    return fails


def stat_text(v, lh_type, phys_type, unit):
    """A statistics value -> canonical JSON text (timestamps from the raw INT64 in the column's unit)."""
    if lh_type == "timestamp":
        return C.json_string(C.canon_timestamp_units(v, unit))
    return C.canon_value(v, lh_type)


def check_statistics(path, schema):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    fails = []
    pf = pq.ParquetFile(path)
    md = pf.metadata
    arrow_schema = pf.schema_arrow
    for rg in range(md.num_row_groups):
        rgm = md.row_group(rg)
        if rgm.num_rows == 0:
            continue
        table = pf.read_row_group(rg)
        for ci in range(rgm.num_columns):
            cm = rgm.column(ci)
            name = cm.path_in_schema
            where = f"statistics: row group {rg} column {name}"
            lt = R.lh_type_of_arrow(arrow_schema.field(name).type)
            arr = table.column(name)
            nulls = arr.null_count
            st = cm.statistics
            if st is None:
                fails.append(f"{where}: no statistics")
                continue
            if not st.has_null_count:
                fails.append(f"{where}: no null_count")
            elif st.null_count != nulls:
                fails.append(f"{where}: null_count {st.null_count}, the chunk has {nulls} nulls")
            values = arr
            if lt in ("float", "double"):
                values = pc.filter(arr, pc.invert(pc.is_nan(arr)))
            values = values.drop_null()
            if len(values) == 0:
                continue
            if not st.has_min_max:
                fails.append(f"{where}: no min/max although the chunk has non-null values")
                continue
            atype = arrow_schema.field(name).type
            if lt == "timestamp":
                unit = atype.unit
                ints = values.cast(pa.int64())
                real_min, real_max = pc.min(ints).as_py(), pc.max(ints).as_py()
                lo, hi = st.min_raw, st.max_raw
            else:
                unit = None
                mm = pc.min_max(values)
                real_min, real_max = mm["min"].as_py(), mm["max"].as_py()
                lo, hi = st.min, st.max
            for which, s_val, r_val in (("min", lo, real_min), ("max", hi, real_max)):
                try:
                    s_txt = stat_text(s_val, lt, cm.physical_type, unit)
                except (C.CanonError, TypeError, ValueError) as e:
                    fails.append(f"{where}: {which} {s_val!r} unreadable: {e}")
                    continue
                r_txt = stat_text(r_val, lt, cm.physical_type, unit)
                same = s_txt == r_txt
                if lt in ("float", "double") and not same:
                    same = float(s_val) == float(r_val)  # -0.0 == +0.0 (formats.md §7 writes min -0.0, max +0.0)
                if not same:
                    fails.append(f"{where}: {which} {short(s_txt)}, the chunk's real {which} is {short(r_txt)}")
    return fails


def run(path, expected_path, schema_path):
    fails = []
    schema = C.read_schema(schema_path)
    expected = C.read_ndjson_lines(expected_path)
    for i, line in enumerate(expected):
        keys = [k for k, _ in parse_line(line)]
        if keys != [c["name"] for c in schema]:
            return [f"{expected_path}: line {i + 1}: keys {keys} do not match {schema_path}"]
    for engine, read in R.ENGINES.items():
        try:
            res = read(path)
        except Exception as e:  # noqa: BLE001 - an engine refusing the file is the finding
            msg = " ".join(str(e).split())
            fails.append(f"{engine}: cannot read {path}: {type(e).__name__}: {short(msg, 300)}")
            continue
        fails += check_types(res, schema)
        fails += compare_rows(engine, expected, res.lines)
    try:
        fails += check_statistics(path, schema)
    except Exception as e:  # noqa: BLE001
        fails.append(f"statistics: cannot read the metadata: {type(e).__name__}: {short(' '.join(str(e).split()), 300)}")
    return fails


def main(argv):
    if len(argv) != 4:
        print("usage: check_lh_parquet.py FILE EXPECTED.ndjson SCHEMA.json", file=sys.stderr)
        return 64
    for p in argv[1:]:
        if not Path(p).is_file():
            print(f"check_lh_parquet: {p}: no such file", file=sys.stderr)
            return 66
    try:
        fails = run(*argv[1:])
    except (C.CanonError, ValueError) as e:
        fails = [f"check_lh_parquet: {e}"]
    for f in fails:
        print(f"{argv[1]}: {f}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
