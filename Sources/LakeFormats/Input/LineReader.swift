// LakeFormats/Input/LineReader.swift
//
// NDJSON lines from a byte source, decompressing zstd or gzip on the way, in large reads with
// one reused buffer. A line is handed to the caller as bytes valid only during the call, without
// its "\n" (and without a "\r" before it). A line longer than `maxLineBytes` is an error naming
// the line, so a hostile input cannot make memory grow without bound; a last line without "\n"
// is still a line.

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
  public let source: ByteSource
  public let compression: InputCompression
  public let maxLineBytes: Int
  /// The number of the last line handed out (1-based).
  public private(set) var lineNumber = 0
  /// Decoded bytes not yet handed out start at `start`.
  var buffer: [UInt8] = []
  var start = 0
  var raw = [UInt8](repeating: 0, count: 1 << 18)
  var atEnd = false
  let zstd: ZstdStreamDecoder?
  let gzip: GzipStreamDecoder?
  /// Keep a "\r" before "\n" in the line (byte-exact landing); by default it is dropped.
  public var keepCarriageReturn = false
  /// Called whenever no input arrived for `idleMilliseconds` (a quiet stream); it may commit.
  public var onIdle: (() throws -> Void)?
  public var idleMilliseconds: Int32 = 1000
  /// True when a stop was requested (SIGINT/SIGTERM) while waiting for input.
  public private(set) var interrupted = false
  /// How many reads returned input so far: a caller that stamps lines with their arrival time
  /// reads the clock only when this changes.
  public private(set) var reads = 0

  /// Reads lines of `source`, which holds NDJSON compressed as `compression`.
  public init(source: ByteSource, compression: InputCompression, maxLineBytes: Int = 64 << 20)
    throws
  {
    self.source = source
    self.compression = compression
    self.maxLineBytes = maxLineBytes
    zstd = compression == .zstd ? try ZstdStreamDecoder() : nil
    gzip = compression == .gzip ? try GzipStreamDecoder() : nil
  }

  /// Calls `body` with each next line; returns when `body` returns false (the reader resumes
  /// after that line next time) or at the end of the input.
  public func forEachLine(_ body: (UnsafeRawBufferPointer, Int) throws -> Bool) throws {
    while true {
      // Hand out the complete lines already decoded.
      let count = buffer.count
      var stop = false
      try buffer.withUnsafeBytes { all in
        while start < count {
          guard let nl = memchr(all.baseAddress! + start, 0x0A, count - start) else { break }
          let end = all.baseAddress!.distance(to: UnsafeRawPointer(nl))
          let line = UnsafeRawBufferPointer(rebasing: all[start..<end])
          start = end + 1
          if try !deliver(line, body) {
            stop = true
            return
          }
        }
      }
      if stop { return }
      if start > 0 {
        buffer.removeSubrange(0..<start)
        start = 0
      }
      guard buffer.count <= maxLineBytes else {
        throw LineReadError(
          source: source.name, line: lineNumber + 1,
          reason: "line longer than \(maxLineBytes) bytes")
      }
      if atEnd {
        // A stop request leaves an unfinished last line unread: it was not whole yet.
        if !buffer.isEmpty && !interrupted {
          let last = buffer
          buffer.removeAll()
          _ = try last.withUnsafeBytes { try deliver($0, body) }
        }
        return
      }
      try fill()
    }
  }

  /// Reads and decodes the next piece of input into `buffer`.
  func fill() throws {
    // Wait in slices so a quiet stream still gets its time-based commits, and a signal stops
    // the wait (read(2) itself is restarted after signals).
    while true {
      if Interrupt.requested != 0 {
        interrupted = true
        atEnd = true
        return
      }
      switch source.waitReadable(milliseconds: onIdle == nil ? 200 : min(idleMilliseconds, 200)) {
      case .ready: break
      case .timedOut, .interrupted:
        try onIdle?()
        continue
      }
      break
    }
    let n = try raw.withUnsafeMutableBytes { try source.read(into: $0) }
    if n == 0 {
      atEnd = true
      if let zstd, !zstd.atFrameBoundary {
        throw LineReadError(
          source: source.name, line: lineNumber + 1, reason: "zstd input is truncated")
      }
      if let gzip, !gzip.atMemberBoundary {
        throw LineReadError(
          source: source.name, line: lineNumber + 1, reason: "gzip input is truncated")
      }
      return
    }
    reads += 1
    try raw.withUnsafeBytes { r in
      let chunk = UnsafeRawBufferPointer(rebasing: r[0..<n])
      do {
        if let zstd {
          try zstd.decode(chunk) { buffer.append(contentsOf: $0) }
        } else if let gzip {
          try gzip.decode(chunk) { buffer.append(contentsOf: $0) }
        } else {
          buffer.append(contentsOf: chunk)
        }
      } catch let e as LakeError where e is ZstdError || e is GzipError {
        throw LineReadError(source: source.name, line: lineNumber + 1, reason: "\(e)")
      }
    }
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
