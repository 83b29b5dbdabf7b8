#!/usr/bin/env python3
"""lh soak driver: the README's cron pattern, run for a while with faults, checked every cycle.

Usage: tests/soak/soak.py [--duration 30m] [--step 1h] [--seed N] [--dir DIR] [--keep] BIN_DIR

BIN_DIR holds the built lh-* tools (as for scripts/demo.sh). Each cycle is one cron minute,
a few seconds of real time, in a fresh lake under DIR (default: a new temporary directory):

  writers    lh-gen makes the cycle's events (event clock: --step per cycle, from 2025-01-01);
             part is written to spool/events-NNNNNN.ndjson.tmp and renamed into place, the rest
             is appended to spool/stream-YYYYMMDD.ndjson in chunks that cut lines, both while
             lh-bronze runs (--writer picks one of the two; --writers-first waits for them)
  land       lh-bronze over the spool (the README's cron line)      } each sometimes as two
  refine     lh-silver                                              } copies started together
  gold       lh-gold                                                } (--overlap-rate)
  archive    once a simulated day, before refine: lh-pack archive --table silver/events
             --before DAY-1 --remove -o archive-N.tar.zst (gold is kept: it must outlive silver)
  compact    once a simulated day, last: lh-pack compact, then lh-pack vacuum --retain 60s
             --apply
  hourly     every --compact-every cycles (a scaled hourly cron line): lh-pack compact, then
             lh-pack vacuum --apply (data files and, past delta.logRetentionDuration, the log)
  log        every table is set, as soon as it exists, to checkpoint every
             --checkpoint-interval commits and to keep its log --log-retention (table
             properties delta.checkpointInterval and delta.logRetentionDuration, written as a
             metaData commit the way any Delta writer sets them), so that a run crosses many
             checkpoints and log cleanups
  kill       now and then (--kill-rate) one stage, a random copy, gets SIGKILL at a random
             moment of its expected run time; exit 137 is expected of it, and the next cycle
             must recover

After every cycle it checks, and stops at the first violation with one line saying which
(exit status 1, the work directory kept):

  status     every stage exited 0, except one we killed
  bronze     bronze rows <= complete lines written (nothing twice, no cut line), and >= the
             complete lines in the spool when the landing started (unless it was killed)
  reconcile  `lh-report status --check` exits 0 (bronze = silver + rejects + duplicates), and
             silver has refined every bronze row (unless it was killed)
  gold       each gold table equals a rebuild (`lh-gold --rebuild` on a copy of the lake,
             rows compared as sorted `lh-report --format ndjson` lines; unless gold was killed)
  history    the gold rows of days archived out of silver never change
  flat       at the end: per stage, the median time and peak RSS of the last quarter of its runs
             against the first quarter's (each at least 0.1 s and 32 MiB, against noise); more
             than --max-growth (default 3) times is a failure (stages with fewer than 8 runs
             are shown, not judged)

At the end, faults stop, one clean cycle drains the spool, and the checks run once more, plus:
bronze's lines are exactly the lines written (as a multiset), and the reconciliation equals
lh-gen's own counts of events, duplicates and malformed lines.

Every cycle prints one line: wall time, lines written, bronze rows, and each stage's time and
peak RSS (from wait4's rusage, so no /usr/bin/time is needed); a summary follows at the end.

Environment: SOAK_DURATION, SOAK_STEP, SOAK_SEED, SOAK_DIR give the flags' defaults. The same
seed gives the same events, kills and overlaps (their moments follow the measured run times).

Adapting: the commands are the LAND, REFINE, GOLD, ARCHIVE, COMPACT and VACUUM lists at the top;
when the README's cron lines change (a directory argument for lh-bronze, a flag for overlapping
runs), change them there. What each check reads is in Soak.status and Soak.gold_rows.

Python 3 and its standard library only: threads for the writers and the overlapping copies, a
small wrapper process per tool for its exact peak RSS and a kill with no pid race (see Proc),
which POSIX sh cannot give; a Swift executable would add a product to the package for a test.
"""

import argparse
import glob
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

# The commands each cycle runs. `{lake}`, `{spool}` and the like are filled in; an argument with
# `*` is expanded as sh would (sorted, kept literally when nothing matches). When a fix changes
# what the README recommends (a directory argument for lh-bronze, a flag for overlapping runs),
# change it here and in the README's cron lines together.
LAND = ["lh-bronze", "--lake", "{lake}", "--quiet", "{spool}/"]
REFINE = ["lh-silver", "--lake", "{lake}", "--quiet"]
GOLD = ["lh-gold", "--lake", "{lake}", "--quiet"]
ARCHIVE = ["lh-pack", "archive", "--lake", "{lake}", "--table", "silver/events",
           "--before", "{before}", "--remove", "-o", "{archive}", "--quiet"]
