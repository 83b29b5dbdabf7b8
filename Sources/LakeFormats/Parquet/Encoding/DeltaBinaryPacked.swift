// LakeFormats/Parquet/Encoding/DeltaBinaryPacked.swift
//
// DELTA_BINARY_PACKED (encoding 5) for INT32 and INT64 columns (Encodings.md, "Delta Encoding"):
//
//   header := <block size in values> <number of miniblocks in a block> <total value count>
//             <first value>                       (ULEB128, ULEB128, ULEB128, zigzag ULEB128)
//   block  := <min delta> <list of bitwidths of miniblocks> <miniblocks>
//             (zigzag ULEB128, one byte per miniblock, each miniblock bit-packed LSB first)
//
// * the block size is a multiple of 128; the values per miniblock are a multiple of 32.
// * value[i] = value[i-1] + min delta + packed delta; overflow wraps in two's complement, so all
//   arithmetic here uses `&+` and `&-`. INT32 data decodes correctly through Int64 wrapping:
//   the column reader truncates each value with `Int32(truncatingIfNeeded:)`.
// * the last miniblock is padded to full size; in the last block the bit widths of unneeded
//   miniblocks are present (any value, readers must accept it) but their bodies are not.
//
// Both the DELTA_LENGTH_BYTE_ARRAY lengths and the DELTA_BYTE_ARRAY prefix and suffix lengths
// are streams of this encoding, so the decoder always walks to the end of the stream to report
// where the next section starts, even when asked for fewer values than the header holds.

/// DELTA_BINARY_PACKED (INT32 and INT64 columns); decoding uses wrapping arithmetic (&+).
public enum DeltaBinaryPacked {
  /// The block size the encoder writes, in values.
  public static let encoderBlockSize = 128
  /// The miniblocks per block the encoder writes (32 values each).
  public static let encoderMiniblockCount = 4

  /// Decodes up to `count` values, appending them to `output`.
  ///
  /// Appends `min(count, total value count in the header)` values; callers that need exactly
  /// `count` must check how many were appended. The returned length always covers the whole
  /// encoded stream, including blocks beyond `count` values.
  ///
  /// - Returns: The number of bytes the stream occupies.
  /// - Throws: `ParquetError.corrupt` on truncation or a bad header (block size not a positive
  ///   multiple of 128, miniblock count not dividing it into multiples of 32, a miniblock bit
  ///   width over 64).
  public static func decode(
    _ bytes: UnsafeRawBufferPointer, count: Int, into output: inout [Int64]
  ) throws -> Int {
    var reader = EncodedBytesReader(bytes)
    _ = try decode(from: &reader, limit: count, into: &output)
    return reader.position
  }

