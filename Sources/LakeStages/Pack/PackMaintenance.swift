// LakeStages/Pack/PackMaintenance.swift
//
// `lh-pack compact` and `lh-pack vacuum` (issue 8).
//
// compact: per table, per partition, the files smaller than the target size (in the order the log
// added them; bronze files lh-silver has not refined yet are left alone; of those the newest
// run in size tiers: `groups`) are packed into
// groups of about the target size, each group's rows rewritten as one file; one commit per table
// removes the small files and adds the large ones, every action with `dataChange: false`
// (delta-rs OPTIMIZE), so streaming readers skip it and time travel to older versions still finds
// the old files, which stay on disk until vacuum. A partition with fewer than two small files
// is not read at all, so the cost follows what is rewritten. Built for an hourly cron beside
// landings that commit every few seconds (issue 15):
//
//   snapshot, plan, rewrite          no lock: landings, lh-silver, lh-gold go on
//   lock ─ check commits since ─ commit ─ unlock     milliseconds
//
// The check drops a group one of whose files a commit made meanwhile removed (its new file is
// deleted again) and everything when one changed the metadata or protocol; files added
// meanwhile were in no group. The commit records `readVersion` and delta-rs's
// `operationMetrics` (files and bytes removed and added, partitions optimized).
//
// vacuum: the retained versions are every version committed after `now − retain` plus the one
// that was current at that moment (time travel to any instant in the window reads one of them);
// a file is deleted when no retained version references it and it is older than the window
// (a writer's files not yet committed are new, so they stay). Also deleted: commit temp files
// `_delta_log/_commit_*.json.tmp` older than the window (left by a kill -9), and for the whole
// lake the scratch directories `.lh-restore.<pid>` of restores killed on the way (no live
// restore holds their lock). Then the log entries older than the table's
// `delta.logRetentionDuration` that precede a checkpoint (PackLogCleanup.swift). Never: any
// file of the latest version (checked again just before deleting), a log entry that a version
// within the log retention needs.

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
    /// Files read and removed (with `dryRun`: that would be).
    public var filesRemoved: Int
    /// Files written and added (with `dryRun`: the groups, one file each).
    public var filesAdded: Int
    /// The version committed; nil when nothing was (a dry run, nothing to do).
    public var version: Int64?
    /// Partitions rewritten.
    public var partitions = 0
    /// Bytes of the files read, and of those written.
    public var bytesRead: Int64 = 0
    public var bytesWritten: Int64 = 0
    /// Live files below the target size (those considered), and live files in all.
    public var smallFiles = 0
    public var liveFiles = 0
    /// Files rewritten but left out of the commit because a commit made meanwhile removed one
    /// of their group (their new files are deleted again).
    public var filesSkipped = 0
    /// Why nothing was committed although files were rewritten (the table's metadata changed
    /// meanwhile); nil otherwise.
    public var skippedBecause: String?
    /// How long the table's lock was held (µs): only for the commit.
    public var lockMicros: Int64 = 0

    public init(table: String, filesRemoved: Int, filesAdded: Int, version: Int64?) {
      self.table = table
      self.filesRemoved = filesRemoved
      self.filesAdded = filesAdded
      self.version = version
    }
  }

  /// The groups of small files to rewrite, each of one partition.
  ///
  /// Small: below `target`. Of a partition's small files (in log order) only the newest run
  /// is taken in which each older file is at most twice the newer ones gathered so far (size
  /// tiers): an hourly compaction of a day partition rewrites a few hours' worth, and a file
  /// as large as the rest of the day only now and then, instead of the whole day every hour;
  /// a partition keeps a few files per day, not one. A partition with fewer than two such
  /// files makes no group, and nothing of it is read.
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
      let all = byPartition[key]!
      guard all.count >= 2 else { continue }
      var start = all.count - 1
      var gathered = all[start].size
      while start > 0 && all[start - 1].size <= 2 * gathered {
        start -= 1
        gathered += all[start].size
      }
      let small = all[start...]
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
  /// tables record (every live file when a silver table exists without progress). Empty for
  /// other tables, and when no silver table exists (its first run reads every version,
  /// compacted files included). Reads only the commits silver has still to refine.
  static func unrefined(table: String, snapshot: Snapshot, lake: LakeLayout) throws -> Set<String> {
    try refinement(table: table, snapshot: snapshot, lake: lake).unrefined
  }

  /// `unrefined`, and whether `table` is bronze and no silver table exists yet.
  static func refinement(table: String, snapshot: Snapshot, lake: LakeLayout) throws
    -> (unrefined: Set<String>, noSilver: Bool)
  {
    guard table == "bronze/events" else { return ([], false) }
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
    guard anySilver, let progress, progress < snapshot.version else { return ([], !anySilver) }
    guard progress >= 0 else { return (Set(snapshot.files.map(\.path)), false) }
    var out = Set<String>()
    for v in (progress + 1)...snapshot.version {
      try DeltaLog.forEachAction(table: snapshot.table, version: v) {
        if case .add(let a) = $0, a.dataChange { out.insert(a.path) }
      }
    }
    return (out, false)
  }

  /// Compacts each table's small files.
  ///
  /// Per table: the snapshot is read and the groups rewritten without the table's lock (a
  /// landing or lh-silver runs meanwhile); the lock is taken only to check the commits made
  /// since (a group one of whose files a commit removed meanwhile is dropped, its new file
  /// deleted; a change of metadata or protocol drops them all) and to commit. Files added
  /// meanwhile are not in any group, so they stay as they are.
  public static func compact(
    _ config: CompactConfig, waiting: (String) -> Void = { _ in }, note: (String) -> Void
  ) throws -> [CompactResult] {
    let names = try config.tables ?? PackLake.tables(in: config.lake.root)
    var results: [CompactResult] = []
    for name in names {
      try PackLake.checkTableName(name)
      results.append(try compactTable(name, config, waiting: waiting))
    }
    return results
  }

  static func compactTable(
    _ name: String, _ config: CompactConfig, waiting: (String) -> Void
  ) throws -> CompactResult {
    let path = config.lake.root + "/" + name
    let snapshot = try DeltaLog.snapshot(table: path)
    try DeltaLog.checkWritable(snapshot.protocol, table: path)
    // Files lh-silver has not refined yet stay as they are: it reads them by the commits that
    // added them (only they hold its next rows), so rewriting them with refined ones would
    // leave it nothing to read them by.
    // With no silver table yet, every file may be compacted, provided that no lh-silver run
    // starts before the commit (see `commitRewritten`).
    let (pending, noSilver) = try refinement(table: name, snapshot: snapshot, lake: config.lake)
    let candidates =
      pending.isEmpty ? snapshot.files : snapshot.files.filter { !pending.contains($0.path) }
    let plan = groups(candidates, target: config.targetSize)
    var result = CompactResult(
      table: name, filesRemoved: plan.reduce(0) { $0 + $1.count }, filesAdded: plan.count,
      version: nil)
    result.liveFiles = snapshot.files.count
    result.smallFiles = candidates.reduce(0) { $0 + ($1.size < config.targetSize ? 1 : 0) }
    result.partitions = Set(plan.map { $0[0].partitionValues }).count
    result.bytesRead = plan.joined().reduce(0) { $0 + $1.size }
    if plan.isEmpty || config.dryRun { return result }

    // Rewrite, without the lock: one group at a time, its new files kept with it.
    let writer = try DeltaDataWriter(snapshot: snapshot)
    var written: [[DeltaAdd]] = []
    func discard(_ adds: [DeltaAdd]) {
      for a in adds {
        if let relative = try? PartitionPath.uriDecode(a.path) { unlink(path + "/" + relative) }
      }
    }
    do {
      for group in plan {
        try DeltaScan.forEachBatch(snapshot, files: group, columns: nil) { batch in
          var chunk = batch
          try writer.append(&chunk)
        }
        written.append(try writer.finish())
      }
    } catch {
      writer.abort()
      for adds in written { discard(adds) }
      throw error
    }

    // Commit, under the lock: only what no commit since the snapshot touched.
    let lock: TableLock
    do {
      lock = try TableLock.acquire(
        [name], in: config.lake, wait: config.lockWait, waiting: waiting)
    } catch {
      // Gave up waiting (status 75) or was stopped: the new files go again.
      for adds in written { discard(adds) }
      throw error
    }
    defer { lock.release() }
    let locked = SystemClock.monotonicNanoseconds()
    try commitRewritten(
      plan: plan, written: written, snapshot: snapshot, config: config, noSilver: noSilver,
      result: &result, discard: discard)
    result.lockMicros = (SystemClock.monotonicNanoseconds() - locked) / 1000
    return result
  }

  /// The locked part of a compaction: drop the groups a commit since the snapshot touched,
  /// commit the others.
  static func commitRewritten(
    plan: [[DeltaAdd]], written: [[DeltaAdd]], snapshot: Snapshot, config: CompactConfig,
    noSilver: Bool, result: inout CompactResult, discard: ([DeltaAdd]) -> Void
  ) throws {
    let path = snapshot.table
    // Bronze planned with no silver table: lh-silver's first run reads every bronze version,
    // so it can take a compaction in its stride only if it starts after the commit. A silver
    // run that began meanwhile (its lock is held, or a silver table exists now) could record
    // a progress that splits a group (files it refined rewritten with files it has not): then
    // nothing is committed. Silver's locks are only tried, never waited for, and are held
    // until the commit.
    var silverLock: TableLock?
    if noSilver {
      do {
        silverLock = try TableLock.acquire(
          SilverStage.lockNames, in: config.lake, wait: .noWait)
      } catch let e as LakeFailure where e.category == .tempFail {
        silverLock = nil
      }
      let lake = config.lake
      let started =
        try silverLock == nil || !DeltaLog.versions(table: lake.silverEvents).isEmpty
        || !DeltaLog.versions(table: lake.silverRejects).isEmpty
      if started { result.skippedBecause = "lh-silver began refining bronze" }
    }
    defer { silverLock?.release() }
    var keep = Array(repeating: result.skippedBecause == nil, count: plan.count)
    let latest: Int64
    do {
      latest = try DeltaLog.versions(table: path).last ?? snapshot.version
      if latest > snapshot.version {
        var removed = Set<String>()
        for v in (snapshot.version + 1)...latest {
          try DeltaLog.forEachAction(table: path, version: v) { a in
            switch a {
            case .metaData, .protocol:
              if result.skippedBecause == nil {
                result.skippedBecause = "version \(v) changed the table's metadata or protocol"
              }
            case .remove(let r): removed.insert(r.path)
            default: break
            }
          }
        }
        for (i, group) in plan.enumerated()
        where group.contains(where: { removed.contains($0.path) }) {
          keep[i] = false
        }
        if result.skippedBecause != nil { keep = keep.map { _ in false } }
      }
    } catch {
      for adds in written { discard(adds) }
      throw error
    }
    for i in plan.indices where !keep[i] { discard(written[i]) }
    let groupsKept = plan.indices.filter { keep[$0] }
    let removedFiles = groupsKept.flatMap { plan[$0] }
    var adds = groupsKept.flatMap { written[$0] }
    result.filesSkipped = result.filesRemoved - removedFiles.count
    result.filesRemoved = removedFiles.count
    result.filesAdded = adds.count
    result.partitions = Set(removedFiles.map(\.partitionValues)).count
    result.bytesRead = removedFiles.reduce(0) { $0 + $1.size }
    result.bytesWritten = adds.reduce(0) { $0 + $1.size }
    guard !removedFiles.isEmpty else { return }

    for i in adds.indices { adds[i].dataChange = false }
    let now = DeltaTable.nowMillis()
    var info = DeltaCommitInfo(
      timestamp: now, operation: "OPTIMIZE",
      operationParameters: ["targetSize": String(config.targetSize)], engineInfo: config.engine)
    // As delta-rs records an OPTIMIZE (numbers as JSON numbers).
    info.extra = [
      // The version the groups were planned on, as Spark records it: the commits between it
      // and this one ran while the files were rewritten.
      ("readVersion", String(snapshot.version)),
      (
        "operationMetrics",
        "{\"numFilesAdded\":\(adds.count),\"numFilesRemoved\":\(removedFiles.count),"
          + "\"numBytesAdded\":\(result.bytesWritten),\"numBytesRemoved\":\(result.bytesRead),"
          + "\"partitionsOptimized\":\(result.partitions),\"numBatches\":\(groupsKept.count),"
          + "\"totalConsideredFiles\":\(result.smallFiles),"
          + "\"totalFilesSkipped\":\(result.liveFiles - removedFiles.count)}"
      ),
    ]
    let removes = removedFiles.map {
      DeltaAction.remove(
        DeltaRemove(
          path: $0.path, deletionTimestamp: now, dataChange: false,
          partitionValues: $0.partitionValues, size: $0.size))
    }
    do {
      // The commits up to `latest` were checked above; a later one (a writer that takes no
      // lock) is checked by the commit itself: one that removed a file of ours fails it.
      result.version = try DeltaTable.commit(
        table: path, readVersion: latest,
        actions: [.commitInfo(info)] + removes + adds.map { .add($0) })
    } catch let e as DeltaCommitError {
      // Not committed (a conflict, or too many lost races): the new files go again.
      discard(adds)
      throw e
    }
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

  /// The newest of `versions` (a table's commits, ascending) committed at or before `time`
  /// (ms), found from the latest back; the oldest of them when none is.
  static func versionCurrent(at time: Int64, table: String, versions: [Int64]) throws -> Int64 {
    for v in versions.reversed()
    where try DeltaLog.commitTimestamp(table: table, version: v) <= time {
      return v
    }
    return versions.first ?? 0
  }

  /// The files of one table vacuum deletes, and the oldest version kept readable.
  public static func vacuumPlan(table path: String, name: String, config: VacuumConfig) throws
    -> (files: [VacuumFile], oldestRetained: Int64)
  {
    let versions = try DeltaLog.versions(table: path)
    guard let latest = versions.last else { return ([], 0) }
    let cutoff = config.nowMillis - config.retainMicros / 1000
    // The version current at the cutoff: the newest committed at or before it (or the oldest
    // commit the log still has). Commits are streamed, never held (issue 9): first their
    // timestamps, from the latest back to the cutoff (each read up to its commitInfo; commit
    // times increase with the version), then the snapshot at the cutoff, then the adds of the
    // versions after it: the cost follows the versions within the retention, not the table's
    // age.
    // A cleaned log (or one a killed cleanup left with commits before its oldest checkpoint):
    // nothing older than the oldest reconstructible version can be read, nor needs its files.
    let first = max(
      try versionCurrent(at: cutoff, table: path, versions: versions),
      try DeltaLog.oldestReconstructibleVersion(table: path) ?? 0)
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
    -> (files: Int, bytes: Int64, tables: Int, scratch: Int, logFiles: Int)
  {
    let names = try config.tables ?? PackLake.tables(in: config.lake.root)
    var files = 0
    var logFiles = 0
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
      let latest = try DeltaLog.snapshot(table: path)
      if config.apply {
        // The log may have moved on since: never a file the latest version needs.
        let live = Set(
          try latest.files.map { name + "/" + (try PartitionPath.uriDecode($0.path)) })
        doomed.removeAll { live.contains($0.path) }
      }
      // Then the log entries older than the table's log retention that precede a checkpoint
      // (PackLogCleanup.swift), oldest first.
      let logRetention = try logRetention(latest, table: path)
      let logPlan = try logCleanupPlan(
        table: path, name: name, cutoff: config.nowMillis - logRetention / 1000)
      doomed += logPlan.files
      logFiles += logPlan.files.count
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
    return (files, bytes, names.count, scratch, logFiles)
  }
}
