// LakeFormats/Parquet/File/ParquetFileWriter.swift
//
// Writes a Parquet file (formats.md §1 and §8):
//
//   "PAR1"  row group*  FileMetaData  uint32 footer length  "PAR1"
//
// Workflow: create (to a path, or to a stream), `write` batches of columns as often as needed,
// then `close`. Rows accumulate into the open row group until it holds `maxRowGroupRows` rows or
// about `maxRowGroupBytes` bytes; its chunks are then written column after column. To a path,
// the file is written under a temporary name in the same directory, fsynced, then renamed into
// place, so a reader never sees half a file; `abort` removes the temporary file.
//
// Many files open at once (one per partition of a commit): the caller may end a file's row group
// early (`endRowGroup(release: true)`), which writes it out and drops the column writers' buffers
// until the next rows come, and may hand every file one `ParquetWriterScratch` (page buffers and
// zstd context), so an idle open file holds little more than its descriptor and footer entries.

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// What a finished file holds.
public struct ParquetFileSummary: Sendable {
  public var rows: Int
  /// The file's exact size in bytes (what a Delta `add` records).
  public var bytes: Int
  public var rowGroups: Int
  /// Statistics per column, over the whole file.
  public var statistics: [ColumnStatistics]
}

/// A Parquet writer for one file.
public final class ParquetFileWriter {
  public let schema: TableSchema
  let options: ParquetWriteOptions
  let output: OutputBuffer
  let file: FileDescriptor?
  let finalPath: String?
  let temporaryPath: String?
  /// The open row group's column writers (empty after `endRowGroup(release: true)`, until
  /// the next rows).
  var columns: [ColumnChunkWriter]
  let scratch: ParquetWriterScratch
  var position: Int64 = 0
  var rowGroups: [RowGroup] = []
  var groupRows = 0
  var totalRows = 0
  var statistics: [ColumnStatistics]
  var closed = false
  /// When true, `close` renames the file into place without fsyncing it or its directory: the
  /// caller makes it durable (`syncFiles`) before anything refers to it.
  public var deferSync = false

  /// Writes a new file at `path` (through a temporary file renamed on `close`).
  ///
  /// - Parameter scratch: Page buffers and zstd context to share with other files written on
  ///   the same thread (nil: the file's own).
  public convenience init(
    path: String, schema: TableSchema, options: ParquetWriteOptions = .init(),
    scratch: ParquetWriterScratch? = nil
  ) throws {
    let slash = path.lastIndex(of: "/")
    let dir = slash.map { String(path[..<$0]) } ?? "."
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let temporary = "\(dir)/.\(base).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    let fd = try FileDescriptor.create(writingTo: temporary, exclusive: true)
    // A small buffer: column chunks are written whole (those larger than it go straight to the
    // file), so it only gathers the small ones and the footer, and many open files stay cheap.
    try self.init(
      output: OutputBuffer(destination: fd, capacity: 16 << 10), file: fd, finalPath: path,
      temporaryPath: temporary, schema: schema, options: options, scratch: scratch)
  }

  /// Writes a file to `output` (a stream: no temporary file, no fsync).
  public convenience init(
    output: OutputBuffer, schema: TableSchema, options: ParquetWriteOptions = .init()
  ) throws {
    try self.init(
      output: output, file: nil, finalPath: nil, temporaryPath: nil, schema: schema,
      options: options, scratch: nil)
  }

  init(
    output: OutputBuffer, file: FileDescriptor?, finalPath: String?, temporaryPath: String?,
    schema: TableSchema, options: ParquetWriteOptions, scratch: ParquetWriterScratch?
  ) throws {
    guard !schema.columns.isEmpty else {
      throw ParquetError("a Parquet file needs at least one column", category: .usage)
    }
    self.output = output
    self.file = file
    self.finalPath = finalPath
    self.temporaryPath = temporaryPath
    self.schema = schema
    self.options = options
    let scratch = scratch ?? ParquetWriterScratch()
    self.scratch = scratch
    columns = try schema.columns.map {
      try ColumnChunkWriter(spec: $0, options: options, scratch: scratch)
    }
    statistics = [ColumnStatistics](repeating: ColumnStatistics(), count: schema.columns.count)
    try emit(Array("PAR1".utf8))
  }

  deinit {
    if !closed, let temporaryPath { unlink(temporaryPath) }
  }

