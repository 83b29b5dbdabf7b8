// LakeTable/Delta/DeltaTable.swift
//
// Writing a Delta table (formats.md §9 "Atomic commit on a local file system"; style.md §7):
//
//   write data files (temp name, fsync, rename)  ─▶  commit: actions → _delta_log/_commit_<id>.json.tmp,
//   fsync, link(2) to %020d.json (fails with EEXIST if that version exists: never rename, which
//   would overwrite), unlink the temp, fsync _delta_log
//
// Losing the race for a version: read the commits that won, refuse on a conflict (the winner
// changed metaData or protocol, removed a file this commit removes, or advanced this commit's
// txn appId), else retry as the next version with the same data files; after `maxAttempts`,
// give up with status 75 (EX_TEMPFAIL). Every commit starts with a commitInfo (deltalake's
// history() counts them), whose timestamp is at least 1 ms after the previous version's (the
// in-commit timestamp rule), so that commit times increase with the version.
//
// A commit whose version is a multiple of `delta.checkpointInterval` is followed by a checkpoint
// (`DeltaCheckpoint`), whose failure is a warning, never the commit's.

import LakeFormats
import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// A commit that conflicts with one that won the race, or that lost too many races.
public struct DeltaCommitError: LakeError, Equatable {
  public var table: String
  public var reason: String
  public var category: ErrorCategory { .tempFail }
  public var description: String { "\(table): \(reason)" }
}

/// Creating, writing and committing to Delta tables.
public enum DeltaTable {
  /// How many versions a commit tries before giving up.
  public static let maxAttempts = 20

