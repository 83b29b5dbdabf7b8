// lh-gen: realistic synthetic events as NDJSON. Flags here, logic in LakeStages.GenStage.

import ArgumentParser
import LakeCLI
import LakeFormats
import LakeIO
import LakeStages

@main
struct LhGen: LakeCommand {
  static let toolName = "lh-gen"
  static let configuration = CommandConfiguration(
    commandName: "lh-gen",
    abstract: "Generate realistic synthetic events as NDJSON.",
    discussion: """
      Writes events of a built-in dataset (clickstream, iot or sales) to stdout, one JSON \
      object per line, keys in schema order, timestamps in RFC 3339 UTC. Clickstream users walk \
      a funnel (login, page views and clicks, add_to_cart, purchase, logout) with drop-off; 80% \
      of events come from 20% of users; the user base grows over time; event volume follows a \
      daily cycle (busiest at 20:00 UTC). iot devices report drifting sensor values with \
      occasional spikes; sales orders always cost less than their revenue.

      The same --seed and flags give the same bytes. Faults (--late, --duplicates, --malformed) \
      are injected so that the rest of the pipeline can be exercised; the counts of each are \
      printed on stderr at the end.

      -o FILE: a regular file (or a new path, or a symbolic link to either: the link is kept) is \
      written under a hidden temporary name beside it and renamed into place when the run \
      ends, so a spool reader never sees part of it (with --follow, which never ends, the \
      file is filled as it goes instead); - and /dev/stdout are stdout; a FIFO or a device is \
      written through.

      Examples:
        lh-gen --count 1000000 --seed 7 > events.ndjson
        lh-gen --contract iot --duration 6h --count 200000
        lh-gen --follow --rate 500 --late 0.02 --duplicates 0.01 | head -n 5000
        lh-gen --follow --rate 1000 --burst 20000:5:60 > spool/live.ndjson
        lh-gen --format parquet --count 1000000 -o events.parquet
      """,
    version: LakeVersion.string)

  @Option(help: "The dataset: clickstream, iot or sales.")
  var contract: Dataset = .clickstream

