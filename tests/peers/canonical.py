"""lh canonical NDJSON: one exact text form for a table's rows, whoever read them.

The rules are in tests/peers/README.md; this module is their reference implementation. It uses only the
standard library, so it can be imported by scripts that run without the peer engines (the engine-specific
readers live in peers_read.py).

    canon_value(v, lh_type)           Python value (as engines return them) -> JSON text of the canonical value
    canon_timestamp_units(n, unit)    integer since the epoch in 's'|'ms'|'us'|'ns' -> canonical timestamp string
    row_line(names, json_values)      -> one NDJSON line (no newline)
    schema_json(columns)              [{"name","type","nullable"}...] -> text of a .schema.json file
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import json
import math
import re
import struct

LH_TYPES = ("boolean", "int32", "int64", "float", "double", "string", "binary", "date", "timestamp")
_DECIMAL_RE = re.compile(r"^decimal\((\d+),(\d+)\)$")

_EPOCH = _dt.datetime(1970, 1, 1)
_UNIT_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


class CanonError(ValueError):
    """A value that has no canonical form for its column type."""


def parse_type(lh_type: str):
    """Returns (kind, precision, scale): kind is one of LH_TYPES or 'decimal'."""
    if lh_type in LH_TYPES:
        return lh_type, None, None
    m = _DECIMAL_RE.match(lh_type)
    if m:
        p, s = int(m.group(1)), int(m.group(2))
        if not (1 <= p <= 76 and 0 <= s <= p):
            raise CanonError(f"bad decimal type {lh_type}")
        return "decimal", p, s
    raise CanonError(f"unknown lh type {lh_type!r}")


def json_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _float_special(x: float):
    if math.isnan(x):
        return '"NaN"'
    if math.isinf(x):
        return '"Infinity"' if x > 0 else '"-Infinity"'
    return None


def canon_double(x: float) -> str:
    x = float(x)
    return _float_special(x) or repr(x)


_F32_ROUNDS_TO_INF = 2.0**128 - 2.0**103  # FLT_MAX + half an ulp: from here on, round-to-nearest gives inf


def _f32(x: float) -> float:
    """x rounded to the nearest float32 (as IEEE 754 does; struct.pack refuses values just above FLT_MAX)."""
    if math.isfinite(x) and abs(x) >= _F32_ROUNDS_TO_INF:
        return math.copysign(math.inf, x)
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(3.4028234663852886e38, x)


def canon_float32(x: float) -> str:
    """The shortest decimal that reads back as the same float32, written the way Python's repr writes a double
    (so 0.1f -> 0.1, 1f -> 1.0, 1e-45f -> 1e-45, 3.4028235e38f -> 3.4028235e+38)."""
    x = float(x)
    special = _float_special(x)
    if special:
        return special
    x = _f32(x)  # a double that is not a float32 value is rounded to one first
    if math.isinf(x):
        raise CanonError("value too large for a float")
    for digits in range(1, 10):
        d = float(f"{x:.{digits}g}")
        if _f32(d) == x:
            return repr(d)
    return repr(x)  # unreachable: 9 significant digits always round-trip a float32


def canon_timestamp_units(n: int, unit: str) -> str:
    """n units since 1970-01-01T00:00:00Z -> 'YYYY-MM-DDTHH:MM:SS.ffffffZ', floored to microseconds."""
    per = _UNIT_PER_SECOND[unit]
    micros = (int(n) * 1_000_000) // per  # Python's // floors, also for negative values
    t = _EPOCH + _dt.timedelta(microseconds=micros)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}Z"


def canon_datetime(t: _dt.datetime) -> str:
    """An aware datetime is converted to UTC; a naive one is taken to be UTC already."""
    if t.tzinfo is not None:
        t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    delta = t - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return canon_timestamp_units(micros, "us")


def canon_decimal(v, scale: int, precision: int | None = None) -> str:
    """Exactly `scale` fraction digits; no exponent; '-' only for values below zero; never rounds."""
    if isinstance(v, _decimal.Decimal):
        if not v.is_finite():
            raise CanonError(f"decimal {v} is not finite")
        unscaled = v.scaleb(scale, context=_decimal.Context(prec=100))
        if unscaled != unscaled.to_integral_value():
            raise CanonError(f"decimal {v} has more than {scale} fraction digits")
        unscaled = int(unscaled)
    elif isinstance(v, int) and not isinstance(v, bool):
        unscaled = v * 10**scale
    else:
        raise CanonError(f"not a decimal: {v!r}")
    if precision is not None and len(str(abs(unscaled))) > precision:
        raise CanonError(f"decimal {v} does not fit decimal({precision},{scale})")
    digits = str(abs(unscaled)).rjust(scale + 1, "0")
    sign = "-" if unscaled < 0 else ""
    text = digits if scale == 0 else digits[:-scale] + "." + digits[-scale:]
    return json_string(sign + text)


def canon_value(v, lh_type: str) -> str:
    """JSON text of one value. v is what Python-facing engines return: None, bool, int, float, str,
    bytes/bytearray/memoryview, datetime.date, datetime.datetime, decimal.Decimal. Timestamps given as
    integers must go through canon_timestamp_units (the unit is not known here)."""
    if v is None:
        return "null"
    kind, precision, scale = parse_type(lh_type)
    if kind == "boolean":
        if not isinstance(v, bool):
            raise CanonError(f"not a boolean: {v!r}")
        return "true" if v else "false"
    if kind in ("int32", "int64"):
        if isinstance(v, bool) or not isinstance(v, int):
            raise CanonError(f"not an integer: {v!r}")
        bits = 32 if kind == "int32" else 64
        if not -(2 ** (bits - 1)) <= v < 2 ** (bits - 1):
            raise CanonError(f"{v} does not fit {kind}")
        return str(v)
    if kind == "double":
        return canon_double(v)
    if kind == "float":
        return canon_float32(v)
    if kind == "string":
        if not isinstance(v, str):
            raise CanonError(f"not a string: {v!r}")
        return json_string(v)
    if kind == "binary":
        if isinstance(v, str):
            raise CanonError(f"string {v!r} where binary was expected")
        return json_string("0x" + bytes(v).hex())
    if kind == "date":
        if isinstance(v, _dt.datetime) or not isinstance(v, _dt.date):
            raise CanonError(f"not a date: {v!r}")
        return json_string(f"{v.year:04d}-{v.month:02d}-{v.day:02d}")
    if kind == "timestamp":
        if not isinstance(v, _dt.datetime):
            raise CanonError(f"not a timestamp: {v!r}")
        return json_string(canon_datetime(v))
    if kind == "decimal":
        return canon_decimal(v, scale, precision)
    raise CanonError(f"unhandled type {lh_type}")


def row_line(names, json_values) -> str:
    return "{" + ",".join(json_string(n) + ":" + j for n, j in zip(names, json_values, strict=True)) + "}"


def schema_json(columns) -> str:
    """columns: iterable of dicts with name, type, nullable (in schema order)."""
    out = []
    for c in columns:
        parse_type(c["type"])
        out.append({"name": c["name"], "type": c["type"], "nullable": bool(c["nullable"])})
    if not out:
        return "[]\n"
    return "[\n" + ",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in out) + "\n]\n"


def read_schema(path):
    with open(path, encoding="utf-8") as f:
        cols = json.load(f)
    for c in cols:
        if set(c) != {"name", "type", "nullable"} or not isinstance(c["nullable"], bool):
            raise CanonError(f"{path}: bad schema entry {c!r}")
        parse_type(c["type"])
    return cols


def read_ndjson_lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if text and not text.endswith("\n"):
        raise CanonError(f"{path}: last line has no newline")
    return text.split("\n")[:-1] if text else []
