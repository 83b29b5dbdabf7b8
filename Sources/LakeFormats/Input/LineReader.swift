// LakeFormats/Input/LineReader.swift
//
// NDJSON lines from a byte source, decompressing zstd or gzip on the way, in large reads with
// one reused buffer. A line is handed to the caller as bytes valid only during the call, without
// its "\n" (and without a "\r" before it). A line longer than `maxLineBytes` is an error naming
// the line, so a hostile input cannot make memory grow without bound; a last line without "\n"
// is still a line. Compressed input is decoded at most `decodeSlice` bytes at a time, so input
// that expands a thousandfold (a "zip bomb") needs no more memory than plain input: the buffer
// holds at most one line plus one slice.
//
// A reader of a file that may still be growing (lh-bronze on a spool) holds the unfinished end
// back instead (`holdsBackUnfinishedEnd`): a last line without "\n", and the rest of a zstd
// frame or gzip member cut short, stay unread until the caller decides the input is final
// (`deliverHeldBack`). Such a reader can also track the content digest of the input it has
// consumed (`trackPrefix`): for plain input the bytes up to the end of the last line handed out,
// for compressed input the compressed bytes read.

import LakeIO

/// Why a line could not be read.
public struct LineReadError: LakeError, Equatable {
  public var source: String
  public var line: Int
  public var reason: String
  public var category: ErrorCategory { .data }
  public var description: String { "\(source):\(line): \(reason)" }
}

/// Reads the lines of a (possibly compressed) NDJSON input; resumable: a caller may stop after
/// any line and continue later where it stopped.
public final class LineReader {
  public private(set) var source: ByteSource
  public let compression: InputCompression
  public let maxLineBytes: Int
  /// The default longest line: 16 MiB, as DuckDB's `maximum_object_size`.
  ///
  /// A tool's memory grows with the longest line it holds (a few copies of it on the way to a
  /// Parquet page), so this bounds it.
  public static let defaultMaxLineBytes = 16 << 20
  /// The number of the last line handed out (1-based).
  public private(set) var lineNumber = 0
  /// Decoded bytes not yet handed out start at `start`.
  var buffer: [UInt8] = []
  var start = 0
  /// Bytes of `buffer` from `start` up to here hold no "\n" (not searched again).
  var searched = 0
  /// Read buffer, left uninitialised: a reader of many small files touches only what it reads.
  var raw = [UInt8](unsafeUninitializedCapacity: 1 << 18) { _, count in count = 1 << 18 }
  /// Input read but not yet decoded: `raw[rawStart..<rawEnd]`.
  var rawStart = 0
  var rawEnd = 0
  /// The decoder may hold decoded output not yet handed out.
  var decoderPending = false
  /// How many decoded bytes one `fill` adds at most.
  static let decodeSlice = 1 << 20
  var atEnd = false
  var zstd: ZstdStreamDecoder?
  var gzip: GzipStreamDecoder?
  /// Keep a "\r" before "\n" in the line (byte-exact landing); by default it is dropped.
  public var keepCarriageReturn = false
  /// How long input may be quiet before `forEachLine` calls its `idle` handler.
  public var idleMilliseconds: Int32 = 1000
  /// Stop reading when SIGINT or SIGTERM was requested (a stream's lines); false for a file that
  /// must be read whole whatever happens, such as a Delta commit.
  public var stopsOnInterrupt = true
  /// True when a stop was requested (SIGINT/SIGTERM) while waiting for input.
  public private(set) var interrupted = false
  /// Bytes the line buffer holds room for: at most about one line plus one decoded slice, however
  /// much the input expands (tests check the bound).
  public var bufferCapacity: Int { buffer.capacity }
  /// How many reads returned input so far: a caller that stamps lines with their arrival time
  /// reads the clock only when this changes.
  public private(set) var reads = 0
  /// Bytes read from the source so far (compressed bytes for compressed input).
  public private(set) var bytesRead: Int64 = 0
  /// At the end of the input, keep a last line without "\n" and a cut zstd frame or gzip member
  /// unread (see `heldBackBytes`, `truncated`, `deliverHeldBack`) instead of handing out the line
  /// and failing on the cut.
  public var holdsBackUnfinishedEnd = false
  /// Decoded bytes of an unfinished last line held back at the end of the input.
  public private(set) var heldBackBytes = 0
  /// True when the compressed input ended inside a frame (zstd) or member (gzip) and
  /// `holdsBackUnfinishedEnd` kept that from being an error.
  public private(set) var truncated = false
  /// The digest of the consumed input, when tracked (`trackPrefix`); for plain input the bytes
  /// of `buffer` before `hashedTo` are in it, and `deliveredEnd` is where the last line handed
  /// out ends (after its "\n").
  var tracking: ContentDigest?
  var trackedBytes: Int64 = 0
  var hashedTo = 0
  var deliveredEnd = 0

