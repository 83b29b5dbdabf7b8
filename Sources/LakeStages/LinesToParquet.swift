// LakeStages/LinesToParquet.swift
//
// NDJSON bytes in, a Parquet file out: chunks of bytes (cut anywhere) are split into lines,
// decoded into typed columns of a schema, and handed to the Parquet writer every `batchRows`
// rows. Memory: one batch of columns plus the writer's open row group.

import LakeFormats
import LakeIO

/// Converts a stream of NDJSON bytes into a Parquet file.
public final class LinesToParquet {
  var decoder: NDJSONRowDecoder
  var columns: [ColumnBuffer]
  let writer: ParquetFileWriter
  let batchRows: Int
  var carry: [UInt8] = []
  /// Lines decoded so far.
  public private(set) var lines = 0

  /// Converts lines of `schema` into `writer`'s file.
  public init(schema: TableSchema, writer: ParquetFileWriter, batchRows: Int = 65_536) {
    decoder = NDJSONRowDecoder(schema: schema)
    columns = decoder.makeColumns(capacity: batchRows)
    self.writer = writer
    self.batchRows = batchRows
  }

  /// Consumes a chunk of NDJSON bytes.
  public func consume(_ chunk: UnsafeRawBufferPointer) throws {
    var start = 0
    let n = chunk.count
    while start < n {
      guard let nl = memchr(chunk.baseAddress! + start, 0x0A, n - start) else {
        carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start...]))
        return
      }
      let end = chunk.baseAddress!.distance(to: UnsafeRawPointer(nl))
      if carry.isEmpty {
        try decodeLine(UnsafeRawBufferPointer(rebasing: chunk[start..<end]))
      } else {
        carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<end]))
        let line = carry
        carry.removeAll(keepingCapacity: true)
        try line.withUnsafeBytes { try decodeLine($0) }
      }
      start = end + 1
    }
  }

  func decodeLine(_ raw: UnsafeRawBufferPointer) throws {
    var line = raw
    if line.last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
    lines += 1
    do {
      try decoder.decode(line, into: &columns)
    } catch let e as LakeError {
      throw LakeFailure(.data, "line \(lines): \(e)")
    }
    if columns[0].count >= batchRows {
      try writer.write(columns)
      for i in columns.indices { columns[i].removeAll() }
    }
  }

  /// Writes what is left and closes the file.
  @discardableResult
  public func finish() throws -> ParquetFileSummary {
    if !carry.isEmpty {
      let line = carry
      carry.removeAll()
      try line.withUnsafeBytes { try decodeLine($0) }
    }
    if columns[0].count > 0 { try writer.write(columns) }
    return try writer.close()
  }
}

#if canImport(Glibc)
import Glibc
#endif
