// LakeStages/Report/ReportRenderer.swift
//
// Writing report tables in each format, block by block, so a big table streams:
//
//   beginDocument ─▶ ( beginTable ─▶ rows(block)… ─▶ endTable )… ─▶ endDocument
//
//   text       title (bold on a colour terminal), aligned columns (numbers right-aligned),
//              then the chart; widths come from the first block of rows and only grow
//   csv        RFC 4180: a header, CRLF line ends, fields quoted when they hold , " CR or LF;
//              several tables are one CSV table, as DuckDB's read_csv and Miller read it: one
//              header, a "table" column first (the key), then the union of the tables'
//              columns (in order of first appearance); a row leaves the columns of other
//              tables empty
//   ndjson     one object per row, keys in column order; with several tables a "table" key first
//   markdown   "## title", a pipe table (numbers aligned right), the chart in a text block
//   html       one self-contained page: inline CSS, per table a <table> and an inline <svg>;
//              well-formed XML too (no named entities but XML's, every element closed)
//
// Only the chart's buckets are kept in memory (one per time bucket), never the rows.

import LakeIO

/// The output formats of lh-report.
public enum ReportFormat: String, CaseIterable, Sendable {
  case text, csv, ndjson, markdown, html
}

/// How text is drawn: width, character set, colour.
public struct ReportStyle: Sendable, Equatable {
  /// Columns of the output (tables shrink text cells to fit; charts use it all).
  public var width = 80
  /// ASCII only (no box drawing or block characters).
  public var ascii = false
  /// ANSI colour (only on a terminal, never with NO_COLOR).
  public var color = false
  /// CSV cells as they are: no `'` before a text cell starting with `=`, `+`, `-`, `@`, tab or
  /// CR (`--raw-csv`).
  public var rawCSV = false

  public init(width: Int = 80, ascii: Bool = false, color: Bool = false, rawCSV: Bool = false) {
    self.width = width
    self.ascii = ascii
    self.color = color
    self.rawCSV = rawCSV
  }
}

/// What the chart of a table draws.
public struct ReportChartSpec: Sendable, Equatable {
  /// The time column (date or timestamp) and the value column summed per bucket.
  public var time: Int
  public var value: Int

  public init(time: Int, value: Int) {
    self.time = time
    self.value = value
  }
}

/// One table of a report.
public struct ReportTableInfo: Sendable {
  public var title: String
  public var subtitle: String
  public var columns: [ReportColumn]
  public var chart: ReportChartSpec?
  /// Money columns and the column holding each row's currency: text, Markdown and HTML show
  /// the code after the amount (`1,245.84 EUR`); CSV and NDJSON keep the plain number (the
  /// currency column is beside it in the row).
  public var currencies: [Int: Int]

  public init(
    title: String, subtitle: String, columns: [ReportColumn], chart: ReportChartSpec?,
    currencies: [Int: Int] = [:]
  ) {
    self.currencies = currencies
    self.title = title
    self.subtitle = subtitle
    self.columns = columns
    self.chart = chart
  }
}

/// Renders tables in one format to an output buffer.
public final class ReportRenderer {
  let format: ReportFormat
  let style: ReportStyle
  let out: OutputBuffer
  /// Several tables: NDJSON rows carry the table's name under `key`; CSV has one header,
  /// `key` then `csvColumns`.
  let multiple: Bool
  let key: String
  let csvColumns: [ReportColumn]
  var csvHeaderDone = false
  /// The position in `csvColumns` of each column of the current table.
  var csvIndex: [Int] = []
  var table: ReportTableInfo?
  var tableIndex = 0
  var widths: [Int] = []
  var headerDone = false
  var series = ReportSeries()
  var rowsSeen = 0

  /// A renderer writing `format` to `out`; `multiple` when more than one table will follow,
  /// their names under `key` and their columns, for CSV's one header, in `columns` (each
  /// table's, in order).
  public init(
    format: ReportFormat, style: ReportStyle, output: OutputBuffer, multiple: Bool,
    key: String = "table", columns: [[ReportColumn]] = []
  ) {
    self.format = format
    self.style = style
    self.out = output
    self.multiple = multiple
    self.key = key
    self.csvColumns = Self.union(columns)
  }

