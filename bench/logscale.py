#!/usr/bin/env python3
"""Cost of a table's age (issue 15): lh-report status, an lh-bronze start, an lh-silver no-op and
deltalake's DeltaTable(path) open, on a bronze/silver lake grown to N commits.

Usage: logscale.py BIN_DIR DIR N...    (python: one with deltalake, e.g. the peers venv)

A small lake is made with lh-gen | lh-bronze and lh-silver; bronze is then grown to each N in
turn by commits written straight to _delta_log/ as lh-bronze writes them (commitInfo with the
lhBronze running total, the three txns of the spool file landed; a new spool file every 100
commits), silver's two tables get one commit bringing their progress to the latest bronze
version, and deltalake writes the checkpoints a reader can start from: every 2,000 versions and
the last multiple of 100 (`create_checkpoint()` as of each; readers use only the newest).
Each command runs LOGSCALE_RUNS times (default 5); the median CPU seconds (user + system, from
getrusage) and wall seconds are printed as a Markdown table.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from deltalake import DeltaTable

BIN, DIR = sys.argv[1], sys.argv[2]
SIZES = [int(n) for n in sys.argv[3:]] or [1000, 10000, 100000]
RUNS = int(os.environ.get("LOGSCALE_RUNS", "5"))
INTERVAL = 100
CHECKPOINT_STRIDE = 2000


def log(table):
    return os.path.join(table, "_delta_log")


def name(v):
    return "%020d.json" % v


def versions(table):
    return sorted(int(f[:20]) for f in os.listdir(log(table)) if f.endswith(".json") and f[:20].isdigit())


def lh_object(table, v, key):
    with open(os.path.join(log(table), name(v))) as f:
        for line in f:
            o = json.loads(line)
            if "commitInfo" in o and key in o["commitInfo"]:
                return o["commitInfo"][key], o["commitInfo"]["timestamp"]
    return None, None


def write(table, v, objects):
    with open(os.path.join(log(table), name(v)), "w") as f:
        for o in objects:
            f.write(json.dumps(o, separators=(",", ":")) + "\n")


def grow(lake, commits):
    bronze = os.path.join(lake, "bronze/events")
    vs = versions(bronze)
    latest = vs[-1]
    rows = 0
    for v in reversed(vs):
        m, _ = lh_object(bronze, v, "lhBronze")
        if m and "rowsLanded" in m:
            rows = m["rowsLanded"]
            break
    stamp = max(lh_object(bronze, latest, "lhBronze")[1] or 0, int(time.time() * 1000) - commits)
    checkpoints = []
    for v in range(latest + 1, commits):
        stamp += 1
        spool = "%016x" % ((v // 100) * 0x9E3779B97F4A7C15 & (2**64 - 1))
        objects = [{"commitInfo": {
            "timestamp": stamp, "operation": "WRITE", "operationParameters": {"mode": "Append"},
            "engineInfo": "lh-bronze/bench", "lhBronze": {"lines": 0, "rowsLanded": rows, "readVersion": v - 1}}}]
        for field, value in (("lines", v % 100), ("bytes", 100 * (v % 100)), ("digest", v)):
            objects.append({"txn": {"appId": "lh-bronze:file:%s:%s" % (spool, field), "version": value,
                                    "lastUpdated": stamp}})
        write(bronze, v, objects)
        if v % INTERVAL == 0:
            checkpoints.append(v)
    target = commits - 1
    for t in ("silver/events", "silver/rejects"):
        table = os.path.join(lake, t)
        last = versions(table)[-1]
        m, s = None, None
        for v in reversed(versions(table)):
            m, s = lh_object(table, v, "lhSilver")
            if m:
                break
        m = dict(m)
        m["bronzeFromVersion"] = m["bronzeToVersion"] + 1
        m["bronzeToVersion"] = target
        m["bronzeReached"] = target
        for k in ("bronzeRows", "silverRows", "rejects", "duplicates"):
            m[k] = 0
        m.pop("acceptedEarlier", None)
        stamp = s + 1
        write(table, last + 1, [
            {"commitInfo": {"timestamp": stamp, "operation": "WRITE", "operationParameters": {"mode": "Append"},
                            "engineInfo": "lh-silver/bench", "lhSilver": m}},
            {"txn": {"appId": "lh-silver:" + m.get("contract", "clickstream"), "version": target,
                     "lastUpdated": stamp}}])
    # Readers start from the newest checkpoint only, so deltalake writes the last one and one
    # every CHECKPOINT_STRIDE versions on the way (each replays at most a stride of JSON commits);
    # a checkpoint at every multiple of 100 would cost the generator an hour at 100,000 commits.
    chosen = [v for v in checkpoints if v % CHECKPOINT_STRIDE == 0]
    if checkpoints and (not chosen or chosen[-1] != checkpoints[-1]):
        chosen.append(checkpoints[-1])
    if chosen:
        dt = DeltaTable(bronze, version=chosen[0])
        for v in chosen:
            dt.load_as_version(v)
            dt.create_checkpoint()


def measure(command):
    cpu, wall = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.monotonic()
        code = subprocess.call(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        wall.append(time.monotonic() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if code != 0:
            sys.exit("%s: exit %d" % (" ".join(command), code))
    return statistics.median(cpu), statistics.median(wall)


def open_time(table):
    wall = []
    for _ in range(RUNS):
        t = time.monotonic()
        DeltaTable(table)
        wall.append(time.monotonic() - t)
    return statistics.median(wall)


def main():
    lake = os.path.join(DIR, "lake")
    subprocess.run(["rm", "-rf", lake], check=True)
    os.makedirs(DIR, exist_ok=True)
    tool = lambda t: os.path.join(BIN, t)
    subprocess.run("'%s' --seed 5 --count 2000 --quiet | '%s' --lake '%s' --quiet && '%s' --lake '%s' --quiet"
                   % (tool("lh-gen"), tool("lh-bronze"), lake, tool("lh-silver"), lake), shell=True, check=True)
    print("| commits | lh-report status | lh-bronze start | lh-silver no-op | deltalake open |")
    print("|--:|--:|--:|--:|--:|")
    for n in sorted(SIZES):
        grow(lake, n)
        cells = []
        for command in ([tool("lh-report"), "status", "--lake", lake],
                        [tool("lh-bronze"), "--lake", lake, "--quiet"],
                        [tool("lh-silver"), "--lake", lake, "--quiet"]):
            cpu, wall = measure(command)
            cells.append("%.3f s (%.3f s CPU)" % (wall, cpu))
        cells.append("%.3f s" % open_time(os.path.join(lake, "bronze/events")))
        print("| %s | %s |" % ("{:,}".format(n), " | ".join(cells)), flush=True)


main()
