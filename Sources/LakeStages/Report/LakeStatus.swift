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
//                version 0 — a rebuild — starts the sums again). Both sides are running
//                totals the commits carry (LogTotals.swift), read from the latest commits, so
//                status costs the same on a table of any age; on a lake written before them
//                the commits are summed from version 0, and once those were cleaned up the
//                side no longer known is empty (n/a), never an error.
//   age          how long ago bronze's last commit was: ingest has stalled when it is older
//                than `--max-age` (checked only when given)
//   deep         every file each table's current snapshot adds exists, with the add's size
//
// `--check` answers 1 when a table lags more than `--max-lag`, bronze is older than
// `--max-age`, a file is missing or has the wrong size (`--deep`), or the lake does not
// reconcile; each reason is one line.
//
// Rendered as a report (text, Markdown, HTML: a table of tables, then the reconciliation; CSV:
// one header, a `section` column first and the union of both tables' columns; NDJSON: one
// object a line with a "section" key first), or as Prometheus' text exposition format for
// node_exporter's textfile collector (`renderPrometheus`).

import LakeFormats
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

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
  /// With a deep check: the live files (paths as in the log) that are missing, and those whose
  /// size differs from the log's; nil without one.
  public var missingFiles: [String]?
  public var wrongSizeFiles: [String]?

  public init(
    name: String, version: Int64, rows: Int64, files: Int, bytes: Int64, partitions: Int,
    lastCommit: Int64, lagVersions: Int64? = nil, lagMillis: Int64? = nil
  ) {
    self.name = name
    self.version = version
    self.rows = rows
    self.files = files
    self.bytes = bytes
    self.partitions = partitions
    self.lastCommit = lastCommit
    self.lagVersions = lagVersions
    self.lagMillis = lagMillis
  }
}

/// What `lh-report status` checks, and against what.
public struct StatusOptions: Sendable {
  /// The time of the status (ms since the epoch).
  public var now: Int64
  /// How long bronze commits may wait for silver and gold (ms).
  public var maxLag: Int64 = 3_600_000
  /// How old bronze's last commit may be (ms); nil: not checked.
  public var maxAge: Int64?
  /// Check every live file's existence and size.
  public var deep = false

  public init(now: Int64) { self.now = now }
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
  /// Whether bronze's rows up to silver's progress are known: false once the commits that
  /// would say were cleaned up from a log without running totals (`bronzeRows` is then 0).
  public var bronzeKnown = true
  /// Whether silver's sums are known (false as for bronze; the sums are then 0).
  public var silverKnown = true

  public init() {}

  /// Both sides known.
  public var known: Bool { bronzeKnown && silverKnown }

  public var reconciled: Bool {
    known && bronzeRows == bronzeRowsRead && bronzeRowsRead == silverRows + rejects + duplicates
  }

  /// Rejects per bronze row read (0 when none was read).
  public var rejectRatio: Double {
    bronzeRowsRead > 0 ? Double(rejects) / Double(bronzeRowsRead) : 0
  }
}

/// A lake's status.
public struct LakeStatusReport: Sendable {
  /// When it was taken (ms since the epoch).
  public var now: Int64 = 0
  public var tables: [TableStatus] = []
  public var reconciliation: Reconciliation?
  /// Reasons `--check` fails, one line each.
  public var problems: [String] = []

  public init() {}
}

/// The formats of `lh-report status`: a report's, or Prometheus' text exposition format.
public enum StatusFormat: String, CaseIterable, Sendable {
  case text, csv, ndjson, markdown, html, prometheus
}

/// Collects and renders a lake's status.
public enum LakeStatus {
  /// The status of `lake` at `now` (ms); tables lagging more than `maxLag` (ms) are problems.
  public static func collect(_ lake: LakeLayout, now: Int64, maxLag: Int64) throws
    -> LakeStatusReport
  {
    var options = StatusOptions(now: now)
    options.maxLag = maxLag
    return try collect(lake, options)
  }

