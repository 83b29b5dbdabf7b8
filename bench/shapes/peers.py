#!/usr/bin/env python3
"""The peers' side of `make bench-shapes`: DuckDB and Polars doing lh's three stages for any
contract of lh's format, on all cores.

    peers.py ENGINE bronze IN.ndjson DIR [CONTRACT]
        the raw lines as they are (one text column `line`) → DIR/bronze.parquet (zstd)
    peers.py ENGINE silver CONTRACT DIR
        DIR/bronze.parquet → parse each line as JSON, check the contract (JSON type, required,
        allowed values, bounds, max_length, decimal scale, RFC 3339 times), rejected lines →
        DIR/rejects.parquet, good rows without duplicates (same key, same event day) →
        DIR/silver/event_date=…/*.parquet (zstd)
    peers.py ENGINE gold CONTRACT DIR
        DIR/silver → each gold table of the contract (grain, group_by, where, metrics, ratios;
        days and hours in UTC) → DIR/gold/<table>.parquet (zstd)
    peers.py check CONTRACT IN.ndjson LAKE DIR
        both engines' three steps in this one process (DIR/duckdb, DIR/polars), then compare
    peers.py compare CONTRACT LAKE DIR [DIR...]
        silver rows, rejects and every gold table of lh's LAKE against each peer's DIR; prints
        one line per table and exits 1 on any difference

ENGINE: duckdb or polars (the same work as lh, as above), or duckdb-typed or polars-typed (as
users write them: bronze is a typed NDJSON read of the contract's columns straight to Parquet, the
raw lines not kept and malformed lines skipped (DuckDB's ignore_errors; Polars stops on them),
silver the contract's checks on the typed columns (required, bounds, max_length, values) and the
dedupe, gold as above; bronze then needs CONTRACT). A step prints one JSON object: seconds (the step's work, imports and
start-up excluded), rows written, peak RSS in KiB. The contract is read by a small parser of
lh's format (docs/contracts.md) and turned into SQL (DuckDB) or expressions (Polars): one
generic translation, no per-shape code.

Not done by the peers (lh does it): detecting a key repeated within a line, keeping unknown keys
(lh's `_extra`), reject reasons, lineage columns (source, line number, ingest time), Delta logs.
"""
import json
import os
import re
import resource
import sys
import time

DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)")
RFC3339 = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"


# ---------------------------------------------------------------------------------------------
# The contract


