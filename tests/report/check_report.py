#!/usr/bin/env python3
"""Independent checks of lh-report's output (issue 7), with the standard library only.

  csv LAKE      every gold table's CSV, read back with Python's csv module, equals its NDJSON
  html FILE N   the page is well-formed XML with exactly N inline <svg> charts and no <script>
  follow FILE   lh-report --follow in a pseudo-terminal: the screen shows the live view, and
                the alternate screen is left and the cursor restored at the end
"""
import csv, io, json, os, pty, subprocess, sys, xml.etree.ElementTree as ET

def check_csv(lake):
    tables = [l.strip() for l in subprocess.run(
        ["lh-report", "status", "--lake", lake, "--format", "csv"], capture_output=True,
        text=True, check=True).stdout.splitlines() if l.startswith("gold/")]
    assert tables, "no gold tables"
    for line in tables:
        name = line.split(",")[0].split("/", 1)[1]
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
    assert screen.rstrip().endswith("\x1b[?25h\x1b[?1049l"), "terminal not restored"
    last = screen.split("\x1b[H\x1b[2J")[-1]
    assert "lh-report --follow" in last and "late rows 2" in last, last
    assert "orders per window_start" in last, last
    print("follow: screen captured in a pty")
    print(last)

if __name__ == "__main__":
    {"csv": check_csv, "html": check_html, "follow": check_follow}[sys.argv[1]](*sys.argv[2:])
