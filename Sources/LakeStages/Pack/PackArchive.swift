// LakeStages/Pack/PackArchive.swift
//
// `lh-pack archive` (issue 8): whole tables, or the partitions older than a date, as of one
// version, into a pax .tar.zst with a manifest; with `remove`, the archived files then leave
// their tables in one commit per table.
//
//   plan (one snapshot per table) ─▶ write FILE's temp (entries sorted, fixed mtime and owner,
//   SHA-256 of each file) ─▶ manifest ─▶ trailer, fsync ─▶ [remove: verify the temp] ─▶
//   rename to FILE, fsync the directory ─▶ [remove: commit the removes, table by table]
//
// FILE is an `OutputTarget`: a FIFO, device or stdout (`-`) is written through instead, and
// then `remove` is refused up front (64): nothing can be read back from them.
//
// What goes in (docs/architecture.md, "lh-pack"): for a whole table, its log verbatim — commits
// 0…V, or, when log cleanup removed the early ones, the oldest complete checkpoint and the
// commits after it — with the checkpoints (parts, V2 sidecars), .crc files and
// `_last_checkpoint` of those versions, and every data file a version of it still has on disk,
// so that the restored table is the same table, time travel included; for partitions, their live files at V and a new one-version log
// (protocol, metaData and the adds as of V) so that the archive alone is a valid Delta table.
// Entry order is table by table: data files sorted by path, then the log; the manifest last, in
// a zstd frame of its own that the trailer indexes (so `lh-pack list` reads only that frame).

import LakeFormats
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// What `lh-pack archive` does.
public struct PackArchiveConfig: Sendable {
  public var lake: LakeLayout
  /// The archive to write.
  public var output: String
  /// Tables (paths relative to the lake); nil: every table.
  public var tables: [String]?
  /// Archive only partitions whose date is before this day (`YYYY-MM-DD`).
  public var before: String?
  /// The version or time of every table not in `asOfTable`.
  public var asOf: TimeTravel = .latest
  /// The version or time of single tables (`--as-of silver/events=12`), by table.
  public var asOfTable: [String: TimeTravel] = [:]
  /// Remove the archived files from their tables once the archive is verified.
  public var remove = false
  /// zstd level of the archive.
  public var level: Int32 = 3
  /// With `remove`: how long to wait for another run writing a table (`TableLock`).
  public var lockWait = LockWait.default
  /// `lh-pack/<version>`, for commitInfo.
  public var engine: String

  public init(lake: LakeLayout, output: String, engine: String) {
    self.lake = lake
    self.output = output
    self.engine = engine
  }
}

/// What an archive run did.
public struct PackArchiveSummary: Sendable {
  public var manifest: PackManifest?
  /// Bytes of files archived.
  public var bytes: Int64 = 0
  /// Bytes of the archive file.
  public var archiveBytes: Int64 = 0
  /// Table versions committed by `remove`, by table.
  public var removed: [(table: String, files: Int, version: Int64)] = []
}

/// `lh-pack archive`.
public enum PackArchive {
  /// One entry to write: a file of the lake, or bytes made here (a synthesized log).
  enum Source {
    case file(String, size: Int64)
    case bytes([UInt8])
  }

  struct Entry {
    var name: String
    var source: Source
  }

  /// The plan for one table.
  struct TablePlan {
    var name: String
    var path: String
    var snapshot: Snapshot
    var manifest: PackManifest.Table
    var entries: [Entry]
    /// Live files at the archived version that leave the table with `remove`.
    var archived: [DeltaAdd]
    var partitions: Set<[String: String?]>
  }