  /// Reads lines of `source`, which holds NDJSON compressed as `compression`.
  public init(
    source: ByteSource, compression: InputCompression, maxLineBytes: Int = defaultMaxLineBytes
  )
    throws
  {
    self.source = source
    self.compression = compression
    self.maxLineBytes = maxLineBytes
    zstd = compression == .zstd ? try ZstdStreamDecoder() : nil
    gzip = compression == .gzip ? try GzipStreamDecoder() : nil
  }

  /// Starts over on `source`, keeping the buffers: a caller reading many small inputs one after
  /// another (the commit files of a Delta log) allocates them once.
  public func reset(source: ByteSource) throws {
    self.source = source
    lineNumber = 0
    buffer.removeAll(keepingCapacity: true)
    start = 0
    searched = 0
    rawStart = 0
    rawEnd = 0
    decoderPending = false
    atEnd = false
    interrupted = false
    bytesRead = 0
    heldBackBytes = 0
    truncated = false
    tracking = nil
    trackedBytes = 0
    hashedTo = 0
    deliveredEnd = 0
    if compression == .zstd { zstd = try ZstdStreamDecoder() }
    if compression == .gzip { gzip = try GzipStreamDecoder() }
  }

  /// Tracks the digest of the input consumed from here on, continuing `digest`, which holds the
  /// `offset` bytes before the source's current position (a file opened at `offset`), and
  /// numbers the next line `lines + 1`.
  ///
  /// Call before reading. Plain input is tracked line by line (the bytes of the lines handed out
  /// and their newlines), compressed input by the compressed bytes read.
  public func trackPrefix(from digest: ContentDigest, offset: Int64, lines: Int) {
    tracking = digest
    trackedBytes = offset
    lineNumber = lines
  }

  /// The tracked prefix: its length in bytes and its digest (see `trackPrefix`); for plain input,
  /// the input up to the end of the last line handed out, for compressed input what was read.
  public func trackedPrefix() -> (bytes: Int64, digest: ContentDigest)? {
    if compression == .none { hashDelivered() }
    guard let tracking else { return nil }
    return (trackedBytes, tracking)
  }

  /// Adds the lines handed out since the last call to the tracked digest (plain input).
  func hashDelivered() {
    guard tracking != nil, compression == .none, deliveredEnd > hashedTo else { return }
    buffer.withUnsafeBytes { all in
      tracking!.update(UnsafeRawBufferPointer(rebasing: all[hashedTo..<deliveredEnd]))
    }
    trackedBytes += Int64(deliveredEnd - hashedTo)
    hashedTo = deliveredEnd
  }

  /// Hands out what `holdsBackUnfinishedEnd` held back at the end of the input, now that the
  /// caller knows the input is final: the unfinished last line as a line.
  ///
  /// - Throws: `LineReadError` when compressed input was cut inside a frame or member (that is
  ///   damage, not an unfinished line), and what `body` throws.
  public func deliverHeldBack(_ body: (UnsafeRawBufferPointer, Int) throws -> Bool) throws {
    if truncated {
      throw LineReadError(
        source: source.name, line: lineNumber + 1,
        reason: "\(compression == .zstd ? "zstd" : "gzip") input is truncated")
    }
    guard heldBackBytes > 0 else { return }
    heldBackBytes = 0
    try deliverRest(body)
  }

  /// Hands what the buffer holds to `body` as the last line (no newline after it) and leaves
  /// the reader empty.
  private func deliverRest(_ body: (UnsafeRawBufferPointer, Int) throws -> Bool) throws {
    deliveredEnd = buffer.count
    hashDelivered()
    let last = buffer
    buffer.removeAll()
    searched = 0
    hashedTo = 0
    deliveredEnd = 0
    _ = try last.withUnsafeBytes { try deliver($0, body) }
  }

