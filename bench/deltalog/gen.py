#!/usr/bin/env python3
"""Writes large and hostile Delta logs onto an existing lh table (issue 9).

Usage: gen.py CASE TABLE [N]

The table must hold version 0 (protocol and metaData, e.g. from lh-bronze); the case's commits
are written directly as versions 1, 2, ... (no data files: a snapshot reader never opens them).

  adds N        one commit with N add actions (~100-byte paths, stats like lh's)  default 1M
  addremove N   one commit adding N files, then one removing all of them          default 1M
  commits N     N small commits (commitInfo + one add + one remove of the previous) default 100k
  longline MB   one commit whose add line is MB MiB long (a huge stats string)     default 300
  deep N        one commit whose add's partitionValues nest N objects deep        default 5000
  txns N        one commit with N txn actions with distinct appIds                  default 1M
  sparse GB     one commit file of GB GiB, a hole after one good line              default 2
"""
import os
import sys
import uuid

CASE, TABLE = sys.argv[1], sys.argv[2]
LOG = os.path.join(TABLE, "_delta_log")
T0 = 1795300000000


def name(v):
    return os.path.join(LOG, "%020d.json" % v)


def info(v, op="WRITE"):
    return ('{"commitInfo":{"timestamp":%d,"operation":"%s","operationParameters":{"mode":"Append"},'
            '"engineInfo":"gen.py"}}\n' % (T0 + v * 1000, op))


def path(i):
    day = "2026-%02d-%02d" % (1 + (i // 28) % 12, 1 + i % 28)
    u = uuid.UUID(int=(i * 0x9E3779B97F4A7C15) & ((1 << 128) - 1))
    return day, "ingest_date=%s/part-%05d-%s-c000.zstd.parquet" % (day, i % 100000, u)


def stats(i):
    return ('{\\"numRecords\\":%d,\\"minValues\\":{\\"line\\":1,\\"ingested_at\\":\\"2026-01-01T00:00:00.000Z\\",'
            '\\"source\\":\\"spool/a.ndjson\\"},\\"maxValues\\":{\\"line\\":%d,'
            '\\"ingested_at\\":\\"2026-01-01T00:00:09.999Z\\",\\"source\\":\\"spool/z.ndjson\\"},'
            '\\"nullCount\\":{\\"line\\":0,\\"ingested_at\\":0,\\"source\\":0,\\"raw\\":0}}' % (1000 + i % 7, 1000 + i % 7))


def add(i, v):
    day, p = path(i)
    return ('{"add":{"path":"%s","partitionValues":{"ingest_date":"%s"},"size":%d,'
            '"modificationTime":%d,"dataChange":true,"stats":"%s"}}\n'
            % (p, day, 100000 + i % 9973, T0 + v * 1000, stats(i)))


def remove(i, v):
    day, p = path(i)
    return ('{"remove":{"path":"%s","deletionTimestamp":%d,"dataChange":true,"extendedFileMetadata":true,'
            '"partitionValues":{"ingest_date":"%s"},"size":%d}}\n' % (p, T0 + v * 1000, day, 100000 + i % 9973))


def write(v, chunks):
    with open(name(v), "w") as f:
        f.write(info(v))
        buf = []
        for c in chunks:
            buf.append(c)
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))


def n(default):
    return int(sys.argv[3]) if len(sys.argv) > 3 else default


if CASE == "adds":
    write(1, (add(i, 1) for i in range(n(1_000_000))))
elif CASE == "addremove":
    k = n(1_000_000)
    write(1, (add(i, 1) for i in range(k)))
    write(2, (remove(i, 2) for i in range(k)))
elif CASE == "commits":
    k = n(100_000)
    for v in range(1, k + 1):
        body = info(v) + add(v, v) + (remove(v - 1, v) if v > 1 else "")
        with open(name(v), "w") as f:
            f.write(body)
elif CASE == "longline":
    mb = n(300)
    with open(name(1), "w") as f:
        f.write(info(1))
        day, p = path(1)
        f.write('{"add":{"path":"%s","partitionValues":{"ingest_date":"%s"},"size":1,"modificationTime":1,'
                '"dataChange":true,"stats":"' % (p, day))
        chunk = "x" * (1 << 20)
        for _ in range(mb):
            f.write(chunk)
        f.write('"}}\n')
elif CASE == "deep":
    d = n(5000)
    with open(name(1), "w") as f:
        f.write(info(1))
        day, p = path(1)
        f.write('{"add":{"path":"%s","partitionValues":%s%s,"size":1,"modificationTime":1,"dataChange":true}}\n'
                % (p, '{"a":' * d + "1", "}" * d))
elif CASE == "txns":
    write(1, ('{"txn":{"appId":"app-%d-%s","version":%d,"lastUpdated":%d}}\n' % (i, uuid.UUID(int=i), i, T0)
              for i in range(n(1_000_000))))
elif CASE == "sparse":
    gb = n(2)
    with open(name(1), "w") as f:
        f.write(info(1))
        f.write(add(1, 1))
        f.truncate(gb << 30)
else:
    sys.exit(__doc__)
