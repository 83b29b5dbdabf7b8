// LakeFormats/Parquet/Encoding/DeltaLengthByteArray.swift
//
// DELTA_LENGTH_BYTE_ARRAY (encoding 6) for BYTE_ARRAY columns (Encodings.md, "Delta-length byte
// array"):
//
//   data := <Delta Encoded Lengths> <Byte Array Data>
//
// The lengths are one DELTA_BINARY_PACKED stream; the values follow, concatenated. Example:
// "Hello", "World", "Foobar", "ABCDEF" → DeltaEncoding(5, 5, 6, 6) "HelloWorldFoobarABCDEF".
//
// Output is Arrow-like: `offsets` holds one start offset plus one end offset per value into
// `data`. Calls append, so one pair of buffers can collect a whole column chunk; offsets are
// Int32, so one pair holds at most 2 GiB of bytes (more throws `unsupported`).

/// DELTA_LENGTH_BYTE_ARRAY (strings): delta-packed lengths, then the bytes concatenated.
public enum DeltaLengthByteArray {
  /// Decodes `count` values, appending their bytes to `data` and their end offsets to `offsets`.
  ///
  /// If `offsets` is empty, the start offset `data.count` is appended first, so after decoding
  /// `offsets` has `count + 1` entries; otherwise its last entry must be `data.count` and `count`
  /// more are appended.
  ///
  /// - Returns: The number of bytes the encoded values occupy.
  /// - Throws: `ParquetError.corrupt` if the lengths are truncated, fewer than `count`, negative,
  ///   or add up to more bytes than follow them; `unsupported` past 2 GiB of `data`.
  public static func decode(
    _ bytes: UnsafeRawBufferPointer, count: Int, offsets: inout [Int32], data: inout [UInt8]
  ) throws -> Int {
    var reader = EncodedBytesReader(bytes)
    try decode(from: &reader, count: count, offsets: &offsets, data: &data)
    return reader.position
  }

  @usableFromInline
  static func decode(
    from reader: inout EncodedBytesReader, count: Int, offsets: inout [Int32],
    data: inout [UInt8]
  ) throws {
    guard count >= 0 else { throw ParquetError.corrupt("negative value count \(count)") }
    let start = try ByteArrayOutput.begin(offsets: &offsets, data: data)
    if count == 0 && reader.remaining == 0 { return }
    var lengths: [Int64] = []
    let got = try DeltaBinaryPacked.decode(from: &reader, limit: count, into: &lengths)
    guard got == count else {
      throw ParquetError.corrupt("delta length byte array holds \(got) lengths, expected \(count)")
    }
    let total = try ByteArrayOutput.checkedSum(lengths, available: reader.remaining)
    try ByteArrayOutput.checkRoom(start: start, adding: total)
    guard let base = reader.base, total > 0 else {
      ByteArrayOutput.appendEnds(lengths, start: start, to: &offsets)
      return
    }
    data.append(
      contentsOf: UnsafeRawBufferPointer(start: base + reader.position, count: total))
    reader.position += total
    ByteArrayOutput.appendEnds(lengths, start: start, to: &offsets)
  }

  /// Encodes `values`: their lengths as DELTA_BINARY_PACKED, then their bytes.
  public static func encode(_ values: [[UInt8]], into output: inout [UInt8]) {
    var ends: [Int32] = [0]
    var end: Int32 = 0
    for value in values {
      end += Int32(value.count)
      ends.append(end)
    }
    ends.withUnsafeBufferPointer { encodeLengths(ofEnds: $0, into: &output) }
    for value in values { output.append(contentsOf: value) }
  }

  /// Encodes the lengths of values given by their end offsets (`ends[0]` is the first start).
  ///
  /// The page writer stages byte strings as one buffer plus offsets; it appends the lengths
  /// with this, then the buffer as it is.
  public static func encodeLengths(
    ofEnds ends: UnsafeBufferPointer<Int32>, into output: inout [UInt8]
  ) {
    guard let e = ends.baseAddress, ends.count > 1 else {
      DeltaBinaryPacked.writeHeader(count: 0, first: 0, into: &output)
      return
    }
    // Lengths are below 2^31, so their deltas (and those minus the block's smallest) fit the
    // INT32 stream a reader expects.
    DeltaBinaryPacked.encode(
      count: ends.count - 1, first: Int64(e[1] &- e[0]), into: &output
    ) { i in
      Int64(e[i &+ 1] &- e[i]) &- Int64(e[i] &- e[i &- 1])
    }
  }
}

/// Checks shared by the byte-array decoders for the Arrow-like offsets/data output.
@usableFromInline
enum ByteArrayOutput {
  /// Makes sure `offsets` starts with the current end of `data`; returns that end.
  @usableFromInline
  static func begin(offsets: inout [Int32], data: [UInt8]) throws -> Int {
    guard data.count <= Int(Int32.max) else {
      throw ParquetError.unsupported("byte array data over 2 GiB in one batch")
    }
    if offsets.isEmpty { offsets.append(Int32(data.count)) }
    return data.count
  }

  /// The sum of `lengths`, each non-negative and the sum at most `available`.
  @usableFromInline
  static func checkedSum(_ lengths: [Int64], available: Int) throws -> Int {
    var total = 0
    for length in lengths {
      guard length >= 0 && length <= Int64(available - total) else {
        throw ParquetError.corrupt(
          "byte array length \(length) exceeds the \(available - total) bytes left")
      }
      total += Int(length)
    }
    return total
  }

  /// Throws unless `adding` more bytes after `start` keep offsets within Int32.
  @usableFromInline
  static func checkRoom(start: Int, adding: Int) throws {
    guard adding <= Int(Int32.max) - start else {
      throw ParquetError.unsupported("byte array data over 2 GiB in one batch")
    }
  }

  /// Appends the running end offsets of `lengths` (already checked to fit in Int32).
  @usableFromInline
  static func appendEnds(_ lengths: [Int64], start: Int, to offsets: inout [Int32]) {
    offsets.reserveCapacity(offsets.count + lengths.count)
    var end = Int64(start)
    for length in lengths {
      end += length
      offsets.append(Int32(truncatingIfNeeded: end))
    }
  }
}