  /// The status of `lake`, with the problems `options` look for.
  public static func collect(_ lake: LakeLayout, _ options: StatusOptions) throws
    -> LakeStatusReport
  {
    let now = options.now
    let maxLag = options.maxLag
    var report = LakeStatusReport()
    report.now = now
    // The snapshots read, by table name, kept for the deep check only.
    var snapshots: [String: Snapshot] = [:]
    func keep(_ name: String, _ snapshot: Snapshot) {
      if options.deep { snapshots[name] = snapshot }
    }
    // A table without commits is absent; one whose log is broken is an error (65), never
    // taken for absent.
    guard let bronze = try DeltaLog.snapshotIfPresent(table: lake.bronzeEvents) else {
      throw LakeFailure(.noInput, "\(lake.bronzeEvents): no bronze table (run lh-bronze)")
    }
    // Lag: how many bronze versions after `reflected` (nil: unknown), and how long the first
    // of them has waited (its commit time; a commit cleaned up since counts from the oldest
    // one left after it, a lower bound).
    var present: [Int64]?
    func lag(_ reflected: Int64?) throws -> (Int64?, Int64?) {
      guard let reflected else { return (nil, nil) }
      let behind = bronze.version - reflected
      guard behind > 0 else { return (0, 0) }
      var waiting = try LogTotals.timestamp(lake.bronzeEvents, reflected + 1)
      if waiting == nil {
        if present == nil { present = try DeltaLog.versions(table: lake.bronzeEvents) }
        if let v = present?.first(where: { $0 > reflected }) {
          waiting = try LogTotals.timestamp(lake.bronzeEvents, v)
        }
      }
      guard let waiting else { return (behind, nil) }
      return (behind, max(0, now - waiting))
    }
    report.tables.append(status("bronze/events", bronze))
    keep("bronze/events", bronze)

    // Silver: its txn, its running reconciliation totals (LogTotals), and the bronze rows
    // landed up to the version its txn names: each read from the latest commits only.
    var silverVersion: Int64?
    if let silver = try DeltaLog.snapshotIfPresent(table: lake.silverEvents) {
      silverVersion = silver.version
      var rec = Reconciliation()
      let done = silver.transactions.first { $0.key.hasPrefix("lh-silver:") }?.value ?? -1
      if let totals = try LogTotals.silverTotals(table: lake.silverEvents, through: silver.version)
      {
        rec.bronzeRowsRead = totals.bronzeRows
        rec.silverRows = totals.silverRows
        rec.rejects = totals.rejects
        rec.duplicates = totals.duplicates
      } else {
        rec.silverKnown = false
      }
      if done >= 0 && done <= bronze.version {
        if let rows = try LogTotals.bronzeRows(table: lake.bronzeEvents, through: done) {
          rec.bronzeRows = rows
        } else {
          rec.bronzeKnown = false
        }
      }
      report.reconciliation = rec
      if rec.known && !rec.reconciled {
        report.problems.append(
          "not reconciled: bronze \(rec.bronzeRows) rows (lh-silver read \(rec.bronzeRowsRead)) ≠ silver \(rec.silverRows) + rejects \(rec.rejects) + duplicates \(rec.duplicates)"
        )
      }
      keep("silver/events", silver)
      var s = status("silver/events", silver)
      (s.lagVersions, s.lagMillis) = try lag(done)
      report.tables.append(s)
      if let rejects = try DeltaLog.snapshotIfPresent(table: lake.silverRejects) {
        let r = rejects.transactions.first { $0.key.hasPrefix("lh-silver:") }?.value ?? -1
        keep("silver/rejects", rejects)
        var t = status("silver/rejects", rejects)
        (t.lagVersions, t.lagMillis) = try lag(r)
        report.tables.append(t)
      }
    }
    // The bronze version silver reflects as of silver version `v` (the highest any of its
    // commits up to `v` reached), read back from `v`; nil when no longer known.
    var reach: [Int64: Int64?] = [:]
    func silverReach(_ v: Int64) throws -> Int64? {
      if let known = reach[v] { return known }
      let r = try LogTotals.silverTotals(table: lake.silverEvents, through: v)?.bronzeReached
      reach[v] = r
      return r
    }
    for name in try ReportStage.goldTables(lake, contract: ReportStage.lakeContract(lake)) {
      guard let gold = try DeltaLog.snapshotIfPresent(table: try lake.gold(name)) else { continue }
      keep("gold/" + name, gold)
      var t = status("gold/" + name, gold)
      let silverDone = gold.transactions["lh-gold"] ?? -1
      var reflected: Int64? = -1
      if silverDone >= 0, let silverVersion {
        reflected = try silverReach(min(silverDone, silverVersion))
      }
      (t.lagVersions, t.lagMillis) = try lag(reflected)
      report.tables.append(t)
    }
    if let maxAge = options.maxAge, let b = report.tables.first, now - b.lastCommit > maxAge {
      report.problems.append(
        "\(b.name): ingest has stalled: last commit \(durationText(now - b.lastCommit)) ago (version \(b.version) at \(RFC3339.string(micros: b.lastCommit * 1000, fractionDigits: 3))), more than --max-age \(durationText(maxAge))"
      )
    }
    for t in report.tables {
      if let ms = t.lagMillis, ms > maxLag, let v = t.lagVersions {
        report.problems.append(
          "\(t.name) is stale: \(v) bronze version\(v == 1 ? "" : "s") behind for \(ms / 1000) s")
      }
    }
    if options.deep {
      for i in report.tables.indices {
        let name = report.tables[i].name
        guard let snapshot = snapshots[name] else { continue }
        let path = snapshot.table
        var missing: [String] = []
        var wrong: [String] = []
        for add in snapshot.files {
          let relative = (try? PartitionPath.uriDecode(add.path)) ?? add.path
          var info = stat()
          if lstat(path + "/" + relative, &info) != 0 || info.st_mode & S_IFMT != S_IFREG {
            missing.append(relative)
            report.problems.append(
              "\(name): data file \(TerminalText.escape(relative)) is missing")
          } else if Int64(info.st_size) != add.size {
            wrong.append(relative)
            report.problems.append(
              "\(name): data file \(TerminalText.escape(relative)) is \(info.st_size) bytes, the log says \(add.size)"
            )
          }
        }
        report.tables[i].missingFiles = missing
        report.tables[i].wrongSizeFiles = wrong
      }
    }
    return report
  }