  func emit(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try output.write($0) }
    position += Int64(bytes.count)
  }

  /// Appends a batch: one buffer per schema column, all with the same row count.
  public func write(_ batch: [ColumnBuffer]) throws {
    try write(batch, rows: 0..<(batch.first?.count ?? 0))
  }

  /// Appends rows `range` of a batch: one buffer per schema column, all with the same row count.
  public func write(_ batch: [ColumnBuffer], rows range: Range<Int>) throws {
    guard batch.count == schema.columns.count else {
      throw ParquetError(
        "batch has \(batch.count) columns, schema \(schema.columns.count)", category: .software)
    }
    let count = batch.first?.count ?? 0
    for (i, column) in batch.enumerated()
    where column.count != count || column.type != schema.columns[i].type {
      throw ParquetError(
        "batch column does not match the schema", column: schema.columns[i].name,
        category: .software)
    }
    guard range.lowerBound >= 0, range.upperBound <= count else {
      throw ParquetError("rows \(range) of a batch of \(count)", category: .software)
    }
    guard !range.isEmpty else { return }
    if columns.isEmpty {
      columns = try schema.columns.map {
        try ColumnChunkWriter(spec: $0, options: options, scratch: scratch)
      }
    }
    var row = range.lowerBound
    let rows = range.upperBound
    while row < rows {
      let take = min(rows - row, options.maxRowGroupRows - groupRows)
      for i in columns.indices {
        try columns[i].append(batch[i], rows: row..<(row + take))
      }
      groupRows += take
      row += take
      if groupRows >= options.maxRowGroupRows || bufferedBytes >= options.maxRowGroupBytes {
        try flushRowGroup()
      }
    }
  }

  /// Bytes held for the open row group (its compressed pages, staged values, dictionaries).
  public var bufferedBytes: Int { columns.reduce(0) { $0 + $1.bufferedBytes } }

  /// Bytes of storage the file's column writers hold (the open row group's pages, staged values
  /// and dictionaries, with their spare capacity): what keeping the file open costs.
  public var heldBytes: Int { columns.reduce(0) { $0 + $1.heldBytes } }

  /// Writes the open row group now (a file may hold many); with `release`, also frees the column
  /// writers' buffers until the next rows arrive (for a file that may stay idle a while).
  public func endRowGroup(release: Bool) throws {
    try flushRowGroup()
    if release { columns = [] }
  }

  func flushRowGroup() throws {
    guard groupRows > 0 else { return }
    var group = RowGroup()
    group.fileOffset = position
    let start = position
    // The writers move into a local array while they emit (the closure reaches `self`), so
    // each is uniquely referenced and its buffers are neither copied nor reallocated.
    var writers = columns
    columns = []
    defer { columns = writers }
    for i in writers.indices {
      let (chunk, stats) = try writers[i].finishChunk(at: position) { try emit($0) }
      group.columns.append(chunk)
      group.totalByteSize += chunk.metaData?.totalUncompressedSize ?? 0
      statistics[i].merge(stats)
      writers[i].reset()
    }
    group.numRows = Int64(groupRows)
    group.totalCompressedSize = position - start
    group.ordinal = Int16(truncatingIfNeeded: rowGroups.count)
    rowGroups.append(group)
    totalRows += groupRows
    groupRows = 0
  }

  /// Writes the last row group and the footer, makes the file durable and visible.
  @discardableResult
  public func close() throws -> ParquetFileSummary {
    try flushRowGroup()
    var meta = FileMetaData()
    meta.version = 1
    meta.schema = try ParquetSchemaMapping.elements(for: schema, style: options.annotations)
    meta.numRows = Int64(totalRows)
    meta.rowGroups = rowGroups
    meta.createdBy = options.createdBy
    meta.columnOrderCount = schema.columns.count
    let footer = meta.encoded()
    try emit(footer)
    var tail: [UInt8] = []
    appendLittleEndian(UInt32(footer.count), to: &tail)
    tail += Array("PAR1".utf8)
    try emit(tail)
    try output.flush()
    if let file, let temporaryPath, let finalPath {
      if !deferSync { try file.sync() }
      try file.close()
      guard rename(temporaryPath, finalPath) == 0 else {
        let e = errno
        unlink(temporaryPath)
        throw SystemError("rename", path: finalPath, errno: e, category: .cannotCreate)
      }
      if !deferSync { try syncDirectory(of: finalPath) }
    }
    closed = true
    return ParquetFileSummary(
      rows: totalRows, bytes: Int(position), rowGroups: rowGroups.count, statistics: statistics)
  }

  /// Gives up: removes the temporary file.
  public func abort() {
    if let file { try? file.close() }
    if let temporaryPath { unlink(temporaryPath) }
    closed = true
  }
}

/// Fsyncs the directory holding `path`, so a rename or link in it is durable.
public func syncDirectory(of path: String) throws {
  let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
  let fd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
  guard fd >= 0 else { throw SystemError("open", path: dir, errno: errno) }
  defer { close(fd) }
  while fsync(fd) != 0 {
    if errno == EINTR { continue }
    throw SystemError("fsync", path: dir, errno: errno)
  }
}