  /// The columns of `tables` by name, each once, in order of first appearance.
  public static func union(_ tables: [[ReportColumn]]) -> [ReportColumn] {
    var seen = Set<String>()
    var out: [ReportColumn] = []
    for c in tables.joined() where seen.insert(c.name).inserted { out.append(c) }
    return out
  }

  func bold(_ s: String) -> String { style.color ? "\u{1B}[1m" + s + "\u{1B}[0m" : s }
  func dim(_ s: String) -> String { style.color ? "\u{1B}[2m" + s + "\u{1B}[0m" : s }

  /// Starts the document (the HTML head).
  public func beginDocument(title: String) throws {
    guard format == .html else { return }
    try out.write(
      """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"/>
      <meta name="viewport" content="width=device-width, initial-scale=1"/>
      <title>\(HTMLText.escape(title))</title>
      <style>
      body{font-family:system-ui,sans-serif;margin:2em;color:#222;background:#fff}
      section{display:flex;flex-direction:column;margin-bottom:3em}
      h2{order:-3;margin-bottom:0}
      p.sub{order:-2;color:#666;margin-top:.2em}
      figure{order:-1;margin:0 0 1em 0}
      table{border-collapse:collapse;font-size:14px}
      th,td{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}
      td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
      </style></head>
      <body>
      <h1>\(HTMLText.escape(title))</h1>

      """)
  }

  /// Ends the document.
  public func endDocument() throws {
    if format == .html { try out.write("</body></html>\n") }
  }

  /// Starts a table.
  public func beginTable(_ info: ReportTableInfo) throws {
    if multiple && (format == .csv || format == .ndjson),
      info.columns.contains(where: { $0.name == key })
    {
      throw LakeFailure(
        .usage,
        "\(info.title): has a column named '\(key)', the key that names each row's table when several tables are one \(format.rawValue.uppercased()); render it alone"
      )
    }
    table = info
    widths = info.columns.map { TerminalText.width(TerminalText.escape($0.name)) }
    headerDone = false
    rowsSeen = 0
    series = ReportSeries(
      timeIsDate: info.chart.map { info.columns[$0.time].kind == .date } ?? false)
    switch format {
    case .text:
      if tableIndex > 0 { try out.write("\n") }
      try out.write(bold(TerminalText.escape(info.title)) + "\n")
      if !info.subtitle.isEmpty { try out.write(dim(TerminalText.escape(info.subtitle)) + "\n") }
      try out.write("\n")
    case .csv where multiple:
      if !csvHeaderDone {
        try out.write(
          ([key] + csvColumns.map(\.name)).map { Self.csvField(csvSafe($0)) }
            .joined(separator: ",") + "\r\n")
        csvHeaderDone = true
      }
      csvIndex = info.columns.map { c in csvColumns.firstIndex { $0.name == c.name } ?? -1 }
    case .csv:
      try out.write(
        info.columns.map { Self.csvField(csvSafe($0.name)) }.joined(separator: ",") + "\r\n")
    case .markdown:
      if tableIndex > 0 { try out.write("\n") }
      try out.write("## \(Self.markdownCell(info.title))\n\n")
      if !info.subtitle.isEmpty { try out.write("\(Self.markdownCell(info.subtitle))\n\n") }
      try out.write(
        "| " + info.columns.map { Self.markdownCell($0.name) }.joined(separator: " | ") + " |\n")
      try out.write(
        "|" + info.columns.map { $0.kind.isNumeric ? " ---: " : " --- " }.joined(separator: "|")
          + "|\n")
    case .html:
      try out.write("<section>\n<h2>\(HTMLText.escape(info.title))</h2>\n")
      if !info.subtitle.isEmpty {
        try out.write("<p class=\"sub\">\(HTMLText.escape(info.subtitle))</p>\n")
      }
      try out.write("<table>\n<thead><tr>")
      for c in info.columns {
        try out.write(
          (c.kind.isNumeric ? "<th class=\"n\">" : "<th>") + HTMLText.escape(c.name) + "</th>")
      }
      try out.write("</tr></thead>\n<tbody>\n")
    case .ndjson:
      break
    }
    tableIndex += 1
  }

