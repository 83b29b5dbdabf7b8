// LakeStages/Silver/SilverStage.swift
//
// lh-silver, batch (issue 5): the bronze lines not yet refined become typed silver rows, or
// rejects with a reason, exactly once.
//
//   bronze/events commits (from, target] ── each added file, row group by row group, in log order
//     └─ line ─▶ ContractValidator.stage ─┬─ reject ─▶ silver/rejects chunk ─▶ DeltaDataWriter
//                                         └─ good ─▶ key hash in its event_date's key set?
//                                              ├─ yes: a duplicate, counted and dropped
//                                              └─ no:  silver/events chunk ─▶ DeltaDataWriter
//   (validation runs on `threads` lanes, segment by segment; the key-set check and the writes
//   happen in bronze order: SilverRefiner.swift)
//   commit silver/events  (adds + txn lh-silver:<contract> = target + reconciliation)
//   commit silver/rejects (adds + txn lh-silver:<contract> = target + reconciliation)
//
// Exactly once. Each table records in its own log, with a `txn` in the same commit as the rows,
// the last bronze version it holds. Two tables cannot commit together, so processing is
// deterministic (bronze order: versions ascending, files in log order, rows in file order; the
// first occurrence of a key wins) and each table skips what its own txn says it holds: after a
// crash between the two commits, the rerun reprocesses the missing range and writes only the
// table that is behind, with the same rows it would have written. A run holds both tables'
// locks (TableLock) throughout, so a second run waits and then finds nothing left to do; a
// writer that is not lh racing on the txn loses with a conflict (exit 75) and leaves only
// unreferenced files.
//
// Deduplication. A duplicate carries the same key and the same event time (it is the same event
// sent again), hence lands in the same `event_date` partition. For every partition a run's rows
// fall in, the 64-bit hashes of the keys already in silver are looked up in the key index
// (silver/events/_lh/keys: sorted runs of hashes, each naming the live files whose keys it
// holds; SilverKeyIndex.swift), and the keys of the partition's files no index run covers are
// loaded from those files (key columns only); each new row is checked against them and against
// the run's earlier rows. So duplicates are dropped however late they arrive, within one event
// day; a run over N new rows costs O(N) lookups once the index covers the day, and memory is a
// hash table of the new rows and of the files read (about 11–23 bytes a key). After the commits
// the index gets a run for the files added and the files read.

import LakeContracts
import LakeFormats
import LakeIO
import LakeTable

/// What one lh-silver batch run is asked to do.
public struct SilverConfig: Sendable {
  public var lake: LakeLayout
  public var contract: Contract
  /// The bronze version to read up to.
  public var asOf: TimeTravel = .latest
  /// Recompute silver from all of bronze and replace both tables in one commit each.
  public var rebuild = false
  /// Read and count, write nothing.
  public var dryRun = false
  /// Use the key index for the duplicate check and keep it up to date (SilverKeyIndex.swift);
  /// false: every key is read from silver's files and the index is left alone.
  public var keyIndex = true
  /// How long to wait for another run writing silver (`TableLock`).
  public var lockWait = LockWait.default
  /// Where `contract` comes from: `.unspecified` lets the contract silver records win.
  public var contractOrigin = ContractOrigin.builtin
  /// Threads that validate bronze lines, and that encode and compress silver/events files.
  public var threads = availableProcessors
  /// Rows per chunk handed to the writers (small: several chunks are in flight at once).
  public var chunkRows = 16_384
  /// "lh-silver/0.1.0", written as engineInfo.
  public var engine: String
  /// Data file options; row groups bounded at 16 MiB so memory stays small (DeltaDataWriter keeps
  /// the open files of all event days within twice that per thread).
  public var parquet: ParquetWriteOptions = {
    var o = ParquetWriteOptions()
    o.maxRowGroupBytes = 16 << 20
    return o
  }()

