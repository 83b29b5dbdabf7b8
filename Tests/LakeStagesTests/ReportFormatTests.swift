import LakeContracts
import LakeIO
import LakeTable
import Testing

@testable import LakeStages

/// How lh-report spells and lays out cells (issue 7): numbers, money, doubles, nulls, column
/// widths in terminal columns, alignment, truncation, and the ASCII fallbacks.
@Suite("Report cell formatting")
struct ReportFormatTests {
  @Test(
    "integers: thousands separators when pretty, none when plain; negatives and zero",
    arguments: [
      (Int64(0), "0", "0"), (7, "7", "7"), (999, "999", "999"), (1000, "1,000", "1000"),
      (-999, "-999", "-999"), (-1000, "-1,000", "-1000"), (1_234_567, "1,234,567", "1234567"),
      (-1_234_567, "-1,234,567", "-1234567"),
      (Int64.max, "9,223,372,036,854,775,807", "9223372036854775807"),
      (Int64.min, "-9,223,372,036,854,775,808", "-9223372036854775808"),
    ])
  func integers(value: Int64, pretty: String, plain: String) {
    #expect(ReportCell.integer(value).pretty == pretty)
    #expect(ReportCell.integer(value).plain == plain)
  }

  @Test(
    "money keeps its scale: cents always shown, separators only in the whole part",
    arguments: [
      (Int64(123_456), 2, "1,234.56", "1234.56"), (5, 2, "0.05", "0.05"),
      (-5, 2, "-0.05", "-0.05"), (0, 2, "0.00", "0.00"), (100, 2, "1.00", "1.00"),
      (-123_456_789, 3, "-123,456.789", "-123456.789"), (1234, 0, "1,234", "1234"),
      (-1, 4, "-0.0001", "-0.0001"),
      (
        Int64.min, 2, "-92,233,720,368,547,758.08",
        "-92233720368547758.08"
      ),
    ])
  func money(unscaled: Int64, scale: Int, pretty: String, plain: String) {
    let cell = ReportCell.decimal(unscaled, scale: scale)
    #expect(cell.pretty == pretty)
    #expect(cell.plain == plain)
    #expect(cell.number == Double(plain))
  }

  @Test(
    "doubles: four decimals when pretty (no negative zero), NaN and infinities spelled out",
    arguments: [
      (0.052631578947368418, "0.0526"), (1234.5, "1,234.5000"), (-0.5, "-0.5000"),
      (0, "0.0000"), (-0.0, "0.0000"), (-0.00004, "0.0000"), (-0.00005, "-0.0001"),
      (Double.nan, "NaN"), (Double.infinity, "inf"), (-Double.infinity, "-inf"),
      (1e15, "1,000,000,000,000,000"), (-2.5e14, "-250,000,000,000,000"),
      (1e19, "1e+19"),
    ])
  func doubles(value: Double, pretty: String) {
    #expect(ReportCell.real(value).pretty == pretty)
  }

  @Test("non-finite doubles and nulls: no CSV text, NDJSON null, no chart value")
  func missingValues() throws {
    for cell in [ReportCell.real(.nan), .real(.infinity), .null] {
      #expect(cell.plain == nil)
      #expect(cell.number == nil)
    }
    #expect(ReportCell.null.pretty == "")
    let info = ReportTableInfo(
      title: "t", subtitle: "", columns: [ReportColumn("v", .real), ReportColumn("s", .text)],
      chart: nil)
    for (format, want) in [
      (ReportFormat.csv, "v,s\r\n,\r\n"), (.ndjson, "{\"v\":null,\"s\":null}\n"),
    ] {
      let out = try render(format, info, [[.real(.nan), .null]])
      #expect(out == want, "\(format)")
    }
  }

