// LakeFormats/Parquet/Encoding/ByteStreamSplit.swift
//
// BYTE_STREAM_SPLIT (encoding 9) for FLOAT, DOUBLE, INT32, INT64 and FIXED_LEN_BYTE_ARRAY
// (Encodings.md, "Byte Stream Split"):
//
//   "This encoding creates K byte-streams of length N where K is the size in bytes of the data
//    type and N is the number of elements in the data sequence. ... The streams are concatenated
//    in the following order: 0-th stream, 1-st stream, etc. The total length of encoded streams
//    is K * N bytes. ... No padding is allowed inside the data page."
//
//   values:  AA BB CC DD   00 11 22 33   A3 B4 C5 D6
//   encoded: AA 00 A3 BB 11 B4 CC 22 C5 DD 33 D6
//
// Because N comes from the page, not the bytes, `decode` requires exactly `count * width` bytes:
// anything else means the caller's count and the page disagree.

/// BYTE_STREAM_SPLIT for fixed-width values: byte k of every value in stream k.
public enum ByteStreamSplit {
  /// Decodes `count` values of `width` bytes, appending them little-endian to `output`.
  ///
  /// - Throws: `ParquetError.corrupt` unless `bytes` holds exactly `count * width` bytes.
  public static func decode(
    _ bytes: UnsafeRawBufferPointer, count: Int, width: Int, into output: inout [UInt8]
  ) throws {
    guard count >= 0, width > 0 else {
      throw ParquetError.corrupt("byte stream split of \(count) values of \(width) bytes")
    }
    let (total, overflow) = count.multipliedReportingOverflow(by: width)
    guard !overflow, total == bytes.count else {
      throw ParquetError.corrupt(
        "byte stream split data is \(bytes.count) bytes, expected \(count) × \(width)")
    }
    guard total > 0, let source = bytes.baseAddress else { return }
    let start = output.count
    output.append(contentsOf: repeatElement(0, count: total))
    output.withUnsafeMutableBytes { out in
      guard let destination = out.baseAddress?.advanced(by: start) else { return }
      transpose(
        source, into: destination, count: count, width: width, sourceStride: count,
        destinationStride: width)
    }
  }

  /// Encodes `count` little-endian values of `width` bytes from `values`, appending to `output`.
  public static func encode(
    _ values: UnsafeRawBufferPointer, width: Int, into output: inout [UInt8]
  ) {
    precondition(width > 0 && values.count % width == 0, "values must be whole values")
    let count = values.count / width
    guard count > 0, let source = values.baseAddress else { return }
    let start = output.count
    output.append(contentsOf: repeatElement(0, count: values.count))
    output.withUnsafeMutableBytes { out in
      guard let destination = out.baseAddress?.advanced(by: start) else { return }
      transpose(
        source, into: destination, count: count, width: width, sourceStride: width,
        destinationStride: count)
    }
  }

  /// Copies byte `k` of value `i` between `source[k * s + i]`-style layouts.
  ///
  /// Decoding reads stream-major (`sourceStride` = count) and writes value-major; encoding is
  /// the reverse. Each output byte is written once; 4- and 8-byte widths use unrolled loops.
  @inlinable
  static func transpose(
    _ source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer, count: Int,
    width: Int, sourceStride: Int, destinationStride: Int
  ) {
    let src = source.assumingMemoryBound(to: UInt8.self)
    let dst = destination.assumingMemoryBound(to: UInt8.self)
    if sourceStride == count {
      // Decode: gather value i from the streams.
      if width == 4 {
        let s1 = src + count
        let s2 = src + 2 * count
        let s3 = src + 3 * count
        for i in 0..<count {
          let d = dst + 4 * i
          d[0] = src[i]
          d[1] = s1[i]
          d[2] = s2[i]
          d[3] = s3[i]
        }
        return
      }
      if width == 8 {
        for i in 0..<count {
          let d = dst + 8 * i
          for k in 0..<8 { d[k] = src[k * count + i] }
        }
        return
      }
      for i in 0..<count {
        for k in 0..<width { dst[i * width + k] = src[k * count + i] }
      }
    } else {
      // Encode: scatter value i into the streams.
      for i in 0..<count {
        for k in 0..<width { dst[k * count + i] = src[i * width + k] }
      }
    }
  }
}