  /// Calls `body` with each next line until it returns false or the input ends.
  ///
  /// After a false, the reader resumes after that line next time. `idle` is called whenever no
  /// input arrived for `idleMilliseconds` (a quiet stream; it may commit); `didRead` after each
  /// read that brought input, before its lines (a caller may stamp them with the time).
  ///
  /// The closures are non-escaping, so the variables a caller's closures share stay statically
  /// checked (an escaping closure would make every access to them a runtime exclusivity check).
  public func forEachLine(
    idle: () throws -> Void = {}, didRead: () throws -> Void = {},
    _ body: (UnsafeRawBufferPointer, Int) throws -> Bool
  ) throws {
    while true {
      // Hand out the complete lines already decoded.
      let count = buffer.count
      var stop = false
      var at = start
      var number = lineNumber
      defer {
        start = at
        lineNumber = number
      }
      try buffer.withUnsafeBytes { all in
        let base = all.baseAddress!
        while at < count {
          // The bytes before `searched` were searched already (a long line arriving in slices
          // is scanned once, not once per slice).
          let from = max(at, searched)
          guard let nl = memchr(base + from, 0x0A, count - from) else {
            searched = count
            break
          }
          let end = base.distance(to: UnsafeRawPointer(nl))
          var line = UnsafeRawBufferPointer(rebasing: all[at..<end])
          at = end + 1
          searched = at
          deliveredEnd = at
          number += 1
          guard line.count <= maxLineBytes else {
            throw LineReadError(
              source: source.name, line: number,
              reason: "line longer than \(maxLineBytes) bytes")
          }
          if line.last == 0x0D && !keepCarriageReturn {
            line = UnsafeRawBufferPointer(rebasing: line.dropLast())
          }
          if try !body(line, number) {
            stop = true
            return
          }
        }
      }
      start = at
      lineNumber = number
      if stop { return }
      if start > 0 {
        hashDelivered()
        buffer.removeSubrange(0..<start)
        searched -= start
        hashedTo -= start
        deliveredEnd -= start
        start = 0
        at = 0
      }
      guard buffer.count <= maxLineBytes else {
        throw LineReadError(
          source: source.name, line: lineNumber + 1,
          reason: "line longer than \(maxLineBytes) bytes")
      }
      if atEnd {
        // A stop request leaves an unfinished last line unread: it was not whole yet.
        if holdsBackUnfinishedEnd {
          heldBackBytes = buffer.count
        } else if !buffer.isEmpty && !interrupted {
          try deliverRest(body)
          number = lineNumber
        }
        return
      }
      if try fill(idle: idle) { try didRead() }
    }
  }

  /// Decodes the next slice of input into `buffer`, reading when no input is left undecoded;
  /// true when it read input (false at the end of the input, which sets `atEnd`, and when it
  /// only decoded input read before).
  func fill(idle: () throws -> Void) throws -> Bool {
    var didRead = false
    if rawStart == rawEnd && !decoderPending {
      // Wait in slices so a quiet stream still gets its time-based commits, and a signal stops
      // the wait (read(2) itself is restarted after signals).
      while true {
        if stopsOnInterrupt && Interrupt.requested != 0 {
          interrupted = true
          atEnd = true
          return false
        }
        switch source.waitReadable(milliseconds: min(idleMilliseconds, 200)) {
        case .ready: break
        case .timedOut, .interrupted:
          try idle()
          continue
        }
        break
      }
      let n = try raw.withUnsafeMutableBytes { try source.read(into: $0) }
      if n == 0 {
        atEnd = true
        if holdsBackUnfinishedEnd {
          truncated = !(zstd?.atFrameBoundary ?? true) || !(gzip?.atMemberBoundary ?? true)
          return false
        }
        if let zstd, !zstd.atFrameBoundary {
          throw LineReadError(
            source: source.name, line: lineNumber + 1, reason: "zstd input is truncated")
        }
        if let gzip, !gzip.atMemberBoundary {
          throw LineReadError(
            source: source.name, line: lineNumber + 1, reason: "gzip input is truncated")
        }
        return false
      }
      reads += 1
      bytesRead += Int64(n)
      if tracking != nil && compression != .none {
        raw.withUnsafeBytes { tracking!.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        trackedBytes += Int64(n)
      }
      rawStart = 0
      rawEnd = n
      didRead = true
    }
    try raw.withUnsafeBytes { r in
      let chunk = UnsafeRawBufferPointer(rebasing: r[rawStart..<rawEnd])
      do {
        if let zstd {
          let (used, pending) = try zstd.decode(chunk, limit: Self.decodeSlice) {
            buffer.append(contentsOf: $0)
          }
          rawStart += used
          decoderPending = pending
        } else if let gzip {
          let (used, pending) = try gzip.decode(chunk, limit: Self.decodeSlice) {
            buffer.append(contentsOf: $0)
          }
          rawStart += used
          decoderPending = pending
        } else {
          buffer.append(contentsOf: chunk)
          rawStart = rawEnd
        }
      } catch let e as LakeError where e is ZstdError || e is GzipError {
        throw LineReadError(source: source.name, line: lineNumber + 1, reason: "\(e)")
      }
    }
    return didRead
  }

  func deliver(_ raw: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int) throws -> Bool)
    throws -> Bool
  {
    lineNumber += 1
    guard raw.count <= maxLineBytes else {
      throw LineReadError(
        source: source.name, line: lineNumber, reason: "line longer than \(maxLineBytes) bytes")
    }
    var line = raw
    if line.last == 0x0D && !keepCarriageReturn {
      line = UnsafeRawBufferPointer(rebasing: line.dropLast())
    }
    return try body(line, lineNumber)
  }
}

#if canImport(Glibc)
import Glibc
#endif
