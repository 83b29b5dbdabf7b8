// LakeFormats/NDJSON/JSONLexer.swift
//
// The tokens of JSON text on raw bytes: whitespace, strings (escapes and UTF-8 validated),
// numbers and the three literals. ``NDJSONScanner`` puts them together into objects and arrays;
// ``JSONValue`` reuses the escape decoder and the number grammar. RFC 8259
// (https://www.rfc-editor.org/rfc/rfc8259), sections 2, 6, 7 and 8.1:
//
//   ws      = *( %x20 / %x09 / %x0A / %x0D )
//   false = %x66.61.6c.73.65   null = %x6e.75.6c.6c   true = %x74.72.75.65
//   number  = [ minus ] int [ frac ] [ exp ]
//   int     = zero / ( digit1-9 *DIGIT )
//   frac    = decimal-point 1*DIGIT
//   exp     = e [ minus / plus ] 1*DIGIT
//   string  = quotation-mark *char quotation-mark
//   char    = unescaped / escape ( %x22 / %x5C / %x2F / %x62 / %x66 / %x6E / %x72 / %x74 /
//             %x75 4HEXDIG )
//   unescaped = %x20-21 / %x23-5B / %x5D-10FFFF
//
// Stricter than the grammar where RFC 8259 leaves it open: a `\u` high surrogate must be followed
// by a `\u` low surrogate and a low surrogate must not stand alone (section 8.2 calls such strings
// unpredictable), and raw bytes must be well-formed UTF-8 (section 8.1; Unicode 15, table 3-7):
//
//   U+0000..U+007F     00..7F
//   U+0080..U+07FF     C2..DF 80..BF
//   U+0800..U+0FFF     E0     A0..BF 80..BF
//   U+1000..U+CFFF     E1..EC 80..BF 80..BF
//   U+D000..U+D7FF     ED     80..9F 80..BF              (no surrogates D800..DFFF)
//   U+E000..U+FFFF     EE..EF 80..BF 80..BF
//   U+10000..U+3FFFF   F0     90..BF 80..BF 80..BF
//   U+40000..U+FFFFF   F1..F3 80..BF 80..BF 80..BF
//   U+100000..U+10FFFF F4     80..8F 80..BF 80..BF
//
// Speed: a string body is walked 8 bytes at a time. One 64-bit word tells whether any of its
// bytes is `"`, `\`, a control byte (< 0x20) or non-ASCII (≥ 0x80); if none, all 8 are plain.
// Otherwise the lowest flagged byte (which is always a true hit: the borrow of the zero-byte test
// only spreads upwards) is where the slow path takes over. Callers guarantee `i <= n` on entry;
// every read checks `i < n` first, so no input can read outside the buffer.

@usableFromInline
enum JSONLexer {
  @usableFromInline static let quote: UInt8 = 0x22
  @usableFromInline static let backslash: UInt8 = 0x5C