  public init(lake: LakeLayout, contract: Contract, engine: String) {
    self.lake = lake
    self.contract = contract
    self.engine = engine
  }
}

/// Row counts of one range of bronze: the reconciliation `bronze = silver + rejects + duplicates`.
public struct SilverCounts: Sendable, Equatable {
  public var bronzeRows = 0
  public var silverRows = 0
  public var rejects = 0
  public var duplicates = 0
  /// Good rows a previous run already routed to silver/events (as a row or a duplicate): only
  /// in the commit that repairs silver/rejects after a crash between the two commits.
  public var acceptedEarlier = 0

  public init() {}

  /// Whether every bronze row is accounted for.
  public var reconciles: Bool {
    bronzeRows == silverRows + rejects + duplicates + acceptedEarlier
  }

  /// `{"bronzeRows":…,"silverRows":…,"rejects":…,"duplicates":…}` plus the range, then the
  /// table's running totals through this commit when known (LogTotals).
  func json(contract: String, from: Int64, to: Int64, totals: LogTotals.SilverTotals? = nil)
    -> String
  {
    "{\"contract\":\"\(contract)\",\"bronzeFromVersion\":\(from),\"bronzeToVersion\":\(to),"
      + "\"bronzeRows\":\(bronzeRows),\"silverRows\":\(silverRows),\"rejects\":\(rejects),"
      + "\"duplicates\":\(duplicates)"
      + (acceptedEarlier > 0 ? ",\"acceptedEarlier\":\(acceptedEarlier)" : "")
      + (totals?.json ?? "") + "}"
  }

  /// The range's counts as lhSilver members (for running totals).
  func members(to: Int64) -> [String: Int64] {
    [
      "bronzeRows": Int64(bronzeRows), "silverRows": Int64(silverRows),
      "rejects": Int64(rejects), "duplicates": Int64(duplicates), "bronzeToVersion": to,
    ]
  }
}

/// What one run did.
public struct SilverSummary: Sendable {
  /// The bronze version read up to.
  public var bronzeVersion: Int64 = -1
  /// The first bronze version processed (nil: silver was up to date).
  public var fromVersion: Int64?
  /// Rows of the bronze versions processed, and where they went.
  public var counts = SilverCounts()
  /// Rejects by reason code, most frequent first.
  public var rejectReasons: [(reason: String, count: Int)] = []
  /// Unknown keys of silver rows, per key name, most frequent first.
  public var unknownKeys: [(key: String, count: Int)] = []
  /// Unknown keys beyond the names counted one by one.
  public var untrackedUnknownKeys = 0
  /// Versions committed (nil when the table was already up to date or nothing was written).
  public var eventsVersion: Int64?
  public var rejectsVersion: Int64?
  /// Columns the contract added to silver/events in this run.
  public var addedColumns: [String] = []
  /// Event days whose silver keys were loaded to check for duplicates, and keys loaded.
  public var daysChecked = 0
  public var keysLoaded = 0
  /// Keys the key index answered for (held by its usable runs), silver data files whose keys
  /// were read instead, and index runs written after the commit.
  public var keysIndexed = 0
  public var keyFilesRead = 0
  public var indexRunsWritten = 0
  /// Bytes of the duplicate-check hash tables at the end.
  public var keySetBytes = 0
  /// Data files written.
  public var eventFiles = 0
  public var rejectFiles = 0
  /// Stopped by SIGINT or SIGTERM before committing anything.
  public var interrupted = false
  /// The contract used (the recorded one unless --contract changed it).
  public var contract: Contract?

  public init() {}
}

/// The lh-silver batch stage.
public enum SilverStage {
  /// The txn appId of a contract's progress in both silver tables.
  public static func appId(_ contract: Contract) -> String { "lh-silver:" + contract.name }

  /// The bronze columns read, by name.
  static let bronzeColumns = ["line", "line_bytes", "source", "line_number", "ingested_at"]

