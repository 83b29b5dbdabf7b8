// LakeFormats/Parquet/Thrift/ThriftWriter.swift
//
// The Thrift Compact Protocol, write side, as Parquet uses it (apache/thrift
// doc/specs/thrift-compact-protocol.md; formats.md §2). Hand-written, as the parquet crate does
// (`parquet/THRIFT.md`), for speed and because no Thrift library exists here.
//
//   struct      = field* stop(0x00)
//   field       = header value            header: (delta << 4 | type) if 1 ≤ delta ≤ 15,
//                                           else type byte + zigzag varint i16 id
//   bool field  = header only              type nibble 1 = true, 2 = false
//   i16/i32/i64 = zigzag varint;  i8 = one raw byte;  double = 8 bytes little-endian
//   binary      = varint length + bytes
//   list        = (size << 4 | elemType) if size ≤ 14, else 0xF0 | elemType + varint size
//
// Each struct has its own "last field id", restored after its stop byte.

/// Compact-protocol type codes.
public enum ThriftType: UInt8, Sendable {
  case stop = 0
  case boolTrue = 1
  case boolFalse = 2
  case i8 = 3
  case i16 = 4
  case i32 = 5
  case i64 = 6
  case double = 7
  case binary = 8
  case list = 9
  case set = 10
  case map = 11
  case structure = 12
}

/// Appends Thrift compact-encoded values to a byte array.
public struct ThriftWriter {
  /// The encoded bytes so far.
  public var bytes: [UInt8] = []
  var lastFieldId: Int16 = 0
  var outerFieldIds: [Int16] = []

  public init() {}

  mutating func fieldHeader(_ type: ThriftType, _ id: Int16) {
    let delta = Int(id) - Int(lastFieldId)
    if delta >= 1 && delta <= 15 {
      bytes.append(UInt8(delta << 4) | type.rawValue)
    } else {
      bytes.append(type.rawValue)
      zigzag(Int64(id))
    }
    lastFieldId = id
  }

  /// Appends an unsigned LEB128 varint.
  public mutating func varint(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  mutating func zigzag(_ value: Int64) {
    varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
  }

  /// Writes an i32 field.
  public mutating func i32(_ id: Int16, _ value: Int32) {
    fieldHeader(.i32, id)
    zigzag(Int64(value))
  }

  /// Writes an i64 field.
  public mutating func i64(_ id: Int16, _ value: Int64) {
    fieldHeader(.i64, id)
    zigzag(value)
  }

  /// Writes an i16 field.
  public mutating func i16(_ id: Int16, _ value: Int16) {
    fieldHeader(.i16, id)
    zigzag(Int64(value))
  }

  /// Writes an i8 field: one raw byte, not zigzag.
  public mutating func i8(_ id: Int16, _ value: Int8) {
    fieldHeader(.i8, id)
    bytes.append(UInt8(bitPattern: value))
  }

  /// Writes a bool field (the value lives in the type nibble).
  public mutating func bool(_ id: Int16, _ value: Bool) {
    fieldHeader(value ? .boolTrue : .boolFalse, id)
  }

  /// Writes a binary field.
  public mutating func binary(_ id: Int16, _ value: [UInt8]) {
    fieldHeader(.binary, id)
    varint(UInt64(value.count))
    bytes.append(contentsOf: value)
  }

  /// Writes a string field (UTF-8 binary).
  public mutating func string(_ id: Int16, _ value: String) {
    binary(id, Array(value.utf8))
  }

  /// Writes a double field.
  public mutating func double(_ id: Int16, _ value: Double) {
    fieldHeader(.double, id)
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
  }

  /// Begins a struct-valued field; end it with `structEnd()`.
  public mutating func structBegin(_ id: Int16) {
    fieldHeader(.structure, id)
    outerFieldIds.append(lastFieldId)
    lastFieldId = 0
  }

  /// Begins a struct that is a list element (no field header); end it with `structEnd()`.
  public mutating func elementBegin() {
    outerFieldIds.append(lastFieldId)
    lastFieldId = 0
  }

  /// Ends the current struct with a stop byte and restores the outer field id.
  public mutating func structEnd() {
    bytes.append(0)
    lastFieldId = outerFieldIds.popLast() ?? 0
  }

  /// Ends the top-level struct.
  public mutating func stop() { bytes.append(0) }

  /// Begins a list field of `count` elements of `elementType`.
  public mutating func listBegin(_ id: Int16, _ elementType: ThriftType, count: Int) {
    fieldHeader(.list, id)
    if count <= 14 {
      bytes.append(UInt8(count << 4) | elementType.rawValue)
    } else {
      bytes.append(0xF0 | elementType.rawValue)
      varint(UInt64(count))
    }
  }

  /// Appends an i32 list element.
  public mutating func i32Element(_ value: Int32) { zigzag(Int64(value)) }

  /// Appends a binary (string) list element.
  public mutating func binaryElement(_ value: [UInt8]) {
    varint(UInt64(value.count))
    bytes.append(contentsOf: value)
  }
}
