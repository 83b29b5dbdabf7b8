// LakeTable/Delta/DeltaCheckpoint.swift
//
// Writing checkpoints (PROTOCOL.md "Checkpoints", "Last Checkpoint File"; formats.md §9):
//
//   DeltaTable.commit links version v ─▶ v > 0 and v % delta.checkpointInterval == 0?
//     ─▶ snapshot at v (with tombstones) ─▶ protocol, metaData, txns, live adds (with stats),
//        tombstones deleted within delta.deletedFileRetentionDuration
//     ─▶ _delta_log/_lh_checkpoint_<uuid>.parquet.tmp, fsync ─▶ link to v.checkpoint.parquet
//        (EEXIST: another process wrote it; keep theirs) ─▶ unlink the temp, fsync _delta_log
//     ─▶ _last_checkpoint: {"version","size","sizeInBytes","numOfAddFiles"} through a temp file
//        and rename, under flock(_delta_log), only ever moving forward
//
// A checkpoint is an optimisation: nothing here fails or blocks the commit that triggered it.
// An error becomes one warning line (through `DeltaWarnings.sink`, which the tools wire to
// stderr), and the table stays readable by every peer whatever step a crash stops at: the
// temporary names start with `_`, which every reader ignores, and the final name appears only
// complete (link of an fsynced file). `_last_checkpoint` is only a hint: readers verify it.
//
// The optional `checksum` of `_last_checkpoint` is not written (PROTOCOL.md makes it optional;
// lh does not implement its canonical-JSON MD5). Tables whose writer protocol asks more than lh
// supports (writer features lh does not know, such as v2Checkpoint) get no checkpoint from lh.

import LakeFormats
import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// Where lh's library sends warnings that must not fail the operation that met them.
///
/// Such as a checkpoint that could not be written. The tools set `sink` to print one line on
/// stderr; by default warnings are dropped.
public enum DeltaWarnings {
  nonisolated(unsafe) private static var handler: (@Sendable (String) -> Void)?
  private static let lock = Monitor()

  /// The function that receives each warning line (without the tool's prefix).
  public static var sink: (@Sendable (String) -> Void)? {
    get { lock.withLock { handler } }
    set { lock.withLock { handler = newValue } }
  }

  static func warn(_ message: String) {
    sink?(message)
  }
}

/// `_delta_log/_last_checkpoint`: the version of a recent checkpoint, as a hint.
public struct LastCheckpoint: Sendable, Equatable {
  public var version: Int64
  /// The number of actions in the checkpoint.
  public var size: Int64
  /// The number of parts of a multi-part checkpoint.
  public var parts: Int64?
  public var sizeInBytes: Int64?
  public var numOfAddFiles: Int64?
  /// The file name of a V2 (UUID-named) checkpoint, when the hint names one.
  public var v2Path: String?

  public init(
    version: Int64, size: Int64, parts: Int64? = nil, sizeInBytes: Int64? = nil,
    numOfAddFiles: Int64? = nil
  ) {
    self.version = version
    self.size = size
    self.parts = parts
    self.sizeInBytes = sizeInBytes
    self.numOfAddFiles = numOfAddFiles
  }

  /// The largest `_last_checkpoint` read (a bigger one is ignored as damaged).
  static let maxBytes = 1 << 20

  /// Reads the table's `_last_checkpoint`; nil when it is missing, unreadable or not a valid
  /// hint (a hint is never an error: the log is listed instead).
  public static func read(table: String) -> LastCheckpoint? {
    let path = table + "/_delta_log/_last_checkpoint"
    guard let fd = try? FileDescriptor.open(readingFrom: path) else { return nil }
    defer { try? fd.close() }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count <= maxBytes {
      let n = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? -1
      if n < 0 { return nil }
      if n == 0 { break }
      bytes.append(contentsOf: chunk[0..<n])
    }
    guard bytes.count <= maxBytes else { return nil }
    return parse(bytes)
  }

