#!/usr/bin/env python3
"""Proves an lh-written Delta table against deltalake (delta-rs) and Polars.

    check_lh_delta.py TABLE_DIR EXPECTED.json EXPECTED.ndjson

EXPECTED.json is the snapshot lh meant to write (format in tests/peers/README.md, "Delta fixtures"); EXPECTED.ndjson
its rows in lh canonical NDJSON sorted by the int64 column `id`. Checks, each reporting its first difference:

    open       DeltaTable(TABLE_DIR) opens
    version    version() and the last JSON commit equal "version"
    protocol   protocol() equals "protocol"; partition   metadata().partition_columns equal "partitionColumns"
    schema     the table schema in lh type names equals "schema" (names, order, types, nullable)
    files      get_add_actions(flatten=True) and our own replay of the JSON commits: paths, sizes, partition values
               and numRecords equal "files"; every file_uris() entry exists with exactly add.size bytes
    stats      every add has stats; numRecords = the file's rows; nullCount exact for every non-partition column;
               minValues/maxValues exact (pyarrow over the file; timestamps = value floored to the millisecond,
               decimals and doubles numerically); may be left out only for all-null columns, strings longer than
               32 characters and float/double columns holding NaN; partition columns are not in the data files
    rows       to_pyarrow_table() and Polars read_delta() give exactly EXPECTED.ndjson; "rows" is its line count
    history    history() has one entry with an operation per version 0..version; every commit's first line is a
               commitInfo; the versions with a commitInfo equal "history_versions" (when given)
    txn        transaction_version(appId) equals each "txn" entry; the log holds no other appId
    prune      the first (smallest) non-null value of the first partition column read with
               to_pyarrow_table(partitions=[(col, "=", value)]) gives exactly that partition's rows; and an
               id = x filter (stats pruning) finds the rows for the min and max id of up to 20 files

Exit 0 when all is well; 1 with one line per failure on stdout ("TABLE_DIR: check: ..."); 64 bad usage; 66 a missing
input.
"""

from __future__ import annotations

import datetime as dt
import decimal
import fnmatch
import json
import os
import re
import sys
import warnings
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import canonical as C  # noqa: E402
import delta_common as D  # noqa: E402

os.environ.setdefault("RUST_BACKTRACE", "0")  # a Rust panic in an engine is a finding; its backtrace is noise
warnings.simplefilter("ignore")  # deltalake warns that `partitions=` is deprecated; it is what we want to test

STRING_STATS_LIMIT = 32
MAX_PRUNE_FILES = 20


def reraise_interrupts(e):
    if isinstance(e, (KeyboardInterrupt, SystemExit)):
        raise e


def short(text, n=160):
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def oneline(e):
    return short(f"{type(e).__name__}: {' '.join(str(e).split())}", 300)


