// LakeCLI/CommonOptions.swift
//
// Flags several tools share, each defined once with one help text and pulled in with
// `@OptionGroup` (argument-parser `Examples/math/Math.swift` `Options`).

import ArgumentParser
import LakeFormats
import LakeIO
import LakeTable

/// `--quiet` and `--verbose`.
public struct LoggingOptions: ParsableArguments {
  @Flag(name: .shortAndLong, help: "Print nothing on stderr but errors (no summary, no progress).")
  public var quiet = false

  @Flag(name: .shortAndLong, help: "Print more detail on stderr (resolved settings, timings).")
  public var verbose = false

  public init() {}
}

/// `--output`.
public struct OutputOptions: ParsableArguments {
  @Option(
    name: .shortAndLong, help: ArgumentHelp("Write to FILE instead of stdout.", valueName: "file"),
    completion: .file())
  public var output: String?

  public init() {}

  /// The output named by `-o`, open (see `OutputTarget`); nil for standard output (no `-o`,
  /// `-o -` or `-o /dev/stdout`), which the tool writes through its buffered stdout.
  ///
  /// `inPlace`: an output with no end (a stream) fills a regular file as it goes instead of
  /// publishing it whole at the end.
  public func target(inPlace: Bool = false) throws -> OutputTarget? {
    guard let output else { return nil }
    if try OutputTarget.classify(output).isStandardOutput { return nil }
    return try OutputTarget.open(output, inPlace: inPlace)
  }
}

/// Data formats the tools write.
public enum DataFormat: String, CaseIterable, ExpressibleByArgument, Sendable {
  case ndjson, parquet
}

/// `--zstd-level` and `--force` for tools that can write Parquet.
public struct ParquetOutputOptions: ParsableArguments {
  @Option(
    parsing: .unconditional,
    help:
      "zstd compression level of Parquet pages (1 to 22; negative levels, down to -7, are faster).")
  public var zstdLevel: Int32 = 3

  @Flag(help: "Write Parquet even when stdout is a terminal.")
  public var force = false

  public init() {}

  public func validate() throws {
    guard (-7...22).contains(zstdLevel) else {
      throw ValidationError("--zstd-level must be between -7 and 22")
    }
  }
}

/// `--max-line-bytes`: the longest NDJSON line a tool reading lines accepts.
public struct LineLimitOptions: ParsableArguments {
  @Option(
    parsing: .unconditional,
    help: .text(
      "Longest NDJSON input line accepted (longer: an error naming the line, status 65); memory grows with it.",
      default: ByteCountArgument(bytes: LineReader.defaultMaxLineBytes), valueName: "bytes"),
    transform: ByteCountArgument.checked)
  public var maxLineBytes = ByteCountArgument(bytes: LineReader.defaultMaxLineBytes)

  public init() {}

  public func validate() throws {
    // A Parquet byte array holds at most 2 GiB; a line is copied a few times on its way there.
    guard maxLineBytes.bytes <= 1 << 30 else {
      throw ValidationError("--max-line-bytes must be at most 1GiB")
    }
  }
}

/// `--lake`: the lake directory (else `$LH_LAKE`, else `./lake`).
public struct LakeOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp("The lake directory (default: $LH_LAKE, else ./lake).", valueName: "path"),
    completion: .directory)
  public var lake: String?

  public init() {}
}

/// `--wait` and `--no-wait`: what a writing run does when another lh run is writing one of its
/// tables (it holds the table's lock, LAKE/.lh/locks/<table>.lock).
public struct LockOptions: ParsableArguments {
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Wait up to DURATION for a table another lh run is writing, then carry on (default 10m; then status 75).",
      valueName: "duration"),
    transform: DurationArgument.checked)
  public var wait: DurationArgument?

  @Flag(help: "Exit 75 at once when another lh run is writing a table this run writes.")
  public var noWait = false

  public init() {}

  public func validate() throws {
    if noWait && wait != nil { throw ValidationError("--wait and --no-wait do not go together") }
  }

  /// The wait the flags ask for.
  public var lockWait: LockWait {
    noWait ? .noWait : .upTo(micros: wait?.micros ?? LockWait.defaultMicros)
  }
}

extension ToolContext {
  /// Says that the run waits for another run's table lock: on the progress line (a terminal
  /// only) and with --verbose, so that the one line of a run that gives up stays alone.
  public func waitingForLock(_ message: String) {
    diagnostics.detail(message)
    progress.update(message)
  }
}

/// A commit trigger: a number of rows, or a duration (`100000`, `30s`, `2m`).
public struct CommitTrigger: CheckedArgument, Sendable {
  public var rows: Int?
  public var seconds: Double?

  public init(rows: Int? = nil, seconds: Double? = nil) {
    self.rows = rows
    self.seconds = seconds
  }

  public static func checked(_ argument: String) throws -> CommitTrigger {
    if let n = Int(argument), n > 0 {
      return CommitTrigger(rows: n)
    } else if argument.contains(where: \.isLetter), let micros = DurationArgument.parse(argument),
      micros > 0
    {
      return CommitTrigger(seconds: Double(micros) / 1e6)
    }
    throw InvalidArgument(
      "give a number of rows above 0 (100000) or a duration with a unit above 0 (30s, 2m)")
  }

  /// The rows, or the duration with its unit.
  public var description: String {
    rows.map(String.init) ?? DurationArgument(micros: Int64((seconds ?? 0) * 1e6)).description
  }
}