  /// The hint in `bytes`, or nil when they are not one.
  static func parse(_ bytes: [UInt8]) -> LastCheckpoint? {
    var text = JSONObjectView.trim(bytes)
    // Some writers end the file with a newline or more; one object is expected.
    guard text.first == 0x7B, text.last == 0x7D else { return nil }
    text = Array(text)
    guard let o = try? JSONObjectView(text),
      let version = (try? o.int("version")) ?? nil, version >= 0
    else { return nil }
    var hint = LastCheckpoint(version: version, size: ((try? o.int("size")) ?? nil) ?? 0)
    hint.parts = (try? o.int("parts")) ?? nil
    if let p = hint.parts, p < 1 { return nil }
    hint.sizeInBytes = (try? o.int("sizeInBytes")) ?? nil
    hint.numOfAddFiles = (try? o.int("numOfAddFiles")) ?? nil
    if let v2 = (try? o.object("v2Checkpoint")) ?? nil {
      hint.v2Path = (try? v2.string("path")) ?? nil
    }
    return hint
  }

  /// The JSON lh writes.
  var json: [UInt8] {
    var s = "{\"version\":\(version),\"size\":\(size)"
    if let parts { s += ",\"parts\":\(parts)" }
    if let sizeInBytes { s += ",\"sizeInBytes\":\(sizeInBytes)" }
    if let numOfAddFiles { s += ",\"numOfAddFiles\":\(numOfAddFiles)" }
    s += "}"
    return Array(s.utf8)
  }
}

/// Table properties about checkpoints and retention, with Delta's defaults.
public enum DeltaTableProperties {
  public static let checkpointInterval = "delta.checkpointInterval"
  public static let deletedFileRetentionDuration = "delta.deletedFileRetentionDuration"
  public static let logRetentionDuration = "delta.logRetentionDuration"
  /// delta-rs's default: a checkpoint every 100 commits.
  public static let defaultCheckpointInterval: Int64 = 100
  /// One week, in ms.
  public static let defaultDeletedFileRetentionMillis: Int64 = 7 * 86_400_000

  /// The checkpoint interval of a table with `configuration` (a value that is not a positive
  /// integer counts as the default).
  public static func checkpointInterval(_ configuration: [String: String]) -> Int64 {
    guard let text = configuration[checkpointInterval], let v = Int64(text), v > 0 else {
      return defaultCheckpointInterval
    }
    return v
  }

  /// How long removed files stay as tombstones in checkpoints, in ms.
  public static func deletedFileRetentionMillis(_ configuration: [String: String]) -> Int64 {
    configuration[deletedFileRetentionDuration].flatMap(intervalMillis)
      ?? defaultDeletedFileRetentionMillis
  }

  /// The length in ms of a Delta interval property such as `interval 1 week`,
  /// `interval 2 days 3 hours` or `1 second` (units from microseconds to weeks, singular or
  /// plural); nil when the text is not one.
  public static func intervalMillis(_ text: String) -> Int64? {
    var words = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).map(
      String.init)
    if words.first == "interval" { words.removeFirst() }
    guard !words.isEmpty, words.count % 2 == 0 else { return nil }
    var micros: Int64 = 0
    var i = 0
    while i < words.count {
      guard let n = Int64(words[i]) else { return nil }
      var unit = words[i + 1]
      if unit.hasSuffix("s") { unit.removeLast() }
      let scale: Int64
      switch unit {
      case "microsecond": scale = 1
      case "millisecond": scale = 1000
      case "second": scale = 1_000_000
      case "minute": scale = 60_000_000
      case "hour": scale = 3_600_000_000
      case "day": scale = 86_400_000_000
      case "week": scale = 7 * 86_400_000_000
      default: return nil
      }
      let (m, o1) = n.multipliedReportingOverflow(by: scale)
      let (sum, o2) = micros.addingReportingOverflow(m)
      guard !o1, !o2 else { return nil }
      micros = sum
      i += 2
    }
    return micros / 1000
  }
}

/// Writing checkpoints (see the file overview).
public enum DeltaCheckpoint {
  /// The checkpoint interval per table, as the latest snapshot this process read of it says.
  nonisolated(unsafe) private static var intervals: [String: Int64] = [:]
  private static let lock = Monitor()

  /// Remembers the checkpoint interval of `table` (called by every snapshot).
  static func remember(table: String, configuration: [String: String]) {
    let interval = DeltaTableProperties.checkpointInterval(configuration)
    lock.withLock { intervals[table] = interval }
  }

