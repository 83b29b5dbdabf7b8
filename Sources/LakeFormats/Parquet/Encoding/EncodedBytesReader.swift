// LakeFormats/Parquet/Encoding/EncodedBytesReader.swift
//
// A bounds-checked read position over caller-owned encoded bytes, plus the variable-length
// integers the encodings share. Encodings.md: "For unsigned values, we use ULEB128 ... For signed
// values, we use zigzag encoding ... and apply ULEB128 on the result."
//
//   uleb128 := <byte with high bit set>* <byte with high bit clear>   (7 payload bits each, LSB first)
//   zigzag(n) := (n << 1) ^ (n >> 63)
//
// Every read checks the remaining length first and throws `ParquetError.corrupt`, so a truncated
// or malicious page never reads past its buffer.

/// A read position over bytes the caller keeps alive; every read is bounds-checked.
@usableFromInline
struct EncodedBytesReader {
  @usableFromInline let base: UnsafeRawPointer?
  @usableFromInline let count: Int
  @usableFromInline var position: Int

  @inlinable
  init(_ bytes: UnsafeRawBufferPointer) {
    self.base = bytes.baseAddress
    self.count = bytes.count
    self.position = 0
  }

  /// Bytes left after the read position.
  @inlinable
  var remaining: Int { count - position }

  /// Reads one unsigned LEB128 varint of at most 64 bits.
  @inlinable
  mutating func readULEB128(_ what: StaticString) throws -> UInt64 {
    guard let base, position < count else {
      throw ParquetError.corrupt("truncated varint in \(what)")
    }
    let first = base.load(fromByteOffset: position, as: UInt8.self)
    position += 1
    if first < 0x80 { return UInt64(first) }
    var result = UInt64(first & 0x7f)
    var shift: UInt64 = 7
    while true {
      guard position < count else { throw ParquetError.corrupt("truncated varint in \(what)") }
      let byte = base.load(fromByteOffset: position, as: UInt8.self)
      position += 1
      if shift == 63 && byte > 1 {
        throw ParquetError.corrupt("varint over 64 bits in \(what)")
      }
      result |= UInt64(byte & 0x7f) &<< shift
      if byte < 0x80 { return result }
      shift += 7
    }
  }

  /// Reads one zigzag-encoded signed LEB128 varint.
  @inlinable
  mutating func readZigZag(_ what: StaticString) throws -> Int64 {
    let z = try readULEB128(what)
    return Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
  }

  /// Reads one unsigned varint that must be at most `limit`, as an `Int`.
  @inlinable
  mutating func readCount(_ what: StaticString, limit: Int) throws -> Int {
    let value = try readULEB128(what)
    guard value <= UInt64(limit) else {
      throw ParquetError.corrupt("\(what) \(value) is out of range")
    }
    return Int(value)
  }
}

/// Writes unsigned LEB128 and zigzag varints.
@usableFromInline
enum LEB128 {
  /// Appends `value` as an unsigned LEB128 varint.
  @inlinable
  static func append(_ value: UInt64, to output: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
      output.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    output.append(UInt8(truncatingIfNeeded: v))
  }

  /// Appends `value` zigzag-encoded as an unsigned LEB128 varint.
  @inlinable
  static func appendZigZag(_ value: Int64, to output: inout [UInt8]) {
    append(UInt64(bitPattern: (value &<< 1) ^ (value >> 63)), to: &output)
  }
}
