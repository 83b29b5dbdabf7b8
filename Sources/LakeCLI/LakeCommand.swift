// LakeCLI/LakeCommand.swift
//
// The shape every lh tool shares. A tool is `@main struct LhX: LakeCommand` whose `execute`
// turns its flags into a config and calls one library entry point. `LakeCommand.main()`:
//
//   install signals ─▶ parse flags ─▶ execute(context) ─▶ flush stdout ─▶ exit status
//        │                 │ usage error: "lh-x: message" + usage line, 64
//        │                 └ --help / --version: stdout, 0
//        └ errors thrown anywhere: one line "lh-x: …" on stderr, status by category;
//          EPIPE on stdout: quiet, 0; flush failure at exit: 74.
//
// Library code never prints or exits (miller's single exit point); this file is where that
// happens.

import ArgumentParser
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a running tool gets: its diagnostics, stdout, and whether stdout is a terminal.
public struct ToolContext {
  public let diagnostics: Diagnostics
  /// Buffered stdout (flushed by `main()` at the end).
  public let stdout: OutputBuffer
  /// True when stdout is a terminal (flush per line, refuse binary without `--force`).
  public let stdoutIsTerminal: Bool
  /// The progress line (shown only on a terminal stderr).
  public let progress: Progress
}

/// A tool of the lh family.
public protocol LakeCommand: ParsableCommand {
  /// The tool's name, the prefix of its messages ("lh-gen").
  static var toolName: String { get }
  /// The `--quiet`/`--verbose` flags.
  var logging: LoggingOptions { get }
  /// Does the work. Throw `LakeError`s; never print errors or exit here.
  func execute(_ context: ToolContext) throws
}

extension LakeCommand {
  /// Runs the tool: see the file overview.
  public static func main() { main(arguments: nil) }

  /// Runs the tool on `arguments` (nil: the process's), for a tool that dispatches by hand.
  public static func main(arguments: [String]?) {
    Signals.install()
    returnLargeAllocationsToSystem()
    var arguments = arguments ?? Array(CommandLine.arguments.dropFirst())
    // `TOOL help`, which every man page lists, also in a tool without subcommands.
    if arguments == ["help"] && configuration.subcommands.isEmpty { arguments = ["--help"] }
    let command: ParsableCommand
    do {
      command = try parseAsRoot(arguments)
    } catch {
      let code = exitCode(for: error)
      if code == .validationFailure {
        reportUsageError(error)
      }
      exit(withError: error)
    }
    guard let tool = command as? Self else {
      // A built-in command (help, completion script): let ArgumentParser run it.
      do {
        var other = command
        try other.run()
        terminate(0)
      } catch { exit(withError: error) }
    }
    terminate(tool.runReportingErrors())
  }

  /// ArgumentParser calls `run()` only when a tool is driven by `parseAsRoot` elsewhere (tests).
  public func run() throws {
    let status = runReportingErrors()
    if status != 0 { throw ExitCode(status) }
  }

  public static func reportUsageError(_ error: Error) -> Never {
    var message = Self.message(for: error)
    if let first = message.first, first.isUppercase,
      message.dropFirst().first.map({ $0.isLowercase }) ?? false
    {
      message = first.lowercased() + message.dropFirst()
    }
    let diagnostics = Diagnostics(tool: toolName)
    diagnostics.error(message)
    // The usage of the command the error is about: a subcommand's when ArgumentParser got as
    // far as one (its full message names it), else this command's, with the tool's name first.
    var usage = String(usageString(for: Self.self).split(separator: "\n").first ?? "")
    var path = commandPath
    let full = fullMessage(for: error, columns: 100_000).split(
      separator: "\n", omittingEmptySubsequences: false)
    if let i = full.firstIndex(where: { $0.hasPrefix("Usage: ") }) {
      usage = String(full[i].dropFirst("Usage: ".count))
      if let see = full.first(where: { $0.hasPrefix("  See '") }),
        let end = see.range(of: " --help'")
      {
        path = String(see[see.index(see.startIndex, offsetBy: "  See '".count)..<end.lowerBound])
      }
    }
    usage = usage.collapsingWhitespace()
    if !usage.hasPrefix(toolName) { usage = "\(toolName) \(usage)" }
    if !path.hasPrefix(toolName) { path = "\(toolName) \(path)" }
    diagnostics.error("usage: \(usage)")
    diagnostics.error("see '\(path) --help' for more information")
    terminate(ExitStatus.usage)
  }

