import Foundation
import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

@testable import LakeTable

/// A small table for checkpoint tests: commit v (1…n) adds file v, every third also removes
/// the file two before; commit times one second apart.
enum CheckpointLog {
  static func info(_ time: Int64) -> DeltaAction {
    .commitInfo(
      DeltaCommitInfo(
        timestamp: time, operation: "WRITE", operationParameters: ["mode": "Append"],
        engineInfo: "lh-test"))
  }

  static func add(_ v: Int64) -> DeltaAdd {
    DeltaAdd(
      path: "event_date=2026-01-0\(1 + v % 2)/part-\(v).parquet",
      partitionValues: ["event_date": "2026-01-0\(1 + v % 2)"], size: 100 + v,
      modificationTime: 1, dataChange: true, stats: #"{"numRecords":\#(v)}"#)
  }

  /// Creates the table with `configuration` and commits 1…n; returns it and each version's
  /// live paths and time.
  static func make(
    _ name: String, commits n: Int64, configuration: [String: String] = [:]
  ) throws -> (table: String, files: [[String]], times: [Int64]) {
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let table = dir.appendingPathComponent(name).path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date"], engine: "lh-test",
      configuration: configuration)
    var files = [s0.files.map(\.path)]
    var times = [s0.timestamp]
    for v in 1...n {
      var actions = [info(s0.timestamp + v * 1000), DeltaAction.add(add(v))]
      if v % 3 == 0 {
        let gone = add(v - 2)
        actions.append(
          .remove(
            DeltaRemove(
              path: gone.path, deletionTimestamp: DeltaTable.nowMillis(), dataChange: true,
              partitionValues: gone.partitionValues, size: gone.size)))
      }
      #expect(try DeltaTable.commit(table: table, readVersion: v - 1, actions: actions) == v)
      let s = try DeltaLog.snapshot(table: table)
      files.append(s.files.map(\.path))
      times.append(s.timestamp)
    }
    return (table, files, times)
  }

  /// Writes a V2 checkpoint in JSON of `version` (the snapshot's actions, no sidecars); returns
  /// its file name.
  @discardableResult
  static func writeV2JSON(_ table: String, version: Int64) throws -> String {
    let s = try DeltaLog.snapshot(table: table, asOf: .version(version), tombstones: true)
    var actions: [DeltaAction] = [.protocol(s.protocol), .metaData(s.metadata)]
    actions += s.transactions.map {
      .txn(DeltaTxn(appId: $0.key, version: $0.value, lastUpdated: nil))
    }
    actions += s.files.map { .add($0) } + s.tombstones.map { .remove($0) }
    let name =
      String(DeltaLog.fileName(version).dropLast(5)) + ".checkpoint.\(DeltaTable.uuid()).json"
    var bytes = Array(#"{"checkpointMetadata":{"version":\#(version),"tags":{}}}"#.utf8) + [0x0A]
    bytes += DeltaLogCodec.encode(actions)
    try Data(bytes).write(to: URL(fileURLWithPath: table + "/_delta_log/" + name))
    return name
  }

  static func remove(_ table: String, _ name: String) {
    unlink(table + "/_delta_log/" + name)
  }

  static func removeCommits(_ table: String, _ versions: ClosedRange<Int64>) {
    for v in versions { remove(table, DeltaLog.fileName(v)) }
  }

  static func writeText(_ table: String, _ name: String, _ text: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: table + "/_delta_log/" + name))
  }

  static func usageError(_ body: () throws -> Void) -> DeltaLogError? {
    do {
      try body()
    } catch let e as DeltaLogError {
      return e
    } catch {
      Issue.record("unexpected error \(error)")
    }
    return nil
  }
}

