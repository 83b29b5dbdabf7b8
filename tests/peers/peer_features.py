"""Peer tables with the Delta features lh reads (or refuses), one small table per feature.

    peer_features.py make DIR          writes DIR/NAME/ tables, DIR/NAME.expected.parquet (the rows a
                                       peer reads: deltalake's to_pyarrow_table, or for a table crafted
                                       with pyarrow and a hand-written log, the pyarrow table written) and
                                       prints a JSON manifest: [{"name", "expect": "rows" | "refuse",
                                       "feature": text the refusal must name}]
    peer_features.py check DIR NAME LH.ndjson
                                       compares lh-report --format ndjson output with the expected rows,
                                       row by row sorted by `id`, value by value by the expected column's
                                       type; exit 0 when equal, else 1 with one line per difference

Made by deltalake (it writes these itself): a naive timestamp column (protocol 3/7 timestampNtz), one
table per partition column type (double, float, timestamp, timestamp_ntz, decimal(38,6), binary,
boolean, date, byte, short, string), decimals of 38 digits, nested struct/list/map columns. Crafted
(deltalake cannot write them): column mapping in mode name and id, a Spark-style log whose first
metaData has no schemaString, writer-only features, V2-checkpoint and vacuum-protocol-check features,
type widening, deletion vectors, variant, an unknown reader feature.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import sys
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

D = decimal.Decimal
UTC = dt.timezone.utc


def _log(table_dir, version, actions):
    os.makedirs(os.path.join(table_dir, "_delta_log"), exist_ok=True)
    path = os.path.join(table_dir, "_delta_log", "%020d.json" % version)
    with open(path, "w") as f:
        for a in actions:
            f.write(json.dumps(a, separators=(",", ":")) + "\n")


def _commit_info(ts=1_700_000_000_000):
    return {"commitInfo": {"timestamp": ts, "operation": "WRITE", "engineInfo": "peer_features"}}


def _metadata(fields, partitions=(), configuration=None, schema=True):
    m = {
        "id": str(uuid.uuid4()),
        "format": {"provider": "parquet", "options": {}},
        "partitionColumns": list(partitions),
        "configuration": configuration or {},
        "createdTime": 1_700_000_000_000,
    }
    if schema:
        m["schemaString"] = json.dumps({"type": "struct", "fields": fields})
    return {"metaData": m}


def _field(name, type_, physical=None, cid=None, nullable=True):
    meta = {}
    if physical is not None:
        meta["delta.columnMapping.physicalName"] = physical
    if cid is not None:
        meta["delta.columnMapping.id"] = cid
    return {"name": name, "type": type_, "nullable": nullable, "metadata": meta}


def _add(table_dir, rel, arrow_table, partition_values=None, extra=None):
    path = os.path.join(table_dir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pq.write_table(arrow_table, path)
    a = {
        "path": rel,
        "partitionValues": partition_values or {},
        "size": os.path.getsize(path),
        "modificationTime": 1_700_000_000_000,
        "dataChange": True,
    }
    a.update(extra or {})
    return {"add": a}


def make(out):
    manifest = []

    def rows(name, expected):
        pq.write_table(expected, os.path.join(out, name + ".expected.parquet"))
        manifest.append({"name": name, "expect": "rows"})

    def refuse(name, feature):
        manifest.append({"name": name, "expect": "refuse", "feature": feature})

    import deltalake
    from deltalake import DeltaTable, write_deltalake

    def by_deltalake(name, table, expected=None, **kw):
        path = os.path.join(out, name)
        write_deltalake(path, table, **kw)
        rows(name, expected if expected is not None else DeltaTable(path).to_pyarrow_table())
        return path

    # 1. A naive timestamp column: deltalake writes protocol 3/7 with timestampNtz.
    ntz = pa.table(
        {
            "id": pa.array([1, 2, 3, 4], pa.int64()),
            "ts": pa.array(
                [dt.datetime(2024, 1, 2, 3, 4, 5, 123456), None, dt.datetime(1969, 12, 31, 23, 59, 59),
                 dt.datetime(2024, 1, 2, 3, 4, 5, 120000)],
                pa.timestamp("us"),
            ),
            "tz": pa.array(
                [dt.datetime(2024, 1, 2, 3, 4, 5, 123456, UTC), None, dt.datetime(2024, 1, 2, tzinfo=UTC),
                 dt.datetime(1970, 1, 1, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    path = by_deltalake("ntz", ntz)
    p = DeltaTable(path).protocol()
    assert p.min_reader_version == 3 and "timestampNtz" in (p.reader_features or []), p

    # 2. Every primitive partition type, one table each (with a null partition too).
    n = 6
    base = {"id": pa.array(range(1, n + 1), pa.int64()), "v": pa.array([f"r{i}" for i in range(n)])}
    parts = {
        "double": pa.array([1.5, -0.0, None, 1e16, -2.25, 1.5], pa.float64()),
        "float": pa.array([1.25, 2.5, None, -0.5, 3.0, 1.25], pa.float32()),
        "timestamp": pa.array(
            [dt.datetime(2024, 1, 2, 3, 4, 5, 123456, UTC), None, dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
             dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), None, dt.datetime(2000, 2, 29, tzinfo=UTC)],
            pa.timestamp("us", tz="UTC"),
        ),
        "ntz": pa.array(
            [dt.datetime(2024, 1, 2, 3, 4, 5, 123456), None, dt.datetime(1969, 12, 31, 23, 59, 59),
             dt.datetime(2024, 1, 2, 3, 4, 5), None, dt.datetime(2000, 2, 29)],
            pa.timestamp("us"),
        ),
        # delta-rs 1.6.6 cannot write a negative decimal partition value ("-1.-5"): positive ones.
        "decimal": pa.array(
            [D("12345678901234567890123456789012.123456"), D("0.000001"), None, D("1.500000"), D("7"), D("0")],
            pa.decimal128(38, 6),
        ),
        "binary": pa.array([b"\x00\x01ab", b"x", None, b"\x01", b"\x7fz", b"x"], pa.binary()),
        "bool": pa.array([True, False, None, True, False, True]),
        "date": pa.array([dt.date(2024, 1, 2), None, dt.date(1900, 1, 1), dt.date(2024, 1, 2), dt.date(9999, 12, 31),
                          dt.date(1970, 1, 1)]),
        "byte": pa.array([1, -2, None, 127, -128, 0], pa.int8()),
        "short": pa.array([1, -2, None, 32767, -32768, 0], pa.int16()),
        "string": pa.array(["a", "Zürich Süd/Ost 100%=x", None, "a b#c", "", "a"]),
    }
    for kind, column in parts.items():
        table = pa.table(dict(base, p=column))
        # delta-rs writes a binary partition value as the text `\u0000\u0001…` (each byte escaped,
        # PROTOCOL.md "Partition Value Serialization") and reads that text back as the bytes; lh
        # reads the bytes that were written.
        by_deltalake("part_" + kind, table, table if kind == "binary" else None, partition_by=["p"])

    # 3. Decimals of up to 38 digits (not partitioned), negative and positive.
    wide = pa.table(
        {
            "id": pa.array([1, 2, 3, 4], pa.int64()),
            "d38": pa.array(
                [D("99999999999999999999999999999999999999"), D("-99999999999999999999999999999999999999"), None,
                 D("0")],
                pa.decimal128(38, 0),
            ),
            "d38s": pa.array(
                [D("1234567890123456789012345678.1234567890"), D("-0.0000000001"), D("-12.5"), None],
                pa.decimal128(38, 10),
            ),
            "d20": pa.array([D("123456789012345678.12"), D("-0.01"), None, D("1")], pa.decimal128(20, 2)),
        }
    )
    by_deltalake("wide_decimal", wide)

    # 3b. Nested columns: struct (with a struct and a list inside), list of int, list of struct,
    #     map<string,int>, at any depth; written by deltalake (protocol 1/2).
    point = pa.struct([("a", pa.int32()), ("b", pa.string()), ("inner", pa.struct([("x", pa.float64())])),
                       ("tags", pa.list_(pa.string()))])
    nested = pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int64()),
            "s": pa.array([{"a": 1, "b": "x", "inner": {"x": 1.5}, "tags": ["p", "q"]}, None,
                           {"a": None, "b": "é\"", "inner": None, "tags": []}], point),
            "l": pa.array([[1, 2, None], [], None], pa.list_(pa.int64())),
            "ls": pa.array([[{"k": "v"}], None, [{"k": None}, {"k": "w"}]], pa.list_(pa.struct([("k", pa.string())]))),
            "m": pa.array([[("a", 1), ("b", None)], None, []], pa.map_(pa.string(), pa.int32())),
            "v": pa.array(["flat", None, "z"]),
        }
    )
    by_deltalake("nested", nested)

    # 3c. Nested columns of a column-mapped table: struct fields under physical names in the file,
    #     shown under their logical names.
    t = os.path.join(out, "nested_cm_name")
    inner = {"type": "struct", "fields": [_field("first", "integer", "col-f1", 3), _field("second", "string", "col-f2", 4)]}
    fields = [_field("id", "long", "col-id", 1), _field("rec", inner, "col-rec", 2)]
    data = pa.table(
        {
            "col-id": pa.array([1, 2], pa.int64()),
            "col-rec": pa.array([{"col-f1": 7, "col-f2": "s"}, None],
                                pa.struct([("col-f1", pa.int32()), ("col-f2", pa.string())])),
        }
    )
    _log(
        t,
        0,
        [
            _commit_info(),
            {"protocol": {"minReaderVersion": 2, "minWriterVersion": 5}},
            _metadata(fields, [], {"delta.columnMapping.mode": "name"}),
            _add(t, "part-0.parquet", data),
        ],
    )
    rows(
        "nested_cm_name",
        pa.table(
            {
                "id": pa.array([1, 2], pa.int64()),
                "rec": pa.array([{"first": 7, "second": "s"}, None],
                                pa.struct([("first", pa.int32()), ("second", pa.string())])),
            }
        ),
    )

    # 4. Column mapping, mode name: files, partitionValues and stats by physical names.
    t = os.path.join(out, "cm_name")
    fields = [
        _field("id", "long", "col-1d", 1),
        _field("Display Name", "string", "col-2n", 2),
        _field("amount", "decimal(10,2)", "col-3a", 3),
        _field("day", "date", "col-4p", 4),
    ]
    data = pa.table(
        {
            "col-1d": pa.array([1, 2, 3], pa.int64()),
            "col-2n": pa.array(["a", None, "c"]),
            "col-3a": pa.array([D("1.50"), D("-2.00"), None], pa.decimal128(10, 2)),
        }
    )
    _log(
        t,
        0,
        [
            _commit_info(),
            {"protocol": {"minReaderVersion": 2, "minWriterVersion": 5}},
            _metadata(fields, ["day"], {"delta.columnMapping.mode": "name", "delta.columnMapping.maxColumnId": "4"}),
            _add(t, "col-4p=2024-01-02/part-0.parquet", data, {"col-4p": "2024-01-02"},
                 {"stats": json.dumps({"numRecords": 3, "nullCount": {"col-1d": 0, "col-2n": 1, "col-3a": 1}})}),
        ],
    )
    rows(
        "cm_name",
        pa.table(
            {
                "id": data["col-1d"],
                "Display Name": data["col-2n"],
                "amount": data["col-3a"],
                "day": pa.array([dt.date(2024, 1, 2)] * 3),
            }
        ),
    )

    # 5. Column mapping, mode id: columns found by Parquet field_id (the file's names differ from the
    #    physical names, as after a writer renamed them), reader 3 with the columnMapping feature.
    t = os.path.join(out, "cm_id")
    fields = [_field("id", "long", "col-a", 11), _field("name", "string", "col-b", 12),
              _field("score", "double", "col-c", 13)]
    schema = pa.schema(
        [
            pa.field("f_one", pa.int64(), metadata={b"PARQUET:field_id": b"11"}),
            pa.field("f_two", pa.string(), metadata={b"PARQUET:field_id": b"12"}),
            pa.field("f_three", pa.float64(), metadata={b"PARQUET:field_id": b"13"}),
        ]
    )
    data = pa.table([pa.array([1, 2], pa.int64()), pa.array(["x", "y"]), pa.array([0.5, None])], schema=schema)
    _log(
        t,
        0,
        [
            _commit_info(),
            {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["columnMapping"],
                          "writerFeatures": ["columnMapping"]}},
            _metadata(fields, [], {"delta.columnMapping.mode": "id"}),
            _add(t, "part-0.parquet", data),
        ],
    )
    rows("cm_id", pa.table({"id": pa.array([1, 2], pa.int64()), "name": ["x", "y"], "score": [0.5, None]}))

    # 6. A Spark/Databricks-style log: the first metaData has no schemaString (an empty table); the
    #    schema comes with a later one. And a table that has only the schema-less metaData.
    t = os.path.join(out, "spark_schemaless_first")
    first = _metadata([], schema=False)
    _log(t, 0, [_commit_info(), {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}, first])
    data = pa.table({"id": pa.array([1, 2], pa.int64()), "s": ["a", "b"]})
    later = _metadata([_field("id", "long"), _field("s", "string")])
    later["metaData"]["id"] = first["metaData"]["id"]
    _log(t, 1, [_commit_info(1_700_000_001_000), later, _add(t, "part-0.parquet", data)])
    rows("spark_schemaless_first", data)
    t = os.path.join(out, "spark_schemaless_only")
    _log(t, 0, [_commit_info(), {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
                _metadata([], schema=False)])
    rows("spark_schemaless_only", pa.table({"id": pa.array([], pa.int64())}))

    # 7. Writer-only features (never stop a read) and reader features with nothing for a reader to do.
    t = os.path.join(out, "writer_features")
    data = pa.table({"id": pa.array([1, 2], pa.int64()), "s": ["a", "b"]})
    _log(
        t,
        0,
        [
            _commit_info(),
            {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7,
                          "readerFeatures": ["v2Checkpoint", "vacuumProtocolCheck", "deletionVectors"],
                          "writerFeatures": ["appendOnly", "invariants", "checkConstraints", "generatedColumns",
                                             "identityColumns", "changeDataFeed", "domainMetadata", "rowTracking",
                                             "icebergCompatV1", "icebergCompatV2", "inCommitTimestamp",
                                             "vacuumProtocolCheck", "v2Checkpoint", "clustering",
                                             "deletionVectors"]}},
            _metadata([_field("id", "long"), _field("s", "string")], [], {"delta.appendOnly": "true"}),
            _add(t, "part-0.parquet", data),
            {"domainMetadata": {"domain": "delta.clustering", "configuration": "{}", "removed": False}},
        ],
    )
    rows("writer_features", data)

    # 8. Type widening: files written before the schema's types were widened.
    t = os.path.join(out, "widening")
    old = pa.table(
        {
            "id": pa.array([1, 2], pa.int32()),
            "f": pa.array([1.5, None], pa.float32()),
            "d": pa.array([dt.date(2024, 1, 2), dt.date(1969, 12, 31)]),
            "m": pa.array([D("12.34"), D("-0.01")], pa.decimal128(6, 2)),
            "b": pa.array([-5, 7], pa.int8()),
        }
    )
    new = pa.table(
        {
            "id": pa.array([3], pa.int64()),
            "f": pa.array([2.25], pa.float64()),
            "d": pa.array([dt.datetime(2024, 5, 6, 7, 8, 9)], pa.timestamp("us")),
            "m": pa.array([D("123456789012345.6789")], pa.decimal128(20, 4)),
            "b": pa.array([1 << 40], pa.int64()),
        }
    )
    widened = [_field("id", "long"), _field("f", "double"), _field("d", "timestamp_ntz"),
               _field("m", "decimal(20,4)"), _field("b", "long")]
    _log(
        t,
        0,
        [
            _commit_info(),
            {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7,
                          "readerFeatures": ["typeWidening", "timestampNtz"],
                          "writerFeatures": ["typeWidening", "timestampNtz"]}},
            _metadata(widened, [], {"delta.enableTypeWidening": "true"}),
            _add(t, "part-0.parquet", old),
            _add(t, "part-1.parquet", new),
        ],
    )
    rows(
        "widening",
        pa.table(
            {
                "id": pa.array([1, 2, 3], pa.int64()),
                "f": pa.array([1.5, None, 2.25], pa.float64()),
                "d": pa.array([dt.datetime(2024, 1, 2), dt.datetime(1969, 12, 31), dt.datetime(2024, 5, 6, 7, 8, 9)],
                              pa.timestamp("us")),
                "m": pa.array([D("12.3400"), D("-0.0100"), D("123456789012345.6789")], pa.decimal128(20, 4)),
                "b": pa.array([-5, 7, 1 << 40], pa.int64()),
            }
        ),
    )

    # 9. Refused: a live file with a deletion vector, a variant column, an unknown reader feature.
    t = os.path.join(out, "deletion_vector")
    data = pa.table({"id": pa.array(range(10), pa.int64())})
    dv = {"storageType": "u", "pathOrInlineDv": "ab^-aqEH.-t@S}K{vb[*k^", "offset": 4, "sizeInBytes": 40,
          "cardinality": 6}
    _log(
        t,
        0,
        [
            _commit_info(),
            {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["deletionVectors"],
                          "writerFeatures": ["deletionVectors"]}},
            _metadata([_field("id", "long")], [], {"delta.enableDeletionVectors": "true"}),
            _add(t, "part-dv.parquet", data, extra={"deletionVector": dv}),
        ],
    )
    refuse("deletion_vector", "deletion vector")

    t = os.path.join(out, "variant")
    _log(
        t,
        0,
        [
            _commit_info(),
            {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7, "readerFeatures": ["variantType"],
                          "writerFeatures": ["variantType"]}},
            _metadata([_field("id", "long"), _field("v", "variant")]),
        ],
    )
    refuse("variant", "variant")

    t = os.path.join(out, "unknown_feature")
    _log(
        t,
        0,
        [
            _commit_info(),
            {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7,
                          "readerFeatures": ["timestampNtz", "catalogManaged"],
                          "writerFeatures": ["timestampNtz", "catalogManaged"]}},
            _metadata([_field("id", "long")]),
        ],
    )
    refuse("unknown_feature", "catalogManaged")

    print(json.dumps(manifest))


def _same(want, got, type_):
    """Whether lh's NDJSON value `got` shows the expected pyarrow value `want` of type `type_`."""
    if want is None or (isinstance(want, float) and want != want):
        return got is None
    if pa.types.is_timestamp(type_):
        if not isinstance(got, str):
            return False
        # A UTC timestamp ends in Z; a timestamp without time zone has no zone at all.
        if (type_.tz is not None) != got.endswith("Z"):
            return False
        return dt.datetime.fromisoformat(got.replace("Z", "+00:00")) == want
    if pa.types.is_date(type_):
        return got == want.isoformat()
    if pa.types.is_decimal(type_):
        return got is not None and not isinstance(got, str) and D(str(got)) == want
    if pa.types.is_binary(type_) or pa.types.is_large_binary(type_):
        return got == want.decode("utf-8", "replace")
    if pa.types.is_floating(type_):
        # -0.0 and 0.0 are told apart by their sign.
        return isinstance(got, (int, D)) and float(got) == want and math.copysign(1, float(got)) == math.copysign(1, want)
    if pa.types.is_boolean(type_):
        return got is want
    if pa.types.is_integer(type_):
        return isinstance(got, int) and not isinstance(got, bool) and got == want
    if pa.types.is_map(type_):
        return got == {k: v for k, v in want}
    return got == want