def parse_contract(path):
    c = {"name": None, "key": [], "event_time": None, "columns": [], "gold": []}
    table = None
    for raw in open(path, encoding="utf-8"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word == "contract":
            c["name"] = rest
        elif word == "key":
            c["key"] = [k.strip() for k in rest.split(",")]
        elif word == "event_time":
            c["event_time"] = rest
        elif word == "column":
            c["columns"].append(parse_column(rest))
        elif word == "gold":
            table = {"name": rest, "grain": None, "group_by": [], "where": [], "metrics": [], "ratios": []}
            c["gold"].append(table)
        elif word == "grain":
            table["grain"] = rest
        elif word == "group_by":
            table["group_by"] = [g.strip() for g in rest.split(",")]
        elif word == "where":
            table["where"] = parse_conds(rest)
        elif word == "metric":
            name, _, expr = rest.partition("=")
            expr, _, cond = expr.partition(" where ")
            m = re.fullmatch(r"\s*(\w+)(?:\(\s*(\w+)\s*(?:\*\s*(\w+)\s*)?\))?\s*", expr)
            table["metrics"].append({"name": name.strip(), "agg": m.group(1),
                                     "cols": [x for x in m.group(2, 3) if x],
                                     "where": parse_conds(cond) if cond else []})
        elif word == "ratio":
            name, _, expr = rest.partition("=")
            num, _, den = expr.partition("/")
            table["ratios"].append({"name": name.strip(), "num": num.strip(), "den": den.strip()})
        else:
            raise SystemExit(f"peers.py: {path}: unknown directive '{word}'")
    return c


def parse_column(rest):
    rest = re.sub(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)", r"decimal(\1,\2)", rest)
    words = rest.split()
    col = {"name": words[0], "type": words[1], "required": False, "min": None, "max": None,
           "max_length": None, "values": None, "accept_strings": False}
    i = 2
    while i < len(words):
        w = words[i]
        if w in ("required", "optional"):
            col["required"] = w == "required"
        elif w == "accept_strings":
            col["accept_strings"] = True
        elif w in ("min", "max", "max_length", "currency"):
            col[w] = words[i + 1]
            i += 1
        elif w == "values":
            col["values"] = [v.strip() for v in " ".join(words[i + 1:]).split(",")]
            break
        i += 1
    return col


def parse_conds(text):
    out = []
    for part in re.split(r"\s+and\s+", text.strip()):
        m = re.fullmatch(r"(\w+)\s*(!=|=)\s*(.+)", part.strip())
        out.append((m.group(1), m.group(2), m.group(3).strip()))
    return out


def column(contract, name):
    return next(c for c in contract["columns"] if c["name"] == name)


def literal(col, value):
    """A condition's value as a Python value of the column's type."""
    t = col["type"]
    if t == "boolean":
        return value == "true"
    if t in ("int32", "int64"):
        return int(value)
    if t == "double" or t.startswith("decimal"):
        return float(value)
    return value


# ---------------------------------------------------------------------------------------------
# DuckDB


def duck_connect():
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={os.cpu_count()}")
    con.execute("SET preserve_insertion_order=false")
    con.execute("SET TimeZone='UTC'")
    return con


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def duck_column(col):
    """(typed value expression, validity condition) of one contract column over JSON `j`."""
    path = sql_str("$." + json.dumps(col["name"]))
    jt = f"json_type(j, {path})"
    v = f"(j->>{path})"
    t = col["type"]
    number = f"{jt} IN ('BIGINT','UBIGINT')"
    bounds = []
    if t == "string":
        typed, ok = v, f"{jt} = 'VARCHAR'"
        if col["max_length"]:
            bounds.append(f"length({v}) <= {int(col['max_length'])}")
    elif t in ("int32", "int64"):
        sql_t = "INTEGER" if t == "int32" else "BIGINT"
        typed = f"TRY_CAST({v} AS {sql_t})"
        ok = f"{number} AND {typed} IS NOT NULL"
        if col["accept_strings"]:
            ok = f"(({ok}) OR ({jt} = 'VARCHAR' AND regexp_full_match({v}, '-?[0-9]+') AND {typed} IS NOT NULL))"
    elif t == "double":
        typed = f"TRY_CAST({v} AS DOUBLE)"
        ok = f"{jt} IN ('DOUBLE','BIGINT','UBIGINT') AND isfinite({typed})"
    elif t.startswith("decimal"):
        p, s = map(int, DECIMAL.fullmatch(t).groups())
        typed = f"TRY_CAST({v} AS DECIMAL({p},{s}))"
        frac = f"(\\.[0-9]{{0,{s}}}0*)?" if s else r"(\.0*)?"
        ok = (f"{jt} IN ('DOUBLE','BIGINT','UBIGINT') AND "
              f"regexp_full_match({v}, '-?[0-9]{{1,{p - s}}}{frac}') AND {typed} IS NOT NULL")
    elif t == "boolean":
        typed, ok = f"TRY_CAST({v} AS BOOLEAN)", f"{jt} = 'BOOLEAN'"
    elif t == "timestamp":
        typed = f"TRY_CAST(upper({v}) AS TIMESTAMPTZ)"  # RFC 3339 allows t and z; DuckDB only T and Z
        ok = f"{jt} = 'VARCHAR' AND regexp_full_match({v}, {sql_str(RFC3339[1:-1])}) AND {typed} IS NOT NULL"
    elif t == "date":
        typed = f"TRY_CAST({v} AS DATE)"
        ok = f"{jt} = 'VARCHAR' AND regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND {typed} IS NOT NULL"
    else:
        raise SystemExit(f"peers.py: type {t} not supported")
    if col["min"] is not None:
        bounds.append(f"{typed} >= {col['min']}")
    if col["max"] is not None:
        bounds.append(f"{typed} <= {col['max']}")
    if col["values"]:
        vals = ", ".join(sql_str(x) if t == "string" else x for x in col["values"])
        bounds.append(f"{typed} IN ({vals})")
    check = " AND ".join([ok] + bounds)
    if col["required"]:
        return typed, f"({check})"
    return typed, f"(coalesce({jt}, 'NULL') = 'NULL' OR ({check}))"


def duck_silver(contract, d):
    con = duck_connect()
    cols = contract["columns"]
    typed = [duck_column(c) for c in cols]
    checks = " AND ".join(ok for _, ok in typed)
    select = ", ".join(f"{expr} AS {c['name']}" for c, (expr, _) in zip(cols, typed))
    t0 = time.perf_counter()
    con.execute(f"""CREATE TEMP TABLE checked AS
        SELECT CASE WHEN ok THEN NULL ELSE line END AS bad_line, * EXCLUDE (line, j)
        FROM (SELECT line, j, {select},
                     coalesce(j IS NOT NULL AND json_type(j) = 'OBJECT' AND {checks}, false) AS ok
              FROM (SELECT line, try(json(line)) AS j FROM read_parquet('{d}/bronze.parquet')))""")
    con.execute(f"COPY (SELECT bad_line AS line FROM checked WHERE NOT ok) TO '{d}/rejects.parquet' "
                "(FORMAT parquet, COMPRESSION zstd)")
    key = ", ".join(contract["key"])
    names = ", ".join(c["name"] for c in cols)
    con.execute(f"""COPY (
        SELECT {names}, CAST({contract['event_time']} AS DATE) AS event_date FROM checked WHERE ok
        QUALIFY row_number() OVER (PARTITION BY {key}, CAST({contract['event_time']} AS DATE)) = 1
      ) TO '{d}/silver' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date), OVERWRITE_OR_IGNORE)""")
    seconds = time.perf_counter() - t0
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{d}/silver/*/*.parquet')").fetchone()[0]
    return seconds, rows


def duck_cond(contract, conds):
    parts = []
    for name, op, value in conds:
        v = literal(column(contract, name), value)
        lit = sql_str(v) if isinstance(v, str) else ("true" if v is True else "false" if v is False else repr(v))
        parts.append(f"{name} {'=' if op == '=' else '<>'} {lit}")
    return " AND ".join(parts)


def duck_gold_sql(contract, g):
    ts = contract["event_time"]
    bucket = {"day": f"CAST({ts} AS DATE) AS event_date",
              "hour": f"date_trunc('hour', {ts}) AS window_start",
              "minute": f"date_trunc('minute', {ts}) AS window_start"}[g["grain"]]
    aggs = []
    for m in g["metrics"]:
        arg = " * ".join(m["cols"])
        fn = {"count": "count(*)", "count_distinct": f"count(DISTINCT {arg})", "sum": f"sum({arg})",
              "avg": f"avg({arg})", "min": f"min({arg})", "max": f"max({arg})"}[m["agg"]]
        if m["where"]:
            fn += f" FILTER (WHERE {duck_cond(contract, m['where'])})"
        if m["agg"] == "sum" and all(column(contract, c)["type"] in ("int32", "int64") for c in m["cols"]):
            fn = f"CAST({fn} AS BIGINT)"  # DuckDB sums integers as HUGEINT, which Parquet keeps as DOUBLE
        aggs.append(f"{fn} AS {m['name']}")
    where = f"WHERE {duck_cond(contract, g['where'])}" if g["where"] else ""
    keys = ", ".join(str(i + 1) for i in range(1 + len(g["group_by"])))
    inner = (f"SELECT {', '.join([bucket] + g['group_by'] + aggs)} FROM silver {where} GROUP BY {keys}")
    if not g["ratios"]:
        return inner
    ratios = ", ".join(f"{r['num']}::DOUBLE / nullif({r['den']}, 0) AS {r['name']}" for r in g["ratios"])
    return f"SELECT *, {ratios} FROM ({inner})"


def duck_gold(contract, d):
    con = duck_connect()
    os.makedirs(f"{d}/gold", exist_ok=True)
    t0 = time.perf_counter()
    con.execute(f"CREATE VIEW silver AS SELECT * FROM read_parquet('{d}/silver/*/*.parquet', hive_partitioning = true)")
    for g in contract["gold"]:
        con.execute(f"COPY ({duck_gold_sql(contract, g)}) TO '{d}/gold/{g['name']}.parquet' "
                    "(FORMAT parquet, COMPRESSION zstd)")
    return time.perf_counter() - t0, 0


def duck_bronze(src, d):
    con = duck_connect()
    os.makedirs(d, exist_ok=True)
    t0 = time.perf_counter()
    con.execute(f"""COPY (SELECT line FROM read_csv('{src}', columns = {{'line': 'VARCHAR'}}, header = false,
        delim = chr(31), quote = '', escape = '', auto_detect = false))
        TO '{d}/bronze.parquet' (FORMAT parquet, COMPRESSION zstd)""")
    seconds = time.perf_counter() - t0
    return seconds, con.execute(f"SELECT count(*) FROM read_parquet('{d}/bronze.parquet')").fetchone()[0]


# ---------------------------------------------------------------------------------------------
# Polars


def polars_bronze(src, d):
    import polars as pl
    os.makedirs(d, exist_ok=True)
    t0 = time.perf_counter()
    frame = pl.read_csv(src, has_header=False, separator="\x1f", quote_char=None, new_columns=["line"],
                        schema={"line": pl.String})
    frame.write_parquet(f"{d}/bronze.parquet", compression="zstd")
    return time.perf_counter() - t0, frame.height


def polars_column(col):
    """(typed value expression, validity expression) of one contract column over `line`."""
    import polars as pl
    name, t = col["name"], col["type"]
    raw = pl.col("line").str.json_path_match("$." + name)
    # The JSON type of the value, from its first character (json_path_match unquotes strings).
    first = pl.col("line").str.extract(r'"' + re.escape(name) + r'"\s*:\s*(.)', 1)
    is_string, is_null = first == '"', first.is_null() | (first == "n")
    is_number = first.str.contains(r"^[-0-9]")
    bounds = []
    if t == "string":
        typed, ok = raw, is_string
        if col["max_length"]:
            bounds.append(raw.str.len_chars() <= int(col["max_length"]))
    elif t in ("int32", "int64"):
        typed = raw.cast(pl.Int32 if t == "int32" else pl.Int64, strict=False)
        ok = is_number & raw.str.contains(r"^-?[0-9]+$") & typed.is_not_null()
        if col["accept_strings"]:
            ok = ok | (is_string & raw.str.contains(r"^-?[0-9]+$") & typed.is_not_null())
    elif t == "double":
        typed = raw.cast(pl.Float64, strict=False)
        ok = is_number & typed.is_finite().fill_null(False)
    elif t.startswith("decimal"):
        p, s = map(int, DECIMAL.fullmatch(t).groups())
        frac = rf"(\.[0-9]{{0,{s}}}0*)?" if s else r"(\.0*)?"
        typed = raw.str.replace(r"^(-?[0-9]+\.[0-9]{%d})0+$" % s, "$1").cast(pl.Decimal(p, s), strict=False) \
            if s else raw.cast(pl.Decimal(p, 0), strict=False)
        ok = is_number & raw.str.contains(rf"^-?[0-9]{{1,{p - s}}}{frac}$") & typed.is_not_null()
    elif t == "boolean":
        typed = pl.when(raw == "true").then(True).when(raw == "false").then(False)
        ok = first.is_in(["t", "f"]) & typed.is_not_null()
    elif t == "timestamp":
        typed = raw.str.replace(r"[Zz]$", "+00:00").str.replace(r"^(.{10})[t ]", "${1}T").str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_zone="UTC", time_unit="us")
        ok = is_string & raw.str.contains(RFC3339) & typed.is_not_null()
    elif t == "date":
        typed = raw.str.to_date("%Y-%m-%d", strict=False)
        ok = is_string & raw.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$") & typed.is_not_null()
    else:
        raise SystemExit(f"peers.py: type {t} not supported")
    if col["min"] is not None:
        bounds.append(typed >= float(col["min"]) if t in ("double",) or t.startswith("decimal") else typed >= int(col["min"]))
    if col["max"] is not None:
        bounds.append(typed <= float(col["max"]) if t in ("double",) or t.startswith("decimal") else typed <= int(col["max"]))
    if col["values"]:
        bounds.append(typed.is_in([literal(col, v) for v in col["values"]]))
    check = ok
    for b in bounds:
        check = check & b
    check = check.fill_null(False)
    if col["required"]:
        return typed, check
    return typed, is_null | check


