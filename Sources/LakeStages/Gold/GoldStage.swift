// LakeStages/Gold/GoldStage.swift
//
// lh-gold, batch: the contract's gold tables from LAKE/silver/events, each a Delta table
// LAKE/gold/<name> partitioned by `event_date` (the bucket's local date in `--tz`).
//
// Incremental: a gold table's progress is a txn (`lh-gold`, the silver version it reflects) in
// the same commit as its output. A run reads the silver commits after it, collects the silver
// partitions (UTC days) they touched, maps them to the gold partitions (local days) that
// overlap them, and recomputes those partitions whole — so late events landing in an old day
// correct that day — replacing them in one commit per table (removes + adds, conflicting with
// a concurrent writer of the same partitions). `--rebuild` recomputes every day (and may change
// a table's definition); `--from`/`--to` recompute a range of days without moving progress.
// The contract is the one silver records and each table keeps the zone it records
// (LakeSettings); the tables written are locked (TableLock) from before their progress is read
// until their commits, so an overlapping run waits and then finds them up to date.
//
// Archived silver (GoldArchivedDays.swift): lh-pack's archive removals touch no gold day; a day
// part of whose silver rows were archived is never recomputed (its gold rows are kept, in
// every mode, `--rebuild` included) unless `dropUnrecomputable`; a restore makes it
// recomputable again and recomputes it.
//
// Each silver partition (a UTC day) overlapping a day to recompute is read once, in UTC-day
// order (partition pruning, only the columns the tables use); each row goes to its local day's
// aggregators (rows of days not recomputed are dropped), and a local day's rows are appended to
// each table's data writer as soon as every UTC day overlapping it is read. Memory is bounded by
// one local day's groups (two where a UTC day straddles two local days), not by the lake.

import LakeContracts
import LakeFormats
import LakeIO
import LakeTable

/// What one lh-gold run is asked to do.
public struct GoldConfig: Sendable {
  public var lake: LakeLayout
  public var contract: Contract
  /// The time zone days and hours are cut in (minutes are UTC); nil: the zone each table
  /// records, and for a new table the one the others share, else UTC.
  public var zone: String?
  /// Where `contract` comes from: `.unspecified` lets the contract silver records win.
  public var contractOrigin = ContractOrigin.builtin
  /// How long to wait for another run writing a gold table (`TableLock`).
  public var lockWait = LockWait.default
  /// Gold tables to compute (nil: all of the contract's).
  public var tables: [String]?
  public var rebuild = false
  /// Local days to recompute (inclusive), whatever the progress.
  public var from: Int64?
  public var to: Int64?
  public var asOf: TimeTravel = .latest
  public var engine: String
  public var parquet = ParquetWriteOptions()
  public var dryRun = false
  /// Recompute (or empty) days silver can no longer recompute because part of their rows were
  /// archived, instead of keeping their gold rows.
  public var dropUnrecomputable = false
  /// Threads the tables are folded on.
  public var threads = availableProcessors

  public init(lake: LakeLayout, contract: Contract, engine: String) {
    self.lake = lake
    self.contract = contract
    self.engine = engine
  }
}

/// What one run did, per table.
public struct GoldTableSummary: Sendable, Equatable {
  public var name: String
  /// Days recomputed.
  public var days: Int
  public var rows: Int
  /// The version committed, nil when nothing was to do.
  public var version: Int64?
  /// Of the days recomputed, those merged from a saved state (GoldDayState.swift).
  public var daysFromState = 0
  /// Silver files and rows folded into the days recomputed (a file a saved state covers is
  /// not read again).
  public var filesRead = 0
  public var rowsRead = 0
}

/// The lh-gold batch stage.
public enum GoldStage {
  static let appId = "lh-gold"
  /// The table property recording the zone a gold table's days are cut in: a run in another
  /// zone must rebuild it.
  static let zoneProperty = LakeSettings.zoneKey

