// LakeFormats/Parquet/Encoding/RLEHybridDecoder.swift
//
// Reads the RLE / bit-packing hybrid (Encodings.md, "Run Length Encoding / Bit-Packing Hybrid"),
// used for definition and repetition levels, dictionary indices and RLE booleans:
//
//   encoded-data := <run>*
//   run := <bit-packed-run> | <rle-run>
//   bit-packed-run := <bit-packed-header> <bit-packed-values>
//   bit-packed-header := varint-encode(<bit-pack-scaled-run-len> << 1 | 1)
//   bit-pack-scaled-run-len := (bit-packed-run-len) / 8
//   rle-run := <rle-header> <repeated-value>
//   rle-header := varint-encode( (rle-run-len) << 1)
//   repeated-value := value that is repeated, using a fixed-width of round-up-to-next-byte(bit-width)
//
// The optional `<length>` prefix (uint32 LE, v1 levels and RLE booleans) is not part of this
// type: the page reader strips it and passes only `<encoded-data>`.
//
// Workflow: `init(bitWidth:bytes:)`, then `decode(count:into:)` as often as needed; a call may end
// in the middle of a run and the next one continues there. RLE runs fill with
// `initialize(repeating:count:)`; bit-packed runs unpack with one 64-bit load per value
// (`BitPacking.unpack32`).
//
// Leniency, as in parquet-mr and arrow-rs: some writers cut the last bit-packed run short instead
// of padding the final group, so a bit-packed run yields only the values whose bits are present;
// running out of values is an error only when the caller asks for more than the bytes hold.

/// Decodes the RLE / bit-packing hybrid from bytes the caller keeps alive.
public struct RLEHybridDecoder {
  @usableFromInline var reader: EncodedBytesReader
  @usableFromInline let bitWidth: Int
  @usableFromInline let valueByteWidth: Int
  @usableFromInline let maxValue: UInt32
  /// Values left in the current RLE run.
  @usableFromInline var repeatRemaining = 0
  @usableFromInline var repeatValue: UInt32 = 0
  /// Values left in the current bit-packed run, and the absolute bit of the next one.
  @usableFromInline var packedRemaining = 0
  @usableFromInline var packedBit = 0

  /// Starts decoding `bytes` (no length prefix) at `bitWidth` bits per value.
  ///
  /// `bytes` must stay valid while decoding (the caller guarantees it; nothing is copied).
  ///
  /// - Throws: `ParquetError.corrupt` when `bitWidth` is not in 0...32.
  public init(bitWidth: Int, bytes: UnsafeRawBufferPointer) throws {
    guard bitWidth >= 0 && bitWidth <= 32 else {
      throw ParquetError.corrupt("rle bit width \(bitWidth) is not in 0...32")
    }
    self.reader = EncodedBytesReader(bytes)
    self.bitWidth = bitWidth
    self.valueByteWidth = (bitWidth + 7) / 8
    self.maxValue = UInt32(truncatingIfNeeded: BitPacking.mask64(bitWidth))
  }

  /// Bytes of every run started so far, including the whole of the current run.
  ///
  /// After the last value this is the length of the encoded data (for bit-packed runs including
  /// the padding of the last group).
  public var bytesConsumed: Int { reader.position }

  /// Decodes exactly `count` values into `output[0..<count]`.
  ///
  /// - Throws: `ParquetError.corrupt` if the data runs out before `count` values or a run is
  ///   malformed (an RLE value wider than the bit width, a truncated header).
  public mutating func decode(count: Int, into output: UnsafeMutablePointer<UInt32>) throws {
    guard count >= 0 else { throw ParquetError.corrupt("negative rle value count \(count)") }
    var done = 0
    while done < count {
      if repeatRemaining > 0 {
        let n = min(repeatRemaining, count - done)
        (output + done).initialize(repeating: repeatValue, count: n)
        repeatRemaining -= n
        done += n
      } else if packedRemaining > 0 {
        let n = min(packedRemaining, count - done)
        if bitWidth == 0 {
          (output + done).initialize(repeating: 0, count: n)
        } else {
          guard let base = reader.base else {
            throw ParquetError.corrupt("rle data missing")
          }
          BitPacking.unpack32(
            base, byteCount: reader.count, bitOffset: packedBit, width: bitWidth, count: n,
            into: output + done)
          packedBit += n * bitWidth
        }
        packedRemaining -= n
        done += n
      } else {
        guard reader.remaining > 0 else {
          throw ParquetError.corrupt(
            "rle data ends after \(done) of \(count) values (\(reader.count) bytes)")
        }
        try readRunHeader()
      }
    }
  }

  /// Decodes exactly `count` dictionary indices and checks each is below `dictionaryCount`.
  ///
  /// - Throws: `ParquetError.corrupt` as `decode(count:into:)` does, or when an index is
  ///   `dictionaryCount` or more.
  public mutating func decodeIndices(
    count: Int, into output: UnsafeMutablePointer<UInt32>, dictionaryCount: Int
  ) throws {
    try decode(count: count, into: output)
    guard count > 0 else { return }
    var largest: UInt32 = 0
    for i in 0..<count { largest = max(largest, output[i]) }
    guard UInt64(largest) < UInt64(max(dictionaryCount, 0)) else {
      throw ParquetError.corrupt(
        "dictionary index \(largest) out of range for \(dictionaryCount) entries")
    }
  }

  @usableFromInline
  mutating func readRunHeader() throws {
    let header = try reader.readULEB128("rle run header")
    if header & 1 == 1 {
      // The spec caps a run at 2^31 - 1 values; capping the group count keeps the arithmetic
      // below in range, and the run is cut to the bytes that are present anyway.
      let groups = Int(min(header >> 1, UInt64(Int32.max)))
      let available = reader.remaining
      if bitWidth == 0 {
        packedRemaining = groups * 8
      } else {
        let runBytes = min(groups * bitWidth, available)
        packedBit = reader.position * 8
        packedRemaining = min(groups * 8, runBytes * 8 / bitWidth)
        reader.position += runBytes
      }
    } else {
      let runLength = Int(min(header >> 1, UInt64(Int32.max)))
      guard reader.remaining >= valueByteWidth, let base = reader.base else {
        if valueByteWidth == 0 {
          repeatValue = 0
          repeatRemaining = runLength
          return
        }
        throw ParquetError.corrupt("rle run value truncated")
      }
      var value: UInt32 = 0
      for k in 0..<valueByteWidth {
        let byte = base.load(fromByteOffset: reader.position + k, as: UInt8.self)
        value |= UInt32(byte) &<< UInt32(8 * k)
      }
      reader.position += valueByteWidth
      guard value <= maxValue else {
        throw ParquetError.corrupt("rle run value \(value) does not fit in \(bitWidth) bits")
      }
      repeatValue = value
      repeatRemaining = runLength
    }
  }
}
