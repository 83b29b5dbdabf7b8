// lh-gold: the contract's KPI tables from silver. Flags here, logic in LakeStages.GoldStage.

import ArgumentParser
import LakeCLI
import LakeContracts
import LakeFormats
import LakeIO
import LakeStages
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

@main
struct LhGold: LakeCommand {
  static let toolName = "lh-gold"
  static let configuration = CommandConfiguration(
    commandName: "lh-gold",
    abstract: "Compute the contract's gold (KPI) tables from silver.",
    discussion: """
      Each gold table of the contract becomes a Delta table LAKE/gold/<name>, partitioned by \
      event_date (the local date of its time bucket). A run recomputes only the days touched \
      by the silver commits it has not seen, replacing them in one commit per table with its \
      progress recorded in the same commit, so late events landing in an old day correct that \
      day and a rerun or a crash never counts a row twice. Days and hours are cut in --tz \
      (daylight-saving days included); minutes are UTC. Sums of money stay exact decimals, \
      and are never taken across currencies: a contract column declared with "currency C" is kept \
      per currency (its tables group by C; the contract is refused otherwise).

      Saved day states: each table keeps, for the newest 3 local days silver holds, its \
      aggregation of the day (groups, mergeable metric partials, count_distinct's exact \
      value sets) and the silver files it covers, in LAKE/gold/<name>/_lh/state/. A run \
      merges a day's state and reads only the day's silver files it does not cover, so a run \
      over N new rows costs about the same late in the day as early; the day is still \
      written whole. A state is used only while its files are live in silver (lh-pack \
      compact's rewrites are followed); a changed table, zone or column type, a damaged \
      state, other removals and late rows into older days recompute the day from silver. \
      -v says per table how many days came from a state and how many silver files were read.

      Archived silver: lh-pack archive --remove (archiving, retention) takes old silver \
      partitions out of the lake, and their gold days stay: lh-gold recognises lh-pack's \
      removal commits and touches no gold day for them. A day part of whose silver rows were \
      archived cannot be recomputed from silver any more: its gold rows are kept, also when \
      late rows for it land in silver later (lh-gold says so on stderr; those rows are not \
      counted) and on --rebuild ("kept N gold days silver can no longer recompute"). \
      --drop-unrecomputable recomputes such days from what silver still has (or empties \
      them) instead. lh-pack restore of the archive into the lake makes them recomputable \
      again, and the next run recomputes them. A --rebuild that changes a table's columns or \
      time zone while it holds such days is refused: restore first, or drop them.

      Settings are remembered: the contract is the one silver records (--contract may only \
      repeat it), and each table records its zone (table property lh.gold.timeZone), kept by a \
      run without --tz; another zone needs --rebuild. A run locks the tables it writes \
      (LAKE/.lh/locks/gold/<name>.lock, flock, in name order): a run started meanwhile waits \
      (--wait, default 10m), then does what is left and exits 0; --no-wait exits 75 at once.

      Stream (--stream): silver rows (NDJSON or Parquet) on stdin, one gold table's tumbling \
      windows as NDJSON on stdout. A window is emitted once the watermark (the newest event \
      time minus --watermark) passes its end; with --emit update, open windows are also emitted \
      every --update-every seconds, marked "final":false. Rows behind the watermark are late: \
      they are counted in a {"window_start":...,"late_rows":N} record instead.

      Examples:
        lh-gold --lake ./lake
        lh-gold --lake ./lake --tz Europe/Berlin --table kpi_minute
        lh-gold --lake ./lake --from 2026-01-01 --to 2026-01-31
        lh-gen --follow | lh-silver --stream | lh-gold --stream --table kpi_minute
      """,
    version: LakeVersion.string)

  @OptionGroup var lakeOptions: LakeOptions

  @Option(
    help: ArgumentHelp(
      "A built-in contract (clickstream, iot, sales) or a contract file (default: the one silver records, else clickstream).",
      valueName: "name-or-file"),
    completion: .file())
  var contract: String?

  @Option(
    help: ArgumentHelp(
      "Gold tables to compute (repeatable; default: all of the contract's).", valueName: "name"))
  var table: [String] = []

  @Option(
    help: ArgumentHelp(
      "Time zone days and hours are cut in (IANA name; default: the one each table records, else UTC).",
      valueName: "zone"))
  var tz: String?

  @Flag(help: "Recompute every day (after a contract change).")
  var rebuild = false

