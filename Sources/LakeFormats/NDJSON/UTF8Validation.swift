// LakeFormats/NDJSON/UTF8Validation.swift
//
// Strict UTF-8 validation (RFC 3629) without creating a String: ASCII is checked 8 bytes at a
// time; other sequences byte by byte, refusing overlong forms, surrogates and code points above
// U+10FFFF.

/// UTF-8 validation on bytes.
public enum UTF8Validation {
  /// True when `bytes` are well-formed UTF-8.
  public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let p = bytes.baseAddress else { return true }
    let n = bytes.count
    var i = 0
    while i < n {
      if i + 8 <= n
        && p.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
      {
        i += 8
        continue
      }
      let b = p.load(fromByteOffset: i, as: UInt8.self)
      if b < 0x80 {
        i += 1
        continue
      }
      @inline(__always) func cont(_ k: Int) -> UInt8? {
        guard i + k < n else { return nil }
        let c = p.load(fromByteOffset: i + k, as: UInt8.self)
        return c & 0xC0 == 0x80 ? c : nil
      }
      switch b {
      case 0xC2...0xDF:
        guard cont(1) != nil else { return false }
        i += 2
      case 0xE0...0xEF:
        guard let c1 = cont(1), cont(2) != nil else { return false }
        if b == 0xE0 && c1 < 0xA0 { return false }  // overlong
        if b == 0xED && c1 > 0x9F { return false }  // surrogates
        i += 3
      case 0xF0...0xF4:
        guard let c1 = cont(1), cont(2) != nil, cont(3) != nil else { return false }
        if b == 0xF0 && c1 < 0x90 { return false }  // overlong
        if b == 0xF4 && c1 > 0x8F { return false }  // above U+10FFFF
        i += 4
      default:
        return false
      }
    }
    return true
  }
}
