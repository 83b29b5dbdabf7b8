// LakeIO/Zstd.swift
//
// libzstd wrapped the way swift-nio-extras wraps zlib in `HTTPCompression.swift`: a final class
// owns the C context (created in init, freed in deinit), output is sized with the library's bound,
// every return code is checked and the library's message is carried into the typed error.
//
//   ZstdCompressor.compress(bytes, into: &out)    one frame per call (Parquet pages)
//   ZstdDecompressor.decompress(frame, into: &out, expectedSize:)   (Parquet pages)
//   ZstdStreamDecoder.decode(chunk) -> output      streaming (compressed NDJSON input)
//   ZstdStreamEncoder.compress(bytes, sink) … endFrame(sink)   streaming, frames ended at will
//                                                   (lh-pack archives)

import CZstd

/// A libzstd failure, with the library's error name.
public struct ZstdError: LakeError, Equatable {
  /// What we were doing: "compress", "decompress".
  public var operation: String
  /// libzstd's text for the error code.
  public var reason: String
  public var category: ErrorCategory

  public var description: String { "zstd \(operation): \(reason)" }

  static func check(_ code: Int, _ operation: String, category: ErrorCategory) throws -> Int {
    if ZSTD_isError(code) != 0 {
      throw ZstdError(
        operation: operation, reason: String(cString: ZSTD_getErrorName(code)), category: category)
    }
    return code
  }
}

/// A reusable zstd compression context at a fixed level.
public final class ZstdCompressor {
  let context: OpaquePointer
  /// The compression level (1…22, negative for fast modes).
  public let level: Int32
  /// The minimum match set by `setMinimumMatch` (0: the level's own).
  public private(set) var minimumMatch: Int32 = 0

  /// Creates a context compressing at `level` (zstd's default is 3).
  ///
  /// The corresponding C function is `ZSTD_createCCtx`.
  public init(level: Int32 = 3) throws {
    guard let ctx = ZSTD_createCCtx() else {
      throw ZstdError(operation: "init", reason: "out of memory", category: .software)
    }
    context = ctx
    self.level = level
    _ = try ZstdError.check(
      ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level), "set level", category: .usage)
  }

  deinit { ZSTD_freeCCtx(context) }

  /// Sets the shortest match the compressor looks for (3…7), or 0 for the level's own choice.
  ///
  /// A longer minimum match makes zstd skip the short, chance matches that hex digits, base64
  /// and other text of few distinct symbols are full of: such data then compresses smaller and
  /// several times faster, its literals left to the entropy coder. Data with useful short
  /// matches compresses smaller with the level's choice, so callers measure before choosing.
  /// The setting holds for the following frames.
  ///
  /// The corresponding C function is `ZSTD_CCtx_setParameter`.
  public func setMinimumMatch(_ length: Int32) throws {
    guard length != minimumMatch else { return }
    _ = try ZstdError.check(
      ZSTD_CCtx_setParameter(context, ZSTD_c_minMatch, length), "set minimum match",
      category: .usage)
    minimumMatch = length
  }

  /// The largest frame `count` input bytes can compress to.
  ///
  /// The corresponding C function is `ZSTD_compressBound`.
  public static func bound(_ count: Int) -> Int { ZSTD_compressBound(count) }

  /// Compresses `input` as one frame into `output` (at least `bound(input.count)` bytes);
  /// returns the frame's size.
  ///
  /// The corresponding C function is `ZSTD_compress2`.
  public func compress(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws -> Int {
    let r = ZSTD_compress2(
      context, output.baseAddress, output.count, input.baseAddress, input.count)
    return try ZstdError.check(r, "compress", category: .software)
  }

  /// Compresses `input` as one frame appended to `output`; returns the frame's size.
  ///
  /// The corresponding C function is `ZSTD_compress2`.
  @discardableResult
  public func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws
    -> Int
  {
    let start = output.count
    let bound = ZSTD_compressBound(input.count)
    output.reserveCapacity(start + bound)
    var written = 0
    var failure = 0
    // Grow without initialising: append zeros once, then write into them.
    output.append(contentsOf: repeatElement(0, count: bound))
    output.withUnsafeMutableBytes { out in
      let r = ZSTD_compress2(
        context, out.baseAddress! + start, bound, input.baseAddress, input.count)
      if ZSTD_isError(r) != 0 { failure = r } else { written = r }
    }
    if failure != 0 {
      output.removeLast(bound)
      _ = try ZstdError.check(failure, "compress", category: .software)
    }
    output.removeLast(bound - written)
    return written
  }
}

/// A reusable zstd decompression context for whole frames.
public final class ZstdDecompressor {
  let context: OpaquePointer

  /// Creates a decompression context.
  ///
  /// The corresponding C function is `ZSTD_createDCtx`.
  public init() throws {
    guard let ctx = ZSTD_createDCtx() else {
      throw ZstdError(operation: "init", reason: "out of memory", category: .software)
    }
    context = ctx
  }

  deinit { ZSTD_freeDCtx(context) }