  /// Runs an archive; `note` gets messages, `progress` (bytes done, bytes in all) the progress.
  public static func run(
    _ config: PackArchiveConfig, waiting: (String) -> Void = { _ in }, note: (String) -> Void,
    progress: (Int64, Int64) -> Void = { _, _ in }
  ) throws -> PackArchiveSummary {
    let root = config.lake.root
    // What -o is decides whether --remove may run: only an archive read back from a regular
    // file lets data leave the lake (checked before anything is read, written or removed).
    let outputKind = try OutputTarget.classify(config.output)
    if config.remove && !outputKind.isRegularFile {
      throw LakeFailure(
        .usage,
        "--remove needs -o to name a regular file, so that the archive can be read back before anything is removed; \(config.output) is \(outputKind)"
      )
    }
    let names: [String]
    if let t = config.tables {
      for n in t { try PackLake.checkTableName(n) }
      names = t
    } else {
      names = try PackLake.tables(in: root)
    }
    let beforeDay: Int64?
    if let b = config.before {
      guard let d = PackLake.day(b) else {
        throw LakeFailure(.usage, "--before wants a date YYYY-MM-DD, not '\(b)'")
      }
      beforeDay = d
    } else {
      beforeDay = nil
    }
    for table in config.asOfTable.keys.sorted() where !names.contains(table) {
      throw LakeFailure(
        .usage,
        "--as-of \(table)=…: \(table) is not \(config.tables == nil ? "a table of the lake" : "among the --table tables")"
      )
    }
    // With --remove, the tables are locked (in name order) from before their snapshots are
    // read until the removes are committed, so that no lh run writes them meanwhile.
    let lock =
      config.remove
      ? try TableLock.acquire(names, in: config.lake, wait: config.lockWait, waiting: waiting)
      : TableLock.none()
    defer { lock.release() }
    var plans: [TablePlan] = []
    for name in names {
      let path = root + "/" + name
      let snapshot: Snapshot
      do {
        snapshot = try DeltaLog.snapshot(
          table: path, asOf: config.asOfTable[name] ?? config.asOf)
      } catch let e as DeltaLogError where e.category == .usage {
        throw LakeFailure(.usage, "--as-of: \(name): \(e.reason)")
      }
      if let beforeDay {
        if let plan = try partitionPlan(name, path, snapshot, beforeDay, config, note: note) {
          plans.append(plan)
        }
      } else {
        plans.append(try wholePlan(name, path, snapshot))
      }
    }
    var summary = PackArchiveSummary()
    guard !plans.isEmpty else {
      note("nothing to archive\(config.before.map { " before \($0)" } ?? ""); no archive written")
      return summary
    }

    let mtime = plans.map { $0.snapshot.timestamp / 1000 }.max() ?? 0
    var total: Int64 = 0
    for p in plans {
      for e in p.entries {
        if case .file(_, let size) = e.source { total += size }
      }
    }
    // The archive: a regular file under a temporary name beside it until it is complete (and,
    // with remove, read back); a FIFO, device or stdout written through (OutputTarget).
    let target = try OutputTarget.open(config.output)
    if target.descriptor.isTerminal {
      target.abort()
      throw LakeFailure(
        .usage, "refusing to write an archive to a terminal: redirect stdout or name a file with -o"
      )
    }
    let writer = try ArchiveWriter(target: target, level: config.level)
    var files: [PackManifest.File] = []
    var done: Int64 = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    do {
      for plan in plans {
        for entry in plan.entries {
          var hash = SHA256()
          var size: Int64 = 0
          switch entry.source {
          case .bytes(let bytes):
            try writer.beginFile(entry.name, size: Int64(bytes.count), mtime: mtime)
            try bytes.withUnsafeBytes {
              hash.update($0)
              try writer.write($0)
            }
            size = Int64(bytes.count)
          case .file(let source, let expected):
            let fd = try FileDescriptor.open(readingFrom: source)
            defer { try? fd.close() }
            try writer.beginFile(entry.name, size: expected, mtime: mtime)
            while size < expected {
              let want = Int(min(Int64(buffer.count), expected - size))
              let n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
              if n == 0 { break }
              let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
              hash.update(chunk)
              try writer.write(chunk)
              size += Int64(n)
              done += Int64(n)
              progress(done, total)
            }
            guard size == expected else {
              throw LakeFailure(
                .data, "\(source): file is \(size) bytes, the table's log says \(expected)")
            }
            if try fd.read(into: buffer) != 0 {
              throw LakeFailure(.data, "\(source): file is larger than the table's log says")
            }
          }
          files.append(PackManifest.File(path: entry.name, size: size, sha256: hash.finalize()))
          if Interrupt.requested != 0 { throw InterruptedArchive() }
        }
      }
      let manifest = PackManifest(
        lhVersion: LakeVersion.string, before: config.before, tables: plans.map(\.manifest),
        files: files)
      let bytes = manifest.encode()
      // The manifest in a zstd frame of its own, indexed by the trailer: `list` reads only it.
      try writer.beginLastFrame()
      try writer.beginFile(PackManifest.entryName, size: Int64(bytes.count), mtime: mtime)
      try bytes.withUnsafeBytes { try writer.write($0) }
      try writer.finish()
      summary.manifest = manifest
      summary.bytes = files.reduce(0) { $0 + $1.size }
      summary.archiveBytes = Int64(writer.fileSize)

      try target.commit { temporary in
        guard config.remove else { return }
        // Read back every byte, fsynced, before anything leaves the lake.
        let check = try PackRead.verify(archive: temporary)
        guard check == manifest else {
          throw LakeFailure(
            .software, "\(temporary): the archive read back differs from what was written")
        }
      }
    } catch {
      writer.abort()
      throw error
    }

    if config.remove {
      for plan in plans where !plan.archived.isEmpty {
        let now = DeltaTable.nowMillis()
        var info = DeltaCommitInfo(
          timestamp: now, operation: "DELETE",
          operationParameters: [
            "predicate": config.before.map {
              "\(plan.manifest.partitionColumn ?? "") < '\($0)'"
            } ?? "true",
            "archive": PackLake.baseName(config.output),
          ],
          engineInfo: config.engine)
        info.extra = [("lhPackArchivedVersion", String(plan.snapshot.version))]
        let removes = plan.archived.map {
          DeltaAction.remove(
            DeltaRemove(
              path: $0.path, deletionTimestamp: now, dataChange: true,
              partitionValues: $0.partitionValues, size: $0.size))
        }
        let version = try DeltaTable.commit(
          table: plan.path, readVersion: plan.snapshot.version,
          actions: [.commitInfo(info)] + removes, readPartitions: plan.partitions)
        summary.removed.append((plan.name, removes.count, version))
      }
    }
    return summary
  }