def polars_silver(contract, d):
    import polars as pl
    cols = contract["columns"]
    typed = [polars_column(c) for c in cols]
    ok = pl.col("line").str.json_path_match("$").is_not_null() & pl.col("line").str.contains(r"^\s*\{")
    for _, check in typed:
        ok = ok & check
    t0 = time.perf_counter()
    frame = pl.scan_parquet(f"{d}/bronze.parquet").with_columns(ok.alias("_ok")).with_columns(
        [expr.alias(c["name"]) for c, (expr, _) in zip(cols, typed)]).collect()
    rejects = frame.filter(~pl.col("_ok")).select("line")
    rejects.write_parquet(f"{d}/rejects.parquet", compression="zstd")
    et = contract["event_time"]
    good = frame.filter(pl.col("_ok")).select([c["name"] for c in cols]).with_columns(
        pl.col(et).dt.date().alias("event_date"))
    del frame
    good = good.unique(subset=contract["key"] + ["event_date"], keep="any")
    good.write_parquet(f"{d}/silver", compression="zstd", partition_by="event_date")
    return time.perf_counter() - t0, good.height


def polars_cond(contract, conds):
    import polars as pl
    out = None
    for name, op, value in conds:
        v = literal(column(contract, name), value)
        e = (pl.col(name) == v) if op == "=" else (pl.col(name) != v)
        out = e if out is None else out & e
    return out.fill_null(False)


