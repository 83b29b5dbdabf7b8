import Foundation
import LakeTable
import LakeTestSupport
import Testing

/// `lh-report status` as monitoring (issue 14, item 8): stalled ingest and missing or truncated
/// data files fail `--check`, `--quiet` is silent on success, NDJSON and CSV are one valid table
/// each (read back by Python's json and csv modules), and `--format prometheus` passes a strict
/// check of the text exposition format.
@Suite("lh-report status monitoring")
struct LhReportStatusTests {
  let check = TestTools.repositoryRoot().appendingPathComponent("tests/report/check_report.py")
    .path

  /// The seeded lake of lh-report's own tests.
  func lake() throws -> String { try LhReportTests().lake() }

  /// Moves every commit time of `table` back by `ms`, as if it had been written then.
  func age(_ table: String, by ms: Int64) throws {
    for v in try DeltaLog.versions(table: table) {
      let url = URL(fileURLWithPath: table + "/_delta_log/" + DeltaLog.fileName(v))
      var text = try String(contentsOf: url, encoding: .utf8)
      let t = try DeltaLog.commitTimestamp(table: table, version: v)
      text = text.replacingOccurrences(of: "\"timestamp\":\(t)", with: "\"timestamp\":\(t - ms)")
      try text.write(to: url, atomically: false, encoding: .utf8)
    }
  }

