import Foundation
import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

@testable import LakeTable

/// Commit files written straight to `_delta_log/` (issue 9): logs at a size a debug build replays
/// in seconds (the replay state alone at 200k files); the million-action runs, in a release build,
/// are bench/deltalog/.
enum ScaleLog {
  static let stats =
    #"{\"numRecords\":1000,\"minValues\":{\"id\":1,\"name\":\"alpha\",\"ts\":\"2026-01-01T00:00:00.000Z\"},\"maxValues\":{\"id\":1000,\"name\":\"omega\",\"ts\":\"2026-01-01T23:59:59.999Z\"},\"nullCount\":{\"id\":0,\"name\":3,\"ts\":0}}"#

  /// A path like lh's: a partition folder and a part file with a UUID-like name.
  static func path(_ i: Int) -> String {
    let day = 1 + i % 28
    return
      "event_date=2026-01-\(day < 10 ? "0" : "")\(day)/part-\(i % 100_000)-0b9e\(i)-4c2a-9f3e-\(i * 7919)-c000.zstd.parquet"
  }

  static func day(_ i: Int) -> String {
    let day = 1 + i % 28
    return "2026-01-\(day < 10 ? "0" : "")\(day)"
  }

  static func info(_ time: Int64) -> String {
    #"{"commitInfo":{"timestamp":\#(time),"operation":"WRITE","operationParameters":{"mode":"Append"}}}"#
      + "\n"
  }

  static func add(_ i: Int) -> String {
    #"{"add":{"path":"\#(path(i))","partitionValues":{"event_date":"\#(day(i))"},"size":\#(1000 + i),"modificationTime":1,"dataChange":true,"stats":"\#(stats)"}}"#
      + "\n"
  }

  static func remove(_ i: Int) -> String {
    #"{"remove":{"path":"\#(path(i))","deletionTimestamp":1,"dataChange":true,"extendedFileMetadata":true,"partitionValues":{"event_date":"\#(day(i))"},"size":\#(1000 + i)}}"#
      + "\n"
  }

  /// A new table (version 0 by lh) and the time of its version 0.
  static func table(_ name: String) throws -> (table: String, time: Int64) {
    let dir = try TestTools.temporaryDirectory("lh-scale")
    let table = dir.appendingPathComponent(name).path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date"], engine: "lh-test")
    return (table, s0.timestamp)
  }

  /// Writes commit `version` from `lines` (each ends with a newline).
  static func write(_ table: String, _ version: Int64, _ lines: some Sequence<String>) throws {
    var bytes: [UInt8] = []
    for l in lines { bytes += l.utf8 }
    try Data(bytes).write(
      to: URL(fileURLWithPath: table + "/_delta_log/" + DeltaLog.fileName(version)))
  }
}

@Suite("Delta log at scale and under attack (issue 9)")
struct DeltaLogScaleTests {
  static let n = 20_000

  @Test(
    "replay state: 200k adds, half removed, some replaced and re-added, in order",
    arguments: [0, 150_000])
  func liveFilesAtScale(reservedAt: Int) {
    let n = 200_000
    func file(_ i: Int, size: Int64 = 1) -> DeltaAdd {
      DeltaAdd(
        path: ScaleLog.path(i), partitionValues: ["event_date": ScaleLog.day(i)], size: size,
        modificationTime: 1, dataChange: true, stats: nil)
    }
    var live = DeltaLiveFiles()
    // Room made for a checkpoint's rows (at the start, or with files already held).
    for i in 0..<n {
      if i == reservedAt { live.reserve(n - i + 10) }
      live.add(file(i))
    }
    for i in stride(from: 1, to: n, by: 2) { live.remove(ScaleLog.path(i)) }
    live.remove("no such file")
    for i in stride(from: 0, to: n, by: 1000) { live.add(file(i, size: 2)) }  // replaced in place
    for i in stride(from: 1, to: 2001, by: 2) { live.add(file(i, size: 3)) }  // back, at the end
    for i in stride(from: 4, to: n, by: 4) { live.remove(ScaleLog.path(i)) }
    #expect(live.count == n / 4 + 1 + 1000)
    let files = live.finish()
    let expected =
      stride(from: 0, to: n, by: 2).filter { $0 == 0 || $0 % 4 != 0 }
      + Array(stride(from: 1, to: 2001, by: 2))
    #expect(files.map(\.path) == expected.map(ScaleLog.path))
    #expect(files.first?.size == 2 && files[1].size == 1 && files.last?.size == 3)
    #expect(files.allSatisfy { $0.partitionValues["event_date"] != nil })
  }