  @Option(
    name: .shortAndLong, parsing: .unconditional,
    help: "Lines to write (default 100000; unbounded with --follow).")
  var count: Int?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Event-time span the lines cover, e.g. 6h, 90m, 2d (default 24h).", valueName: "duration"),
    transform: DurationArgument.checked)
  var duration: DurationArgument?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Event time of the first line, RFC 3339 or a date (default 2026-01-01T00:00:00Z).",
      valueName: "time"),
    transform: TimestampArgument.checked)
  var start: TimestampArgument?

  @Flag(help: "Never stop (or stop after --count); event time is wall time; paced by --rate.")
  var follow = false

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Pace output to this many events per second of wall time (default 1000 with --follow).",
      valueName: "eps"))
  var rate: Double?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Bursts on top of --rate: every EVERY seconds, SECONDS long at RATE events per second.",
      valueName: "rate:seconds:every"),
    transform: BurstArgument.checked)
  var burst: BurstArgument?

  @Option(parsing: .unconditional, help: "Seed of the pseudo-random generator.")
  var seed: UInt64 = 42

  @Option(parsing: .unconditional, help: "Clickstream users at the start.")
  var users: Int = 10_000

  @Option(
    parsing: .unconditional,
    help: .text(
      "Growth of the clickstream user base per day, as a fraction.",
      default: FractionArgument(value: 0.05), valueName: "fraction"),
    transform: FractionArgument.checked)
  var userGrowth = FractionArgument(value: 0.05)

  @Option(parsing: .unconditional, help: "iot devices (three sensors each).")
  var devices: Int = 500

  @Option(parsing: .unconditional, help: "sales stores.")
  var stores: Int = 40

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Fraction of events whose event time lags behind.", valueName: "fraction"),
    transform: FractionArgument.checked)
  var late: FractionArgument?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("The most a late event lags (default 10m).", valueName: "duration"),
    transform: DurationArgument.checked)
  var lateBy: DurationArgument?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Fraction of lines that re-send an earlier event verbatim.", valueName: "fraction"),
    transform: FractionArgument.checked)
  var duplicates: FractionArgument?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Fraction of lines broken on purpose: truncated, wrong type, missing key, unknown enum value or invalid UTF-8.",
      valueName: "fraction"),
    transform: FractionArgument.checked)
  var malformed: FractionArgument?

  @Option(help: "Output format: ndjson, or parquet (zstd, typed columns of the dataset).")
  var format: DataFormat = .ndjson

  @OptionGroup var parquet: ParquetOutputOptions
  @OptionGroup var outputOptions: OutputOptions
  @OptionGroup var logging: LoggingOptions

  func validate() throws {
    if let count, count < 0 { throw ValidationError("--count must be 0 or more") }
    if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be above 0") }
    if burst != nil && rate == nil && !follow {
      throw ValidationError("--burst needs --rate or --follow")
    }
    if follow && (duration != nil || start != nil) {
      throw ValidationError("--follow uses wall time; --duration and --start do not apply")
    }
    if users < 1 || devices < 1 || stores < 1 {
      throw ValidationError("--users, --devices and --stores must be 1 or more")
    }
    if (duplicates?.value ?? 0) + (malformed?.value ?? 0) > 1 {
      throw ValidationError("--duplicates and --malformed add up to more than 1")
    }
    if let duration, duration.micros == 0 { throw ValidationError("--duration must be above 0") }
    if format == .parquet && (malformed?.value ?? 0) > 0 {
      throw ValidationError(
        "--malformed writes broken lines, which typed Parquet columns cannot hold; use --format ndjson"
      )
    }
  }

  var config: GenConfig {
    var c = GenConfig()
    c.dataset = contract
    c.count = count ?? (follow ? nil : 100_000)
    if let duration { c.durationMicros = duration.micros }
    if let start { c.startMicros = start.micros }
    c.follow = follow
    c.rate = rate ?? (follow ? 1_000 : nil)
    c.burst = burst?.burst
    c.seed = seed
    c.users = users
    c.userGrowthPerDay = userGrowth.value
    c.devices = devices
    c.stores = stores
    c.faults.late = late?.value ?? 0
    if let lateBy { c.faults.lateByMicros = max(lateBy.micros, 1) }
    c.faults.duplicates = duplicates?.value ?? 0
    c.faults.malformed = malformed?.value ?? 0
    return c
  }

  func execute(_ context: ToolContext) throws {
    if format == .parquet {
      try executeParquet(context)
      return
    }
    let config = self.config
    context.diagnostics.detail(
      "contract \(config.dataset.rawValue), seed \(config.seed), count \(config.count.map(String.init) ?? "unbounded")"
    )
    // -o: a regular file is published whole (OutputTarget), or with --follow, which has no end,
    // filled as it goes; a FIFO or device written through.
    let target = try outputOptions.target(inPlace: config.follow)
    let output = target.map { OutputBuffer(destination: $0.descriptor) } ?? context.stdout
    let progress = context.progress
    let summary = try GenStage.run(
      config: config, output: output,
      flushEachBatch: (target?.descriptor ?? .standardOutput).isTerminal
    ) { s in
      progress.update(
        "\(Progress.compact(Double(s.lines))) lines, \(Progress.compact(Double(s.lines) / max(progress.elapsedSeconds, 1e-3)))/s"
      )
    }
    if let target {
      try output.flush()
      try target.commit()
    }
    progress.finish()
    context.diagnostics.note(summary.report)
    if summary.interrupted { throw Interrupted(signal: Interrupt.requested) }
  }
}

extension LhGen {
  /// Generates NDJSON in memory and converts it, batch by batch, into one Parquet file.
  func executeParquet(_ context: ToolContext) throws {
    let target = try outputOptions.target()
    if (target?.descriptor ?? .standardOutput).isTerminal && !parquet.force {
      target?.abort()
      throw LakeFailure(
        .usage, "refusing to write Parquet to a terminal: redirect stdout, use -o FILE, or --force")
    }
    var options = ParquetWriteOptions()
    options.compressionLevel = parquet.zstdLevel
    options.createdBy = "lh-gen version \(LakeVersion.string)"
    let schema = contract.schema
    let writer = try ParquetFileWriter(
      output: target.map { OutputBuffer(destination: $0.descriptor) } ?? context.stdout,
      schema: schema, options: options)
    let converter = LinesToParquet(schema: schema, writer: writer)
    let lines = OutputBuffer(capacity: 1 << 20) { try converter.consume($0) }
    let progress = context.progress
    let summary = try GenStage.run(config: config, output: lines) { s in
      progress.update("\(Progress.compact(Double(s.lines))) rows")
    }
    let file = try converter.finish()
    try target?.commit()
    progress.finish()
    context.diagnostics.note(summary.report)
    context.diagnostics.detail(
      "parquet: \(file.rows) rows in \(file.rowGroups) row groups, \(file.bytes) bytes")
    if summary.interrupted { throw Interrupted(signal: Interrupt.requested) }
  }
}

extension Dataset: ExpressibleByArgument {}
