// LakeIO/Gzip.swift
//
// zlib's inflate, for Parquet pages that peers compress with GZIP (a gzip stream, RFC 1952;
// zlib and raw deflate are accepted too, as parquet-mr and arrow do).

import CZlib

/// A zlib failure.
public struct GzipError: LakeError, Equatable {
  public var reason: String
  public var category: ErrorCategory { .data }
  public var description: String { "gzip: \(reason)" }
}

/// One-shot gzip decompression into a buffer of known size.
public enum Gzip {
  /// Inflates `input` into `output`, which must be exactly the decoded size.
  ///
  /// The corresponding C function is `inflate`.
  public static func decompress(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws {
    var stream = z_stream()
    // 15 + 32: zlib or gzip header, detected automatically.
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { throw GzipError(reason: "cannot initialise inflate") }
    defer { inflateEnd(&stream) }
    stream.next_in = UnsafeMutablePointer(
      mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
    stream.avail_in = uInt(input.count)
    stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
    stream.avail_out = uInt(output.count)
    let r = inflate(&stream, Z_FINISH)
    guard r == Z_STREAM_END else {
      let message = stream.msg.map { String(cString: $0) } ?? "code \(r)"
      throw GzipError(
        reason: r == Z_BUF_ERROR ? "decodes past the expected size or is truncated" : message)
    }
    guard Int(stream.total_out) == output.count else {
      throw GzipError(reason: "decoded \(stream.total_out) bytes, expected \(output.count)")
    }
  }

  /// Compresses `input` as a gzip stream appended to `output` (tests and fixtures).
  ///
  /// The corresponding C function is `compress2` (through deflate with a gzip header).
  public static func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8])
    throws
  {
    var stream = z_stream()
    guard
      deflateInit2_(
        &stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
        Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { throw GzipError(reason: "cannot initialise deflate") }
    defer { deflateEnd(&stream) }
    let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
    var buffer = [UInt8](repeating: 0, count: bound)
    let produced = buffer.withUnsafeMutableBytes { out -> Int in
      stream.next_in = UnsafeMutablePointer(
        mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(input.count)
      stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(bound)
      _ = deflate(&stream, Z_FINISH)
      return Int(stream.total_out)
    }
    output.append(contentsOf: buffer[0..<produced])
  }
}

/// Streaming gzip decoding for compressed NDJSON input (concatenated members are read as one
/// stream, as `gzip -d` does).
public final class GzipStreamDecoder {
  var stream = z_stream()
  var output = [UInt8](repeating: 0, count: 1 << 17)
  var finished = false

  /// Creates a decoder.
  ///
  /// The corresponding C function is `inflateInit2`.
  public init() throws {
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { throw GzipError(reason: "cannot initialise inflate") }
  }

  deinit { inflateEnd(&stream) }

  /// True when the last member ended exactly at the end of the input so far.
  public var atMemberBoundary: Bool { finished }

  /// Decodes from `chunk` until it is used up or `limit` bytes were produced, calling `sink`
  /// with each piece of output.
  ///
  /// Returns how many bytes of `chunk` were consumed, and whether output may still be pending
  /// inside the decoder (call again, with the rest of `chunk` or an empty one). A caller that
  /// bounds `limit` bounds its memory however much the input expands.
  ///
  /// The corresponding C function is `inflate`.
  @discardableResult
  public func decode(
    _ chunk: UnsafeRawBufferPointer, limit: Int = .max,
    _ sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> (consumed: Int, pending: Bool) {
    var offset = 0
    var total = 0
    var full = false
    while offset < chunk.count || full {
      if finished {
        // Another member follows (a finished member has no output pending).
        guard offset < chunk.count else { return (offset, false) }
        guard inflateReset(&stream) == Z_OK else { throw GzipError(reason: "cannot reset inflate") }
        finished = false
      }
      stream.next_in = UnsafeMutablePointer(
        mutating: chunk.baseAddress.map { ($0 + offset).assumingMemoryBound(to: Bytef.self) })
      stream.avail_in = uInt(chunk.count - offset)
      let capacity = output.count
      var produced = 0
      var code: Int32 = 0
      output.withUnsafeMutableBytes { out in
        stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(capacity)
        code = inflate(&stream, Z_NO_FLUSH)
        produced = capacity - Int(stream.avail_out)
      }
      offset = chunk.count - Int(stream.avail_in)
      full = produced == capacity
      if code == Z_STREAM_END {
        finished = true
        full = false
      } else if code != Z_OK && code != Z_BUF_ERROR {
        let message = stream.msg.map { String(cString: $0) } ?? "code \(code)"
        throw GzipError(reason: message)
      }
      if produced > 0 {
        try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
      } else if code == Z_BUF_ERROR && stream.avail_in == 0 {
        return (offset, false)
      }
      total += produced
      if total >= limit { return (offset, full) }
    }
    return (offset, false)
  }
}
