// LakeIO/LakeError.swift
//
// Every error the library throws states a category; LakeCLI maps the category to a sysexits
// status in one place (see docs/errors.md). Library code never prints and never exits.

/// What kind of failure an error is, which decides the exit status a tool reports.
public enum ErrorCategory: Sendable, Equatable {
  /// Bad flags or arguments (64).
  case usage
  /// Malformed input data: NDJSON, Parquet, Delta log (65).
  case data
  /// An input file is missing or unreadable (66).
  case noInput
  /// An output cannot be created (73).
  case cannotCreate
  /// A read or write failed (74).
  case io
  /// Try again later: a lock is held or a commit race was lost (75).
  case tempFail
  /// A broken invariant, that is, a bug (70).
  case software
}

/// An error that knows its category and renders as one lower-case line without a trailing period.
public protocol LakeError: Error, CustomStringConvertible {
  /// The category that decides the exit status.
  var category: ErrorCategory { get }
}

/// A generic error carrying a category and a message, for places with no richer domain error.
public struct LakeFailure: LakeError, Equatable {
  public var category: ErrorCategory
  public var message: String

  /// Creates an error of `category` whose one-line rendering is `message`.
  public init(_ category: ErrorCategory, _ message: String) {
    self.category = category
    self.message = message
  }

  public var description: String { message }
}
