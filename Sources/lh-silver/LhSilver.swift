// lh-silver: refine bronze lines into typed, validated, deduplicated silver rows. Flags here,
// logic in LakeStages.SilverStage.

import ArgumentParser
import LakeCLI
import LakeContracts
import LakeIO
import LakeStages
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

@main
struct LhSilver: LakeCommand {
  static let toolName = "lh-silver"
  static let configuration = CommandConfiguration(
    commandName: "lh-silver",
    abstract: "Refine bronze lines into typed, validated, deduplicated silver rows.",
    discussion: """
      Batch (the default): reads the commits of LAKE/bronze/events that silver does not hold \
      yet, checks each line against the contract, writes good rows to LAKE/silver/events \
      (partitioned by event_date) and bad ones to LAKE/silver/rejects with a reason code, and \
      drops duplicates by key, however late they arrive within the same event day. Each table \
      records the last bronze version it holds in its log, in the commit that adds the rows, \
      so a rerun, a crash or two overlapping runs never process a line twice or skip one. \
      Every commit records bronze rows = silver rows + rejects + duplicates.

      The duplicate check uses a key index, LAKE/silver/events/_lh/keys: per event day, sorted \
      runs of 64-bit key hashes, each naming the silver files it covers, written after each \
      commit, so a run over N new rows reads no silver file of the days it touches. It is a \
      cache: a run of it is used only while every file it names is live, the other files' keys \
      are read from silver; deleting it is always safe. --dry-run reads it and writes nothing; \
      --rebuild replaces it.

      A run locks both tables (LAKE/.lh/locks/silver/events.lock and rejects.lock, flock; a \
      run that dies, even by kill -9, holds nothing): a run started meanwhile waits (--wait, \
      default 10m), then finds silver up to date and exits 0; --no-wait exits 75 at once.

      The tables record the contract (table properties lh.contract, lh.contract.source, \
      lh.contract.digest, lh.contract.text), so a later run needs no --contract, even when the \
      file is gone. --contract with the recorded contract is fine; another contract, or a \
      contract file whose columns or rules changed, is a usage error unless --rebuild (a file \
      that adds optional columns evolves the table; one that changes only gold tables is \
      recorded as it is).

      Stream (--stream): NDJSON or Parquet on stdin, clean rows as NDJSON on stdout in the \
      contract's column order (unknown keys kept at the end), flushed as they come; duplicates \
      dropped within --dedupe-window of event time; rejects to --rejects FILE. A regular \
      FILE (or the target of a link) is truncated and filled as rejects come, flushed with \
      the rows, so a kill -9 keeps what was flushed; a FIFO or /dev/stderr is written \
      through; - is refused (stdout carries the rows).

      Examples:
        lh-gen --count 100000 | lh-bronze --lake ./lake && lh-silver --lake ./lake
        lh-silver --lake ./lake --contract my.contract --rebuild
        lh-gen --follow --rate 100 | lh-silver --stream --rejects bad.ndjson | your-consumer
        lh-silver --print-contract iot > my.contract
      """,
    version: LakeVersion.string)

  @Argument(
    help: ArgumentHelp("With --stream: the input (none or - for stdin).", valueName: "file"),
    completion: .file())
  var input: String?

  @OptionGroup var lakeOptions: LakeOptions

  @Option(
    help: ArgumentHelp(
      "The contract: clickstream, iot, sales, or a contract file (default: the one silver records, else clickstream).",
      valueName: "name-or-file"),
    completion: .file())
  var contract: String?