  /// The locks of the two silver tables (`TableLock`).
  static let lockNames = ["silver/events", "silver/rejects"]

  /// Refines the bronze lines silver does not hold yet; `waiting` hears that the run waits for
  /// another one's lock.
  public static func run(_ config: SilverConfig, waiting: (String) -> Void = { _ in }) throws
    -> SilverSummary
  {
    let lake = config.lake
    // Both tables' locks, from before their progress is read until both commits are done: a
    // second run waits, then finds silver up to date.
    let lock =
      config.dryRun
      ? TableLock.none()
      : try TableLock.acquire(lockNames, in: lake, wait: config.lockWait, waiting: waiting)
    defer { lock.release() }
    var summary = SilverSummary()

    let bronze = try DeltaLog.snapshot(table: lake.bronzeEvents, asOf: config.asOf)
    for name in bronzeColumns + ["ingest_date"] {
      guard let i = bronze.schema.index(of: name),
        bronze.schema.columns[i].type
          == BronzeStage.schema.columns[BronzeStage.schema.index(of: name)!].type
      else {
        throw LakeFailure(
          .data, "\(lake.bronzeEvents): not a bronze table (no \(name) column of lh-bronze's type)")
      }
    }
    let target = bronze.version
    summary.bronzeVersion = target

    // The two tables as they are now, and how far each is.
    let events = try existingSnapshot(lake.silverEvents)
    let rejects = try existingSnapshot(lake.silverRejects)
    // The contract: the one the tables record unless --contract changes it (LakeSettings).
    let choice = try LakeSettings.silverContract(
      config.contract, origin: config.contractOrigin,
      recorded: try (events ?? rejects).flatMap { try LakeSettings.recordedContract($0) },
      rebuild: config.rebuild, table: events != nil ? lake.silverEvents : lake.silverRejects)
    let contract = choice.contract
    let properties = LakeSettings.contractProperties(contract, source: choice.source)
    summary.contract = contract
    let app = appId(contract)
    let eventsSchema = SilverSchema.events(contract)
    for (snapshot, table) in [(events, lake.silverEvents), (rejects, lake.silverRejects)] {
      guard let snapshot else { continue }
      try DeltaLog.checkWritable(snapshot.protocol, table: table)
      if !config.rebuild,
        let other = snapshot.transactions.keys.first(where: {
          $0.hasPrefix("lh-silver:") && $0 != app
        })
      {
        throw LakeFailure(
          .usage,
          "\(table): built with contract '\(other.dropFirst(10))', not '\(contract.name)'; run with --rebuild to rebuild it"
        )
      }
    }
    var evolve = false
    if let events {
      if config.rebuild {
        evolve = events.schema != eventsSchema
      } else {
        switch try SilverSchema.change(
          from: events.schema, to: eventsSchema, table: lake.silverEvents)
        {
        case .none:
          if let path = choice.changedFile {
            throw LakeSettings.changedContract(path, choice.recorded, table: lake.silverEvents)
          }
        case .evolve(let added):
          evolve = true
          summary.addedColumns = added
        }
      }
      guard events.metadata.partitionColumns == [Contract.eventDateColumn] else {
        throw LakeFailure(.data, "\(lake.silverEvents): not partitioned by event_date")
      }
    }
    if let rejects, rejects.schema != SilverSchema.rejects {
      throw LakeFailure(
        .data, "\(lake.silverRejects): not lh-silver's rejects table (its schema differs)")
    }
    let doneEvents = config.rebuild ? -1 : (events?.transactions[app] ?? -1)
    let doneRejects = config.rebuild ? -1 : (rejects?.transactions[app] ?? -1)
    let from = min(doneEvents, doneRejects) + 1
    guard from <= target else { return summary }
    summary.fromVersion = from

    // The bronze files to read: added (dataChange) by versions from…target, in log order.
    // A compaction (an OPTIMIZE: removes and adds without dataChange) that rewrote files of
    // this list puts its new files in their place, so a rebuild or a first run reads bronze as
    // it is after `lh-pack compact` and `vacuum` (lh-pack never compacts files silver has not
    // refined, so an incremental run never meets one). A compaction that mixed files of the
    // list with files refined before cannot be split by row: refused, with the way out.
    // A log cleaned up after a checkpoint no longer has the early commits: a rebuild or first
    // run then reads bronze's live files as of `target` (the snapshot, in its order), while an
    // incremental run whose range was cleaned up cannot tell its files apart and says so.
    var files: [(version: Int64, add: DeltaAdd)] = []
    var cleaned: Int64?
    if try LogTotals.commit(lake.bronzeEvents, from) == nil {
      guard from == 0, max(doneEvents, doneRejects) < 0 else {
        throw LakeFailure(
          .data,
          "\(lake.bronzeEvents): version \(from), the first silver has not refined, is no longer in the log (cleaned up); run lh-silver --rebuild"
        )
      }
      // In landing order: a checkpoint may list the files in an order of its own (deltalake's
      // does), and the first occurrence of a key wins, so the order is rebuilt from each file's
      // earliest ingested_at (a compacted file goes where its first rows landed), then the
      // checkpoint's order.
      let landed = bronze.files.enumerated().map {
        (at: DeltaStats.minTimestamp("ingested_at", stats: $0.element.stats) ?? .max, $0.offset)
      }
      files = landed.sorted { $0.at != $1.at ? $0.at < $1.at : $0.1 < $1.1 }.map {
        (target, bronze.files[$0.1])
      }
      cleaned = target
    }
    for v in from...target where cleaned == nil {
      var rewritten: [String] = []
      var rewrites: [DeltaAdd] = []
      try DeltaLog.forEachAction(table: lake.bronzeEvents, version: v) {
        switch $0 {
        case .add(let add) where add.dataChange: files.append((v, add))
        case .add(let add): rewrites.append(add)
        case .remove(let r) where !r.dataChange: rewritten.append(r.path)
        default: break
        }
      }
      guard !rewritten.isEmpty else { continue }
      let gone = Set(rewritten)
      guard let first = files.firstIndex(where: { gone.contains($0.add.path) }) else { continue }
      let inList = files.reduce(0) { $0 + (gone.contains($1.add.path) ? 1 : 0) }
      guard inList == gone.count else {
        throw LakeFailure(
          .data,
          "\(lake.bronzeEvents): version \(v) rewrote \(inList) files silver has not refined together with \(gone.count - inList) it has; run lh-silver --rebuild"
        )
      }
      files.removeAll { gone.contains($0.add.path) }
      files.insert(contentsOf: rewrites.map { (v, $0) }, at: min(first, files.count))
    }

    // Writers (none in a dry run). Files are written before the tables exist; a table is
    // created by its first commit.
    let writeEvents = !config.dryRun && target > doneEvents
    let writeRejects = !config.dryRun && target > doneRejects
    let eventWriter =
      writeEvents
      ? try DeltaDataWriter(
        table: lake.silverEvents, schema: eventsSchema,
        partitionColumns: [Contract.eventDateColumn],
        options: config.parquet, threads: config.threads) : nil
    let rejectWriter =
      writeRejects
      ? try DeltaDataWriter(
        table: lake.silverRejects, schema: SilverSchema.rejects, partitionColumns: ["ingest_date"],
        options: config.parquet, threads: 1) : nil
    func abortAll() {
      eventWriter?.abort()
      rejectWriter?.abort()
    }

    // Existing keys per event day, loaded on first use.
    var existingByDay: [String: [DeltaAdd]] = [:]
    if let events, !config.rebuild {
      for add in events.files {
        if let day = add.partitionValues[Contract.eventDateColumn] ?? nil {
          existingByDay[day, default: []].append(add)
        }
      }
    }
    let existing = existingByDay
    let keyIndex = SilverKeyIndex(
      table: lake.silverEvents, contract: contract, enabled: config.keyIndex)
    let refiner = SilverRefiner(
      contract: contract, eventWriter: eventWriter, rejectWriter: rejectWriter,
      chunkRows: config.chunkRows
    ) { day in
      try keyIndex.dayKeys(day, live: existing[dayText(day)] ?? []) { adds, set in
        guard let events else { return 0 }
        return try loadKeys(adds, snapshot: events, contract: contract, into: set)
      }
    }

    do {
      guard
        try refine(
          files: files, lake: lake, refiner: refiner, doneEvents: doneEvents,
          doneRejects: doneRejects, threads: config.threads)
      else {
        // Stopped: nothing is committed (progress is per bronze version); the files written so
        // far are removed.
        abortAll()
        summary.interrupted = true
        return summary
      }
    } catch {
      abortAll()
      throw error
    }
    let eventCounts = refiner.eventCounts
    let rejectCounts = refiner.rejectCounts
    summary.daysChecked = refiner.daysChecked
    let dayKeys = refiner.keySets.values.sorted { $0.day < $1.day }
    summary.keysLoaded = dayKeys.reduce(0) { $0 + $1.keysLoaded }
    summary.keysIndexed = dayKeys.reduce(0) { $0 + $1.keysIndexed }
    summary.keyFilesRead = dayKeys.reduce(0) { $0 + $1.readFiles.count }
    summary.counts = target > doneEvents ? eventCounts : rejectCounts
    var reasons: [String: Int] = [:]
    var unknown: [String: Int] = [:]
    for lane in refiner.lanes {
      for (reason, n) in lane.validator.rejectCounts { reasons[reason.rawValue, default: 0] += n }
      for (key, n) in lane.validator.unknownKeyCounts where n > 0 { unknown[key, default: 0] += n }
      summary.untrackedUnknownKeys += lane.validator.untrackedUnknownKeys
    }
    summary.rejectReasons = reasons.map { ($0.key, $0.value) }
      .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    summary.unknownKeys = unknown.map { ($0.key, $0.value) }
      .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    summary.keySetBytes = dayKeys.reduce(0) { $0 + $1.bytes }
    guard !config.dryRun else { return summary }

    // Commit silver/events, then silver/rejects, each with its txn and reconciliation.
    var eventAdds: [DeltaAdd] = []
    func commit(
      _ table: String, writer: DeltaDataWriter?, existing: Snapshot?, schema: TableSchema,
      partition: String, counts: SilverCounts, done: Int64, newSchema: Bool
    ) throws -> (Int64, Int) {
      var adds: [DeltaAdd] = []
      if let writer {
        do { adds = try writer.finish() } catch {
          abortAll()
          throw error
        }
      }
      // A new table is made (version 0) before the clock is read for version 1, so that the
      // commit's time is after its table's creation.
      let snapshot =
        try existing
        ?? DeltaTable.openOrCreate(
          at: table, schema: schema, partitionColumns: [partition], engine: config.engine,
          configuration: properties)
      let now = DeltaTable.nowMillis()
      var info = DeltaCommitInfo(
        timestamp: now, operation: "WRITE",
        operationParameters: ["mode": config.rebuild ? "Overwrite" : "Append"],
        engineInfo: config.engine)
      // The running totals: this range's counts on top of the table's (a rebuild or a first
      // run starts them); unknown totals (a cleaned log without them) are left out.
      var totals: LogTotals.SilverTotals? = LogTotals.SilverTotals()
      if done >= 0, let existing {
        totals = (try? LogTotals.silverTotals(table: table, through: existing.version)) ?? nil
      }
      totals?.add(counts.members(to: target))
      info.extra = [
        (
          "lhSilver",
          counts.json(contract: contract.name, from: done + 1, to: target, totals: totals)
        )
      ]
      var actions: [DeltaAction] = [.commitInfo(info)]
      if let existing {
        var meta = existing.metadata
        if newSchema { meta.schemaString = DeltaSchema.schemaString(for: schema) }
        meta.configuration.merge(properties) { $1 }
        if meta != existing.metadata { actions.append(.metaData(meta)) }
        if config.rebuild {
          actions += existing.files.map {
            .remove(
              DeltaRemove(
                path: $0.path, deletionTimestamp: now, dataChange: true,
                partitionValues: $0.partitionValues, size: $0.size))
          }
        }
      }
      actions += adds.map { .add($0) }
      if table == lake.silverEvents { eventAdds = adds }
      actions.append(.txn(DeltaTxn(appId: app, version: target, lastUpdated: now)))
      do {
        let v = try DeltaTable.commit(
          table: table, readVersion: snapshot.version, actions: actions,
          conflictsSince: existing?.version ?? 0)
        return (v, adds.count)
      } catch {
        abortAll()
        throw error
      }
    }
    if writeEvents {
      (summary.eventsVersion, summary.eventFiles) = try commit(
        lake.silverEvents, writer: eventWriter, existing: events, schema: eventsSchema,
        partition: Contract.eventDateColumn, counts: eventCounts, done: doneEvents,
        newSchema: evolve)
    }
    if writeRejects {
      (summary.rejectsVersion, summary.rejectFiles) = try commit(
        lake.silverRejects, writer: rejectWriter, existing: rejects, schema: SilverSchema.rejects,
        partition: "ingest_date", counts: rejectCounts, done: doneRejects, newSchema: false)
    }
    // The key index, after the commits (a crash before leaves the new files to be read from
    // silver next time).
    if let version = summary.eventsVersion {
      summary.indexRunsWritten = keyIndex.update(
        days: dayKeys, added: eventAdds, version: version, rebuild: config.rebuild)
    }
    return summary
  }