def polars_gold_frame(contract, g, silver):
    import polars as pl
    ts = pl.col(contract["event_time"])
    bucket = {"day": ts.dt.date().alias("event_date"), "hour": ts.dt.truncate("1h").alias("window_start"),
              "minute": ts.dt.truncate("1m").alias("window_start")}[g["grain"]]
    frame = silver
    if g["where"]:
        frame = frame.filter(polars_cond(contract, g["where"]))
    aggs = []
    for m in g["metrics"]:
        arg = None
        if m["cols"]:
            arg = pl.col(m["cols"][0])
            for other in m["cols"][1:]:
                arg = arg * pl.col(other)
        cond = polars_cond(contract, m["where"]) if m["where"] else None
        if m["agg"] == "count":
            e = cond.sum() if cond is not None else pl.len()
        else:
            x = arg.filter(cond) if cond is not None else arg
            e = {"count_distinct": x.drop_nulls().n_unique(),
                 # SQL's sum, avg, min and max of no values are null
                 "sum": pl.when(x.count() > 0).then(x.sum()), "avg": x.mean(), "min": x.min(),
                 "max": x.max()}[m["agg"]]
        aggs.append(e.alias(m["name"]))
    out = frame.group_by([bucket] + g["group_by"]).agg(aggs)
    if g["ratios"]:
        out = out.with_columns([
            pl.when(pl.col(r["den"]) != 0).then(pl.col(r["num"]).cast(pl.Float64) / pl.col(r["den"]))
            .alias(r["name"]) for r in g["ratios"]])
    return out