class Checker:
    def __init__(self, table_dir, exp, lines):
        self.dir = table_dir
        self.exp = exp
        self.lines = lines
        self.fails = []
        self.dt = None
        self.log = None

    def fail(self, check, msg):
        self.fails.append(f"{check}: {msg}")

    def run(self):
        steps = [
            ("open", self.check_open),
            ("version", self.check_version),
            ("protocol", self.check_protocol),
            ("schema", self.check_schema),
            ("files", self.check_files),
            ("stats", self.check_stats),
            ("rows", self.check_rows),
            ("history", self.check_history),
            ("txn", self.check_txn),
            ("prune", self.check_prune),
        ]
        for name, step in steps:
            try:
                step()
            except BaseException as e:  # noqa: BLE001 - an engine refusing the table is the finding (pyo3 panics too)
                reraise_interrupts(e)
                self.fail(name, oneline(e))
        return self.fails

    # ------------------------------------------------------------------ open, version, protocol, schema

    def check_open(self):
        from deltalake import DeltaTable

        try:
            self.log = D.replay(self.dir)
        except BaseException as e:  # noqa: BLE001 - pyo3's PanicException is a BaseException
            reraise_interrupts(e)
            self.fail("open", f"cannot replay the JSON commits: {oneline(e)}")
        if self.log is not None and self.log.version < 0:
            self.fail("open", "no _delta_log/00000000000000000000.json")
        self.dt = DeltaTable(self.dir)

    def need_dt(self):
        if self.dt is None:
            raise RuntimeError("skipped: deltalake cannot open the table")
        return self.dt

    def check_version(self):
        want = self.exp["version"]
        got = self.need_dt().version()
        if got != want:
            self.fail("version", f"deltalake version() {got}, expected {want}")
        elif self.log is not None and self.log.version != want:
            self.fail("version", f"last contiguous JSON commit is {self.log.version}, expected {want}")

    def check_protocol(self):
        d = self.need_dt()
        if "protocol" in self.exp:
            p = d.protocol()
            got = {"minReaderVersion": p.min_reader_version, "minWriterVersion": p.min_writer_version}
            if got != self.exp["protocol"]:
                self.fail("protocol", f"{json.dumps(got)}, expected {json.dumps(self.exp['protocol'])}")
        got = list(d.metadata().partition_columns)
        if got != self.exp["partitionColumns"]:
            self.fail("partition", f"partitionColumns {got}, expected {self.exp['partitionColumns']}")

    def lh_schema(self):
        out = []
        for f in self.need_dt().schema().fields:
            tname = getattr(f.type, "type", None)
            lt = D.lh_type_of_delta(tname) if isinstance(tname, str) else None
            out.append({"name": f.name, "type": lt or f"unsupported:{f.type}", "nullable": bool(f.nullable)})
        return out

    def check_schema(self):
        got, want = self.lh_schema(), self.exp["schema"]
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                self.fail("schema", f"column {i}: {json.dumps(g, ensure_ascii=False)}, expected {json.dumps(w, ensure_ascii=False)}")
                return
        if len(got) != len(want):
            self.fail("schema", f"{len(got)} columns {[c['name'] for c in got]}, expected {len(want)}")

    # ------------------------------------------------------------------ files

    def deltalake_files(self):
        """get_add_actions(flatten=True) -> [{path, size, partitionValues (as log strings), numRecords}]."""
        import pyarrow as pa

        t = pa.table(self.need_dt().get_add_actions(flatten=True))
        pcols = self.exp["partitionColumns"]
        out = []
        for r in t.to_pylist():
            pv = {}
            for c in pcols:
                v = r.get(f"partition.{c}")
                if v is None:
                    pv[c] = None
                elif isinstance(v, bool):
                    pv[c] = "true" if v else "false"
                elif isinstance(v, (dt.date, int, str)) and not isinstance(v, dt.datetime):
                    pv[c] = v.isoformat() if isinstance(v, dt.date) else str(v)
                else:
                    pv[c] = str(v)
            out.append({"path": r["path"], "size": r["size_bytes"], "partitionValues": pv, "numRecords": r.get("num_records")})
        return out

    @staticmethod
    def match_files(want, got):
        """Greedy one-to-one match; an expected path may be an fnmatch pattern; size null = not compared.
        -> first difference text or None."""
        left = list(got)

        def same(w, g):
            wp = w["path"]
            if not (g["path"] == wp or (any(ch in wp for ch in "*?[") and fnmatch.fnmatchcase(g["path"], wp))):
                return False
            if w.get("size") is not None and w["size"] != g["size"]:
                return False
            if dict(w.get("partitionValues", {})) != dict(g["partitionValues"]):
                return False
            return w.get("numRecords") is None or w["numRecords"] == g["numRecords"]

        for w in sorted(want, key=lambda w: any(ch in w["path"] for ch in "*?[")):
            for i, g in enumerate(left):
                if same(w, g):
                    del left[i]
                    break
            else:
                near = [g for g in left if g["path"] == w["path"]]
                if near:
                    return f"{short(w['path'], 100)}: got {json.dumps({k: near[0][k] for k in ('size', 'partitionValues', 'numRecords')}, ensure_ascii=False)}, expected {json.dumps({k: w.get(k) for k in ('size', 'partitionValues', 'numRecords')}, ensure_ascii=False)}"
                return f"expected file {short(json.dumps(w, ensure_ascii=False), 220)} is not in the table"
        if left:
            return f"unexpected file {short(json.dumps(left[0], ensure_ascii=False), 220)}"
        return None

    def check_files(self):
        want = self.exp["files"]
        diff = self.match_files(want, self.deltalake_files())
        if diff:
            self.fail("files", f"deltalake: {diff}")
        if self.log is not None:
            mine = []
            for path, add in self.log.files.items():
                st = D.stats_of(add) or {}
                mine.append({"path": path, "size": add["size"], "partitionValues": add["partitionValues"], "numRecords": st.get("numRecords")})
            diff = self.match_files(want, mine)
            if diff:
                self.fail("files", f"log replay: {diff}")
        sizes = {os.path.abspath(os.path.join(self.dir, D.decode_path(p))): a["size"] for p, a in (self.log.files.items() if self.log else [])}
        for uri in self.need_dt().file_uris():
            local = uri[len("file://") :] if uri.startswith("file://") else uri
            local = os.path.abspath(local)
            if not os.path.isfile(local):
                self.fail("files", f"{short(local)} (from file_uris()) does not exist")
                return
            real = os.path.getsize(local)
            if local in sizes and sizes[local] != real:
                self.fail("files", f"{short(local)}: add.size {sizes[local]}, the file has {real} bytes")
                return
            if local not in sizes and self.log is not None:
                self.fail("files", f"file_uris() gives {short(local)}, which no add.path decodes to")
                return

    # ------------------------------------------------------------------ stats

    def check_stats(self):
        import pyarrow.parquet as pq

        if self.log is None:
            raise RuntimeError("skipped: no log")
        schema = self.exp["schema"]
        pcols = set(self.exp["partitionColumns"])
        for path in sorted(self.log.files):
            add = self.log.files[path]
            local = os.path.join(self.dir, D.decode_path(path))
            where = short(path, 100)
            st = D.stats_of(add)
            if st is None:
                self.fail("stats", f"{where}: no stats")
                return
            if not os.path.isfile(local):
                self.fail("stats", f"{where}: data file missing")
                return
            table = pq.read_table(local)
            if st.get("numRecords") != table.num_rows:
                self.fail("stats", f"{where}: numRecords {st.get('numRecords')}, the file has {table.num_rows} rows")
                return
            for c in sorted(pcols & set(table.column_names)):
                self.fail("stats", f"{where}: the data file holds partition column {c} (delta-rs/Spark leave it out)")
                return
            mins, maxs, nulls = st.get("minValues") or {}, st.get("maxValues") or {}, st.get("nullCount") or {}
            for col in schema:
                name = col["name"]
                if name in pcols:
                    continue
                msg = self.column_stats(col, table, mins, maxs, nulls)
                if msg:
                    self.fail("stats", f"{where}: column {name}: {msg}")
                    return

    @staticmethod
    def column_stats(col, table, mins, maxs, nulls):
        import pyarrow as pa
        import pyarrow.compute as pc

        name, lt = col["name"], col["type"]
        kind = C.parse_type(lt)[0] if not lt.startswith("unsupported") else None
        if name not in table.column_names:
            # an older file written before the column existed: all null; stats may leave it out
            if name in nulls and nulls[name] != table.num_rows:
                return f"nullCount {nulls[name]}, but the file lacks the column ({table.num_rows} rows)"
            return None
        arr = table.column(name)
        if name not in nulls:
            return "no nullCount"
        if nulls[name] != arr.null_count:
            return f"nullCount {nulls[name]}, the file has {arr.null_count} nulls"
        values = arr.drop_null()
        has_nan = False
        if kind in ("float", "double"):
            nan = pc.is_nan(values)
            has_nan = pc.any(nan).as_py() or False
            values = values.filter(pc.invert(nan))
        if len(values) == 0:
            for which, d in (("minValues", mins), ("maxValues", maxs)):
                if d.get(name) is not None:
                    return f"{which} {d[name]!r} for a column without non-null values"
            return None
        if kind == "timestamp":
            ints = values.cast(pa.int64())
            unit = values.type.unit
            per = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
            real = {"min": pc.min(ints).as_py() * 1_000_000 // per, "max": pc.max(ints).as_py() * 1_000_000 // per}
        else:
            mm = pc.min_max(values)
            real = {"min": mm["min"].as_py(), "max": mm["max"].as_py()}
        for which, d in (("min", mins), ("max", maxs)):
            r = real[which]
            if name not in d or d[name] is None:
                if kind == "string" and len(r) > STRING_STATS_LIMIT:
                    continue
                if has_nan or kind == "binary":
                    continue
                return f"no {which}Values"
            s = d[name]
            if kind == "binary":
                continue  # not written by lh; delta-rs's form is not pinned down here
            ok, shown = stat_equals(kind, s, r)
            if not ok:
                return f"{which}Values {json.dumps(s, default=str, ensure_ascii=False)}, the file's {which} is {shown}"
        return None

    # ------------------------------------------------------------------ rows

    def check_rows(self):
        import polars as pl

        if self.exp.get("rows") is not None and self.exp["rows"] != len(self.lines):
            self.fail("rows", f'"rows" {self.exp["rows"]} but EXPECTED.ndjson has {len(self.lines)} lines')
        try:
            got = D.canon_sorted(self.need_dt().to_pyarrow_table())
            self.compare("rows", "deltalake", got)
        except BaseException as e:  # noqa: BLE001 - pyo3's PanicException is a BaseException
            reraise_interrupts(e)
            self.fail("rows", f"deltalake: cannot read: {oneline(e)}")
        try:
            got = D.canon_polars_sorted(pl.read_delta(self.dir))
            self.compare("rows", "polars", got)
        except BaseException as e:  # noqa: BLE001 - pyo3's PanicException is a BaseException
            reraise_interrupts(e)
            self.fail("rows", f"polars: cannot read: {oneline(e)}")

    def compare(self, check, engine, got, want=None):
        want = self.lines if want is None else want
        if got == want:
            return
        for i, (w, g) in enumerate(zip(want, got)):
            if w != g:
                wd, gd = json.loads(w), json.loads(g)
                if list(wd) != list(gd):
                    self.fail(check, f"{engine}: row {i}: columns {list(gd)}, expected {list(wd)}")
                    return
                for k in wd:
                    if json.dumps(wd[k]) != json.dumps(gd[k]):
                        self.fail(check, f"{engine}: row {i} column {k}: expected {short(json.dumps(wd[k], ensure_ascii=False))} got {short(json.dumps(gd[k], ensure_ascii=False))}")
                        return
                self.fail(check, f"{engine}: row {i}: expected {short(w)} got {short(g)}")
                return
        self.fail(check, f"{engine}: {len(got)} rows, expected {len(want)}")

    # ------------------------------------------------------------------ history, txn

    def check_history(self):
        version = self.exp["version"]
        for v in range(version + 1):
            p = D.commit_path(self.dir, v)
            if not os.path.isfile(p):
                self.fail("history", f"{os.path.basename(p)} is missing")
                return
            with open(p, encoding="utf-8") as f:
                first = f.readline()
            try:
                kind = next(iter(json.loads(first)))
            except (ValueError, StopIteration):
                kind = None
            if kind != "commitInfo":
                self.fail("history", f"version {v}: first line is {short(first.strip(), 80)!s}, not a commitInfo")
                return
        if self.log is not None and "history_versions" in self.exp and self.log.commit_infos != self.exp["history_versions"]:
            self.fail("history", f"versions with a commitInfo {self.log.commit_infos}, expected {self.exp['history_versions']}")
        hist = self.need_dt().history()
        got = sorted(h.get("version") for h in hist)
        if got != list(range(version + 1)):
            self.fail("history", f"history() versions {short(got)}, expected 0..{version}")
            return
        for h in hist:
            if not h.get("operation"):
                self.fail("history", f"history() version {h.get('version')} has no operation")
                return

    def check_txn(self):
        want = self.exp.get("txn") or {}
        d = self.need_dt()
        for app, v in sorted(want.items()):
            got = d.transaction_version(app)
            if got != v:
                self.fail("txn", f"transaction_version({app!r}) = {got}, expected {v}")
        if self.log is not None and self.log.txn != want:
            extra = sorted(set(self.log.txn) - set(want))
            if extra:
                self.fail("txn", f"the log has txn for {extra}, not expected")
            elif not self.fails or not self.fails[-1].startswith("txn:"):
                self.fail("txn", f"log replay txn {json.dumps(self.log.txn)}, expected {json.dumps(want)}")

    # ------------------------------------------------------------------ pruning

    def check_prune(self):
        import pyarrow.parquet as pq

        d = self.need_dt()
        pcols = self.exp["partitionColumns"]
        names = [c["name"] for c in self.exp["schema"]]
        types = {c["name"]: c["type"] for c in self.exp["schema"]}
        if pcols:
            col = pcols[0]
            values = sorted({f["partitionValues"].get(col) for f in self.exp["files"]} - {None, ""})
            if values and types.get(col) in ("date", "string", "int32", "int64", "boolean"):
                value = values[0]
                canon = C.json_string(value) if types[col] in ("date", "string") else value
                want = [ln for ln in self.lines if json.dumps(json.loads(ln)[col], ensure_ascii=False) == canon]
                got = D.canon_sorted(d.to_pyarrow_table(partitions=[(col, "=", value)]))
                self.compare("prune", f"partitions=[({col!r}, '=', {value!r})]", got, want)
        if "id" not in names or self.log is None:
            return
        by_id = {json.loads(ln)["id"]: ln for ln in self.lines}
        ids = set()
        for path in sorted(self.log.files)[:MAX_PRUNE_FILES]:
            local = os.path.join(self.dir, D.decode_path(path))
            if os.path.isfile(local):
                col = pq.read_table(local, columns=["id"]).column("id").drop_null().to_pylist()
                if col:
                    ids |= {min(col), max(col)}
        for x in sorted(ids):
            got = D.canon_sorted(d.to_pyarrow_table(filters=[("id", "=", x)]))
            want = [by_id[x]] if x in by_id else []
            if got != want:
                self.fail("prune", f"filters=[('id', '=', {x})]: {len(got)} rows, expected {len(want)} (wrong stats prune files)")
                return


_TS_STAT = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def ts_stat_micros(s):
    m = _TS_STAT.match(s) if isinstance(s, str) else None
    if not m:
        raise ValueError(f"timestamp stat {s!r} is not ISO-8601 with a zone")
    y, mo, d, h, mi, se, frac, zone = m.groups()
    t = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(se))
    us = ((t - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)) + int((frac or "0").ljust(9, "0")) // 1000
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        us -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60) * 1_000_000
    return us