  /// The first index at or after `i` that is not JSON whitespace (or `n`).
  @inline(__always)
  static func skipWhitespace(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> Int {
    var i = i
    while i < n {
      let b = p[i]
      // Fast exit for the common case: every non-space token byte is above 0x20.
      if b > 0x20 || (b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09) { return i }
      i &+= 1
    }
    return i
  }

  /// A mask whose lowest set bit marks the first byte of `x` (little-endian) that needs a look:
  /// `"`, `\`, below 0x20 or at least 0x80.
  @inline(__always)
  static func specialMask(_ x: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let q = x ^ (ones &* 0x22)
    let s = x ^ (ones &* 0x5C)
    let quoteHit = (q &- ones) & ~q
    let slashHit = (s &- ones) & ~s
    let controlHit = (x &- ones &* 0x20) & ~x
    return (quoteHit | slashHit | controlHit | x) & highs
  }

  /// Scans a string body from `start` (just past the opening quote) to its closing quote.
  ///
  /// - Returns: The index of the closing quote.
  /// - Throws: On a control byte, a bad escape, ill-formed UTF-8 or a missing closing quote.
  @inline(__always)
  static func scanString(
    _ p: UnsafePointer<UInt8>, _ n: Int, from start: Int, escapes: inout Bool
  ) throws(JSONSyntaxError) -> Int {
    var i = start
    while true {
      if n &- i >= 8 {
        let x = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
        let m = specialMask(x)
        if m == 0 {
          i &+= 8
          continue
        }
        i &+= m.trailingZeroBitCount &>> 3
      } else if i >= n {
        throw JSONSyntaxError(offset: start &- 1, message: "unterminated string")
      }
      let b = p[i]
      if b == quote { return i }
      if b == backslash {
        escapes = true
        i = try scanEscape(p, n, at: i)
      } else if b >= 0x80 {
        i = try scanUTF8(p, n, at: i)
      } else if b < 0x20 {
        throw JSONSyntaxError(offset: i, message: "control character in string")
      } else {
        i &+= 1  // a plain byte in the last few bytes of the buffer
      }
    }
  }

  /// Validates the escape at `i` (a backslash); returns the index after it.
  @inline(never)
  static func scanEscape(_ p: UnsafePointer<UInt8>, _ n: Int, at i: Int) throws(JSONSyntaxError)
    -> Int
  {
    switch decodeEscape(p, n, at: i) {
    case .scalar(_, let next): return next
    case .invalid(let offset, let message):
      throw JSONSyntaxError(offset: offset, message: message)
    }
  }

  /// The result of decoding one escape sequence.
  @usableFromInline
  enum Escape {
    /// The Unicode scalar value and the index after the escape (two for a surrogate pair).
    case scalar(UInt32, next: Int)
    case invalid(offset: Int, message: String)
  }

  /// Decodes the escape starting at `i` (a backslash), including a `\uD8xx\uDCxx` pair.
  @usableFromInline
  static func decodeEscape(_ p: UnsafePointer<UInt8>, _ n: Int, at i: Int) -> Escape {
    guard i &+ 1 < n else { return .invalid(offset: i, message: "unterminated escape") }
    let scalar: UInt32
    switch p[i &+ 1] {
    case 0x22: scalar = 0x22
    case 0x5C: scalar = 0x5C
    case 0x2F: scalar = 0x2F
    case 0x62: scalar = 0x08  // b
    case 0x66: scalar = 0x0C  // f
    case 0x6E: scalar = 0x0A  // n
    case 0x72: scalar = 0x0D  // r
    case 0x74: scalar = 0x09  // t
    case 0x75:  // u
      guard let unit = hex4(p, n, at: i &+ 2) else {
        return .invalid(offset: i, message: "invalid \\u escape")
      }
      if unit & 0xFC00 == 0xDC00 {
        return .invalid(offset: i, message: "unpaired low surrogate in \\u escape")
      }
      if unit & 0xFC00 != 0xD800 { return .scalar(unit, next: i &+ 6) }
      guard i &+ 7 < n, p[i &+ 6] == backslash, p[i &+ 7] == 0x75,
        let low = hex4(p, n, at: i &+ 8), low & 0xFC00 == 0xDC00
      else {
        return .invalid(offset: i, message: "unpaired high surrogate in \\u escape")
      }
      let value = 0x10000 &+ ((unit &- 0xD800) &<< 10) &+ (low &- 0xDC00)
      return .scalar(value, next: i &+ 12)
    default:
      return .invalid(offset: i, message: "invalid escape")
    }
    return .scalar(scalar, next: i &+ 2)
  }

  /// Four hex digits at `i` as a UTF-16 code unit, or nil.
  @inline(__always)
  static func hex4(_ p: UnsafePointer<UInt8>, _ n: Int, at i: Int) -> UInt32? {
    guard i >= 0, n &- i >= 4 else { return nil }
    var v: UInt32 = 0
    for k in 0..<4 {
      let c = UInt32(p[i &+ k])
      let d: UInt32
      if c &- 0x30 < 10 {
        d = c &- 0x30
      } else if (c | 0x20) &- 0x61 < 6 {
        d = (c | 0x20) &- 0x61 &+ 10
      } else {
        return nil
      }
      v = v &<< 4 | d
    }
    return v
  }

  /// Validates the UTF-8 sequence whose lead byte (≥ 0x80) is at `i`; returns the index after it.
  @inline(never)
  static func scanUTF8(_ p: UnsafePointer<UInt8>, _ n: Int, at i: Int) throws(JSONSyntaxError)
    -> Int
  {
    let lead = p[i]
    let length: Int
    var low: UInt8 = 0x80  // allowed range of the second byte
    var high: UInt8 = 0xBF
    switch lead {
    case 0xC2...0xDF: length = 2
    case 0xE0:
      length = 3
      low = 0xA0  // below is overlong
    case 0xED:
      length = 3
      high = 0x9F  // above encodes a surrogate
    case 0xE1...0xEF: length = 3
    case 0xF0:
      length = 4
      low = 0x90  // below is overlong
    case 0xF4:
      length = 4
      high = 0x8F  // above is beyond U+10FFFF
    case 0xF1...0xF3: length = 4
    case 0x80...0xBF:
      throw JSONSyntaxError(offset: i, message: "invalid UTF-8: unexpected continuation byte")
    case 0xC0, 0xC1:
      throw JSONSyntaxError(offset: i, message: "invalid UTF-8: overlong encoding")
    default:
      throw JSONSyntaxError(offset: i, message: "invalid UTF-8: byte out of range")
    }
    guard n &- i >= length else {
      throw JSONSyntaxError(offset: i, message: "invalid UTF-8: truncated sequence")
    }
    let second = p[i &+ 1]
    guard second >= low, second <= high else {
      let message: String
      if second & 0xC0 != 0x80 {
        message = "invalid UTF-8: truncated sequence"
      } else if lead == 0xED {
        message = "invalid UTF-8: encoded surrogate"
      } else if lead == 0xF4 {
        message = "invalid UTF-8: code point above U+10FFFF"
      } else {
        message = "invalid UTF-8: overlong encoding"
      }
      throw JSONSyntaxError(offset: i, message: message)
    }
    var k = 2
    while k < length {
      guard p[i &+ k] & 0xC0 == 0x80 else {
        throw JSONSyntaxError(offset: i, message: "invalid UTF-8: truncated sequence")
      }
      k &+= 1
    }
    return i &+ length
  }

  /// Scans a number token starting at `start`; returns the index just past it.
  @inline(__always)
  static func scanNumber(_ p: UnsafePointer<UInt8>, _ n: Int, from start: Int)
    throws(JSONSyntaxError) -> Int
  {
    guard let end = numberEnd(p, n, from: start), end == n || !continuesNumber(p[end]) else {
      throw JSONSyntaxError(offset: start, message: "invalid number")
    }
    return end
  }

  /// Whether `b` right after a number token means the token was malformed (`01`, `1.2.3`, `1e`).
  @inline(__always)
  static func continuesNumber(_ b: UInt8) -> Bool {
    b &- 0x30 < 10 || b == 0x2E || b | 0x20 == 0x65 || b == 0x2B || b == 0x2D
  }

  /// The end of the longest prefix from `start` that is a JSON number, or nil if there is none.
  @inline(__always)
  static func numberEnd(_ p: UnsafePointer<UInt8>, _ n: Int, from start: Int) -> Int? {
    var i = start
    if i < n && p[i] == 0x2D { i &+= 1 }
    guard i < n else { return nil }
    let first = p[i]
    if first == 0x30 {
      i &+= 1
    } else if first &- 0x31 < 9 {
      i &+= 1
      while i < n && p[i] &- 0x30 < 10 { i &+= 1 }
    } else {
      return nil
    }
    if i < n && p[i] == 0x2E {
      i &+= 1
      guard i < n && p[i] &- 0x30 < 10 else { return nil }
      while i < n && p[i] &- 0x30 < 10 { i &+= 1 }
    }
    if i < n && p[i] | 0x20 == 0x65 {
      i &+= 1
      if i < n && (p[i] == 0x2B || p[i] == 0x2D) { i &+= 1 }
      guard i < n && p[i] &- 0x30 < 10 else { return nil }
      while i < n && p[i] &- 0x30 < 10 { i &+= 1 }
    }
    return i
  }

  /// Which literal is at `i`, if any: true, false or null (the caller dispatched on `t`/`f`/`n`).
  ///
  /// - Returns: The index past the literal.
  @inline(__always)
  static func scanLiteral(_ p: UnsafePointer<UInt8>, _ n: Int, at i: Int)
    throws(JSONSyntaxError) -> (end: Int, kind: JSONKind, value: Bool)
  {
    if n &- i >= 4 {
      let w = UInt32(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self))
      if w == 0x6575_7274 { return (i &+ 4, .bool, true) }  // "true"
      if w == 0x6C6C_756E { return (i &+ 4, .null, false) }  // "null"
      if w == 0x736C_6166 && n &- i >= 5 && p[i &+ 4] == 0x65 {  // "false"
        return (i &+ 5, .bool, false)
      }
    }
    throw JSONSyntaxError(offset: i, message: "invalid literal")
  }
}
