// LakeStages/Report/LakeStatus.swift
//
// lh-report status: the state of every table of a lake, and whether it is fresh and whole.
//
//   per table    version, rows (add.stats numRecords), live files, bytes, partitions, last
//                commit time
//   lag          silver: bronze versions after its txn `lh-silver:<contract>`; gold: bronze
//                versions after the one reflected by the silver version in its txn `lh-gold`
//                (the largest bronzeToVersion of silver's commits up to it). The lag in time
//                is how long the oldest bronze commit not reflected has waited (now − its
//                commit time); 0 when up to date.
//   reconcile    bronze rows up to silver's txn = Σ silverRows + rejects + duplicates of
//                silver/events' commits (`lhSilver` in commitInfo; a commit from bronze
//                version 0 — a rebuild — starts the sums again)
//
// `--check` answers 1 when a table lags more than `--max-lag` or the lake does not reconcile.

import LakeFormats
import LakeIO
import LakeTable

/// The state of one table.
public struct TableStatus: Sendable, Equatable {
  public var name: String
  public var version: Int64
  public var rows: Int64
  public var files: Int
  public var bytes: Int64
  public var partitions: Int
  /// Commit time of the version (ms since the epoch).
  public var lastCommit: Int64
  /// Bronze versions not reflected yet, and how long the oldest has waited (ms); nil for bronze.
  public var lagVersions: Int64?
  public var lagMillis: Int64?
}

/// The reconciliation `bronze = silver + rejects + duplicates`.
public struct Reconciliation: Sendable, Equatable {
  /// Bronze rows up to the version silver reflects.
  public var bronzeRows: Int64 = 0
  public var silverRows: Int64 = 0
  public var rejects: Int64 = 0
  public var duplicates: Int64 = 0
  /// Σ bronzeRows of silver's commits (what lh-silver says it read).
  public var bronzeRowsRead: Int64 = 0

  public var reconciled: Bool {
    bronzeRows == bronzeRowsRead && bronzeRowsRead == silverRows + rejects + duplicates
  }
}

/// A lake's status.
public struct LakeStatusReport: Sendable {
  public var tables: [TableStatus] = []
  public var reconciliation: Reconciliation?
  /// Reasons `--check` fails, one line each.
  public var problems: [String] = []
}

/// Collects and renders a lake's status.
public enum LakeStatus {
  /// The status of `lake` at `now` (ms); tables lagging more than `maxLag` (ms) are problems.
  public static func collect(_ lake: LakeLayout, now: Int64, maxLag: Int64) throws
    -> LakeStatusReport
  {
    var report = LakeStatusReport()
    // A table without commits is absent; one whose log is broken is an error (65), never
    // taken for absent.
    guard let bronze = try DeltaLog.snapshotIfPresent(table: lake.bronzeEvents) else {
      throw LakeFailure(.noInput, "\(lake.bronzeEvents): no bronze table (run lh-bronze)")
    }
    // Bronze rows and commit time per version (bronze is append-only).
    var rowsUpTo: [Int64] = []
    var times: [Int64] = []
    var total: Int64 = 0
    for v in 0...bronze.version {
      var time: Int64?
      try DeltaLog.forEachAction(table: lake.bronzeEvents, version: v) { a in
        switch a {
        case .commitInfo(let c): time = time ?? c.timestamp
        case .add(let add) where add.dataChange: total += records(add)
        default: break
        }
      }
      rowsUpTo.append(total)
      times.append(time ?? 0)
    }
    func lag(_ reflected: Int64) -> (Int64, Int64) {
      let behind = bronze.version - reflected
      guard behind > 0 else { return (0, 0) }
      let waiting = times[Int(max(0, reflected + 1))]
      return (behind, max(0, now - waiting))
    }
    report.tables.append(status("bronze/events", bronze))

    // Silver: its txn, and the bronze version each silver commit reached.
    var silverReach: [Int64: Int64] = [:]
    var silverVersion: Int64?
    if let silver = try DeltaLog.snapshotIfPresent(table: lake.silverEvents) {
      silverVersion = silver.version
      var rec = Reconciliation()
      var reach: Int64 = -1
      for v in 0...silver.version {
        try DeltaLog.forEachAction(table: lake.silverEvents, version: v) { a in
          guard case .commitInfo(let c) = a,
            let json = c.extra.first(where: { $0.0 == "lhSilver" })?.1
          else { return }
          let n = JSONIntegerMembers.of(json)
          if n["bronzeFromVersion"] == 0 { rec = Reconciliation() }
          rec.bronzeRowsRead += n["bronzeRows"] ?? 0
          rec.silverRows += n["silverRows"] ?? 0
          rec.rejects += n["rejects"] ?? 0
          rec.duplicates += n["duplicates"] ?? 0
          reach = max(reach, n["bronzeToVersion"] ?? reach)
        }
        silverReach[v] = reach
      }
      let done = silver.transactions.first { $0.key.hasPrefix("lh-silver:") }?.value ?? -1
      rec.bronzeRows = done >= 0 && Int(done) < rowsUpTo.count ? rowsUpTo[Int(done)] : 0
      report.reconciliation = rec
      if !rec.reconciled {
        report.problems.append(
          "not reconciled: bronze \(rec.bronzeRows) rows (lh-silver read \(rec.bronzeRowsRead)) ≠ silver \(rec.silverRows) + rejects \(rec.rejects) + duplicates \(rec.duplicates)"
        )
      }
      var s = status("silver/events", silver)
      (s.lagVersions, s.lagMillis) = lag(done)
      report.tables.append(s)
      if let rejects = try DeltaLog.snapshotIfPresent(table: lake.silverRejects) {
        let r = rejects.transactions.first { $0.key.hasPrefix("lh-silver:") }?.value ?? -1
        var t = status("silver/rejects", rejects)
        (t.lagVersions, t.lagMillis) = lag(r)
        report.tables.append(t)
      }
    }
    for name in try ReportStage.goldTables(lake, contract: ReportStage.lakeContract(lake)) {
      guard let gold = try DeltaLog.snapshotIfPresent(table: try lake.gold(name)) else { continue }
      var t = status("gold/" + name, gold)
      let silverDone = gold.transactions["lh-gold"] ?? -1
      let reflected =
        silverDone >= 0 ? (silverReach[min(silverDone, silverVersion ?? silverDone)] ?? -1) : -1
      (t.lagVersions, t.lagMillis) = lag(reflected)
      report.tables.append(t)
    }
    for t in report.tables {
      if let ms = t.lagMillis, ms > maxLag, let v = t.lagVersions {
        report.problems.append(
          "\(t.name) is stale: \(v) bronze version\(v == 1 ? "" : "s") behind for \(ms / 1000) s")
      }
    }
    return report
  }

