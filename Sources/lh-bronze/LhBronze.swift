// lh-bronze: land NDJSON lines in the lake's bronze table. Flags here, logic in
// LakeStages.BronzeStage.

import ArgumentParser
import LakeCLI
import LakeIO
import LakeStages
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

@main
struct LhBronze: LakeCommand {
  static let toolName = "lh-bronze"
  static let configuration = CommandConfiguration(
    commandName: "lh-bronze",
    abstract: "Land NDJSON lines, verbatim, in the lake's bronze table.",
    discussion: """
      Appends every input line to LAKE/bronze/events, a Delta table partitioned by ingest_date, \
      byte-exact, even a malformed line or one that is not UTF-8: the text in `line` (or the \
      exact bytes in `line_bytes` when not UTF-8), with `source`, `source_digest`, \
      `line_number` and `ingested_at` to trace each row to its origin. Inputs are files or \
      stdin, plain or compressed with zstd or gzip (detected by content).

      A directory stands for the regular files in it (not recursive, in name order), skipping \
      dot-files and names ending in .tmp, .part or ~; so cron may hand lh-bronze the same spool \
      folder every minute. An empty spool, or a glob the shell passed unmatched (a missing name \
      with *, ? or [), lands nothing and exits 0; a missing file named outright exits 66.

      Files may still be growing: only whole lines land. A last line without a newline (or the \
      rest of a zstd frame or gzip member cut short) is held back until the file has not \
      changed for --settle (default 10s: its size and modification time stay the same), or \
      --final says the files are complete; the next run lands it. A complete compressed file is \
      final; stdin is final at its end. A compressed file cut short that is final exits 65.

      Each file's landed part is recorded by content in the table's log (its first line, its \
      length, its digest), so a file that grew resumes after its last landed line, under any \
      name: a file renamed from x.tmp to x.ndjson, or moved, is recognised, and one landed \
      whole is skipped. Resuming reads the landed part once to check it. A file whose landed \
      part changed was rewritten, not appended: lh-bronze says so and lands it whole as a new \
      file. A file shorter than a landed file that starts with the same line waits until it \
      settles (it may be a copy still being made). Writers: write to a temporary name (x.tmp, \
      x.part, .x) and rename into place, or append whole lines; a writer that pauses inside a \
      line for longer than --settle has that line landed cut.

      A stream commits every --commit-every rows or seconds (default 1000000 rows or 30s, \
      whichever comes first); SIGINT or SIGTERM commits what was read, then exits; a kill -9 \
      loses at most the batch not yet committed and never leaves a table a reader cannot open. \
      Two runs at once never land a line twice. A run landing files holds the lock \
      LAKE/.lh/locks/bronze/events.lock (flock; released by the kernel even after kill -9): a \
      run started meanwhile waits for it (--wait, default 10m), then skips what was landed and \
      exits 0; --no-wait exits 75 at once, naming the pid holding it. Reading only stdin takes \
      no lock.

      --tee copies each line landed to stdout; if its reader goes away (head, a crashed \
      consumer), lh-bronze says at which line the copy stopped and goes on landing.

      Examples:
        lh-gen --count 100000 | lh-bronze --lake ./lake
        lh-bronze --lake ./lake spool/
        lh-gen --follow --rate 1000 | lh-bronze --commit-every 10s --tee | your-stream-job
      """,
    version: LakeVersion.string)

  @Argument(
    help: ArgumentHelp(
      "NDJSON files, or spool directories, to land (none or - for stdin).", valueName: "file"),
    completion: .file())
  var files: [String] = []

  @OptionGroup var lakeOptions: LakeOptions

  @Option(
    parsing: .unconditionalSingleValue,
    help: ArgumentHelp(
      "Commit every N rows or every DURATION (repeatable; default 1000000 and 30s).",
      valueName: "rows-or-duration"),
    transform: CommitTrigger.checked)
  var commitEvery: [CommitTrigger] = []

  @Flag(help: "Copy every landed line to stdout, unchanged.")
  var tee = false

  @Flag(help: "Say what would be landed; write nothing.")
  var dryRun = false

  @Option(
    help: ArgumentHelp(
      "A file unchanged for DURATION is complete: its unfinished last line lands (default 10s).",
      valueName: "duration"))
  var settle: DurationArgument?

  @Flag(help: "The files are complete: land an unfinished last line now.")
  var final = false

  @OptionGroup var lineLimit: LineLimitOptions

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Threads that encode and compress data files (default: one per processor).",
      valueName: "n"))
  var threads: Int?

  @Option(
    parsing: .unconditional,
    help:
      "zstd compression level of the data files (1 to 22; negative levels, down to -7, are faster)."
  )
  var zstdLevel: Int32 = 3

  @OptionGroup var lockOptions: LockOptions

  @OptionGroup var logging: LoggingOptions

  func validate() throws {
    guard (-7...22).contains(zstdLevel) else {
      throw ValidationError("--zstd-level must be between -7 and 22")
    }
    if let threads, threads < 1 || threads > 256 {
      throw ValidationError("--threads must be between 1 and 256")
    }
    if tee && dryRun { throw ValidationError("--tee and --dry-run do not go together") }
  }

  func execute(_ context: ToolContext) throws {
    let environment = processEnvironment()
    var config = BronzeConfig(
      lake: LakeLayout.resolve(flag: lakeOptions.lake, environment: environment),
      inputs: files.isEmpty ? [nil] : files.map { $0 == "-" ? nil : $0 },
      engine: "lh-bronze/\(LakeVersion.string)")
    for trigger in commitEvery {
      if let rows = trigger.rows { config.commitEveryRows = rows }
      if let seconds = trigger.seconds { config.commitEverySeconds = seconds }
    }
    config.dryRun = dryRun
    config.final = final
    if let settle { config.settleSeconds = Double(settle.micros) / 1e6 }
    config.lockWait = lockOptions.lockWait
    config.maxLineBytes = lineLimit.maxLineBytes.bytes
    if let threads { config.threads = threads }
    config.parquet.compressionLevel = zstdLevel
    let diagnostics = context.diagnostics
    let summary = try BronzeStage.run(
      config, tee: tee ? context.stdout : nil, waiting: context.waitingForLock,
      note: { diagnostics.note($0) })
    if !dryRun {
      let s = summary
      func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
      var report =
        "landed \(plural(s.linesLanded, "line")) (\(s.bytesLanded) bytes) from \(plural(s.sources, "source"))"
        + " in \(plural(s.dataFiles, "file")), \(plural(s.commits, "commit"))"
      if let v = s.lastVersion { report += " (\(config.lake.bronzeEvents) version \(v))" }
      if s.filesSkipped > 0 {
        report += "; skipped \(plural(s.filesSkipped, "source")) already landed"
      }
      if s.linesHeldBack + s.filesHeldBack > 0 {
        report += "; held back \(plural(s.linesHeldBack + s.filesHeldBack, "unfinished file"))"
      }
      diagnostics.note(report)
    }
    if summary.interrupted { throw Interrupted(signal: Interrupt.requested) }
  }
}
