// LakeTable/Delta/DeltaLog.swift
//
// Reading a table's log: list `_delta_log/%020d.json`, check the versions are contiguous from 0
// (lh reads JSON commits only; a table whose version 0 was cleaned up after a checkpoint is
// refused loudly), and replay commits 0…N into a snapshot: the latest protocol and metaData, the
// live files (add inserts, remove deletes, keyed by path), the latest txn version per appId.
// Time travel picks N by version or by commit timestamp.
//
// Bounds (issue 9, "a Delta log with a million actions"): commits are streamed line by line
// (`DeltaCommitReader`), never read whole; an action line holds at most `maxActionLineBytes`
// (64 MiB) and nests at most 64 levels, else the snapshot fails with a one-line error naming the
// table, version and line (status 65). Replay keeps only the state it returns — about 300 bytes
// plus the path and stats text per live file (`DeltaLiveFiles`), and the latest version per txn
// appId — plus one line buffer, so memory follows the table's live files, not the log's length.
// Time travel by timestamp first finds the version from the commits' commitInfo timestamps
// (reading each commit only up to its commitInfo; `version(at:table:)`, the one resolution of
// every tool's --as-of: a time before the first commit or after the latest is an error, as in
// Spark), then replays to it once.

import LakeFormats
import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// Which version of a table to read.
public enum TimeTravel: Sendable, Equatable {
  case latest
  case version(Int64)
  /// The latest version committed at or before this time (ms since the epoch); a time before
  /// the first commit or after the latest is an error (``DeltaLog/version(at:table:)``).
  case timestamp(Int64)
}

/// A table as of one version.
public struct Snapshot: Sendable {
  public let table: String
  public let version: Int64
  public let `protocol`: DeltaProtocol
  public let metadata: DeltaMetadata
  public let schema: TableSchema
  /// Live data files in the order they were added.
  public let files: [DeltaAdd]
  /// Latest version per appId.
  public let transactions: [String: Int64]
  /// Commit time of `version` (ms).
  public let timestamp: Int64
}

/// Reading the log of a Delta table.
public enum DeltaLog {
  /// Versions lh can read (reader 1, or 3 without features) and write (writer 2).
  public static let maxReaderVersion = 1
  public static let maxWriterVersion = 2
  /// The longest action line read, in bytes: a longer one is an error (a broken or hostile log).
  public static let maxActionLineBytes = 64 << 20

  /// The commit file name of `version`, such as `00000000000000000042.json`.
  public static func fileName(_ version: Int64) -> String {
    let digits = String(version)
    return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".json"
  }