  /// Decodes one stream at the reader's position, appending up to `limit` values to `output`.
  ///
  /// - Returns: The number of values appended; the reader ends after the whole stream.
  @usableFromInline
  static func decode(
    from reader: inout EncodedBytesReader, limit: Int, into output: inout [Int64]
  ) throws -> Int {
    guard limit >= 0 else { throw ParquetError.corrupt("negative delta value count \(limit)") }
    let int32Max = Int(Int32.max)
    let blockSize = try reader.readCount("delta block size", limit: int32Max)
    let miniblockCount = try reader.readCount("delta miniblock count", limit: int32Max)
    let total = try reader.readCount("delta value count", limit: int32Max)
    let first = try reader.readZigZag("delta first value")
    guard blockSize > 0 && blockSize % 128 == 0 else {
      throw ParquetError.corrupt("delta block size \(blockSize) is not a multiple of 128")
    }
    guard miniblockCount > 0 && blockSize % miniblockCount == 0 else {
      throw ParquetError.corrupt(
        "delta miniblock count \(miniblockCount) does not divide block size \(blockSize)")
    }
    let perMiniblock = blockSize / miniblockCount
    guard perMiniblock % 32 == 0 else {
      throw ParquetError.corrupt(
        "delta miniblocks of \(perMiniblock) values are not a multiple of 32")
    }
    let wanted = min(limit, total)
    // Only a hint: the header count is not trusted for allocation.
    output.reserveCapacity(output.count + min(wanted, reader.remaining * 8 + 64))
    if wanted > 0 { output.append(first) }
    var produced = min(wanted, 1)
    var deltasLeft = max(total - 1, 0)
    var last = first

    try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64) { scratch in
      guard let scratchBase = scratch.baseAddress else { return }
      while deltasLeft > 0 {
        let minDelta = try reader.readZigZag("delta block min delta")
        guard reader.remaining >= miniblockCount, let base = reader.base else {
          throw ParquetError.corrupt("delta block bit widths truncated")
        }
        let widthsAt = reader.position
        reader.position += miniblockCount
        var miniblock = 0
        while miniblock < miniblockCount && deltasLeft > 0 {
          let width = Int(base.load(fromByteOffset: widthsAt + miniblock, as: UInt8.self))
          guard width <= 64 else {
            throw ParquetError.corrupt("delta miniblock bit width \(width) is over 64")
          }
          let inMiniblock = min(perMiniblock, deltasLeft)
          let miniblockBytes = perMiniblock * width / 8
          let toDecode = min(inMiniblock, wanted - produced)
          if toDecode > 0 {
            guard toDecode * width <= reader.remaining * 8 else {
              throw ParquetError.corrupt("delta miniblock truncated")
            }
            let startBit = reader.position * 8
            var done = 0
            while done < toDecode {
              let n = min(64, toDecode - done)
              BitPacking.unpack64(
                base, byteCount: reader.count, bitOffset: startBit + done * width, width: width,
                count: n, into: scratchBase)
              for j in 0..<n {
                last = last &+ minDelta &+ Int64(bitPattern: scratchBase[j])
                output.append(last)
              }
              done += n
            }
            produced += toDecode
          }
          if miniblockBytes <= reader.remaining {
            reader.position += miniblockBytes
          } else if inMiniblock == deltasLeft {
            // The stream's final miniblock cut short instead of padded: accept what is there.
            reader.position = reader.count
          } else {
            throw ParquetError.corrupt("delta miniblock truncated")
          }
          deltasLeft -= inMiniblock
          miniblock += 1
        }
      }
    }
    return produced
  }

  /// Encodes INT64 values with blocks of 128 values in 4 miniblocks, as parquet-mr and arrow do.
  public static func encode(_ values: [Int64], into output: inout [UInt8]) {
    values.withUnsafeBufferPointer { encode($0, into: &output) }
  }

  /// Encodes INT32 values with 32-bit wrapping deltas, so no miniblock is wider than 32 bits.
  ///
  /// Encodings.md: "Writers must not use more bits when bit packing the miniblock data than
  /// would be required to PLAIN encode the physical type."
  public static func encode(int32 values: [Int32], into output: inout [UInt8]) {
    values.withUnsafeBufferPointer { encode(int32: $0, into: &output) }
  }

  /// Encodes INT64 values; no allocation but the output's growth (the page writer's path).
  static func encode(_ values: UnsafeBufferPointer<Int64>, into output: inout [UInt8]) {
    guard let p = values.baseAddress, !values.isEmpty else {
      writeHeader(count: 0, first: 0, into: &output)
      return
    }
    encode(count: values.count, first: p[0], into: &output) { p[$0] &- p[$0 &- 1] }
  }

  /// Encodes INT32 values with 32-bit wrapping deltas; no allocation but the output's growth.
  static func encode(int32 values: UnsafeBufferPointer<Int32>, into output: inout [UInt8]) {
    guard let p = values.baseAddress, !values.isEmpty else {
      writeHeader(count: 0, first: 0, into: &output)
      return
    }
    // A wrapped 32-bit delta minus the block's smallest one is at most 2^32 - 1: 32 bits.
    encode(count: values.count, first: Int64(p[0]), into: &output) {
      Int64(p[$0] &- p[$0 &- 1])
    }
  }

  /// Writes the header, then blocks of the deltas `delta(1) ..< delta(count)`.
  ///
  /// `delta(i)` is value `i` minus value `i - 1` (wrapping); each block stores its smallest
  /// delta and the others relative to it, packed per miniblock at the width of its largest.
  @inline(__always)
  static func encode(
    count: Int, first: Int64, into output: inout [UInt8], delta: (Int) -> Int64
  ) {
    writeHeader(count: count, first: first, into: &output)
    guard count > 1 else { return }
    let perMiniblock = encoderBlockSize / encoderMiniblockCount
    output.reserveCapacity(output.count + (count / encoderBlockSize + 1) * 32 + count * 2)
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: encoderBlockSize) { relative in
      withUnsafeTemporaryAllocation(of: UInt8.self, capacity: encoderBlockSize * 8 + 8) { packed in
        guard let rel = relative.baseAddress, let scratch = packed.baseAddress else { return }
        let out = UnsafeMutableRawPointer(scratch)
        var i = 1
        while i < count {
          let n = min(encoderBlockSize, count - i)
          var minDelta = Int64.max
          for k in 0..<n {
            let d = delta(i &+ k)
            rel[k] = UInt64(bitPattern: d)
            minDelta = min(minDelta, d)
          }
          for k in 0..<n { rel[k] = UInt64(bitPattern: Int64(bitPattern: rel[k]) &- minDelta) }
          for k in n..<encoderBlockSize { rel[k] = 0 }
          LEB128.appendZigZag(minDelta, to: &output)
          // Bit widths of the miniblocks that hold deltas (0 for the unused ones), then their
          // bodies (none for the unused ones).
          var at = 0
          var widths: UInt32 = 0
          for m in 0..<encoderMiniblockCount where m * perMiniblock < n {
            var largest: UInt64 = 0
            for k in (m * perMiniblock)..<((m + 1) * perMiniblock) { largest |= rel[k] }
            let width = bitWidth(forMaxValue: largest)
            widths |= UInt32(width) << UInt32(8 * m)
            at += BitPacking.pack(
              rel + m * perMiniblock, count: perMiniblock, width: width, to: out + at)
          }
          withUnsafeBytes(of: widths.littleEndian) {
            output.append(contentsOf: $0.prefix(encoderMiniblockCount))
          }
          output.append(contentsOf: UnsafeRawBufferPointer(start: out, count: at))
          i += n
        }
      }
    }
  }

  static func writeHeader(count: Int, first: Int64, into output: inout [UInt8]) {
    LEB128.append(UInt64(encoderBlockSize), to: &output)
    LEB128.append(UInt64(encoderMiniblockCount), to: &output)
    LEB128.append(UInt64(count), to: &output)
    LEB128.appendZigZag(first, to: &output)
  }
}
