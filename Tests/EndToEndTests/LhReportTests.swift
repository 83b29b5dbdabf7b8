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
    let c = try TestTools.run("/usr/bin/env", ["python3", check, "html", file.path, "8"])
    #expect(c.status == 0, "\(String(decoding: c.stdout, as: UTF8.self))\(c.stderr)")
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
