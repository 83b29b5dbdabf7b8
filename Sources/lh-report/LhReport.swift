// lh-report: gold tables (or any table, or rows on stdin) as text, CSV, NDJSON, Markdown or
// HTML; `status` for the lake's state; `--follow` for a live view. Logic in LakeStages/Report.

import ArgumentParser
import LakeCLI
import LakeContracts
import LakeIO
import LakeStages
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

extension ReportFormat: ExpressibleByArgument {}
extension StatusFormat: ExpressibleByArgument {}

/// `--width`, `--ascii`, `--raw-csv`: how a report is drawn (shared by the report and status,
/// each with its own `--format`).
struct DrawingOptions: ParsableArguments {
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Columns to draw in (default: the terminal's, else 80).", valueName: "n"))
  var width: Int?

  @Flag(help: "Draw with ASCII characters only (also when the locale is not UTF-8).")
  var ascii = false

  @Flag(
    help:
      "CSV cells exactly as in the data (by default a text cell starting with =, +, -, @, tab or CR gets a leading ' so that spreadsheets do not run it as a formula)."
  )
  var rawCSV = false

  func validate() throws {
    if let width, !(20...1000).contains(width) {
      throw ValidationError("--width must be between 20 and 1000")
    }
  }

  func resolve(_ context: ToolContext, _ env: [String: String]) -> ReportStyle {
    var style = ReportStyle()
    style.width = width ?? terminalColumns(env, context.stdoutIsTerminal) ?? 80
    let locale =
      env["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LC_CTYPE"].flatMap {
        $0.isEmpty ? nil : $0
      } ?? env["LANG"] ?? ""
    let utf8 = locale.uppercased().contains("UTF-8") || locale.uppercased().contains("UTF8")
    style.ascii = ascii || !utf8
    style.rawCSV = rawCSV
    style.color =
      context.stdoutIsTerminal && env["NO_COLOR"].map(\.isEmpty) ?? true && env["TERM"] != "dumb"
    return style
  }
}

/// `$COLUMNS`, else the terminal's width.
func terminalColumns(_ env: [String: String], _ terminal: Bool) -> Int? {
  if let c = env["COLUMNS"].flatMap({ Int($0) }), c >= 20 { return min(c, 1000) }
  guard terminal else { return nil }
  var size = winsize()
  guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 20 else { return nil }
  return Int(size.ws_col)
}

func terminalRows() -> Int {
  var size = winsize()
  guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row >= 5 else { return 24 }
  return Int(size.ws_row)
}

@main
struct LhReport: LakeCommand {
  static let toolName = "lh-report"
  static let configuration = CommandConfiguration(
    commandName: "lh-report",
    abstract: "Render gold tables (or any table, or rows on stdin) as text, CSV or HTML.",
    usage: "lh-report [<options>] [<table> ...]\nlh-report status [<options>]",
    discussion: """
      Without a table, every gold table of the lake, coarse grains first (days, then hours, \
      then minutes, in the contract's order). A table is a name in the lake: a gold table's \
      name or a lake path (silver/events, bronze/events, silver/rejects, gold/<name>). A \
      table starting with /, ./ or ../ is a path to any Delta table, in the lake or not (one \
      written by Spark or delta-rs too); lh-report only reads it.

      A peer's table may hold timestamp_ntz columns (shown without a zone, \
      2024-01-02T03:04:05.123456), decimals of up to 38 digits, nested struct, array and \
      map columns (their JSON text; in NDJSON the value itself), partition columns of any \
      type, column mapping (name, id) and widened types. A live file with a deletion \
      vector, a variant column or an unknown reader feature is refused (status 65, one \
      line naming it).

      Rows on stdin (NDJSON or Parquet, sniffed) are read with - as the table (or --input -), \
      whatever the lake; and with no table named when stdin is a pipe or a file and no lake \
      is given (neither --lake nor LH_LAKE). A terminal or /dev/null on stdin is never read \
      unless asked for.

      Text has aligned columns (wide characters count two), numbers right-aligned with \
      thousands separators, decimals at their scale, and a bar chart per time series; HTML \
      is one self-contained page with a table and an inline SVG chart per table. Money kept \
      per currency (a gold table's money metric grouped by its currency column) shows the \
      code after the amount in text, Markdown and HTML ("1,245.84 EUR"); CSV and NDJSON keep \
      the plain number beside the currency column. Such money is never charted: summed over \
      a bucket's groups it would add up different currencies.

      Several tables as CSV are one CSV table, as DuckDB and Miller read it: one header, a \
      table column first, then the union of the tables' columns; each row leaves the columns \
      of the other tables empty. As NDJSON each object has a "table" key first. (A table with \
      a column named table is rendered alone.)

      --as-of TIME reads each table's latest version committed at or before TIME; a TIME \
      before a table's first commit or after its latest is an error (status 64, naming the \
      table and the times of its first and latest commits), as in Spark, never silently the \
      latest version. --as-of VERSION reads that version.

      Examples:
        lh-report --lake ./lake
        lh-report --lake ./lake kpi_minute --from 2026-01-01 --to 2026-01-02
        lh-report --lake ./lake --format html > report.html
        lh-report ./spark-output/sales_by_day --format csv
        lh-gen --count 100 | lh-report - --format markdown
        lh-report status --lake ./lake --check --max-lag 2h
        lh-gen --follow | lh-silver --stream | lh-gold --stream | lh-report --follow
      """,
    version: LakeVersion.string,
    subcommands: [Status.self])