  /// The gold table's columns: the aggregator's, plus `event_date` for minute and hour tables.
  static func tableSchema(_ aggregator: GoldAggregator) -> TableSchema {
    aggregator.table.grain == .day
      ? aggregator.schema
      : TableSchema(
        aggregator.schema.columns + [ColumnSpec(Contract.eventDateColumn, .date, nullable: false)])
  }

  /// Computes the gold tables; returns what was done per table.
  ///
  /// The contract is the one silver records (`config.contract` may only repeat it); each table
  /// keeps the zone it records unless `config.zone` is given. The tables written are locked
  /// (`TableLock`, in name order) before their progress is read; silver is read again after a
  /// wait, so that a run that waited sees what the run it waited for saw, or more.
  public static func run(
    _ config: GoldConfig, waiting: (String) -> Void = { _ in }, note: (String) -> Void
  ) throws -> [GoldTableSummary] {
    var silver = try DeltaLog.snapshot(table: config.lake.silverEvents, asOf: config.asOf)
    let contract = try LakeSettings.goldContract(
      config.contract, origin: config.contractOrigin,
      recorded: try LakeSettings.recordedContract(silver), silver: silver.table)
    var definitions = contract.gold
    if let names = config.tables {
      for n in names where !definitions.contains(where: { $0.name == n }) {
        throw LakeFailure(
          .usage,
          "contract '\(contract.name)' has no gold table '\(n)' (it has: \(definitions.map(\.name).joined(separator: ", ")))"
        )
      }
      definitions = definitions.filter { names.contains($0.name) }
    }
    guard !definitions.isEmpty else { return [] }
    let lock =
      config.dryRun
      ? TableLock.none()
      : try TableLock.acquire(
        definitions.map { "gold/" + $0.name }, in: config.lake, wait: config.lockWait,
        waiting: waiting)
    defer { lock.release() }
    if lock.waited {
      silver = try DeltaLog.snapshot(table: config.lake.silverEvents, asOf: config.asOf)
    }

    // The zone of each table: the flag's, else the one it records; a new table takes the zone
    // the existing ones share (else UTC). Tables of different zones are computed apart.
    var zones: [String: String] = [:]
    if let zone = config.zone {
      for t in definitions { zones[t.name] = zone }
    } else {
      var recorded: [String: String] = [:]
      for t in definitions {
        let path = try config.lake.gold(t.name)
        guard try DeltaLog.latestVersion(table: path) != nil else { continue }
        recorded[t.name] =
          try DeltaLog.snapshot(table: path).metadata.configuration[zoneProperty] ?? "UTC"
      }
      let shared = Set(recorded.values).count == 1 ? recorded.values.first! : "UTC"
      for t in definitions { zones[t.name] = recorded[t.name] ?? shared }
    }
    var byName: [String: GoldTableSummary] = [:]
    for zone in Set(zones.values).sorted() {
      let group = definitions.filter { zones[$0.name] == zone }
      for s in try compute(
        config, contract: contract, definitions: group, zone: zone, silver: silver, note: note)
      {
        byName[s.name] = s
      }
    }
    return definitions.compactMap { byName[$0.name] }
  }

