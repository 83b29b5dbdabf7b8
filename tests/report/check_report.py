#!/usr/bin/env python3
"""Independent checks of lh-report's output (issue 7), with the standard library only.

  csv LAKE      every gold table's CSV, read back with Python's csv module, equals its NDJSON
  report-csv LAKE
                every gold table in one CSV (no table named): one header (table, then the union
                of the tables' columns), every row as wide, and each table's rows equal its own CSV
  status-ndjson LAKE
                `status --format ndjson`: one JSON object a line, no key twice, a "section" key
  status-csv LAKE
                `status --format csv`: one header with a section column, every row as wide
  html FILE N   the page is well-formed XML with exactly N inline <svg> charts and no <script>
  follow FILE   lh-report --follow in a pseudo-terminal: the screen shows the live view, and
                the alternate screen is left and the cursor restored at the end
  follow-signals FILE
                the same with input that never ends, stopped by signals: a second SIGINT (or
                SIGTERM) during the clean exit of the first, which ends the process from the
                signal handler; SIGTERM, SIGHUP and SIGINT alone; each time the restore
                sequence is the last thing written, and the status is 128 + the last signal
"""
import csv, io, json, os, pty, select, signal, subprocess, sys, time
import xml.etree.ElementTree as ET

# Attributes reset, cursor shown, alternate screen left (ReportFollow.restoreTerminal).
RESTORE = "\x1b[0m\x1b[?25h\x1b[?1049l"

