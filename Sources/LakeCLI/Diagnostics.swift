// LakeCLI/Diagnostics.swift
//
// One-line messages on stderr: `lh-gen: message` — the tool name, then the location, then a
// lower-case message without a trailing period (ripgrep's `rg: ` prefix).

import LakeIO

/// Writes a tool's messages to stderr, honouring `--quiet` and `--verbose`.
public struct Diagnostics: Sendable {
  /// The tool's name, the prefix of every line.
  public let tool: String
  public let quiet: Bool
  public let verbose: Bool

  public init(tool: String, quiet: Bool = false, verbose: Bool = false) {
    self.tool = tool
    self.quiet = quiet
    self.verbose = verbose
  }

  /// An error line; always shown.
  public func error(_ message: String) { emit(message) }

  /// A warning or summary line; hidden by `--quiet`.
  public func note(_ message: String) { if !quiet { emit(message) } }

  /// Detail shown only with `--verbose`.
  public func detail(_ message: String) { if verbose && !quiet { emit(message) } }

  func emit(_ message: String) {
    let line = "\(tool): \(message)\n"
    var bytes = Array(line.utf8)
    // Errors about stderr itself have nowhere to go; ignore them.
    bytes.withUnsafeMutableBytes {
      try? FileDescriptor.standardError.writeAll(UnsafeRawBufferPointer($0))
    }
  }
}
