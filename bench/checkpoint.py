#!/usr/bin/env python3
"""Checkpoint read/write cost (issue 15, "costs that stay flat"): lh's checkpoint codec on N
synthetic adds, then a bronze table with N live files whose checkpoint lh wrote, opened by
lh-report status, an lh-bronze start (empty input) and an lh-silver no-op.

Usage: checkpoint.py BIN_DIR LH_BENCH DIR N    (python3; no peers needed)

The lake is made with lh-gen | lh-bronze and lh-silver; bronze then gets one commit adding N
files as lh-bronze writes them (no data files: nothing here opens them; commitInfo with the
lhBronze running total unchanged), `lh-bench checkpoint-table` writes bronze's checkpoint at that
version with lh's writer (twice: from the JSON commit, then from that checkpoint, as the next
interval's writer reads), then bronze gets one small commit after it and silver's two tables one
commit bringing their progress to that.
Each command runs CHECKPOINT_RUNS times (default 5): median wall and CPU seconds, peak RSS.
"""
import json
import os
import statistics
import subprocess
import sys
import time

BIN, BENCH, DIR, N = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
RUNS = int(os.environ.get("CHECKPOINT_RUNS", "5"))
T0 = 1795300000000


def log(table):
    return os.path.join(table, "_delta_log")


def versions(table):
    return sorted(int(f[:20]) for f in os.listdir(log(table)) if f.endswith(".json") and f[:20].isdigit())


def lh_object(table, v, key):
    with open(os.path.join(log(table), "%020d.json" % v)) as f:
        for line in f:
            o = json.loads(line)
            if "commitInfo" in o and key in o["commitInfo"]:
                return o["commitInfo"][key], o["commitInfo"]["timestamp"]
    return None, None


def add(i, stamp):
    day = "2026-%02d-%02d" % (1 + (i // 28) % 12, 1 + i % 28)
    stats = {"numRecords": 0, "minValues": {"line": 1, "source": "spool/a.ndjson"},
             "maxValues": {"line": 1000 + i % 7, "source": "spool/z.ndjson"},
             "nullCount": {"line": 0, "source": 0, "raw": 0}}
    return {"add": {"path": "ingest_date=%s/part-%05d-%016x-c000.zstd.parquet"
                    % (day, i % 100000, (i * 0x9E3779B97F4A7C15) & (2**64 - 1)),
                    "partitionValues": {"ingest_date": day}, "size": 100000 + i % 9973,
                    "modificationTime": stamp, "dataChange": True,
                    "stats": json.dumps(stats, separators=(",", ":"))}}


def commit_info(v, rows, stamp):
    return json.dumps({"commitInfo": {
        "timestamp": stamp, "operation": "WRITE", "operationParameters": {"mode": "Append"},
        "engineInfo": "lh-bronze/bench", "lhBronze": {"lines": 0, "rowsLanded": rows, "readVersion": v - 1}}},
        separators=(",", ":")) + "\n"


def grow(lake):
    """Bronze's commit of N adds; returns (table, its version, rows landed, its time)."""
    bronze = os.path.join(lake, "bronze/events")
    v = versions(bronze)[-1] + 1
    rows, stamp = 0, T0
    for old in reversed(versions(bronze)):
        m, s = lh_object(bronze, old, "lhBronze")
        if m and "rowsLanded" in m:
            rows, stamp = m["rowsLanded"], s + 1
            break
    with open(os.path.join(log(bronze), "%020d.json" % v), "w") as f:
        f.write(commit_info(v, rows, stamp))
        for i in range(N):
            f.write(json.dumps(add(i, stamp), separators=(",", ":")) + "\n")
    return bronze, v, rows, stamp


def settle(lake, bronze, v, rows, stamp):
    """A small bronze commit after the checkpoint (the latest, as lh-bronze's are: the stages read
    their running totals from it), and silver's progress brought to it."""
    v += 1
    with open(os.path.join(log(bronze), "%020d.json" % v), "w") as f:
        f.write(commit_info(v, rows, stamp + 1))
    for t in ("silver/events", "silver/rejects"):
        table = os.path.join(lake, t)
        last = versions(table)[-1]
        m, s = None, None
        for old in reversed(versions(table)):
            m, s = lh_object(table, old, "lhSilver")
            if m:
                break
        m = dict(m)
        m["bronzeFromVersion"] = m["bronzeToVersion"] + 1
        m["bronzeToVersion"] = v
        m["bronzeReached"] = v
        for k in ("bronzeRows", "silverRows", "rejects", "duplicates"):
            m[k] = 0
        m.pop("acceptedEarlier", None)
        with open(os.path.join(log(table), "%020d.json" % (last + 1)), "w") as f:
            for o in ({"commitInfo": {"timestamp": s + 1, "operation": "WRITE",
                                      "operationParameters": {"mode": "Append"},
                                      "engineInfo": "lh-silver/bench", "lhSilver": m}},
                      {"txn": {"appId": "lh-silver:" + m.get("contract", "clickstream"), "version": v,
                               "lastUpdated": s + 1}}):
                f.write(json.dumps(o, separators=(",", ":")) + "\n")


def measure(command):
    cpu, wall, peak = [], [], 0
    for _ in range(RUNS):
        t = time.monotonic()
        p = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        wall.append(time.monotonic() - t)
        cpu.append(usage.ru_utime + usage.ru_stime)
        peak = max(peak, usage.ru_maxrss)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit("%s: exit %d" % (" ".join(command), code))
    return statistics.median(wall), statistics.median(cpu), peak


def main():
    os.makedirs(DIR, exist_ok=True)
    work = os.path.join(DIR, "codec")
    os.makedirs(work, exist_ok=True)
    codec = subprocess.run([BENCH, "checkpoint", str(N), work], check=True, capture_output=True, text=True)
    print("codec (best of 3):", codec.stdout.strip())
    lake = os.path.join(DIR, "lake")
    subprocess.run(["rm", "-rf", lake], check=True)
    tool = lambda t: os.path.join(BIN, t)
    subprocess.run("'%s' --seed 5 --count 2000 --quiet | '%s' --lake '%s' --quiet && '%s' --lake '%s' --quiet"
                   % (tool("lh-gen"), tool("lh-bronze"), lake, tool("lh-silver"), lake), shell=True, check=True)
    bronze, v, rows, stamp = grow(lake)
    # First from the JSON commit of N adds; then again, as the next interval's writer does,
    # from the checkpoint just written (the file stays: another writer's is kept).
    for label in ("from the JSON log", "from its checkpoint"):
        table = subprocess.run([BENCH, "checkpoint-table", bronze], check=True, capture_output=True, text=True)
        print("bronze checkpoint %s:" % label, table.stdout.strip())
    settle(lake, bronze, v, rows, stamp)
    print("| %s live files, checkpoint | wall s | CPU s | peak RSS |" % "{:,}".format(N))
    print("|---|--:|--:|--:|")
    for name, command in (("lh-report status", [tool("lh-report"), "status", "--lake", lake]),
                          ("lh-bronze start", [tool("lh-bronze"), "--lake", lake, "--quiet"]),
                          ("lh-silver no-op", [tool("lh-silver"), "--lake", lake, "--quiet"])):
        wall, cpu, peak = measure(command)
        print("| %s | %.3f | %.3f | %d MiB |" % (name, wall, cpu, peak // 1024), flush=True)


main()
