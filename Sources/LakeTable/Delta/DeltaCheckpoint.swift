// LakeTable/Delta/DeltaCheckpoint.swift
//
// Writing checkpoints (PROTOCOL.md "Checkpoints", "Last Checkpoint File"; formats.md §9):
//
//   DeltaTable.commit links version v ─▶ v > 0 and v % delta.checkpointInterval == 0?
//     ─▶ snapshot at v (with tombstones) ─▶ protocol, metaData, txns, live adds (with stats),
//        tombstones deleted within delta.deletedFileRetentionDuration
//     ─▶ _delta_log/_lh_checkpoint_<uuid>.parquet.tmp, fsync ─▶ link to v.checkpoint.parquet
//        (EEXIST: another process wrote it; keep theirs) ─▶ unlink the temp, fsync _delta_log
//     ─▶ _last_checkpoint: {"version","size","sizeInBytes","numOfAddFiles","checksum"} through a
//        temp file
//        and rename, under flock(_delta_log), only ever moving forward
//
// A checkpoint is an optimisation: nothing here fails or blocks the commit that triggered it.
// An error becomes one warning line (through `DeltaWarnings.sink`, which the tools wire to
// stderr), and the table stays readable by every peer whatever step a crash stops at: the
// temporary names start with `_`, which every reader ignores, and the final name appears only
// complete (link of an fsynced file). `_last_checkpoint` is only a hint: readers verify it.
//
// `_last_checkpoint` carries the protocol's `checksum` (MD5 of the canonical JSON); a hint whose
// checksum does not match is ignored by readers. Tables whose writer protocol asks more than lh
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
    // A checksum that does not match: damaged (or written by a writer with a bug), not a hint.
    if let sum = (try? o.string("checksum")) ?? nil {
      guard LastCheckpointChecksum.checksum(text) == sum.lowercased() else { return nil }
    }
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

  /// The JSON lh writes, with its checksum.
  var json: [UInt8] {
    var s = "{\"version\":\(version),\"size\":\(size)"
    if let parts { s += ",\"parts\":\(parts)" }
    if let sizeInBytes { s += ",\"sizeInBytes\":\(sizeInBytes)" }
    if let numOfAddFiles { s += ",\"numOfAddFiles\":\(numOfAddFiles)" }
    if let sum = LastCheckpointChecksum.checksum(Array((s + "}").utf8)) {
      s += ",\"checksum\":\"\(sum)\""
    }
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
        try DeltaCheckpointCodec.forEachAction(
          file: log + name, table: table, direct: true, rows: { files.reserve($0) },
          { a in
            if let s = DeltaCheckpoint.sidecarPath(a) { sidecars.append(s) } else { apply(a) }
          })
      }
    }
    for s in sidecars {
      try DeltaCheckpointCodec.forEachAction(
        file: log + "_sidecars/" + s, table: table, direct: true, rows: { files.reserve($0) },
        { apply($0) })
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

  static func encode(_ actions: [DeltaAction], snapshot: Snapshot) throws -> [UInt8] {
    try DeltaCheckpointCodec.encode(actions)
  }
}