  /// Decompresses `input` (one or more whole frames) into `output`, which must be exactly
  /// `expectedSize` bytes long once decoded.
  ///
  /// - Throws: `ZstdError` with category `.data` for corrupt input or a size mismatch.
  ///
  /// The corresponding C function is `ZSTD_decompressDCtx`.
  public func decompress(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws {
    let r = ZSTD_decompressDCtx(
      context, output.baseAddress, output.count, input.baseAddress, input.count)
    let n = try ZstdError.check(r, "decompress", category: .data)
    if n != output.count {
      throw ZstdError(
        operation: "decompress", reason: "decoded \(n) bytes, expected \(output.count)",
        category: .data)
    }
  }
}

/// Streaming zstd decoding, for compressed input of unknown size.
public final class ZstdStreamDecoder {
  let context: OpaquePointer
  var outBuffer: [UInt8]
  /// True after a frame ended exactly at the end of the last chunk.
  public private(set) var atFrameBoundary = true

  /// Creates a streaming decoder.
  ///
  /// The corresponding C function is `ZSTD_createDStream`.
  public init() throws {
    guard let ctx = ZSTD_createDStream() else {
      throw ZstdError(operation: "init", reason: "out of memory", category: .software)
    }
    context = ctx
    outBuffer = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
  }

  deinit { ZSTD_freeDStream(context) }

  /// Decodes from `chunk` until it is used up or `limit` bytes were produced, calling `sink`
  /// with each piece of decoded output.
  ///
  /// Returns how many bytes of `chunk` were consumed, and whether decoded output may still be
  /// pending inside the decoder (call again, with the rest of `chunk` or an empty one). A
  /// caller that bounds `limit` bounds its memory however much the input expands.
  ///
  /// The corresponding C function is `ZSTD_decompressStream`.
  @discardableResult
  public func decode(
    _ chunk: UnsafeRawBufferPointer, limit: Int = .max,
    _ sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> (consumed: Int, pending: Bool) {
    var input = ZSTD_inBuffer(src: chunk.baseAddress, size: chunk.count, pos: 0)
    let outCapacity = outBuffer.count
    var total = 0
    while true {
      var produced = 0
      var code = 0
      outBuffer.withUnsafeMutableBytes { out in
        var output = ZSTD_outBuffer(dst: out.baseAddress, size: outCapacity, pos: 0)
        code = ZSTD_decompressStream(context, &output, &input)
        produced = output.pos
      }
      _ = try ZstdError.check(code, "decompress", category: .data)
      atFrameBoundary = code == 0
      if produced > 0 {
        try outBuffer.withUnsafeBytes {
          try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced]))
        }
      }
      total += produced
      // A full output buffer may leave decoded bytes inside the decoder.
      let full = produced == outCapacity
      if input.pos >= input.size && !full { return (input.pos, false) }
      if total >= limit { return (input.pos, full) }
    }
  }
}

/// Streaming zstd compression whose caller decides where frames end.
///
/// lh-pack ends a frame before an archive's manifest, so that the manifest is a frame of its
/// own that `lh-pack list` decompresses without reading the rest. Frames carry a content
/// checksum (XXH64), which every zstd reader checks.
public final class ZstdStreamEncoder {
  let context: OpaquePointer
  var outBuffer: [UInt8]

  /// Creates a streaming encoder at `level`, with a content checksum per frame.
  ///
  /// The corresponding C functions are `ZSTD_createCCtx` and `ZSTD_CCtx_setParameter`.
  public init(level: Int32 = 3) throws {
    guard let ctx = ZSTD_createCCtx() else {
      throw ZstdError(operation: "init", reason: "out of memory", category: .software)
    }
    context = ctx
    outBuffer = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
    _ = try ZstdError.check(
      ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level), "set level", category: .usage)
    _ = try ZstdError.check(
      ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1), "set checksum", category: .software)
  }

  deinit { ZSTD_freeCCtx(context) }

  /// Compresses `input` into the current frame, calling `sink` with each piece of output.
  ///
  /// The corresponding C function is `ZSTD_compressStream2` (`ZSTD_e_continue`).
  public func compress(
    _ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
    while inBuffer.pos < inBuffer.size {
      try step(&inBuffer, ZSTD_e_continue, sink)
    }
  }

  /// Ends the current frame (a next `compress` starts a new one), calling `sink` with the
  /// rest of its output.
  ///
  /// The corresponding C function is `ZSTD_compressStream2` (`ZSTD_e_end`).
  public func endFrame(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
    var inBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    while try step(&inBuffer, ZSTD_e_end, sink) != 0 {}
  }

  /// One call of `ZSTD_compressStream2`; returns what it returns (for `ZSTD_e_end`, the bytes
  /// still to flush).
  @discardableResult
  func step(
    _ input: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective,
    _ sink: (UnsafeRawBufferPointer) throws -> Void
  ) throws -> Int {
    let capacity = outBuffer.count
    var produced = 0
    var code = 0
    outBuffer.withUnsafeMutableBytes { out in
      var output = ZSTD_outBuffer(dst: out.baseAddress, size: capacity, pos: 0)
      code = ZSTD_compressStream2(context, &output, &input, directive)
      produced = output.pos
    }
    let left = try ZstdError.check(code, "compress", category: .software)
    if produced > 0 {
      try outBuffer.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
    }
    return left
  }
}