  /// The words that run this command: `lh-gen`, `lh-pack archive`, `lh-report status`.
  static var commandPath: String {
    _commandName == toolName ? toolName : "\(toolName) \(_commandName)"
  }

  func runReportingErrors() -> Int32 {
    let diagnostics = Diagnostics(
      tool: Self.toolName, quiet: logging.quiet, verbose: logging.verbose)
    // Warnings the library meets without failing (a checkpoint not written): one line each.
    DeltaWarnings.sink = { diagnostics.note($0) }
    let stdoutIsTerminal = FileDescriptor.standardOutput.isTerminal
    let stdout = OutputBuffer(
      destination: .standardOutput, capacity: stdoutIsTerminal ? 1 << 14 : 1 << 20)
    let context = ToolContext(
      diagnostics: diagnostics, stdout: stdout, stdoutIsTerminal: stdoutIsTerminal,
      progress: Progress(tool: Self.toolName, quiet: logging.quiet))
    do {
      try execute(context)
      context.progress.finish()
      try stdout.flush()
      return ExitStatus.ok
    } catch {
      context.progress.finish()
      return Self.status(reporting: error, diagnostics: diagnostics)
    }
  }

  /// Prints `error` as one line and returns the status for it.
  static func status(reporting error: Error, diagnostics: Diagnostics) -> Int32 {
    if let e = error as? Interrupted {
      return 128 + e.signal
    }
    if let e = error as? StoppedWaiting {
      return 128 + e.signal  // stopped while waiting for a table lock: nothing written
    }
    if error is NegativeAnswer {
      // A documented "no" (style.md §3), not an error: nothing more to print.
      return ExitStatus.answeredNo
    }
    if let e = error as? SystemError, e.isBrokenPipe {
      return ExitStatus.ok  // the reader went away: not an error (ripgrep, xsv)
    }
    if let e = error as? LakeError {
      diagnostics.error(e.description)
      return ExitStatus.status(for: e.category)
    }
    if let e = error as? ValidationError {
      reportUsageError(e)
    }
    diagnostics.error("internal error: \(error); please report it")
    return ExitStatus.software
  }
}

/// Ends the process with `status`.
func terminate(_ status: Int32) -> Never {
  Glibc.exit(status)
}

extension String {
  func collapsingWhitespace() -> String {
    var out = ""
    var lastWasSpace = false
    for c in self {
      if c == "\n" || c == " " {
        if !lastWasSpace { out += " " }
        lastWasSpace = true
      } else {
        out.append(c)
        lastWasSpace = false
      }
    }
    return out
  }
}

/// Thrown by a tool that stopped early because of SIGINT or SIGTERM, after finishing cleanly;
/// the status is 128 + the signal number, as a shell reports it.
public struct Interrupted: Error {
  public let signal: Int32
  public init(signal: Int32) { self.signal = signal }
}

/// Thrown by a tool whose documented answer is "no" (`lh-report status --check` found a
/// problem): status 1, after the tool has printed what it found.
public struct NegativeAnswer: Error {
  public init() {}
}

/// The process environment as a dictionary (no Foundation in the tools).
public func processEnvironment() -> [String: String] {
  var out: [String: String] = [:]
  var p = environ
  while let entry = p.pointee {
    let text = String(
      decoding: UnsafeRawBufferPointer(start: entry, count: strlen(entry)), as: UTF8.self)
    if let eq = text.firstIndex(of: "=") {
      out[String(text[..<eq])] = String(text[text.index(after: eq)...])
    }
    p += 1
  }
  return out
}
