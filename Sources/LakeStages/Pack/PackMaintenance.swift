// LakeStages/Pack/PackMaintenance.swift
//
// `lh-pack compact` and `lh-pack vacuum` (issue 8).
//
// compact: per table, per partition, the files smaller than the target size (in the order the log
// added them; bronze files lh-silver has not refined yet are left alone) are packed into
// groups of about the target size, each group's rows rewritten as one file; one commit per table
// removes the small files and adds the large ones, every action with `dataChange: false`
// (delta-rs OPTIMIZE), so streaming readers skip it and time travel to older versions still finds
// the old files, which stay on disk until vacuum.
//
// vacuum: the retained versions are every version committed after `now − retain` plus the one
// that was current at that moment (time travel to any instant in the window reads one of them);
// a file is deleted when no retained version references it and it is older than the window
// (a writer's files not yet committed are new, so they stay). Also deleted: commit temp files
// `_delta_log/_commit_*.json.tmp` older than the window (left by a kill -9), and for the whole
// lake the scratch directories `.lh-restore.<pid>` of restores killed on the way (no live
// restore holds their lock). Never: log commits, any file of the latest version (checked again
// just before deleting).

import LakeFormats
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// `lh-pack compact` and `lh-pack vacuum`.
public enum PackMaintenance {
  /// What compact does.
  public struct CompactConfig: Sendable {
    public var lake: LakeLayout
    public var tables: [String]?
    public var targetSize: Int64 = 128 << 20
    public var dryRun = false
    public var engine: String
    /// How long to wait for another run writing a table (`TableLock`).
    public var lockWait = LockWait.default

    public init(lake: LakeLayout, engine: String) {
      self.lake = lake
      self.engine = engine
    }
  }

  /// One table's compaction.
  public struct CompactResult: Sendable {
    public var table: String
    public var filesRemoved: Int
    public var filesAdded: Int
    public var version: Int64?
  }

  /// The groups of small files to rewrite, each of one partition.
  public static func groups(_ files: [DeltaAdd], target: Int64) -> [[DeltaAdd]] {
    var byPartition: [[String: String?]: [DeltaAdd]] = [:]
    var order: [[String: String?]] = []
    for f in files where f.size < target {
      if byPartition[f.partitionValues] == nil { order.append(f.partitionValues) }
      byPartition[f.partitionValues, default: []].append(f)
    }
    var out: [[DeltaAdd]] = []
    for key in order {
      // In the order the log added them (the snapshot's): a compacted file keeps its rows in
      // the order they landed, so lh-silver rebuilt over it keeps the same first occurrence.
      let small = byPartition[key]!
      guard small.count >= 2 else { continue }
      var group: [DeltaAdd] = []
      var size: Int64 = 0
      for f in small {
        if !group.isEmpty && size + f.size > target {
          if group.count >= 2 { out.append(group) }
          group = []
          size = 0
        }
        group.append(f)
        size += f.size
      }
      if group.count >= 2 { out.append(group) }
    }
    return out
  }

  /// The bronze files lh-silver has not refined yet.
  ///
  /// When `table` is bronze: the paths added by the versions after the progress both silver
  /// tables record (every version when a silver table exists without progress). Empty for other
  /// tables, and when no silver table exists (its first run reads every version, compacted files
  /// included).
  static func unrefined(table: String, snapshot: Snapshot, lake: LakeLayout) throws -> Set<String> {
    guard table == "bronze/events" else { return [] }
    var progress: Int64?
    var anySilver = false
    for silver in [lake.silverEvents, lake.silverRejects]
    where try DeltaLog.latestVersion(table: silver) != nil {
      anySilver = true
      let done =
        try DeltaLog.snapshot(table: silver).transactions.filter { $0.key.hasPrefix("lh-silver:") }
        .values.max() ?? -1
      progress = min(progress ?? done, done)
    }
    guard anySilver, let progress, progress < snapshot.version else { return [] }
    var out = Set<String>()
    for v in (progress + 1)...snapshot.version {
      try DeltaLog.forEachAction(table: snapshot.table, version: v) {
        if case .add(let a) = $0, a.dataChange { out.insert(a.path) }
      }
    }
    return out
  }

