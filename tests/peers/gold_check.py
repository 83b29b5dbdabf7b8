#!/usr/bin/env python3
"""Gold proofs: lh-gold's tables equal the same query written in SQL and run by DuckDB.

    gold_check.py make-silver EVENTS.ndjson LAKE [--append]
        writes LAKE/silver/events with deltalake from clickstream NDJSON (an independent silver:
        typed columns, event_date partition), appending a version with --append
    gold_check.py stream-compare SILVER.ndjson STREAM.ndjson TABLE
        compares lh-gold --stream's output for TABLE with the SQL over the silver rows it read:
        equal when nothing was late; else, window by window, SQL's events = the stream's events
        + late_rows (TABLE must have an `events` count of every row)
    gold_check.py currencies LAKE TABLE
        prints the distinct currencies of LAKE/gold/TABLE and, per currency, its revenue
    gold_check.py compare LAKE ZONE [TABLE ...]
        for each clickstream gold table (or those named), runs its SQL in DuckDB over silver's
        live files and compares row by row with LAKE/gold/<table> read by deltalake; prints the
        differences and exits 1 when there are any
"""
import decimal
import sys

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from deltalake import DeltaTable, write_deltalake

SCHEMA = pa.schema([
    ("event_id", pa.string()), ("user_id", pa.int64()), ("session_id", pa.string()),
    ("event_type", pa.string()), ("page", pa.string()), ("source", pa.string()),
    ("product_id", pa.string()), ("price", pa.decimal128(12, 2)), ("quantity", pa.int32()),
    ("currency", pa.string()), ("country", pa.string()), ("ts", pa.timestamp("us", tz="UTC")),
])

# The built-in clickstream gold tables, in SQL. {day} and {hour} cut in the zone; minutes are UTC.
DAY = "CAST(timezone('{zone}', ts) AS DATE)"
MINUTE = "date_trunc('minute', ts)"
PURCHASE = "event_type = 'purchase'"
SQL = {
    "daily_active_users": f"""
        SELECT {DAY} AS event_date, count(DISTINCT user_id) AS active_users,
               count(DISTINCT session_id) AS sessions, count(*) AS events
        FROM silver GROUP BY 1""",
    "conversion_rate_daily": f"""
        SELECT {DAY} AS event_date, count(DISTINCT user_id) AS active_users,
               count(DISTINCT user_id) FILTER (WHERE {PURCHASE}) AS purchasing_users,
               count(*) FILTER (WHERE {PURCHASE}) AS purchases,
               (count(DISTINCT user_id) FILTER (WHERE {PURCHASE}))::DOUBLE
                 / nullif(count(DISTINCT user_id), 0) AS conversion_rate
        FROM silver GROUP BY 1""",
    # Money per currency, never summed across currencies.
    "revenue_daily": f"""
        SELECT {DAY} AS event_date, currency, count(*) AS orders, sum(quantity) AS units,
               sum(price * quantity) AS revenue, count(DISTINCT user_id) AS buyers
        FROM silver WHERE {PURCHASE} GROUP BY 1, 2""",
    "events_per_source_daily": f"""
        SELECT {DAY} AS event_date, source, count(*) AS events,
               count(DISTINCT user_id) AS users, count(*) FILTER (WHERE {PURCHASE}) AS purchases
        FROM silver GROUP BY 1, 2""",
    "purchases_per_page_daily": f"""
        SELECT {DAY} AS event_date, page,
               count(*) FILTER (WHERE event_type = 'page_view') AS views,
               count(*) FILTER (WHERE event_type = 'add_to_cart') AS add_to_carts,
               count(*) FILTER (WHERE {PURCHASE}) AS purchases
        FROM silver GROUP BY 1, 2""",
    "events_per_minute": f"""
        SELECT {MINUTE} AS window_start, event_type, count(*) AS events
        FROM silver GROUP BY 1, 2""",
    "logins_per_source_minute": f"""
        SELECT {MINUTE} AS window_start, source,
               count(*) FILTER (WHERE event_type = 'login') AS logins
        FROM silver GROUP BY 1, 2""",
    "purchases_per_minute": f"""
        SELECT {MINUTE} AS window_start, currency, count(*) AS purchases,
               sum(quantity) AS units, sum(price * quantity) AS revenue
        FROM silver WHERE {PURCHASE} GROUP BY 1, 2""",
    "kpi_minute": f"""
        SELECT {MINUTE} AS window_start, count(*) FILTER (WHERE {PURCHASE}) AS orders,
               count(DISTINCT user_id) AS active_users,
               count(DISTINCT user_id) FILTER (WHERE event_type = 'page_view') AS view_users,
               count(DISTINCT user_id) FILTER (WHERE {PURCHASE}) AS purchase_users,
               (count(DISTINCT user_id) FILTER (WHERE {PURCHASE}))::DOUBLE
                 / nullif(count(DISTINCT user_id), 0) AS conversion_rate
        FROM silver GROUP BY 1""",
}