  /// A duration in ms as `1d2h3m4s` (zero parts left out; `250ms` under a second), which
  /// `--max-age` and `--max-lag` read back.
  public static func durationText(_ ms: Int64) -> String {
    guard ms >= 1000 else { return "\(max(0, ms))ms" }
    var s = ms / 1000
    var out = ""
    for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60), ("s", 1)] where s >= size {
      out += "\(s / size)\(unit)"
      s %= size
    }
    return out
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

  static let tableColumns = [
    ReportColumn("table", .text), ReportColumn("version", .integer),
    ReportColumn("rows", .integer), ReportColumn("files", .integer),
    ReportColumn("bytes", .integer), ReportColumn("partitions", .integer),
    ReportColumn("last_commit", .timestamp), ReportColumn("lag_versions", .integer),
    ReportColumn("lag_seconds", .integer),
  ]
  static let reconciliationColumns = [
    ReportColumn("bronze_rows", .integer), ReportColumn("silver_rows", .integer),
    ReportColumn("rejects", .integer), ReportColumn("duplicates", .integer),
    ReportColumn("reconciled", .boolean),
  ]

  /// Renders the status in `format`.
  public static func render(
    _ report: LakeStatusReport, format: StatusFormat, style: ReportStyle, output: OutputBuffer
  ) throws {
    guard let f = ReportFormat(rawValue: format.rawValue) else {
      return try renderPrometheus(report, output: output)
    }
    try render(report, format: f, style: style, output: output)
  }

  /// Renders the status: a table of tables, then the reconciliation, each a section (NDJSON
  /// objects carry a "section" key first; CSV is one header: section, then both tables'
  /// columns, the same whether the lake has a silver table or not).
  public static func render(
    _ report: LakeStatusReport, format: ReportFormat, style: ReportStyle, output: OutputBuffer
  ) throws {
    let r = ReportRenderer(
      format: format, style: style, output: output, multiple: true, key: "section",
      columns: [tableColumns, reconciliationColumns])
    try r.beginDocument(title: "lh lake status")
    try r.beginTable(
      ReportTableInfo(title: "tables", subtitle: "", columns: tableColumns, chart: nil))
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
          columns: reconciliationColumns, chart: nil))
      // What is no longer known (a cleaned log without running totals) is empty, not 0.
      let b: ReportCell = rec.bronzeKnown ? .integer(rec.bronzeRows) : .null
      func s(_ n: Int64) -> ReportCell { rec.silverKnown ? .integer(n) : .null }
      try r.rows([
        [
          b, s(rec.silverRows), s(rec.rejects), s(rec.duplicates),
          rec.known ? .boolean(rec.reconciled) : .null,
        ]
      ])
      try r.endTable()
    }
    try r.endDocument()
  }

  // MARK: Prometheus

  /// Renders the status in Prometheus' text exposition format (0.0.4), as node_exporter's
  /// textfile collector reads it: per metric a `# HELP` and a `# TYPE` line, then its samples;
  /// every metric a gauge; no timestamps (the collector refuses them).
  ///
  ///   lh_table_version, _rows, _files, _bytes, _partitions      {table="bronze/events"}
  ///   lh_table_last_commit_timestamp_seconds, _last_commit_age_seconds
  ///   lh_table_lag_versions, lh_table_lag_seconds                 silver and gold tables
  ///   lh_table_files_missing, lh_table_files_wrong_size           with --deep only
  ///   lh_reconciliation_rows{kind="bronze|bronze_read|silver|rejects|duplicates"}
  ///   lh_reconciled                                               1 or 0
  ///   lh_reject_ratio{table="silver/events"}                      rejects / bronze rows read
  ///   lh_status_problems                                          reasons --check would give
  public static func renderPrometheus(_ report: LakeStatusReport, output: OutputBuffer) throws {
    var text = ""
    func family(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
      guard !samples.isEmpty else { return }
      text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
      for s in samples { text += name + s.labels + " " + s.value + "\n" }
    }
    func perTable(_ name: String, _ help: String, _ value: (TableStatus) -> Int64?) {
      family(
        name, help,
        report.tables.compactMap { t in
          value(t).map { ("{table=\(prometheusLabel(t.name))}", String($0)) }
        })
    }
    func seconds(_ ms: Int64) -> String {
      ms % 1000 == 0 ? String(ms / 1000) : String(Double(ms) / 1000)
    }
    perTable("lh_table_version", "Version of the table's latest commit.") { $0.version }
    perTable("lh_table_rows", "Rows in the table's live files (add.stats numRecords).") { $0.rows }
    perTable("lh_table_files", "Live data files of the table.") { Int64($0.files) }
    perTable("lh_table_bytes", "Bytes of the table's live data files, as the log says.") {
      $0.bytes
    }
    perTable("lh_table_partitions", "Partitions of the table's live data files.") {
      Int64($0.partitions)
    }
    family(
      "lh_table_last_commit_timestamp_seconds",
      "Commit time of the table's latest version, in seconds since the epoch.",
      report.tables.map { ("{table=\(prometheusLabel($0.name))}", seconds($0.lastCommit)) })
    family(
      "lh_table_last_commit_age_seconds",
      "Seconds since the table's latest commit (for bronze: how long ingest has been idle).",
      report.tables.map {
        ("{table=\(prometheusLabel($0.name))}", seconds(max(0, report.now - $0.lastCommit)))
      })
    perTable("lh_table_lag_versions", "Bronze versions the table does not reflect yet.") {
      $0.lagVersions
    }
    family(
      "lh_table_lag_seconds",
      "How long the oldest bronze commit the table does not reflect has waited, in seconds.",
      report.tables.compactMap { t in
        t.lagMillis.map { ("{table=\(prometheusLabel(t.name))}", seconds($0)) }
      })
    perTable(
      "lh_table_files_missing", "Live data files that are missing (lh-report status --deep)."
    ) { $0.missingFiles.map { Int64($0.count) } }
    perTable(
      "lh_table_files_wrong_size",
      "Live data files whose size differs from the log's (lh-report status --deep)."
    ) { $0.wrongSizeFiles.map { Int64($0.count) } }
    if let rec = report.reconciliation {
      // Kinds no longer known (a cleaned log without running totals) have no sample.
      family(
        "lh_reconciliation_rows",
        "Rows of the reconciliation bronze = silver + rejects + duplicates, by kind (bronze_read: what lh-silver says it read).",
        [
          ("bronze", rec.bronzeRows, rec.bronzeKnown),
          ("bronze_read", rec.bronzeRowsRead, rec.silverKnown),
          ("silver", rec.silverRows, rec.silverKnown), ("rejects", rec.rejects, rec.silverKnown),
          ("duplicates", rec.duplicates, rec.silverKnown),
        ].filter(\.2).map { ("{kind=\(prometheusLabel($0.0))}", String($0.1)) })
      if rec.known {
        family(
          "lh_reconciled", "1 when bronze = silver + rejects + duplicates, else 0.",
          [("", rec.reconciled ? "1" : "0")])
      }
      if rec.silverKnown {
        family(
          "lh_reject_ratio", "Rejected rows per bronze row read, per silver table.",
          [("{table=\(prometheusLabel("silver/events"))}", String(rec.rejectRatio))])
      }
    }
    family(
      "lh_status_problems",
      "Reasons lh-report status --check answers 1 (with this run's --max-lag, --max-age and --deep).",
      [("", String(report.problems.count))])
    try output.write(text)
  }

  /// A label value as the exposition format quotes it: `\`, `"` and line feeds escaped.
  public static func prometheusLabel(_ value: String) -> String {
    var out = "\""
    for c in value.unicodeScalars {
      switch c {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      default: out.unicodeScalars.append(c)
      }
    }
    return out + "\""
  }
}
