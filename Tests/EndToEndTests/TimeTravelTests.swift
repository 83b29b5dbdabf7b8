import Foundation
import LakeFormats
import LakeTable
import LakeTestSupport
import Testing

/// Time travel that does not lie (issue 14, item 9): commit times increase with the version in
/// every table the tools write, `--as-of` a version's commit time selects that version, and a
/// time before the first commit or after the latest is an error (64, one line naming the table,
/// the time asked and the table's range) in every tool that takes `--as-of`.
@Suite("time travel")
struct TimeTravelTests {
  func lake() throws -> String {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    for seed in 1...2 {
      let r = try TestTools.shell(
        "lh-gen --seed \(seed) --count 300 --duration 1h --quiet | lh-bronze --lake '\(lake)' --quiet"
          + " && lh-silver --lake '\(lake)' --quiet && lh-gold --lake '\(lake)' --quiet")
      #expect(r.status == 0, "\(r.stderr)")
    }
    return lake
  }

  static func text(_ ms: Int64) -> String { RFC3339.string(micros: ms * 1000, fractionDigits: 3) }

  @Test("every table's commit times increase with the version; --as-of each selects it")
  func increasing() throws {
    let lake = try lake()
    for table in ["bronze/events", "silver/events", "silver/rejects", "gold/kpi_minute"] {
      let path = lake + "/" + table
      let versions = try DeltaLog.versions(table: path)
      #expect(versions.count >= 2 || table == "silver/rejects", "\(table)")
      let times = try versions.map { try DeltaLog.commitTimestamp(table: path, version: $0) }
      for i in times.indices.dropFirst() {
        #expect(times[i] > times[i - 1], "\(table): version \(i) at \(times[i]) ≤ \(times[i - 1])")
      }
      for (v, t) in zip(versions, times) {
        #expect(try DeltaLog.snapshot(table: path, asOf: .timestamp(t)).version == v, "\(table)")
        let r = try TestTools.run(
          "lh-report", ["--lake", lake, table, "--as-of", Self.text(t), "--format", "markdown"])
        #expect(r.status == 0, "\(table) as of \(Self.text(t)): \(r.stderr)")
        // The subtitle: "version N" (gold: "per minute · version N").
        #expect(
          r.output.contains("\nversion \(v)\n") || r.output.contains(" version \(v)\n"),
          "\(table) as of version \(v): \(r.output)")
      }
    }
  }

  @Test("--as-of after the latest commit or before the first: 64, one line, in every tool")
  func outOfRange() throws {
    let lake = try lake()
    let bronze = lake + "/bronze/events"
    let silver = lake + "/silver/events"
    func range(_ path: String) throws -> (String, String) {
      let last = try DeltaLog.versions(table: path).last ?? 0
      return (
        Self.text(try DeltaLog.commitTimestamp(table: path, version: 0)),
        Self.text(try DeltaLog.commitTimestamp(table: path, version: last))
      )
    }
    let (b0, bn) = try range(bronze)
    let (s0, sn) = try range(silver)
    let later = "2999-01-01T00:00:00Z"
    let earlier = "2000-01-01"
    let cases: [(String, [String], String, String, String)] = [
      ("lh-silver", [], "bronze/events", b0, bn),
      ("lh-gold", ["--rebuild"], "silver/events", s0, sn),
      ("lh-report", ["silver/events"], "silver/events", s0, sn),
      (
        "lh-pack", ["archive", "--table", "silver/events", "-o", lake + "/../a.tar.zst"],
        "silver/events", s0, sn
      ),
    ]
    for (tool, arguments, table, first, latest) in cases {
      for (time, want) in [
        (later, "no version as of 2999-01-01T00:00:00.000Z: it is after the latest commit"),
        (earlier, "no version as of 2000-01-01T00:00:00.000Z: it is before the first commit"),
      ] {
        let r = try TestTools.run(tool, arguments + ["--lake", lake, "--as-of", time])
        #expect(r.status == 64, "\(tool) --as-of \(time): \(r.status) \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(tool): \(r.stderr)")
        #expect(
          r.stderr.contains(table) && r.stderr.contains(want)
            && r.stderr.contains("commits run from \(first) (version 0) to \(latest) (version "),
          "\(tool) --as-of \(time): \(r.stderr)")
      }
    }
  }
}
