// LakeFormats/NDJSON/JSONSyntaxError.swift
//
// The one error the NDJSON scanner and the JSON value decoders throw: where in the line (a byte
// offset) and what was expected there. It is a data error (exit status 65). The stage that reads
// a file adds the file name and line number when it reports it, e.g.
//
//   lh-silver: events.ndjson:1042: byte 17: expected ',' or '}'
//
// JSON text (RFC 8259, https://www.rfc-editor.org/rfc/rfc8259) is what the messages talk about:
//
//   JSON-text = ws value ws
//   object    = begin-object [ member *( value-separator member ) ] end-object
//   member    = string name-separator value

import LakeIO

/// Malformed JSON: the byte offset of the problem and what is wrong there.
///
/// `offset` is 0-based, into the buffer that was scanned (a line, or a string body or number
/// token given to ``JSONValue``). ``description`` shows it 1-based, as `cmp(1)` and editors
/// count columns: offset 16 reads "byte 17: expected ',' or '}'".
public struct JSONSyntaxError: LakeError, Equatable {
  /// The 0-based byte offset of the problem within the scanned buffer.
  public var offset: Int
  /// What is wrong, lower case, no trailing period.
  public var message: String

  /// Creates an error at `offset` (0-based) saying `message`.
  public init(offset: Int, message: String) {
    self.offset = offset
    self.message = message
  }

  /// Always `.data`: malformed input gives exit status 65.
  public var category: ErrorCategory { .data }

  /// One line: "byte N: message", N 1-based.
  public var description: String { "byte \(offset + 1): \(message)" }
}