COMPACT = ["lh-pack", "compact", "--lake", "{lake}", "--quiet"]
VACUUM = ["lh-pack", "vacuum", "--lake", "{lake}", "--retain", "{retain}", "--apply", "--quiet"]
# The checks' own commands.
GENERATE = ["lh-gen", "--count", "{count}", "--duration", "{step}", "--start", "{start}",
            "--seed", "{seed}", "--late", "0.01", "--duplicates", "0.005", "--malformed", "0.002"]
STATUS = ["lh-report", "status", "--lake", "{lake}", "--check", "--format", "ndjson"]
REBUILD = ["lh-gold", "--lake", "{lake}", "--rebuild", "--quiet"]
ROWS = ["lh-report", "--lake", "{lake}", "{table}", "--format", "ndjson"]
GOLD_ROWS = ["lh-report", "--lake", "{lake}", "--format", "ndjson"]  # every gold table, "table" set

EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
GEN_COUNTS = re.compile(rb"(\d+) events .* (\d+) duplicates, (\d+) malformed")


class Violation(Exception):
    """An invariant did not hold: the message is the one-line reason."""


def duration(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 60s, 30m, 1h)")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return float(m.group(1)) * scale


def fill(template, **values):
    out = []
    for arg in template:
        arg = arg.format(**values)
        if "*" in arg:
            matches = sorted(glob.glob(arg))
            out.extend(matches if matches else [arg])
        else:
            out.append(arg)
    return out


