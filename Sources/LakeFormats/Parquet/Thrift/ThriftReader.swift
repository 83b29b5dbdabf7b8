// LakeFormats/Parquet/Thrift/ThriftReader.swift
//
// The Thrift Compact Protocol, read side (see ThriftWriter.swift for the grammar). Lenient the
// way arrow-rs `parquet_thrift.rs` is: unknown field ids are skipped generically (new ones keep
// appearing), list element type 1 or 2 both mean bool, an empty list may be a bare 0x00.
// Strict where safety needs it: every length is checked against the bytes left, nesting depth is
// bounded, and nothing input-derived can trap.

/// Reads Thrift compact values from bytes that stay valid while it is used.
public struct ThriftReader {
  let base: UnsafeRawBufferPointer
  /// The read position.
  public private(set) var position: Int
  var depth = 0
  static let maxDepth = 64

  /// Reads from `bytes` starting at `position`.
  public init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
    base = bytes
    self.position = position
  }

  /// Bytes left.
  public var remaining: Int { base.count - position }

  @inline(__always)
  mutating func byte() throws -> UInt8 {
    guard position < base.count else {
      throw ParquetError.corrupt("thrift: unexpected end of data")
    }
    let b = base[position]
    position += 1
    return b
  }

  /// Reads an unsigned LEB128 varint (at most 10 bytes).
  public mutating func varint() throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let b = try byte()
      result |= UInt64(b & 0x7F) << shift
      if b & 0x80 == 0 { return result }
      shift += 7
      if shift >= 64 { throw ParquetError.corrupt("thrift: varint too long") }
    }
  }

  /// Reads a zigzag varint as a signed 64-bit integer.
  public mutating func zigzag() throws -> Int64 {
    let u = try varint()
    return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
  }

  /// Reads an i32 value.
  public mutating func i32() throws -> Int32 {
    let v = try zigzag()
    guard let r = Int32(exactly: v) else { throw ParquetError.corrupt("thrift: i32 out of range") }
    return r
  }

  /// Reads an i64 value.
  public mutating func i64() throws -> Int64 { try zigzag() }

  /// Reads an i8 value (one raw byte).
  public mutating func i8() throws -> Int8 { Int8(bitPattern: try byte()) }

  /// Reads a double (8 bytes little-endian).
  public mutating func double() throws -> Double {
    guard remaining >= 8 else { throw ParquetError.corrupt("thrift: unexpected end of data") }
    var bits: UInt64 = 0
    for i in 0..<8 { bits |= UInt64(base[position + i]) << (8 * UInt64(i)) }
    position += 8
    return Double(bitPattern: bits)
  }

  /// Reads a binary value.
  public mutating func binary() throws -> [UInt8] {
    let n = try varint()
    guard n <= UInt64(remaining) else {
      throw ParquetError.corrupt("thrift: binary of \(n) bytes past the end of data")
    }
    let out = Array(base[position..<(position + Int(n))])
    position += Int(n)
    return out
  }

  /// Reads a string value (UTF-8; invalid bytes are replaced).
  public mutating func string() throws -> String {
    String(decoding: try binary(), as: UTF8.self)
  }

  /// Reads a field header; nil at the struct's stop byte.
  ///
  /// `lastId` is the struct's own counter.
  public mutating func fieldHeader(lastId: inout Int16) throws -> (type: UInt8, id: Int16)? {
    let b = try byte()
    if b == 0 { return nil }
    let type = b & 0x0F
    let delta = b >> 4
    if delta != 0 {
      lastId &+= Int16(delta)
    } else {
      let id = try zigzag()
      guard let id16 = Int16(exactly: id) else {
        throw ParquetError.corrupt("thrift: field id out of range")
      }
      lastId = id16
    }
    return (type, lastId)
  }

  /// Reads a list header: element type and count (checked against the bytes left).
  public mutating func listHeader() throws -> (elementType: UInt8, count: Int) {
    let b = try byte()
    var count = Int(b >> 4)
    if count == 15 {
      let n = try varint()
      guard n <= UInt64(remaining) else {
        throw ParquetError.corrupt("thrift: list of \(n) elements past the end of data")
      }
      count = Int(n)
    }
    return (b & 0x0F, count)
  }

  /// Reads a bool field value from its type nibble.
  public func bool(type: UInt8) throws -> Bool {
    switch type {
    case ThriftType.boolTrue.rawValue: return true
    case ThriftType.boolFalse.rawValue: return false
    default: throw ParquetError.corrupt("thrift: expected a bool, found type \(type)")
    }
  }

  /// Reads a bool list element (1 = true; 0 or 2 = false).
  public mutating func boolElement() throws -> Bool { try byte() == 1 }

  /// Enters a nested struct (bounded depth); pair with `leaveStruct()`.
  public mutating func enterStruct() throws {
    depth += 1
    if depth > Self.maxDepth { throw ParquetError.corrupt("thrift: nesting too deep") }
  }

  /// Leaves a nested struct.
  public mutating func leaveStruct() { depth -= 1 }

  /// Skips a value of `type` (used for unknown fields).
  public mutating func skip(_ type: UInt8) throws {
    switch type {
    case ThriftType.boolTrue.rawValue, ThriftType.boolFalse.rawValue: return
    case ThriftType.i8.rawValue: _ = try byte()
    case ThriftType.i16.rawValue, ThriftType.i32.rawValue, ThriftType.i64.rawValue: _ = try varint()
    case ThriftType.double.rawValue:
      guard remaining >= 8 else { throw ParquetError.corrupt("thrift: unexpected end of data") }
      position += 8
    case ThriftType.binary.rawValue:
      let n = try varint()
      guard n <= UInt64(remaining) else {
        throw ParquetError.corrupt("thrift: unexpected end of data")
      }
      position += Int(n)
    case ThriftType.list.rawValue, ThriftType.set.rawValue:
      let (elementType, count) = try listHeader()
      try enterStruct()
      for _ in 0..<count {
        if elementType == ThriftType.boolTrue.rawValue
          || elementType == ThriftType.boolFalse.rawValue
        {
          _ = try byte()
        } else {
          try skip(elementType)
        }
      }
      leaveStruct()
    case ThriftType.map.rawValue:
      let n = try varint()
      guard n <= UInt64(remaining) else {
        throw ParquetError.corrupt("thrift: map past the end of data")
      }
      if n == 0 { return }
      let kinds = try byte()
      try enterStruct()
      for _ in 0..<n {
        try skip(kinds >> 4)
        try skip(kinds & 0x0F)
      }
      leaveStruct()
    case ThriftType.structure.rawValue:
      try enterStruct()
      var last: Int16 = 0
      while let (t, _) = try fieldHeader(lastId: &last) { try skip(t) }
      leaveStruct()
    default:
      throw ParquetError.corrupt("thrift: unknown type \(type)")
    }
  }

  /// Reads the fields of a struct, calling `body` for each (which must consume or skip it).
  public mutating func readStruct(_ body: (inout ThriftReader, UInt8, Int16) throws -> Void) throws
  {
    try enterStruct()
    var last: Int16 = 0
    while let (type, id) = try fieldHeader(lastId: &last) {
      try body(&self, type, id)
    }
    leaveStruct()
  }

  /// Reads a list whose elements are read by `element`.
  public mutating func readList<T>(_ element: (inout ThriftReader) throws -> T) throws -> [T] {
    let (_, count) = try listHeader()
    var out: [T] = []
    out.reserveCapacity(min(count, 4096))
    for _ in 0..<count { out.append(try element(&self)) }
    return out
  }
}