  @Option(
    help: ArgumentHelp(
      "Print the built-in contract NAME (clickstream, iot, sales) and exit.", valueName: "name"))
  var printContract: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Read bronze as of this version or time (RFC 3339 or a date; a time before bronze's first commit or after its latest is an error).",
      valueName: "version-or-time"),
    transform: AsOfArgument.checked)
  var asOf: AsOfArgument?

  @Flag(
    help: "Recompute silver from all of bronze and replace both tables (one commit each).")
  var rebuild = false

  @Flag(help: "Refine stdin to stdout instead of the lake's tables.")
  var stream = false

  @Option(
    parsing: .unconditional,
    help: .text(
      "With --stream: drop a duplicate within this much event time.",
      default: DurationArgument(micros: 600_000_000), valueName: "duration"),
    transform: DurationArgument.checked)
  var dedupeWindow = DurationArgument(micros: 600_000_000)

  @Option(
    help: ArgumentHelp("With --stream: write rejects to FILE as NDJSON.", valueName: "file"),
    completion: .file())
  var rejects: String?

  @OptionGroup var lineLimit: LineLimitOptions

  @Flag(help: "Say what would be written; write nothing.")
  var dryRun = false

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Threads that encode and compress data files (default: one per processor).",
      valueName: "n"))
  var threads: Int?

  @OptionGroup var lockOptions: LockOptions

  @OptionGroup var logging: LoggingOptions

  func validate() throws {
    if let threads, threads < 1 || threads > 256 {
      throw ValidationError("--threads must be between 1 and 256")
    }
    if stream {
      if rebuild || asOf != nil || dryRun {
        throw ValidationError("--stream does not go with --rebuild, --as-of or --dry-run")
      }
    } else {
      if input != nil { throw ValidationError("an input file goes only with --stream") }
      if rejects != nil { throw ValidationError("--rejects goes only with --stream") }
    }
    if dedupeWindow.micros <= 0 { throw ValidationError("--dedupe-window must be positive") }
  }

  func execute(_ context: ToolContext) throws {
    let diagnostics = context.diagnostics
    if let name = printContract {
      guard let c = Contract.builtin(name) else {
        throw LakeFailure(
          .usage, "no built-in contract '\(name)' (there are clickstream, iot and sales)")
      }
      try context.stdout.write(c.render())
      return
    }
    let resolved = try Contract.resolve(contract ?? Contract.builtinNames[0])
    func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
    func details(_ reasons: [(reason: String, count: Int)], _ unknown: [(key: String, count: Int)])
    {
      if !reasons.isEmpty {
        diagnostics.note(
          "rejects by reason: " + reasons.map { "\($0.reason) \($0.count)" }.joined(separator: ", ")
        )
      }
      if !unknown.isEmpty {
        diagnostics.note(
          "unknown keys kept in _extra: "
            + unknown.prefix(20).map { "\($0.key) \($0.count)" }.joined(separator: ", ")
            + (unknown.count > 20 ? ", …" : ""))
      }
    }

    if stream {
      var config = SilverStreamConfig(contract: resolved)
      config.dedupeWindowMicros = dedupeWindow.micros
      config.rejectsPath = rejects
      config.maxLineBytes = lineLimit.maxLineBytes.bytes
      config.input = input == "-" ? nil : input
      let s = try SilverStage.stream(config, output: context.stdout)
      diagnostics.note(
        "\(plural(s.lines, "line")): \(plural(s.rows, "row")), \(plural(s.rejects, "reject")), "
          + "\(plural(s.duplicates, "duplicate")) (window keys held: at most \(s.maxKeysHeld))")
      details(s.rejectReasons, s.unknownKeys)
      if s.interrupted { throw Interrupted(signal: Interrupt.requested) }
      return
    }

    var config = SilverConfig(
      lake: LakeLayout.resolve(flag: lakeOptions.lake, environment: processEnvironment()),
      contract: resolved, engine: "lh-silver/\(LakeVersion.string)")
    config.contractOrigin = ContractOrigin(flag: contract)
    config.lockWait = lockOptions.lockWait
    config.asOf = asOf?.travel ?? .latest
    if asOf == nil,
      let nothing = try StageInput.notYetCommitted(config.lake.bronzeEvents, lake: config.lake)
    {
      diagnostics.note(nothing)
      return
    }
    config.rebuild = rebuild
    config.dryRun = dryRun
    if let threads { config.threads = threads }
    let s = try SilverStage.run(config, waiting: context.waitingForLock)
    if let c = s.contract { diagnostics.detail("contract '\(c.name)'") }
    if s.interrupted {
      diagnostics.note("stopped before committing; nothing written")
      throw Interrupted(signal: Interrupt.requested)
    }
    guard let from = s.fromVersion else {
      diagnostics.note(
        "silver is up to date with \(config.lake.bronzeEvents) version \(s.bronzeVersion)")
      return
    }
    let c = s.counts
    var report =
      "\(dryRun ? "would refine" : "refined") bronze versions \(from)–\(s.bronzeVersion): "
      + "\(plural(c.bronzeRows, "row")) → \(plural(c.silverRows, "silver row")), "
      + "\(plural(c.rejects, "reject")), \(plural(c.duplicates, "duplicate"))"
    if let v = s.eventsVersion { report += "; \(config.lake.silverEvents) version \(v)" }
    if let v = s.rejectsVersion { report += "; \(config.lake.silverRejects) version \(v)" }
    diagnostics.note(report)
    diagnostics.note(
      "reconciliation: bronze \(c.bronzeRows) = silver \(c.silverRows) + rejects \(c.rejects) "
        + "+ duplicates \(c.duplicates)"
        + (c.acceptedEarlier > 0 ? " + refined earlier \(c.acceptedEarlier)" : "")
        + (c.reconciles ? "" : " — DOES NOT RECONCILE"))
    if !s.addedColumns.isEmpty {
      diagnostics.note(
        "schema evolved: added \(s.addedColumns.joined(separator: ", ")) (older rows read null)")
    }
    details(s.rejectReasons, s.unknownKeys)
    diagnostics.detail(
      "duplicate check: \(plural(s.daysChecked, "event day")), \(s.keysLoaded) keys loaded from "
        + "\(plural(s.keyFilesRead, "silver file")), \(s.keysIndexed) in the key index, "
        + "\(s.keySetBytes >> 20) MiB of key hashes; \(plural(s.indexRunsWritten, "index run")) written"
    )
    if !c.reconciles {
      throw LakeFailure(.software, "internal error: the counts do not reconcile; please report it")
    }
  }
}