  @Test("--max-age: bronze's last commit older than it fails --check, naming bronze (1)")
  func stalledIngest() throws {
    let lake = try lake()
    let fresh = try TestTools.run(
      "lh-report", ["status", "--lake", lake, "--check", "--max-age", "1h"])
    #expect(fresh.status == 0, "\(fresh.stderr)")
    try age(lake + "/bronze/events", by: 2 * 3_600_000)
    let stalled = try TestTools.run(
      "lh-report", ["status", "--lake", lake, "--check", "--max-age", "1h", "--max-lag", "1d"])
    #expect(stalled.status == 1, "\(stalled.stderr)")
    let lines = stalled.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(stalled.stderr)")
    #expect(
      stalled.stderr.hasPrefix("lh-report: bronze/events: ingest has stalled: last commit")
        && stalled.stderr.contains("more than --max-age 1h"), "\(stalled.stderr)")
    // Without --max-age the age of bronze is not checked.
    let off = try TestTools.run("lh-report", ["status", "--lake", lake, "--check"])
    #expect(off.status == 0, "\(off.stderr)")
  }

  @Test("--deep: a deleted or truncated data file fails --check, naming the file (1)")
  func deepCheck() throws {
    let lake = try lake()
    let ok = try TestTools.run("lh-report", ["status", "--lake", lake, "--check", "--deep"])
    #expect(ok.status == 0, "\(ok.stderr)")
    let silver = try DeltaLog.snapshot(table: lake + "/silver/events").files
    let gold = try DeltaLog.snapshot(table: lake + "/gold/kpi_minute").files
    let gone = try PartitionPath.uriDecode(silver[0].path)
    let short = try PartitionPath.uriDecode(gold[0].path)
    try FileManager.default.removeItem(atPath: lake + "/silver/events/" + gone)
    let handle = try FileHandle(
      forWritingTo: URL(fileURLWithPath: lake + "/gold/kpi_minute/" + short))
    try handle.truncate(atOffset: 100)
    try handle.close()
    // The log still adds up: only the deep check looks at the files.
    let shallow = try TestTools.run("lh-report", ["status", "--lake", lake, "--check"])
    #expect(shallow.status == 0, "\(shallow.stderr)")
    let deep = try TestTools.run(
      "lh-report", ["status", "--lake", lake, "--check", "--deep", "--quiet"])
    #expect(deep.status == 1 && deep.stdout.isEmpty, "\(deep.output)\(deep.stderr)")
    let lines = deep.stderr.split(separator: "\n").map(String.init)
    #expect(lines.count == 2, "\(deep.stderr)")
    #expect(
      lines.contains("lh-report: silver/events: data file \(gone) is missing"), "\(deep.stderr)")
    #expect(
      lines.contains(
        "lh-report: gold/kpi_minute: data file \(short) is 100 bytes, the log says \(gold[0].size)"),
      "\(deep.stderr)")
  }

  @Test("--quiet: nothing at all on success; on failure only the reasons, one line each")
  func quiet() throws {
    let lake = try lake()
    let ok = try TestTools.run("lh-report", ["status", "--lake", lake, "--check", "--quiet"])
    #expect(ok.status == 0 && ok.stdout.isEmpty && ok.stderr.isEmpty, "\(ok.output)\(ok.stderr)")
    let more = try TestTools.shell(
      "lh-gen --seed 8 --count 50 --quiet | lh-bronze --lake '\(lake)' --quiet")
    #expect(more.status == 0)
    let stale = try TestTools.run(
      "lh-report", ["status", "--lake", lake, "--check", "--quiet", "--max-lag", "0s"])
    #expect(stale.status == 1 && stale.stdout.isEmpty, "\(stale.output)")
    let lines = stale.stderr.split(separator: "\n")
    #expect(
      !lines.isEmpty
        && lines.allSatisfy { $0.hasPrefix("lh-report: ") && $0.contains(" is stale: ") })
  }

  @Test("NDJSON: one object a line, no key twice, a section key (json with duplicate check)")
  func ndjson() throws {
    let lake = try lake()
    let r = try TestTools.run("/usr/bin/env", ["python3", check, "status-ndjson", lake])
    #expect(r.status == 0, "\(r.output)\(r.stderr)")
  }

  @Test("CSV: one header with a section column, every row as wide (csv module)")
  func csv() throws {
    let lake = try lake()
    let r = try TestTools.run("/usr/bin/env", ["python3", check, "status-csv", lake])
    #expect(r.status == 0, "\(r.output)\(r.stderr)")
    let report = try TestTools.run("/usr/bin/env", ["python3", check, "report-csv", lake])
    #expect(report.status == 0, "\(report.output)\(report.stderr)")
  }

  @Test("--format prometheus: node_exporter's textfile format, checked line by line")
  func prometheus() throws {
    let lake = try lake()
    let r = try TestTools.run("lh-report", ["status", "--lake", lake, "--format", "prometheus"])
    #expect(r.status == 0, "\(r.stderr)")
    let samples = try PrometheusText.check(r.output)
    #expect(samples["lh_table_rows{table=\"bronze/events\"}"] == 600, "\(r.output)")
    #expect(samples["lh_table_version{table=\"silver/events\"}"] != nil)
    #expect(samples["lh_table_lag_versions{table=\"silver/events\"}"] == 0)
    #expect(samples["lh_table_lag_seconds{table=\"gold/kpi_minute\"}"] == 0)
    #expect((samples["lh_table_last_commit_age_seconds{table=\"bronze/events\"}"] ?? -1) >= 0)
    #expect(samples["lh_reconciled"] == 1)
    #expect(samples["lh_status_problems"] == 0)
    let rejects = samples["lh_reconciliation_rows{kind=\"rejects\"}"] ?? -1
    let read = samples["lh_reconciliation_rows{kind=\"bronze_read\"}"] ?? 0
    #expect(read == 600)
    #expect(samples["lh_reject_ratio{table=\"silver/events\"}"] == rejects / read)
    #expect(samples.keys.contains { $0.hasPrefix("lh_table_bytes{table=\"gold/") })
    // With --check it still prints the metrics, and answers 1 on a problem.
    let more = try TestTools.shell(
      "lh-gen --seed 8 --count 50 --quiet | lh-bronze --lake '\(lake)' --quiet")
    #expect(more.status == 0)
    let stale = try TestTools.run(
      "lh-report",
      ["status", "--lake", lake, "--format", "prometheus", "--check", "--max-lag", "0s"])
    #expect(stale.status == 1)
    let after = try PrometheusText.check(stale.output)
    #expect(after["lh_table_lag_versions{table=\"silver/events\"}"] == 1)
    #expect((after["lh_status_problems"] ?? 0) >= 1)
  }
}

/// A strict check of Prometheus' text exposition format (version 0.0.4), as node_exporter's
/// textfile collector reads it: every line a `# HELP`, a `# TYPE` or a sample; names and label
/// names well-formed; label values quoted with only `\\`, `\"` and `\n` escaped; a family's
/// HELP and TYPE once, before its samples, which are together; no series twice; a final newline.
enum PrometheusText {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func isName(_ s: Substring, colon: Bool = true) -> Bool {
    guard let f = s.unicodeScalars.first,
      f == "_" || (f.isASCII && f.properties.isAlphabetic)
        || (colon && f == ":")
    else { return false }
    return s.unicodeScalars.allSatisfy {
      $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        || (colon && $0 == ":")
    }
  }