def polars_gold(contract, d):
    import polars as pl
    os.makedirs(f"{d}/gold", exist_ok=True)
    t0 = time.perf_counter()
    silver = pl.scan_parquet(f"{d}/silver/**/*.parquet", hive_partitioning=True)
    frames = pl.collect_all([polars_gold_frame(contract, g, silver) for g in contract["gold"]])
    for g, f in zip(contract["gold"], frames):
        f.write_parquet(f"{d}/gold/{g['name']}.parquet", compression="zstd")
    return time.perf_counter() - t0, 0


# ---------------------------------------------------------------------------------------------
# The peers as users write them ("typical"): typed NDJSON read straight into Parquet at bronze
# (the raw lines are not kept), silver the contract's checks on typed columns and the dedupe,
# gold the same queries. This is what the independent benchmark of issue 16 ran.


def duck_type(t):
    if t.startswith("decimal"):
        p, s = map(int, DECIMAL.fullmatch(t).groups())
        return f"DECIMAL({p},{s})"
    return {"string": "VARCHAR", "int32": "INTEGER", "int64": "BIGINT", "double": "DOUBLE",
            "boolean": "BOOLEAN", "timestamp": "TIMESTAMPTZ", "date": "DATE"}[t]


def duck_typed_bronze(src, d, contract_path):
    contract = parse_contract(contract_path)
    con = duck_connect()
    os.makedirs(d, exist_ok=True)
    cols = ", ".join(f"{sql_str(c['name'])}: {sql_str(duck_type(c['type']))}" for c in contract["columns"])
    t0 = time.perf_counter()
    con.execute(f"""COPY (SELECT * FROM read_json({sql_str(src)}, format = 'newline_delimited',
        columns = {{{cols}}}, ignore_errors = true))
        TO '{d}/bronze.parquet' (FORMAT parquet, COMPRESSION zstd)""")
    seconds = time.perf_counter() - t0
    return seconds, con.execute(f"SELECT count(*) FROM read_parquet('{d}/bronze.parquet')").fetchone()[0]


