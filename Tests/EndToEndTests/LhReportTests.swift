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
}
