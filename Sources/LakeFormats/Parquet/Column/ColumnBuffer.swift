// LakeFormats/Parquet/Column/ColumnBuffer.swift
//
// One column of a batch of rows in memory, position-aligned: row i's value is at index i of the
// storage array in use, and `validity[i]` says whether it is present (a null slot holds a zero
// value or an empty byte string). Byte strings are Arrow-like: `offsets` (count + 1 entries)
// into one `data` array. Buffers are reused across batches (`removeAll(keepingCapacity:)`).

/// The dictionary of a Parquet column chunk, shared by the buffers decoded from it (its
/// identity tells readers that two batches index the same dictionary).
public final class ColumnDictionary: Sendable {
  public let values: ColumnBuffer
  init(_ values: ColumnBuffer) { self.values = values }
}

/// The values of one column for a batch of rows.
public struct ColumnBuffer: Sendable {
  /// The column's type (``retyped(_:)`` changes it to another of the same storage).
  public internal(set) var type: ColumnType
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
  /// Each row's index into its Parquet chunk's dictionary, when asked for.
  ///
  /// Set when every row came from one dictionary-encoded Parquet column chunk (and the reader
  /// was asked for them): each row's index into `dictionary` (0 for a null row). Valid only while
  /// ``dictionaryCodesValid`` holds: appending rows does not extend them, removing rows drops
  /// them, and values changed in place are not seen (read them right after reading the file).
  public internal(set) var dictionaryCodes: [UInt32] = []
  /// The chunk's dictionary (its values, in the column's type), nil when there are no codes.
  public internal(set) var dictionary: ColumnDictionary?

  /// True when every row is known to hold one and the same present value.
  ///
  /// Set by the `repeating:` appends on an empty buffer, cleared by anything else that adds or
  /// removes rows: the Parquet writer then encodes the rows as one dictionary entry and one
  /// run, without looking at each row. The storage still holds every row's value.
  public internal(set) var isUniform = false

  /// True when the rows' values were not decoded: only ``dictionaryCodes`` (with
  /// ``dictionary``) and ``validity`` give them, the value storage is empty.
  ///
  /// Set by the Parquet reader for columns asked for as codes only
  /// (`ParquetFileReader.codesOnlyColumns`); cleared by `removeAll`.
  public internal(set) var valuesOmitted = false