  /// Compacts each table's small files.
  public static func compact(
    _ config: CompactConfig, waiting: (String) -> Void = { _ in }, note: (String) -> Void
  ) throws -> [CompactResult] {
    let names = try config.tables ?? PackLake.tables(in: config.lake.root)
    var results: [CompactResult] = []
    for name in names {
      try PackLake.checkTableName(name)
      let path = config.lake.root + "/" + name
      // One table locked at a time, from before its snapshot is read until its commit.
      let lock =
        config.dryRun
        ? TableLock.none()
        : try TableLock.acquire([name], in: config.lake, wait: config.lockWait, waiting: waiting)
      defer { lock.release() }
      let snapshot = try DeltaLog.snapshot(table: path)
      try DeltaLog.checkWritable(snapshot.protocol, table: path)
      // Files lh-silver has not refined yet stay as they are: it reads them by the commits that
      // added them (only they hold its next rows), so rewriting them with refined ones would
      // leave it nothing to read them by.
      let pending = try unrefined(table: name, snapshot: snapshot, lake: config.lake)
      let plan = groups(
        pending.isEmpty ? snapshot.files : snapshot.files.filter { !pending.contains($0.path) },
        target: config.targetSize)
      let removing = plan.reduce(0) { $0 + $1.count }
      if plan.isEmpty || config.dryRun {
        results.append(
          CompactResult(table: name, filesRemoved: removing, filesAdded: plan.count, version: nil))
        continue
      }
      let writer = try DeltaDataWriter(snapshot: snapshot)
      var adds: [DeltaAdd] = []
      do {
        for group in plan {
          try DeltaScan.forEachBatch(snapshot, files: group, columns: nil) { batch in
            var chunk = batch
            try writer.append(&chunk)
          }
          adds += try writer.finish()
        }
      } catch {
        writer.abort()
        throw error
      }
      for i in adds.indices { adds[i].dataChange = false }
      let now = DeltaTable.nowMillis()
      let info = DeltaCommitInfo(
        timestamp: now, operation: "OPTIMIZE",
        operationParameters: ["targetSize": String(config.targetSize)], engineInfo: config.engine)
      let removes = plan.joined().map {
        DeltaAction.remove(
          DeltaRemove(
            path: $0.path, deletionTimestamp: now, dataChange: false,
            partitionValues: $0.partitionValues, size: $0.size))
      }
      let version = try DeltaTable.commit(
        table: path, readVersion: snapshot.version,
        actions: [.commitInfo(info)] + removes + adds.map { .add($0) })
      results.append(
        CompactResult(
          table: name, filesRemoved: removes.count, filesAdded: adds.count, version: version))
    }
    return results
  }

  /// What vacuum does.
  public struct VacuumConfig: Sendable {
    public var lake: LakeLayout
    public var tables: [String]?
    /// Keep what time travel within this span needs (µs).
    public var retainMicros: Int64 = 7 * 86_400_000_000
    /// Delete; else only list.
    public var apply = false
    /// The present (ms since the epoch); tests inject it.
    public var nowMillis: Int64
    /// With `apply`: how long to wait for another run writing a table (`TableLock`).
    public var lockWait = LockWait.default

    public init(lake: LakeLayout, nowMillis: Int64) {
      self.lake = lake
      self.nowMillis = nowMillis
    }
  }

  /// A file vacuum deletes (or would).
  public struct VacuumFile: Sendable, Equatable {
    /// Path relative to the lake.
    public var path: String
    public var size: Int64
  }