  /// A random UUID v4 as text (metaData ids, file names).
  public static func uuid() -> String {
    var g = SystemRandomNumberGenerator()
    let hi = (g.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000
    let lo = (g.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
    func hex(_ v: UInt64, _ n: Int) -> String {
      let s = String(v, radix: 16)
      return String(repeating: "0", count: n - s.count) + s
    }
    return
      "\(hex(hi >> 32, 8))-\(hex((hi >> 16) & 0xFFFF, 4))-\(hex(hi & 0xFFFF, 4))-\(hex(lo >> 48, 4))-\(hex(lo & 0xFFFF_FFFF_FFFF, 12))"
  }

  /// Milliseconds since the epoch now.
  public static func nowMillis() -> Int64 { SystemClock.wallMicroseconds() / 1000 }

  /// Returns the table's snapshot, creating the table (version 0) first if it does not exist.
  public static func openOrCreate(
    at table: String, schema: TableSchema, partitionColumns: [String], engine: String,
    configuration: [String: String] = [:]
  ) throws -> Snapshot {
    if let existing = try DeltaLog.snapshotIfPresent(table: table) { return existing }
    for c in partitionColumns where schema.index(of: c) == nil {
      throw LakeFailure(.usage, "partition column '\(c)' is not in the schema")
    }
    try makeDirectories(table + "/_delta_log")
    let now = nowMillis()
    var info = DeltaCommitInfo(
      timestamp: now, operation: "CREATE TABLE",
      operationParameters: [
        "mode": "ErrorIfExists",
        "partitionBy": "[" + partitionColumns.map { "\"\($0)\"" }.joined(separator: ",") + "]",
      ],
      engineInfo: engine)
    info.extra = []
    var metadata = DeltaMetadata(
      id: uuid(), schemaString: DeltaSchema.schemaString(for: schema),
      partitionColumns: partitionColumns, createdTime: now)
    metadata.configuration = configuration
    let actions: [DeltaAction] = [
      .commitInfo(info), .protocol(DeltaProtocol()), .metaData(metadata),
    ]
    do {
      _ = try commit(table: table, readVersion: -1, actions: actions)
    } catch is DeltaCommitError {
      // Someone else created it first: use theirs.
    }
    return try DeltaLog.snapshot(table: table)
  }

  /// Writes `columns` (all columns of the snapshot's schema, in order) as new data files, one or
  /// more per partition; returns their `add` actions (not yet committed).
  public static func writeFiles(
    _ snapshot: Snapshot, columns: [ColumnBuffer], options: ParquetWriteOptions = .init()
  ) throws -> [DeltaAdd] {
    let writer = try DeltaDataWriter(snapshot: snapshot, options: options)
    do {
      var chunk = columns
      try writer.append(&chunk)
      return try writer.finish()
    } catch {
      writer.abort()
      throw error
    }
  }

  /// The partition value text of row `r` (nil for null).
  static func partitionValue(_ column: ColumnBuffer, row r: Int) throws -> String? {
    guard column.isValid(r) else { return nil }
    switch column.type {
    case .string:
      // An empty string is stored as null (directory and log agree): delta-rs reads "" as null
      // but Polars as "", so lh never writes "".
      let text = String(decoding: column.bytes(at: r), as: UTF8.self)
      return text.isEmpty ? nil : text
    case .date: return DeltaStats.dateText(Int64(column.int32s[r]))
    case .int32: return String(column.int32s[r])
    case .int64: return String(column.int64s[r])
    case .boolean: return column.booleans[r] ? "true" : "false"
    case .decimal(_, let s): return JSONDecimal.text(column.int64s[r], scale: s)
    default: throw LakeFailure(.usage, "cannot partition by a \(column.type) column")
    }
  }

  /// Commits `actions` as the version after `readVersion` (put-if-absent), retrying past
  /// commits that do not conflict; returns the version committed.
  ///
  /// - Parameters:
  ///   - conflictsSince: when the commit's decisions rest on an older read (a job's txn
  ///     progress read at that version), commits after it up to `readVersion` are checked for
  ///     conflicts too, except `ownVersions` (this job's own earlier commits) and version 0.
  ///   - readPartitions: for a commit that replaces partitions, the partitions it read: a
  ///     concurrent commit adding a file to one of them conflicts.
  public static func commit(
    table: String, readVersion: Int64, actions: [DeltaAction], conflictsSince: Int64? = nil,
    ownVersions: Set<Int64> = [], readPartitions: Set<[String: String?]> = []
  ) throws -> Int64 {
    let log = table + "/_delta_log"
    if let since = conflictsSince, max(since + 1, 1) <= readVersion {
      for v in max(since + 1, 1)...readVersion where !ownVersions.contains(v) {
        try checkConflicts(
          ours: actions, table: table, version: v, readPartitions: readPartitions)
      }
    }
    let temporary = "\(log)/_commit_\(uuid()).json.tmp"
    var written: [UInt8]?
    defer { if written != nil { unlink(temporary) } }
    var version = readVersion + 1
    var attempts = 0
    while true {
      // The commit as `version`: stamped after the version before it, written to the temporary
      // file again only when that changed its bytes (a lost race can).
      let bytes = DeltaLogCodec.encode(try stamped(actions, table: table, version: version))
      if bytes != written {
        if written != nil { unlink(temporary) }
        written = nil
        let fd = try FileDescriptor.create(writingTo: temporary, exclusive: true)
        do {
          try bytes.withUnsafeBytes { try fd.writeAll($0) }
          try fd.sync()
          try fd.close()
        } catch {
          unlink(temporary)
          throw error
        }
        written = bytes
      }
      let final = "\(log)/\(DeltaLog.fileName(version))"
      if link(temporary, final) == 0 {
        do {
          try syncDirectory(of: final)
        } catch let e as SystemError {
          // The commit is visible; only its durability is in doubt. Say so, so that nobody
          // sends the same rows again (issue 9).
          throw SystemError(
            "version \(version) is committed, but fsync", path: e.path, errno: e.errno)
        }
        // A checkpoint when the version crosses the interval: never an error of the commit.
        DeltaCheckpoint.afterCommit(table: table, version: version, actions: actions)
        return version
      }
      guard errno == EEXIST else {
        throw SystemError("link", path: final, errno: errno, category: .io)
      }
      attempts += 1
      guard attempts < maxAttempts else {
        throw DeltaCommitError(
          table: table,
          reason: "lost the race for a new version \(maxAttempts) times; try again later")
      }
      // Someone else committed `version`: check it against ours, then try the next one.
      try checkConflicts(
        ours: actions, table: table, version: version, readPartitions: readPartitions)
      version += 1
    }
  }

  /// `actions` with their commitInfo's timestamp raised, if need be, to 1 ms after commit
  /// `version - 1`'s: commit times increase with the version, whatever clock the writer read
  /// and whenever it read it (the in-commit timestamp rule of the Delta protocol:
  /// max(the writer's time, the previous commit's + 1 ms)), so that time travel by timestamp
  /// finds every version.
  static func stamped(_ actions: [DeltaAction], table: String, version: Int64) throws
    -> [DeltaAction]
  {
    guard version > 0,
      let i = actions.firstIndex(where: {
        if case .commitInfo = $0 { return true } else { return false }
      }),
      case .commitInfo(var info) = actions[i]
    else { return actions }
    let previous = try DeltaLog.commitTimestamp(table: table, version: version - 1)
    guard info.timestamp <= previous else { return actions }
    info.timestamp = previous + 1
    var out = actions
    out[i] = .commitInfo(info)
    return out
  }

  /// Refuses `ours` if commit `version` (streamed, not held) conflicts with it.
  static func checkConflicts(
    ours: [DeltaAction], table: String, version: Int64,
    readPartitions: Set<[String: String?]> = []
  ) throws {
    var removed = Set<String>()
    var apps = Set<String>()
    for a in ours {
      if case .remove(let r) = a { removed.insert(r.path) }
      if case .txn(let t) = a { apps.insert(t.appId) }
    }
    try DeltaLog.forEachAction(table: table, version: version) { a in
      switch a {
      case .metaData, .protocol:
        throw DeltaCommitError(
          table: table,
          reason: "version \(version) changed the table's metadata or protocol concurrently")
      case .remove(let r) where removed.contains(r.path):
        throw DeltaCommitError(
          table: table, reason: "version \(version) removed \(r.path) concurrently")
      case .add(let a) where readPartitions.contains(a.partitionValues):
        throw DeltaCommitError(
          table: table,
          reason: "version \(version) added \(a.path) to a partition this commit replaces")
      case .remove(let r) where r.partitionValues.map({ readPartitions.contains($0) }) ?? false:
        throw DeltaCommitError(
          table: table,
          reason: "version \(version) removed \(r.path) from a partition this commit replaces")
      case .txn(let t) where apps.contains(t.appId):
        throw DeltaCommitError(
          table: table, reason: "version \(version) advanced transaction '\(t.appId)' concurrently")
      default: return
      }
    }
  }

  /// The actions that replace every live file of `partitions` (each a full set of partition
  /// values) with `adds`: a `remove` per replaced file (kept on disk for time travel until
  /// vacuum), then the adds.
  ///
  /// Commit them with `readPartitions: partitions`, so that a concurrent write into those
  /// partitions conflicts instead of being lost.
  public static func replacePartitions(
    _ snapshot: Snapshot, partitions: Set<[String: String?]>, with adds: [DeltaAdd]
  ) -> [DeltaAction] {
    let now = nowMillis()
    let removes = snapshot.files.filter { partitions.contains($0.partitionValues) }.map {
      DeltaAction.remove(
        DeltaRemove(
          path: $0.path, deletionTimestamp: now, dataChange: true,
          partitionValues: $0.partitionValues,
          size: $0.size))
    }
    return removes + adds.map { .add($0) }
  }

  /// `mkdir -p`.
  static func makeDirectories(_ path: String) throws {
    // Usually the directory exists, or only its last component is new: one call.
    let leaf = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
    if mkdir(leaf, 0o777) == 0 || errno == EEXIST { return }
    if errno != ENOENT {
      throw SystemError("mkdir", path: leaf, errno: errno, category: .cannotCreate)
    }
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") where !part.isEmpty {
      current += "/" + part
      if mkdir(current, 0o777) != 0 && errno != EEXIST {
        throw SystemError("mkdir", path: current, errno: errno, category: .cannotCreate)
      }
    }
  }
}
