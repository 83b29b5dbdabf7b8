// LakeStages/Pack/PackRead.swift
//
// Reading lh archives (issue 8): `verify` (every entry's SHA-256 and size against the manifest,
// no entry missing or extra, then the trailer's CRC-32 over every byte), `list` (the manifest,
// from its own zstd frame when the trailer indexes it, else from a full read),
// and `restore` into a directory:
//
//   entries ─▶ DIR/.lh-restore.<pid>/… (flock'ed; hashed on the way) ─▶ manifest checked ─▶
//   per table:
//     a table DIR lacks:  data files renamed into place, then the log (commits, checkpoints,
//                         sidecars, _last_checkpoint) in copy order, version by version
//     a table DIR has:    the archived version's files join it in one commit (merge); a partition
//                         the table already holds is refused unless `replace`, which swaps it

import LakeFormats
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// `lh-pack verify`, `list` and `restore`.
public enum PackRead {
  /// The largest manifest accepted (a hostile archive cannot make us hold more).
  static let maxManifestBytes: Int64 = 256 << 20

  /// Reads every entry and returns the manifest and the hashes `body` reported, by path.
  ///
  /// `body` gets each data entry and the reader positioned at its bytes (it may consume them or
  /// not). The trailer is checked after the last entry; with `hashing`, every reported hash
  /// and size against the manifest: as each entry ends when the manifest's own frame could be
  /// read first (an archive with the index; a damaged file fails at once, not after the whole
  /// archive), and in any case once the manifest, the last entry, is reached.
  static func scan(
    archive: String, hashing: Bool,
    _ body: (ArchiveEntry, ArchiveReader) throws -> (String, Int64)?
  ) throws -> (PackManifest, [String: (String, Int64)]) {
    var early: [String: PackManifest.File] = [:]
    let indexed = hashing ? try? indexedManifest(archive: archive) : nil
    for f in indexed?.files ?? [] { early[f.path] = f }
    let reader = try ArchiveReader(path: archive)
    var manifestBytes: [UInt8]?
    var seen: [String: (String, Int64)] = [:]
    var order: [String] = []
    var folded = Set<String>()
    var foldedDirectories = Set<String>()
    while let entry = try reader.nextEntry() {
      try PackLake.checkEntryPath(entry.path, archive: archive)
      switch entry.kind {
      case .file: break
      case .directory: continue
      case .symbolicLink, .hardLink, .other:
        throw LakeFailure(
          .data,
          "\(archive): \(entry.path): \(entry.kind.rawValue); lh archives hold only regular files")
      }
      try checkCollision(
        entry.path, archive: archive, files: &folded, directories: &foldedDirectories)
      if entry.path == PackManifest.entryName {
        manifestBytes = try readManifest(entry, reader, archive: archive)
        continue
      }
      guard seen[entry.path] == nil else {
        throw LakeFailure(.data, "\(archive): \(entry.path): appears twice")
      }
      if let r = try body(entry, reader) {
        if indexed != nil { try check(entry.path, r, against: early[entry.path], archive: archive) }
        seen[entry.path] = r
        order.append(entry.path)
      }
    }
    try reader.finish()
    guard let manifestBytes else {
      throw LakeFailure(.data, "\(archive): no \(PackManifest.entryName): not an lh archive")
    }
    let manifest = try PackManifest.decode(manifestBytes, archive: archive)
    if let indexed, indexed != manifest {
      throw LakeFailure(
        .data, "\(archive): the trailer's index leads to another manifest than the archive's")
    }
    if hashing {
      var expected: [String: PackManifest.File] = [:]
      for f in manifest.files { expected[f.path] = f }
      for path in order { try check(path, seen[path]!, against: expected[path], archive: archive) }
      for f in manifest.files where seen[f.path] == nil {
        throw LakeFailure(.data, "\(archive): \(f.path): in the manifest but not in the archive")
      }
    }
    return (manifest, seen)
  }

