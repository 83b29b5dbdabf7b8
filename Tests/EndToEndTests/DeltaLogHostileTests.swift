import Foundation
import LakeFormats
import LakeIO
import LakeTable
import LakeTestSupport
import Testing

/// Hostile and very large Delta logs given to the tools (issue 9).
@Suite("Delta log hostile input, end to end (issue 9)")
struct DeltaLogHostileTests {
  /// A lake with bronze and silver tables, landed and refined by the tools.
  static func lake() throws -> String {
    let dir = try TestTools.temporaryDirectory("lh-deltalog")
    let lake = dir.appendingPathComponent("lake").path
    let made = try TestTools.shell(
      "lh-gen --count 300 --seed 7 | lh-bronze --quiet --lake \(lake) && lh-silver --quiet --lake \(lake)"
    )
    #expect(made.status == 0, "\(made.stderr)")
    return lake
  }

  /// Every file under `root` with its bytes, by relative path; but the table locks
  /// (`.lh/locks/<table>.lock`, empty files outside every table that a writer creates before
  /// it reads anything: issue 14).
  static func listing(_ root: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    let base = URL(fileURLWithPath: root)
    guard let walk = FileManager.default.enumerator(atPath: root) else { return out }
    for case let relative as String in walk where relative != ".lh" && !relative.hasPrefix(".lh/") {
      let url = base.appendingPathComponent(relative)
      var isDirectory: ObjCBool = false
      _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
      out[relative + (isDirectory.boolValue ? "/" : "")] =
        isDirectory.boolValue ? Data() : try Data(contentsOf: url)
    }
    return out
  }

  /// The next commit of bronze/events, written straight into its log.
  static func appendBronzeCommit(_ lake: String, _ text: String) throws -> String {
    let table = lake + "/bronze/events"
    let next = (try DeltaLog.versions(table: table).last ?? -1) + 1
    let name = "bronze/events/_delta_log/" + DeltaLog.fileName(next)
    try Data(text.utf8).write(to: URL(fileURLWithPath: lake + "/" + name))
    return name
  }

  static let tools: [(String, [String])] = [
    ("lh-report", ["status"]), ("lh-report", ["bronze/events"]), ("lh-pack", ["vacuum"]),
    ("lh-pack", ["compact"]), ("lh-silver", []), ("lh-bronze", []),
  ]

  /// Runs every tool that reads bronze's log and expects 65, one line naming `where`, and the
  /// lake unchanged byte for byte.
  static func expectRefused(_ lake: String, _ where: String, _ reason: String) throws {
    let before = try listing(lake)
    for (tool, arguments) in tools {
      let run = try TestTools.run(
        tool, arguments + ["--lake", lake], stdin: Array("{\"late\":1}\n".utf8))
      let lines = run.stderr.split(separator: "\n")
      #expect(run.status == 65, "\(tool) \(arguments): \(run.stderr)")
      #expect(lines.count == 1, "\(tool) \(arguments): \(run.stderr)")
      #expect(
        run.stderr.hasPrefix("\(tool): \(lake)/\(`where`)") && run.stderr.contains(reason),
        "\(tool) \(arguments): \(run.stderr)")
      #expect(try listing(lake) == before, "\(tool) \(arguments) changed the lake")
    }
  }

  @Test("a 65 MiB action line: every reader exits 65 with one line, the lake unchanged")
  func longLine() throws {
    let lake = try Self.lake()
    let name = try Self.appendBronzeCommit(
      lake,
      #"{"commitInfo":{"timestamp":1,"operation":"WRITE","operationParameters":{}}}"# + "\n"
        + #"{"add":{"path":"x","size":1,"stats":""# + String(repeating: "x", count: 65 << 20)
        + "\"}}\n")
    try Self.expectRefused(lake, name + ":2: ", "action line longer than 64 MiB (the limit)")
  }

  @Test("a value nested 100,000 deep: every reader exits 65 with one line, the lake unchanged")
  func deepNesting() throws {
    let lake = try Self.lake()
    let name = try Self.appendBronzeCommit(
      lake,
      #"{"commitInfo":{"timestamp":1,"operation":"WRITE","operationParameters":{}}}"# + "\n"
        + #"{"add":{"path":"x","partitionValues":"# + String(repeating: "[", count: 100_000) + "\n")
    try Self.expectRefused(lake, name + ":2: ", "nesting deeper than 64 levels")
  }

  @Test("100k live files: lh-report status stays within the documented memory bound")
  func memoryBound() throws {
    let lake = try Self.lake()
    let n = 100_000
    var text =
      #"{"commitInfo":{"timestamp":1,"operation":"WRITE","operationParameters":{}}}"# + "\n"
    for i in 0..<n { text += ScaleLine.add(i) }
    _ = try Self.appendBronzeCommit(lake, text)
    let (run, peakKiB) = try TestTools.runMeasuringMemory("lh-report", ["status", "--lake", lake])
    #expect(run.status == 0, "\(run.stderr)")
    // docs/architecture.md: replay holds about 140 bytes plus the path and stats text per live
    // file (~650 bytes for these 530-byte add lines) and one line buffer: ~75 MiB measured, in
    // debug and release builds alike. Before issue 9 (whole commit read, then decoded into an
    // array) this took ~210 MiB.
    #expect(peakKiB > 0 && peakKiB < 128 << 10, "peak \(peakKiB) KiB")
  }
}

/// An add line like lh-bronze's.
enum ScaleLine {
  static func add(_ i: Int) -> String {
    let day = 1 + i % 28
    let date = "2026-01-\(day < 10 ? "0" : "")\(day)"
    return
      #"{"add":{"path":"ingest_date=\#(date)/part-\#(i % 100_000)-0b9e\#(i)-4c2a-9f3e-\#(i * 7919)-c000.zstd.parquet","partitionValues":{"ingest_date":"\#(date)"},"size":\#(1000 + i),"modificationTime":1,"dataChange":true,"stats":"{\"numRecords\":1000,\"minValues\":{\"line\":1,\"ingested_at\":\"2026-01-01T00:00:00.000Z\",\"source\":\"spool/a.ndjson\"},\"maxValues\":{\"line\":1000,\"ingested_at\":\"2026-01-01T00:00:09.999Z\",\"source\":\"spool/z.ndjson\"},\"nullCount\":{\"line\":0,\"ingested_at\":0,\"source\":0,\"raw\":0}}"}}"#
      + "\n"
  }
}
