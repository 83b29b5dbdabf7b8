// LakeFormats/Parquet/Column/ColumnBuffer.swift
//
// One column of a batch of rows in memory, position-aligned: row i's value is at index i of the
// storage array in use, and `validity[i]` says whether it is present (a null slot holds a zero
// value or an empty byte string). Byte strings are Arrow-like: `offsets` (count + 1 entries)
// into one `data` array. Buffers are reused across batches (`removeAll(keepingCapacity:)`).

/// The values of one column for a batch of rows.
public struct ColumnBuffer: Sendable {
  /// The column's type.
  public let type: ColumnType
  /// Rows held.
  public internal(set) var count = 0
  /// Presence per row; empty while the column has no null (all rows present).
  public var validity: [Bool] = []
  /// Null rows.
  public private(set) var nullCount = 0

  public var booleans: [Bool] = []
  public var int32s: [Int32] = []
  public var int64s: [Int64] = []
  public var int128s: [Int128] = []
  public var floats: [Float] = []
  public var doubles: [Double] = []
  /// End offsets of byte strings, with a leading 0 (`count + 1` entries).
  public var offsets: [Int32] = [0]
  /// Concatenated bytes of byte strings.
  public var data: [UInt8] = []

  /// An empty buffer for a column of `type`.
  public init(type: ColumnType, capacity: Int = 0) {
    self.type = type
    reserve(capacity)
  }

  /// Reserves room for `rows` rows.
  public mutating func reserve(_ rows: Int) {
    guard rows > 0 else { return }
    switch type.storage {
    case .boolean: booleans.reserveCapacity(rows)
    case .int32: int32s.reserveCapacity(rows)
    case .int64: int64s.reserveCapacity(rows)
    case .int128: int128s.reserveCapacity(rows)
    case .float: floats.reserveCapacity(rows)
    case .double: doubles.reserveCapacity(rows)
    case .bytes: offsets.reserveCapacity(rows + 1)
    }
  }

  /// Empties the buffer, keeping its capacity.
  public mutating func removeAll() {
    count = 0
    nullCount = 0
    validity.removeAll(keepingCapacity: true)
    booleans.removeAll(keepingCapacity: true)
    int32s.removeAll(keepingCapacity: true)
    int64s.removeAll(keepingCapacity: true)
    int128s.removeAll(keepingCapacity: true)
    floats.removeAll(keepingCapacity: true)
    doubles.removeAll(keepingCapacity: true)
    offsets.removeAll(keepingCapacity: true)
    offsets.append(0)
    data.removeAll(keepingCapacity: true)
  }

  /// True when row `i` holds a value.
  @inlinable
  public func isValid(_ i: Int) -> Bool { validity.isEmpty || validity[i] }

  @usableFromInline
  mutating func markPresent() {
    if !validity.isEmpty { validity.append(true) }
    count += 1
  }

  /// Appends a null (a zero placeholder in the storage).
  public mutating func appendNull() {
    if validity.isEmpty { validity = [Bool](repeating: true, count: count) }
    validity.append(false)
    nullCount += 1
    count += 1
    switch type.storage {
    case .boolean: booleans.append(false)
    case .int32: int32s.append(0)
    case .int64: int64s.append(0)
    case .int128: int128s.append(0)
    case .float: floats.append(0)
    case .double: doubles.append(0)
    case .bytes: offsets.append(Int32(data.count))
    }
  }

  /// Appends a boolean.
  @inlinable
  public mutating func append(_ value: Bool) {
    booleans.append(value)
    markPresent()
  }

  /// Appends an int32 (int32 and date columns).
  @inlinable
  public mutating func append(_ value: Int32) {
    int32s.append(value)
    markPresent()
  }

  /// Appends an int64 (int64, timestamp and decimal p ≤ 18 columns).
  @inlinable
  public mutating func append(_ value: Int64) {
    int64s.append(value)
    markPresent()
  }

  /// Appends an Int128 (decimal p > 18 columns).
  public mutating func append(_ value: Int128) {
    int128s.append(value)
    markPresent()
  }

  /// Appends a float.
  @inlinable
  public mutating func append(_ value: Float) {
    floats.append(value)
    markPresent()
  }

  /// Appends a double.
  @inlinable
  public mutating func append(_ value: Double) {
    doubles.append(value)
    markPresent()
  }

  /// Appends a byte string (string and binary columns).
  @inlinable
  public mutating func append(bytes: UnsafeRawBufferPointer) {
    data.append(contentsOf: bytes)
    offsets.append(Int32(truncatingIfNeeded: data.count))
    markPresent()
  }

  /// Appends a byte string.
  public mutating func append(bytes: [UInt8]) {
    bytes.withUnsafeBytes { append(bytes: $0) }
  }

  /// Appends a string's UTF-8 bytes.
  public mutating func append(string: String) {
    var s = string
    s.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
  }

  /// The bytes of row `i` (string and binary columns).
  public func bytes(at i: Int) -> ArraySlice<UInt8> {
    data[Int(offsets[i])..<Int(offsets[i + 1])]
  }

  /// Appends row `i` of `other` (same type).
  public mutating func append(from other: ColumnBuffer, row i: Int) {
    guard other.isValid(i) else {
      appendNull()
      return
    }
    switch type.storage {
    case .boolean: append(other.booleans[i])
    case .int32: append(other.int32s[i])
    case .int64: append(other.int64s[i])
    case .int128: append(other.int128s[i])
    case .float: append(other.floats[i])
    case .double: append(other.doubles[i])
    case .bytes:
      other.data.withUnsafeBytes { raw in
        append(
          bytes: UnsafeRawBufferPointer(
            rebasing: raw[Int(other.offsets[i])..<Int(other.offsets[i + 1])]))
      }
    }
  }
}
