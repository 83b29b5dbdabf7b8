// LakeContracts/ContractError.swift
//
// A contract file that cannot be used: one line naming the file, the line and the problem, e.g.
//
//   lh-silver: my.contract:12: column 'price': unknown type 'decimal(40,2)'
//
// A contract is an argument the user gives, so a bad one is a usage error (exit status 64).

import LakeIO

/// A malformed or inconsistent contract: where (file and line) and what is wrong.
public struct ContractError: LakeError, Equatable {
  /// The file named as the user gave it (or `<builtin:NAME>` for a built-in contract).
  public var file: String
  /// The 1-based line, or nil when the problem is the file as a whole (a missing line).
  public var line: Int?
  /// What is wrong, lower case, no trailing period.
  public var message: String
  /// `.usage` for a contract that does not parse, `.noInput` for a file that cannot be read.
  public var category: ErrorCategory

  /// Creates an error at `line` of `file`.
  public init(file: String, line: Int?, message: String, category: ErrorCategory = .usage) {
    self.file = file
    self.line = line
    self.message = message
    self.category = category
  }

  /// `FILE:LINE: message`, or `FILE: message` without a line.
  public var description: String {
    if let line { return "\(file):\(line): \(message)" }
    return "\(file): \(message)"
  }
}
