// LakeStages/Report/ReportFollow.swift
//
// lh-report --follow: a live view of `lh-gold --stream`'s windows.
//
//   terminal   the alternate screen, cursor hidden; redrawn at most every 250 ms and when the
//              input pauses: a title line (windows, final, late rows), the chart of the
//              windows' first metric, and the latest windows that fit the screen. On exit
//              (end of input, SIGINT, SIGTERM, SIGHUP, an error) the attributes, the cursor and
//              the screen are restored; a second signal (which ends the process at once)
//              restores them from the signal handler (`ExitSequence`).
//   otherwise  one aligned line per window as it becomes final (updates are not repeated),
//              and a summary line for late rows.
//
// The windows kept are the newest 1000 (one row per window and group); memory is bounded.

import LakeFormats
import LakeIO

/// What the live view is asked to do.
public struct FollowConfig: Sendable {
  public var input: String?
  public var terminal = false
  public var height = 24
  public var style = ReportStyle()
  public init() {}
}

/// The live view.
public enum ReportFollow {
  static let keptRows = 1000

  /// What leaves the terminal as it was: attributes reset, cursor shown, alternate screen off.
  public static let restoreTerminal = "\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l"

  /// Follows the window stream until it ends or a stop is requested; returns windows seen.
  @discardableResult
  public static func run(_ config: FollowConfig, output: OutputBuffer) throws -> Int {
    let reader = try RowReader(path: config.input, schema: nil)
    guard let lines = reader.lineReader else {
      throw LakeFailure(.data, "\(reader.source.name): --follow reads NDJSON windows, not Parquet")
    }
    lines.idleMilliseconds = 200
    var view = FollowView(config: config)
    if config.terminal {
      // Armed before the screen is taken: a second signal restores the terminal from the
      // signal handler (the first one ends the loop and the defer below restores it).
      ExitSequence.set(Array(restoreTerminal.utf8))
      try output.write("\u{1B}[?1049h\u{1B}[?25l")
    }
    defer {
      if config.terminal {
        try? output.write(restoreTerminal)
        try? output.flush()
        ExitSequence.clear()
      }
    }
    var decoder = ReportLineDecoder(source: reader.source.name)
    var lastDraw: Int64 = 0
    var dirty = false
    func draw() throws {
      guard dirty else { return }
      if config.terminal { try view.drawScreen(output) }
      try output.flush()
      lastDraw = SystemClock.monotonicNanoseconds()
      dirty = false
    }
    try lines.forEachLine(
      idle: { try draw() }, didRead: {},
      { line, number in
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return true }
        let bytes = Array(line)
        if decoder.columns.isEmpty || !decoder.knowsAllKeys(bytes) {
          decoder.widen(with: bytes)
        }
        let row = try decoder.cells(bytes, line: number)
        try view.add(row, columns: decoder.columns, output: config.terminal ? nil : output)
        dirty = true
        if config.terminal && SystemClock.monotonicNanoseconds() - lastDraw > 250_000_000 {
          try draw()
        }
        return Interrupt.requested == 0
      })
    dirty = true
    try draw()
    if !config.terminal && view.late > 0 {
      try output.write("late rows: \(ReportCell.integer(Int64(view.late)).pretty)\n")
    }
    return view.windows
  }
}

/// The state of the live view.
struct FollowView {
  let config: FollowConfig
  var columns: [ReportColumn] = []
  var rows: [[ReportCell]] = []
  var keys: [String] = []
  var windows = 0
  var finals = 0
  var late = 0
  var printedHeader = false
  var widths: [Int] = []

  init(config: FollowConfig) { self.config = config }

  /// The window and group of a row: every text or time column but `final`.
  func key(_ row: [ReportCell]) -> String {
    var k = ""
    for (c, col) in columns.enumerated() where !col.kind.isNumeric && col.name != "final" {
      k += (row[c].plain ?? "") + "\u{1}"
    }
    return k
  }

