// LakeFormats/Parquet/ParquetError.swift
//
// Every failure to read or write Parquet. Reading untrusted bytes never traps: each decoder checks
// lengths at its boundary and throws one of these, which the tools report with status 65 as one
// line naming the file, the column and what is wrong (parquet crate `errors.rs`).

import LakeIO

/// A Parquet failure: corrupt or truncated bytes, or a feature lh does not support.
public struct ParquetError: LakeError, Equatable {
  /// What went wrong, lower case, no trailing period.
  public var message: String
  /// The file, when known (added by the file reader).
  public var file: String?
  /// The column, when known (added by the column reader).
  public var column: String?
  public var category: ErrorCategory

  /// Creates an error; `category` is `.data` (exit 65) unless said otherwise.
  public init(
    _ message: String, file: String? = nil, column: String? = nil,
    category: ErrorCategory = .data
  ) {
    self.message = message
    self.file = file
    self.column = column
    self.category = category
  }

  /// Bytes that do not decode: truncated, out of range, inconsistent.
  public static func corrupt(_ message: String) -> ParquetError { ParquetError(message) }

  /// A valid file using something lh does not read (nested columns, an unknown encoding).
  public static func unsupported(_ message: String) -> ParquetError {
    ParquetError("unsupported: " + message)
  }

  /// The same error with the file and column filled in where still missing.
  public func at(file: String? = nil, column: String? = nil) -> ParquetError {
    var e = self
    if e.file == nil { e.file = file }
    if e.column == nil { e.column = column }
    return e
  }

  public var description: String {
    var prefix = ""
    if let file { prefix += file + ": " }
    if let column { prefix += "column '\(column)': " }
    return prefix + message
  }
}