@Suite("Delta checkpoints: reading and writing")
struct DeltaCheckpointTests {
  @Test("interval properties and _last_checkpoint hints parse, or are ignored")
  func properties() {
    typealias P = DeltaTableProperties
    let day: Int64 = 86_400_000
    #expect(P.intervalMillis("interval 1 week") == 7 * day)
    #expect(P.intervalMillis("interval 1 second") == 1000)
    #expect(P.intervalMillis("interval 2 days 3 hours") == 2 * day + 3 * 3_600_000)
    #expect(P.intervalMillis("30 days") == 30 * day)
    #expect(P.intervalMillis("interval 1 fortnight") == nil)
    #expect(P.intervalMillis("interval") == nil)
    #expect(P.checkpointInterval([:]) == 100)
    #expect(P.checkpointInterval(["delta.checkpointInterval": "5"]) == 5)
    #expect(P.checkpointInterval(["delta.checkpointInterval": "0"]) == 100)
    #expect(P.deletedFileRetentionMillis([:]) == 7 * 86_400_000)
    let hint = LastCheckpoint.parse(
      Array(#"{"version":10,"size":13,"sizeInBytes":999,"numOfAddFiles":7}"#.utf8))
    #expect(
      hint == LastCheckpoint(version: 10, size: 13, sizeInBytes: 999, numOfAddFiles: 7))
    #expect(LastCheckpoint.parse(Array(hint!.json)) == hint)
    for garbage in ["", "{", "null", "[1]", #"{"size":3}"#, #"{"version":-1}"#, "\u{0}\u{0}"] {
      #expect(LastCheckpoint.parse(Array(garbage.utf8)) == nil, "\(garbage)")
    }
  }

  @Test("a cleaned log: read from a V2 checkpoint, every later version, older ones refused")
  func cleanedLog() throws {
    let (table, files, times) = try CheckpointLog.make("cleaned", commits: 9)
    try CheckpointLog.writeV2JSON(table, version: 6)
    CheckpointLog.removeCommits(table, 0...5)
    #expect(try DeltaLog.latestVersion(table: table) == 9)
    #expect(try DeltaLog.oldestReconstructibleVersion(table: table) == 6)
    #expect(try DeltaLog.snapshot(table: table).files.map(\.path) == files[9])
    for v in Int64(6)...9 {
      let s = try DeltaLog.snapshot(table: table, asOf: .version(v))
      #expect(
        s.version == v && s.files.map(\.path) == files[Int(v)] && s.timestamp == times[Int(v)])
      #expect(try DeltaLog.version(at: times[Int(v)], table: table) == v)
      if v < 9 { #expect(try DeltaLog.version(at: times[Int(v)] + 999, table: table) == v) }
    }
    let old = CheckpointLog.usageError {
      _ = try DeltaLog.snapshot(table: table, asOf: .version(3))
    }
    #expect(old?.category == .usage)
    #expect(
      old?.reason
        == "version 3 is no longer reconstructible: its commits were cleaned up (the oldest version that can be read is 6)"
    )
    let early = CheckpointLog.usageError {
      _ = try DeltaLog.snapshot(table: table, asOf: .timestamp(times[3]))
    }
    #expect(early?.category == .usage)
    #expect(early?.reason.contains("before the first commit") == true)
    #expect(early?.reason.contains("(version 6)") == true)
  }