  /// Renders a block of rows (each as many cells as the table has columns).
  public func rows(_ block: [[ReportCell]]) throws {
    guard let info = table else { return }
    if let chart = info.chart {
      for row in block {
        if let t = row[chart.time].micros, let v = row[chart.value].number { series.add(t, v) }
      }
    }
    rowsSeen += block.count
    switch format {
    case .text: try textRows(info, block)
    case .csv where multiple:
      let name = Self.csvField(csvSafe(info.title))
      for row in block {
        var cells = [String](repeating: "", count: csvColumns.count)
        for (c, cell) in row.enumerated() where csvIndex[c] >= 0 {
          cells[csvIndex[c]] = csvCell(cell)
        }
        try out.write(([name] + cells).joined(separator: ",") + "\r\n")
      }
    case .csv:
      for row in block {
        try out.write(row.map(csvCell).joined(separator: ",") + "\r\n")
      }
    case .ndjson:
      for row in block { try out.write(ndjsonLine(info, row)) }
    case .markdown:
      for row in block {
        try out.write(
          "| " + Self.pretty(row, info).map(Self.markdownCell).joined(separator: " | ") + " |\n")
      }
    case .html:
      for row in block {
        var line = "<tr>"
        for (c, text) in Self.pretty(row, info).enumerated() {
          line +=
            (info.columns[c].kind.isNumeric ? "<td class=\"n\">" : "<td>")
            + HTMLText.escape(text) + "</td>"
        }
        try out.write(line + "</tr>\n")
      }
    }
  }

  /// Ends a table: its chart, if any.
  public func endTable() throws {
    guard let info = table else { return }
    let valueName =
      info.chart.map { "\(info.columns[$0.value].name) per \(info.columns[$0.time].name)" } ?? ""
    let shownName = TerminalText.escape(valueName)
    switch format {
    case .text:
      if !headerDone { try textRows(info, []) }
      if info.chart != nil && !series.values.isEmpty {
        try out.write("\n" + dim(shownName) + "\n")
        for line in series.terminalLines(width: style.width, ascii: style.ascii, color: style.color)
        {
          try out.write(line + "\n")
        }
      }
    case .markdown:
      if info.chart != nil && !series.values.isEmpty {
        try out.write("\n\(Self.markdownCell(valueName)):\n\n```text\n")
        for line in series.terminalLines(width: style.width, ascii: style.ascii, color: false) {
          try out.write(line + "\n")
        }
        try out.write("```\n")
      }
    case .html:
      try out.write("</tbody>\n</table>\n")
      if info.chart != nil {
        try out.write(
          "<figure>" + series.svg(title: info.title + ": " + valueName, valueName: valueName)
            + "</figure>\n")
      }
      try out.write("</section>\n")
    case .csv, .ndjson:
      break
    }
    table = nil
  }

  // MARK: text

  /// A row's pretty texts, money followed by its currency code when the table says which
  /// column holds it.
  static func pretty(_ row: [ReportCell], _ info: ReportTableInfo) -> [String] {
    var texts = row.map(\.pretty)
    for (money, currency) in info.currencies where money < row.count && currency < row.count {
      if row[money] != .null, case .text = row[currency] {
        texts[money] += " " + texts[currency]
      }
    }
    return texts
  }

  func textRows(_ info: ReportTableInfo, _ block: [[ReportCell]]) throws {
    let texts = block.map { Self.pretty($0, info) }
    for row in texts {
      for (c, t) in row.enumerated() {
        let w = TerminalText.width(t)
        if w > widths[c] { widths[c] = w }
      }
    }
    if !headerDone {
      fitWidths(info)
      headerDone = true
      try out.write(bold(line(info.columns.map { TerminalText.escape($0.name) }, info)) + "\n")
      let rule = style.ascii ? "-" : "─"
      try out.write(
        dim(widths.map { String(repeating: rule, count: $0) }.joined(separator: "  ")) + "\n")
    }
    for row in texts { try out.write(line(row, info) + "\n") }
  }