  /// The files of one table vacuum deletes, and the oldest version kept readable.
  public static func vacuumPlan(table path: String, name: String, config: VacuumConfig) throws
    -> (files: [VacuumFile], oldestRetained: Int64)
  {
    let versions = try DeltaLog.versions(table: path)
    guard let latest = versions.last else { return ([], 0) }
    let cutoff = config.nowMillis - config.retainMicros / 1000
    // The version current at the cutoff: the newest committed at or before it.
    // Commits are streamed, never held (issue 9): first their timestamps (each read up to its
    // commitInfo), then the snapshot at the cutoff, then the adds of the versions after it.
    var first: Int64 = 0
    for v in 0...latest where try DeltaLog.commitTimestamp(table: path, version: v) <= cutoff {
      first = v
    }
    var keep = Set<String>()
    for add in try DeltaLog.snapshot(table: path, asOf: .version(first)).files {
      keep.insert(try PartitionPath.uriDecode(add.path))
    }
    if first < latest {
      for v in (first + 1)...latest {
        try DeltaLog.forEachAction(table: path, version: v) {
          if case .add(let a) = $0 { keep.insert(try PartitionPath.uriDecode(a.path)) }
        }
      }
    }
    var out: [VacuumFile] = []
    for relative in try PackLake.dataFiles(under: path) where !keep.contains(relative) {
      guard let info = PackLake.fileInfo(path + "/" + relative), info.mtime < cutoff else {
        continue
      }
      out.append(VacuumFile(path: name + "/" + relative, size: info.size))
    }
    for (file, isDirectory) in try PackLake.entries(path + "/_delta_log") where !isDirectory {
      guard file.hasPrefix("_commit_"), file.hasSuffix(".json.tmp"),
        let info = PackLake.fileInfo(path + "/_delta_log/" + file), info.mtime < cutoff
      else { continue }
      out.append(VacuumFile(path: name + "/_delta_log/" + file, size: info.size))
    }
    return (out, first)
  }

  /// Lists (and with `apply`, deletes) what vacuum removes, table by table; `emit` gets each
  /// file before it is deleted.
  ///
  /// Without `tables` (the whole lake), the scratch directories of killed restores at the
  /// lake's top follow, each as one entry `.lh-restore.<pid>/` (`PackLake.staleScratch`).
  public static func vacuum(
    _ config: VacuumConfig, waiting: (String) -> Void = { _ in },
    emit: (VacuumFile) throws -> Void
  ) throws
    -> (files: Int, bytes: Int64, tables: Int, scratch: Int)
  {
    let names = try config.tables ?? PackLake.tables(in: config.lake.root)
    var files = 0
    var bytes: Int64 = 0
    for name in names {
      try PackLake.checkTableName(name)
      let path = config.lake.root + "/" + name
      // Deleting: one table locked at a time, from its plan to its last unlink.
      let lock =
        config.apply
        ? try TableLock.acquire([name], in: config.lake, wait: config.lockWait, waiting: waiting)
        : TableLock.none()
      defer { lock.release() }
      let plan = try vacuumPlan(table: path, name: name, config: config)
      var doomed = plan.files
      if config.apply {
        // The log may have moved on since: never a file the latest version needs.
        let live = Set(
          try DeltaLog.snapshot(table: path).files.map {
            name + "/" + (try PartitionPath.uriDecode($0.path))
          })
        doomed.removeAll { live.contains($0.path) }
      }
      var dirs = Set<String>()
      for f in doomed {
        try emit(f)
        files += 1
        bytes += f.size
        if config.apply {
          let full = config.lake.root + "/" + f.path
          if unlink(full) != 0 && errno != ENOENT {
            throw SystemError("unlink", path: full, errno: errno)
          }
          dirs.insert(PackLake.directory(of: full))
        }
      }
      // Partition directories left empty go too (rmdir fails on the others).
      for d in dirs.sorted(by: >) where !d.hasSuffix("/_delta_log") && d != path { rmdir(d) }
    }
    var scratch = 0
    if config.tables == nil {
      for s in try PackLake.staleScratch(in: config.lake.root, remove: false) {
        let f = VacuumFile(path: s.name + "/", size: s.size)
        try emit(f)
        scratch += 1
        bytes += s.size
        // Removed under its lock, and only if it is still stale.
        if config.apply {
          _ = try PackLake.staleScratch(in: config.lake.root, remove: true, only: s.name)
        }
      }
    }
    return (files, bytes, names.count, scratch)
  }
}