  @Test("_last_checkpoint missing, naming a missing checkpoint, garbage or stale: all read")
  func lastCheckpointVariants() throws {
    let (table, files, _) = try CheckpointLog.make("hints", commits: 12)
    let older = try CheckpointLog.writeV2JSON(table, version: 4)
    let newer = try CheckpointLog.writeV2JSON(table, version: 8)
    CheckpointLog.removeCommits(table, 0...3)
    func check(_ what: String) throws {
      #expect(try DeltaLog.latestVersion(table: table) == 12, "\(what)")
      #expect(try DeltaLog.snapshot(table: table).files.map(\.path) == files[12], "\(what)")
      #expect(
        try DeltaLog.snapshot(table: table, asOf: .version(5)).files.map(\.path) == files[5],
        "\(what)")
      #expect(
        try DeltaLog.snapshotIfPresent(table: table)?.files.map(\.path) == files[12], "\(what)")
    }
    try check("no _last_checkpoint")
    let hint = { (v: Int64, name: String) in
      #"{"version":\#(v),"size":3,"v2Checkpoint":{"path":"\#(name)"}}"#
    }
    try CheckpointLog.writeText(table, "_last_checkpoint", hint(8, newer))
    #expect(DeltaLog.hintPlan(table: table)?.latest == 12)
    try check("a good hint")
    try CheckpointLog.writeText(table, "_last_checkpoint", hint(4, older))
    try check("a stale hint")
    try CheckpointLog.writeText(
      table, "_last_checkpoint",
      hint(10, "00000000000000000010.checkpoint.\(DeltaTable.uuid()).json"))
    #expect(DeltaLog.hintPlan(table: table) == nil)
    try check("a hint naming a missing checkpoint")
    try CheckpointLog.writeText(table, "_last_checkpoint", #"{"version":10,"size":3}"#)
    #expect(DeltaLog.hintPlan(table: table) == nil)
    try check("a hint naming a missing classic checkpoint")
    try CheckpointLog.writeText(table, "_last_checkpoint", "\u{0}garbage{{")
    try check("a garbage hint")
    try CheckpointLog.writeText(table, "_last_checkpoint", "")
    try check("an empty hint")
  }

  @Test("a damaged checkpoint is passed over for an older one or a full replay")
  func damaged() throws {
    let (table, files, _) = try CheckpointLog.make("damaged", commits: 10)
    let good = try CheckpointLog.writeV2JSON(table, version: 5)
    let bad = try CheckpointLog.writeV2JSON(table, version: 8)
    // Truncated in the middle of a line (a writer killed mid-write).
    let path = table + "/_delta_log/" + bad
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: path))
    try CheckpointLog.writeText(
      table, "_last_checkpoint", #"{"version":8,"size":3,"v2Checkpoint":{"path":"\#(bad)"}}"#)
    #expect(try DeltaLog.snapshot(table: table).files.map(\.path) == files[10])
    #expect(try DeltaLog.snapshot(table: table, asOf: .version(8)).files.map(\.path) == files[8])
    // Without the older commits, the older checkpoint serves.
    CheckpointLog.removeCommits(table, 0...4)
    #expect(try DeltaLog.snapshot(table: table).files.map(\.path) == files[10])
    // With neither, an error names the damaged checkpoint.
    CheckpointLog.remove(table, good)
    let e = CheckpointLog.usageError { _ = try DeltaLog.snapshot(table: table) }
    #expect(e?.category == .data)
    #expect(
      e?.reason.hasPrefix("cannot read checkpoint \(bad)") == true, "\(String(describing: e))")
  }

  @Test("tombstones: the latest remove of each path not live, only when asked")
  func tombstones() throws {
    let (table, _, _) = try CheckpointLog.make("tombs", commits: 7)
    #expect(try DeltaLog.snapshot(table: table).tombstones.isEmpty)
    let s = try DeltaLog.snapshot(table: table, tombstones: true)
    #expect(
      s.tombstones.map(\.path) == [CheckpointLog.add(1).path, CheckpointLog.add(4).path].sorted())
    // Re-adding a removed path makes it live again: no tombstone.
    let info = CheckpointLog.info(DeltaTable.nowMillis())
    _ = try DeltaTable.commit(
      table: table, readVersion: 7, actions: [info, .add(CheckpointLog.add(1))])
    let t = try DeltaLog.snapshot(table: table, tombstones: true)
    #expect(t.tombstones.map(\.path) == [CheckpointLog.add(4).path])
    // Tombstones survive a checkpoint.
    try CheckpointLog.writeV2JSON(table, version: 8)
    CheckpointLog.removeCommits(table, 0...7)
    #expect(
      try DeltaLog.snapshot(table: table, tombstones: true).tombstones.map(\.path) == [
        CheckpointLog.add(4).path
      ])
  }

  @Test("time travel by timestamp reads a bounded number of commits on a long log")
  func timestampBounded() throws {
    let (table, _, times) = try CheckpointLog.make("long", commits: 40)
    for c in [Int64(10), 20, 30] { try CheckpointLog.writeV2JSON(table, version: c) }
    // Make commits 1…9 unreadable (directories): a search that read them would fail.
    for v in Int64(1)...9 {
      CheckpointLog.remove(table, DeltaLog.fileName(v))
      mkdir(table + "/_delta_log/" + DeltaLog.fileName(v), 0o755)
    }
    #expect(try DeltaLog.version(at: times[35], table: table) == 35)
    #expect(try DeltaLog.version(at: times[21] + 1, table: table) == 21)
    #expect(try DeltaLog.version(at: times[40], table: table) == 40)
  }

  @Test("commits write a classic checkpoint every delta.checkpointInterval versions")
  func writesAtInterval() throws {
    let (table, files, times) = try CheckpointLog.make(
      "interval", commits: 12, configuration: ["delta.checkpointInterval": "5"])
    let log = table + "/_delta_log/"
    let names = try FileManager.default.contentsOfDirectory(atPath: log).sorted()
    #expect(
      names.filter { $0.contains("checkpoint") } == [
        "00000000000000000005.checkpoint.parquet", "00000000000000000010.checkpoint.parquet",
        "_last_checkpoint",
      ], "\(names)")
    #expect(!names.contains { $0.hasSuffix(".tmp") })
    let hint = try #require(LastCheckpoint.read(table: table))
    var st = stat()
    #expect(stat(log + "00000000000000000010.checkpoint.parquet", &st) == 0)
    #expect(
      hint
        == LastCheckpoint(
          version: 10, size: Int64(2 + files[10].count + 3), sizeInBytes: Int64(st.st_size),
          numOfAddFiles: Int64(files[10].count)))
    // What the checkpoint holds: protocol, metaData, the live adds with stats, the tombstones.
    var adds: [DeltaAdd] = []
    var removes: [String] = []
    var others = 0
    try DeltaCheckpointCodec.forEachAction(
      file: log + "00000000000000000010.checkpoint.parquet", table: table
    ) { a in
      switch a {
      case .add(let add): adds.append(add)
      case .remove(let r): removes.append(r.path)
      case .protocol, .metaData: others += 1
      default: Issue.record("unexpected \(a)")
      }
    }
    #expect(others == 2)
    #expect(Set(adds.map(\.path)) == Set(files[10]))
    #expect(adds.allSatisfy { $0.stats?.hasPrefix(#"{"numRecords":"#) == true })
    #expect(
      Set(removes) == Set([1, 4, 7].map { CheckpointLog.add(Int64($0)).path }), "\(removes)")
    // Without the commits before it, every version from 10 on reads as before.
    CheckpointLog.removeCommits(table, 0...9)
    for v in Int64(10)...12 {
      let s = try DeltaLog.snapshot(table: table, asOf: .version(v))
      #expect(s.files.map(\.path).sorted() == files[Int(v)].sorted())
      #expect(s.timestamp == times[Int(v)])
    }
    #expect(DeltaLog.hintPlan(table: table)?.latest == 12)
    // The 15th commit moves _last_checkpoint forward.
    for v in Int64(13)...15 {
      _ = try DeltaTable.commit(
        table: table, readVersion: v - 1,
        actions: [CheckpointLog.info(DeltaTable.nowMillis()), .add(CheckpointLog.add(v))])
    }
    #expect(LastCheckpoint.read(table: table)?.version == 15)
  }

  @Test("tombstones older than delta.deletedFileRetentionDuration leave the checkpoint")
  func tombstoneRetention() throws {
    let (table, _, _) = try CheckpointLog.make(
      "retention", commits: 4,
      configuration: ["delta.deletedFileRetentionDuration": "interval 1 hour"])
    let log = table + "/_delta_log/"
    func removes() throws -> [String] {
      var out: [String] = []
      try DeltaCheckpointCodec.forEachAction(
        file: log + "00000000000000000004.checkpoint.parquet", table: table
      ) { if case .remove(let r) = $0 { out.append(r.path) } }
      return out
    }
    try DeltaCheckpoint.write(table: table, version: 4)
    #expect(try removes() == [CheckpointLog.add(1).path])
    unlink(log + "00000000000000000004.checkpoint.parquet")
    try DeltaCheckpoint.write(table: table, version: 4, now: DeltaTable.nowMillis() + 3_700_000)
    #expect(try removes() == [])
  }

  @Test("a checkpoint that cannot be written is a warning; the commit stands")
  func failureIsWarning() throws {
    let (table, _, _) = try CheckpointLog.make(
      "warn", commits: 1, configuration: ["delta.checkpointInterval": "2"])
    // A directory where _last_checkpoint goes: the rename into place fails.
    mkdir(table + "/_delta_log/_last_checkpoint", 0o755)
    final class Lines: @unchecked Sendable {
      var lines: [String] = []
    }
    let seen = Lines()
    let previous = DeltaWarnings.sink
    DeltaWarnings.sink = { seen.lines.append($0) }
    defer { DeltaWarnings.sink = previous }
    let v = try DeltaTable.commit(
      table: table, readVersion: 1,
      actions: [CheckpointLog.info(DeltaTable.nowMillis()), .add(CheckpointLog.add(2))])
    #expect(v == 2)
    #expect(seen.lines.count == 1, "\(seen.lines)")
    #expect(
      seen.lines.first?.hasPrefix(
        "\(table): version 2 is committed, but its checkpoint was not written: ") == true)
    #expect(try DeltaLog.snapshot(table: table).files.count == 2)
  }

  @Test("a multi-part checkpoint named by _last_checkpoint; with a part missing it is passed over")
  func multiPart() throws {
    let (table, files, _) = try CheckpointLog.make("parts", commits: 9)
    let s = try DeltaLog.snapshot(table: table, asOf: .version(6), tombstones: true)
    let actions: [DeltaAction] =
      [.protocol(s.protocol), .metaData(s.metadata)] + s.files.map { .add($0) }
      + s.tombstones.map { .remove($0) }
    let ref = CheckpointRef(version: 6, kind: .multiPart(3))
    for (k, name) in ref.fileNames.enumerated() {
      let part = actions.indices.filter { $0 % 3 == k }.map { actions[$0] }
      try Data(DeltaCheckpointCodec.encode(part)).write(
        to: URL(fileURLWithPath: table + "/_delta_log/" + name))
    }
    CheckpointLog.removeCommits(table, 0...5)
    try CheckpointLog.writeText(table, "_last_checkpoint", #"{"version":6,"size":9,"parts":3}"#)
    #expect(DeltaLog.hintPlan(table: table)?.checkpoint == ref)
    #expect(try DeltaLog.snapshot(table: table).files.map(\.path).sorted() == files[9].sorted())
    #expect(
      try DeltaLog.snapshot(table: table, asOf: .version(6)).files.map(\.path).sorted()
        == files[6].sorted())
    CheckpointLog.remove(table, ref.fileNames[1])
    #expect(DeltaLog.hintPlan(table: table) == nil)
    let e = CheckpointLog.usageError { _ = try DeltaLog.snapshot(table: table) }
    #expect(
      e?.reason
        == "cannot read version 9: the log's commits start at version 6 and no complete checkpoint precedes them"
    )
  }

  @Test("_last_checkpoint's checksum: the protocol's canonical JSON and MD5, checked on read")
  func checksum() throws {
    #expect(MD5.hex([]) == "d41d8cd98f00b204e9800998ecf8427e")
    #expect(MD5.hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
    #expect(
      MD5.hex(Array(String(repeating: "1234567890", count: 8).utf8))
        == "57edf4a22be3c955ac49da2e2107b67a")
    // PROTOCOL.md's example.
    let sample = Array(
      #"{"k0":"'v 0'", "checksum": "adsaskfljadfkjadfkj", "k1":{"k2": 2, "k3": ["v3", [1, 2], {"k4": "v4", "k5": ["v5", "v6", "v7"]}]}}"#
        .utf8)
    #expect(
      LastCheckpointChecksum.canonical(sample)
        == #""k0"="%27v%200%27","k1"+"k2"=2,"k1"+"k3"+0="v3","k1"+"k3"+1+0=1,"k1"+"k3"+1+1=2,"k1"+"k3"+2+"k4"="v4","k1"+"k3"+2+"k5"+0="v5","k1"+"k3"+2+"k5"+1="v6","k1"+"k3"+2+"k5"+2="v7""#
    )
    #expect(LastCheckpointChecksum.checksum(sample) == "6a92d155a59bf2eecbd4b4ec7fd1f875")
    let hint = LastCheckpoint(version: 10, size: 13, sizeInBytes: 999, numOfAddFiles: 7)
    let text = String(decoding: hint.json, as: UTF8.self)
    #expect(text.contains(#","checksum":""#), "\(text)")
    #expect(LastCheckpoint.parse(hint.json) == hint)
    let tampered = text.replacingOccurrences(of: #""size":13"#, with: #""size":14"#)
    #expect(LastCheckpoint.parse(Array(tampered.utf8)) == nil)
  }
}
