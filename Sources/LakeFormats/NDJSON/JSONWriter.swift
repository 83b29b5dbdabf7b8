// LakeFormats/NDJSON/JSONWriter.swift
//
// Writes compact JSON into memory the caller owns (an `OutputBuffer` reservation), byte by byte:
// no `String` per value, no Foundation. The caller reserves room for the whole line first, so
// every method here writes without bounds checks beyond debug asserts.
//
//   let p = try out.reserve(4096)
//   var w = JSONWriter(p)
//   w.raw("{\"id\":"); w.int(42); w.raw(",\"name\":"); w.string(bytes); w.raw("}\n")
//   out.commit(w.count(from: p))

/// A cursor that appends compact JSON text at a raw pointer.
public struct JSONWriter {
  /// Where the next byte goes.
  public var cursor: UnsafeMutablePointer<UInt8>

  /// Starts writing at `start`.
  @inlinable
  public init(_ start: UnsafeMutablePointer<UInt8>) { cursor = start }

  /// Bytes written since `start`.
  @inlinable
  public func count(from start: UnsafeMutablePointer<UInt8>) -> Int { cursor - start }

  /// Appends literal text (keys, punctuation) as is.
  @inlinable
  public mutating func raw(_ text: StaticString) {
    let n = text.utf8CodeUnitCount
    cursor.update(from: text.utf8Start, count: n)
    cursor += n
  }

  /// Appends raw bytes as is.
  @inlinable
  public mutating func raw(_ bytes: UnsafeRawBufferPointer) {
    guard let src = bytes.baseAddress else { return }
    cursor.update(from: src.assumingMemoryBound(to: UInt8.self), count: bytes.count)
    cursor += bytes.count
  }

  /// Appends one byte.
  @inlinable
  public mutating func byte(_ b: UInt8) {
    cursor[0] = b
    cursor += 1
  }

  /// Appends `null`.
  @inlinable
  public mutating func null() { raw("null") }

  /// Appends `true` or `false`.
  @inlinable
  public mutating func bool(_ v: Bool) { if v { raw("true") } else { raw("false") } }

  /// Appends a quoted string whose bytes need no escaping.
  ///
  /// The caller guarantees there is no `"`, `\` or control character. At most `bytes.count + 2` bytes.
  @inlinable
  public mutating func plainString(_ bytes: UnsafeRawBufferPointer) {
    byte(0x22)
    raw(bytes)
    byte(0x22)
  }

  /// Appends a quoted string literal needing no escapes.
  @inlinable
  public mutating func plainString(_ text: StaticString) {
    byte(0x22)
    raw(text)
    byte(0x22)
  }

  /// Appends `bytes` as a quoted JSON string, escaping `"`, `\` and control characters.
  ///
  /// Writes at most `6 * bytes.count + 2` bytes. Bytes ≥ 0x80 pass through unchanged.
  @inlinable
  public mutating func string(_ bytes: UnsafeRawBufferPointer) {
    byte(0x22)
    for b in bytes {
      switch b {
      case 0x22: raw("\\\"")
      case 0x5C: raw("\\\\")
      case 0x0A: raw("\\n")
      case 0x0D: raw("\\r")
      case 0x09: raw("\\t")
      case 0x00..<0x20, 0x7F:
        raw("\\u00")
        let pair = JSONWriter.hexPairs.utf8Start + Int(b) * 2
        byte(pair[0])
        byte(pair[1])
      default: byte(b)
      }
    }
    byte(0x22)
  }

  /// Appends a signed decimal integer (at most 20 bytes).
  @inlinable
  public mutating func int(_ value: Int64) {
    if value < 0 {
      byte(0x2D)
      unsigned(value.magnitude)
    } else {
      unsigned(UInt64(value))
    }
  }

  /// Appends an unsigned decimal integer (at most 20 bytes).
  @inlinable
  public mutating func unsigned(_ value: UInt64) {
    var v = value
    var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch on the stack
    let n = withUnsafeMutableBytes(of: &tmp) { raw -> Int in
      let buf = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
      var i = 24
      repeat {
        i -= 1
        buf[i] = UInt8(truncatingIfNeeded: 0x30 &+ v % 10)
        v /= 10
      } while v > 0
      let count = 24 - i
      cursor.update(from: buf + i, count: count)
      return count
    }
    cursor += n
  }

  /// Appends `unscaled × 10^-scale` as a JSON number with exactly `scale` fraction digits
  /// (a decimal: 1999 with scale 2 is `19.99`, -5 with scale 2 is `-0.05`).
  @inlinable
  public mutating func decimal(unscaled: Int64, scale: Int) {
    if scale <= 0 {
      int(unscaled)
      return
    }
    if unscaled < 0 { byte(0x2D) }
    var m = unscaled.magnitude
    var pow: UInt64 = 1
    for _ in 0..<scale { pow &*= 10 }
    unsigned(m / pow)
    byte(0x2E)
    m %= pow
    var div = pow / 10
    for _ in 0..<scale {
      byte(UInt8(truncatingIfNeeded: 0x30 &+ (m / div)))
      m %= div
      div /= 10
      if div == 0 { div = 1 }
    }
  }

  /// Appends a quoted RFC 3339 UTC timestamp.
  @inlinable
  public mutating func timestamp(micros: Int64, fractionDigits: Int = 3) {
    byte(0x22)
    cursor += RFC3339.format(micros: micros, fractionDigits: fractionDigits, into: cursor)
    byte(0x22)
  }

  /// Appends a quoted lower-case UUID from 128 bits.
  @inlinable
  public mutating func uuid(high: UInt64, low: UInt64) {
    cursor[0] = 0x22
    cursor[9] = 0x2D
    cursor[14] = 0x2D
    cursor[19] = 0x2D
    cursor[24] = 0x2D
    cursor[37] = 0x22
    let pairs = JSONWriter.hexPairs.utf8Start
    @inline(__always) func put(_ byte: UInt64, _ at: Int) {
      let i = Int(truncatingIfNeeded: byte & 0xFF) &* 2
      cursor[at] = pairs[i]
      cursor[at &+ 1] = pairs[i &+ 1]
    }
    // Byte k of the 16 goes to its column, skipping the dashes at 9, 14, 19 and 24.
    put(high >> 56, 1)
    put(high >> 48, 3)
    put(high >> 40, 5)
    put(high >> 32, 7)
    put(high >> 24, 10)
    put(high >> 16, 12)
    put(high >> 8, 15)
    put(high, 17)
    put(low >> 56, 20)
    put(low >> 48, 22)
    put(low >> 40, 25)
    put(low >> 32, 27)
    put(low >> 24, 29)
    put(low >> 16, 31)
    put(low >> 8, 33)
    put(low, 35)
    cursor += 38
  }

  /// "000102…feff": the two hex digits of every byte value, without a lazily initialised global.
  @inlinable
  static var hexPairs: StaticString {
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
  }
}
