// LakeFormats/Parquet/Encoding/PlainBoolean.swift
//
// PLAIN-encoded BOOLEAN values (Encodings.md, "Plain"): "BOOLEAN: bit-packed, LSB first (using
// the same packing scheme as the RLE/bit-packing hybrid encoding)". Eight values per byte, value
// i in bit i % 8 of byte i / 8, the last byte zero-padded; no length prefix and no runs. (RLE
// booleans, encoding 3, are the hybrid at bit width 1 with a uint32 length prefix instead.)

/// Plain-encoded booleans (bit-packed LSB first, no length prefix).
public enum PlainBoolean {
  /// Appends `values` packed eight to a byte, LSB first, the last byte zero-padded.
  public static func encode(_ values: UnsafeBufferPointer<Bool>, into output: inout [UInt8]) {
    output.reserveCapacity(output.count + (values.count + 7) / 8)
    var byte: UInt8 = 0
    var bit: UInt8 = 0
    for value in values {
      if value { byte |= 1 &<< bit }
      bit += 1
      if bit == 8 {
        output.append(byte)
        byte = 0
        bit = 0
      }
    }
    if bit > 0 { output.append(byte) }
  }

  /// Decodes `count` booleans into `output[0..<count]`.
  ///
  /// - Throws: `ParquetError.corrupt` when `bytes` holds fewer than `(count + 7) / 8` bytes.
  public static func decode(
    _ bytes: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutablePointer<Bool>
  ) throws {
    guard count >= 0 else { throw ParquetError.corrupt("negative boolean count \(count)") }
    let needed = count / 8 + (count % 8 == 0 ? 0 : 1)
    guard bytes.count >= needed else {
      throw ParquetError.corrupt(
        "plain booleans need \(needed) bytes for \(count) values, page has \(bytes.count)")
    }
    guard count > 0, let base = bytes.baseAddress else { return }
    let source = base.assumingMemoryBound(to: UInt8.self)
    let fullBytes = count / 8
    for b in 0..<fullBytes {
      let byte = source[b]
      let out = output + 8 * b
      for k in 0..<8 { out[k] = (byte &>> UInt8(k)) & 1 != 0 }
    }
    let rest = count - fullBytes * 8
    if rest > 0 {
      let byte = source[fullBytes]
      let out = output + 8 * fullBytes
      for k in 0..<rest { out[k] = (byte &>> UInt8(k)) & 1 != 0 }
    }
  }
}