  /// Shrinks the widest text columns so that a row fits `style.width` (numbers never shrink).
  func fitWidths(_ info: ReportTableInfo) {
    widths = Self.fit(widths, kinds: info.columns.map(\.kind), into: style.width)
  }

  /// `widths` with the widest text columns shrunk, one column at a time and never below 8,
  /// until a row (columns two spaces apart) fits `total` columns or nothing can shrink.
  public static func fit(_ widths: [Int], kinds: [ReportKind], into total: Int) -> [Int] {
    var widths = widths
    var used = widths.reduce(0, +) + 2 * max(0, widths.count - 1)
    while used > total {
      guard
        let c = widths.indices.filter({ kinds[$0] == .text && widths[$0] > 8 })
          .max(by: { widths[$0] < widths[$1] })
      else { break }
      widths[c] -= 1
      used -= 1
    }
    return widths
  }

  /// One row of cells in the table's widths: numbers right-aligned, text left-aligned (the
  /// last column unpadded), text wider than its column cut with an ellipsis.
  func line(_ cells: [String], _ info: ReportTableInfo) -> String {
    Self.line(cells, kinds: info.columns.map(\.kind), widths: widths, ascii: style.ascii)
  }

  /// Cells laid out in columns of `widths` (in terminal columns), two spaces apart, with no
  /// trailing blanks.
  public static func line(_ cells: [String], kinds: [ReportKind], widths: [Int], ascii: Bool)
    -> String
  {
    var s = ""
    for (c, text) in cells.enumerated() {
      let t = TerminalText.truncate(text, toWidth: widths[c], ascii: ascii)
      if c > 0 { s += "  " }
      let numeric = kinds[c].isNumeric
      s +=
        numeric || c < cells.count - 1 ? TerminalText.pad(t, toWidth: widths[c], right: numeric) : t
    }
    // No trailing blanks (an empty last cell, a null number).
    while s.last == " " { s.removeLast() }
    return s
  }

  // MARK: csv, markdown, ndjson

  /// A cell for CSV: numbers as they are, text neutralised by `csvSafe`; empty for null.
  func csvCell(_ cell: ReportCell) -> String {
    guard let text = cell.plain else { return "" }
    switch cell {
    case .integer, .decimal, .wideDecimal, .real: return Self.csvField(text)
    default: return Self.csvField(csvSafe(text))
    }
  }

  /// Text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
  /// leading `'`, unless `rawCSV`.
  func csvSafe(_ text: String) -> String {
    guard !style.rawCSV, let first = text.unicodeScalars.first,
      "=+-@\t\r".unicodeScalars.contains(first)
    else { return text }
    return "'" + text
  }

  /// A CSV field, quoted when it holds a comma, a quote, CR or LF (RFC 4180 §2).
  public static func csvField(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
    else { return s }
    var out = "\""
    for c in s {
      if c == "\"" { out += "\"\"" } else { out.append(c) }
    }
    return out + "\""
  }

  static func markdownCell(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "|": out += "\\|"
      case "<": out += "\\<"
      case "\n", "\r", "\r\n": out += " "
      default: out.append(c)
      }
    }
    return TerminalText.escape(out)
  }

  func ndjsonLine(_ info: ReportTableInfo, _ row: [ReportCell]) -> String {
    var s = "{"
    if multiple { s += Self.jsonString(key) + ":" + Self.jsonString(info.title) + "," }
    for (c, cell) in row.enumerated() {
      if c > 0 { s += "," }
      s += Self.jsonString(info.columns[c].name) + ":"
      switch cell {
      case .null: s += "null"
      case .integer, .decimal, .wideDecimal, .boolean: s += cell.plain ?? "null"
      case .json(let text): s += text
      case .real(let v): s += v.isFinite ? v.description : "null"
      default: s += Self.jsonString(cell.plain ?? "")
      }
    }
    return s + "}\n"
  }

  /// A JSON string literal (RFC 8259 §7).
  public static func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          let hex = String(u.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}
