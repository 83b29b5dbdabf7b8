// LakeTable/Delta/DeltaLog.swift
//
// Reading a table's log (PROTOCOL.md "Checkpoints", "Last Checkpoint File"; formats.md §9):
//
//   _last_checkpoint (a hint: its checkpoint must exist, with every part, and its JSON commit)
//     ─▶ probe N+1.json, N+2.json … (stat) until one is absent: the latest version, without
//        listing _delta_log                                   else ─▶ list _delta_log once
//   newest complete checkpoint ≤ the version asked (classic, multi-part with all its parts,
//   V2 `N.checkpoint.<uuid>.json|parquet` with its sidecars in _delta_log/_sidecars)
//     ─▶ replay only the JSON commits after it (they must be contiguous)
//
// A checkpoint that cannot be read (a partial or damaged file, a missing sidecar) is passed over
// for an older one, or for a replay from version 0 when the commits are all there; only when no
// way is left is it an error, naming the first checkpoint's problem. Versions older than the
// oldest checkpoint whose JSON commits were cleaned up are "no longer reconstructible" (a usage
// error naming the oldest version that is). Replay keeps the latest protocol and metaData, the
// live files (add inserts, remove deletes, keyed by path), the latest txn version per appId,
// and, when asked, the tombstones (the latest remove of each path that is not live).
//
// Bounds (issue 9, "a Delta log with a million actions"): commits and checkpoints are streamed
// action by action (`DeltaCommitReader`, `DeltaCheckpointCodec`), never held; an action line
// holds at most `maxActionLineBytes` (64 MiB) and nests at most 64 levels, else the snapshot
// fails with a one-line error naming the table, version and line (status 65). Replay keeps only
// the state it returns — about 300 bytes plus the path and stats text per live file
// (`DeltaLiveFiles`), and the latest version per txn appId — plus one line buffer, so memory
// follows the table's live files, not the log's length (a listing of _delta_log, when one is
// needed, keeps 8 bytes per commit).
//
// Time travel by timestamp (`version(at:table:)`, the one resolution of every tool's --as-of)
// reads commit times only up to each commit's commitInfo: a binary search over the commits at
// checkpoint versions (and the oldest commit kept) finds the last one at or before the time,
// then the commits after it are read in order, their times made increasing from there as Spark
// does per searched range. A time before the oldest kept commit or after the latest is an error.

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
  /// Live data files in the order they were added (those of a checkpoint in its order, first).
  public let files: [DeltaAdd]
  /// Latest version per appId.
  public let transactions: [String: Int64]
  /// Commit time of `version` (ms).
  public let timestamp: Int64
  /// The removes whose path is not live, the latest per path, sorted by path; empty unless
  /// asked for (``DeltaLog/snapshot(table:asOf:tombstones:)``).
  public let tombstones: [DeltaRemove]
}

/// Reading the log of a Delta table.
public enum DeltaLog {
  /// The highest reader version lh reads (1; 2, column mapping; 3 with the features of
  /// ``readerFeatures``) and the writer version it writes (2).
  public static let maxReaderVersion = 3
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

  /// The latest version of `table`, or nil when it has no log (does not exist yet).
  ///
  /// Costs a read of `_last_checkpoint` and a stat per commit since the checkpoint it names,
  /// when that hint holds; a listing of `_delta_log` otherwise.
  public static func latestVersion(table: String) throws -> Int64? {
    if let hint = hintPlan(table: table) { return hint.latest }
    return try DeltaLogListing(table: table).latest
  }

  /// The latest snapshot of `table`, or nil when it has no commits (does not exist yet).
  ///
  /// - Throws: `DeltaLogError` for a log that exists but cannot be read, like ``snapshot(table:asOf:tombstones:)``.
  public static func snapshotIfPresent(table: String, tombstones: Bool = false) throws
    -> Snapshot?
  {
    if let hint = hintPlan(table: table) {
      let plan = ReplayPlan(target: hint.latest, checkpoints: [hint.checkpoint], fromZero: false)
      do {
        return try build(table: table, plan: plan, tombstones: tombstones)
      } catch is CheckpointsUnreadable {
        // Damaged: list the log for another checkpoint.
      }
    }
    let listing = try DeltaLogListing(table: table)
    guard let last = listing.latest else { return nil }
    return try build(table: table, listing: listing, target: last, tombstones: tombstones)
  }