  /// The samples by series (`name{labels}` as written), or a failure naming the line.
  static func check(_ text: String) throws -> [String: Double] {
    guard text.hasSuffix("\n") else { throw Failure(description: "no final newline") }
    var samples: [String: Double] = [:]
    var typed: [String: String] = [:]
    var helped = Set<String>()
    var finished = Set<String>()
    var current: String?
    for (n, line) in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
      .enumerated()
    {
      func fail(_ why: String) -> Failure { Failure(description: "line \(n + 1): \(why): \(line)") }
      // Every line belongs to a family; a family's lines come together.
      func enter(_ name: String) throws {
        guard name != current else { return }
        guard !finished.contains(name) else { throw fail("family \(name) split") }
        if let c = current { finished.insert(c) }
        current = name
      }
      if line.hasPrefix("#") {
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "#", isName(parts[2]) else {
          throw fail("a comment that is not HELP or TYPE")
        }
        let name = String(parts[2])
        try enter(name)
        switch parts[1] {
        case "HELP":
          guard parts.count == 4, helped.insert(name).inserted else { throw fail("HELP") }
          var escape = false
          for c in parts[3] {
            if escape {
              guard c == "\\" || c == "n" else { throw fail("bad escape in HELP") }
              escape = false
            } else if c == "\\" {
              escape = true
            }
          }
          guard !escape else { throw fail("HELP ends in \\") }
        case "TYPE":
          guard parts.count == 4,
            ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]),
            typed[name] == nil,
            !samples.keys.contains(where: { $0 == name || $0.hasPrefix(name + "{") })
          else { throw fail("TYPE") }
          typed[name] = String(parts[3])
        default:
          throw fail("a comment that is not HELP or TYPE")
        }
        continue
      }
      // name, optional {labels}, a space, a value (no timestamp: node_exporter refuses them).
      var i = line.startIndex
      while i < line.endIndex, line[i] != "{", line[i] != " " { i = line.index(after: i) }
      let name = line[line.startIndex..<i]
      guard isName(name) else { throw fail("metric name") }
      guard typed[String(name)] != nil else { throw fail("sample before its TYPE") }
      try enter(String(name))
      var labelNames = Set<Substring>()
      if i < line.endIndex, line[i] == "{" {
        i = line.index(after: i)
        while true {
          guard i < line.endIndex else { throw fail("unterminated labels") }
          if line[i] == "}" { break }
          let start = i
          while i < line.endIndex, line[i] != "=" { i = line.index(after: i) }
          let label = line[start..<i]
          guard isName(label, colon: false), !label.hasPrefix("__"),
            labelNames.insert(label).inserted
          else { throw fail("label name") }
          i = line.index(after: i)
          guard i < line.endIndex, line[i] == "\"" else { throw fail("label value not quoted") }
          i = line.index(after: i)
          while true {
            guard i < line.endIndex else { throw fail("unterminated label value") }
            if line[i] == "\"" { break }
            if line[i] == "\\" {
              i = line.index(after: i)
              guard i < line.endIndex, "\\\"n".contains(line[i]) else {
                throw fail("bad escape in a label value")
              }
            }
            i = line.index(after: i)
          }
          i = line.index(after: i)
          guard i < line.endIndex else { throw fail("unterminated labels") }
          if line[i] == "," {
            i = line.index(after: i)
            continue
          }
          guard line[i] == "}" else { throw fail("labels") }
        }
        i = line.index(after: i)
      }
      let series = String(line[line.startIndex..<i])
      guard i < line.endIndex, line[i] == " " else { throw fail("no value") }
      let valueText = line[line.index(after: i)...]
      let value: Double
      switch valueText {
      case "NaN": value = .nan
      case "+Inf": value = .infinity
      case "-Inf": value = -.infinity
      default:
        guard let v = Double(valueText), !valueText.contains(" ") else { throw fail("value") }
        value = v
      }
      guard samples.updateValue(value, forKey: series) == nil else { throw fail("series twice") }
    }
    guard !samples.isEmpty else { throw Failure(description: "no samples") }
    for name in typed.keys
    where !samples.keys.contains(where: { $0 == name || $0.hasPrefix(name + "{") }) {
      throw Failure(description: "family \(name) has a TYPE but no samples")
    }
    return samples
  }
}
