// LakeContracts/Validator/ContractReject.swift
//
// Why a line did not become a silver row. The reason codes are stable: they are stored in
// `silver/rejects`, counted in run summaries and matched by users' queries, so a code is never
// renamed or reused; new ones may be added.

/// The reason a line was rejected, as a stable code.
public enum RejectReason: String, CaseIterable, Sendable, Hashable {
  /// The line is empty or only whitespace.
  case emptyLine = "empty_line"
  /// The line holds bytes that are not well-formed UTF-8.
  case invalidUTF8 = "invalid_utf8"
  /// The line is not JSON (truncated, bad syntax, bad escape, nesting too deep).
  case invalidJSON = "invalid_json"
  /// The line is JSON, but not an object (an array, a string, a number, ...).
  case notObject = "not_object"
  /// The same key appears twice in the line's object.
  case duplicateKeyInLine = "duplicate_key_in_line"
  /// A required column is missing or null.
  case missingRequired = "missing_required"
  /// A value has the wrong JSON type (a string for a number, a fraction for an integer, ...).
  case wrongType = "wrong_type"
  /// A number is outside the column's bounds or type (int32 range, too many decimal digits).
  case outOfRange = "out_of_range"
  /// A value is not one of the column's allowed values.
  case notAllowed = "not_allowed"
  /// A string is longer than the column's max_length.
  case tooLong = "too_long"
  /// A timestamp column's string is not an RFC 3339 timestamp.
  case badTimestamp = "bad_timestamp"
  /// A date column's string is not a `YYYY-MM-DD` date.
  case badDate = "bad_date"
  /// A decimal has non-zero digits below the column's scale (it would have to be rounded).
  case badDecimal = "bad_decimal"
}

/// A rejected line: the reason, the column concerned (if one is) and a one-line message.
public struct ContractReject: Equatable, Sendable, CustomStringConvertible {
  /// The stable reason code.
  public var reason: RejectReason
  /// The contract column (or, for a duplicate unknown key, the key) concerned, if any.
  public var field: String?
  /// What is wrong, lower case, no trailing period (`expected an integer, got a string`).
  public var message: String

  /// Creates a reject.
  public init(reason: RejectReason, field: String?, message: String) {
    self.reason = reason
    self.field = field
    self.message = message
  }

  /// `reason: field 'f': message`, one line.
  public var description: String {
    "\(reason.rawValue): " + (field.map { "field '\($0)': " } ?? "") + message
  }
}