  /// Writes the checkpoint of `version`, just linked by `DeltaTable.commit`, when it crosses
  /// the table's interval.
  ///
  /// Never throws: an error becomes a warning.
  static func afterCommit(table: String, version: Int64, actions: [DeltaAction]) {
    guard version > 0 else { return }
    var interval: Int64?
    for case .metaData(let m) in actions {
      interval = DeltaTableProperties.checkpointInterval(m.configuration)
    }
    if interval == nil { interval = lock.withLock { intervals[table] } }
    do {
      if interval == nil {
        // A commit made without reading the table first: read its settings at this version.
        let s = try DeltaLog.snapshot(table: table, asOf: .version(version))
        interval = DeltaTableProperties.checkpointInterval(s.metadata.configuration)
      }
      guard let interval, version % interval == 0 else { return }
      try write(table: table, version: version)
    } catch {
      DeltaWarnings.warn(
        "\(table): version \(version) is committed, but its checkpoint was not written: \(error)")
    }
  }

  /// Whether lh writes checkpoints for a table with protocol `p`: only for tables it may write.
  public static func writes(_ p: DeltaProtocol, table: String) -> Bool {
    (try? DeltaLog.checkWritable(p, table: table)) != nil
  }

  /// Writes the classic checkpoint `version.checkpoint.parquet` of `table` (protocol, metaData,
  /// txns, live adds with their stats, and the tombstones deleted within
  /// `delta.deletedFileRetentionDuration` of `now`) and moves `_last_checkpoint` forward to
  /// it; returns what `_last_checkpoint` records, or nil when lh does not write checkpoints
  /// for this table (a protocol it cannot write).
  ///
  /// When another process already wrote that checkpoint, its file is kept.
  ///
  /// - Throws: `DeltaLogError` when the version cannot be read, `SystemError` when a file
  ///   cannot be written.
  @discardableResult
  public static func write(table: String, version: Int64, now: Int64 = DeltaTable.nowMillis())
    throws -> LastCheckpoint?
  {
    let snapshot = try DeltaLog.snapshot(table: table, asOf: .version(version), tombstones: true)
    guard writes(snapshot.protocol, table: table) else { return nil }
    let retention = DeltaTableProperties.deletedFileRetentionMillis(
      snapshot.metadata.configuration)
    var actions: [DeltaAction] = [.protocol(snapshot.protocol), .metaData(snapshot.metadata)]
    actions.reserveCapacity(2 + snapshot.transactions.count + snapshot.files.count)
    for (app, v) in snapshot.transactions.sorted(by: { $0.key < $1.key }) {
      actions.append(.txn(DeltaTxn(appId: app, version: v, lastUpdated: nil)))
    }
    for f in snapshot.files { actions.append(.add(f)) }
    for r in snapshot.tombstones where (r.deletionTimestamp ?? 0) >= now - retention {
      actions.append(.remove(r))
    }
    let bytes = try encode(actions, snapshot: snapshot)
    let log = table + "/_delta_log/"
    removeStaleTemporaries(log: log, now: now)
    let final = log + CheckpointRef(version: version, kind: .classic).fileNames[0]
    let temporary = log + "\(temporaryPrefix)\(DeltaTable.uuid()).parquet.tmp"
    do {
      let fd = try FileDescriptor.create(writingTo: temporary, exclusive: true)
      do {
        try bytes.withUnsafeBytes { try fd.writeAll($0) }
        try fd.sync()
      } catch {
        try? fd.close()
        throw error
      }
      try fd.close()
      crashPoint("temporary")
      if link(temporary, final) != 0 && errno != EEXIST {
        throw SystemError("link", path: final, errno: errno, category: .cannotCreate)
      }
      // EEXIST: another process wrote this checkpoint; theirs is as good and stays.
      unlink(temporary)
    } catch {
      unlink(temporary)
      throw error
    }
    try syncDirectory(of: final)
    crashPoint("linked")
    var st = stat()
    let sizeInBytes = stat(final, &st) == 0 ? Int64(st.st_size) : Int64(bytes.count)
    let hint = LastCheckpoint(
      version: version, size: Int64(actions.count), sizeInBytes: sizeInBytes,
      numOfAddFiles: Int64(snapshot.files.count))
    try moveLastCheckpoint(table: table, to: hint)
    return hint
  }

  /// The prefix of lh's temporary files in `_delta_log` (ignored by every reader: `_`).
  static let temporaryPrefix = "_lh_checkpoint_"