  /// Computes `definitions`, all cut in `zone`, from `silver`.
  static func compute(
    _ config: GoldConfig, contract: Contract, definitions: [GoldTable], zone: String,
    silver: Snapshot, note: (String) -> Void
  ) throws -> [GoldTableSummary] {
    let clock = try ZoneClock(zone)

    // Each table: its aggregator, its Delta table (if any) and the local days to recompute.
    struct Job {
      var aggregator: GoldAggregator
      let path: String
      let schema: TableSchema
      var existing: Snapshot?
      var days: Set<Int64>
      /// Days that need recomputing but cannot be (archived silver): their gold rows stay.
      var kept: Set<Int64> = []
      /// Of those, the days the table holds rows for.
      var keptGold: Set<Int64> = []
      /// The UTC days of silver archived away, as of this run.
      var archived: Set<Int64> = []
      var writer: DeltaDataWriter?
      var rows = 0
      /// What a saved day state must have been computed for.
      var fingerprint: UInt64 = 0
      var daysFromState = 0
      var filesRead = 0
      var rowsRead = 0
      /// Day states not written yet (the table's directory did not exist).
      var pendingStates: [(day: Int64, bytes: [UInt8])] = []
      /// The buffers a day's rows are written from, reused from day to day.
      var chunk: [ColumnBuffer] = []
    }
    var jobs: [Job] = []
    // Silver's commits after a version, read once for the tables that share that progress.
    var commitsSince: [Int64: [GoldArchivedDays.Commit]] = [:]
    // Progress marks whose commits since were cleaned up from silver's log.
    var cleanedSince = Set<Int64>()
    // The archived days any gold table of the contract records (read only when needed).
    var recordedArchived: Set<Int64>?
    func anyRecordedArchived() throws -> Set<Int64> {
      if let recordedArchived { return recordedArchived }
      var out = Set<Int64>()
      for t in contract.gold {
        let path = try config.lake.gold(t.name)
        guard let s = try DeltaLog.snapshotIfPresent(table: path) else { continue }
        out.formUnion(GoldArchivedDays.decode(s.metadata.configuration[GoldArchivedDays.property]))
      }
      recordedArchived = out
      return out
    }
    var newlyArchived = Set<Int64>()
    let silverDays = Set(silver.files.compactMap { dayOf($0) })
    for t in definitions {
      let aggregator = try GoldAggregator(
        table: t, contract: contract, input: silver.schema, clock: clock)
      let path = try config.lake.gold(t.name)
      let schema = tableSchema(aggregator)
      let existing =
        try DeltaLog.snapshotIfPresent(table: path)
      if let existing {
        try DeltaLog.checkWritable(existing.protocol, table: path)
        if existing.schema != schema && !config.rebuild {
          throw LakeFailure(
            .data,
            "\(path): the table's columns differ from gold table '\(t.name)' of contract '\(contract.name)'; run with --rebuild to recompute it"
          )
        }
      }
      // Local days to recompute.
      var touched: Set<Int64>
      if let existing, !config.rebuild,
        case let recorded = existing.metadata.configuration[zoneProperty] ?? "UTC",
        recorded != zone
      {
        throw LakeFailure(
          .usage,
          "\(path): days are cut in \(recorded) (recorded in the table), not \(zone); run with --tz \(zone) --rebuild to recut them, or drop --tz to keep \(recorded)"
        )
      }
      let done = existing?.transactions[appId]
      // The silver commits this table has not seen: archive removals, restores and data.
      var archived = GoldArchivedDays.decode(
        existing?.metadata.configuration[GoldArchivedDays.property])
      var changed = Set<Int64>()
      let unseen = (done ?? -1) + 1
      // Silver's log no longer has every commit since the table's progress (cleaned up after a
      // checkpoint): every day is recomputed, and the archived days are those any gold table
      // of the contract records.
      var recomputeAll = false
      if unseen <= silver.version {
        if commitsSince[unseen] == nil && !cleanedSince.contains(unseen) {
          if let commits = try GoldArchivedDays.read(
            table: silver.table, versions: unseen...silver.version)
          {
            commitsSince[unseen] = commits
          } else {
            cleanedSince.insert(unseen)
            note(
              "silver's commits after version \(unseen - 1) are no longer in its log (cleaned up); \(t.name): every day is recomputed"
            )
          }
        }
        if let commits = commitsSince[unseen] {
          changed = GoldArchivedDays.apply(commits, to: &archived)
        } else {
          recomputeAll = true
          archived.formUnion(try anyRecordedArchived())
        }
      }
      if config.from != nil || config.to != nil {
        touched = []
        let lo = config.from ?? Int64.min
        let hi = config.to ?? Int64.max
        for d in silverDays {
          touched.formUnion(localDays(overlapping: d, clock).filter { $0 >= lo && $0 <= hi })
        }
        // Days in range that silver no longer has are recomputed (emptied) too.
        for p in existing?.files ?? [] {
          if let d = dayOf(p), d >= lo && d <= hi { touched.insert(d) }
        }
      } else if config.rebuild || done == nil || recomputeAll {
        touched = []
        for d in silverDays { touched.formUnion(localDays(overlapping: d, clock)) }
        for p in existing?.files ?? [] { if let d = dayOf(p) { touched.insert(d) } }
      } else if let done, done < silver.version {
        touched = []
        for d in changed { touched.formUnion(localDays(overlapping: d, clock)) }
      } else {
        touched = []
      }
      // Local days part of whose silver rows were archived cannot be recomputed: kept.
      var kept = Set<Int64>()
      if !config.dropUnrecomputable {
        var unrecomputable = Set<Int64>()
        for d in archived { unrecomputable.formUnion(localDays(overlapping: d, clock)) }
        kept = touched.intersection(unrecomputable)
        touched.subtract(kept)
      }
      let goldDays = Set((existing?.files ?? []).compactMap { dayOf($0) })
      if let existing, config.rebuild, !kept.isDisjoint(with: goldDays),
        existing.schema != schema
          || (existing.metadata.configuration[zoneProperty] ?? "UTC") != zone
      {
        throw LakeFailure(
          .usage,
          "\(path): --rebuild changes the table's columns or time zone, but \(kept.intersection(goldDays).count) of its days cannot be recomputed (silver's rows for them were archived by lh-pack: \(GoldArchivedDays.describe(archived))); restore the archive first (lh-pack restore), or add --drop-unrecomputable to drop those days"
        )
      }
      let before = GoldArchivedDays.decode(
        existing?.metadata.configuration[GoldArchivedDays.property])
      newlyArchived.formUnion(archived.subtracting(before))
      jobs.append(
        Job(
          aggregator: aggregator, path: path, schema: schema, existing: existing, days: touched,
          kept: kept, keptGold: kept.intersection(goldDays), archived: archived,
          fingerprint: GoldDayState.fingerprint(
            table: t, contract: contract, zone: zone, input: silver.schema,
            silverId: silver.metadata.id)))
    }

    // The columns any table reads.
    var needed = [contract.eventTime]
    for t in definitions {
      for c in t.groupBy + t.filter.map(\.column) where !needed.contains(c) { needed.append(c) }
      for m in t.metrics {
        for c in [m.operand?.column, m.operand?.times].compactMap({ $0 }) + m.filter.map(\.column)
        where !needed.contains(c) {
          needed.append(c)
        }
      }
    }
    // Columns used only through their interned ids (group-by, count_distinct): read as
    // Parquet dictionary codes without decoding their values (GoldContext maps each code).
    var valuesRead = Set([contract.eventTime])
    for t in definitions {
      valuesRead.formUnion(t.filter.map(\.column))
      for m in t.metrics {
        valuesRead.formUnion(m.filter.map(\.column))
        if m.aggregate != .countDistinct {
          valuesRead.formUnion([m.operand?.column, m.operand?.times].compactMap { $0 })
        }
      }
    }
    let codesOnly = Set(needed).subtracting(valuesRead)
    let projected = TableSchema(
      try needed.map { name in
        guard let i = silver.schema.index(of: name) else {
          throw LakeFailure(
            .data, "\(silver.table): no column '\(name)' (contract '\(contract.name)')")
        }
        return silver.schema.columns[i]
      })
    // Values and buckets are interned once per batch for all tables.
    let context = GoldContext(clock: clock, timeColumn: 0)
    for j in jobs.indices {
      // Re-resolve the aggregators against the projected columns.
      jobs[j].aggregator = try GoldAggregator(
        table: jobs[j].aggregator.table, contract: contract, input: projected,
        clock: clock, context: context)
    }
    let timeIndex = 0

    // One local day at a time.
    let allDays = jobs.reduce(into: Set<Int64>()) { $0.formUnion($1.days) }.sorted()
    let kept = jobs.reduce(into: Set<Int64>()) { $0.formUnion($1.kept) }
    if !newlyArchived.isEmpty {
      note(
        "silver's rows of \(newlyArchived.count) UTC day\(newlyArchived.count == 1 ? "" : "s") (\(GoldArchivedDays.describe(newlyArchived))) were archived by lh-pack; their gold days are kept"
      )
    }
    if !kept.isEmpty {
      let would = config.dryRun ? "would keep" : "kept"
      if config.rebuild {
        let n = jobs.reduce(into: Set<Int64>()) { $0.formUnion($1.keptGold) }.count
        note(
          "\(would) \(n) gold day\(n == 1 ? "" : "s") silver can no longer recompute (its rows for them were archived by lh-pack: \(GoldArchivedDays.describe(kept))); --drop-unrecomputable drops them"
        )
      } else {
        note(
          "\(would) the gold rows of \(kept.count) day\(kept.count == 1 ? "" : "s") whose silver rows were archived (\(GoldArchivedDays.describe(kept))): rows added to silver for them since are not counted; lh-pack restore brings the archive back so that lh-gold recomputes them"
        )
      }
    }
    if config.dryRun {
      for job in jobs {
        note("\(job.aggregator.table.name): would recompute \(job.days.count) day(s)")
      }
      return jobs.map {
        GoldTableSummary(name: $0.aggregator.table.name, days: $0.days.count, rows: 0, version: nil)
      }
    }
    // Each silver file is read once, in UTC-day order; its rows go to their local day. A local
    // day's tables are written once the UTC days overlapping it are all read: one day in flight
    // in UTC, two where a UTC day straddles two local days.
    let touchedDays = Set(allDays)
    var filesByDay: [Int64: [DeltaAdd]] = [:]
    for f in silver.files {
      guard let d = dayOf(f) else { continue }
      filesByDay[d, default: []].append(f)
    }
    // Saved day states (GoldDayState.swift): kept for the newest local days silver holds.
    let recentDays = Set(
      filesByDay.keys.flatMap { localDays(overlapping: $0, clock) }.sorted()
        .suffix(GoldDayState.keptDays))
    /// The live silver files holding rows of local day `day`.
    func liveFiles(_ day: Int64) -> [DeltaAdd] {
      var out: [DeltaAdd] = []
      for d in (day - 1)...(day + 1) where localDays(overlapping: d, clock).contains(day) {
        out += filesByDay[d] ?? []
      }
      return out
    }
    var commitCache: [Int64: [DeltaAction]] = [:]
    /// The silver files (paths) a state covers, translated through lh-pack compactions since
    /// its version; nil when one of them is no longer live.
    func covered(_ state: GoldDayState, live: [DeltaAdd]) throws -> Set<String>? {
      var sizes: [String: Int64] = [:]
      for f in live { sizes[f.path] = f.size }
      var files: [String: Int64] = [:]
      for f in state.files { files[f.path] = f.size }
      func allLive() -> Bool { files.allSatisfy { sizes[$0.key] == $0.value } }
      if allLive() { return Set(files.keys) }
      guard state.silverVersion >= 0, state.silverVersion < silver.version else { return nil }
      for v in (state.silverVersion + 1)...silver.version {
        if commitCache[v] == nil {
          guard let actions = try LogTotals.commit(silver.table, v) else { return nil }
          commitCache[v] = actions
        }
        var removes: [String: [DeltaRemove]] = [:]
        var adds: [String: [DeltaAdd]] = [:]
        var compaction = true
        for action in commitCache[v]! {
          switch action {
          case .add(let a):
            compaction = compaction && !a.dataChange
            adds[(a.partitionValues[Contract.eventDateColumn] ?? nil) ?? "", default: []].append(a)
          case .remove(let r):
            compaction = compaction && !r.dataChange
            let p = (r.partitionValues?[Contract.eventDateColumn] ?? nil) ?? ""
            removes[p, default: []].append(r)
          default: break
          }
        }
        for (p, rs) in removes {
          let hit = rs.filter { files[$0.path] != nil }.count
          if hit == 0 { continue }
          // A compaction of covered files only: its adds hold exactly their rows.
          guard compaction, hit == rs.count else { return nil }
          for r in rs { files[r.path] = nil }
          for a in adds[p] ?? [] { files[a.path] = a.size }
        }
      }
      return allLive() ? Set(files.keys) : nil
    }
    /// The tables of one local day in flight: their shared context and aggregators.
    final class DayWork {
      var day: Int64 = 0
      let context: GoldContext
      var aggregators: [GoldAggregator]
      var active: [Int] = []
      /// Per table, the silver files its saved state covers (not read again).
      var covered: [Int: Set<String>] = [:]
      init(context: GoldContext, aggregators: [GoldAggregator]) {
        self.context = context
        self.aggregators = aggregators
      }
    }
    var spare: [DayWork] = []
    var open: [DayWork] = []
    func openDay(_ day: Int64) throws -> DayWork {
      let work: DayWork
      if let w = spare.popLast() {
        work = w
      } else {
        let context = GoldContext(clock: clock, timeColumn: timeIndex)
        work = DayWork(
          context: context,
          aggregators: try jobs.map {
            try GoldAggregator(
              table: $0.aggregator.table, contract: contract, input: projected, clock: clock,
              context: context)
          })
      }
      work.day = day
      work.active = jobs.indices.filter { jobs[$0].days.contains(day) }
      for j in work.active { work.aggregators[j].reset() }
      work.context.reset()
      work.covered.removeAll()
      // A usable saved state is merged first; the files it covers are not read.
      if !config.rebuild && recentDays.contains(day) {
        let live = liveFiles(day)
        for j in work.active {
          let aggregator = work.aggregators[j]
          guard
            let state = GoldDayState.load(
              table: jobs[j].path, day: day, fingerprint: jobs[j].fingerprint,
              kinds: aggregator.metricKinds),
            aggregator.accepts(state.aggregate),
            let files = try covered(state, live: live)
          else { continue }
          guard try aggregator.merge(state.aggregate) else {
            throw LakeFailure(.software, "\(jobs[j].path): a saved day state did not merge")
          }
          work.covered[j] = files
          jobs[j].daysFromState += 1
        }
      }
      open.append(work)
      return work
    }
    func close(_ work: DayWork) throws {
      for j in work.active {
        // The day's new state covers every live file of its UTC days (merged or read). It is
        // written beside the table; a table not created yet gets it after its commit.
        if recentDays.contains(work.day), let aggregate = work.aggregators[j].saved() {
          let state = GoldDayState(
            silverVersion: silver.version, day: work.day,
            files: liveFiles(work.day).map { ($0.path, $0.size) }, aggregate: aggregate)
          let bytes = state.encoded(
            fingerprint: jobs[j].fingerprint, kinds: work.aggregators[j].metricKinds)
          if !GoldDayState.write(bytes, table: jobs[j].path, day: work.day) {
            jobs[j].pendingStates.append((work.day, bytes))
          }
        }
        // The table's buffers are taken (not copied) and given back emptied by the writer.
        var out = jobs[j].chunk
        jobs[j].chunk = []
        if out.isEmpty { out = jobs[j].schema.columns.map { ColumnBuffer(type: $0.type) } }
        work.aggregators[j].result(into: &out)
        let rows = out[0].count
        guard rows > 0 else {
          jobs[j].chunk = out
          continue
        }
        if jobs[j].aggregator.table.grain != .day {
          out[out.count - 1].append(Int32(truncatingIfNeeded: work.day), repeating: rows)
        }
        if jobs[j].writer == nil {
          // Days are written in order, each once: a day's file is finished when the next
          // day's rows come (one open file per table, not one per day of the run).
          jobs[j].writer = try DeltaDataWriter(
            table: jobs[j].path, schema: jobs[j].schema,
            partitionColumns: [Contract.eventDateColumn],
            options: config.parquet, maxOpenFiles: 1)
        }
        try jobs[j].writer!.append(&out)
        jobs[j].chunk = out
        jobs[j].rows += rows
      }
      spare.append(work)
    }
    var keep: [Bool] = []
    var localOfRow: [Int64] = []
    // The threads tables are folded on, kept for the whole run (not started per batch).
    let pool = WorkerPool(threads: config.threads)
    defer { pool.stop() }
    for utcDay in filesByDay.keys.sorted() {
      let local = localDays(overlapping: utcDay, clock).filter { touchedDays.contains($0) }
      guard let low = local.first else { continue }
      // Days before this UTC day's first local day get no more rows.
      while let w = open.first, w.day < low {
        open.removeFirst()
        try close(w)
      }
      var works: [DayWork] = []
      for d in local {
        works.append(try open.first { $0.day == d } ?? openDay(d))
      }
      // The files each (day, table) still needs (those no saved state covers), grouped by the
      // tables that need them, in silver's order.
      var groupOrder: [[[Int]]] = []
      var groupFiles: [[[Int]]: [DeltaAdd]] = [:]
      for f in filesByDay[utcDay]! {
        let need = works.map { w in w.active.filter { !(w.covered[$0]?.contains(f.path) ?? false) }
        }
        guard need.contains(where: { !$0.isEmpty }) else { continue }
        if groupFiles[need] == nil { groupOrder.append(need) }
        groupFiles[need, default: []].append(f)
      }
      for need in groupOrder {
        let files = groupFiles[need]!
        let needing = Set(need.joined())
        for j in needing { jobs[j].filesRead += files.count }
        try DeltaScan.forEachBatch(
          silver, files: files, columns: needed, dictionaryCodes: true, codesOnly: codesOnly
        ) { batch in
          let times = batch[timeIndex]
          let rows = times.count
          guard rows > 0 else { return }
          localOfRow.removeAll(keepingCapacity: true)
          var single: Int64? = clock.localDay(times.int64s[0])
          times.int64s.withUnsafeBufferPointer { t in
            for r in 0..<rows {
              let d = clock.localDay(t[r])
              localOfRow.append(d)
              if d != single { single = nil }
            }
          }
          for j in needing { jobs[j].rowsRead += rows }
          for (w, work) in works.enumerated() where !need[w].isEmpty {
            let active = need[w]
            let mask: [Bool]?
            if single == work.day {
              mask = nil
            } else {
              keep.removeAll(keepingCapacity: true)
              var any = false
              for r in 0..<rows {
                keep.append(localOfRow[r] == work.day)
                if localOfRow[r] == work.day { any = true }
              }
              guard any else { continue }
              mask = keep
            }
            work.context.begin(batch, rows: mask)
            // Intern everything the tables use first (the context is then read-only), then
            // fold the tables on `threads` threads.
            for j in active { work.aggregators[j].prepare() }
            let aggregators = SendableBox(active.map { work.aggregators[$0] })
            let rowsBox = SendableBox(mask)
            try pool.run(aggregators.value.count) { k in
              try aggregators.value[k].add(batch, rows: rowsBox.value)
            }
            work.context.end()
          }
        }
      }
    }
    for w in open { try close(w) }
    open.removeAll()

    // One commit per table: the recomputed days replace what the table had for them.
    var summaries: [GoldTableSummary] = []
    for job in jobs {
      let name = job.aggregator.table.name
      let done = job.existing?.transactions[appId]
      let advance = config.from == nil && config.to == nil
      let archivedText = GoldArchivedDays.encode(job.archived)
      let archivedChanged =
        archivedText
        != (job.existing?.metadata.configuration[GoldArchivedDays.property] ?? "")
      if job.days.isEmpty && (done == silver.version || !advance) && !archivedChanged {
        summaries.append(GoldTableSummary(name: name, days: 0, rows: 0, version: nil))
        continue
      }
      let adds = try job.writer?.finish() ?? []
      var snapshot =
        try job.existing
        ?? DeltaTable.openOrCreate(
          at: job.path, schema: job.schema, partitionColumns: [Contract.eventDateColumn],
          engine: config.engine)
      var actions: [DeltaAction] = []
      var info = DeltaCommitInfo(
        timestamp: DeltaTable.nowMillis(), operation: config.rebuild ? "REPLACE TABLE" : "WRITE",
        operationParameters: ["mode": "Overwrite"], engineInfo: config.engine)
      info.extra = [
        (
          "lhGold",
          "{\"silverVersion\":\(silver.version),\"days\":\(job.days.count),\"rows\":\(job.rows)}"
        )
      ]
      actions.append(.commitInfo(info))
      var meta = snapshot.metadata
      meta.schemaString = DeltaSchema.schemaString(for: job.schema)
      meta.configuration[zoneProperty] = zone
      meta.configuration[GoldArchivedDays.property] = archivedText.isEmpty ? nil : archivedText
      Self.recordCurrencies(job.aggregator.table, contract, in: &meta.configuration)
      if meta != snapshot.metadata { actions.append(.metaData(meta)) }
      let partitions: Set<[String: String?]>
      if config.rebuild {
        // Every partition but the kept days'.
        partitions = Set(
          snapshot.files.filter { dayOf($0).map { !job.kept.contains($0) } ?? true }
            .map(\.partitionValues))
      } else {
        partitions = Set(job.days.map { [Contract.eventDateColumn: DeltaStats.dateText($0)] })
      }
      actions += DeltaTable.replacePartitions(snapshot, partitions: partitions, with: adds)
      if advance {
        actions.append(
          .txn(DeltaTxn(appId: appId, version: silver.version, lastUpdated: info.timestamp)))
      }
      let version = try DeltaTable.commit(
        table: job.path, readVersion: snapshot.version, actions: actions,
        conflictsSince: snapshot.version, readPartitions: partitions)
      snapshot = try DeltaLog.snapshot(table: job.path)
      summaries.append(
        GoldTableSummary(
          name: name, days: job.days.count, rows: job.rows, version: version,
          daysFromState: job.daysFromState, filesRead: job.filesRead, rowsRead: job.rowsRead))
    }
    // Saved states of days no longer among the newest are deleted.
    for job in jobs {
      for (day, bytes) in job.pendingStates {
        GoldDayState.write(bytes, table: job.path, day: day)
      }
      GoldDayState.prune(table: job.path, keep: recentDays)
    }
    return summaries
  }