  mutating func add(_ row: [ReportCell], columns: [ReportColumn], output: OutputBuffer?) throws {
    self.columns = columns
    var row = row
    while row.count < columns.count { row.append(.null) }
    if let l = columns.firstIndex(where: { $0.name == "late_rows" }), case .integer(let n) = row[l]
    {
      late += Int(n)
      return
    }
    let finalIndex = columns.firstIndex { $0.name == "final" }
    let isFinal = finalIndex.map { row[$0] != .boolean(false) } ?? true
    let k = key(row)
    if let i = keys.lastIndex(of: k) {
      rows[i] = row
    } else {
      keys.append(k)
      rows.append(row)
      windows += 1
      if rows.count > ReportFollow.keptRows {
        rows.removeFirst(rows.count - ReportFollow.keptRows)
        keys.removeFirst(keys.count - ReportFollow.keptRows)
      }
    }
    if isFinal { finals += 1 }
    guard let output, isFinal else { return }
    // Appended lines: the visible columns (late_rows and final are left out).
    let shown = shownColumns
    let texts = shown.map { row[$0].pretty }
    if !printedHeader {
      widths = shown.map { max(TerminalText.width(TerminalText.escape(columns[$0].name)), 12) }
      try output.write(line(shown.map { TerminalText.escape(columns[$0].name) }, shown) + "\n")
      printedHeader = true
    }
    for (i, t) in texts.enumerated() where TerminalText.width(t) > widths[i] {
      widths[i] = TerminalText.width(t)
    }
    try output.write(line(texts, shown) + "\n")
  }

  var shownColumns: [Int] {
    columns.indices.filter { columns[$0].name != "late_rows" && columns[$0].name != "final" }
  }

  func line(_ texts: [String], _ shown: [Int]) -> String {
    var s = ""
    for (i, t) in texts.enumerated() {
      let w = i < widths.count ? widths[i] : TerminalText.width(t)
      if i > 0 { s += "  " }
      s += TerminalText.pad(t, toWidth: w, right: columns[shown[i]].kind.isNumeric)
    }
    return s
  }

  /// Clears the screen and draws the view.
  func drawScreen(_ out: OutputBuffer) throws {
    var text = "\u{1B}[H\u{1B}[2J"
    let bold = config.style.color ? "\u{1B}[1m" : ""
    let reset = config.style.color ? "\u{1B}[0m" : ""
    text +=
      bold + "lh-report --follow" + reset
      + "  windows \(windows)  final \(finals)  late rows \(late)\r\n"
    let shown = shownColumns
    let chart = ReportStage.chart(shown.map { columns[$0] }, gold: nil)
    var chartLines: [String] = []
    if let chart {
      var series = ReportSeries(timeIsDate: columns[shown[chart.time]].kind == .date)
      for row in rows {
        if let t = row[shown[chart.time]].micros, let v = row[shown[chart.value]].number {
          series.add(t, v)
        }
      }
      chartLines = [
        "",
        TerminalText.escape(
          columns[shown[chart.value]].name + " per " + columns[shown[chart.time]].name),
      ]
      chartLines += series.terminalLines(
        width: config.style.width, height: 6, ascii: config.style.ascii, color: config.style.color)
    }
    for l in chartLines { text += l + "\r\n" }
    text += "\r\n"
    var widths = shown.map { TerminalText.width(TerminalText.escape(columns[$0].name)) }
    let room = max(1, config.height - chartLines.count - 5)
    let visible = rows.suffix(room)
    for row in visible {
      for (i, c) in shown.enumerated() {
        widths[i] = max(widths[i], TerminalText.width(row[c].pretty))
      }
    }
    func fmt(_ texts: [String]) -> String {
      var s = ""
      for (i, t) in texts.enumerated() {
        if i > 0 { s += "  " }
        s += TerminalText.pad(t, toWidth: widths[i], right: columns[shown[i]].kind.isNumeric)
      }
      return TerminalText.truncate(s, toWidth: config.style.width, ascii: config.style.ascii)
    }
    text += bold + fmt(shown.map { TerminalText.escape(columns[$0].name) }) + reset + "\r\n"
    for row in visible { text += fmt(shown.map { row[$0].pretty }) + "\r\n" }
    try out.write(text)
  }
}

extension ReportLineDecoder {
  /// Whether every key of `line` is a known column.
  mutating func knowsAllKeys(_ line: [UInt8]) -> Bool {
    let names = Set(columns.map(\.name))
    return line.withUnsafeBytes { raw in
      guard (try? scanner.scan(raw, into: &fields)) != nil else { return true }
      for f in fields {
        var key: [UInt8] = []
        try? JSONValue.unescape(f.keyBytes(in: raw), into: &key)
        if !names.contains(String(decoding: key, as: UTF8.self)) { return false }
      }
      return true
    }
  }

  /// Adds the keys of `line` that are new as columns (kinds decided from this line).
  mutating func widen(with line: [UInt8]) {
    let known = columns
    decideColumns([line])
    let fresh = columns.filter { c in !known.contains { $0.name == c.name } }
    columns = known + fresh
  }
}