  /// `status` (and `help status`) is matched by hand: the root's table arguments would take it
  /// as a table.
  static func main() {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "status" {
      Status.main(arguments: Array(arguments.dropFirst()))
    }
    if arguments.first == "help" {
      switch arguments.dropFirst().first {
      case nil: main(arguments: ["--help"])
      case "status": Status.main(arguments: ["--help"])
      case let other?:
        reportUsageError(
          ValidationError("help: no subcommand '\(other)' (lh-report has one: status)"))
      }
    }
    main(arguments: arguments)
  }

  @OptionGroup var lakeOptions: LakeOptions

  @Argument(
    help: ArgumentHelp(
      "Tables to render: names in the lake, paths to Delta tables (starting with /, ./ or ../), or - for the rows on stdin (default: the gold tables).",
      valueName: "table"))
  var tables: [String] = []

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Rows from this date on (YYYY-MM-DD).", valueName: "date"))
  var from: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Rows up to this date (YYYY-MM-DD).", valueName: "date"))
  var to: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Read tables as of this version or time (RFC 3339 or YYYY-MM-DD; a time before a table's first commit or after its latest is an error).",
      valueName: "version-or-time"),
    transform: AsOfArgument.checked)
  var asOf: AsOfArgument?

  @Option(
    help: ArgumentHelp(
      "Read rows from this file (NDJSON or Parquet; - for stdin) instead of the lake.",
      valueName: "file"),
    completion: .file())
  var input: String?

  @Flag(help: "Follow lh-gold --stream's windows on stdin and redraw a live view.")
  var follow = false

  @Option(
    help: ArgumentHelp(
      "Output format (default: text on a terminal, else ndjson).", valueName: "format"))
  var format: ReportFormat?

  @OptionGroup var drawing: DrawingOptions
  @OptionGroup var logging: LoggingOptions

  static func day(_ text: String, _ flag: String) throws -> Int64 {
    var t = text
    guard let d = t.withUTF8({ DateText.parse(UnsafeRawBufferPointer($0)) }) else {
      throw ValidationError("\(flag) wants a date YYYY-MM-DD, not '\(text)'")
    }
    return Int64(d)
  }

  func validate() throws {
    if let from, let to, try Self.day(from, "--from") > Self.day(to, "--to") {
      throw ValidationError("--from is after --to")
    }
    if let from { _ = try Self.day(from, "--from") }
    if let to { _ = try Self.day(to, "--to") }
    if input != nil && !tables.isEmpty { throw ValidationError("--input does not go with tables") }
    if tables.contains("-") && tables.count > 1 {
      throw ValidationError("- (the rows on stdin) goes alone, without other tables")
    }
    if follow && (!(tables.isEmpty || tables == ["-"]) || from != nil || to != nil || asOf != nil) {
      throw ValidationError("--follow reads a stream: no tables, --from, --to or --as-of")
    }
  }

  func execute(_ context: ToolContext) throws {
    let env = processEnvironment()
    let style = drawing.resolve(context, env)
    let format = format ?? (context.stdoutIsTerminal ? .text : .ndjson)
    if follow {
      var config = FollowConfig()
      config.input = input == "-" ? nil : input
      config.terminal = context.stdoutIsTerminal
      config.height = context.stdoutIsTerminal ? terminalRows() : 24
      config.style = style
      _ = try ReportFollow.run(config, output: context.stdout)
      if Interrupt.requested != 0 { throw Interrupted(signal: Interrupt.requested) }
      return
    }
    var config = ReportConfig(lake: LakeLayout.resolve(flag: lakeOptions.lake, environment: env))
    // stdin: asked for (- or --input), or implied when no table and no lake is named and
    // stdin carries data (a pipe or a file; never a terminal or /dev/null, as with ripgrep).
    let lakeNamed = lakeOptions.lake != nil || !(env["LH_LAKE"] ?? "").isEmpty
    config.stdin =
      input != nil || tables == ["-"]
      || (tables.isEmpty && !lakeNamed && FileDescriptor.standardInput.carriesData)
    config.tables = config.stdin ? [] : tables
    config.input = input == "-" ? nil : input
    config.from = try from.map { try Self.day($0, "--from") }
    config.to = try to.map { try Self.day($0, "--to") }
    config.asOf = asOf?.travel ?? .latest
    config.format = format
    config.style = style
    let rows = try ReportStage.run(config, output: context.stdout)
    context.diagnostics.detail("\(rows) rows")
  }
}