  /// Removes lh's temporary checkpoint files older than an hour (left by a killed writer).
  static func removeStaleTemporaries(log: String, now: Int64) {
    guard let d = opendir(log) else { return }
    defer { closedir(d) }
    var stale: [String] = []
    while let entry = readdir(d) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      guard name.hasPrefix(temporaryPrefix), name.hasSuffix(".tmp") else { continue }
      if DeltaLog.fileTime(path: log + name) < now - 3_600_000 { stale.append(name) }
    }
    for name in stale { unlink(log + name) }
  }

  /// Replaces `_last_checkpoint` with `hint` if that moves it forward: through a temporary
  /// file and rename, holding flock on `_delta_log` (when another lh process holds it, that
  /// one is moving it: leave it).
  static func moveLastCheckpoint(table: String, to hint: LastCheckpoint) throws {
    let log = table + "/_delta_log"
    let dir = open(log, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard dir >= 0 else { throw SystemError("open", path: log, errno: errno, category: .io) }
    defer { close(dir) }
    guard flock(dir, LOCK_EX | LOCK_NB) == 0 else { return }
    defer { flock(dir, LOCK_UN) }
    if let current = LastCheckpoint.read(table: table), current.version >= hint.version { return }
    let temporary = "\(log)/\(temporaryPrefix)last_\(DeltaTable.uuid()).tmp"
    let final = log + "/_last_checkpoint"
    do {
      let fd = try FileDescriptor.create(writingTo: temporary, exclusive: true)
      do {
        try hint.json.withUnsafeBytes { try fd.writeAll($0) }
        try fd.sync()
      } catch {
        try? fd.close()
        throw error
      }
      try fd.close()
      crashPoint("pointer")
      guard rename(temporary, final) == 0 else {
        throw SystemError("rename", path: final, errno: errno, category: .cannotCreate)
      }
    } catch {
      unlink(temporary)
      throw error
    }
    try syncDirectory(of: final)
  }

  /// For the crash tests: `LH_TEST_CHECKPOINT_KILL=step` kills the process with SIGKILL at that
  /// step of writing a checkpoint (`temporary`: written, not yet linked; `linked`: in place,
  /// `_last_checkpoint` not yet moved; `pointer`: the new `_last_checkpoint` written, not yet
  /// renamed into place).
  static func crashPoint(_ step: String) {
    guard let v = getenv("LH_TEST_CHECKPOINT_KILL"), String(cString: v) == step else { return }
    kill(getpid(), SIGKILL)
  }
}

extension ReplayState {
  /// Applies checkpoint `ref` (all its parts, and a V2 checkpoint's sidecars) to the state.
  ///
  /// - Throws: whatever reading a file of it throws (the caller passes over the checkpoint).
  mutating func load(_ ref: CheckpointRef, table: String, reader: DeltaCommitReader) throws {
    let log = table + "/_delta_log/"
    var sidecars: [String] = []
    for name in ref.fileNames {
      if name.hasSuffix(".json") {
        try reader.forEachAction(path: log + name, table: table, version: ref.version) { a in
          if let s = DeltaCheckpoint.sidecarPath(a) { sidecars.append(s) } else { apply(a) }
        }
      } else {
        try DeltaCheckpoint.forEachAction(file: log + name, table: table) { a in
          if let s = DeltaCheckpoint.sidecarPath(a) { sidecars.append(s) } else { apply(a) }
        }
      }
    }
    for s in sidecars {
      try DeltaCheckpoint.forEachAction(file: log + "_sidecars/" + s, table: table) { apply($0) }
    }
  }
}

extension DeltaCheckpoint {
  /// The sidecar file a V2 checkpoint's action refers to (its name in `_delta_log/_sidecars`).
  static func sidecarPath(_ a: DeltaAction) -> String? {
    guard case .sidecar(let s) = a else { return nil }
    // The protocol encourages a bare file name; take the last component of a longer path.
    let name = s.path.split(separator: "/").last.map(String.init) ?? s.path
    return (try? PartitionPath.uriDecode(name)) ?? name
  }

  static func forEachAction(file: String, table: String, _ body: (DeltaAction) throws -> Void)
    throws
  {
    try DeltaCheckpointCodec.forEachAction(file: file, table: table, body)
  }

  static func encode(_ actions: [DeltaAction], snapshot: Snapshot) throws -> [UInt8] {
    try DeltaCheckpointCodec.encode(actions)
  }
}
