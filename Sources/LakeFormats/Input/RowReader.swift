// LakeFormats/Input/RowReader.swift
//
// Typed rows from any input a tool is handed, batch by batch, whatever its format:
//
//   ByteSource ─ sniff ─┬─ Parquet ─▶ ParquetFileReader: row groups, only the schema's columns
//                       │             (stdin is first spooled to an unlinked temporary file:
//                       │              Parquet needs its footer, memory must stay bounded)
//                       └─ NDJSON (plain, zstd, gzip) ─▶ LineReader ─▶ NDJSONRowDecoder
//
// Columns are matched by name; a Parquet input must hold every column of the schema, with the
// same type. A bad NDJSON line is an error naming the input, the line and the field.

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// Reads batches of typed rows of a schema from an input.
public final class RowReader {
  public let schema: TableSchema
  public let format: InputFormat
  public let source: ByteSource
  let batchRows: Int
  var parquet: ParquetFileReader?
  var projection: [Int] = []
  var nextGroup = 0
  var lines: LineReader?
  var decoder: NDJSONRowDecoder

  /// Opens `path` (or stdin when nil or "-") and sniffs its format.
  ///
  /// With `schema` nil, the rows are whatever the input holds: a Parquet input's own columns
  /// (then `schema` is the file's), or NDJSON lines left to the caller through ``lineReader``.
  public init(
    path: String?, schema wanted: TableSchema?, batchRows: Int = 65_536,
    maxLineBytes: Int = LineReader.defaultMaxLineBytes
  ) throws {
    self.batchRows = batchRows
    let source = try ByteSource(path: path)
    self.source = source
    format = InputFormat.sniff(try source.peek(4))
    var schema = wanted ?? TableSchema([])
    switch format {
    case .parquet:
      let reader: ParquetFileReader
      if let path = source.path, source.isRegularFile {
        reader = try ParquetFileReader(path: path)
      } else {
        reader = try Self.spool(source)
      }
      if wanted == nil { schema = TableSchema(reader.leaves.map(\.spec)) }
      projection = try schema.columns.map { want in
        guard let i = reader.leaves.firstIndex(where: { $0.spec.name == want.name }) else {
          throw LakeFailure(.data, "\(source.name): Parquet input has no column '\(want.name)'")
        }
        // A naive timestamp (isAdjustedToUTC=false, as pandas writes) where a timestamp is
        // wanted: the same microseconds, read as UTC as before timestamp_ntz existed.
        let type = reader.leaves[i].spec.type
        guard
          type == want.type
            || (type.storage == .int64
              && [type, want.type].allSatisfy {
                $0 == .timestamp || $0 == .timestampNtz
              })
        else {
          throw LakeFailure(
            .data,
            "\(source.name): column '\(want.name)' is \(reader.leaves[i].spec.type), expected \(want.type)"
          )
        }
        return i
      }
      parquet = reader
    case .ndjson(let compression):
      lines = try LineReader(source: source, compression: compression, maxLineBytes: maxLineBytes)
    }
    self.schema = schema
    decoder = NDJSONRowDecoder(schema: schema)
  }

  /// The NDJSON lines of an input opened without a schema (nil for Parquet).
  public var lineReader: LineReader? { lines }

  /// Opens a Parquet input: the file itself, or a non-seekable input (stdin) copied to an
  /// unlinked temporary file first (Parquet needs its footer; memory stays bounded).
  public static func openParquet(_ source: ByteSource) throws -> ParquetFileReader {
    if let path = source.path, source.isRegularFile { return try ParquetFileReader(path: path) }
    return try spool(source)
  }

  /// Copies a non-seekable Parquet input to an unlinked temporary file and opens that.
  static func spool(_ source: ByteSource) throws -> ParquetFileReader {
    let dir =
      (getenv("TMPDIR").map {
        String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self)
      })
      .flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(dir)/lh-spool-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
      throw SystemError("create", path: dir, errno: errno, category: .cannotCreate)
    }
    let path = template.withUnsafeBufferPointer {
      String(
        decoding: UnsafeRawBufferPointer(start: $0.baseAddress!, count: strlen($0.baseAddress!)),
        as: UTF8.self)
    }
    unlink(path)
    let spool = FileDescriptor(rawValue: fd, name: "\(source.name) (spooled)")
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
      if n == 0 { break }
      try buffer.withUnsafeBytes { try spool.writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
    // Reopen through /proc so the reader owns its own descriptor on the unlinked file.
    let reader = try ParquetFileReader(path: "/proc/self/fd/\(fd)", name: source.name)
    try spool.close()
    return reader
  }

  /// The next batch (one Parquet row group, or up to `batchRows` NDJSON lines); nil at the end.
  public func nextBatch() throws -> [ColumnBuffer]? {
    if let parquet {
      guard nextGroup < parquet.rowGroupCount else { return nil }
      defer { nextGroup += 1 }
      let batch = try parquet.readRowGroup(nextGroup, columns: projection)
      return zip(batch, schema.columns).map {
        $0.0.type == $0.1.type ? $0.0 : $0.0.retyped($0.1.type)
      }
    }
    guard let lines else { return nil }
    var columns = decoder.makeColumns(capacity: batchRows)
    var count = 0
    let name = source.name
    try lines.forEachLine { line, number in
      do {
        try decoder.decode(line, into: &columns)
      } catch let e as LakeError {
        throw LakeFailure(.data, "\(name):\(number): \(e)")
      }
      count += 1
      return count < batchRows
    }
    return count == 0 ? nil : columns
  }
}
