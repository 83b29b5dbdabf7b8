import Foundation
import LakeTestSupport
import Testing

/// lh-report (issue 7), proven by independent readers and a pseudo-terminal.
///
/// CSV read back by Python's csv module, HTML well-formed with one SVG per chart, `status
/// --check` answering 1, and `--follow` driven in a pty. The golden cases of every format are
/// in fixtures/golden/lh-report/.
@Suite("lh-report")
struct LhReportTests {
  let check = TestTools.repositoryRoot().appendingPathComponent("tests/report/check_report.py")
    .path

  func lake() throws -> String {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let r = try TestTools.shell(
      "lh-gen --seed 7 --count 600 --duration 3h --quiet | lh-bronze --lake '\(lake)' --quiet"
        + " && lh-silver --lake '\(lake)' --quiet && lh-gold --lake '\(lake)' --quiet")
    #expect(r.status == 0, "\(r.stderr)")
    return lake
  }

  @Test("CSV read back by an independent reader equals the NDJSON, table by table")
  func csvRoundTrip() throws {
    let lake = try lake()
    let r = try TestTools.run("/usr/bin/env", ["python3", check, "csv", lake])
    #expect(r.status == 0, "\(String(decoding: r.stdout, as: UTF8.self))\(r.stderr)")
  }

  @Test("HTML is well-formed, self-contained, with one SVG chart per gold table")
  func html() throws {
    let lake = try lake()
    let r = try TestTools.run("lh-report", ["--lake", lake, "--format", "html"])
    #expect(r.status == 0)
    let file = URL(fileURLWithPath: lake + "/../report.html")
    try Data(r.stdout).write(to: file)
    let c = try TestTools.run("/usr/bin/env", ["python3", check, "html", file.path, "9"])
    #expect(c.status == 0, "\(String(decoding: c.stdout, as: UTF8.self))\(c.stderr)")
  }

  @Test("money shows its currency beside the amount; CSV keeps the number and the currency column")
  func currencies() throws {
    let lake = try lake()
    let text = try TestTools.run(
      "lh-report", ["--lake", lake, "revenue_daily", "purchases_per_minute", "--format", "text"])
    #expect(text.status == 0, "\(text.stderr)")
    // Each data row: bucket, currency, counts, then the revenue ending in that row's code.
    var rows = 0
    for line in text.output.split(separator: "\n") where line.hasPrefix("2026-") {
      let fields = line.split(separator: " ")
      guard fields.count >= 5, fields[1].count == 3 else { continue }
      let code = fields[1]
      #expect(line.contains(" \(code)  ") || line.hasSuffix(" \(code)"), "\(line)")
      let revenue = fields.firstIndex { $0.contains(".") }
      #expect(revenue.map { fields[$0 + 1] == code } == true, "\(line)")
      rows += 1
    }
    #expect(rows >= 4, "\(text.output)")
    // The chart never sums money over currencies.
    #expect(!text.output.contains("revenue per"), "\(text.output)")
    let csv = try TestTools.run("lh-report", ["--lake", lake, "revenue_daily", "--format", "csv"])
    #expect(csv.output.hasPrefix("event_date,currency,orders,units,revenue,buyers\r\n"))
    #expect(!csv.output.contains(" EUR") && !csv.output.contains(" USD"), "\(csv.output)")
  }