  /// True when `dictionaryCodes` give every row's value (`dictionary.values[code]`).
  public var dictionaryCodesValid: Bool {
    dictionary != nil && dictionaryCodes.count == count
  }

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
    isUniform = false
    valuesOmitted = false
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
    dictionaryCodes.removeAll(keepingCapacity: true)
    dictionary = nil
  }

  /// True when row `i` holds a value.
  @inlinable
  public func isValid(_ i: Int) -> Bool { validity.isEmpty || validity[i] }

  @usableFromInline
  mutating func markPresent() {
    isUniform = false
    if !validity.isEmpty { validity.append(true) }
    count += 1
  }

  /// Appends a null (a zero placeholder in the storage).
  public mutating func appendNull() {
    isUniform = false
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

  /// Appends `n` nulls.
  public mutating func appendNulls(_ n: Int) {
    guard n > 0 else { return }
    isUniform = false
    if validity.isEmpty { validity = [Bool](repeating: true, count: count) }
    validity.append(contentsOf: repeatElement(false, count: n))
    nullCount += n
    count += n
    switch type.storage {
    case .boolean: booleans.append(contentsOf: repeatElement(false, count: n))
    case .int32: int32s.append(contentsOf: repeatElement(0, count: n))
    case .int64: int64s.append(contentsOf: repeatElement(0, count: n))
    case .int128: int128s.append(contentsOf: repeatElement(0, count: n))
    case .float: floats.append(contentsOf: repeatElement(0, count: n))
    case .double: doubles.append(contentsOf: repeatElement(0, count: n))
    case .bytes: offsets.append(contentsOf: repeatElement(Int32(data.count), count: n))
    }
  }

  /// Appends the same int32 `n` times.
  public mutating func append(_ value: Int32, repeating n: Int) {
    guard n > 0 else { return }
    isUniform = count == 0
    int32s.append(contentsOf: repeatElement(value, count: n))
    if !validity.isEmpty { validity.append(contentsOf: repeatElement(true, count: n)) }
    count += n
  }

  /// Appends the same int64 `n` times.
  public mutating func append(_ value: Int64, repeating n: Int) {
    guard n > 0 else { return }
    isUniform = count == 0
    int64s.append(contentsOf: repeatElement(value, count: n))
    if !validity.isEmpty { validity.append(contentsOf: repeatElement(true, count: n)) }
    count += n
  }

  /// Appends the `n` int64s `first`, `first + 1`, … (row numbers).
  public mutating func append(countingFrom first: Int64, _ n: Int) {
    guard n > 0 else { return }
    isUniform = false
    ColumnBuffer.extend(&int64s, by: n) { dst in
      for k in 0..<n { dst[k] = first &+ Int64(k) }
    }
    if !validity.isEmpty { validity.append(contentsOf: repeatElement(true, count: n)) }
    count += n
  }

  /// Appends the same byte string `n` times.
  public mutating func append(bytes value: UnsafeRawBufferPointer, repeating n: Int) {
    guard n > 0 else { return }
    isUniform = count == 0
    // The value once, then the bytes written so far copied after themselves (doubling).
    let k = value.count
    let base = data.count
    if k > 0 {
      ColumnBuffer.extend(&data, by: k * n) { dst in
        let out = UnsafeMutableRawBufferPointer(dst)
        out.copyMemory(from: value)
        var filled = k
        while filled < k * n {
          let m = min(filled, k * n - filled)
          UnsafeMutableRawBufferPointer(rebasing: out[filled..<(filled + m)]).copyMemory(
            from: UnsafeRawBufferPointer(rebasing: out[0..<m]))
          filled += m
        }
      }
    }
    ColumnBuffer.extend(&offsets, by: n) { dst in
      for r in 0..<n { dst[r] = Int32(truncatingIfNeeded: base + k * (r + 1)) }
    }
    if !validity.isEmpty { validity.append(contentsOf: repeatElement(true, count: n)) }
    count += n
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

// MARK: - Bulk operations for readers

extension ColumnBuffer {
  /// Appends `n` present values written by `fill` into fresh room of an array (no per-value
  /// bookkeeping).
  @inline(__always)
  static func extend<T: FixedWidthInteger>(
    _ array: inout [T], by n: Int, _ fill: (UnsafeMutableBufferPointer<T>) throws -> Void
  ) rethrows {
    let start = array.count
    array.append(contentsOf: repeatElement(0, count: n))
    try array.withUnsafeMutableBufferPointer { buffer in
      try fill(UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + n)]))
    }
  }

  /// Records `n` more present rows after their values were added to the storage directly.
  mutating func didAppendPresent(_ n: Int) {
    isUniform = false
    if !validity.isEmpty { validity.append(contentsOf: repeatElement(true, count: n)) }
    count += n
  }

  /// Appends all rows of `other` (same type).
  public mutating func append(contentsOf other: ColumnBuffer) {
    let n = other.count
    guard n > 0 else { return }
    isUniform = false
    if other.validity.isEmpty {
      if !validity.isEmpty { validity.append(contentsOf: repeatElement(true, count: n)) }
    } else {
      if validity.isEmpty { validity = [Bool](repeating: true, count: count) }
      validity.append(contentsOf: other.validity)
    }
    nullCount += other.nullCount
    count += n
    switch type.storage {
    case .boolean: booleans.append(contentsOf: other.booleans)
    case .int32: int32s.append(contentsOf: other.int32s)
    case .int64: int64s.append(contentsOf: other.int64s)
    case .int128: int128s.append(contentsOf: other.int128s)
    case .float: floats.append(contentsOf: other.floats)
    case .double: doubles.append(contentsOf: other.doubles)
    case .bytes:
      let base = Int32(truncatingIfNeeded: data.count)
      data.append(contentsOf: other.data)
      offsets.reserveCapacity(offsets.count + n)
      for i in 1...n { offsets.append(base &+ other.offsets[i]) }
    }
  }

  /// Appends rows `rows` of `other` (same type), in that order: a gather without a per-row
  /// copy of the buffer.
  public mutating func append(from other: ColumnBuffer, rows: UnsafeBufferPointer<Int32>) {
    let n = rows.count
    guard n > 0 else { return }
    isUniform = false
    if other.validity.isEmpty {
      if !validity.isEmpty { validity.append(contentsOf: repeatElement(true, count: n)) }
    } else {
      if validity.isEmpty { validity = [Bool](repeating: true, count: count) }
      validity.reserveCapacity(validity.count + n)
      other.validity.withUnsafeBufferPointer { v in
        for r in rows {
          let present = v[Int(r)]
          validity.append(present)
          if !present { nullCount += 1 }
        }
      }
    }
    count += n
    func gather<T>(_ array: inout [T], _ source: [T]) {
      array.reserveCapacity(array.count + n)
      source.withUnsafeBufferPointer { s in
        for r in rows { array.append(s[Int(r)]) }
      }
    }
    switch type.storage {
    case .boolean: gather(&booleans, other.booleans)
    case .int32: gather(&int32s, other.int32s)
    case .int64: gather(&int64s, other.int64s)
    case .int128: gather(&int128s, other.int128s)
    case .float: gather(&floats, other.floats)
    case .double: gather(&doubles, other.doubles)
    case .bytes:
      offsets.reserveCapacity(offsets.count + n)
      other.offsets.withUnsafeBufferPointer { o in
        other.data.withUnsafeBytes { d in
          var total = 0
          for r in rows { total += Int(o[Int(r) + 1] &- o[Int(r)]) }
          data.reserveCapacity(data.count + total)
          var end = Int32(truncatingIfNeeded: data.count)
          for r in rows {
            let from = Int(o[Int(r)])
            let to = Int(o[Int(r) + 1])
            if to > from { data.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[from..<to])) }
            end &+= Int32(truncatingIfNeeded: to &- from)
            offsets.append(end)
          }
        }
      }
    }
  }

  /// Appends the rows of a page: `dense` holds the present values in order, `levels[i]` says
  /// whether row i is present (1) or null (0).
  mutating func append(spreading dense: ColumnBuffer, levels: UnsafeBufferPointer<UInt32>) {
    let rows = levels.count
    isUniform = false
    if validity.isEmpty { validity = [Bool](repeating: true, count: count) }
    validity.reserveCapacity(validity.count + rows)
    var next = 0
    func spread<T>(_ values: inout [T], _ source: [T], zero: T) {
      values.reserveCapacity(values.count + rows)
      for i in 0..<rows {
        if levels[i] != 0 {
          values.append(source[next])
          next += 1
        } else {
          values.append(zero)
        }
      }
    }
    switch type.storage {
    case .boolean: spread(&booleans, dense.booleans, zero: false)
    case .int32: spread(&int32s, dense.int32s, zero: 0)
    case .int64: spread(&int64s, dense.int64s, zero: 0)
    case .int128: spread(&int128s, dense.int128s, zero: 0)
    case .float: spread(&floats, dense.floats, zero: 0)
    case .double: spread(&doubles, dense.doubles, zero: 0)
    case .bytes:
      offsets.reserveCapacity(offsets.count + rows)
      let base = Int32(truncatingIfNeeded: data.count)
      data.append(contentsOf: dense.data)
      for i in 0..<rows {
        if levels[i] != 0 { next += 1 }
        offsets.append(base &+ dense.offsets[next])
      }
    }
    var nulls = 0
    for i in 0..<rows {
      let present = levels[i] != 0
      validity.append(present)
      if !present { nulls += 1 }
    }
    nullCount += nulls
    count += rows
  }
}