  static func existingSnapshot(_ table: String) throws -> Snapshot? {
    try DeltaLog.snapshotIfPresent(table: table)
  }

  /// Adds the key hashes of the rows of `adds` (files of one event day) to `set`; returns how
  /// many rows were read.
  static func loadKeys(
    _ adds: [DeltaAdd], snapshot: Snapshot, contract: Contract, into set: KeyHashSet
  ) throws -> Int {
    var rows = 0
    for add in adds {
      let path = snapshot.table + "/" + (try PartitionPath.uriDecode(add.path))
      let reader = try ParquetFileReader(path: path)
      let wanted = try contract.key.map { name in
        guard let i = reader.leaves.firstIndex(where: { $0.spec.name == name }) else {
          throw LakeFailure(.data, "\(path): silver file without the key column '\(name)'")
        }
        return i
      }
      let positions = Array(0..<wanted.count)
      for g in 0..<reader.rowGroupCount {
        let b = try reader.readRowGroup(g, columns: wanted)
        let n = b.first?.count ?? 0
        for r in 0..<n { set.insert(KeyHash.row(r, of: b, columns: positions)) }
        rows += n
      }
    }
    return rows
  }

  /// `YYYY-MM-DD` of a day number.
  static func dayText(_ day: Int32) -> String {
    var out = [UInt8](repeating: 0, count: RFC3339.maxFormattedLength)
    let n = out.withUnsafeMutableBufferPointer {
      RFC3339.format(micros: Int64(day) * 86_400_000_000, fractionDigits: 0, into: $0.baseAddress!)
    }
    return String(decoding: out[0..<min(n, 10)], as: UTF8.self)
  }

  /// The day number of `YYYY-MM-DD`.
  static func parseDay(_ text: String) -> Int32? {
    guard let micros = RFC3339.parse(text + "T00:00:00Z") else { return nil }
    return Int32(truncatingIfNeeded: micros / 86_400_000_000)
  }
}