def stat_equals(kind, s, r):
    """-> (equal, the real value as shown in a message)."""
    if kind == "timestamp":
        want_us = r // 1000 * 1000  # delta-rs writes milliseconds, truncated down
        shown = f"{C.canon_timestamp_units(r, 'us')} (stats want {C.canon_timestamp_units(want_us, 'us')[:-4]}Z)"
        try:
            return ts_stat_micros(s) == want_us, shown
        except ValueError:
            return False, shown
    if kind == "date":
        return s == r.isoformat(), r.isoformat()
    if kind == "boolean":
        return s is r, json.dumps(r)
    if kind in ("int32", "int64"):
        return isinstance(s, int) and not isinstance(s, bool) and s == r, str(r)
    if kind == "decimal":
        ok = isinstance(s, (int, decimal.Decimal)) and not isinstance(s, bool) and decimal.Decimal(s) == r
        return ok, str(r)
    if kind == "double":
        ok = isinstance(s, (int, decimal.Decimal)) and not isinstance(s, bool) and float(s) == r
        return ok, repr(r)
    if kind == "float":
        ok = isinstance(s, (int, decimal.Decimal)) and not isinstance(s, bool) and C._f32(float(s)) == r
        return ok, repr(r)
    if kind == "string":
        return s == r, json.dumps(r, ensure_ascii=False)
    return False, f"{r!r} (type {kind} not checked)"


def main(argv):
    if len(argv) != 4:
        print("usage: check_lh_delta.py TABLE_DIR EXPECTED.json EXPECTED.ndjson", file=sys.stderr)
        return 64
    table_dir, exp_path, nd_path = argv[1:]
    if not os.path.isdir(table_dir):
        print(f"check_lh_delta: {table_dir}: no such directory", file=sys.stderr)
        return 66
    for p in (exp_path, nd_path):
        if not os.path.isfile(p):
            print(f"check_lh_delta: {p}: no such file", file=sys.stderr)
            return 66
    try:
        with open(exp_path, encoding="utf-8") as f:
            exp = json.load(f)
        for key in ("version", "partitionColumns", "schema", "files"):
            if key not in exp:
                raise ValueError(f"{exp_path}: no {key!r}")
        lines = C.read_ndjson_lines(nd_path)
        fails = Checker(table_dir, exp, lines).run()
    except (C.CanonError, ValueError) as e:
        fails = [f"check_lh_delta: {e}"]
    for f in fails:
        print(f"{table_dir}: {f}")
    return 1 if fails else 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: with deltalake's and Polars' Rust runtimes both loaded it sometimes aborts
    # ("terminate called without an active exception") or segfaults after all the work is done.
    os._exit(code)
