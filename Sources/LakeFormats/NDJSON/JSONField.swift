// LakeFormats/NDJSON/JSONField.swift
//
// What the scanner reports for one member of a line's top-level object: byte spans of the key and
// the value into the line buffer, never copies. Decode a value with ``JSONValue`` only when a
// column needs it.
//
//   member = string name-separator value                        (RFC 8259, section 4)
//   value  = false / null / true / object / array / number / string
//
//   {"user_id":42,"page":"/a\"b"}
//     ^keyStart   ^valueStart (number: the raw token "42")
//            ^keyEnd  (key without quotes)
//                       "page" → valueStart..valueEnd = /a\"b (between the quotes, escaped)
//
// Duplicate keys are reported as they come (RFC 8259 says names SHOULD be unique but leaves
// duplicates to the receiver); the caller decides: take the first, the last, or reject the line.

/// A JSON value's kind as seen at the top level of a line's object.
public enum JSONKind: UInt8, Sendable {
  /// A string; the field's value span is its body between the quotes.
  case string
  /// A number; the span is the raw token.
  case number
  /// `true` or `false`; see ``JSONField/boolValue``.
  case bool
  /// `null`.
  case null
  /// A nested object; the span is its whole text, validated.
  case object
  /// A nested array; the span is its whole text, validated.
  case array
}

/// One key/value of the top-level object of a line; spans are byte ranges into the line buffer.
///
/// Stored fields are ordered for a small stride (40 bytes); the initializer takes them in
/// reading order.
public struct JSONField: Sendable, Equatable {
  /// Start of the key's bytes, after the opening quote.
  public var keyStart: Int
  /// End (exclusive) of the key's bytes, at the closing quote.
  public var keyEnd: Int
  /// Start of the value: for strings the byte after the opening quote, else the token's first byte.
  public var valueStart: Int
  /// End (exclusive) of the value: for strings the closing quote, else just past the token.
  ///
  /// For objects and arrays the span is the whole nested text, already validated.
  public var valueEnd: Int
  /// The kind of the value.
  public var kind: JSONKind
  /// Whether the key contains a backslash escape (then compare it unescaped).
  public var keyHasEscapes: Bool
  /// Whether a string value contains a backslash escape (always false for other kinds).
  public var valueHasEscapes: Bool
  /// The value of a `.bool` (false for other kinds).
  public var boolValue: Bool

  /// Creates a field from its spans.
  @inlinable
  public init(
    keyStart: Int, keyEnd: Int, keyHasEscapes: Bool, kind: JSONKind, valueStart: Int,
    valueEnd: Int, valueHasEscapes: Bool = false, boolValue: Bool = false
  ) {
    self.keyStart = keyStart
    self.keyEnd = keyEnd
    self.valueStart = valueStart
    self.valueEnd = valueEnd
    self.kind = kind
    self.keyHasEscapes = keyHasEscapes
    self.valueHasEscapes = valueHasEscapes
    self.boolValue = boolValue
  }

  /// The key's bytes (without quotes, still escaped) in `line`; empty if the span is not in it.
  @inlinable
  public func keyBytes(in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    JSONField.span(keyStart, keyEnd, in: line)
  }

  /// The value's bytes in `line` (a string's body still escaped, or the raw token).
  ///
  /// Empty if the span is not inside `line`, so a field paired with the wrong line never reads
  /// outside it.
  @inlinable
  public func valueBytes(in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    JSONField.span(valueStart, valueEnd, in: line)
  }

  /// Whether this field's key, unescaped, is exactly the bytes `key`.
  ///
  /// Keys without escapes (nearly all) compare byte for byte; a key with escapes is decoded on
  /// the fly, without allocating, so `"\u0069d"` matches `id`.
  @inlinable
  public func hasKey(_ key: UnsafeRawBufferPointer, in line: UnsafeRawBufferPointer) -> Bool {
    let k = keyBytes(in: line)
    if keyHasEscapes { return JSONValue.unescaped(k, equals: key) }
    return k.count == key.count && k.elementsEqual(key)
  }

  /// Whether this field's key, unescaped, is exactly `key`.
  @inlinable
  public func hasKey(_ key: StaticString, in line: UnsafeRawBufferPointer) -> Bool {
    key.withUTF8Buffer { hasKey(UnsafeRawBufferPointer($0), in: line) }
  }

  @usableFromInline
  static func span(_ start: Int, _ end: Int, in line: UnsafeRawBufferPointer)
    -> UnsafeRawBufferPointer
  {
    guard 0 <= start, start <= end, end <= line.count else {
      return UnsafeRawBufferPointer(start: nil, count: 0)
    }
    return UnsafeRawBufferPointer(rebasing: line[start..<end])
  }
}

extension Array where Element == JSONField {
  /// The index of the first field whose unescaped key is `key`, or nil.
  ///
  /// A linear search, meant for small schemas; with duplicate keys it finds the first.
  @inlinable
  public func firstIndex(ofKey key: UnsafeRawBufferPointer, in line: UnsafeRawBufferPointer)
    -> Int?
  {
    for i in indices where self[i].hasKey(key, in: line) { return i }
    return nil
  }

  /// The index of the first field whose unescaped key is `key`, or nil.
  @inlinable
  public func firstIndex(ofKey key: StaticString, in line: UnsafeRawBufferPointer) -> Int? {
    key.withUTF8Buffer { firstIndex(ofKey: UnsafeRawBufferPointer($0), in: line) }
  }
}
