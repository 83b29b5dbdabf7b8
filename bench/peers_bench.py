#!/usr/bin/env python3
"""The peers' side of `make bench`: one engine, one operation, single-threaded.

    peers_bench.py ENGINE write CONTRACT IN.ndjson OUT.parquet LEVEL
        loads IN into the engine's memory (not timed), then writes zstd Parquet (timed)
    peers_bench.py ENGINE read IN.parquet
        reads every column into the engine's memory (timed)
    peers_bench.py duckdb land IN.ndjson OUT.parquet THREADS
        the bronze stage's peer: read_json of IN (schema detected) → zstd Parquet, all timed,
        on THREADS threads

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
    out = args[2] if op == "write" else args[1] if op == "land" else args[0]
    print(json.dumps({"seconds": seconds, "rows": rows, "bytes": os.path.getsize(out),
                      "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
