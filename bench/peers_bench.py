#!/usr/bin/env python3
"""The peers' side of `make bench`: one engine, one operation, single-threaded.

    peers_bench.py ENGINE write CONTRACT IN.ndjson OUT.parquet LEVEL
        loads IN into the engine's memory (not timed), then writes zstd Parquet (timed)
    peers_bench.py ENGINE read IN.parquet
        reads every column into the engine's memory (timed)
    peers_bench.py duckdb land IN.ndjson OUT.parquet THREADS
        the bronze stage's peer: read_json of IN (schema detected) → zstd Parquet, all timed,
        on THREADS threads
    peers_bench.py duckdb e2e IN.ndjson OUT_DIR THREADS
        the whole pipeline's peer, three steps on THREADS threads: read_json of IN → bronze zstd
        Parquet; bronze → silver (validated, deduplicated by event_id, partitioned by
        event_date); silver → the eight clickstream gold tables (tests/peers/gold_check.py SQL)
    peers_bench.py duckdb gold LAKE OUT_DIR THREADS
        the gold stage's peer: the clickstream gold tables as SQL (tests/peers/gold_check.py)
        over LAKE/silver/events' live files, each written as zstd Parquet into OUT_DIR
    peers_bench.py duckdb silver BRONZE_TABLE OUT_DIR THREADS
        the silver stage's peer: the bronze table's Parquet files → parse each line as JSON,
        check the clickstream contract (types, required, allowed values, bounds), drop duplicate
        event_ids, write zstd Parquet partitioned by event_date, all timed, on THREADS threads

ENGINE: pyarrow, duckdb or polars. Prints one JSON object: seconds, rows, bytes, peak RSS (KiB).
"""
import json
import os
import resource
import sys
import time

os.environ["POLARS_MAX_THREADS"] = "1"

SCHEMAS = {
    "clickstream": [("event_id", "string"), ("user_id", "int64"), ("session_id", "string"),
                    ("event_type", "string"), ("page", "string"), ("source", "string"),
                    ("product_id", "string"), ("price", "decimal(12,2)"), ("quantity", "int32"),
                    ("currency", "string"), ("country", "string"), ("ts", "timestamp")],
}


SILVER_SQL = """
COPY (
  WITH b AS (SELECT try(json(line)) AS j FROM read_parquet('{bronze}/*/*.parquet') WHERE line IS NOT NULL),
  v AS (
    SELECT j->>'$.event_id' AS event_id, (j->>'$.user_id')::BIGINT AS user_id,
      j->>'$.session_id' AS session_id, j->>'$.event_type' AS event_type, j->>'$.page' AS page,
      j->>'$.source' AS source, j->>'$.product_id' AS product_id,
      (j->>'$.price')::DECIMAL(12,2) AS price, (j->>'$.quantity')::INTEGER AS quantity,
      j->>'$.currency' AS currency, j->>'$.country' AS country,
      (j->>'$.ts')::TIMESTAMPTZ AS ts
    FROM b WHERE j IS NOT NULL AND json_type(j) = 'OBJECT'
      AND json_type(j, '$.event_id') = 'VARCHAR' AND length(j->>'$.event_id') <= 36
      AND json_type(j, '$.user_id') IN ('BIGINT', 'UBIGINT') AND (j->>'$.user_id')::BIGINT >= 1
      AND json_type(j, '$.session_id') = 'VARCHAR' AND length(j->>'$.session_id') <= 36
      AND json_type(j, '$.event_type') = 'VARCHAR'
      AND j->>'$.event_type' IN ('page_view','click','add_to_cart','purchase','login','logout')
      AND json_type(j, '$.page') = 'VARCHAR' AND length(j->>'$.page') <= 256
      AND json_type(j, '$.source') = 'VARCHAR' AND j->>'$.source' IN ('web','mobile','api')
      AND coalesce(json_type(j, '$.product_id'), 'NULL') IN ('NULL', 'VARCHAR')
      AND coalesce(json_type(j, '$.price'), 'NULL') IN ('NULL', 'DOUBLE', 'BIGINT', 'UBIGINT')
      AND coalesce(json_type(j, '$.quantity'), 'NULL') IN ('NULL', 'BIGINT', 'UBIGINT')
      AND coalesce(json_type(j, '$.currency'), 'NULL') IN ('NULL', 'VARCHAR')
      AND json_type(j, '$.country') = 'VARCHAR'
      AND j->>'$.country' IN ('US','GB','DE','FR','ES','IT','NL','PL','CA','MX','BR','IN','JP','AU')
      AND json_type(j, '$.ts') = 'VARCHAR' AND try_cast(j->>'$.ts' AS TIMESTAMPTZ) IS NOT NULL)
  SELECT *, CAST(ts AT TIME ZONE 'UTC' AS DATE) AS event_date FROM v
  QUALIFY row_number() OVER (PARTITION BY event_id) = 1
) TO '{out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date))
"""