  /// A whole table: the log files that reconstruct its versions up to V, verbatim (from version
  /// 0, or from the oldest checkpoint of a cleaned log: `DeltaLog.replayFiles`), and every data
  /// file any of those versions references that is still on disk; `fromVersion` is the oldest
  /// version all of whose files are there.
  static func wholePlan(_ name: String, _ path: String, _ snapshot: Snapshot) throws -> TablePlan {
    let replay = try DeltaLog.replayFiles(table: path, version: snapshot.version)
    var logEntries: [Entry] = []
    for logName in replay.names {
      let file = path + "/_delta_log/" + logName
      if logName == "_last_checkpoint" {
        // Replaced (renamed over) by any commit that writes a checkpoint: its bytes now.
        if let bytes = PackLake.smallFile(file) {
          logEntries.append(Entry(name: name + "/_delta_log/" + logName, source: .bytes(bytes)))
        }
        continue
      }
      guard let info = PackLake.fileInfo(file), info.isFile else {
        throw LakeFailure(.data, "\(file): missing")
      }
      logEntries.append(
        Entry(name: name + "/_delta_log/" + logName, source: .file(file, size: info.size)))
    }
    // The files live at the oldest version (its checkpoint, or commit 0), then each commit's.
    var added: [String: DeltaAdd] = [:]
    var removedAt: [String: Int64] = [:]
    let base =
      replay.oldest == snapshot.version
      ? snapshot : try DeltaLog.snapshot(table: path, asOf: .version(replay.oldest))
    for a in base.files { added[a.path] = a }
    if replay.oldest < snapshot.version {
      for v in (replay.oldest + 1)...snapshot.version {
        try DeltaLog.forEachAction(table: path, version: v) { action in
          switch action {
          case .add(let a):
            added[a.path] = a
            removedAt[a.path] = nil
          case .remove(let r): removedAt[r.path] = v
          default: break
          }
        }
      }
    }
    let live = Set(snapshot.files.map(\.path))
    var fromVersion = replay.oldest
    var data: [Entry] = []
    for (logPath, add) in added {
      let relative = try PartitionPath.uriDecode(logPath)
      let file = path + "/" + relative
      if let info = PackLake.fileInfo(file), info.isFile {
        data.append(Entry(name: name + "/" + relative, source: .file(file, size: info.size)))
        if live.contains(logPath), info.size != add.size {
          throw LakeFailure(
            .data, "\(file): file is \(info.size) bytes, the table's log says \(add.size)")
        }
      } else if live.contains(logPath) {
        throw LakeFailure(
          .data, "\(file): missing, and version \(snapshot.version) of \(name) needs it")
      } else {
        fromVersion = max(fromVersion, removedAt[logPath] ?? snapshot.version)
      }
    }
    data.sort { $0.name < $1.name }
    let partitions = Set(snapshot.files.map(\.partitionValues))
    return TablePlan(
      name: name, path: path, snapshot: snapshot,
      manifest: PackManifest.Table(
        name: name, tableID: snapshot.metadata.id, kind: "table", version: snapshot.version,
        fromVersion: fromVersion, partitionColumn: snapshot.metadata.partitionColumns.first,
        partitions: partitions.count, dataFiles: data.count,
        rows: snapshot.files.reduce(0) { $0 + PackLake.rows($1) }),
      entries: data + logEntries, archived: snapshot.files, partitions: partitions)
  }