  @Test("money shows its currency code beside the amount in text, Markdown and HTML")
  func currencies() throws {
    let info = ReportTableInfo(
      title: "t", subtitle: "",
      columns: [
        ReportColumn("currency", .text), ReportColumn("orders", .integer),
        ReportColumn("revenue", .decimal(scale: 2)),
      ],
      chart: nil, currencies: [2: 0])
    let rows: [[ReportCell]] = [
      [.text("EUR"), .integer(3), .decimal(124_584, scale: 2)],
      [.text("JPY"), .integer(1), .decimal(7_377_000, scale: 2)],
      [.null, .integer(0), .null],
    ]
    let text = try render(.text, info, rows)
    #expect(text.contains("EUR            3   1,245.84 EUR\n"), "\(text)")
    #expect(text.contains("JPY            1  73,770.00 JPY\n"), "\(text)")
    #expect(try render(.markdown, info, rows).contains("| EUR | 3 | 1,245.84 EUR |"))
    #expect(
      try render(.html, info, rows).contains(
        "<td>EUR</td><td class=\"n\">3</td><td class=\"n\">1,245.84 EUR</td>"))
    // Machine formats keep the number plain; the currency is its own column.
    #expect(try render(.csv, info, rows).contains("EUR,3,1245.84\r\n"))
    #expect(
      try render(.ndjson, info, rows).contains(
        "{\"currency\":\"EUR\",\"orders\":3,\"revenue\":1245.84}"))
  }

  @Test("dates, timestamps and booleans")
  func times() {
    #expect(ReportCell.date(0).pretty == "1970-01-01")
    #expect(ReportCell.date(-1).pretty == "1969-12-31")
    #expect(ReportCell.timestamp(1_767_225_600_000_000).pretty == "2026-01-01T00:00:00Z")
    #expect(ReportCell.timestamp(1_767_225_600_250_000).pretty == "2026-01-01T00:00:00.250Z")
    #expect(ReportCell.timestamp(1_767_225_600_000_001).pretty == "2026-01-01T00:00:00.000001Z")
    #expect(ReportCell.boolean(true).pretty == "true" && ReportCell.boolean(false).plain == "false")
  }

  @Test(
    "display width: wide CJK and emoji take two columns, combining marks and joiners none",
    arguments: [
      ("abc", 3), ("", 0), ("東京都", 6), ("한국어", 6), ("ｱｲｳ", 3), ("ＡＢ", 4),
      ("e\u{301}clair", 6), ("\u{1F642}", 2), ("\u{1F469}\u{200D}\u{1F4BB}", 2),
      ("\u{1F1E9}\u{1F1EA}", 2), ("a\u{200B}b", 2), ("Zürich", 6), ("…", 1),
    ])
  func widths(text: String, columns: Int) {
    #expect(TerminalText.width(text) == columns, "\(text.unicodeScalars.map(\.value))")
  }

  @Test("truncation: an ellipsis (~ in ASCII) within the width, never half a wide character")
  func truncation() {
    #expect(TerminalText.truncate("abcdefghij", toWidth: 5, ascii: false) == "abcd…")
    #expect(TerminalText.truncate("abcdefghij", toWidth: 5, ascii: true) == "abcd~")
    #expect(TerminalText.truncate("abcde", toWidth: 5, ascii: false) == "abcde")
    #expect(TerminalText.truncate("東京都庁", toWidth: 5, ascii: false) == "東京…")
    #expect(TerminalText.truncate("東京都庁", toWidth: 4, ascii: false) == "東…")
    #expect(
      TerminalText.truncate("e\u{301}e\u{301}e\u{301}", toWidth: 2, ascii: false) == "e\u{301}…")
    #expect(TerminalText.truncate("abc", toWidth: 0, ascii: false) == "")
    #expect(TerminalText.truncate("ab cdef", toWidth: 4, ascii: false) == "ab…")
    for width in 1...9 {
      let cut = TerminalText.truncate("東京都庁ビル", toWidth: width, ascii: false)
      #expect(TerminalText.width(cut) <= width, "\(width): \(cut)")
    }
  }

  @Test("alignment: numbers right, text left, the last text column unpadded, wide text counted")
  func alignment() {
    let kinds: [ReportKind] = [.text, .integer, .text]
    let widths = [6, 9, 5]
    #expect(
      ReportRenderer.line(["東京都", "1,234,567", "x"], kinds: kinds, widths: widths, ascii: false)
        == "東京都  1,234,567  x")
    #expect(
      ReportRenderer.line(["ab", "-5", "y"], kinds: kinds, widths: widths, ascii: false)
        == "ab             -5  y")
    #expect(
      ReportRenderer.line(["abcdefghij", "0", "z"], kinds: kinds, widths: widths, ascii: true)
        == "abcde~          0  z")
    #expect(
      ReportRenderer.line(["東京都庁", "0", "z"], kinds: kinds, widths: [5, 1, 1], ascii: false)
        == "東京…  0  z")
    // A null in the last, numeric column leaves no trailing blanks.
    #expect(
      ReportRenderer.line(["a", ""], kinds: [.text, .real], widths: [3, 8], ascii: false) == "a")
  }

  @Test("fitting: the widest text column shrinks first, never below 8; numbers never shrink")
  func fitting() {
    let kinds: [ReportKind] = [.text, .integer, .text]
    #expect(ReportRenderer.fit([30, 10, 20], kinds: kinds, into: 40) == [13, 10, 13])
    #expect(ReportRenderer.fit([30, 10, 20], kinds: kinds, into: 80) == [30, 10, 20])
    #expect(ReportRenderer.fit([30, 40, 20], kinds: kinds, into: 20) == [8, 40, 8])
  }

  @Test("a text table: widths from wide characters, rule and ellipsis in ASCII or Unicode")
  func textTable() throws {
    let info = ReportTableInfo(
      title: "cities", subtitle: "",
      columns: [ReportColumn("city", .text), ReportColumn("n", .integer)],
      chart: nil)
    let rows: [[ReportCell]] = [
      [.text("東京都"), .integer(1_234_567)], [.text("Zürich"), .integer(-5)],
    ]
    let unicode = try render(.text, info, rows, style: ReportStyle(width: 80))
    #expect(
      unicode
        == "cities\n\ncity            n\n──────  ─────────\n東京都  1,234,567\nZürich         -5\n",
      "\(unicode)")
    let ascii = try render(.text, info, rows, style: ReportStyle(width: 80, ascii: true))
    #expect(ascii.contains("------  ---------\n"), "\(ascii)")
    let narrow = try render(
      .text,
      ReportTableInfo(title: "t", subtitle: "", columns: [ReportColumn("s", .text)], chart: nil),
      [[.text(String(repeating: "x", count: 40))]], style: ReportStyle(width: 20, ascii: true))
    #expect(narrow.hasSuffix("\n" + String(repeating: "x", count: 19) + "~\n"), "\(narrow)")
  }

  @Test("ASCII drawing: charts and subtitles use no character beyond ASCII")
  func asciiFallbacks() throws {
    var series = ReportSeries()
    for m in 0..<30 { series.add(Int64(m) * 60_000_000, Double(m % 7)) }
    let lines = series.terminalLines(width: 60, ascii: true, color: false)
    #expect(!lines.isEmpty)
    for line in lines { #expect(line.unicodeScalars.allSatisfy { $0.isASCII }, "\(line)") }
    let unicode = series.terminalLines(width: 60, ascii: false, color: false).joined()
    #expect(unicode.contains("█") && unicode.contains("┤"))
    var config = ReportConfig(lake: .init(root: "/nonexistent"))
    config.from = 20_454
    config.style.ascii = true
    let subtitle = ReportStage.subtitle(nil, version: 3, config: config)
    #expect(subtitle == "version 3 - 2026-01-01 to ...", "\(subtitle)")
    config.style.ascii = false
    #expect(ReportStage.subtitle(nil, version: 3, config: config) == "version 3 · 2026-01-01 to …")
  }

  /// One table rendered in memory.
  func render(
    _ format: ReportFormat, _ info: ReportTableInfo, _ rows: [[ReportCell]],
    style: ReportStyle = ReportStyle()
  ) throws -> String {
    var bytes: [UInt8] = []
    let out = OutputBuffer(capacity: 1 << 12) { bytes.append(contentsOf: $0) }
    let renderer = ReportRenderer(format: format, style: style, output: out, multiple: false)
    try renderer.beginDocument(title: "t")
    try renderer.beginTable(info)
    try renderer.rows(rows)
    try renderer.endTable()
    try renderer.endDocument()
    try out.flush()
    return String(decoding: bytes, as: UTF8.self)
  }

  @Test("a gold table's chart shows the metric or ratio it is named after, summed only if additive")
  func chartMetric() throws {
    let contract = try #require(Contract.builtin("clickstream"))
    func chosen(_ table: String) throws -> String? {
      let gold = try #require(contract.gold.first { $0.name == table })
      var columns = [ReportColumn(gold.grain.bucketColumn, .date)]
      columns += gold.groupBy.map { ReportColumn($0, .text) }
      columns += gold.metrics.map { ReportColumn($0.name, .integer) }
      columns += gold.ratios.map { ReportColumn($0.name, .real) }
      return ReportStage.chart(columns, gold: gold).map { columns[$0.value].name }
    }
    // Named after a ratio; named after a count of a grouped table; the first metric otherwise.
    #expect(try chosen("conversion_rate_daily") == "conversion_rate")
    // Money kept per currency is never charted (summed over groups it would mix currencies).
    let revenue = try #require(contract.gold.first { $0.name == "revenue_daily" })
    let columns =
      [ReportColumn("event_date", .date), ReportColumn("currency", .text)]
      + revenue.metrics.map { ReportColumn($0.name, .integer) }
    let spec = ReportStage.chart(columns, gold: revenue, currencies: [4: 1])
    #expect(spec.map { columns[$0.value].name } == "orders")
    #expect(ReportStage.chart(columns, gold: nil, currencies: [2: 1, 3: 1, 4: 1, 5: 1]) == nil)
    #expect(try chosen("purchases_per_page_daily") == "purchases")
    #expect(try chosen("daily_active_users") == "active_users")
    // Grouped tables never chart a ratio or a distinct count, which do not add up over groups.
    for gold in contract.gold where !gold.groupBy.isEmpty {
      let name = try chosen(gold.name)
      let metric = gold.metrics.first { $0.name == name }
      #expect(
        metric?.aggregate == .count || metric?.aggregate == .sum, "\(gold.name): \(name ?? "-")")
    }
  }

  @Test("Prometheus: label values escape \\, \" and line feeds; a table name is one label")
  func prometheusLabels() throws {
    #expect(LakeStatus.prometheusLabel("gold/kpi_minute") == "\"gold/kpi_minute\"")
    #expect(LakeStatus.prometheusLabel("a\"b\\c\nd") == #""a\"b\\c\nd""#)
    var report = LakeStatusReport()
    report.now = 10_500
    report.tables = [
      TableStatus(
        name: "x\"y\n", version: 3, rows: 7, files: 1, bytes: 99, partitions: 1,
        lastCommit: 10_000)
    ]
    var bytes: [UInt8] = []
    let out = OutputBuffer(capacity: 1 << 12) { bytes.append(contentsOf: $0) }
    try LakeStatus.renderPrometheus(report, output: out)
    try out.flush()
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.contains("\nlh_table_rows{table=\"x\\\"y\\n\"} 7\n"), "\(text)")
    #expect(text.contains("\nlh_table_last_commit_age_seconds{table=\"x\\\"y\\n\"} 0.5\n"))
    #expect(text.contains("\nlh_table_last_commit_timestamp_seconds{table=\"x\\\"y\\n\"} 10\n"))
    #expect(!text.contains("lh_reconciled"), "no silver, no reconciliation")
    #expect(text.hasSuffix("# TYPE lh_status_problems gauge\nlh_status_problems 0\n"))
  }
}