# The built-in iot and sales gold tables (hours are UTC here: run them with --tz UTC).
HOUR = "date_trunc('hour', ts)"
SQL.update({
    "sensor_minute": f"""
        SELECT {MINUTE} AS window_start, device_id, sensor, count(*) AS readings,
               min(value) AS min_value, max(value) AS max_value, avg(value) AS avg_value,
               min(battery) AS min_battery
        FROM silver GROUP BY 1, 2, 3""",
    "sensor_hourly": f"""
        SELECT {HOUR} AS window_start, sensor, count(*) AS readings,
               count(DISTINCT device_id) AS devices, min(value) AS min_value,
               max(value) AS max_value, avg(value) AS avg_value
        FROM silver GROUP BY 1, 2""",
    "store_daily": f"""
        SELECT {DAY} AS event_date, store, region, count(*) AS orders, sum(quantity) AS units,
               sum(revenue) AS revenue, sum(cost) AS cost, avg(revenue)::DOUBLE AS avg_order_value,
               sum(cost)::DOUBLE / nullif(sum(revenue)::DOUBLE, 0) AS cost_ratio
        FROM silver GROUP BY 1, 2, 3""",
    "product_daily": f"""
        SELECT {DAY} AS event_date, product, category, count(*) AS orders,
               sum(quantity) AS units, sum(revenue) AS revenue, count(DISTINCT store) AS stores
        FROM silver GROUP BY 1, 2, 3""",
    "sales_daily": f"""
        SELECT {DAY} AS event_date, count(*) AS orders, sum(quantity) AS units,
               sum(revenue) AS revenue, sum(cost) AS cost, count(DISTINCT store) AS stores,
               sum(cost)::DOUBLE / nullif(sum(revenue)::DOUBLE, 0) AS cost_ratio
        FROM silver GROUP BY 1""",
    "region_hourly": f"""
        SELECT {HOUR} AS window_start, region, count(*) AS orders, sum(revenue) AS revenue
        FROM silver GROUP BY 1, 2""",
})
CLICKSTREAM = ["daily_active_users", "conversion_rate_daily", "revenue_daily",
               "events_per_source_daily",
               "purchases_per_page_daily", "events_per_minute", "logins_per_source_minute",
               "purchases_per_minute", "kpi_minute"]


def make_silver(events, lake, append):
    table = pj.read_json(events, parse_options=pj.ParseOptions(
        explicit_schema=SCHEMA, unexpected_field_behavior="ignore"))
    dates = pc.cast(table.column("ts"), pa.date32())
    table = table.append_column("event_date", dates)
    write_deltalake(f"{lake}/silver/events", table, partition_by=["event_date"],
                    mode="append" if append else "error")


def norm(v):
    if isinstance(v, float):
        return round(v, 9)
    if isinstance(v, decimal.Decimal):
        return v.normalize() if v != 0 else decimal.Decimal(0)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def rows(table, cols):
    """The rows of an Arrow table as tuples of `cols`, timestamps as µs since the epoch."""
    out = []
    for c in cols:
        col = table.column(c)
        if pa.types.is_timestamp(col.type):
            col = pc.cast(pc.cast(col, pa.timestamp("us")), pa.int64())
        out.append(col.to_pylist())
    return list(zip(*out))


