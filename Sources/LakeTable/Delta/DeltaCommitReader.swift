// LakeTable/Delta/DeltaCommitReader.swift
//
// Reading commit files line by line in bounded memory (issue 9: "a Delta log with a million
// actions"). A commit is never read whole: one `LineReader` (the NDJSON input tools' own, reset
// from file to file so its buffers are allocated once) hands on each complete line as bytes in
// its buffer. A line may hold at most `DeltaLog.maxActionLineBytes` (64 MiB): a longer one (a
// broken or hostile commit, such as a sparse file of NULs) is an error naming the table,
// version and line, found after buffering about that many bytes. So the memory a commit costs
// is one buffer of about the longest line, whatever the size of the file.

import LakeFormats
import LakeIO

/// Reads commit files of a table line by line, with one line reader reused from file to file.
final class DeltaCommitReader {
  /// The longest line accepted, in bytes (without its newline).
  let maxLineBytes: Int
  private var lines: LineReader?
  private var cache = DeltaDecodeCache()

  /// Creates a reader whose buffer grows to fit the longest line.
  init(maxLineBytes: Int = DeltaLog.maxActionLineBytes) {
    self.maxLineBytes = max(1, maxLineBytes)
  }

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
    try forEachLine(
      path: table + "/_delta_log/" + DeltaLog.fileName(version), table: table, version: version,
      body)
  }

  /// Like ``forEachLine(table:version:_:)``, for a file of log actions at `path` (a commit, or
  /// a V2 checkpoint in JSON); errors name `table` and `version`.
  func forEachLine(
    path: String, table: String, version: Int64,
    _ body: (UnsafeRawBufferPointer, Int) throws -> Bool
  ) throws {
    let source = try ByteSource(path: path)
    let reader: LineReader
    if let lines {
      try lines.reset(source: source)
      reader = lines
    } else {
      // A "\r" before the "\n" counts toward the line's bytes there: allow for it.
      reader = try LineReader(source: source, compression: .none, maxLineBytes: maxLineBytes + 1)
      // A commit is read whole even while a signal asks the tool to stop.
      reader.stopsOnInterrupt = false
      lines = reader
    }
    do {
      try reader.forEachLine { line, number in
        guard line.count <= maxLineBytes else { throw tooLong(table, version, number) }
        return try body(line, number)
      }
    } catch let e as LineReadError {
      throw tooLong(table, version, e.line)
    }
  }

  func tooLong(_ table: String, _ version: Int64, _ line: Int) -> DeltaLogError {
    let limit =
      maxLineBytes % (1 << 20) == 0 ? "\(maxLineBytes >> 20) MiB" : "\(maxLineBytes) bytes"
    return DeltaLogError(
      table: table, version: version, line: line,
      reason: "action line longer than \(limit) (the limit)")
  }

  /// Calls `body` with each action of commit `version`, in order (blank lines skipped).
  ///
  /// - Throws: `DeltaLogError` naming the version and line of a malformed action.
  func forEachAction(
    table: String, version: Int64, _ body: (DeltaAction) throws -> Void
  ) throws {
    try forEachAction(
      path: table + "/_delta_log/" + DeltaLog.fileName(version), table: table, version: version,
      body)
  }

  /// Like ``forEachAction(table:version:_:)``, for a file of log actions at `path`.
  func forEachAction(
    path: String, table: String, version: Int64, _ body: (DeltaAction) throws -> Void
  ) throws {
    try forEachLine(path: path, table: table, version: version) { line, number in
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