  /// Checks an entry's SHA-256 and size against its manifest line.
  static func check(
    _ path: String, _ got: (String, Int64), against want: PackManifest.File?, archive: String
  ) throws {
    guard let want else {
      throw LakeFailure(.data, "\(archive): \(path): not in the manifest")
    }
    guard got.1 == want.size else {
      throw LakeFailure(
        .data, "\(archive): \(path): \(got.1) bytes, the manifest says \(want.size)")
    }
    guard got.0 == want.sha256 else {
      throw LakeFailure(.data, "\(archive): \(path): SHA-256 mismatch")
    }
  }

  /// The manifest entry's bytes (at most `maxManifestBytes`).
  static func readManifest(_ entry: ArchiveEntry, _ reader: ArchiveReader, archive: String) throws
    -> [UInt8]
  {
    guard entry.size <= maxManifestBytes else {
      throw LakeFailure(.data, "\(archive): \(entry.path): manifest too large")
    }
    var bytes = [UInt8](repeating: 0, count: Int(entry.size))
    var got = 0
    while got < bytes.count {
      let n = try bytes.withUnsafeMutableBytes {
        try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...]))
      }
      if n == 0 { break }
      got += n
    }
    guard got == bytes.count else {
      throw LakeFailure(.data, "\(archive): \(entry.path): truncated")
    }
    return bytes
  }

  /// The manifest read from the archive's last frame alone (the trailer's index); nil for an
  /// archive without the index or input that cannot seek.
  ///
  /// - Throws: `.data` when the indexed frame is not the manifest followed by the end of the
  ///   archive.
  static func indexedManifest(archive: String) throws -> PackManifest? {
    guard let reader = try ArchiveReader.lastFrame(path: archive) else { return nil }
    guard let entry = try reader.nextEntry(), entry.isRegularFile,
      entry.path == PackManifest.entryName
    else {
      throw LakeFailure(
        .data, "\(archive): the trailer's index does not lead to \(PackManifest.entryName)")
    }
    let bytes = try readManifest(entry, reader, archive: archive)
    guard try reader.nextEntry() == nil else {
      throw LakeFailure(
        .data, "\(archive): entries after \(PackManifest.entryName) in the archive's last frame")
    }
    return try PackManifest.decode(bytes, archive: archive)
  }

  /// Refuses an entry whose name equals an earlier one's after Unicode normalisation and case
  /// folding (on a case-insensitive or normalising file system they would be one file), or that
  /// is both a file and a directory.
  static func checkCollision(
    _ path: String, archive: String, files: inout Set<String>, directories: inout Set<String>
  ) throws {
    // Swift's String equality is Unicode canonical equivalence; lowercased() folds case.
    let key = path.lowercased()
    var prefix = ""
    let parts = key.split(separator: "/")
    for part in parts.dropLast() {
      prefix += (prefix.isEmpty ? "" : "/") + part
      directories.insert(prefix)
      if files.contains(prefix) {
        throw LakeFailure(
          .data,
          "\(archive): \(path): collides with another entry (a file where it needs a directory)")
      }
    }
    guard !directories.contains(key), files.insert(key).inserted else {
      throw LakeFailure(
        .data,
        "\(archive): \(path): collides with another entry's name after Unicode normalisation and case folding"
      )
    }
  }

  /// Hashes the reader's current entry, passing its bytes to `sink`.
  static func hashEntry(
    _ entry: ArchiveEntry, _ reader: ArchiveReader, buffer: UnsafeMutableRawBufferPointer,
    _ sink: (UnsafeRawBufferPointer) throws -> Void = { _ in }
  ) throws -> (String, Int64) {
    var hash = SHA256()
    var size: Int64 = 0
    while true {
      let n = try reader.read(into: buffer)
      if n == 0 { break }
      let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
      hash.update(chunk)
      try sink(chunk)
      size += Int64(n)
    }
    return (hash.finalize(), size)
  }

  /// Checks every byte of an archive; returns its manifest.
  ///
  /// - Throws: `.data` naming the archive and the file whose bytes differ.
  public static func verify(archive: String, progress: (Int64) -> Void = { _ in }) throws
    -> PackManifest
  {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    var done: Int64 = 0
    return try scan(archive: archive, hashing: true) { entry, reader in
      let r = try hashEntry(entry, reader, buffer: buffer)
      done += r.1
      progress(done)
      return r
    }.0
  }

  /// The manifest of an archive.
  ///
  /// With the trailer's index (lh archives since the index; a seekable file), only the
  /// manifest's own zstd frame is read (its content checksum checked); otherwise every entry is
  /// read, not hashed, and the trailer checked. `verify` checks every byte.
  public static func list(archive: String) throws -> PackManifest {
    if let m = try indexedManifest(archive: archive) { return m }
    return try scan(archive: archive, hashing: false) { _, _ in nil }.0
  }

  /// What `lh-pack restore` does.
  public struct RestoreConfig: Sendable {
    public var archive: String
    /// The lake to restore into (created if missing).
    public var directory: String
    /// Replace partitions the lake already holds instead of refusing.
    public var replace = false
    public var engine: String
    /// How long to wait for another run writing a table (`TableLock`).
    public var lockWait = LockWait.default

    public init(archive: String, directory: String, engine: String) {
      self.archive = archive
      self.directory = directory
      self.engine = engine
    }
  }

  /// What a restore did, per table: created (with versions) or merged (the commit's version).
  public struct RestoreSummary: Sendable {
    public var manifest: PackManifest
    public var created: [String] = []
    public var merged: [(table: String, version: Int64)] = []
    /// Scratch directories of killed restores removed first (`.lh-restore.<pid>`).
    public var staleScratchRemoved: [String] = []
  }

  /// Restores an archive into a new lake or merges it into an existing one.
  public static func restore(
    _ config: RestoreConfig, waiting: (String) -> Void = { _ in },
    progress: (Int64) -> Void = { _ in }
  ) throws
    -> RestoreSummary
  {
    let dir = config.directory
    try PackLake.makeDirectories(dir)
    // Scratch space of restores killed before they could remove it goes first; a live
    // restore's (locked) stays.
    let stale = try PackLake.staleScratch(in: dir, remove: true)
    let lock = try PackLake.ScratchLock(
      creating: dir + "/" + PackLake.scratchPrefix + "\(getpid())")
    defer { lock.remove() }
    let scratch = lock.path
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    var done: Int64 = 0
    let (manifest, _) = try scan(archive: config.archive, hashing: true) { entry, reader in
      let target = scratch + "/" + entry.path
      try PackLake.makeDirectories(PackLake.directory(of: entry.path), under: scratch)
      let fd = try FileDescriptor.create(writingTo: target, exclusive: true, followLinks: false)
      let r: (String, Int64)
      do {
        r = try hashEntry(entry, reader, buffer: buffer) { try fd.writeAll($0) }
        try fd.sync()
        try fd.close()
      } catch {
        try? fd.close()
        throw error
      }
      done += r.1
      progress(done)
      return r
    }
    var sha: [String: String] = [:]
    for f in manifest.files { sha[f.path] = f.sha256 }
    var summary = RestoreSummary(manifest: manifest)
    summary.staleScratchRemoved = stale.map(\.name)
    for table in manifest.tables {
      try PackLake.checkTableName(table.name)
      let staged = scratch + "/" + table.name
      let target = dir + "/" + table.name
      // One table locked at a time, while it is created or merged into.
      let lock = try TableLock.acquire(
        [table.name], in: LakeLayout(root: dir), wait: config.lockWait, waiting: waiting)
      defer { lock.release() }
      // The table's directory and its log are never reached through a link in the lake.
      try PackLake.makeDirectories(table.name + "/_delta_log", under: dir)
      let present = try logFiles(of: target)
      let resumable =
        try present.isEmpty
        || isPart(present, of: staged, target: target, buffer: buffer)
      if resumable {
        // A table the lake lacks, or one an earlier restore of this archive left part-way
        // (a failed write, a kill: its log is a prefix of the archived one): create it, or
        // finish creating it (issue 9, found by `FaultInjectionTests`).
        try create(table: table.name, staged: staged, target: target, buffer: buffer)
        summary.created.append(table.name)
      } else {
        let v = try merge(
          table: table, staged: staged, target: target, sha: sha, config: config)
        summary.merged.append((table.name, v))
      }
    }
    return summary
  }

  /// The files of a table's `_delta_log` that belong to the log (commits, checkpoints, .crc,
  /// compactions, `_last_checkpoint`, and `_sidecars/` files), in copy order
  /// (`DeltaLog.copyOrder`); empty when there is no log.
  static func logFiles(of table: String) throws -> [String] {
    let log = table + "/_delta_log"
    var names: [String] = []
    for (name, isDirectory) in try PackLake.entries(log) {
      if isDirectory {
        guard name == "_sidecars" else { continue }
        for (side, sub) in try PackLake.entries(log + "/_sidecars") where !sub {
          names.append("_sidecars/" + side)
        }
      } else if DeltaLogFile.parse(name) != nil {
        names.append(name)
      }
    }
    return DeltaLog.copyOrder(names)
  }

  /// True when every log file the target has (`present`) is one of the staged (archived) log's,
  /// byte for byte: what an earlier, interrupted restore of this archive left (it creates the
  /// log in copy order), or an earlier state of the same table.
  static func isPart(
    _ present: [String], of staged: String, target: String,
    buffer: UnsafeMutableRawBufferPointer
  ) throws -> Bool {
    let archived = Set(try logFiles(of: staged))
    for name in present {
      guard archived.contains(name), try sameBytes(staged, target, name, buffer: buffer) else {
        return false
      }
    }
    return true
  }

  /// True when the log file `name` has the same bytes in both tables.
  static func sameBytes(
    _ a: String, _ b: String, _ name: String, buffer: UnsafeMutableRawBufferPointer
  ) throws -> Bool {
    let path = "/_delta_log/" + name
    return try PackLake.sha256(of: a + path, buffer: buffer)
      == PackLake.sha256(of: b + path, buffer: buffer)
  }

  /// A table the lake lacks: data files first, then the log in copy order (sidecars,
  /// checkpoints before the commits that follow them, `_last_checkpoint` last), so that a crash
  /// leaves at most unreferenced files or a shorter but valid log, which a rerun finishes (a log
  /// file already there with the archived bytes is kept).
  static func create(
    table: String, staged: String, target: String, buffer: UnsafeMutableRawBufferPointer
  ) throws {
    for relative in try PackLake.dataFiles(under: staged) {
      let to = target + "/" + relative
      try PackLake.makeDirectories(PackLake.directory(of: relative), under: target)
      guard rename(staged + "/" + relative, to) == 0 else {
        throw SystemError("rename", path: to, errno: errno, category: .cannotCreate)
      }
      try PackLake.syncDirectory(PackLake.directory(of: to))
    }
    try PackLake.makeDirectories("_delta_log", under: target)
    let names = try logFiles(of: staged)
    var sidecars = false
    for name in names {
      if name.hasPrefix("_sidecars/") && !sidecars {
        try PackLake.makeDirectories("_delta_log/_sidecars", under: target)
        sidecars = true
      }
      if !name.hasPrefix("_sidecars/") && sidecars {
        try PackLake.syncDirectory(target + "/_delta_log/_sidecars")
        sidecars = false
      }
      let path = "/_delta_log/" + name
      guard link(staged + path, target + path) == 0 else {
        let e = errno
        if e == EEXIST, try sameBytes(staged, target, name, buffer: buffer) {
          continue  // linked by an earlier, interrupted restore of this archive
        }
        if e == EEXIST {
          throw LakeFailure(
            .tempFail, "\(target): another writer created the table while restoring; try again")
        }
        throw SystemError("link", path: target + path, errno: e, category: .cannotCreate)
      }
    }
    do {
      if sidecars { try PackLake.syncDirectory(target + "/_delta_log/_sidecars") }
      try PackLake.syncDirectory(target + "/_delta_log")
    } catch let e as SystemError {
      // Every log file is linked: the table is whole, only its durability is in doubt.
      let last = names.compactMap { DeltaLogFile.parse($0)?.version }.max() ?? 0
      throw SystemError(
        "version \(last) is committed, but fsync", path: e.path, errno: e.errno)
    }
  }

  /// A table the lake has: the archived version's files join it in one commit.
  static func merge(
    table: PackManifest.Table, staged: String, target: String, sha: [String: String],
    config: RestoreConfig
  ) throws -> Int64 {
    let archived = try DeltaLog.snapshot(table: staged)
    let current = try DeltaLog.snapshot(table: target)
    try DeltaLog.checkWritable(current.protocol, table: target)
    guard archived.metadata.schemaString == current.metadata.schemaString,
      archived.metadata.partitionColumns == current.metadata.partitionColumns
    else {
      throw LakeFailure(
        .data,
        "\(target): its schema or partitioning differs from the archived table's; restore into a new directory"
      )
    }
    let partitions = Set(archived.files.map(\.partitionValues))
    let clash = current.files.filter { partitions.contains($0.partitionValues) }
    if let first = clash.first, !config.replace {
      throw LakeFailure(
        .cannotCreate,
        "\(target): the lake already holds \(PackLake.describe(first.partitionValues, columns: current.metadata.partitionColumns)); use --replace to replace it with the archived one"
      )
    }
    let hashBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { hashBuffer.deallocate() }
    for add in archived.files {
      let relative = try PartitionPath.uriDecode(add.path)
      try PackLake.checkEntryPath(relative, archive: config.archive)
      let from = staged + "/" + relative
      let to = target + "/" + relative
      try PackLake.makeDirectories(PackLake.directory(of: relative), under: target)
      var st = stat()
      if lstat(to, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
        throw LakeFailure(
          .cannotCreate, "\(to): is a symbolic link; lh-pack never writes through one")
      }
      if PackLake.fileInfo(to) != nil {
        // Still there (removed from the table, not yet vacuumed): the same bytes, or a refusal.
        let (have, _) = try PackLake.sha256(of: to, buffer: hashBuffer)
        guard have == sha[table.name + "/" + relative] else {
          throw LakeFailure(
            .cannotCreate, "\(to): exists with other content than the archived file")
        }
        continue
      }
      guard rename(from, to) == 0 else {
        throw SystemError("rename", path: to, errno: errno, category: .cannotCreate)
      }
      try PackLake.syncDirectory(PackLake.directory(of: to))
    }
    let now = DeltaTable.nowMillis()
    var info = DeltaCommitInfo(
      timestamp: now, operation: "WRITE",
      operationParameters: [
        "mode": config.replace ? "Overwrite" : "Append",
        "archive": PackLake.baseName(config.archive),
      ],
      engineInfo: config.engine)
    info.extra = [("lhPackRestoredVersion", String(table.version))]
    let removes: [DeltaAction] =
      config.replace
      ? clash.map {
        .remove(
          DeltaRemove(
            path: $0.path, deletionTimestamp: now, dataChange: true,
            partitionValues: $0.partitionValues, size: $0.size))
      } : []
    var adds = archived.files
    for i in adds.indices { adds[i].dataChange = true }
    return try DeltaTable.commit(
      table: target, readVersion: current.version,
      actions: [.commitInfo(info)] + removes + adds.map { .add($0) },
      readPartitions: partitions)
  }
}
