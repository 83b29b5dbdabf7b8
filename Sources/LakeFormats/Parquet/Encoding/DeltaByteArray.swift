// LakeFormats/Parquet/Encoding/DeltaByteArray.swift
//
// DELTA_BYTE_ARRAY (encoding 7), incremental or front coding, for BYTE_ARRAY and
// FIXED_LEN_BYTE_ARRAY columns (Encodings.md, "Delta Strings"):
//
//   data := <prefix lengths: DELTA_BINARY_PACKED> <suffixes: DELTA_LENGTH_BYTE_ARRAY>
//
// Value i is the first `prefix[i]` bytes of value i-1 followed by `suffix[i]`. Example:
// "axis", "axle", "babble", "babyhood" → DeltaEncoding(0, 2, 0, 3) DeltaEncoding(4, 2, 6, 5)
// "axislebabbleyhood".
//
// A prefix longer than the previous value is corrupt. The decoded size is checked against the
// Int32 offset limit before anything is allocated, because front coding can expand a small page
// into far more bytes (every value may repeat the whole previous one). FIXED_LEN_BYTE_ARRAY
// readers check each length themselves.

/// DELTA_BYTE_ARRAY (strings): prefix lengths shared with the previous value, then suffixes.
public enum DeltaByteArray {
  /// Decodes `count` values, appending their bytes to `data` and their end offsets to `offsets`.
  ///
  /// Output follows the same append-style Arrow layout as `DeltaLengthByteArray.decode`.
  ///
  /// - Returns: The number of bytes the encoded values occupy.
  /// - Throws: `ParquetError.corrupt` if a section is truncated or short, or a prefix is longer
  ///   than the previous value; `unsupported` past 2 GiB of `data`.
  public static func decode(
    _ bytes: UnsafeRawBufferPointer, count: Int, offsets: inout [Int32], data: inout [UInt8]
  ) throws -> Int {
    guard count >= 0 else { throw ParquetError.corrupt("negative value count \(count)") }
    let start = try ByteArrayOutput.begin(offsets: &offsets, data: data)
    var reader = EncodedBytesReader(bytes)
    if count == 0 && reader.remaining == 0 { return 0 }

    var prefixes: [Int64] = []
    let prefixCount = try DeltaBinaryPacked.decode(from: &reader, limit: count, into: &prefixes)
    guard prefixCount == count else {
      throw ParquetError.corrupt(
        "delta byte array holds \(prefixCount) prefix lengths, expected \(count)")
    }
    var suffixes: [Int64] = []
    let suffixCount = try DeltaBinaryPacked.decode(from: &reader, limit: count, into: &suffixes)
    guard suffixCount == count else {
      throw ParquetError.corrupt(
        "delta byte array holds \(suffixCount) suffix lengths, expected \(count)")
    }
    let suffixBytes = try ByteArrayOutput.checkedSum(suffixes, available: reader.remaining)
    let suffixStart = reader.position

    // Pass 1: validate prefixes and size the output, with no allocation yet.
    var lengths = [Int64](repeating: 0, count: count)
    var previous: Int64 = 0
    var total = 0
    for i in 0..<count {
      let prefix = prefixes[i]
      guard prefix >= 0 && prefix <= previous else {
        throw ParquetError.corrupt(
          "delta byte array prefix \(prefix) is longer than the previous value (\(previous))")
      }
      let length = prefix + suffixes[i]
      lengths[i] = length
      total += Int(length)
      try ByteArrayOutput.checkRoom(start: start, adding: total)
      previous = length
    }

    // Pass 2: copy prefixes from the previous value in `data`, suffixes from the page.
    data.append(contentsOf: repeatElement(0, count: total))
    if total > 0, let base = reader.base {
      data.withUnsafeMutableBytes { out in
        guard let outBase = out.baseAddress else { return }
        var at = start
        var previousStart = start
        var source = suffixStart
        for i in 0..<count {
          let prefix = Int(prefixes[i])
          let suffix = Int(suffixes[i])
          // Source and destination never overlap: the previous value ends where this one starts.
          if prefix > 0 {
            (outBase + at).copyMemory(from: outBase + previousStart, byteCount: prefix)
          }
          if suffix > 0 {
            (outBase + at + prefix).copyMemory(from: base + source, byteCount: suffix)
          }
          previousStart = at
          at += prefix + suffix
          source += suffix
        }
      }
    }
    reader.position = suffixStart + suffixBytes
    ByteArrayOutput.appendEnds(lengths, start: start, to: &offsets)
    return reader.position
  }

  /// Encodes `values` with front coding against each previous value.
  public static func encode(_ values: [[UInt8]], into output: inout [UInt8]) {
    var prefixes: [Int64] = []
    var suffixLengths: [Int64] = []
    prefixes.reserveCapacity(values.count)
    suffixLengths.reserveCapacity(values.count)
    var previous: [UInt8] = []
    for value in values {
      var shared = 0
      let limit = min(previous.count, value.count)
      while shared < limit && previous[shared] == value[shared] { shared += 1 }
      prefixes.append(Int64(shared))
      suffixLengths.append(Int64(value.count - shared))
      previous = value
    }
    DeltaBinaryPacked.encode(prefixes, into: &output)
    DeltaBinaryPacked.encode(suffixLengths, into: &output)
    for (value, shared) in zip(values, prefixes) {
      output.append(contentsOf: value[Int(shared)...])
    }
  }
}