extension LhReport {
  struct Status: LakeCommand {
    static let toolName = "lh-report"
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Show each table's version, size and lag, and the bronze reconciliation.",
      usage: "lh-report status [<options>]",
      discussion: """
        For each table: version, rows, files, bytes, partitions, last commit time, and how \
        many bronze versions (and for how long) silver and gold lag behind bronze; then \
        bronze rows = silver rows + rejects + duplicates.

        With --check the status is 1 (a documented answer, for cron and monitoring), 0 \
        otherwise, when: a table lags more than --max-lag (default 1h); bronze's last commit \
        is older than --max-age (ingest has stalled; not checked unless given: set it to a \
        little more than the feed's period, such as 2h for hourly files); the lake does not \
        reconcile; or, with --deep, a file a table's current version references is missing \
        or its size is not the one the log records (--deep reads every table's file list and \
        stats each file). Each reason is one line on stderr, \
        "lh-report: " first. With --quiet, a check prints nothing on success, and on failure \
        only the reasons (without a check, --quiet keeps stderr quiet and the status is \
        printed).

        CSV is one table: a header with a section column first (tables or reconciliation), \
        then the columns of both sections; a row leaves the other section's columns empty. \
        NDJSON is one object a line, with a "section" key first.

        --format prometheus writes Prometheus' text exposition format, for node_exporter's \
        textfile collector: lh_table_rows, lh_table_version, lh_table_files, \
        lh_table_bytes, lh_table_partitions, lh_table_last_commit_timestamp_seconds and \
        lh_table_last_commit_age_seconds, lh_table_lag_versions and lh_table_lag_seconds \
        (each with a table label, such as {table="bronze/events"}), lh_reconciliation_rows \
        (by kind), lh_reconciled (1 or 0), lh_reject_ratio (rejects per bronze row read), \
        lh_status_problems (the reasons --check would give), and with --deep \
        lh_table_files_missing and lh_table_files_wrong_size. All are gauges. Write it to a \
        temporary file and rename it into the collector's directory, so that node_exporter \
        never reads half a file:

          lh-report status --lake ./lake --format prometheus > /var/lib/node_exporter/lh.prom.$$ \\
            && mv /var/lib/node_exporter/lh.prom.$$ /var/lib/node_exporter/lh.prom

        Examples:
          lh-report status --lake ./lake
          lh-report status --lake ./lake --check --quiet --max-age 2h --deep
          lh-report status --lake ./lake --format csv | duckdb -c "select * from read_csv('/dev/stdin') where section = 'tables'"
        """)

    @OptionGroup var lakeOptions: LakeOptions

    @Flag(
      help:
        "Exit 1 when a table is stale beyond --max-lag, bronze is older than --max-age, a file is missing or has the wrong size (--deep), or the lake does not reconcile."
    )
    var check = false

    @Option(
      parsing: .unconditional,
      help: ArgumentHelp("How long bronze commits may wait (default 1h).", valueName: "duration"),
      transform: DurationArgument.checked)
    var maxLag: DurationArgument?

    @Option(
      parsing: .unconditional,
      help: ArgumentHelp(
        "How old bronze's last commit may be before ingest counts as stalled (default: not checked).",
        valueName: "duration"),
      transform: DurationArgument.checked)
    var maxAge: DurationArgument?

    @Flag(
      help:
        "Also check that every file each table's current version references exists, with the size the log records (a --check problem, and metrics with --format prometheus)."
    )
    var deep = false

    @Option(
      help: ArgumentHelp(
        "Output format: text, csv, ndjson, markdown, html or prometheus (default: text on a terminal, else ndjson).",
        valueName: "format"))
    var format: StatusFormat?

    @OptionGroup var drawing: DrawingOptions
    @OptionGroup var logging: LoggingOptions

    func execute(_ context: ToolContext) throws {
      let env = processEnvironment()
      let style = drawing.resolve(context, env)
      let format = format ?? (context.stdoutIsTerminal ? .text : .ndjson)
      let lake = LakeLayout.resolve(flag: lakeOptions.lake, environment: env)
      var options = StatusOptions(now: SystemClock.wallMicroseconds() / 1000)
      options.maxLag = (maxLag?.micros ?? 3_600_000_000) / 1000
      options.maxAge = maxAge.map { $0.micros / 1000 }
      options.deep = deep
      let report = try LakeStatus.collect(lake, options)
      // --quiet with a check: the answer is the status and the reasons, nothing else.
      if !(logging.quiet && check) {
        try LakeStatus.render(report, format: format, style: style, output: context.stdout)
      }
      if check && !report.problems.isEmpty {
        try context.stdout.flush()
        for p in report.problems { context.diagnostics.error(p) }
        throw NegativeAnswer()
      }
    }
  }
}