  /// The commit versions present, sorted; empty when the table does not exist yet.
  public static func versions(table: String) throws -> [Int64] {
    let dir = table + "/_delta_log"
    guard let d = opendir(dir) else {
      if errno == ENOENT { return [] }
      throw SystemError("open", path: dir, errno: errno, category: .noInput)
    }
    defer { closedir(d) }
    var out: [Int64] = []
    while let entry = readdir(d) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      let bytes = Array(name.utf8)
      guard bytes.count == 25, name.hasSuffix(".json"),
        bytes[0..<20].allSatisfy({ (0x30...0x39).contains($0) }),
        let v = Int64(String(decoding: bytes[0..<20], as: UTF8.self))
      else { continue }
      out.append(v)
    }
    return out.sorted()
  }

  /// Reads the actions of commit `version`.
  ///
  /// For commits that may be large, ``forEachAction(table:version:_:)`` streams them instead.
  public static func readCommit(table: String, version: Int64) throws -> [DeltaAction] {
    var actions: [DeltaAction] = []
    try forEachAction(table: table, version: version) { actions.append($0) }
    return actions
  }

  /// Calls `body` with each action of commit `version`, in order, reading the commit line by line
  /// (memory: one line, at most ``maxActionLineBytes``).
  ///
  /// - Throws: `SystemError` when the commit cannot be read, `DeltaLogError` for a malformed or
  ///   over-long line, and whatever `body` throws.
  public static func forEachAction(
    table: String, version: Int64, _ body: (DeltaAction) throws -> Void
  ) throws {
    try DeltaCommitReader().forEachAction(table: table, version: version, body)
  }

  /// The timestamp of commit `version` (ms): its first commitInfo's, else the commit file's
  /// modification time; the commit is read only up to its commitInfo.
  public static func commitTimestamp(table: String, version: Int64) throws -> Int64 {
    try DeltaCommitReader().commitTimestamp(table: table, version: version)
  }

  /// The latest snapshot of `table`, or nil when it has no commits (does not exist yet).
  ///
  /// - Throws: `DeltaLogError` for a log that exists but cannot be read, like ``snapshot(table:asOf:)``.
  public static func snapshotIfPresent(table: String) throws -> Snapshot? {
    try versions(table: table).isEmpty ? nil : try snapshot(table: table)
  }

  /// The table as of `asOf`.
  ///
  /// - Throws: `DeltaLogError` with `.noInput` when the table does not exist, `.data` for a
  ///   broken log, `.usage` for a version or time the table does not have.
  public static func snapshot(table: String, asOf: TimeTravel = .latest) throws -> Snapshot {
    let versions = try versions(table: table)
    guard let last = versions.last else {
      throw DeltaLogError(
        table: table, reason: "not a Delta table (no _delta_log commits)", category: .noInput)
    }
    guard versions.first == 0 else {
      throw DeltaLogError(
        table: table,
        reason: "version 0 of the log is missing (only checkpoints left; lh reads JSON commits)")
    }
    for (i, v) in versions.enumerated() where v != Int64(i) {
      throw DeltaLogError(
        table: table, reason: "log versions are not contiguous: version \(i) is missing")
    }
    let reader = DeltaCommitReader()
    var target = last
    switch asOf {
    case .latest: break
    case .version(let v):
      guard v >= 0 && v <= last else {
        throw DeltaLogError(
          table: table, reason: "no version \(v) (latest is \(last))", category: .usage)
      }
      target = v
    case .timestamp(let t):
      target = try version(at: t, table: table, last: last, reader: reader)
    }

    var proto: DeltaProtocol?
    var meta: DeltaMetadata?
    var files = DeltaLiveFiles()
    var txns: [String: Int64] = [:]
    var stamp: Int64?
    for v in 0...target {
      try reader.forEachAction(table: table, version: v) { a in
        switch a {
        case .commitInfo(let c): if v == target { stamp = stamp ?? c.timestamp }
        case .protocol(let p): proto = p
        case .metaData(let m): meta = m
        case .add(let add): files.add(add)
        case .remove(let r): files.remove(r.path)
        case .txn(let t): txns[t.appId] = t.version
        case .other, .sidecar: break
        }
      }
    }
    let time = stamp ?? fileTime(table: table, version: target)
    return try make(table, target, proto, meta, files.finish(), txns, time)
  }

  /// The version a time `t` (ms) selects: the latest committed at or before `t`.
  ///
  /// The one place every tool's `--as-of TIME` is resolved. As in Spark and delta-rs, a time
  /// before the first commit is an error, and, as in Spark ("the provided timestamp is after
  /// the latest version available"), so is a time after the latest commit: the table may well
  /// have changed since, so no version is known to be the table as of then. Commit times are
  /// read as Spark reads them, made increasing (a commit stamped no later than the one before
  /// it counts as 1 ms after it), so that tables written before lh stamped them so, or by a
  /// writer with a clock that went back, still resolve every version.
  ///
  /// - Throws: `DeltaLogError` (`.usage`) naming the table, the time asked and the table's
  ///   range of commit times.
  public static func version(at t: Int64, table: String) throws -> Int64 {
    guard let last = try versions(table: table).last else {
      throw DeltaLogError(
        table: table, reason: "not a Delta table (no _delta_log commits)", category: .noInput)
    }
    return try version(at: t, table: table, last: last, reader: DeltaCommitReader())
  }

  static func version(at t: Int64, table: String, last: Int64, reader: DeltaCommitReader) throws
    -> Int64
  {
    var times: [Int64] = []
    times.reserveCapacity(Int(min(last + 1, 1 << 16)))
    for v in 0...last {
      let raw = try reader.commitTimestamp(table: table, version: v)
      let time = times.last.map { max(raw, $0 + 1) } ?? raw
      if time > t {
        guard v > 0 else {
          throw outOfRange(t, table: table, "before the first commit", times: [time], reader)
        }
        return v - 1
      }
      times.append(time)
    }
    guard let latest = times.last, t > latest else { return last }
    throw outOfRange(t, table: table, "after the latest commit", times: times, reader)
  }

  static func outOfRange(
    _ t: Int64, table: String, _ why: String, times: [Int64], _ reader: DeltaCommitReader
  ) -> DeltaLogError {
    func text(_ ms: Int64) -> String { RFC3339.string(micros: ms * 1000, fractionDigits: 3) }
    // The range: the first commit's time, and the latest's (read on when `times` stops early).
    var latest = times.last ?? 0
    var v = Int64(times.count)
    while true {
      guard let raw = try? reader.commitTimestamp(table: table, version: v) else { break }
      latest = max(raw, latest + 1)
      v += 1
    }
    let first = times.first ?? latest
    return DeltaLogError(
      table: table,
      reason:
        "no version as of \(text(t)): it is \(why); the table's commits run from \(text(first)) (version 0) to \(text(latest)) (version \(v - 1))",
      category: .usage)
  }

  static func make(
    _ table: String, _ version: Int64, _ proto: DeltaProtocol?, _ meta: DeltaMetadata?,
    _ files: [DeltaAdd], _ txns: [String: Int64], _ time: Int64
  ) throws -> Snapshot {
    guard let proto else {
      throw DeltaLogError(table: table, reason: "no protocol action in the log")
    }
    guard let meta else {
      throw DeltaLogError(table: table, reason: "no metaData action in the log")
    }
    try checkReadable(proto, table: table)
    guard meta.provider == "parquet" else {
      throw DeltaLogError(table: table, reason: "unsupported data format '\(meta.provider)'")
    }
    let schema = try DeltaSchema.tableSchema(from: meta.schemaString, table: table)
    return Snapshot(
      table: table, version: version, protocol: proto, metadata: meta, schema: schema,
      files: files, transactions: txns, timestamp: time)
  }

  /// Refuses a table lh cannot read correctly.
  static func checkReadable(_ p: DeltaProtocol, table: String) throws {
    let features = p.readerFeatures ?? []
    let ok = p.minReaderVersion <= maxReaderVersion || (p.minReaderVersion == 3 && features.isEmpty)
    guard ok else {
      let what = features.isEmpty ? "" : " (features: \(features.joined(separator: ", ")))"
      throw DeltaLogError(
        table: table,
        reason:
          "unsupported table protocol: reader version \(p.minReaderVersion)\(what); lh reads version \(maxReaderVersion)"
      )
    }
  }

  /// Refuses to write a table whose protocol asks more of writers than lh does.
  public static func checkWritable(_ p: DeltaProtocol, table: String) throws {
    guard p.minWriterVersion <= maxWriterVersion else {
      let features = (p.writerFeatures ?? []).joined(separator: ", ")
      throw DeltaLogError(
        table: table,
        reason:
          "unsupported table protocol: writer version \(p.minWriterVersion)\(features.isEmpty ? "" : " (features: \(features))"); lh writes version \(maxWriterVersion)",
        category: .usage)
    }
  }

  static func fileTime(table: String, version: Int64) -> Int64 {
    var st = stat()
    guard stat(table + "/_delta_log/" + fileName(version), &st) == 0 else { return 0 }
    return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
  }
}