  /// The table as of `asOf`; with `tombstones`, also its tombstones (which cost memory per
  /// removed file still in the log or checkpoint, so readers that do not need them skip them).
  ///
  /// - Throws: `DeltaLogError` with `.noInput` when the table does not exist, `.data` for a
  ///   broken log, `.usage` for a version or time the table does not have (or no longer has).
  public static func snapshot(table: String, asOf: TimeTravel = .latest, tombstones: Bool = false)
    throws -> Snapshot
  {
    // The fast way: the checkpoint `_last_checkpoint` names, and the commits after it.
    if let hint = hintPlan(table: table) {
      var target: Int64?
      switch asOf {
      case .latest: target = hint.latest
      case .version(let v) where v >= hint.checkpoint.version && v <= hint.latest: target = v
      default: break
      }
      if let target {
        let plan = ReplayPlan(target: target, checkpoints: [hint.checkpoint], fromZero: false)
        do {
          return try build(table: table, plan: plan, tombstones: tombstones)
        } catch is CheckpointsUnreadable {
          // Damaged: list the log for another checkpoint.
        }
      }
    }
    let listing = try DeltaLogListing(table: table)
    guard let last = listing.latest else {
      throw DeltaLogError(
        table: table, reason: "not a Delta table (no _delta_log commits)", category: .noInput)
    }
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
      target = try version(at: t, table: table, listing: listing, reader: DeltaCommitReader())
    }
    return try build(table: table, listing: listing, target: target, tombstones: tombstones)
  }

  /// The oldest version of `table` that can still be read (its own checkpoint, or commits from
  /// version 0), or nil when the table does not exist or none can.
  public static func oldestReconstructibleVersion(table: String) throws -> Int64? {
    try DeltaLogListing(table: table).oldestReconstructible
  }

  /// The longest run of commits probed after `_last_checkpoint` before the log is listed
  /// instead (a stale hint: a newer checkpoint is likely there).
  static let maxProbe: Int64 = 1000

  /// The checkpoint `_last_checkpoint` names, when it and its commit exist, and the latest
  /// version found by probing the commits after it; nil when the hint is missing, damaged,
  /// stale by more than ``maxProbe`` commits, or names files that are not there.
  static func hintPlan(table: String) -> (checkpoint: CheckpointRef, latest: Int64)? {
    guard let hint = LastCheckpoint.read(table: table) else { return nil }
    let log = table + "/_delta_log/"
    let ref: CheckpointRef
    if let path = hint.v2Path {
      guard !path.contains("/"),
        case .checkpointV2(let v, _, _)? = DeltaLogFile.parse(path), v == hint.version
      else { return nil }
      ref = CheckpointRef(version: hint.version, kind: .v2(path))
    } else if let parts = hint.parts, parts > 1 {
      ref = CheckpointRef(version: hint.version, kind: .multiPart(parts))
    } else {
      ref = CheckpointRef(version: hint.version, kind: .classic)
    }
    for name in ref.fileNames where !exists(log + name) { return nil }
    guard exists(log + fileName(hint.version)) else { return nil }
    var latest = hint.version
    while exists(log + fileName(latest + 1)) {
      latest += 1
      if latest - hint.version > maxProbe { return nil }
    }
    return (ref, latest)
  }

  static func exists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
  }

  /// What a replay to `target` may start from: checkpoints (newest first) each followed by the
  /// commits up to `target`, or (`fromZero`) commits 0…target.
  struct ReplayPlan {
    var target: Int64
    var checkpoints: [CheckpointRef]
    var fromZero: Bool
  }

  /// No checkpoint of a plan could be read and no replay from version 0 is possible.
  struct CheckpointsUnreadable: Error {
    var first: (CheckpointRef, Error)?
  }

  /// The snapshot at `target`, planned from `listing`.
  static func build(table: String, listing: DeltaLogListing, target: Int64, tombstones: Bool)
    throws -> Snapshot
  {
    let plan = listing.plan(target: target)
    if plan.checkpoints.isEmpty && !plan.fromZero {
      if let oldest = listing.oldestReconstructible, target < oldest {
        throw DeltaLogError(
          table: table,
          reason:
            "version \(target) is no longer reconstructible: its commits were cleaned up (the oldest version that can be read is \(oldest))",
          category: .usage)
      }
      let missing = listing.firstMissing(before: target)
      if let first = listing.commits.first, missing < first {
        throw DeltaLogError(
          table: table,
          reason:
            "cannot read version \(target): the log's commits start at version \(first) and no complete checkpoint precedes them"
        )
      }
      throw DeltaLogError(
        table: table, reason: "log versions are not contiguous: version \(missing) is missing")
    }
    do {
      return try build(table: table, plan: plan, tombstones: tombstones)
    } catch let e as CheckpointsUnreadable {
      guard let (ref, error) = e.first else { throw e }
      throw DeltaLogError(
        table: table,
        reason:
          "cannot read checkpoint \(ref.fileNames.first ?? "") (\(error)), and no older checkpoint or full log to replay instead"
      )
    }
  }

  /// Replays `plan`: the newest of its checkpoints that can be read, else commits from 0,
  /// then the commits after it.
  static func build(table: String, plan: ReplayPlan, tombstones: Bool) throws -> Snapshot {
    let reader = DeltaCommitReader()
    var state = ReplayState(tombstones: tombstones)
    var from: Int64 = 0
    var loaded: CheckpointRef?
    var first: (CheckpointRef, Error)?
    for ref in plan.checkpoints where ref.version <= plan.target {
      var s = ReplayState(tombstones: tombstones)
      do {
        try s.load(ref, table: table, reader: reader)
        guard s.proto != nil, s.meta != nil else {
          throw DeltaLogError(table: table, reason: "the checkpoint has no protocol or metaData")
        }
        state = s
        from = ref.version + 1
        loaded = ref
        break
      } catch {
        if first == nil { first = (ref, error) }
      }
    }
    if loaded == nil && !plan.fromZero { throw CheckpointsUnreadable(first: first) }
    var stamp: Int64?
    if from <= plan.target {
      for v in from...plan.target {
        try reader.forEachAction(table: table, version: v) { a in
          if case .commitInfo(let c) = a, v == plan.target { stamp = stamp ?? c.timestamp }
          state.apply(a)
        }
      }
    }
    let time: Int64
    if let stamp {
      time = stamp
    } else if from <= plan.target {
      time = fileTime(table: table, version: plan.target)
    } else if let loaded {
      // The snapshot is the checkpoint's own version: its commit's time, if the commit is kept.
      let log = table + "/_delta_log/"
      if exists(log + fileName(loaded.version)) {
        time = try reader.commitTimestamp(table: table, version: loaded.version)
      } else {
        time = fileTime(path: log + (loaded.fileNames.first ?? ""))
      }
    } else {
      time = 0
    }
    return try make(
      table, plan.target, state.proto, state.meta, state.files.finish(), state.txns, time,
      tombstones: state.finishTombstones())
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
  /// The cost does not grow with the table's age: a binary search over the commits at
  /// checkpoint versions (and the oldest commit kept) picks where to start, then the commits
  /// from there on are read up to the time asked, each only up to its commitInfo; times are
  /// made increasing from that starting commit on (as Spark does within each range it
  /// searches). When early commits were cleaned up, the first commit is the oldest one kept.
  ///
  /// - Throws: `DeltaLogError` (`.usage`) naming the table, the time asked and the table's
  ///   range of commit times.
  public static func version(at t: Int64, table: String) throws -> Int64 {
    let listing = try DeltaLogListing(table: table)
    guard listing.latest != nil else {
      throw DeltaLogError(
        table: table, reason: "not a Delta table (no _delta_log commits)", category: .noInput)
    }
    return try version(at: t, table: table, listing: listing, reader: DeltaCommitReader())
  }

  static func version(
    at t: Int64, table: String, listing: DeltaLogListing, reader: DeltaCommitReader
  ) throws -> Int64 {
    guard let run = listing.keptCommits else {
      throw DeltaLogError(
        table: table, reason: "no JSON commits left to read commit times from", category: .data)
    }
    // Anchors: the oldest kept commit and every checkpoint version with its commit kept.
    var anchors = [run.lowerBound]
    for c in listing.checkpointVersions where c > run.lowerBound && c <= run.upperBound {
      anchors.append(c)
    }
    let firstTime = try reader.commitTimestamp(table: table, version: run.lowerBound)
    guard firstTime <= t else {
      let latest = try reader.commitTimestamp(table: table, version: run.upperBound)
      throw outOfRange(
        t, table: table, "before the first commit", first: (run.lowerBound, firstTime),
        latest: (run.upperBound, max(latest, firstTime)))
    }
    // The last anchor whose commit time is at or before t (anchors[0] is).
    var lo = 0
    var hi = anchors.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if try reader.commitTimestamp(table: table, version: anchors[mid]) <= t {
        lo = mid
      } else {
        hi = mid - 1
      }
    }
    var previous: Int64?
    var v = anchors[lo]
    while v <= run.upperBound {
      let raw = try reader.commitTimestamp(table: table, version: v)
      let time = previous.map { max(raw, $0 + 1) } ?? raw
      if time > t { return v - 1 }
      previous = time
      v += 1
    }
    guard let latest = previous, t > latest else { return run.upperBound }
    throw outOfRange(
      t, table: table, "after the latest commit", first: (run.lowerBound, firstTime),
      latest: (run.upperBound, latest))
  }

  static func outOfRange(
    _ t: Int64, table: String, _ why: String, first: (Int64, Int64), latest: (Int64, Int64)
  ) -> DeltaLogError {
    func text(_ ms: Int64) -> String { RFC3339.string(micros: ms * 1000, fractionDigits: 3) }
    return DeltaLogError(
      table: table,
      reason:
        "no version as of \(text(t)): it is \(why); the table's commits run from \(text(first.1)) (version \(first.0)) to \(text(latest.1)) (version \(latest.0))",
      category: .usage)
  }

  static func make(
    _ table: String, _ version: Int64, _ proto: DeltaProtocol?, _ meta: DeltaMetadata?,
    _ files: [DeltaAdd], _ txns: [String: Int64], _ time: Int64, tombstones: [DeltaRemove] = []
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
    DeltaCheckpoint.remember(table: table, configuration: meta.configuration)
    return Snapshot(
      table: table, version: version, protocol: proto, metadata: meta, schema: schema,
      files: files, transactions: txns, timestamp: time, tombstones: tombstones)
  }

  /// Reader features lh honours (protocol reader version 3): naive timestamps, column mapping,
  /// type widening (read as the wider type), V2 checkpoints and the vacuum check (nothing to do
  /// for a reader), deletion vectors and variant (accepted here; a file with a deletion vector or
  /// a variant column is refused where it is met, naming it).
  public static let readerFeatures: Set<String> = [
    "timestampNtz", "columnMapping", "typeWidening", "typeWidening-preview", "v2Checkpoint",
    "vacuumProtocolCheck", "deletionVectors", "variantType", "variantType-preview",
  ]

  /// Refuses a table lh cannot read correctly.
  ///
  /// A reader version above 3, or a reader feature lh does not know (named), is refused;
  /// writer-only features never stop a read.
  static func checkReadable(_ p: DeltaProtocol, table: String) throws {
    switch p.minReaderVersion {
    case ...2:
      // 2: column mapping, read by DeltaScan.
      return
    case 3:
      let unknown = (p.readerFeatures ?? []).filter { !readerFeatures.contains($0) }
      guard unknown.isEmpty else {
        throw DeltaLogError(
          table: table,
          reason:
            "unsupported table feature\(unknown.count > 1 ? "s" : "") \(unknown.map { "'\($0)'" }.joined(separator: ", ")) (reader version 3); lh reads \(readerFeatures.sorted().joined(separator: ", "))"
        )
      }
    default:
      throw DeltaLogError(
        table: table,
        reason: "unsupported table protocol: reader version \(p.minReaderVersion); lh reads 1 to 3")
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
    fileTime(path: table + "/_delta_log/" + fileName(version))
  }

  static func fileTime(path: String) -> Int64 {
    var st = stat()
    guard stat(path, &st) == 0 else { return 0 }
    return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
  }
}