/// The `checksum` of `_last_checkpoint` (PROTOCOL.md "JSON checksum"): the MD5, as 32 lower-case
/// hex digits, of the object's canonical form — every leaf as `path=value`, the path's segments
/// (quoted, URL-encoded keys; array indices) joined by `+`, string values quoted and URL-encoded
/// (all but `A-Z a-z 0-9 - . _ ~`, as `%XX`), numbers and literals as written, the pairs sorted by
/// the bytes of their paths and joined by `,`; the top-level `checksum` is left out.
enum LastCheckpointChecksum {
  /// The canonical form of the JSON object `text`; nil when it is not an object or repeats a key.
  static func canonical(_ text: [UInt8]) -> String? {
    var pairs: [(path: [UInt8], value: [UInt8])] = []
    guard (try? walk(text, path: [], top: true, into: &pairs)) == true else { return nil }
    pairs.sort { $0.path.lexicographicallyPrecedes($1.path) }
    var out: [UInt8] = []
    for (i, p) in pairs.enumerated() {
      if i > 0 { out.append(0x2C) }
      out += p.path
      out.append(0x3D)
      out += p.value
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The checksum of the JSON object `text`, or nil when it has no canonical form.
  static func checksum(_ text: [UInt8]) -> String? {
    canonical(text).map { MD5.hex(Array($0.utf8)) }
  }

  static func quoted(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x22]
    let hex = Array("0123456789ABCDEF".utf8)
    for b in bytes {
      switch b {
      case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E: out.append(b)
      default: out += [0x25, hex[Int(b >> 4)], hex[Int(b & 15)]]
      }
    }
    out.append(0x22)
    return out
  }

  /// Adds the leaves of the JSON value `text` under `path`; false for a repeated key.
  static func walk(
    _ text: [UInt8], path: [UInt8], top: Bool = false,
    into pairs: inout [(path: [UInt8], value: [UInt8])]
  ) throws -> Bool {
    func join(_ segment: [UInt8]) -> [UInt8] { path.isEmpty ? segment : path + [0x2B] + segment }
    let value = JSONObjectView.trim(text)
    switch value.first {
    case 0x7B:
      let o = try JSONObjectView(value)
      let keys = o.keys
      guard Set(keys).count == keys.count else { return false }
      for (key, f) in zip(keys, o.fields) {
        if top && key == "checksum" { continue }
        let raw = f.kind == .string ? [0x22] + o.value(f) + [0x22] : o.value(f)
        guard try walk(raw, path: join(quoted(Array(key.utf8))), into: &pairs) else {
          return false
        }
      }
    case 0x5B:
      for (i, element) in JSONObjectView.elements(value).enumerated() {
        guard try walk(element, path: join(Array(String(i).utf8)), into: &pairs) else {
          return false
        }
      }
    case 0x22:
      let inner = Array(value.dropFirst().dropLast())
      pairs.append((path, quoted(Array(try JSONObjectView.decodeString(inner).utf8))))
    case nil:
      throw LakeFailure(.data, "empty JSON value")
    default:
      pairs.append((path, value))
    }
    return true
  }
}

/// MD5 (RFC 1321), for the `_last_checkpoint` checksum only.
enum MD5 {
  static let s: [UInt32] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
  ]
  static let k: [UInt32] = (0..<64).map { i in
    UInt32(truncatingIfNeeded: Int64((abs(sin(Double(i + 1))) * 4_294_967_296).rounded(.down)))
  }

  /// The digest of `message` as 32 lower-case hex digits.
  static func hex(_ message: [UInt8]) -> String {
    var m = message
    let bits = UInt64(message.count) &* 8
    m.append(0x80)
    while m.count % 64 != 56 { m.append(0) }
    for i in 0..<8 { m.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
    var a0: UInt32 = 0x6745_2301
    var b0: UInt32 = 0xefcd_ab89
    var c0: UInt32 = 0x98ba_dcfe
    var d0: UInt32 = 0x1032_5476
    for chunk in stride(from: 0, to: m.count, by: 64) {
      var w = [UInt32](repeating: 0, count: 16)
      for j in 0..<16 {
        let o = chunk + 4 * j
        w[j] =
          UInt32(m[o]) | UInt32(m[o + 1]) << 8 | UInt32(m[o + 2]) << 16 | UInt32(m[o + 3]) << 24
      }
      var a = a0
      var b = b0
      var c = c0
      var d = d0
      for i in 0..<64 {
        var f: UInt32
        let g: Int
        switch i {
        case 0..<16:
          f = (b & c) | (~b & d)
          g = i
        case 16..<32:
          f = (d & b) | (~d & c)
          g = (5 * i + 1) % 16
        case 32..<48:
          f = b ^ c ^ d
          g = (3 * i + 5) % 16
        default:
          f = c ^ (b | ~d)
          g = (7 * i) % 16
        }
        f = f &+ a &+ k[i] &+ w[g]
        a = d
        d = c
        c = b
        b = b &+ ((f << s[i]) | (f >> (32 - s[i])))
      }
      a0 = a0 &+ a
      b0 = b0 &+ b
      c0 = c0 &+ c
      d0 = d0 &+ d
    }
    var out = ""
    for v in [a0, b0, c0, d0] {
      for i in 0..<4 {
        let byte = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))
        out += String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
      }
    }
    return out
  }
}
