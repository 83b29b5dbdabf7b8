// LakeCLI/CommonOptions.swift
//
// Flags several tools share, each defined once with one help text and pulled in with
// `@OptionGroup` (argument-parser `Examples/math/Math.swift` `Options`).

import ArgumentParser

/// `--quiet` and `--verbose`.
public struct LoggingOptions: ParsableArguments {
  @Flag(name: .shortAndLong, help: "Print nothing on stderr but errors (no summary, no progress).")
  public var quiet = false

  @Flag(name: .shortAndLong, help: "Print more detail on stderr (resolved settings, timings).")
  public var verbose = false

  public init() {}
}

/// `--output` and `--force`.
public struct OutputOptions: ParsableArguments {
  @Option(
    name: .shortAndLong, help: ArgumentHelp("Write to FILE instead of stdout.", valueName: "file"),
    completion: .file())
  public var output: String?

  public init() {}
}