def compare(lake, zone, names):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = DeltaTable(f"{lake}/silver/events").file_uris()
    con.execute(f"CREATE VIEW silver AS SELECT * FROM read_parquet({files!r}, hive_partitioning = true)")
    bad = 0
    for name in names or CLICKSTREAM:
        sql = SQL[name].replace("{zone}", zone)
        result = con.execute(sql).to_arrow_table()
        cols = result.column_names
        expected = rows(result, cols)
        got = rows(DeltaTable(f"{lake}/gold/{name}").to_pyarrow_table(), cols)
        e = sorted((tuple(norm(v) for v in r) for r in expected), key=repr)
        g = sorted((tuple(norm(v) for v in r) for r in got), key=repr)
        if e != g:
            bad += 1
            missing = [r for r in e if r not in g][:3]
            extra = [r for r in g if r not in e][:3]
            print(f"{name}: {len(g)} rows, SQL {len(e)}; SQL only {missing}; lh only {extra}")
        else:
            print(f"{name}: {len(g)} rows equal")
    sys.exit(1 if bad else 0)


def currencies(lake, name):
    t = DeltaTable(f"{lake}/gold/{name}").to_pyarrow_table()
    totals = {}
    for c, r in zip(t.column("currency").to_pylist(), t.column("revenue").to_pylist()):
        totals[c] = totals.get(c, 0) + (r or 0)
    for c in sorted(totals, key=repr):
        print(c, totals[c])


def stream_compare(silver, stream, name):
    import json
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    cols = ", ".join(f"'{f.name}': '{duck_type(f.type)}'" for f in SCHEMA)
    con.execute(f"CREATE VIEW silver AS SELECT * FROM read_json('{silver}', "
                f"format='newline_delimited', columns={{{cols}}})")
    result = con.sql(SQL[name].replace("{zone}", "UTC")).to_arrow_table()
    names = result.column_names
    expected = rows(result, names)
    got, late = [], {}
    for line in open(stream):
        d = json.loads(line)
        if "late_rows" in d:
            late[d[names[0]]] = late.get(d[names[0]], 0) + d["late_rows"]
            continue
        got.append(tuple(d[c] for c in names))
    bucket = names[0]
    if bucket == "window_start":
        got = [(us(r[0]),) + r[1:] for r in got]
        late = {us(w): n for w, n in late.items()}
    # JSON numbers are doubles to the reader: compare numbers at 9 significant digits.
    def snorm(v):
        if isinstance(v, (float, decimal.Decimal)) and not isinstance(v, bool):
            return float(f"{float(v):.9g}")
        return v
    got_rows = [tuple(snorm(v) for v in r) for r in got]
    expected = [tuple(snorm(v) if isinstance(v, (float, decimal.Decimal)) else norm(v) for v in r) for r in expected]
    if not late:
        e = sorted(expected, key=repr)
        g = sorted(got_rows, key=repr)
        if e != g:
            print(f"{name}: stream {len(g)} rows, SQL {len(e)}; SQL only {[r for r in e if r not in g][:3]}; stream only {[r for r in g if r not in e][:3]}")
            sys.exit(1)
        print(f"{name}: {len(g)} rows equal")
        return
    k = names.index("events")
    want, have = {}, {}
    for r in expected:
        want[norm(r[0])] = want.get(norm(r[0]), 0) + r[k]
    for r in got_rows:
        have[r[0]] = have.get(r[0], 0) + r[k]
    late_us = late
    bad = [(w, want[w], have.get(w, 0), late_us.get(w, 0)) for w in want
           if want[w] != have.get(w, 0) + late_us.get(w, 0)]
    if bad:
        print(f"{name}: windows where SQL events != stream events + late_rows: {bad[:5]}")
        sys.exit(1)
    print(f"{name}: {len(want)} windows, {sum(late.values())} late rows account for the difference")


def us(text):
    """µs since the epoch of an RFC 3339 UTC text."""
    import datetime
    d = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (d - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)


def duck_type(t):
    if pa.types.is_string(t):
        return "VARCHAR"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    return "TIMESTAMPTZ"


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    if sys.argv[1] == "make-silver":
        make_silver(sys.argv[2], sys.argv[3], "--append" in sys.argv[4:])
    elif sys.argv[1] == "stream-compare":
        stream_compare(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "currencies":
        currencies(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