def duck_typed_silver(contract, d):
    con = duck_connect()
    checks = []
    for c in contract["columns"]:
        n, t = c["name"], c["type"]
        conds = []
        if c["min"] is not None:
            conds.append(f"{n} >= {c['min']}")
        if c["max"] is not None:
            conds.append(f"{n} <= {c['max']}")
        if c["max_length"]:
            conds.append(f"length({n}) <= {int(c['max_length'])}")
        if c["values"]:
            vals = ", ".join(sql_str(x) if t == "string" else x for x in c["values"])
            conds.append(f"{n} IN ({vals})")
        check = " AND ".join(conds) if conds else "true"
        checks.append(f"({n} IS NOT NULL AND {check})" if c["required"] else f"({n} IS NULL OR ({check}))")
    ok = " AND ".join(checks)
    t0 = time.perf_counter()
    con.execute(f"CREATE TEMP TABLE checked AS SELECT *, coalesce({ok}, false) AS ok "
                f"FROM read_parquet('{d}/bronze.parquet')")
    con.execute(f"COPY (SELECT * EXCLUDE (ok) FROM checked WHERE NOT ok) TO '{d}/rejects.parquet' "
                "(FORMAT parquet, COMPRESSION zstd)")
    key = ", ".join(contract["key"])
    names = ", ".join(c["name"] for c in contract["columns"])
    et = contract["event_time"]
    con.execute(f"""COPY (
        SELECT {names}, CAST({et} AS DATE) AS event_date FROM checked WHERE ok
        QUALIFY row_number() OVER (PARTITION BY {key}, CAST({et} AS DATE)) = 1
      ) TO '{d}/silver' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date), OVERWRITE_OR_IGNORE)""")
    seconds = time.perf_counter() - t0
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{d}/silver/*/*.parquet')").fetchone()[0]
    return seconds, rows


def polars_typed_bronze(src, d, contract_path):
    import polars as pl
    contract = parse_contract(contract_path)
    os.makedirs(d, exist_ok=True)
    # Times, dates and decimals are read as text and converted, as polars' NDJSON reader wants.
    read = {"string": pl.String, "int32": pl.Int32, "int64": pl.Int64, "double": pl.Float64,
            "boolean": pl.Boolean}
    schema = {c["name"]: read.get(c["type"], pl.String) for c in contract["columns"]}
    conv = []
    for c in contract["columns"]:
        n, t = c["name"], c["type"]
        if t == "timestamp":
            conv.append(pl.col(n).str.to_datetime(time_zone="UTC", time_unit="us", strict=False))
        elif t == "date":
            conv.append(pl.col(n).str.to_date("%Y-%m-%d", strict=False))
        elif t.startswith("decimal"):
            p, sc = map(int, DECIMAL.fullmatch(t).groups())
            conv.append(pl.col(n).cast(pl.Decimal(p, sc), strict=False))
    t0 = time.perf_counter()
    frame = pl.scan_ndjson(src, schema=schema, ignore_errors=True)
    if conv:
        frame = frame.with_columns(conv)
    frame.sink_parquet(f"{d}/bronze.parquet", compression="zstd")
    seconds = time.perf_counter() - t0
    return seconds, pl.scan_parquet(f"{d}/bronze.parquet").select(pl.len()).collect().item()


def polars_typed_silver(contract, d):
    import polars as pl
    ok = pl.lit(True)
    for c in contract["columns"]:
        n, t = c["name"], c["type"]
        x = pl.col(n)
        check = pl.lit(True)
        num = (lambda v: float(v)) if t == "double" or t.startswith("decimal") else int
        if c["min"] is not None:
            check = check & (x >= num(c["min"]))
        if c["max"] is not None:
            check = check & (x <= num(c["max"]))
        if c["max_length"]:
            check = check & (x.str.len_chars() <= int(c["max_length"]))
        if c["values"]:
            check = check & x.is_in([literal(c, v) for v in c["values"]])
        ok = ok & ((x.is_not_null() & check) if c["required"] else (x.is_null() | check))
    t0 = time.perf_counter()
    frame = pl.scan_parquet(f"{d}/bronze.parquet").with_columns(ok.fill_null(False).alias("_ok")).collect()
    frame.filter(~pl.col("_ok")).drop("_ok").write_parquet(f"{d}/rejects.parquet", compression="zstd")
    et = contract["event_time"]
    good = frame.filter(pl.col("_ok")).drop("_ok").with_columns(pl.col(et).dt.date().alias("event_date"))
    del frame
    good = good.unique(subset=contract["key"] + ["event_date"], keep="any")
    good.write_parquet(f"{d}/silver", compression="zstd", partition_by="event_date")
    return time.perf_counter() - t0, good.height


# ---------------------------------------------------------------------------------------------
# Comparison with lh


def norm_rows(table, cols):
    """Rows as (exact part, float part): floats are compared with a relative tolerance."""
    import decimal
    import pyarrow as pa
    import pyarrow.compute as pc
    data = []
    for c in cols:
        col = table.column(c)
        if pa.types.is_timestamp(col.type):
            col = pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
        elif pa.types.is_date(col.type):
            col = pc.cast(col, pa.string())
        data.append(col.to_pylist())
    out = []
    for row in zip(*data):
        exact, floats = [], []
        for v in row:
            if isinstance(v, float):
                floats.append(v)
            elif isinstance(v, decimal.Decimal):
                exact.append(str(v.normalize()) if v != 0 else "0")
            else:
                exact.append(v)
        out.append((tuple(exact), tuple(floats)))
    return sorted(out, key=repr)


def same(a, b):
    import math
    if len(a) != len(b):
        return False
    for (ea, fa), (eb, fb) in zip(a, b):
        if ea != eb or len(fa) != len(fb):
            return False
        for x, y in zip(fa, fb):
            if x is None or y is None:
                if x is not y:
                    return False
            elif not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                return False
    return True


def compare(contract, lake, dirs):
    import pyarrow.parquet as pq
    from deltalake import DeltaTable
    bad = 0
    lh_silver = DeltaTable(f"{lake}/silver/events").to_pyarrow_dataset().count_rows()
    lh_rejects = DeltaTable(f"{lake}/silver/rejects").to_pyarrow_dataset().count_rows()
    for d in dirs:
        name = os.path.basename(d.rstrip("/"))
        silver = sum(pq.ParquetFile(os.path.join(r, f)).metadata.num_rows
                     for r, _, fs in os.walk(f"{d}/silver") for f in fs if f.endswith(".parquet"))
        rejects = pq.ParquetFile(f"{d}/rejects.parquet").metadata.num_rows
        ok = silver == lh_silver and rejects == lh_rejects
        bad += not ok
        print(f"{name}: silver {silver} rows (lh {lh_silver}), rejects {rejects} (lh {lh_rejects})"
              f"{'' if ok else '  DIFFERENT'}")
    for g in contract["gold"]:
        lh = DeltaTable(f"{lake}/gold/{g['name']}").to_pyarrow_table()
        for d in dirs:
            name = os.path.basename(d.rstrip("/"))
            peer = pq.read_table(f"{d}/gold/{g['name']}.parquet")
            cols = peer.column_names
            a, b = norm_rows(lh, cols), norm_rows(peer, cols)
            if same(a, b):
                print(f"{name}: {g['name']}: {len(a)} rows equal")
                continue
            bad += 1
            sa, sb = set(a), set(b)
            print(f"{name}: {g['name']}: lh {len(a)} rows, {name} {len(b)}; lh only "
                  f"{[r for r in a if r not in sb][:3]}; {name} only {[r for r in b if r not in sa][:3]}")
    return bad


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    engine, step, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if engine == "compare":
        contract = parse_contract(step)
        sys.exit(1 if compare(contract, args[0], args[1:]) else 0)
    if engine == "check":
        contract = parse_contract(step)
        src, lake, d = args
        duck_bronze(src, f"{d}/duckdb")
        duck_silver(contract, f"{d}/duckdb")
        duck_gold(contract, f"{d}/duckdb")
        polars_bronze(src, f"{d}/polars")
        polars_silver(contract, f"{d}/polars")
        polars_gold(contract, f"{d}/polars")
        sys.exit(1 if compare(contract, lake, [f"{d}/duckdb", f"{d}/polars"]) else 0)
    if step == "bronze":
        if engine.endswith("-typed"):
            seconds, rows = {"duckdb-typed": duck_typed_bronze, "polars-typed": polars_typed_bronze}[engine](*args)
        else:
            seconds, rows = {"duckdb": duck_bronze, "polars": polars_bronze}[engine](*args[:2])
    else:
        contract = parse_contract(args[0])
        fn = {("duckdb", "silver"): duck_silver, ("duckdb", "gold"): duck_gold,
              ("polars", "silver"): polars_silver, ("polars", "gold"): polars_gold,
              ("duckdb-typed", "silver"): duck_typed_silver, ("duckdb-typed", "gold"): duck_gold,
              ("polars-typed", "silver"): polars_typed_silver, ("polars-typed", "gold"): polars_gold}[(engine, step)]
        seconds, rows = fn(contract, args[1])
    print(json.dumps({"seconds": round(seconds, 4), "rows": rows,
                      "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
