#!/usr/bin/env python3
"""Prints a Parquet file as lh canonical NDJSON, read with pyarrow (or --engine duckdb|polars), for debugging.

    dump_parquet.py [--engine pyarrow|duckdb|polars] [--schema] FILE

--schema prints the file's schema in the .schema.json form instead of the rows.
Exit 0, 1 with one line when the engine cannot read the file, 64 on bad usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))

import canonical as C  # noqa: E402
import peers_read as R  # noqa: E402


def main(argv):
    args, engine, schema = argv[1:], "pyarrow", False
    while args and args[0].startswith("--"):
        if args[0] == "--engine" and len(args) > 1 and args[1] in R.ENGINES:
            engine, args = args[1], args[2:]
        elif args[0] == "--schema":
            schema, args = True, args[1:]
        else:
            break
    if len(args) != 1:
        print("usage: dump_parquet.py [--engine pyarrow|duckdb|polars] [--schema] FILE", file=sys.stderr)
        return 64
    try:
        res = R.ENGINES[engine](args[0])
    except Exception as e:  # noqa: BLE001
        print(f"dump_parquet: {args[0]}: {engine}: {type(e).__name__}: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
    out = sys.stdout
    if schema:
        nullables = res.nullables or [True] * len(res.columns)
        out.write(C.schema_json({"name": n, "type": lt, "nullable": nb} for (n, _, lt), nb in zip(res.columns, nullables)))
    else:
        for line in res.lines:
            out.write(line + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:
        sys.exit(0)