def check(out, name, lh_path):
    expected = pq.read_table(os.path.join(out, name + ".expected.parquet"))
    with open(lh_path, encoding="utf-8") as f:
        got = [json.loads(line, parse_float=D) for line in f if line.strip()]
    want = expected.to_pylist()
    errors = []
    if len(got) != len(want):
        errors.append(f"{name}: lh {len(got)} rows, expected {len(want)}")
    names = expected.column_names
    for row in got:
        if list(row.keys()) != names:
            errors.append(f"{name}: lh columns {list(row.keys())}, expected {names}")
            break
    key = "id" if "id" in names else None
    if key:
        got.sort(key=lambda r: (r.get(key) is None, r.get(key)))
        want.sort(key=lambda r: (r.get(key) is None, r.get(key)))
    for i, (g, w) in enumerate(zip(got, want)):
        for field in expected.schema:
            if not _same(w[field.name], g.get(field.name), field.type):
                errors.append(f"{name}: row {i} column {field.name}: lh {g.get(field.name)!r}, expected {w[field.name]!r}")
    for e in errors[:20]:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        os.makedirs(sys.argv[2], exist_ok=True)
        make(sys.argv[2])
        sys.stdout.flush()
        os._exit(0)  # deltalake may abort during interpreter teardown (tests/peers/README.md)
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        code = check(sys.argv[2], sys.argv[3], sys.argv[4])
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code or 0)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