  @Flag(
    help:
      "Recompute days part of whose silver rows were archived (lh-pack archive --remove) from what silver still has, instead of keeping their gold rows."
  )
  var dropUnrecomputable = false

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Recompute days from this date on (YYYY-MM-DD).", valueName: "date"))
  var from: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Recompute days up to this date (YYYY-MM-DD).", valueName: "date"))
  var to: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Read silver as of this version or time (RFC 3339 or YYYY-MM-DD; a time before silver's first commit or after its latest is an error).",
      valueName: "version-or-time"),
    transform: AsOfArgument.checked)
  var asOf: AsOfArgument?

  @Flag(help: "Say which days would be recomputed; write nothing.")
  var dryRun = false

  @Flag(help: "Compute one gold table's windows from silver rows on stdin, as NDJSON on stdout.")
  var stream = false

  @Argument(
    help: ArgumentHelp("With --stream: the input (none or - for stdin).", valueName: "file"),
    completion: .file())
  var input: String?

  @OptionGroup var lineLimit: LineLimitOptions

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "With --stream: how far behind the newest event time a window closes (default 2m).",
      valueName: "duration"),
    transform: DurationArgument.checked)
  var watermark: DurationArgument?

  @Option(
    help: ArgumentHelp(
      "With --stream: emit each window once, when final, or also as running updates.",
      valueName: "final|update"))
  var emit: EmitMode = .final

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "With --stream --emit update: seconds between updates (default 5s).", valueName: "duration"),
    transform: DurationArgument.checked)
  var updateEvery: DurationArgument?

  @Option(
    help: ArgumentHelp(
      "With --stream: also append final windows to LAKE/gold/<table>_live.", valueName: "lake"),
    completion: .directory)
  var into: String?

  enum EmitMode: String, ExpressibleByArgument, CaseIterable {
    case final, update
  }

  @OptionGroup var lockOptions: LockOptions

  @OptionGroup var logging: LoggingOptions

  static func day(_ text: String, _ flag: String) throws -> Int64 {
    var t = text
    guard let d = t.withUTF8({ DateText.parse(UnsafeRawBufferPointer($0)) }) else {
      throw ValidationError("\(flag) wants a date YYYY-MM-DD, not '\(text)'")
    }
    return Int64(d)
  }

  func validate() throws {
    if let from { _ = try Self.day(from, "--from") }
    if let to { _ = try Self.day(to, "--to") }
    if let from, let to, try Self.day(from, "--from") > Self.day(to, "--to") {
      throw ValidationError("--from is after --to")
    }
    // A table name is a directory under LAKE/gold: checked before anything is read or made.
    for name in table {
      do {
        try LakeLayout.checkTableName(name)
      } catch let e as LakeFailure {
        throw ValidationError(e.message)
      }
    }
    if rebuild && (from != nil || to != nil) {
      throw ValidationError("--rebuild recomputes every day: it does not go with --from/--to")
    }
    if stream {
      if rebuild || from != nil || to != nil || asOf != nil || dryRun || dropUnrecomputable {
        throw ValidationError(
          "--stream does not go with --rebuild, --from, --to, --as-of, --dry-run or --drop-unrecomputable"
        )
      }
      if table.count > 1 { throw ValidationError("--stream computes one --table") }
    } else {
      if input != nil { throw ValidationError("an input file goes only with --stream") }
      if watermark != nil || updateEvery != nil || emit != .final || into != nil {
        throw ValidationError(
          "--watermark, --emit, --update-every and --into go only with --stream")
      }
    }
  }

  func execute(_ context: ToolContext) throws {
    let environment = processEnvironment()
    let resolved: Contract
    do { resolved = try Contract.resolve(contract ?? Contract.builtinNames[0]) } catch {
      throw error
    }
    if stream {
      try runStream(resolved, context)
      return
    }
    var config = GoldConfig(
      lake: LakeLayout.resolve(flag: lakeOptions.lake, environment: environment),
      contract: resolved, engine: "lh-gold/\(LakeVersion.string)")
    config.contractOrigin = ContractOrigin(flag: contract)
    config.lockWait = lockOptions.lockWait
    config.zone = tz
    config.tables = table.isEmpty ? nil : table
    config.rebuild = rebuild
    config.from = try from.map { try Self.day($0, "--from") }
    config.to = try to.map { try Self.day($0, "--to") }
    config.asOf = asOf?.travel ?? .latest
    config.dryRun = dryRun
    config.dropUnrecomputable = dropUnrecomputable
    let diagnostics = context.diagnostics
    if asOf == nil,
      let nothing = try StageInput.notYetCommitted(config.lake.silverEvents, lake: config.lake)
    {
      diagnostics.note(nothing)
      return
    }
    let summaries = try GoldStage.run(
      config, waiting: context.waitingForLock, note: { diagnostics.note($0) })
    if !dryRun {
      let changed = summaries.filter { $0.version != nil }
      let rows = changed.reduce(0) { $0 + $1.rows }
      let days = changed.map(\.days).max() ?? 0
      diagnostics.note(
        "\(changed.count) of \(summaries.count) gold tables updated (\(days) day\(days == 1 ? "" : "s") recomputed, \(rows) rows)"
      )
      if logging.verbose {
        for s in summaries {
          diagnostics.note(
            "  \(s.name): "
              + (s.version.map {
                "version \($0), \(s.days) days (\(s.daysFromState) from saved state), \(s.rows) rows; read \(s.filesRead) silver files, \(s.rowsRead) rows"
              } ?? "up to date"))
        }
      }
    }
  }
}

extension LhGold {
  func runStream(_ contract: Contract, _ context: ToolContext) throws {
    // The table: the one named, else the contract's first minute table, else its first.
    let name = table.first
    guard
      let gold = name.map({ n in contract.gold.first { $0.name == n } })
        ?? contract.gold.first(where: { $0.grain == .minute }) ?? contract.gold.first
    else {
      throw LakeFailure(
        .usage,
        name.map { "contract '\(contract.name)' has no gold table '\($0)'" }
          ?? "contract '\(contract.name)' has no gold tables")
    }
    var config = GoldStreamConfig(contract: contract, table: gold)
    config.zone = tz ?? "UTC"
    config.input = input == "-" ? nil : input
    config.maxLineBytes = lineLimit.maxLineBytes.bytes
    if let watermark { config.watermark = watermark.micros }
    config.updates = emit == .update
    if let updateEvery { config.updateEvery = Double(updateEvery.micros) / 1e6 }
    config.into = into.map { LakeLayout(root: $0) }
    config.engine = "lh-gold/\(LakeVersion.string)"
    let s = try GoldStream.run(config, output: context.stdout)
    context.diagnostics.note(
      "\(gold.name): \(s.rows) rows, \(s.windows) windows emitted, \(s.lateRows) late rows"
        + (config.updates ? ", \(s.updates) updates" : ""))
    if s.interrupted { throw Interrupted(signal: Interrupt.requested) }
  }
}