  @Test("status --check answers 1 when silver and gold lag behind bronze, 0 when fresh")
  func statusCheck() throws {
    let lake = try lake()
    let fresh = try TestTools.run("lh-report", ["status", "--lake", lake, "--check"])
    #expect(fresh.status == 0, "\(fresh.stderr)")
    let out = String(decoding: fresh.stdout, as: UTF8.self)
    #expect(out.contains("\"reconciled\":true"), "\(out)")
    let more = try TestTools.shell(
      "lh-gen --seed 8 --count 50 --quiet | lh-bronze --lake '\(lake)' --quiet")
    #expect(more.status == 0)
    let stale = try TestTools.run(
      "lh-report", ["status", "--lake", lake, "--check", "--max-lag", "0s", "--format", "csv"])
    #expect(stale.status == 1)
    #expect(
      stale.stderr.contains("silver/events is stale: 1 bronze version behind"), "\(stale.stderr)")
    let lenient = try TestTools.run("lh-report", ["status", "--lake", lake, "--check"])
    #expect(lenient.status == 0, "\(lenient.stderr)")
  }

  @Test("--follow in a pseudo-terminal draws the live view and restores the terminal")
  func follow() throws {
    let stdin = TestTools.repositoryRoot().appendingPathComponent(
      "fixtures/golden/lh-report/0007/stdin"
    ).path
    let r = try TestTools.run("/usr/bin/env", ["python3", check, "follow", stdin])
    #expect(r.status == 0, "\(String(decoding: r.stdout, as: UTF8.self))\(r.stderr)")
  }

  @Test("--follow: a second signal during the clean exit still restores the terminal (130)")
  func followSignals() throws {
    // Two SIGINTs and SIGINT then SIGTERM, the second arriving while the first one's clean
    // exit is held up (the terminal's output stopped with XOFF); SIGTERM, SIGHUP, SIGINT alone.
    let stdin = TestTools.repositoryRoot().appendingPathComponent(
      "fixtures/golden/lh-report/0007/stdin"
    ).path
    let r = try TestTools.run("/usr/bin/env", ["python3", check, "follow-signals", stdin])
    #expect(r.status == 0, "\(String(decoding: r.stdout, as: UTF8.self))\(r.stderr)")
  }

  @Test("stdin: - (or --input -) reads it whatever the lake; implied without a lake if piped")
  func stdinRules() throws {
    let lake = try lake()
    let dir = URL(fileURLWithPath: lake).deletingLastPathComponent()
    let rows = Array("{\"x\":1}\n{\"x\":2}\n".utf8)
    let csv = "x\r\n1\r\n2\r\n"
    let noLake = ["LH_LAKE": ""]
    for arguments in [["--lake", lake, "-"], ["--lake", lake, "--input", "-"], ["-"]] {
      let r = try TestTools.run(
        "lh-report", arguments + ["--format", "csv"], stdin: rows, environment: ["LH_LAKE": lake])
      #expect(r.status == 0 && r.output == csv, "\(arguments): \(r.output)\(r.stderr)")
    }
    // No table and no lake named: the rows piped in.
    let piped = try TestTools.run(
      "lh-report", ["--format", "csv"], stdin: rows, environment: noLake, currentDirectory: dir)
    #expect(piped.status == 0 && piped.output == csv, "\(piped.output)\(piped.stderr)")
    // A lake named (flag or LH_LAKE): its gold tables, stdin left alone.
    let named = try TestTools.run("lh-report", ["--lake", lake, "--format", "ndjson"], stdin: rows)
    #expect(named.status == 0 && named.output.hasPrefix("{\"table\":\"daily_active_users\""))
    let byEnv = try TestTools.run(
      "lh-report", ["--format", "ndjson"], stdin: rows, environment: ["LH_LAKE": lake])
    #expect(byEnv.status == 0 && byEnv.output == named.output)
    // /dev/null on stdin (cron) is not input: the default ./lake.
    let cron = try TestTools.run(
      "lh-report", ["--format", "ndjson"], environment: noLake, currentDirectory: dir)
    #expect(cron.status == 0 && cron.output == named.output, "\(cron.stderr)")
    // - goes alone; --follow reads - too.
    let mixed = try TestTools.run("lh-report", ["--lake", lake, "-", "kpi_minute"], stdin: rows)
    #expect(mixed.status == 64 && mixed.stderr.contains("- (the rows on stdin) goes alone"))
    let windows = try [UInt8](
      Data(
        contentsOf: TestTools.repositoryRoot().appendingPathComponent(
          "fixtures/golden/lh-report/0007/stdin")))
    let follow = try TestTools.run("lh-report", ["--follow", "-"], stdin: windows)
    #expect(follow.status == 0 && follow.output.contains("late rows: 2"), "\(follow.stderr)")
  }

  /// Every file under `dir` with its size and modification time.
  func tree(_ dir: URL) throws -> [String] {
    let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
    var out: [String] = []
    for case let url as URL in FileManager.default.enumerator(
      at: dir, includingPropertiesForKeys: keys)!
    {
      let v = try url.resourceValues(forKeys: Set(keys))
      out.append(
        "\(url.path) \(v.fileSize ?? -1) \(v.contentModificationDate?.timeIntervalSince1970 ?? 0)")
    }
    return out.sorted()
  }

  @Test("a Delta table by path (/…, ./…): read-only, outside the lake; names stay in the lake")
  func tablePaths() throws {
    let lake = try lake()
    let dir = try TestTools.temporaryDirectory()
    // A table written by delta-rs (deltalake), outside the lake, and a decoy named like a gold
    // table in the current directory.
    let simple = dir.appendingPathComponent("simple")
    let fixture = TestTools.repositoryRoot().appendingPathComponent("fixtures/delta/simple")
    try FileManager.default.copyItem(at: fixture, to: simple)
    try FileManager.default.copyItem(at: fixture, to: dir.appendingPathComponent("kpi_minute"))
    let before = try tree(dir)
    let expected = try String(
      contentsOf: TestTools.repositoryRoot().appendingPathComponent(
        "fixtures/delta/simple.expected.ndjson"), encoding: .utf8)
    for path in ["./simple", simple.path, "./simple/"] {
      let r = try TestTools.run(
        "lh-report", ["--lake", lake, path, "--format", "ndjson"], currentDirectory: dir)
      #expect(r.status == 0, "\(path): \(r.stderr)")
      #expect(r.lines.count == 60 && r.lines.count == expected.split(separator: "\n").count)
    }
    let text = try TestTools.run(
      "lh-report", ["--lake", lake, "./simple", "--format", "text"],
      currentDirectory: dir)
    #expect(text.status == 0 && text.output.hasPrefix("./simple\n"), "\(text.output)")
    #expect(try tree(dir) == before, "reading by path changed the table")
    // A name is the lake's: kpi_minute is the gold table, not ./kpi_minute.
    let gold = try TestTools.run(
      "lh-report", ["--lake", lake, "kpi_minute", "--format", "csv"], currentDirectory: dir)
    #expect(
      gold.status == 0 && gold.output.hasPrefix("window_start,orders,active_users,"),
      "\(gold.output)")
    let local = try TestTools.run(
      "lh-report", ["--lake", lake, "./kpi_minute", "--format", "ndjson"], currentDirectory: dir)
    #expect(local.status == 0 && local.lines.count == 60)
    // A bare name found only here: 66, with the path to say instead.
    let bare = try TestTools.run("lh-report", ["--lake", lake, "simple"], currentDirectory: dir)
    #expect(
      bare.status == 66 && bare.stderr.contains("say ./simple"), "\(bare.stderr)")
    // Not tables: a missing path, a plain file, a name climbing out of the lake.
    try Data("{}\n".utf8).write(to: dir.appendingPathComponent("rows.ndjson"))
    for (argument, status, message) in [
      ("./missing", Int32(66), "./missing: no such file or directory"),
      ("./rows.ndjson", 66, "a file, not a Delta table (read rows from a file with --input"),
      (dir.path, 66, "not a Delta table (no _delta_log/"),
      ("gold/../../x", 64, "not a table name (a path starts with / or ./)"),
    ] {
      let r = try TestTools.run("lh-report", ["--lake", lake, argument], currentDirectory: dir)
      #expect(r.status == status && r.stderr.contains(message), "\(argument): \(r.stderr)")
    }
    #expect(try tree(dir).filter { !$0.contains("rows.ndjson") } == before)
  }

  @Test("bad input: a missing table is 66, a broken NDJSON line is 65 naming the line")
  func badInput() throws {
    let lake = try lake()
    let missing = try TestTools.run("lh-report", ["--lake", lake, "no_such_table"])
    #expect(missing.status == 66 && missing.stderr.hasPrefix("lh-report: no_such_table: "))
    let bad = try TestTools.run(
      "lh-report", ["--format", "csv"], stdin: Array("{\"a\":1}\n{\"a\":\n".utf8))
    #expect(bad.status == 65 && bad.stderr.contains("stdin:2:"), "\(bad.stderr)")
  }

  /// Rows with hostile values: markup, formulas, terminal escapes (ESC, BEL, C1 CSI).
  static let hostile =
    [
      #"{"window_start":"2026-01-01T00:00:00Z","page":"<script>alert(1)</script>","<b>views</b>":5}"#,
      #"{"window_start":"2026-01-01T00:01:00Z","page":"=HYPERLINK(\"evil\")","<b>views</b>":-3}"#,
      #"{"window_start":"2026-01-01T00:02:00Z","page":"\u001b]0;pwned\u0007\u001b[31mred","<b>views</b>":7}"#,
      #"{"window_start":"2026-01-01T00:03:00Z","page":"+1","<b>views</b>":1}"#,
      #"{"window_start":"2026-01-01T00:04:00Z","page":"@SUM(A1)","<b>views</b>":1}"#,
      #"{"window_start":"2026-01-01T00:05:00Z","page":"-2","<b>views</b>":1}"#,
      #"{"window_start":"2026-01-01T00:06:00Z","page":"\tcmd","<b>views</b>":1}"#,
      #"{"window_start":"2026-01-01T00:07:00Z","page":"\rcmd","<b>views</b>":1}"#,
      #"{"window_start":"2026-01-01T00:08:00Z","page":"\u009b31mC1","<b>views</b>":1}"#,
    ].joined(separator: "\n") + "\n"

  func report(_ arguments: [String]) throws -> [UInt8] {
    let r = try TestTools.run("lh-report", arguments, stdin: Array(Self.hostile.utf8))
    #expect(r.status == 0, "\(r.stderr)")
    return r.stdout
  }

  @Test("HTML: values, column names and SVG labels and titles are text, never markup")
  func hostileHTML() throws {
    let out = try report(["--format", "html"])
    let page = String(decoding: out, as: UTF8.self)
    #expect(!page.contains("<script"), "\(page)")
    #expect(!page.contains("<b>"))
    #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    let svg = try #require(page.range(of: "<svg")).lowerBound
    #expect(page[svg...].contains("&lt;b&gt;views&lt;/b&gt; per window_start</text>"))
    #expect(
      page[svg...].contains("<title>stdin: &lt;b&gt;views&lt;/b&gt; per window_start</title>"))
    #expect(!out.contains(0x1B) && !out.contains(0x07))
    let file = try TestTools.temporaryDirectory().appendingPathComponent("hostile.html")
    try Data(out).write(to: file)
    let c = try TestTools.run("/usr/bin/env", ["python3", check, "html", file.path, "1"])
    #expect(c.status == 0, "\(String(decoding: c.stdout, as: UTF8.self))\(c.stderr)")
  }

  @Test("CSV: formula-leading text cells get a leading ', numbers do not; --raw-csv keeps them")
  func hostileCSV() throws {
    let safe = String(decoding: try report(["--format", "csv"]), as: UTF8.self)
    let rows = safe.components(separatedBy: "\r\n")
    #expect(rows[0] == "window_start,page,<b>views</b>")
    #expect(rows[2] == #"2026-01-01T00:01:00Z,"'=HYPERLINK(""evil"")",-3"#, "\(rows)")
    #expect(rows[4] == "2026-01-01T00:03:00Z,'+1,1")
    #expect(rows[5] == "2026-01-01T00:04:00Z,'@SUM(A1),1")
    #expect(rows[6] == "2026-01-01T00:05:00Z,'-2,1")
    #expect(rows[7] == "2026-01-01T00:06:00Z,'\tcmd,1")
    #expect(rows[8] == "2026-01-01T00:07:00Z,\"'\rcmd\",1")
    let raw = String(decoding: try report(["--format", "csv", "--raw-csv"]), as: UTF8.self)
    let rawRows = raw.components(separatedBy: "\r\n")
    #expect(rawRows[2] == #"2026-01-01T00:01:00Z,"=HYPERLINK(""evil"")",-3"#)
    #expect(rawRows[4] == "2026-01-01T00:03:00Z,+1,1")
  }

  @Test("text and Markdown: ESC, BEL, CR, tab and C1 controls are shown escaped, never raw")
  func hostileTerminal() throws {
    for format in ["text", "markdown"] {
      let out = try report(["--format", format, "--width", "200"])
      let text = String(decoding: out, as: UTF8.self)
      #expect(!out.contains(0x1B) && !out.contains(0x07) && !out.contains(0x0D), "\(format)")
      #expect(!text.unicodeScalars.contains("\u{9B}"), "\(format)")
      #expect(!text.unicodeScalars.contains("\t"), "\(format)")
      #expect(text.contains(#"\x1B]0;pwned\x07\x1B[31mred"#), "\(format): \(text)")
      #expect(text.contains(#"\u{9B}31mC1"#), "\(format)")
      #expect(text.contains(#"\rcmd"#) && text.contains(#"\tcmd"#), "\(format)")
    }
    let md = String(decoding: try report(["--format", "markdown"]), as: UTF8.self)
    #expect(md.contains(#"\<script>alert(1)\</script>"#), "\(md)")
  }
}