  static func records(_ add: DeltaAdd) -> Int64 {
    add.stats.flatMap { JSONIntegerMembers.of($0)["numRecords"] } ?? 0
  }

  static func status(_ name: String, _ s: Snapshot) -> TableStatus {
    TableStatus(
      name: name, version: s.version, rows: s.files.reduce(0) { $0 + records($1) },
      files: s.files.count, bytes: s.files.reduce(0) { $0 + $1.size },
      partitions: Set(s.files.map(\.partitionValues)).count, lastCommit: s.timestamp,
      lagVersions: nil, lagMillis: nil)
  }

  /// Renders the status: a table of tables, then the reconciliation.
  public static func render(
    _ report: LakeStatusReport, format: ReportFormat, style: ReportStyle, output: OutputBuffer
  ) throws {
    let r = ReportRenderer(format: format, style: style, output: output, multiple: true)
    try r.beginDocument(title: "lh lake status")
    try r.beginTable(
      ReportTableInfo(
        title: "tables", subtitle: "",
        columns: [
          ReportColumn("table", .text), ReportColumn("version", .integer),
          ReportColumn("rows", .integer), ReportColumn("files", .integer),
          ReportColumn("bytes", .integer), ReportColumn("partitions", .integer),
          ReportColumn("last_commit", .timestamp), ReportColumn("lag_versions", .integer),
          ReportColumn("lag_seconds", .integer),
        ], chart: nil))
    try r.rows(
      report.tables.map { t in
        [
          .text(t.name), .integer(t.version), .integer(t.rows), .integer(Int64(t.files)),
          .integer(t.bytes), .integer(Int64(t.partitions)), .timestamp(t.lastCommit * 1000),
          t.lagVersions.map { .integer($0) } ?? .null,
          t.lagMillis.map { .integer($0 / 1000) } ?? .null,
        ]
      })
    try r.endTable()
    if let rec = report.reconciliation {
      try r.beginTable(
        ReportTableInfo(
          title: "reconciliation", subtitle: "bronze = silver + rejects + duplicates",
          columns: [
            ReportColumn("bronze_rows", .integer), ReportColumn("silver_rows", .integer),
            ReportColumn("rejects", .integer), ReportColumn("duplicates", .integer),
            ReportColumn("reconciled", .boolean),
          ], chart: nil))
      try r.rows([
        [
          .integer(rec.bronzeRows), .integer(rec.silverRows), .integer(rec.rejects),
          .integer(rec.duplicates), .boolean(rec.reconciled),
        ]
      ])
      try r.endTable()
    }
    try r.endDocument()
  }
}