  @Test("20k adds in one commit, then removes and re-adds: live files, order and stats")
  func manyAdds() throws {
    let (table, t0) = try ScaleLog.table("adds")
    let n = Self.n
    try ScaleLog.write(table, 1, [ScaleLog.info(t0 + 1)] + (0..<n).lazy.map(ScaleLog.add))
    // Remove every odd file, replace file 0 (it keeps its place), add one new file.
    var replaced = ScaleLog.add(0)
    replaced = replaced.replacingOccurrences(of: "\"size\":1000,", with: "\"size\":7,")
    try ScaleLog.write(
      table, 2,
      [ScaleLog.info(t0 + 2)] + stride(from: 1, to: n, by: 2).lazy.map(ScaleLog.remove)
        + [replaced, ScaleLog.add(n)])
    let s1 = try DeltaLog.snapshot(table: table, asOf: .version(1))
    #expect(s1.files.count == n)
    #expect(s1.files.map(\.path) == (0..<n).map(ScaleLog.path))
    #expect(
      s1.files[12_345 % Self.n].stats == ScaleLog.stats.replacingOccurrences(of: "\\\"", with: "\"")
    )
    #expect(
      s1.files[12_345 % Self.n].partitionValues == ["event_date": ScaleLog.day(12_345 % Self.n)])
    let s2 = try DeltaLog.snapshot(table: table)
    #expect(s2.version == 2 && s2.timestamp == t0 + 2)
    let expected = stride(from: 0, to: n, by: 2).map(ScaleLog.path) + [ScaleLog.path(n)]
    #expect(s2.files.map(\.path) == expected)
    #expect(s2.files.first?.size == 7 && s2.files.last?.size == Int64(1000 + n))
    #expect(s2.files[1].size == 1002)
  }

  @Test("20k adds, then a commit removing all of them, then two more adds")
  func addThenRemoveAll() throws {
    let (table, t0) = try ScaleLog.table("addremove")
    let n = Self.n
    try ScaleLog.write(table, 1, [ScaleLog.info(t0 + 1)] + (0..<n).lazy.map(ScaleLog.add))
    try ScaleLog.write(table, 2, [ScaleLog.info(t0 + 2)] + (0..<n).lazy.map(ScaleLog.remove))
    try ScaleLog.write(table, 3, [ScaleLog.info(t0 + 3), ScaleLog.add(n + 1), ScaleLog.add(5)])
    #expect(try DeltaLog.snapshot(table: table, asOf: .version(2)).files.isEmpty)
    let s = try DeltaLog.snapshot(table: table)
    #expect(s.files.map(\.path) == [ScaleLog.path(n + 1), ScaleLog.path(5)])
  }

  @Test("5,000 small commits: latest, and time travel by timestamp")
  func manyCommits() throws {
    let (table, t0) = try ScaleLog.table("commits")
    let n = 5_000
    for v in 1...n {
      try ScaleLog.write(
        table, Int64(v),
        [ScaleLog.info(t0 + Int64(v) * 1000), ScaleLog.add(v)]
          + (v > 1 ? [ScaleLog.remove(v - 1)] : []))
    }
    let latest = try DeltaLog.snapshot(table: table)
    #expect(latest.version == Int64(n) && latest.files.map(\.path) == [ScaleLog.path(n)])
    let mid = try DeltaLog.snapshot(table: table, asOf: .timestamp(t0 + 1_234 * 1000 + 999))
    #expect(mid.version == 1_234 && mid.timestamp == t0 + 1_234 * 1000)
    #expect(mid.files.map(\.path) == [ScaleLog.path(1_234)])
    #expect(
      try DeltaLog.snapshot(table: table, asOf: .timestamp(t0 + Int64(n) * 1000)).version
        == Int64(n))
    // After the latest commit: an error, as in Spark, not silently the latest version.
    #expect(throws: DeltaLogError.self) {
      try DeltaLog.snapshot(table: table, asOf: .timestamp(t0 + 10 * Int64(n) * 1000))
    }
    #expect(throws: DeltaLogError.self) {
      try DeltaLog.snapshot(table: table, asOf: .timestamp(t0 - 1))
    }
  }

  @Test("20k txn actions with distinct appIds")
  func manyTransactions() throws {
    let (table, t0) = try ScaleLog.table("txns")
    let n = Self.n
    try ScaleLog.write(
      table, 1,
      [ScaleLog.info(t0 + 1)]
        + (0..<n).lazy.map {
          #"{"txn":{"appId":"app-\#($0)","version":\#($0),"lastUpdated":1}}"# + "\n"
        })
    let s = try DeltaLog.snapshot(table: table)
    #expect(s.transactions.count == n && s.transactions["app-4242"] == 4242)
  }

  @Test("an action line over 64 MiB is refused with the table, version and line")
  func longLine() throws {
    let (table, t0) = try ScaleLog.table("long")
    let huge =
      #"{"add":{"path":"x","size":1,"stats":""# + String(repeating: "x", count: 65 << 20) + "\"}}\n"
    try ScaleLog.write(table, 1, [ScaleLog.info(t0 + 1), ScaleLog.add(1), huge, ScaleLog.add(2)])
    let expected =
      "\(table)/_delta_log/00000000000000000001.json:3: action line longer than 64 MiB (the limit)"
    #expect { try DeltaLog.snapshot(table: table) } throws: { "\($0)" == expected }
    #expect { try DeltaLog.readCommit(table: table, version: 1) } throws: { "\($0)" == expected }
    #expect { try DeltaLog.snapshot(table: table) } throws: {
      ($0 as? LakeError)?.category == .data
    }
    // The same line without its newline, at the end of the file.
    try ScaleLog.write(table, 1, [ScaleLog.info(t0 + 1), String(huge.dropLast())])
    #expect { try DeltaLog.snapshot(table: table) } throws: {
      "\($0)"
        == "\(table)/_delta_log/00000000000000000001.json:2: action line longer than 64 MiB (the limit)"
    }
  }

  @Test("a 2 GiB sparse commit file is refused after reading at most one line's limit")
  func sparseCommit() throws {
    let (table, t0) = try ScaleLog.table("sparse")
    let path = table + "/_delta_log/" + DeltaLog.fileName(1)
    try ScaleLog.write(table, 1, [ScaleLog.info(t0 + 1)])
    #expect(truncate(path, 2 << 30) == 0)
    #expect { try DeltaLog.snapshot(table: table) } throws: {
      "\($0)" == "\(path):2: action line longer than 64 MiB (the limit)"
    }
  }

  @Test("a value nested thousands deep is refused, not recursed into")
  func deepNesting() throws {
    let (table, t0) = try ScaleLog.table("deep")
    let deep = String(repeating: #"{"a":"#, count: 5000) + "1" + String(repeating: "}", count: 5000)
    try ScaleLog.write(
      table, 1,
      [ScaleLog.info(t0 + 1), #"{"add":{"path":"x","partitionValues":\#(deep),"size":1}}"# + "\n"])
    #expect { try DeltaLog.snapshot(table: table) } throws: {
      "\($0)".hasPrefix("\(table)/_delta_log/00000000000000000001.json:2: byte ")
        && "\($0)".hasSuffix(": nesting deeper than 64 levels")
    }
    let deepArray = String(repeating: "[", count: 100_000)
    try ScaleLog.write(table, 1, [ScaleLog.info(t0 + 1), #"{"txn":\#(deepArray)"# + "\n"])
    #expect { try DeltaLog.snapshot(table: table) } throws: {
      "\($0)".hasSuffix(": nesting deeper than 64 levels")
    }
  }

  @Test("the line reader: limits at the boundary, CRLF, no final newline, lines across chunks")
  func lineReader() throws {
    let (table, _) = try ScaleLog.table("reader")
    func lines(_ text: String, limit: Int) throws -> [String] {
      try ScaleLog.write(table, 1, [text])
      var out: [String] = []
      try DeltaCommitReader(maxLineBytes: limit).forEachLine(table: table, version: 1) { l, n in
        out.append("\(n):" + String(decoding: l, as: UTF8.self))
        return true
      }
      return out
    }
    #expect(try lines("ab\r\n\ncd", limit: 8) == ["1:ab", "2:", "3:cd"])
    #expect(try lines("12345678\r\n12345678", limit: 8) == ["1:12345678", "2:12345678"])
    #expect { try lines("12345678\n123456789\n", limit: 8) } throws: {
      "\($0)".hasSuffix("00000000000000000001.json:2: action line longer than 8 bytes (the limit)")
    }
    #expect { try lines("123456789", limit: 8) } throws: {
      "\($0)".hasSuffix("00000000000000000001.json:1: action line longer than 8 bytes (the limit)")
    }
    // Lines that straddle the 64 KiB first read, and one that makes the buffer grow.
    let long = (0..<5000).map { String(repeating: "y", count: $0 % 97) }
    let big = String(repeating: "z", count: 300_000)
    let read = try lines((long + [big, "end"]).joined(separator: "\n"), limit: 1 << 20)
    #expect(read == (long + [big, "end"]).enumerated().map { "\($0.offset + 1):\($0.element)" })
  }
}
