#!/usr/bin/env python3
"""Writes the peer-written Parquet fixtures: make_fixtures.py OUTDIR  (normally fixtures/parquet)

    OUTDIR/peers/NAME.parquet            written by pyarrow, DuckDB, Polars or deltalake with the options named
    OUTDIR/peers/NAME.expected.ndjson    lh canonical rows computed from the SOURCE values (not read back)
    OUTDIR/peers/NAME.schema.json        [{"name","type","nullable"}] in lh type names
    OUTDIR/peers/README.md               per file: writer, options, and the page types/encodings/codecs it
                                         really holds (read off the page headers with pages.py)
    OUTDIR/unsupported/*.parquet         files lh must reject, and README.md naming column and feature

Data is seeded per file, so a rerun with the same peer versions gives the same bytes. Every file is read back
with pyarrow and must equal its expected rows and schema exactly (else exit 1). DuckDB and Polars read every
file too; their disagreements are listed on stderr (and in README.md) without failing, since they are facts
about the peers. Options: --no-cross skips the DuckDB/Polars read-back.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
import tempfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))

import canonical as C  # noqa: E402
import pages as P  # noqa: E402
import peers_read as R  # noqa: E402

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

I32_MIN, I32_MAX = -(2**31), 2**31 - 1
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
EPOCH_DATE = dt.date(1970, 1, 1)
US_1900 = -2208988800 * 10**6  # 1900-01-01T00:00:00Z in µs
US_2200 = 7258118400 * 10**6  # 2200-01-01T00:00:00Z in µs


@dataclass
class Col:
    name: str
    atype: object  # pyarrow DataType
    nullable: bool
    values: list  # Python source values; timestamps as integers in atype.unit

    @property
    def lh_type(self):
        return R.lh_type_of_arrow(self.atype)

    def canon(self, v):
        if v is None:
            return "null"
        if pa.types.is_timestamp(self.atype):
            return C.json_string(C.canon_timestamp_units(v, self.atype.unit))
        return C.canon_value(v, self.lh_type)


# ---------------------------------------------------------------- source data


def rng_for(name: str) -> random.Random:
    return random.Random(zlib.crc32(name.encode()))


def maybe_null(rng, values, frac=0.1, keep=()):
    return [None if (i not in keep and rng.random() < frac) else v for i, v in enumerate(values)]


WORDS = ["alpha", "beta", "gamma", "delta", "page_view", "click", "purchase", "login", "logout", "add_to_cart"]
NON_ASCII = ["café", "naïve", "Zürich", "日本語", "😀 emoji", "e\u0301 (e + combining acute)", "Ελληνικά", "ß"]


def gen_string(rng, i, long_ok=True):
    r = rng.random()
    if long_ok and i % 97 == 7:
        return ("long-" + "0123456789abcdef" * 80)[: 1100 + rng.randrange(200)]  # > 1 KiB
    if r < 0.08:
        return ""
    if r < 0.3:
        return rng.choice(NON_ASCII)
    if r < 0.6:
        return rng.choice(WORDS)
    return f"{rng.choice(WORDS)}-{rng.randrange(100000)}"


def gen_binary(rng):
    r = rng.random()
    if r < 0.08:
        return b""
    if r < 0.16:
        return b"\x00\xff\x00"
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 17)))


def gen_date(rng):
    return EPOCH_DATE + dt.timedelta(days=rng.randrange(US_1900 // 86400_000000, US_2200 // 86400_000000))


def gen_ts(rng, unit):
    us = rng.randrange(US_1900, US_2200)
    if unit == "us":
        return us
    if unit == "ms":
        return us // 1000
    return us * 1000 + rng.randrange(1000)  # ns with sub-µs digits


def gen_decimal(rng, p, s, negative_share=0.4):
    mag = rng.randrange(10 ** rng.randrange(1, p + 1))
    if rng.random() < negative_share:
        mag = -mag
    return Decimal(mag).scaleb(-s)


def gen_f32(rng):
    import struct

    return struct.unpack("<f", struct.pack("<f", rng.uniform(-1e6, 1e6)))[0]


def rich_columns(name, n, *, flba=True, ns=True, naive=True, ms=True, long_strings=True):
    """The broad column set: every lh type, nullable ones with ~10% nulls, two required ones."""
    rng = rng_for(name)
    cols = [
        Col("id", pa.int64(), False, list(range(n))),
        Col("i32", pa.int32(), True, maybe_null(rng, [rng.choice([rng.randrange(-1000, 1000), rng.randrange(I32_MIN, I32_MAX + 1)]) for _ in range(n)])),
        Col("i64", pa.int64(), True, maybe_null(rng, [rng.choice([rng.randrange(-10**6, 10**6), rng.randrange(I64_MIN, I64_MAX + 1)]) for _ in range(n)])),
        Col("f32", pa.float32(), True, maybe_null(rng, [gen_f32(rng) for _ in range(n)])),
        Col("f64", pa.float64(), True, maybe_null(rng, [rng.choice([rng.uniform(-1e9, 1e9), round(rng.uniform(0, 100), 2)]) for _ in range(n)])),
        Col("flag", pa.bool_(), True, maybe_null(rng, [rng.random() < 0.5 for _ in range(n)])),
        Col("s", pa.string(), True, maybe_null(rng, [gen_string(rng, i, long_strings) for i in range(n)], keep={7})),
        Col("s_req", pa.string(), False, [f"key-{rng.randrange(40):02d}" for _ in range(n)]),
        Col("b", pa.binary(), True, maybe_null(rng, [gen_binary(rng) for _ in range(n)])),
        Col("d", pa.date32(), True, maybe_null(rng, [gen_date(rng) for _ in range(n)])),
        Col("ts_us", pa.timestamp("us", tz="UTC"), True, maybe_null(rng, [gen_ts(rng, "us") for _ in range(n)])),
    ]
    if ms:
        cols.append(Col("ts_ms", pa.timestamp("ms", tz="UTC"), True, maybe_null(rng, [gen_ts(rng, "ms") for _ in range(n)])))
    if ns:
        cols.append(Col("ts_ns", pa.timestamp("ns", tz="UTC"), True, maybe_null(rng, [gen_ts(rng, "ns") for _ in range(n)])))
    if naive:
        cols.append(Col("ts_naive", pa.timestamp("us"), True, maybe_null(rng, [gen_ts(rng, "us") for _ in range(n)])))
    cols += [
        Col("dec5_2", pa.decimal128(5, 2), True, maybe_null(rng, [gen_decimal(rng, 5, 2) for _ in range(n)])),
        Col("dec18_4", pa.decimal128(18, 4), True, maybe_null(rng, [gen_decimal(rng, 18, 4) for _ in range(n)])),
        Col("amount_req", pa.float64(), False, [round(rng.uniform(0, 1000), 2) for _ in range(n)]),
    ]
    if flba:
        cols.append(Col("dec30_6", pa.decimal128(30, 6), True, maybe_null(rng, [gen_decimal(rng, 30, 6) for _ in range(n)])))
    return cols


def pick(cols, names):
    by = {c.name: c for c in cols}
    return [by[n] for n in names]


def to_table(cols):
    schema = pa.schema([pa.field(c.name, c.atype, nullable=c.nullable) for c in cols])
    return pa.table({c.name: pa.array(c.values, type=c.atype) for c in cols}, schema=schema)


# ---------------------------------------------------------------- writers


def w_pyarrow(**opts):
    def write(cols, path):
        pq.write_table(to_table(cols), path, **opts)

    desc = "pyarrow write_table(" + ", ".join(f"{k}={v!r}" for k, v in opts.items()) + ")"
    return write, desc, False


def w_duckdb(options=""):
    def write(cols, path):
        import duckdb

        con = duckdb.connect()
        src = to_table(cols)
        con.register("src", src)
        opt = "FORMAT parquet" + (", " + options if options else "")
        con.execute(f"COPY (SELECT * FROM src) TO '{path}' ({opt})")
        con.close()

    return write, f"DuckDB COPY (SELECT * FROM arrow_table) TO … ({'FORMAT parquet' + (', ' + options if options else '')})", True


def w_polars():
    def write(cols, path):
        import polars as pl

        pl.from_arrow(to_table(cols)).write_parquet(path)

    return write, "Polars DataFrame.write_parquet() defaults", None


def w_deltalake():
    def write(cols, path):
        from deltalake import write_deltalake

        with tempfile.TemporaryDirectory() as d:
            write_deltalake(d, to_table(cols))
            parts = sorted(Path(d).glob("*.parquet"))
            assert len(parts) == 1, parts
            shutil.copyfile(parts[0], path)

    return write, "deltalake write_deltalake() defaults (the table's single data file)", False


# ---------------------------------------------------------------- fixture list


def fixtures():
    """(name, columns, writer, note). Writers return (fn, description, nullability rule):
    False = as the source says, True = every column nullable, None = read it back (Polars)."""
    F = []

    def add(name, cols, writer, note=""):
        F.append((name, cols, writer, note))

    rich = rich_columns("pyarrow_default", 200)
    add("pyarrow_default", rich, w_pyarrow(), "every lh type; ts in us/ms/ns UTC and naive; decimals as FLBA")
    add("pyarrow_v2_pages", rich_columns("pyarrow_v2_pages", 200), w_pyarrow(data_page_version="2.0"))
    for codec in ("none", "snappy", "gzip", "zstd"):
        add(f"pyarrow_codec_{codec}", rich_columns(f"pyarrow_codec_{codec}", 100), w_pyarrow(compression=codec))
    add("pyarrow_no_dictionary", rich_columns("pyarrow_no_dictionary", 200), w_pyarrow(use_dictionary=False))

    rng = rng_for("pyarrow_dict_fallback")
    n = 3000
    add(
        "pyarrow_dict_fallback",
        [
            Col("id", pa.int64(), False, list(range(n))),
            Col("s", pa.string(), True, maybe_null(rng, [f"{rng.choice(WORDS)}-{i:05d}" for i in range(n)])),
            Col("i64", pa.int64(), True, maybe_null(rng, [rng.randrange(I64_MIN, I64_MAX) for _ in range(n)])),
        ],
        w_pyarrow(dictionary_pagesize_limit=2048, data_page_size=2048, write_batch_size=256, compression="zstd"),
        "dictionary pages overflow the 2 KiB dictionary limit, so each chunk mixes RLE_DICTIONARY and PLAIN data pages",
    )

    rng = rng_for("pyarrow_delta_binary_packed")
    n = 1000
    i32 = [rng.randrange(-50, 50) + i * 3 for i in range(n)]
    i32[10:16] = [I32_MIN, I32_MAX, I32_MIN, 0, I32_MAX, -1]  # deltas that overflow int32
    i64 = [rng.randrange(I64_MIN, I64_MAX + 1) for _ in range(n)]
    i64[0:6] = [I64_MAX, I64_MIN, I64_MAX, -1, 0, I64_MIN]  # deltas that overflow int64
    add(
        "pyarrow_delta_binary_packed",
        [
            Col("id", pa.int64(), False, list(range(n))),
            Col("i32", pa.int32(), True, maybe_null(rng, i32, keep=set(range(10, 16)))),
            Col("i64", pa.int64(), True, maybe_null(rng, i64, keep=set(range(6)))),
            Col("i32_req", pa.int32(), False, [7] * 300 + [rng.randrange(0, 1 << 20) for _ in range(n - 300)]),
        ],
        w_pyarrow(use_dictionary=False, column_encoding={"id": "DELTA_BINARY_PACKED", "i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED", "i32_req": "DELTA_BINARY_PACKED"}),
        "sequential, random, constant runs and int32/int64 min/max neighbours (wrapping deltas)",
    )

    def string_cols(name, n, prefixy):
        rng = rng_for(name)
        if prefixy:
            vals = sorted(f"https://example.org/{rng.choice(WORDS)}/{rng.randrange(10**6):06d}" for _ in range(n))
            for i in range(0, n, 50):
                vals[i] = rng.choice(NON_ASCII + [""])
        else:
            vals = [gen_string(rng, i) for i in range(n)]
        return [
            Col("id", pa.int64(), False, list(range(n))),
            Col("s", pa.string(), True, maybe_null(rng, vals, keep={7})),
            Col("b", pa.binary(), True, maybe_null(rng, [gen_binary(rng) for _ in range(n)])),
            Col("s_req", pa.string(), False, [f"k{i % 7}" * (i % 4) for i in range(n)]),
        ]

    for enc, prefixy in (("DELTA_LENGTH_BYTE_ARRAY", False), ("DELTA_BYTE_ARRAY", True)):
        name = "pyarrow_" + enc.lower()
        add(
            name,
            string_cols(name, 400, prefixy),
            w_pyarrow(use_dictionary=False, column_encoding={"s": enc, "b": enc, "s_req": enc}),
            "sorted URLs with shared prefixes" if prefixy else "mixed strings incl. empty, non-ASCII, > 1 KiB",
        )

    rng = rng_for("pyarrow_byte_stream_split")
    n = 500
    add(
        "pyarrow_byte_stream_split",
        [
            Col("id", pa.int64(), False, list(range(n))),
            Col("f64", pa.float64(), True, maybe_null(rng, [rng.uniform(-1e6, 1e6) for _ in range(n)])),
            Col("f32", pa.float32(), True, maybe_null(rng, [gen_f32(rng) for _ in range(n)])),
            Col("f64_req", pa.float64(), False, [i * 0.25 for i in range(n)]),
        ],
        w_pyarrow(use_dictionary=False, column_encoding={"f64": "BYTE_STREAM_SPLIT", "f32": "BYTE_STREAM_SPLIT", "f64_req": "BYTE_STREAM_SPLIT"}),
    )

    rng = rng_for("pyarrow_int96")
    n = 200
    ns_vals = [gen_ts(rng, "ns") for _ in range(n)]
    ns_vals[0:6] = [0, -1, 1, -1001, US_1900 * 1000, (US_2200 - 1) * 1000 + 999]  # floor to µs around the epoch
    add(
        "pyarrow_int96",
        [
            Col("id", pa.int64(), False, list(range(n))),
            Col("ts_ns", pa.timestamp("ns", tz="UTC"), True, maybe_null(rng, ns_vals, keep=set(range(6)))),
            Col("ts_us", pa.timestamp("us"), True, maybe_null(rng, [gen_ts(rng, "us") for _ in range(n)])),
            Col("ts_req", pa.timestamp("ns"), False, [gen_ts(rng, "ns") for _ in range(n)]),
        ],
        w_pyarrow(use_deprecated_int96_timestamps=True),
        "INT96 (Spark style) timestamps 1900..2200 with sub-microsecond digits, incl. -1 ns (floors to …59.999999Z)",
    )

    dec = rich_columns("pyarrow_decimal", 200)
    add("pyarrow_decimal_flba", pick(dec, ["id", "dec5_2", "dec18_4", "dec30_6"]), w_pyarrow(), "pyarrow default: every decimal as FIXED_LEN_BYTE_ARRAY")
    rng = rng_for("pyarrow_decimal_int")
    n = 200
    add(
        "pyarrow_decimal_int",
        [
            Col("id", pa.int64(), False, list(range(n))),
            Col("dec5_2", pa.decimal128(5, 2), True, maybe_null(rng, [gen_decimal(rng, 5, 2) for _ in range(n)])),
            Col("dec9_3", pa.decimal128(9, 3), True, maybe_null(rng, [gen_decimal(rng, 9, 3) for _ in range(n)])),
            Col("dec10_2", pa.decimal128(10, 2), True, maybe_null(rng, [gen_decimal(rng, 10, 2) for _ in range(n)])),
            Col("dec18_4", pa.decimal128(18, 4), True, maybe_null(rng, [gen_decimal(rng, 18, 4) for _ in range(n)])),
            Col("dec18_0_req", pa.decimal128(18, 0), False, [gen_decimal(rng, 18, 0) for _ in range(n)]),
        ],
        w_pyarrow(store_decimal_as_integer=True),
        "decimal p<=9 as INT32, p<=18 as INT64",
    )

    many = rich_columns("pyarrow_many_pages", 2000, long_strings=False, ns=False, naive=False, ms=False, flba=False)
    add(
        "pyarrow_row_groups_pages",
        pick(many, ["id", "i64", "flag", "s", "d", "ts_us", "dec18_4"]),
        w_pyarrow(row_group_size=400, data_page_size=1024, max_rows_per_page=50, write_batch_size=50, compression="zstd"),
        "5 row groups of 400 rows, 8 pages of 50 rows per chunk",
    )

    lh = rich_columns("pyarrow_lh_like", 150, ns=False, naive=False, ms=False, flba=False)
    add(
        "pyarrow_lh_like",
        lh,
        w_pyarrow(compression="zstd", store_decimal_as_integer=True),
        "what lh's writer is meant to produce (formats.md §4): zstd, dictionary, µs UTC timestamps, decimals as INT32/INT64; the self-test runs check_lh_parquet.py on it",
    )

    duck = ["id", "i32", "i64", "f32", "f64", "flag", "s", "s_req", "b", "d", "ts_us", "ts_naive", "dec5_2", "dec18_4", "amount_req", "dec30_6"]
    for name, opts in (("duckdb_default", ""), ("duckdb_v2", "PARQUET_VERSION v2"), ("duckdb_zstd", "COMPRESSION zstd")):
        cols = pick(rich_columns(name, 200), duck)
        if name == "duckdb_v2":  # int32 deltas must fit int32 here, see duckdb_v2_int32_wide_deltas
            cols[1].values = [None if v is None else v // 4 for v in cols[1].values]
        add(name, cols, w_duckdb(opts))
    rng = rng_for("duckdb_v2_int32_wide_deltas")
    n = 300
    add(
        "duckdb_v2_int32_wide_deltas",
        [
            Col("id", pa.int64(), False, list(range(n))),
            Col("i32", pa.int32(), True, maybe_null(rng, [I32_MIN, I32_MAX, I32_MIN, 0, I32_MAX, -1] + [rng.randrange(I32_MIN, I32_MAX + 1) for _ in range(n - 6)], keep=set(range(6)))),
        ],
        w_duckdb("PARQUET_VERSION v2"),
        "DuckDB computes int32 DELTA_BINARY_PACKED deltas in 64 bits: miniblock bit width 33 and a min delta below INT32_MIN."
        " pyarrow 26 refuses the file (\"Unexpected end of stream: InitBlock EOF\"); DuckDB and Polars read it."
        " Decode int32 deltas with wrapping 64-bit arithmetic and truncate",
    )
    add("polars_default", rich_columns("polars_default", 200), w_polars(), "every lh type incl. ns and naive timestamps")
    delta = ["id", "i32", "i64", "f32", "f64", "flag", "s", "s_req", "b", "d", "ts_us", "dec5_2", "dec18_4", "amount_req", "dec30_6"]
    add("deltalake_default", pick(rich_columns("deltalake_default", 200), delta), w_deltalake())

    # ---- edge cases
    add("edge_zero_rows", rich_columns("edge_zero_rows", 0), w_pyarrow(), "every column type, no rows")
    n = 50
    add(
        "edge_all_null",
        [Col("id", pa.int64(), False, list(range(n)))]
        + [
            Col(f"null_{t}", at, True, [None] * n)
            for t, at in (
                ("boolean", pa.bool_()),
                ("int32", pa.int32()),
                ("int64", pa.int64()),
                ("double", pa.float64()),
                ("string", pa.string()),
                ("binary", pa.binary()),
                ("date", pa.date32()),
                ("timestamp", pa.timestamp("us", tz="UTC")),
                ("dec18_4", pa.decimal128(18, 4)),
            )
        ],
        w_pyarrow(),
        "one required column and nine all-null columns (statistics have null_count only)",
    )
    n = 100
    add(
        "edge_one_distinct",
        [
            Col("i32", pa.int32(), True, [42] * n),
            Col("i64", pa.int64(), False, [-7] * n),
            Col("f64", pa.float64(), True, [2.5] * n),
            Col("flag", pa.bool_(), True, [True] * n),
            Col("s", pa.string(), True, ["same"] * n),
            Col("d", pa.date32(), True, [dt.date(2024, 2, 29)] * n),
            Col("ts_us", pa.timestamp("us", tz="UTC"), True, [1709164800000000] * n),
            Col("dec5_2", pa.decimal128(5, 2), True, [Decimal("-1.50")] * n),
        ],
        w_pyarrow(),
        "one value per column: dictionaries of one entry (index bit width 0)",
    )
    ext32 = [I32_MIN, I32_MAX, 0, -1, 1, I32_MIN + 1, I32_MAX - 1, None]
    ext64 = [I64_MIN, I64_MAX, 0, -1, 1, I64_MIN + 1, I64_MAX - 1, None]
    add(
        "edge_extreme_ints",
        [
            Col("i32", pa.int32(), True, ext32),
            Col("i64", pa.int64(), True, ext64),
            Col("i16", pa.int16(), True, [-(2**15), 2**15 - 1, 0, -1, 1, None, 3, 4]),
            Col("i8", pa.int8(), True, [-128, 127, 0, -1, 1, None, 3, 4]),
            Col("i64_req", pa.int64(), False, [I64_MAX, I64_MIN, 0, 0, I64_MAX, I64_MIN, 1, -1]),
        ],
        w_pyarrow(),
        "int32/int64 min and max; int8/int16 columns (INT32 with INT(8)/INT(16) annotations, lh type int32)",
    )
    us = [-1, 0, 1, US_1900, -86400_000000, -1_000_001, -123456789012345, US_1900 + 1]
    add(
        "edge_pre1970_timestamps",
        [
            Col("ts_us", pa.timestamp("us", tz="UTC"), True, us + [None]),
            Col("ts_ms", pa.timestamp("ms", tz="UTC"), True, [-1, 0, 1, US_1900 // 1000, -86400_000, -1001, -123456789012, US_1900 // 1000 + 1, None]),
            Col("ts_ns", pa.timestamp("ns", tz="UTC"), True, [-1, 0, 1, US_1900 * 1000, -999, -1_000_000_001, -123456789012345678, US_1900 * 1000 + 1, None]),
            Col("d", pa.date32(), True, [dt.date(1969, 12, 31), dt.date(1970, 1, 1), dt.date(1900, 1, 1), dt.date(1900, 3, 1), dt.date(1960, 2, 29), dt.date(1969, 1, 1), dt.date(1899, 12, 31), dt.date(2200, 1, 1), None]),
        ],
        w_pyarrow(),
        "timestamps and dates before 1970 (and -1 ns: floor, not truncation)",
    )
    negs = [
        ("dec5_2", 5, 2, ["-999.99", "-0.01", "-0.10", "-1.00", "-12.30", "0.00", "999.99"]),
        ("dec18_4", 18, 4, ["-99999999999999.9999", "-0.0001", "-1.0000", "-12345.6789", "-0.0500", "0.0000", "99999999999999.9999"]),
    ]
    neg_cols = [Col(nm, pa.decimal128(p, s), True, [Decimal(v) for v in vals] + [None]) for nm, p, s, vals in negs]
    dec30 = Col("dec30_6", pa.decimal128(30, 6), True, [Decimal(v) for v in ["-999999999999999999999999.999999", "-0.000001", "-1.000000", "-123456789012345678.123456", "-0.050000", "0.000000", "999999999999999999999999.999999"]] + [None])
    add("edge_negative_decimals", neg_cols + [dec30], w_pyarrow(), "negative decimals as FLBA (pyarrow default), incl. precision extremes")
    add("edge_negative_decimals_int", neg_cols, w_pyarrow(store_decimal_as_integer=True), "the same decimals as INT32/INT64")
    inf, nan = float("inf"), float("nan")
    add(
        "edge_float_specials",
        [
            Col("f64", pa.float64(), True, [nan, inf, -inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 0.1, 1e16, 1e-5, None]),
            Col("f32", pa.float32(), True, [nan, inf, -inf, -0.0, 0.0, 1e-45, 3.4028234663852886e38, 0.1, 1e16, 1e-5, None]),
            Col("f64_nan_only", pa.float64(), True, [nan, None, nan, nan, nan, nan, nan, nan, nan, nan, nan]),
        ],
        w_pyarrow(),
        "NaN, ±inf, ±0, subnormals, max; a column whose only non-null values are NaN (no min/max)",
    )
    tricky = ["", " ", "a\"quote", "back\\slash", "new\nline\ttab\r", "ctl\x01\x1f\x7f", "nul\x00byte", "/slash", "\u2028sep", "é", "e\u0301", "😀", "日本語テキスト", "z" * 2000, "A", "a", "ÿ", "\uffff"]
    add(
        "edge_strings",
        [
            Col("s", pa.string(), True, tricky + [None]),
            Col("b", pa.binary(), True, [t.encode() for t in tricky] + [None]),
        ],
        w_pyarrow(),
        "JSON escaping, NUL, control chars, NFC vs NFD (compared as bytes), > 1 KiB",
    )
    req = rich_columns("edge_required_only", 60, ns=False, naive=False, ms=False)
    for c in req:
        c.nullable = False
        fill = next(x for x in c.values if x is not None)
        c.values = [fill if v is None else v for v in c.values]
    add("edge_required_only", req, w_pyarrow(compression="zstd"), "every column REQUIRED: no definition levels anywhere")
    return F


def unsupported():
    """(file, table, options, column, feature)"""
    n = 5
    ids = pa.array(range(n), pa.int64())
    return [
        ("list_column.parquet", pa.table({"id": ids, "tags": pa.array([[1, 2], [], None, [3], [4, 5, 6]], pa.list_(pa.int64()))}), {}, "tags", "nested type LIST (repeated field / repetition levels)"),
        ("struct_column.parquet", pa.table({"id": ids, "point": pa.array([{"x": i, "y": -i} for i in range(n)], pa.struct([("x", pa.int64()), ("y", pa.int64())]))}), {}, "point", "nested type STRUCT (group node with children)"),
        ("map_column.parquet", pa.table({"id": ids, "attrs": pa.array([[("k", "v")], [], None, [("a", "b"), ("c", "d")], [("x", "y")]], pa.map_(pa.string(), pa.string()))}), {}, "attrs", "nested type MAP"),
        ("codec_lz4_raw.parquet", pa.table({"id": ids, "s": pa.array(["a", "b", "c", "d", "e"])}), {"compression": "lz4"}, "id (and s)", "compression codec LZ4_RAW (7)"),
        ("codec_brotli.parquet", pa.table({"id": ids, "s": pa.array(["a", "b", "c", "d", "e"])}), {"compression": "brotli"}, "id (and s)", "compression codec BROTLI (4)"),
    ]


# ---------------------------------------------------------------- main


def describe_file(path):
    md = pq.ParquetFile(path).metadata
    lines = [f"created_by `{md.created_by}`, format_version {md.format_version}, {md.num_rows} rows, {md.num_row_groups} row group(s)"]
    per_col = {}
    for rg, colpath, codec, pages in P.walk(path):
        key = colpath
        ptypes = per_col.setdefault(key, {"codec": set(), "kinds": {}, "pages": 0, "phys": None})
        ptypes["codec"].add(codec)
        ptypes["pages"] += len(pages)
        for p in pages:
            k = f"{p[0]}/{p[1]}"
            ptypes["kinds"][k] = ptypes["kinds"].get(k, 0) + 1
    schema = md.schema
    for i in range(md.num_columns):
        col = schema.column(i)
        info = per_col.get(col.path, {"codec": set(), "kinds": {}, "pages": 0})
        lt = col.logical_type.type if col.logical_type is not None else "NONE"
        kinds = ", ".join(f"{k} ×{v}" for k, v in info["kinds"].items()) or "(no pages)"
        lines.append(
            f"  - `{col.path}`: {col.physical_type}"
            + (f"({col.length})" if col.physical_type == "FIXED_LEN_BYTE_ARRAY" else "")
            + f" {'REQUIRED' if col.max_definition_level == 0 else 'OPTIONAL'}, converted {col.converted_type}, logical {lt}"
            + f"; {'/'.join(sorted(info['codec'])) or '-'}; {kinds}"
        )
    return lines


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    cross = "--no-cross" not in argv
    if len(args) != 1:
        print("usage: make_fixtures.py [--no-cross] OUTDIR", file=sys.stderr)
        return 64
    out = Path(args[0])
    peers_dir, unsup_dir = out / "peers", out / "unsupported"
    for d in (peers_dir, unsup_dir):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    failures, disagreements = [], []
    readme = [
        "# Peer-written Parquet fixtures",
        "",
        "Generated by `tests/peers/make_fixtures.py fixtures/parquet` (do not edit by hand; see tests/peers/README.md",
        "for the canonical row form). Each `NAME.parquet` has `NAME.expected.ndjson` (lh canonical rows, computed",
        "from the source values) and `NAME.schema.json`. Below: writer and options, then what the file really",
        "holds per column, read off its metadata and page headers (`tests/peers/pages.py`):",
        "physical type, repetition, annotations; codec; page type/encoding × count over all row groups.",
        "",
        f"Peers: pyarrow {pa.__version__}, " + peer_versions() + ".",
        "",
    ]
    for name, cols, (write, desc, nullable_rule), note in fixtures():
        path = peers_dir / f"{name}.parquet"
        write(cols, str(path))
        names = [c.name for c in cols]
        nrows = {len(c.values) for c in cols}
        assert len(nrows) == 1, (name, nrows)
        expected = [C.row_line(names, [c.canon(v) for c, v in zip(cols, vals)]) for vals in zip(*(c.values for c in cols))]
        if name in PYARROW_UNREADABLE:
            check_engines_instead(name, path, expected, failures)
            got = None
        else:
            got = R.read_pyarrow(path)
        if got is None:
            nullables = [True] * len(cols)
        elif nullable_rule is None:
            nullables = got.nullables
        elif nullable_rule is True:
            nullables = [True] * len(cols)
        else:
            nullables = [c.nullable for c in cols]
        schema = [{"name": c.name, "type": c.lh_type, "nullable": nb} for c, nb in zip(cols, nullables)]
        (peers_dir / f"{name}.expected.ndjson").write_text("".join(line + "\n" for line in expected), encoding="utf-8")
        (peers_dir / f"{name}.schema.json").write_text(C.schema_json(schema), encoding="utf-8")
        # read back with pyarrow: must be exact
        got_schema = schema if got is None else None
        got = got or R.EngineResult("pyarrow", [(c["name"], "", c["type"]) for c in schema], expected, nullables)
        got_schema = [{"name": n, "type": lt, "nullable": nb} for (n, _, lt), nb in zip(got.columns, got.nullables)]
        if got_schema != schema:
            failures.append(f"{name}: pyarrow read-back schema {got_schema} != {schema}")
        first = first_diff(expected, got.lines)
        if first:
            failures.append(f"{name}: pyarrow read-back differs: {first}")
        size = path.stat().st_size
        if size >= 200_000:
            failures.append(f"{name}: {size} bytes, over the 200 KB budget")
        readme += [f"## `{name}.parquet` ({size} bytes, {len(expected)} rows)", "", f"Writer: {desc}." + (f" {note}." if note else ""), ""]
        readme += describe_file(path)
        if cross:
            for engine in ("duckdb", "polars"):
                try:
                    res = R.ENGINES[engine](path)
                    d = first_diff(expected, res.lines)
                    types = [lt for _, _, lt in res.columns]
                    if types != [c.lh_type for c in cols]:
                        d = (d + "; " if d else "") + f"types {[et for _, et, _ in res.columns]}"
                except Exception as e:  # noqa: BLE001
                    d = f"cannot read: {str(e).splitlines()[0]}"
                if d:
                    disagreements.append(f"{name}: {engine}: {d}")
                    readme.append(f"  - **{engine} reads it differently**: {d}")
        readme.append("")
    write_unsupported(unsup_dir)
    (peers_dir / "README.md").write_text("\n".join(readme), encoding="utf-8")
    for d in disagreements:
        print(f"make_fixtures: note: {d}", file=sys.stderr)
    for f in failures:
        print(f"make_fixtures: FAIL: {f}", file=sys.stderr)
    return 1 if failures else 0


# Files pyarrow cannot read (a peer disagreement worth a fixture): DuckDB and Polars must read them exactly.
PYARROW_UNREADABLE = {"duckdb_v2_int32_wide_deltas"}


def check_engines_instead(name, path, expected, failures):
    try:
        R.read_pyarrow(path)
        failures.append(f"{name}: pyarrow now reads it: drop it from PYARROW_UNREADABLE")
    except Exception:  # noqa: BLE001
        pass
    for engine in ("duckdb", "polars"):
        d = first_diff(expected, R.ENGINES[engine](path).lines)
        if d:
            failures.append(f"{name}: {engine} read-back differs: {d}")


def first_diff(expected, got):
    if expected == got:
        return None
    for i, (e, g) in enumerate(zip(expected, got)):
        if e != g:
            return f"row {i}: expected {e[:300]} got {g[:300]}"
    return f"{len(expected)} rows expected, {len(got)} read"


def peer_versions():
    out = []
    for mod in ("duckdb", "polars", "deltalake"):
        try:
            out.append(f"{mod} {__import__(mod).__version__}")
        except Exception:  # noqa: BLE001
            out.append(f"{mod} (not importable)")
    return ", ".join(out)


def write_unsupported(d: Path):
    rows = [
        "# Parquet files lh must reject",
        "",
        "Generated by `tests/peers/make_fixtures.py fixtures/parquet` with pyarrow. lh's reader must refuse each with",
        "a clear one-line error (exit 65, bad data) that names the column and the feature below; never a crash,",
        "never wrong rows, never silently skipping the column.",
        "",
        "| file | column | feature the error must name |",
        "|---|---|---|",
    ]
    for fname, table, opts, column, feature in unsupported():
        pq.write_table(table, d / fname, **opts)
        md = pq.ParquetFile(d / fname).metadata
        codecs = sorted({md.row_group(0).column(i).compression for i in range(md.num_columns)})
        rows.append(f"| `{fname}` | `{column}` | {feature} (file codecs: {', '.join(codecs)}) |")
    rows += [
        "",
        "`id` is a plain INT64 column in every file: an error must not blame it unless it is the column that uses",
        "the unsupported codec (the codec files compress every column with it, so naming the first one is right).",
        "",
    ]
    (d / "README.md").write_text("\n".join(rows), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
