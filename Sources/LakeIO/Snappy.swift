// LakeIO/Snappy.swift
//
// libsnappy's C interface, for reading Parquet pages that peers compress with SNAPPY (pyarrow's and
// DuckDB's default codec). Raw snappy blocks, not the framing format.

import CSnappy

/// A libsnappy failure.
public struct SnappyError: LakeError, Equatable {
  public var reason: String
  public var category: ErrorCategory { .data }
  public var description: String { "snappy: \(reason)" }
}

/// Raw snappy block compression.
public enum Snappy {
  /// Compresses `input` as one raw block appended to `output`.
  ///
  /// The corresponding C function is `snappy_compress`.
  public static func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) {
    let start = output.count
    var length = snappy_max_compressed_length(input.count)
    output.append(contentsOf: repeatElement(0, count: length))
    output.withUnsafeMutableBytes { out in
      let dst = (out.baseAddress! + start).assumingMemoryBound(to: CChar.self)
      let status = snappy_compress(
        input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count, dst, &length)
      precondition(status == SNAPPY_OK, "snappy_compress with a max-length buffer cannot fail")
    }
    output.removeLast(output.count - start - length)
  }

  /// Decompresses a raw block into `output`, which must be exactly the decoded size.
  ///
  /// The corresponding C function is `snappy_uncompress`.
  public static func decompress(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws {
    let src = input.baseAddress?.assumingMemoryBound(to: CChar.self)
    var expected = 0
    guard snappy_uncompressed_length(src, input.count, &expected) == SNAPPY_OK else {
      throw SnappyError(reason: "corrupt block header")
    }
    guard expected == output.count else {
      throw SnappyError(reason: "block decodes to \(expected) bytes, expected \(output.count)")
    }
    var length = output.count
    let status = snappy_uncompress(
      src, input.count, output.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
    guard status == SNAPPY_OK, length == output.count else {
      throw SnappyError(reason: "corrupt block")
    }
  }
}
