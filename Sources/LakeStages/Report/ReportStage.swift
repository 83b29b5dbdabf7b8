// LakeStages/Report/ReportStage.swift
//
// lh-report: which tables, in which order, read how, rendered by `ReportRenderer`.
//
//   names given ─▶ LAKE/<name> (bronze/events, silver/events, silver/rejects, gold/<name>),
//                  else LAKE/gold/<name>
//   paths given ─▶ (/…, ./…, ../…) the Delta table there, in the lake or not, read-only
//   none        ─▶ every LAKE/gold/* table: the contract's order by grain (day, hour,
//                  minute; the contract's order within a grain), unknown tables after, by name
//   stdin       ─▶ one table of the rows on stdin (NDJSON or Parquet)
//
// A table is read batch by batch (Parquet row groups), only its live files whose date
// partition lies in --from…--to, and rendered in blocks of 1000 rows: memory holds a row group
// and a block, never the table.

import LakeContracts
import LakeFormats
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// What a report is asked to show.
public struct ReportConfig: Sendable {
  public var lake: LakeLayout
  /// Tables by name or path; empty means the gold tables (or stdin, with `stdin`).
  public var tables: [String] = []
  /// Read rows from stdin (or `input`) instead of the lake.
  public var stdin = false
  public var input: String?
  /// Days (since 1970-01-01) of the date range, inclusive.
  public var from: Int64?
  public var to: Int64?
  public var asOf: TimeTravel = .latest
  public var format: ReportFormat = .text
  public var style = ReportStyle()
  /// The contract that made the gold tables (nil: read from silver's progress, else none).
  public var contract: Contract?

  public init(lake: LakeLayout) { self.lake = lake }
}

/// Renders reports.
public enum ReportStage {
  static let blockRows = 1000

  /// Renders the tables `config` names to `output`; returns how many rows were rendered.
  @discardableResult
  public static func run(_ config: ReportConfig, output: OutputBuffer) throws -> Int {
    if config.stdin {
      let renderer = ReportRenderer(
        format: config.format, style: config.style, output: output, multiple: false)
      try renderer.beginDocument(title: "lh report")
      let n = try renderInput(config, renderer)
      try renderer.endDocument()
      return n
    }
    let contract = config.contract ?? lakeContract(config.lake)
    let tables = try resolveTables(config, contract: contract)
    // Several tables as CSV are one table: its header (the union of their columns) comes
    // first, so their snapshots are read first (and rendered as read).
    var snapshots: [Snapshot?] = Array(repeating: nil, count: tables.count)
    if config.format == .csv && tables.count > 1 {
      snapshots = try tables.map { try DeltaLog.snapshot(table: $0.1, asOf: config.asOf) }
    }
    let renderer = ReportRenderer(
      format: config.format, style: config.style, output: output, multiple: tables.count > 1,
      columns: snapshots.map { s in
        s.map { $0.schema.columns.map { ReportColumn($0.name, ReportKind($0.type)) } } ?? []
      })
    try renderer.beginDocument(
      title: "lh report: "
        + (config.lake.root.split(separator: "/").last.map(String.init) ?? "lake"))
    var rows = 0
    for ((name, path), snapshot) in zip(tables, snapshots) {
      rows += try renderTable(
        name: name, path: path, snapshot: snapshot, config, contract: contract, renderer)
    }
    try renderer.endDocument()
    return rows
  }

  /// The contract recorded in silver's progress (`lh-silver:<name>`), when built in.
  public static func lakeContract(_ lake: LakeLayout) -> Contract? {
    guard let snap = try? DeltaLog.snapshot(table: lake.silverEvents) else { return nil }
    for app in snap.transactions.keys.sorted() where app.hasPrefix("lh-silver:") {
      if let c = Contract.builtin(String(app.dropFirst("lh-silver:".count))) { return c }
    }
    return nil
  }

