// LakeTable/Delta/DeltaCommitReader.swift
//
// Reading commit files line by line in bounded memory (issue 9: "a Delta log with a million
// actions"). A commit is never read whole: it is read in chunks into one buffer, which a reader
// reuses from file to file, and each complete line is handed on as bytes in that buffer:
//
//   read(2) ─▶ buffer [ done │ line │ line │ partial line … │ free ] ─▶ body(line bytes, number)
//                        ▲ start                            ▲ end: move the partial line to the
//                                                              front, or grow (to the limit)
//
// A line may hold at most `DeltaLog.maxActionLineBytes` (64 MiB): a longer one (a broken or
// hostile commit, such as a sparse file of NULs) is an error naming the table, version and line,
// found after buffering at most that many bytes. So the memory a commit costs is one buffer of
// at most the longest line, whatever the size of the file.

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// Reads commit files of a table line by line, with one buffer reused from file to file.
final class DeltaCommitReader {
  /// The longest line accepted, in bytes (without its newline).
  let maxLineBytes: Int
  private var buffer: UnsafeMutableRawBufferPointer
  private var cache = DeltaDecodeCache()

  /// Creates a reader whose buffer starts at 64 KiB and grows to fit the longest line.
  init(maxLineBytes: Int = DeltaLog.maxActionLineBytes) {
    self.maxLineBytes = max(1, maxLineBytes)
    buffer = .allocate(byteCount: min(1 << 16, self.maxLineBytes + 2), alignment: 16)
  }

  deinit { buffer.deallocate() }

  /// Calls `body` with each line of commit `version` (without its `\n` or `\r\n`) and its
  /// 1-based number, until `body` returns false or the file ends.
  ///
  /// The bytes are valid only during the call.
  ///
  /// - Throws: `SystemError` when the file cannot be opened or read, `DeltaLogError` for a line
  ///   longer than ``maxLineBytes``, and whatever `body` throws.
  func forEachLine(
    table: String, version: Int64, _ body: (UnsafeRawBufferPointer, Int) throws -> Bool
  ) throws {
    let path = table + "/_delta_log/" + DeltaLog.fileName(version)
    let fd = try FileDescriptor.open(readingFrom: path)
    defer { try? fd.close() }
    var start = 0  // first byte of the pending line
    var end = 0  // end of the bytes read
    var scanned = 0  // bytes before this hold no newline of the pending line
    var number = 0
    func tooLong() -> DeltaLogError {
      let limit =
        maxLineBytes % (1 << 20) == 0 ? "\(maxLineBytes >> 20) MiB" : "\(maxLineBytes) bytes"
      return DeltaLogError(
        table: table, version: version, line: number + 1,
        reason: "action line longer than \(limit) (the limit)")
    }
    while true {
      if end == buffer.count {
        if start > 0 {
          memmove(buffer.baseAddress!, buffer.baseAddress! + start, end - start)
          end -= start
          scanned -= start
          start = 0
        } else {
          // A line and its "\r\n" fit in maxLineBytes + 2 (longer ones are refused below).
          guard buffer.count < maxLineBytes + 2 else { throw tooLong() }
          let grown = UnsafeMutableRawBufferPointer.allocate(
            byteCount: min(buffer.count * 2, maxLineBytes + 2), alignment: 16)
          grown.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
          buffer.deallocate()
          buffer = grown
        }
      }
      let n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
      if n == 0 { break }
      end += n
      let base = buffer.baseAddress!
      while scanned < end,
        let hit = memchr(base + scanned, 0x0A, end - scanned)
      {
        let newline = UnsafeMutableRawPointer(hit) - base
        var lineEnd = newline
        if lineEnd > start && base.load(fromByteOffset: lineEnd - 1, as: UInt8.self) == 0x0D {
          lineEnd -= 1
        }
        guard lineEnd - start <= maxLineBytes else { throw tooLong() }
        number += 1
        let line = UnsafeRawBufferPointer(start: base + start, count: lineEnd - start)
        guard try body(line, number) else { return }
        start = newline + 1
        scanned = start
      }
      scanned = end
      if end - start > maxLineBytes + 1 { throw tooLong() }
    }
    if start < end {
      var lineEnd = end
      if buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
      guard lineEnd - start <= maxLineBytes else { throw tooLong() }
      number += 1
      _ = try body(
        UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: lineEnd - start), number)
    }
  }

  /// Calls `body` with each action of commit `version`, in order (blank lines skipped).
  ///
  /// - Throws: `DeltaLogError` naming the version and line of a malformed action.
  func forEachAction(
    table: String, version: Int64, _ body: (DeltaAction) throws -> Void
  ) throws {
    try forEachLine(table: table, version: version) { line, number in
      if let action = try DeltaLogCodec.decodeLine(
        line, table: table, version: version, line: number, cache: &cache)
      {
        try body(action)
      }
      return true
    }
  }

  /// The timestamp of commit `version`: its first commitInfo's, else the file's modification
  /// time.
  ///
  /// Lines before the commitInfo (which lh and delta-rs write first) are only looked at, not
  /// decoded; reading stops at the commitInfo.
  func commitTimestamp(table: String, version: Int64) throws -> Int64 {
    var stamp: Int64?
    try forEachLine(table: table, version: version) { line, number in
      guard DeltaLogCodec.isCommitInfo(line) else { return true }
      if case .commitInfo(let c)? = try DeltaLogCodec.decodeLine(
        line, table: table, version: version, line: number)
      {
        stamp = c.timestamp
      }
      return false
    }
    return stamp ?? DeltaLog.fileTime(table: table, version: version)
  }
}