  /// The table property prefix naming a money column's currency column:
  /// `lh.gold.currency.revenue = currency` (lh-report shows the code beside the amount).
  public static let currencyPropertyPrefix = "lh.gold.currency."

  /// Sets the currency properties of `table`'s money metrics (and clears stale ones).
  static func recordCurrencies(
    _ table: GoldTable, _ contract: Contract, in configuration: inout [String: String]
  ) {
    for key in configuration.keys where key.hasPrefix(currencyPropertyPrefix) {
      configuration[key] = nil
    }
    for m in table.metrics {
      if let c = contract.currencyColumn(of: m), table.groupBy.contains(c) {
        configuration[currencyPropertyPrefix + m.name] = c
      }
    }
  }

  /// The UTC day of a silver file's `event_date` partition.
  static func dayOf(_ add: DeltaAdd) -> Int64? {
    guard let text = add.partitionValues[Contract.eventDateColumn] ?? nil else { return nil }
    return dayNumber(text)
  }

  static func dayNumber(_ text: String) -> Int64? {
    var t = text
    return t.withUTF8 { DateText.parse(UnsafeRawBufferPointer($0)) }.map(Int64.init)
  }

  /// The local days that overlap UTC day `d`.
  static func localDays(overlapping d: Int64, _ clock: ZoneClock) -> [Int64] {
    let start = d * 86_400_000_000
    let a = clock.localDay(start)
    let b = clock.localDay(start + 86_400_000_000 - 1)
    return Array(a...b)
  }
}

/// A value handed to worker threads that only read it.
struct SendableBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