  /// The partitions of a table older than `beforeDay`, with a one-version log of their own;
  /// nil when the table has none (or no date partition column).
  static func partitionPlan(
    _ name: String, _ path: String, _ snapshot: Snapshot, _ beforeDay: Int64,
    _ config: PackArchiveConfig, note: (String) -> Void
  ) throws -> TablePlan? {
    guard let column = snapshot.metadata.partitionColumns.first,
      let spec = snapshot.schema.columns.first(where: { $0.name == column }),
      spec.type == .date || spec.type == .string
    else {
      note("\(name): not partitioned by a date; skipped")
      return nil
    }
    let files = snapshot.files.filter { add in
      guard let text = add.partitionValues[column] ?? nil, let day = PackLake.day(text) else {
        return false
      }
      return day < beforeDay
    }
    guard !files.isEmpty else { return nil }
    var data: [Entry] = []
    for add in files {
      let relative = try PartitionPath.uriDecode(add.path)
      let file = path + "/" + relative
      guard let info = PackLake.fileInfo(file), info.isFile else {
        throw LakeFailure(
          .data, "\(file): missing, and version \(snapshot.version) of \(name) needs it")
      }
      guard info.size == add.size else {
        throw LakeFailure(
          .data, "\(file): file is \(info.size) bytes, the table's log says \(add.size)")
      }
      data.append(Entry(name: name + "/" + relative, source: .file(file, size: info.size)))
    }
    data.sort { $0.name < $1.name }
    // Version 0 of the archived table: what version V says about these partitions.
    var info = DeltaCommitInfo(
      timestamp: snapshot.timestamp, operation: "CREATE TABLE",
      operationParameters: [
        "mode": "ErrorIfExists", "source": name, "sourceVersion": String(snapshot.version),
        "predicate": "\(column) < '\(config.before ?? "")'",
      ],
      engineInfo: config.engine)
    info.extra = []
    let actions: [DeltaAction] =
      [.commitInfo(info), .protocol(snapshot.protocol), .metaData(snapshot.metadata)]
      + files.sorted { $0.path < $1.path }.map { .add($0) }
    let log = Entry(
      name: name + "/_delta_log/" + DeltaLog.fileName(0),
      source: .bytes(DeltaLogCodec.encode(actions)))
    let partitions = Set(files.map(\.partitionValues))
    return TablePlan(
      name: name, path: path, snapshot: snapshot,
      manifest: PackManifest.Table(
        name: name, tableID: snapshot.metadata.id, kind: "partitions", version: snapshot.version,
        fromVersion: snapshot.version, partitionColumn: column, partitions: partitions.count,
        dataFiles: data.count, rows: files.reduce(0) { $0 + PackLake.rows($1) }),
      entries: data + [log], archived: files, partitions: partitions)
  }
}

/// SIGINT/SIGTERM during an archive: the temp file is removed, the lake untouched.
public struct InterruptedArchive: LakeError {
  public var category: ErrorCategory { .tempFail }
  public var description: String { "interrupted; no archive written, nothing removed" }
}