  /// The gold tables present in the lake, in report order.
  public static func goldTables(_ lake: LakeLayout, contract: Contract?) throws -> [String] {
    let present = Set(
      listDirectory(lake.root + "/gold").filter { name in
        (try? LakeLayout.checkTableName(name)) != nil
          && ((try? DeltaLog.latestVersion(table: lake.root + "/gold/" + name)) ?? nil) != nil
      })
    let grains: [GoldGrain] = [.day, .hour, .minute]
    var ordered: [String] = []
    for g in grains {
      for t in contract?.gold ?? [] where t.grain == g && present.contains(t.name) {
        ordered.append(t.name)
      }
    }
    ordered += present.subtracting(ordered).sorted()
    return ordered
  }

  static func listDirectory(_ path: String) -> [String] {
    guard let d = opendir(path) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let entry = readdir(d) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if !name.hasPrefix(".") { out.append(name) }
    }
    return out
  }

  static func isTable(_ path: String) -> Bool {
    ((try? DeltaLog.latestVersion(table: path)) ?? nil) != nil
  }

  /// (display name, path) of each table to render.
  static func resolveTables(_ config: ReportConfig, contract: Contract?) throws -> [(
    String, String
  )] {
    if config.tables.isEmpty {
      let gold = try goldTables(config.lake, contract: contract)
      guard !gold.isEmpty else {
        throw LakeFailure(
          .noInput, "\(config.lake.root)/gold: no gold tables (run lh-gold, or name a table)")
      }
      return try gold.map { ($0, try config.lake.gold($0)) }
    }
    return try config.tables.map { try resolveTable($0, lake: config.lake) }
  }

  /// Whether a table argument is a path (`/…`, `./…`, `../…`, `.`, `..`) rather than a name.
  ///
  /// Names are looked up in the lake only, paths outside it only: `kpi_minute` is always the
  /// lake's gold table, even when the current directory holds a `kpi_minute` table, which
  /// `./kpi_minute` names.
  public static func isPath(_ argument: String) -> Bool {
    argument.hasPrefix("/") || argument.hasPrefix("./") || argument.hasPrefix("../")
      || argument == "." || argument == ".."
  }

  /// (display name, path) of one table argument.
  ///
  /// A name is `LAKE/<name>` (`silver/events`, `gold/kpi_minute`) or `LAKE/gold/<name>`; a path
  /// is any Delta table, read the same way (read-only: lh-report never writes to a table).
  static func resolveTable(_ argument: String, lake: LakeLayout) throws -> (String, String) {
    var trimmed = argument
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    if isPath(trimmed) {
      if isTable(trimmed) { return (trimmed, trimmed) }
      var info = stat()
      let why =
        stat(trimmed, &info) != 0
        ? "no such file or directory"
        : (info.st_mode & S_IFMT == S_IFDIR
          ? "not a Delta table (no _delta_log/ with commits)"
          : "a file, not a Delta table (read rows from a file with --input \(trimmed))")
      throw LakeFailure(.noInput, "\(trimmed): \(why)")
    }
    guard !trimmed.isEmpty, !trimmed.split(separator: "/").contains(".."),
      !trimmed.contains("\0")
    else {
      throw LakeFailure(
        .usage, "\(TerminalText.escape(trimmed)): not a table name (a path starts with / or ./)")
    }
    let inLake = lake.root + "/" + trimmed
    if isTable(inLake) { return (trimmed, inLake) }
    if (try? LakeLayout.checkTableName(trimmed)) != nil, isTable(lake.root + "/gold/" + trimmed) {
      return (trimmed, lake.root + "/gold/" + trimmed)
    }
    let hint = isTable(trimmed) ? " (for the Delta table in this directory, say ./\(trimmed))" : ""
    throw LakeFailure(.noInput, "\(trimmed): no such table in \(lake.root)\(hint)")
  }

  /// The chart of a table: its bucket column and a value column.
  ///
  /// Gold tables of the contract: the bucket, and the metric or ratio the table is named after
  /// (the longest name within the table's, such as `conversion_rate` of
  /// `conversion_rate_daily`), else the first metric; when the table is grouped, only count or
  /// sum metrics qualify (those add up over groups). Other tables: the first date or timestamp
  /// column (window_start before event_date) and the first number.
  ///
  /// Money kept per currency (`currencies`' keys: column indexes) is never charted: summed over
  /// a bucket's groups it would add up different currencies.
  static func chart(_ columns: [ReportColumn], gold: GoldTable?, currencies: [Int: Int] = [:])
    -> ReportChartSpec?
  {
    func index(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }
    func money(_ name: String) -> Bool { index(name).map { currencies[$0] != nil } ?? false }
    if let gold, let t = index(gold.grain.bucketColumn) {
      let grouped = !gold.groupBy.isEmpty
      let candidates =
        gold.metrics.filter {
          (!grouped || $0.aggregate == .count || $0.aggregate == .sum) && !money($0.name)
        }
        .map(\.name) + (grouped ? [] : gold.ratios.map(\.name))
      let named = candidates.filter { gold.name.contains($0) }.max { $0.count < $1.count }
      if let pick = named ?? candidates.first, let v = index(pick), columns[v].kind.isNumeric {
        return ReportChartSpec(time: t, value: v)
      }
      return nil
    }
    guard
      let t = index("window_start").flatMap({ columns[$0].kind.isTime ? $0 : nil })
        ?? columns.firstIndex(where: { $0.kind.isTime }),
      let v = columns.indices.first(where: { columns[$0].kind.isNumeric && currencies[$0] == nil })
    else { return nil }
    return ReportChartSpec(time: t, value: v)
  }

  static func subtitle(_ gold: GoldTable?, version: Int64, config: ReportConfig) -> String {
    var parts: [String] = []
    if let gold {
      parts.append("per \(gold.grain.rawValue)")
      if !gold.groupBy.isEmpty { parts.append("by " + gold.groupBy.joined(separator: ", ")) }
    }
    parts.append("version \(version)")
    if config.from != nil || config.to != nil {
      let open = config.style.ascii ? "..." : "…"
      let f = config.from.map { ReportCell.dateText(Int32(truncatingIfNeeded: $0)) } ?? open
      let t = config.to.map { ReportCell.dateText(Int32(truncatingIfNeeded: $0)) } ?? open
      parts.append("\(f) to \(t)")
    }
    return parts.joined(separator: config.style.ascii ? " - " : " · ")
  }

  /// Whether a file's date partition (if it has one) lies in the range.
  static func inRange(_ add: DeltaAdd, _ snapshot: Snapshot, _ config: ReportConfig) -> Bool {
    guard config.from != nil || config.to != nil else { return true }
    for column in snapshot.metadata.partitionColumns {
      guard let index = snapshot.schema.index(of: column),
        snapshot.schema.columns[index].type == .date,
        let text = add.partitionValues[column] ?? nil,
        let micros = RFC3339.parse(text + "T00:00:00Z")
      else { continue }
      let day = micros / 86_400_000_000
      if let f = config.from, day < f { return false }
      if let t = config.to, day > t { return false }
    }
    return true
  }

  /// Money columns → their currency column, from the table properties lh-gold writes
  /// (`lh.gold.currency.<column> = <currency column>`).
  static func currencyColumns(_ snapshot: Snapshot, _ columns: [ReportColumn]) -> [Int: Int] {
    var out: [Int: Int] = [:]
    let prefix = GoldStage.currencyPropertyPrefix
    for (key, currency) in snapshot.metadata.configuration where key.hasPrefix(prefix) {
      let name = String(key.dropFirst(prefix.count))
      if let m = columns.firstIndex(where: { $0.name == name }),
        let c = columns.firstIndex(where: { $0.name == currency && $0.kind == .text })
      {
        out[m] = c
      }
    }
    return out
  }

  static func renderTable(
    name: String, path: String, snapshot: Snapshot? = nil, _ config: ReportConfig,
    contract: Contract?, _ renderer: ReportRenderer
  ) throws -> Int {
    let snapshot = try snapshot ?? DeltaLog.snapshot(table: path, asOf: config.asOf)
    let columns = snapshot.schema.columns.map { ReportColumn($0.name, ReportKind($0.type)) }
    let isGold = path.hasPrefix(config.lake.root + "/gold/")
    let gold =
      isGold
      ? contract?.gold.first { $0.name == name.split(separator: "/").last.map(String.init) } : nil
    let currencies = currencyColumns(snapshot, columns)
    try renderer.beginTable(
      ReportTableInfo(
        title: name, subtitle: subtitle(gold, version: snapshot.version, config: config),
        columns: columns, chart: chart(columns, gold: gold, currencies: currencies),
        currencies: currencies))
    let files = snapshot.files.filter { inRange($0, snapshot, config) }
    var block: [[ReportCell]] = []
    block.reserveCapacity(blockRows)
    var rows = 0
    try DeltaScan.forEachBatch(snapshot, files: files, columns: nil) { batch in
      let count = batch.first?.count ?? 0
      for r in 0..<count {
        block.append(batch.map { ReportCell.from($0, row: r) })
        if block.count == blockRows {
          try renderer.rows(block)
          rows += block.count
          block.removeAll(keepingCapacity: true)
        }
      }
    }
    try renderer.rows(block)
    rows += block.count
    try renderer.endTable()
    return rows
  }

  // MARK: stdin

  /// Renders the rows of stdin (or `config.input`) as one table.
  static func renderInput(_ config: ReportConfig, _ renderer: ReportRenderer) throws -> Int {
    let reader = try RowReader(path: config.input, schema: nil)
    let title = reader.source.name
    var rows = 0
    if let lines = reader.lineReader {
      var decoder = ReportLineDecoder(source: reader.source.name)
      var pending: [[UInt8]] = []
      var started = false
      var block: [[ReportCell]] = []
      func start() throws {
        decoder.decideColumns(pending)
        let columns = decoder.columns
        try renderer.beginTable(
          ReportTableInfo(
            title: title, subtitle: "", columns: columns, chart: chart(columns, gold: nil)))
        started = true
      }
      func flush() throws {
        let kept = block.filter { keep($0, decoder.columns, config) }
        try renderer.rows(kept)
        rows += kept.count
        block.removeAll(keepingCapacity: true)
      }
      var lineNumbers: [Int] = []
      try lines.forEachLine { line, number in
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return true }
        if !started {
          pending.append(Array(line))
          lineNumbers.append(number)
          if pending.count == blockRows {
            try start()
            for (l, n) in zip(pending, lineNumbers) { block.append(try decoder.cells(l, line: n)) }
            pending = []
            try flush()
          }
          return true
        }
        block.append(try decoder.cells(Array(line), line: number))
        if block.count == blockRows { try flush() }
        return true
      }
      if !started {
        try start()
        for (l, n) in zip(pending, lineNumbers) { block.append(try decoder.cells(l, line: n)) }
      }
      try flush()
    } else {
      let columns = reader.schema.columns.map { ReportColumn($0.name, ReportKind($0.type)) }
      try renderer.beginTable(
        ReportTableInfo(
          title: title, subtitle: "", columns: columns, chart: chart(columns, gold: nil)))
      while let batch = try reader.nextBatch() {
        var block: [[ReportCell]] = []
        for r in 0..<(batch.first?.count ?? 0) {
          let row = batch.map { ReportCell.from($0, row: r) }
          if keep(row, columns, config) { block.append(row) }
          if block.count == blockRows {
            try renderer.rows(block)
            rows += block.count
            block.removeAll(keepingCapacity: true)
          }
        }
        try renderer.rows(block)
        rows += block.count
      }
    }
    try renderer.endTable()
    return rows
  }

  /// The date range on rows without partitions: the first date or timestamp column's UTC day.
  static func keep(_ row: [ReportCell], _ columns: [ReportColumn], _ config: ReportConfig) -> Bool {
    guard config.from != nil || config.to != nil,
      let t = columns.firstIndex(where: { $0.kind.isTime }), let micros = row[t].micros
    else { return true }
    let day = micros >= 0 ? micros / 86_400_000_000 : (micros - 86_399_999_999) / 86_400_000_000
    if let f = config.from, day < f { return false }
    if let to = config.to, day > to { return false }
    return true
  }
}