class Proc:
    """One run of a tool: its exit status, wall time and peak RSS, and whether we killed it.

    The tool runs under a small copy of this script (`--exec-one`), which starts it, kills it
    after `kill_after` seconds if asked, and reports its status and peak RSS. A child keeps the
    memory high-water mark of the process it was forked from across exec, so a tool started by
    the driver itself would report at least the driver's own size; started by a fresh, small
    Python it reports its own peak (or that Python's few MiB, whichever is higher). Being the
    tool's parent, the wrapper also kills it with no risk of hitting a reused pid.
    """

    def __init__(self, stage, argv, env, kill_after=None):
        self.stage = stage
        self.argv = argv
        self.err = tempfile.TemporaryFile()
        self.report = tempfile.NamedTemporaryFile(prefix="lh-soak-run-", delete=False)
        self.report.close()
        wrapper = [sys.executable, os.path.abspath(__file__), "--exec-one", self.report.name,
                   "-1" if kill_after is None else f"{kill_after:.3f}", "--"]
        self.proc = subprocess.Popen(wrapper + argv, env=env, stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        self.status = None

    def wait(self):
        if self.status is not None:
            return self.status
        self.proc.wait()
        try:
            with open(self.report.name) as f:
                report = json.load(f)
        except (OSError, ValueError):
            report = {"status": 70, "seconds": 0, "rss_kib": 0, "killed": False}
        finally:
            os.unlink(self.report.name)
        self.status = report["status"]
        self.seconds = report["seconds"]
        self.rss_kib = report["rss_kib"]
        self.killed = report["killed"]
        return self.status

    def stderr_tail(self):
        self.err.seek(0)
        lines = [l for l in self.err.read().decode("utf-8", "replace").splitlines() if l.strip()]
        return lines[-1] if lines else "(nothing on stderr)"


def exec_one(report, kill_after, argv):
    """The wrapper's side of Proc: run argv, kill it after kill_after seconds (if >= 0)."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(argv)
    except OSError as e:
        print(f"soak: {argv[0]}: {e.strerror}", file=sys.stderr)
        code, killed = 127, False
    else:
        killed = False
        try:
            proc.wait(timeout=kill_after if kill_after >= 0 else None)
        except subprocess.TimeoutExpired:
            proc.kill()
            killed = True
            proc.wait()
        code = proc.returncode
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(report, "w") as f:
        json.dump({"status": 128 - code if code < 0 else code,
                   "seconds": time.monotonic() - started, "rss_kib": usage.ru_maxrss,
                   "killed": killed and code == -signal.SIGKILL}, f)
    return 0


class Spool:
    """The writers' side: what has been written to the spool, line by line."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.complete = {}  # file name -> complete lines in it (visible files only)
        self.written = 0  # complete lines written, .tmp files included

    def visible_complete(self):
        with self.lock:
            return sum(self.complete.values())

    def total(self):
        with self.lock:
            return self.written

    def write_renamed(self, name, lines, rng, spread):
        """Writes `name`.tmp in chunks over `spread` seconds, then renames it to `name`."""
        final = os.path.join(self.path, name)
        tmp = final + ".tmp"
        data = b"".join(l + b"\n" for l in lines)
        with open(tmp, "wb") as f:
            for chunk in chunks(data, rng):
                f.write(chunk)
                f.flush()
                time.sleep(rng.uniform(0, spread / 8))
            os.fsync(f.fileno())
        os.rename(tmp, final)
        with self.lock:
            self.complete[name] = len(lines)
            self.written += len(lines)

    def append(self, name, lines, rng, spread):
        """Appends `lines` to `name` in chunks that cut lines, pausing between chunks."""
        if not lines:
            return
        final = os.path.join(self.path, name)
        data = b"".join(l + b"\n" for l in lines)
        fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            for chunk in chunks(data, rng):
                os.write(fd, chunk)
                newlines = chunk.count(b"\n")
                with self.lock:
                    self.complete[name] = self.complete.get(name, 0) + newlines
                    self.written += newlines
                time.sleep(rng.uniform(0, spread / 8))
        finally:
            os.close(fd)


def chunks(data, rng):
    """Splits `data` into 2 to 9 chunks at random byte offsets (so most cut a line)."""
    if not data:
        return []
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 8))))
    bounds = [0] + cuts + [len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


class Stats:
    def __init__(self):
        self.runs = {}  # stage -> [(cycle, seconds, rss_kib)]

    def add(self, cycle, proc):
        self.runs.setdefault(proc.stage, []).append((cycle, proc.seconds, proc.rss_kib))


class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.bin = os.path.abspath(args.bin)
        self.dir = args.dir
        self.lake = os.path.join(self.dir, "lake")
        self.spool_dir = os.path.join(self.dir, "spool")
        os.makedirs(self.spool_dir, exist_ok=True)
        self.spool = Spool(self.spool_dir)
        self.env = dict(os.environ)
        self.env["PATH"] = self.bin + os.pathsep + self.env.get("PATH", "/usr/bin:/bin")
        self.env.pop("LH_LAKE", None)
        self.step = timedelta(seconds=args.step)
        self.cycles_per_day = max(1, round(86400 / args.step))
        self.gen_totals = [0, 0, 0]  # events, duplicates, malformed
        self.stats = Stats()
        self.expected_time = {}  # stage -> recent wall time, to aim kills
        self.frozen = []  # (before day, {table: sorted rows of days before it})
        self.kills = {}  # stage -> kills that hit
        self.missed_kills = 0
        self.overlaps = 0
        self.maintenance = {"archive": 0, "compact": 0, "vacuum": 0}
        self.configured = set()  # tables given the soak's log properties
        self.cycle = 0
        self.started = time.monotonic()

    # -- running tools -------------------------------------------------------------------

    def tool(self, template, **values):
        return fill(template, lake=self.lake, spool=self.spool_dir, **values)

    def check_output(self, argv, what, ok=(0,)):
        r = subprocess.run(argv, env=self.env, capture_output=True)
        if r.returncode not in ok:
            last = r.stderr.decode("utf-8", "replace").strip().splitlines()
            raise Violation(
                f"{what}: {' '.join(argv[:2])} exited {r.returncode}: {last[-1] if last else ''}")
        return r

    def stage(self, stage, template, copies=1, kill=None, **values):
        """Starts `copies` runs of one stage together, kills one if asked, and waits for all."""
        victim = self.rng.randrange(copies) if kill is not None else -1
        procs = [Proc(stage, self.tool(template, **values), self.env,
                      kill if i == victim else None) for i in range(copies)]
        for p in procs:
            p.wait()
        for p in procs:
            self.stats.add(self.cycle, p)
            if not p.killed:
                prev = self.expected_time.get(stage, p.seconds)
                self.expected_time[stage] = 0.7 * prev + 0.3 * p.seconds
        return procs

    # -- one cycle -------------------------------------------------------------------------

    def generate(self, start):
        seed = self.args.seed * 100003 + self.cycle
        argv = self.tool(GENERATE, count=self.args.lines, step=f"{int(self.args.step)}s",
                         start=start.strftime("%Y-%m-%dT%H:%M:%SZ"), seed=seed)
        r = self.check_output(argv, "writer")
        m = GEN_COUNTS.search(r.stderr)
        if not m:
            raise Violation(f"writer: cannot read lh-gen's counts in {r.stderr[-200:]!r}")
        for i in range(3):
            self.gen_totals[i] += int(m.group(i + 1))
        lines = r.stdout.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return lines

    def run_cycle(self, faults):
        rng = self.rng
        start = EPOCH + self.step * self.cycle
        day = start.date()
        lines = self.generate(start)
        split = {"both": rng.randint(0, len(lines)), "rename": len(lines), "append": 0}[
            self.args.writer]
        spread = max(0.2, self.expected_time.get("land", 0.5))

        stages = ["land", "refine", "gold"]
        archive_due = self.cycle % self.cycles_per_day == self.cycles_per_day // 2
        before = day - timedelta(days=1)  # late events lag 10 minutes at most
        archive_due = archive_due and before > EPOCH.date()
        compact_due = self.cycle % self.cycles_per_day == 0 and self.cycle > 0
        every = self.args.compact_every
        compact_due = compact_due or (every > 0 and self.cycle > 0 and self.cycle % every == 0)
        self.configure_log()
        if archive_due:
            stages.append("archive")
        if compact_due:
            stages += ["compact", "vacuum"]
        kill_stage = rng.choice(stages) if faults and rng.random() < self.args.kill_rate else None

        def kill_at(stage):
            if stage != kill_stage:
                return None
            return rng.uniform(0, 1.3 * self.expected_time.get(stage, 0.5))

        def copies():
            if faults and rng.random() < self.args.overlap_rate:
                self.overlaps += 1
                return 2
            return 1

        results = []
        # Writers and landing run together.
        writers = [
            threading.Thread(target=self.spool.write_renamed,
                             args=(f"events-{self.cycle:06d}.ndjson", lines[:split],
                                   random.Random(rng.random()), spread)),
            threading.Thread(target=self.spool.append,
                             args=(f"stream-{day.strftime('%Y%m%d')}.ndjson", lines[split:],
                                   random.Random(rng.random()), spread)),
        ]
        for w in writers:
            w.start()
        if self.args.writers_first:
            for w in writers:
                w.join()
        else:
            time.sleep(rng.uniform(0, spread / 4))
        lower = self.spool.visible_complete()
        land = self.stage("land", LAND, copies(), kill_at("land"))
        results.append(land)
        for w in writers:
            w.join()
        # The archive runs between landing and refining, so that this cycle's lh-gold sees what
        # it removed from silver; compaction and vacuum run last, as a nightly job would.
        if archive_due:
            self.freeze(before)
            archive = os.path.join(self.dir, f"archive-{self.cycle:06d}.tar.zst")
            results.append(self.stage("archive", ARCHIVE, 1, kill_at("archive"),
                                      before=before.isoformat(), archive=archive))
            self.maintenance["archive"] += 1
        results.append(self.stage("refine", REFINE, copies(), kill_at("refine")))
        results.append(self.stage("gold", GOLD, copies(), kill_at("gold")))
        if compact_due:
            results.append(self.stage("compact", COMPACT, 1, kill_at("compact")))
            results.append(self.stage("vacuum", VACUUM, 1, kill_at("vacuum"),
                                      retain=f"{int(self.args.retain)}s"))
            self.maintenance["compact"] += 1
            self.maintenance["vacuum"] += 1

        killed = {p.stage for ps in results for p in ps if p.killed}
        if kill_stage is not None:
            if kill_stage in killed:
                self.kills[kill_stage] = self.kills.get(kill_stage, 0) + 1
            else:
                self.missed_kills += 1
        line = self.cycle_line(start, results, killed)
        failed = [f"{p.stage} ({' '.join(os.path.basename(a) for a in p.argv[:2])}) exited "
                  f"{p.status}: {p.stderr_tail()}"
                  for ps in results for p in ps if p.status != 0 and not p.killed]
        if failed:
            print(line, flush=True)
            raise Violation("status: " + "; ".join(failed))
        t = time.monotonic()
        try:
            bronze = self.check(lower=None if "land" in killed else lower,
                                silver_current="refine" not in killed,
                                gold_current="gold" not in killed)
        except Violation:
            print(f"{line} | check FAILED", flush=True)
            raise
        check_seconds = time.monotonic() - t
        print(f"{line} bronze {bronze} check {check_seconds:.2f}s", flush=True)

    def cycle_line(self, start, results, killed):
        parts = [f"[{time.monotonic() - self.started:7.1f}s] cycle {self.cycle:4d}"
                 f" {start.strftime('%Y-%m-%dT%H:%MZ')} lines {self.spool.total()}"]
        for ps in results:
            secs = max(p.seconds for p in ps)
            rss = max(p.rss_kib for p in ps) / 1024
            mark = f"x{len(ps)}" if len(ps) > 1 else ""
            mark += "".join(f" KILLED@{p.seconds:.2f}s" for p in ps if p.killed)
            parts.append(f"{ps[0].stage} {secs:.2f}s {rss:.0f}M{mark}")
        return " | ".join(parts)

    # -- checks ----------------------------------------------------------------------------

    def status(self):
        r = self.check_output(self.tool(STATUS), "reconcile", ok=(0, 1))
        tables, recon = {}, None
        for raw in r.stdout.splitlines():
            # Parsed by hand-picked keys: the NDJSON repeats "table" (issue 14 item 8).
            row = json.loads(raw)
            if "bronze_rows" in row:
                recon = row
            elif "rows" in row:
                tables[row["table"]] = row["rows"]
        if r.returncode != 0:
            raise Violation(f"reconcile: lh-report status --check exited {r.returncode}: {recon}")
        if recon is None:
            raise Violation("reconcile: lh-report status printed no reconciliation")
        return tables, recon

    def gold_rows(self, lake):
        """Each gold table's rows as sorted NDJSON lines, from one `lh-report` of them all."""
        if not os.path.isdir(os.path.join(lake, "gold")):
            return {}
        r = self.check_output(fill(GOLD_ROWS, lake=lake), "gold")
        out = {table: [] for table in os.listdir(os.path.join(lake, "gold"))}
        for raw in r.stdout.splitlines():
            out.setdefault(json.loads(raw).get("table"), []).append(raw)
        return {table: sorted(rows) for table, rows in out.items()}

    def check(self, lower, silver_current, gold_current, final=False):
        written = self.spool.total()
        tables, recon = self.status()
        bronze = tables.get("bronze/events", 0)
        if bronze > written:
            raise Violation(f"bronze: {bronze} rows for {written} complete lines written "
                            f"({bronze - written} landed twice or cut)")
        if lower is not None and bronze < lower:
            raise Violation(f"bronze: {bronze} rows, but {lower} complete lines were in the "
                            f"spool when the landing started ({lower - bronze} not landed)")
        if silver_current and recon["bronze_rows"] != bronze:
            raise Violation(f"reconcile: silver refined {recon['bronze_rows']} bronze rows of "
                            f"{bronze} after a clean lh-silver run")
        live = self.gold_rows(self.lake)
        if gold_current and live:
            copy = os.path.join(self.dir, "rebuild", "lake")
            shutil.rmtree(os.path.dirname(copy), ignore_errors=True)
            shutil.copytree(self.lake, copy, copy_function=link_or_copy)
            self.check_output(fill(REBUILD, lake=copy), "gold rebuild")
            rebuilt = self.gold_rows(copy)
            for table in sorted(set(live) | set(rebuilt)):
                a, b = live.get(table, []), rebuilt.get(table, [])
                if a != b:
                    raise Violation(f"gold: gold/{table} differs from a rebuild: "
                                    + difference(a, b, "the lake", "the rebuild"))
        for before, snapshot in self.frozen:
            for table, rows in snapshot.items():
                now = [r for r in live.get(table, []) if row_day(r) < before]
                if now != rows:
                    raise Violation(f"history: gold/{table}'s days before {before} (archived out "
                                    f"of silver) changed: "
                                    + difference(rows, now, "before the archive", "now"))
        if final:
            self.final_checks(bronze, recon)
        return bronze

    def freeze(self, before):
        """Records the gold rows of the days the coming archive takes out of silver."""
        live = self.gold_rows(self.lake)
        snapshot = {t: [r for r in rows if row_day(r) < before.isoformat()]
                    for t, rows in live.items()}
        # A later archive covers the earlier days too: keep only the widest snapshot.
        self.frozen = [(before.isoformat(), snapshot)]

    def final_checks(self, bronze, recon):
        # The spool files are the record of what was written: the writers are done, and every
        # file ends with a whole line.
        written = []
        for name in sorted(os.listdir(self.spool_dir)):
            with open(os.path.join(self.spool_dir, name), "rb") as f:
                data = f.read()
            if not data:
                continue  # a cycle that wrote no lines leaves an empty file
            if not data.endswith(b"\n"):
                raise Violation(f"writer: spool/{name} does not end with a whole line")
            written.extend(data[:-1].split(b"\n"))
        if len(written) != self.spool.total():
            raise Violation(f"writer: the spool holds {len(written)} lines, "
                            f"{self.spool.total()} were written")
        if bronze != len(written):
            raise Violation(f"bronze: {bronze} rows after the final landing, "
                            f"{len(written)} lines written")
        r = self.check_output(self.tool(ROWS, table="bronze/events"), "bronze")
        landed = []
        for raw in r.stdout.splitlines():
            row = json.loads(raw)
            landed.append(row["line"] if row["line"] is not None else row["line_bytes"])
        # Lines that are not UTF-8 come back with U+FFFD for each bad sequence, as Python's
        # "replace" decoding makes them.
        expected = sorted(l.decode("utf-8", "replace") for l in written)
        landed.sort()
        if landed != expected:
            raise Violation("bronze: the landed lines are not the lines written: "
                            + difference(landed, expected, "bronze", "the spool"))
        events, duplicates, malformed = self.gen_totals
        got = (recon["silver_rows"], recon["duplicates"], recon["rejects"])
        if got != (events, duplicates, malformed):
            raise Violation(f"reconcile: silver {got[0]}, duplicates {got[1]}, rejects {got[2]}; "
                            f"lh-gen wrote {events} events, {duplicates} duplicates, "
                            f"{malformed} malformed")

    # -- the log's properties ------------------------------------------------------------

    def configure_log(self):
        """Sets delta.checkpointInterval and delta.logRetentionDuration on every table that
        exists and has not been set yet: a commit with the latest metaData and those two
        properties, published as lh publishes commits (link(2) of a complete temporary file,
        which fails if the version exists). Runs between cycles, when no tool writes."""
        if self.args.checkpoint_interval <= 0:
            return
        wanted = {"delta.checkpointInterval": str(self.args.checkpoint_interval),
                  "delta.logRetentionDuration": f"interval {int(self.args.log_retention)} seconds"}
        for log in sorted(glob.glob(os.path.join(self.lake, "*", "*", "_delta_log"))):
            if log in self.configured:
                continue
            versions = sorted(int(f[:20]) for f in os.listdir(log)
                              if f.endswith(".json") and f[:20].isdigit())
            meta = None
            for v in reversed(versions):
                with open(os.path.join(log, "%020d.json" % v)) as f:
                    for line in f:
                        o = json.loads(line) if line.strip() else {}
                        if "metaData" in o:
                            meta = o["metaData"]
                if meta is not None:
                    break
            if meta is None:
                continue  # only in a checkpoint: leave it as it is
            meta = dict(meta)
            meta["configuration"] = dict(meta.get("configuration") or {}, **wanted)
            latest = versions[-1]
            stamp = int(time.time() * 1000)
            with open(os.path.join(log, "%020d.json" % latest)) as f:
                for line in f:
                    o = json.loads(line) if line.strip() else {}
                    if "commitInfo" in o:
                        stamp = max(stamp, o["commitInfo"].get("timestamp", 0) + 1)
            commit = (json.dumps({"commitInfo": {
                "timestamp": stamp, "operation": "SET TBLPROPERTIES",
                "operationParameters": {"properties": json.dumps(wanted)},
                "engineInfo": "lh-soak"}}) + "\n" + json.dumps({"metaData": meta}) + "\n")
            temporary = os.path.join(log, f"_commit_soak_{os.getpid()}.json.tmp")
            with open(temporary, "w") as f:
                f.write(commit)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(temporary, os.path.join(log, "%020d.json" % (latest + 1)))
                self.configured.add(log)
            except FileExistsError:
                pass  # a tool committed meanwhile: next cycle
            finally:
                os.unlink(temporary)

    # -- the run ---------------------------------------------------------------------------

    def run(self):
        deadline = self.started + self.args.duration
        while time.monotonic() < deadline:
            began = time.monotonic()
            self.run_cycle(faults=True)
            self.cycle += 1
            rest = self.args.cycle - (time.monotonic() - began)
            if rest > 0:
                time.sleep(min(rest, max(0, deadline - time.monotonic())))
        # Drain: one more cycle with no new lines and no faults, then every check.
        start = EPOCH + self.step * self.cycle
        results = [self.stage("land", LAND), self.stage("refine", REFINE),
                   self.stage("gold", GOLD)]
        line = self.cycle_line(start, results, set()) + " (drain)"
        print(line, flush=True)
        for ps in results:
            for p in ps:
                if p.status != 0:
                    raise Violation(f"status: {p.stage} exited {p.status} in the final drain: "
                                    f"{p.stderr_tail()}")
        self.check(lower=self.spool.visible_complete(), silver_current=True,
                   gold_current=True, final=True)
        self.check_flat()

    def flatness(self):
        """Per stage: last-quarter / first-quarter median time and peak RSS (floors 0.1 s and
        32 MiB), and whether it has runs enough (8) to be judged."""
        out = []
        for stage, runs in self.stats.runs.items():
            q = max(1, len(runs) // 4)
            first, last = runs[:q], runs[-q:]
            t = (max(0.1, statistics.median(r[1] for r in last))
                 / max(0.1, statistics.median(r[1] for r in first)))
            m = (max(32768, statistics.median(r[2] for r in last))
                 / max(32768, statistics.median(r[2] for r in first)))
            out.append((stage, t, m, len(runs) >= 8))
        return out

    def check_flat(self):
        limit = self.args.max_growth
        if limit <= 0:
            return
        grown = [f"{stage} time {t:.1f}x" if t > limit else f"{stage} peak RSS {m:.1f}x"
                 for stage, t, m, judged in self.flatness() if judged and max(t, m) > limit]
        if grown:
            raise Violation(f"flat: from the first quarter of the runs to the last, "
                            f"{', '.join(grown)} (more than --max-growth {limit:g})")

    def summary(self, outcome):
        lines = [f"soak: {outcome}",
                 f"soak: {self.cycle} cycles in {time.monotonic() - self.started:.0f}s, events "
                 f"{EPOCH:%Y-%m-%d} to {(EPOCH + self.step * self.cycle):%Y-%m-%d %H:%M}, "
                 f"{self.spool.total()} lines written ({self.gen_totals[0]} events, "
                 f"{self.gen_totals[1]} duplicates, {self.gen_totals[2]} malformed)",
                 f"soak: kills {sum(self.kills.values())} "
                 f"({', '.join(f'{k} {v}' for k, v in sorted(self.kills.items())) or 'none'}; "
                 f"{self.missed_kills} came after the stage ended), overlapping runs "
                 f"{self.overlaps}, archives {self.maintenance['archive']}, compactions "
                 f"{self.maintenance['compact']}, vacuums {self.maintenance['vacuum']}",
                 "soak: stage     runs  time median / p95 / max    first→last quarter median"
                 "   peak RSS median / max   first→last quarter"]
        for stage, runs in self.stats.runs.items():
            secs = sorted(r[1] for r in runs)
            rss = sorted(r[2] / 1024 for r in runs)
            q = max(1, len(runs) // 4)
            first, last = runs[:q], runs[-q:]
            lines.append(
                f"soak: {stage:8s} {len(runs):5d}  {statistics.median(secs):6.2f}s "
                f"{percentile(secs, 0.95):6.2f}s {secs[-1]:6.2f}s     "
                f"{statistics.median(r[1] for r in first):6.2f}s → "
                f"{statistics.median(r[1] for r in last):6.2f}s        "
                f"{statistics.median(rss):5.0f}M {rss[-1]:5.0f}M        "
                f"{statistics.median(r[2] / 1024 for r in first):5.0f}M → "
                f"{statistics.median(r[2] / 1024 for r in last):5.0f}M")
        growth = self.flatness()
        for stage, t, m, judged in growth:
            lines.append(f"soak: flat {stage:8s} last/first quarter: time {t:.2f}x, peak RSS "
                         f"{m:.2f}x{'' if judged else ' (too few runs to judge)'}")
        text = "\n".join(lines)
        print(text, flush=True)
        with open(os.path.join(self.dir, "summary.txt"), "w") as f:
            f.write(text + "\n")


def link_or_copy(src, dst):
    # Parquet files are never rewritten in place: a hard link is a copy that costs nothing.
    if src.endswith(".parquet"):
        try:
            os.link(src, dst)
            return dst
        except OSError:
            pass
    return shutil.copy2(src, dst)


def row_day(raw):
    row = json.loads(raw)
    day = row.get("event_date")
    if isinstance(day, str):
        return day
    for value in row.values():
        if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
            return value[:10]
    return ""


def difference(a, b, name_a, name_b):
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    text = f"{len(a)} rows in {name_a}, {len(b)} in {name_b}"
    if only_a:
        text += f"; {len(only_a)} only in {name_a}, first {shorten(only_a[0])}"
    if only_b:
        text += f"; {len(only_b)} only in {name_b}, first {shorten(only_b[0])}"
    if not only_a and not only_b:
        text += "; the same rows, repeated a different number of times"
    return text


def shorten(value, width=160):
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= width else text[:width] + "…"


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def main():
    if len(sys.argv) > 4 and sys.argv[1] == "--exec-one" and sys.argv[4] == "--":
        return exec_one(sys.argv[2], float(sys.argv[3]), sys.argv[5:])
    env = os.environ
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bin", help="the directory of the built lh-* tools")
    parser.add_argument("--duration", type=duration, default=env.get("SOAK_DURATION", "30m"),
                        help="how long to run (default: $SOAK_DURATION, else 30m)")
    parser.add_argument("--step", type=duration, default=env.get("SOAK_STEP", "1h"),
                        help="event time per cycle (default: $SOAK_STEP, else 1h)")
    parser.add_argument("--cycle", type=duration, default="3s",
                        help="least real time per cycle (default: 3s)")
    parser.add_argument("--retain", type=duration, default="60s",
                        help="vacuum's --retain (default: 60s: it deletes files within a short "
                        "run, yet keeps what an lh-silver killed in the same cycle reads next)")
    parser.add_argument("--lines", type=int, default=2000, help="lines per cycle (default: 2000)")
    parser.add_argument("--seed", type=int, default=int(env.get("SOAK_SEED", "1")),
                        help="the events', kills' and overlaps' seed (default: $SOAK_SEED, else 1)")
    parser.add_argument("--kill-rate", type=float, default=0.15,
                        help="chance that a cycle kills one stage (default: 0.15)")
    parser.add_argument("--overlap-rate", type=float, default=0.2,
                        help="chance that a stage runs as two copies (default: 0.2)")
    parser.add_argument("--writer", choices=["both", "rename", "append"], default="both",
                        help="how the cycle's lines reach the spool: a file renamed into place, "
                        "appends to a file being landed, or a random split over both (default)")
    parser.add_argument("--writers-first", action="store_true",
                        help="let the writers finish before each landing starts (grown files "
                        "are still landed again, but never while being written)")
    parser.add_argument("--compact-every", type=int, default=4,
                        help="cycles between the scaled hourly lh-pack compact and vacuum "
                        "--apply (default: 4; 0: only the daily one)")
    parser.add_argument("--checkpoint-interval", type=int, default=10,
                        help="delta.checkpointInterval set on every table (default: 10; 0: "
                        "leave the tables' properties alone)")
    parser.add_argument("--log-retention", type=duration, default="30s",
                        help="delta.logRetentionDuration set with it, so that vacuum cleans the "
                        "log within the run (default: 30s)")
    parser.add_argument("--max-growth", type=float, default=3.0,
                        help="fail when a stage's last-quarter median time or peak RSS is more "
                        "than this many times its first quarter's (default: 3; 0: report only)")
    parser.add_argument("--dir", default=env.get("SOAK_DIR"),
                        help="work directory (default: $SOAK_DIR, else a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory on success")
    args = parser.parse_args()
    if isinstance(args.duration, str):
        args.duration = duration(args.duration)
    if isinstance(args.step, str):
        args.step = duration(args.step)
    if isinstance(args.retain, str):
        args.retain = duration(args.retain)
    if isinstance(args.cycle, str):
        args.cycle = duration(args.cycle)
    if isinstance(args.log_retention, str):
        args.log_retention = duration(args.log_retention)
    for tool in ("lh-gen", "lh-bronze", "lh-silver", "lh-gold", "lh-report", "lh-pack"):
        if not os.access(os.path.join(args.bin, tool), os.X_OK):
            print(f"soak: {args.bin}/{tool}: not an executable (build first)", file=sys.stderr)
            return 66
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
        if os.listdir(args.dir):
            print(f"soak: {args.dir}: not empty", file=sys.stderr)
            return 73
    else:
        args.dir = tempfile.mkdtemp(prefix="lh-soak-")
    print(f"soak: {args.duration:.0f}s, {args.step:.0f}s of events per cycle, seed {args.seed}, "
          f"work directory {args.dir}", flush=True)
    soak = Soak(args)
    try:
        soak.run()
    except Violation as v:
        print(f"soak: FAIL cycle {soak.cycle}: {v}", flush=True)
        soak.summary(f"FAILED at cycle {soak.cycle}")
        print(f"soak: FAIL cycle {soak.cycle}: {v} (lake kept in {args.dir})", file=sys.stderr)
        return 1
    soak.summary("every invariant held")
    if args.keep:
        print(f"soak: kept {args.dir}")
    else:
        shutil.rmtree(args.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
