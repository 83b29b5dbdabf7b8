// LakeFormats/NDJSON/JSONValue.swift
//
// Decoding of the values ``NDJSONScanner`` found, on bytes: string bodies here, numbers in
// JSONValue+Number.swift. A stage calls these only for the columns it keeps, and only when a field
// says it needs it (a string without escapes is its own bytes).
//
//   char = unescaped / escape ( %x22 / %x5C / %x2F / %x62 / %x66 / %x6E / %x72 / %x74 /
//          %x75 4HEXDIG )                                    (RFC 8259, section 7)
//
//   \"  "    \\  \    \/  /    \b  U+0008    \f  U+000C    \n  U+000A    \r  U+000D    \t  U+0009
//   \uXXXX   one UTF-16 code unit; a high surrogate must be followed by \u and a low surrogate,
//            and the pair stands for one scalar (\uD83D\uDE00 is U+1F600, F0 9F 98 80 in UTF-8)

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decoding helpers for values found by the scanner, on bytes, with no `String` on the hot path.
public enum JSONValue {
  /// Unescapes a JSON string body (the bytes between the quotes) and appends its UTF-8 to `output`.
  ///
  /// Bytes that are not part of an escape are copied as they are: the scanner has already
  /// checked them (UTF-8, no control bytes). Runs without escapes are found with `memchr`.
  ///
  /// - Parameters:
  ///   - body: A string body as given by ``JSONField/valueBytes(in:)``.
  ///   - output: Receives the decoded bytes (appended; not cleared).
  /// - Throws: ``JSONSyntaxError`` (offset into `body`) on a malformed escape or unpaired
  ///   surrogate; `output` then holds the bytes decoded before it.
  public static func unescape(_ body: UnsafeRawBufferPointer, into output: inout [UInt8])
    throws(JSONSyntaxError)
  {
    guard let base = body.baseAddress else { return }
    let p = base.assumingMemoryBound(to: UInt8.self)
    let n = body.count
    var i = 0
    while i < n {
      guard let hit = memchr(p + i, Int32(JSONLexer.backslash), n &- i) else {
        output.append(contentsOf: UnsafeBufferPointer(start: p + i, count: n &- i))
        return
      }
      let j = UnsafeRawPointer(hit) - UnsafeRawPointer(p)
      if j > i { output.append(contentsOf: UnsafeBufferPointer(start: p + i, count: j &- i)) }
      switch JSONLexer.decodeEscape(p, n, at: j) {
      case .scalar(let scalar, let next):
        appendUTF8(scalar, to: &output)
        i = next
      case .invalid(let offset, let message):
        throw JSONSyntaxError(offset: offset, message: message)
      }
    }
  }

  /// Whether the string body `body`, unescaped, equals the bytes `other`; no allocation.
  ///
  /// A malformed escape makes the answer false.
  public static func unescaped(_ body: UnsafeRawBufferPointer, equals other: UnsafeRawBufferPointer)
    -> Bool
  {
    guard let base = body.baseAddress else { return other.isEmpty }
    let p = base.assumingMemoryBound(to: UInt8.self)
    let n = body.count
    var i = 0
    var k = 0
    while i < n {
      let b = p[i]
      if b != JSONLexer.backslash {
        guard k < other.count, other[k] == b else { return false }
        i &+= 1
        k &+= 1
        continue
      }
      guard case .scalar(let scalar, let next) = JSONLexer.decodeEscape(p, n, at: i) else {
        return false
      }
      var encoded: UInt32 = 0
      let length = encodeUTF8(scalar, into: &encoded)
      for m in 0..<length {
        let byte = UInt8(truncatingIfNeeded: encoded &>> UInt32(8 &* m))
        guard k < other.count, other[k] == byte else { return false }
        k &+= 1
      }
      i = next
    }
    return k == other.count
  }

  /// Appends the UTF-8 encoding of the scalar `value` (at most U+10FFFF, not a surrogate).
  @inline(__always)
  static func appendUTF8(_ value: UInt32, to output: inout [UInt8]) {
    if value < 0x80 {
      output.append(UInt8(truncatingIfNeeded: value))
      return
    }
    var encoded: UInt32 = 0
    let length = encodeUTF8(value, into: &encoded)
    for m in 0..<length { output.append(UInt8(truncatingIfNeeded: encoded &>> UInt32(8 &* m))) }
  }

  /// Encodes `value` as 1 to 4 UTF-8 bytes packed first-byte-lowest into `encoded`; returns the
  /// count.
  @inline(__always)
  static func encodeUTF8(_ value: UInt32, into encoded: inout UInt32) -> Int {
    switch value {
    case ..<0x80:
      encoded = value
      return 1
    case ..<0x800:
      encoded = (0xC0 | value &>> 6) | (0x80 | value & 0x3F) &<< 8
      return 2
    case ..<0x10000:
      encoded =
        (0xE0 | value &>> 12) | (0x80 | value &>> 6 & 0x3F) &<< 8 | (0x80 | value & 0x3F) &<< 16
      return 3
    default:
      encoded =
        (0xF0 | value &>> 18) | (0x80 | value &>> 12 & 0x3F) &<< 8
        | (0x80 | value &>> 6 & 0x3F) &<< 16 | (0x80 | value & 0x3F) &<< 24
      return 4
    }
  }
}