def read_csv(text):
    """Rows of one CSV table: one header, every row as wide as it, no blank line."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows, "no header"
    assert all(len(r) == len(rows[0]) for r in rows), [len(r) for r in rows]
    assert len(set(rows[0])) == len(rows[0]), ("a column twice", rows[0])
    return rows

def status_rows(lake):
    out = subprocess.run(["lh-report", "status", "--lake", lake, "--format", "csv"],
                         capture_output=True, text=True, check=True).stdout
    rows = read_csv(out)
    return [dict(zip(rows[0], r)) for r in rows[1:]]

def gold_names(lake):
    names = [r["table"].split("/", 1)[1] for r in status_rows(lake)
             if r["section"] == "tables" and r["table"].startswith("gold/")]
    assert names, "no gold tables"
    return names

def check_status_csv(lake):
    rows = status_rows(lake)
    sections = [r["section"] for r in rows]
    assert sections[0] == "tables" and sections[-1] == "reconciliation", sections
    rec = rows[-1]
    assert rec["reconciled"] == "true" and rec["table"] == "", rec
    assert all(r["bronze_rows"] == "" for r in rows if r["section"] == "tables")
    print(f"status csv: one table, {len(rows)} rows, sections {sorted(set(sections))}")

def strict_object(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    assert not dup, f"key repeated: {dup}"
    return dict(pairs)

def check_status_ndjson(lake):
    out = subprocess.run(["lh-report", "status", "--lake", lake, "--format", "ndjson"],
                         capture_output=True, text=True, check=True).stdout
    lines = out.split("\n")
    assert lines[-1] == "", "no newline at the end"
    objects = [json.loads(l, object_pairs_hook=strict_object) for l in lines[:-1]]
    assert all(isinstance(o, dict) and "section" in o for o in objects), objects
    assert {o["section"] for o in objects} == {"tables", "reconciliation"}, objects
    assert all("table" in o for o in objects if o["section"] == "tables")
    print(f"status ndjson: {len(objects)} objects, no key twice")

def check_report_csv(lake):
    names = gold_names(lake)
    out = subprocess.run(["lh-report", "--lake", lake, "--format", "csv"],
                         capture_output=True, check=True).stdout.decode()
    rows = read_csv(out)
    header = rows[0]
    assert header[0] == "table", header
    seen = []
    for name in names:
        own = read_csv(subprocess.run(["lh-report", "--lake", lake, name, "--format", "csv"],
                                      capture_output=True, check=True).stdout.decode())
        mine = [r for r in rows[1:] if r[0] == name]
        assert len(mine) == len(own) - 1, (name, len(mine), len(own))
        index = [header.index(c) for c in own[0]]
        for r, o in zip(mine, own[1:]):
            assert [r[i] for i in index] == o, (name, r, o)
            assert all(r[i] == "" for i in range(1, len(r)) if i not in index), (name, r)
        seen += mine
    assert len(seen) == len(rows) - 1, "rows of no table"
    print(f"report csv: {len(names)} tables in one header of {len(header)} columns")

def check_csv(lake):
    tables = gold_names(lake)
    for name in tables:
        out = subprocess.run(["lh-report", "--lake", lake, name, "--format", "csv"],
                             capture_output=True, check=True).stdout.decode()
        rows = list(csv.reader(io.StringIO(out, newline="")))
        nd = [json.loads(l) for l in subprocess.run(
            ["lh-report", "--lake", lake, name, "--format", "ndjson"],
            capture_output=True, check=True).stdout.decode().splitlines()]
        header = rows[0]
        assert header == list(nd[0].keys()), (name, header)
        assert len(rows) - 1 == len(nd), (name, len(rows), len(nd))
        for r, o in zip(rows[1:], nd):
            for k, v in zip(header, r):
                want = o[k]
                if want is None:
                    assert v == "", (name, k, v)
                elif isinstance(want, float) or isinstance(want, int) and not isinstance(want, bool):
                    assert float(v) == float(want), (name, k, v, want)
                    assert "," not in v
                else:
                    assert v == (str(want).lower() if isinstance(want, bool) else str(want)), (name, k, v, want)
    print(f"csv: {len(tables)} tables equal their NDJSON")

def check_html(path, n):
    root = ET.parse(path).getroot()
    svgs = root.findall(".//{http://www.w3.org/2000/svg}svg")
    assert len(svgs) == int(n), f"{len(svgs)} svg, want {n}"
    assert not root.findall(".//script"), "a script"
    assert len(root.findall(".//table")) == int(n)
    for s in svgs:
        assert s.findall("{http://www.w3.org/2000/svg}g/{http://www.w3.org/2000/svg}rect"), "empty chart"
    text = open(path, encoding="utf-8").read()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), "network reference"
    print(f"html: well-formed, {n} svg charts")

def check_follow(path):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["LANG"] = "C.UTF-8"
        os.environ.pop("NO_COLOR", None)
        fdin = os.open(path, os.O_RDONLY)
        os.dup2(fdin, 0)
        os.execvp("lh-report", ["lh-report", "--follow", "--width", "80"])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
    screen = out.decode("utf-8", "replace")
    assert "\x1b[?1049h" in screen, "no alternate screen"
    assert screen.rstrip().endswith(RESTORE), "terminal not restored"
    last = screen.split("\x1b[H\x1b[2J")[-1]
    assert "lh-report --follow" in last and "late rows 2" in last, last
    assert "orders per window_start" in last, last
    print("follow: screen captured in a pty")
    print(last)

def follow_stopped(path, signals, hold):
    """Runs --follow in a pty on a pipe kept open and sends `signals` once the view is drawn.

    With `hold`, the terminal's output is stopped first (XOFF, as Ctrl-S does): after the first
    signal the clean exit blocks on its last write, so the next signal arrives during the
    cleanup for sure (two SIGINTs sent back to back would merge into one pending signal);
    output resumes (XON) once they are all sent. The process can then only end through the
    signal handler's exit.
    """
    read_end, write_end = os.pipe()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["LANG"] = "C.UTF-8"
        os.environ.pop("NO_COLOR", None)
        os.close(write_end)
        os.dup2(read_end, 0)
        # An ignored SIGHUP is inherited across exec, and lh then leaves it ignored (nohup).
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        os.execvp("lh-report", ["lh-report", "--follow", "--width", "80"])
    os.close(read_end)
    with open(path, "rb") as f:
        os.write(write_end, f.read())
    out = b""
    deadline = time.monotonic() + 60
    while b"lh-report --follow" not in out:
        assert time.monotonic() < deadline, ("no screen drawn", out[-400:])
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            out += os.read(fd, 65536)
    if hold:
        os.write(fd, b"\x13")
        time.sleep(0.3)
    for sig in signals:
        os.kill(pid, sig)
        if hold:
            time.sleep(0.5)
    if hold:
        os.write(fd, b"\x11")
    deadline = time.monotonic() + 60
    while True:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError(("still running 60 s after the signals", out[-400:]))
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(write_end)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")

def check_follow_signals(path):
    cases = [([signal.SIGINT, signal.SIGINT], True), ([signal.SIGINT, signal.SIGTERM], True),
             ([signal.SIGTERM], False), ([signal.SIGHUP], False), ([signal.SIGINT], False)]
    for signals, hold in cases:
        names = "+".join(s.name for s in signals)
        code, screen = follow_stopped(path, signals, hold)
        assert code == 128 + signals[-1], (names, code, screen[-300:])
        assert "\x1b[?1049h" in screen, (names, "no alternate screen")
        assert screen.endswith(RESTORE), (names, "terminal not restored last", screen[-300:])
        print(f"follow: {names}{' during the cleanup' if hold else ''} -> {code},"
              " terminal restored last")

if __name__ == "__main__":
    {"csv": check_csv, "html": check_html, "follow": check_follow,
     "report-csv": check_report_csv, "status-csv": check_status_csv,
     "status-ndjson": check_status_ndjson,
     "follow-signals": check_follow_signals}[sys.argv[1]](*sys.argv[2:])