// MARK: - Rows without values

extension ColumnBuffer {
  /// Appends `rows` rows without their values (``valuesOmitted``): present where `levels[i]` is
  /// 1 (every row when `levels` is nil), null where 0.
  mutating func appendOmitted(rows: Int, levels: UnsafeBufferPointer<UInt32>?) {
    isUniform = false
    valuesOmitted = true
    if let levels {
      if validity.isEmpty { validity = [Bool](repeating: true, count: count) }
      validity.reserveCapacity(validity.count + rows)
      var nulls = 0
      for i in 0..<rows {
        let present = levels[i] != 0
        validity.append(present)
        if !present { nulls += 1 }
      }
      nullCount += nulls
    } else if !validity.isEmpty {
      validity.append(contentsOf: repeatElement(true, count: rows))
    }
    count += rows
  }
}

// MARK: - Removing rows

extension ColumnBuffer {
  /// Removes the rows at `rows` in place, keeping the others in order.
  ///
  /// The rows kept between two removed ones move in one block per storage array, so removing a
  /// few rows of a large buffer costs about one pass over its bytes and allocates nothing.
  ///
  /// - Parameter rows: Row indices, ascending, distinct, each below ``count``.
  public mutating func removeRows(_ rows: [Int]) {
    guard let first = rows.first else { return }
    precondition(
      rows.last! < count && zip(rows, rows.dropFirst()).allSatisfy { $0 < $1 },
      "rows to remove must be ascending, distinct and in range")
    // The codes no longer line up with the rows; the rows left are still uniform.
    dictionaryCodes.removeAll()
    dictionary = nil
    let n = count
    // Each kept run: the rows after a removed row, up to the next removed row.
    func compact<T>(_ array: inout [T]) {
      array.withUnsafeMutableBufferPointer { a in
        var write = first
        for k in rows.indices {
          let start = rows[k] + 1
          let end = k + 1 < rows.count ? rows[k + 1] : n
          if start < end {
            (a.baseAddress! + write).update(from: a.baseAddress! + start, count: end - start)
            write += end - start
          }
        }
      }
      array.removeLast(rows.count)
    }
    if !validity.isEmpty {
      var removedNulls = 0
      for r in rows where !validity[r] { removedNulls += 1 }
      nullCount -= removedNulls
      compact(&validity)
    }
    switch type.storage {
    case .boolean: compact(&booleans)
    case .int32: compact(&int32s)
    case .int64: compact(&int64s)
    case .int128: compact(&int128s)
    case .float: compact(&floats)
    case .double: compact(&doubles)
    case .bytes:
      var writeByte = 0
      offsets.withUnsafeMutableBufferPointer { o in
        data.withUnsafeMutableBytes { d in
          // `o[i]` is where row i starts, `o[i + 1]` where it ends. Row `first` and those before
          // it stay; each kept row's end is rewritten at its new index, which never passes the
          // index read next.
          var writeRow = first
          writeByte = Int(o[first])
          for k in rows.indices {
            let start = rows[k] + 1
            let end = k + 1 < rows.count ? rows[k + 1] : n
            guard start < end else { continue }
            let from = Int(o[start])
            let to = Int(o[end])
            if to > from {
              (d.baseAddress! + writeByte).copyMemory(
                from: d.baseAddress! + from, byteCount: to - from)
            }
            for i in start..<end {
              writeRow += 1
              o[writeRow] = Int32(truncatingIfNeeded: writeByte + Int(o[i + 1]) - from)
            }
            writeByte += to - from
          }
        }
      }
      offsets.removeLast(rows.count)
      data.removeLast(data.count - writeByte)
    }
    count -= rows.count
  }
}