def arrow_schema(contract):
    import pyarrow as pa
    types = {"string": pa.string(), "int64": pa.int64(), "int32": pa.int32(),
             "decimal(12,2)": pa.decimal128(12, 2), "timestamp": pa.timestamp("us", tz="UTC")}
    return pa.schema([(n, types[t]) for n, t in SCHEMAS[contract]])


def run(engine, op, args):
    if engine == "pyarrow":
        import pyarrow as pa
        import pyarrow.json as pj
        import pyarrow.parquet as pq
        pa.set_cpu_count(1)
        pa.set_io_thread_count(1)
        if op == "write":
            contract, src, out, level = args
            table = pj.read_json(src, read_options=pj.ReadOptions(use_threads=False, block_size=1 << 24),
                                 parse_options=pj.ParseOptions(explicit_schema=arrow_schema(contract)))
            t0 = time.perf_counter()
            pq.write_table(table, out, compression="zstd", compression_level=int(level))
            return time.perf_counter() - t0, table.num_rows
        t0 = time.perf_counter()
        table = pq.read_table(args[0], use_threads=False)
        return time.perf_counter() - t0, table.num_rows
    if engine == "duckdb":
        import duckdb
        con = duckdb.connect()
        if op == "land":
            src, out, threads = args
            con.execute(f"SET threads={int(threads)}")
            t0 = time.perf_counter()
            con.execute(f"COPY (SELECT * FROM read_json('{src}', format='newline_delimited')) "
                        f"TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
            seconds = time.perf_counter() - t0
            return seconds, con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
        if op == "e2e":
            import importlib.util
            src, out, threads = args
            here = os.path.dirname(os.path.abspath(__file__))
            spec = importlib.util.spec_from_file_location(
                "gold_check", os.path.join(here, "..", "tests", "peers", "gold_check.py"))
            gold = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(gold)
            con.execute(f"SET threads={int(threads)}")
            con.execute("SET preserve_insertion_order=false")
            con.execute("SET TimeZone = 'UTC'")
            os.makedirs(out, exist_ok=True)
            t0 = time.perf_counter()
            con.execute(f"COPY (SELECT * FROM read_json('{src}', format='newline_delimited')) "
                        f"TO '{out}/bronze.parquet' (FORMAT parquet, COMPRESSION zstd)")
            con.execute(f"""COPY (
                SELECT *, CAST(ts AT TIME ZONE 'UTC' AS DATE) AS event_date
                FROM read_parquet('{out}/bronze.parquet')
                WHERE event_id IS NOT NULL AND user_id >= 1 AND session_id IS NOT NULL
                  AND event_type IN ('page_view','click','add_to_cart','purchase','login','logout')
                  AND page IS NOT NULL AND source IN ('web','mobile','api') AND ts IS NOT NULL
                QUALIFY row_number() OVER (PARTITION BY event_id) = 1
              ) TO '{out}/silver' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (event_date))""")
            con.execute(f"CREATE VIEW silver AS SELECT * FROM read_parquet('{out}/silver/*/*.parquet', hive_partitioning = true)")
            for name, sql in ((n, gold.SQL[n]) for n in gold.CLICKSTREAM):
                con.execute(f"COPY ({sql.replace('{zone}', 'UTC')}) TO '{out}/{name}.parquet' "
                            "(FORMAT parquet, COMPRESSION zstd)")
            return time.perf_counter() - t0, 0
        if op == "gold":
            import importlib.util
            from deltalake import DeltaTable
            lake, out, threads = args
            here = os.path.dirname(os.path.abspath(__file__))
            spec = importlib.util.spec_from_file_location(
                "gold_check", os.path.join(here, "..", "tests", "peers", "gold_check.py"))
            gold = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(gold)
            files = [u.replace("file://", "") for u in DeltaTable(f"{lake}/silver/events").file_uris()]
            con.execute(f"SET threads={int(threads)}")
            con.execute("SET TimeZone = 'UTC'")
            os.makedirs(out, exist_ok=True)
            t0 = time.perf_counter()
            con.execute(f"CREATE VIEW silver AS SELECT * FROM read_parquet({files!r}, hive_partitioning = true)")
            for name, sql in ((n, gold.SQL[n]) for n in gold.CLICKSTREAM):
                con.execute(f"COPY ({sql.replace('{zone}', 'UTC')}) TO '{out}/{name}.parquet' "
                            "(FORMAT parquet, COMPRESSION zstd)")
            seconds = time.perf_counter() - t0
            return seconds, 0
        if op == "silver":
            bronze, out, threads = args
            con.execute(f"SET threads={int(threads)}")
            con.execute("SET preserve_insertion_order=false")
            t0 = time.perf_counter()
            con.execute(SILVER_SQL.format(bronze=bronze, out=out))
            seconds = time.perf_counter() - t0
            return seconds, con.execute(f"SELECT count(*) FROM read_parquet('{out}/*/*.parquet')").fetchone()[0]
        con.execute("SET threads=1")
        if op == "write":
            contract, src, out, level = args
            cols = ", ".join(f"'{n}': '{t.upper() if t != 'timestamp' else 'TIMESTAMPTZ'}'"
                             for n, t in SCHEMAS[contract])
            con.execute(f"CREATE TABLE t AS SELECT * FROM read_json('{src}', format='newline_delimited', columns={{{cols}}})")
            rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
            t0 = time.perf_counter()
            con.execute(f"COPY t TO '{out}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {int(level)})")
            return time.perf_counter() - t0, rows
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{args[0]}')")
        seconds = time.perf_counter() - t0
        return seconds, con.execute("SELECT count(*) FROM t").fetchone()[0]
    if engine == "polars":
        import polars as pl
        if op == "write":
            contract, src, out, level = args
            types = {"string": pl.String, "int64": pl.Int64, "int32": pl.Int32,
                     "decimal(12,2)": pl.Float64, "timestamp": pl.String}
            frame = pl.read_ndjson(src, schema={n: types[t] for n, t in SCHEMAS[contract]})
            # Polars reads JSON numbers as floats only: cast money to its decimal type.
            frame = frame.with_columns(
                pl.col("price").cast(pl.Decimal(12, 2)),
                pl.col("ts").str.to_datetime(time_unit="us", time_zone="UTC"))
            t0 = time.perf_counter()
            frame.write_parquet(out, compression="zstd", compression_level=int(level))
            return time.perf_counter() - t0, frame.height
        t0 = time.perf_counter()
        frame = pl.read_parquet(args[0])
        return time.perf_counter() - t0, frame.height
    raise SystemExit(f"unknown engine {engine}")


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    engine, op, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    seconds, rows = run(engine, op, args)
    out = args[2] if op == "write" else args[1] if op in ("land", "silver", "gold", "e2e") else args[0]
    size = (sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
            if os.path.isdir(out) else os.path.getsize(out))
    print(json.dumps({"seconds": seconds, "rows": rows, "bytes": size,
                      "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
