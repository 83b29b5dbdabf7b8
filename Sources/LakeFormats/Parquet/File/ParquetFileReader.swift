// LakeFormats/Parquet/File/ParquetFileReader.swift
//
// Reads Parquet files row group by row group (formats.md §1 and §8):
//
//   open ─▶ last 8 bytes: footer length + "PAR1" ─▶ FileMetaData ─▶ leaves (flat schema only)
//        ─▶ readRowGroup(i, columns:) reads only the chunks asked for (pread, one buffer each)
//
// Chunks start at `dictionary_page_offset` when it is set and positive (0 means none, as some
// writers put it), else at `data_page_offset`, and span `total_compressed_size` bytes;
// `ColumnChunk.file_offset` is never trusted. Row groups can be skipped by their statistics
// (`mayContain`). Every error names the file, and the column where one is involved.

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// A closed range of values a column must overlap (for skipping row groups by statistics).
public struct RangePredicate: Sendable {
  public var column: String
  public var lowerBound: StatValue?
  public var upperBound: StatValue?

  public init(column: String, lowerBound: StatValue?, upperBound: StatValue?) {
    self.column = column
    self.lowerBound = lowerBound
    self.upperBound = upperBound
  }
}

/// A Parquet file opened for reading.
public final class ParquetFileReader {
  /// The name used in messages.
  public let name: String
  public let metadata: FileMetaData
  /// The file's columns as lh types.
  public let leaves: [ParquetLeaf]
  let source: Source
  let zstd: ZstdDecompressor
  /// Reused from one row group to the next (no allocation, no page faults per chunk): the
  /// chunk readers per leaf (their page buffers) and the bytes of the chunk being read.
  var chunkReaders: [Int: ColumnChunkReader] = [:]
  var chunkBytes: [UInt8] = []
  /// Give each row's dictionary index with the values of a dictionary-encoded chunk
  /// (`ColumnBuffer.dictionaryCodes`): a reader that interns values does so once per entry.
  public var keepsDictionaryCodes = false
  /// Leaves (by index) whose dictionary-encoded chunks are read as codes only, without their
  /// values (`ColumnBuffer.valuesOmitted`), when `keepsDictionaryCodes` holds: for a reader
  /// that uses only the codes and the dictionary.
  public var codesOnlyColumns: Set<Int> = []

  enum Source {
    case file(FileDescriptor, size: Int)
    case memory([UInt8])

    /// The file's length in bytes.
    var size: Int {
      switch self {
      case .file(_, let size): size
      case .memory(let bytes): bytes.count
      }
    }
  }

  /// The schema of the file in lh types.
  public var schema: TableSchema { TableSchema(leaves.map(\.spec)) }
  /// Number of row groups.
  public var rowGroupCount: Int { metadata.rowGroups.count }
  /// Rows in the file.
  public var rowCount: Int { Int(metadata.numRows) }

  /// Opens the file at `path` (named `name` in messages, the path by default).
  public convenience init(path: String, name: String? = nil) throws {
    let fd = try FileDescriptor.open(readingFrom: path)
    var st = stat()
    guard fstat(fd.rawValue, &st) == 0 else {
      let e = errno
      try? fd.close()
      throw SystemError("stat", path: path, errno: e, category: .noInput)
    }
    do {
      try self.init(name: name ?? path, source: .file(fd, size: Int(st.st_size)))
    } catch {
      try? fd.close()
      throw error
    }
  }

  /// Reads a file held in memory (for example, all of stdin).
  public convenience init(bytes: [UInt8], name: String) throws {
    try self.init(name: name, source: .memory(bytes))
  }

  init(name: String, source: Source) throws {
    self.name = name
    self.source = source
    zstd = try ZstdDecompressor()
    let footer = try Self.footerBytes(source, name: name)
    do {
      let meta = try footer.withUnsafeBytes { try FileMetaData(decoding: $0) }
      let leaves = try ParquetSchemaMapping.leaves(of: meta.schema)
      var total: Int64 = 0
      for (g, group) in meta.rowGroups.enumerated() {
        guard group.columns.count == leaves.count else {
          throw ParquetError.corrupt(
            "row group \(g) has \(group.columns.count) columns, the schema \(leaves.count)")
        }
        guard group.numRows >= 0 else {
          throw ParquetError.corrupt("row group \(g) has a negative row count")
        }
        // An empty row group's chunks are never read (pyarrow writes data_page_offset 0 there).
        for (c, chunk) in group.columns.enumerated() where group.numRows > 0 {
          guard let m = chunk.metaData else {
            throw ParquetError.unsupported("column chunk metadata outside the footer").at(
              column: leaves[c].spec.name)
          }
          let (start, length) = Self.chunkRange(m)
          guard start >= 4, length >= 0, start <= Int64(source.size - 8 - footer.count) - length
          else {
            throw ParquetError.corrupt("row group \(g) chunk lies outside the file").at(
              column: leaves[c].spec.name)
          }
          guard m.type == leaves[c].physical.rawValue else {
            throw ParquetError.corrupt("chunk type differs from the schema").at(
              column: leaves[c].spec.name)
          }
        }
        total += group.numRows
      }
      guard total == meta.numRows else {
        throw ParquetError.corrupt("row groups hold \(total) rows, the footer says \(meta.numRows)")
      }
      metadata = meta
      self.leaves = leaves
    } catch let e as ParquetError {
      throw e.at(file: name)
    }
  }

  /// The FileMetaData bytes of a file, after checking both magics and the footer length.
  static func footerBytes(_ source: Source, name: String) throws -> [UInt8] {
    let size = source.size
    func fail(_ message: String) -> ParquetError { ParquetError(message, file: name) }
    guard size >= 12 else { throw fail("not a Parquet file: \(size) bytes is too short") }
    let head = try Self.read(source, offset: 0, count: 4, name: name)
    let tail = try Self.read(source, offset: size - 8, count: 8, name: name)
    guard head == Array("PAR1".utf8) else {
      throw fail("not a Parquet file: no PAR1 magic at the start")
    }
    guard Array(tail[4...]) == Array("PAR1".utf8) else {
      throw fail("not a Parquet file, or truncated: no PAR1 magic at the end")
    }
    let footerLength = Int(
      UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24)
    guard footerLength > 0, footerLength <= size - 12 else {
      throw fail("footer length \(footerLength) does not fit a file of \(size) bytes")
    }
    let footer = try Self.read(
      source, offset: size - 8 - footerLength, count: footerLength, name: name)
    return footer
  }

  deinit {
    if case .file(let fd, _) = source { try? fd.close() }
  }

  static func chunkRange(_ m: ColumnMetaData) -> (Int64, Int64) {
    var start = m.dataPageOffset
    if let d = m.dictionaryPageOffset, d > 0, d < start || start <= 0 { start = d }
    return (start, m.totalCompressedSize)
  }

  /// Reads `count` bytes at `offset` into the start of `buffer` (grown when too small).
  static func read(
    _ source: Source, offset: Int, count: Int, name: String, into buffer: inout [UInt8]
  ) throws {
    switch source {
    case .memory(let bytes):
      guard offset >= 0, count >= 0, offset <= bytes.count - count else {
        throw ParquetError("read past the end of the file", file: name)
      }
      if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
      buffer.withUnsafeMutableBufferPointer { out in
        bytes.withUnsafeBufferPointer { src in
          if count > 0 { out.baseAddress!.update(from: src.baseAddress! + offset, count: count) }
        }
      }
    case .file(let fd, _):
      guard offset >= 0, count >= 0 else {
        throw ParquetError("read past the end of the file", file: name)
      }
      if buffer.count < count { buffer = [UInt8](repeating: 0, count: count) }
      var done = 0
      try buffer.withUnsafeMutableBytes { buf in
        while done < count {
          let n = pread(fd.rawValue, buf.baseAddress! + done, count - done, off_t(offset + done))
          if n < 0 {
            if errno == EINTR { continue }
            throw SystemError("read", path: name, errno: errno)
          }
          if n == 0 { throw ParquetError("file ends early (truncated while reading?)", file: name) }
          done += n
        }
      }
    }
  }

  static func read(_ source: Source, offset: Int, count: Int, name: String) throws -> [UInt8] {
    switch source {
    case .memory(let bytes):
      guard offset >= 0, count >= 0, offset <= bytes.count - count else {
        throw ParquetError("read past the end of the file", file: name)
      }
      return Array(bytes[offset..<(offset + count)])
    case .file(let fd, _):
      var out = [UInt8](repeating: 0, count: count)
      var done = 0
      try out.withUnsafeMutableBytes { buf in
        while done < count {
          let n = pread(fd.rawValue, buf.baseAddress! + done, count - done, off_t(offset + done))
          if n < 0 {
            if errno == EINTR { continue }
            throw SystemError("read", path: name, errno: errno)
          }
          if n == 0 { throw ParquetError("file ends early (truncated while reading?)", file: name) }
          done += n
        }
      }
      return out
    }
  }

  /// The statistics of `column` in row group `group`, in lh terms (nil when absent).
  public func statistics(rowGroup group: Int, column: Int) -> ColumnStatistics? {
    guard let m = metadata.rowGroups[group].columns[column].metaData, let s = m.statistics else {
      return nil
    }
    let leaf = leaves[column]
    var out = ColumnStatistics()
    out.nullCount = Int(s.nullCount ?? 0)
    let signedOrder = leaf.spec.type.storage != .bytes && leaf.decoding != .decimalBytes
    let minBytes = s.minValue ?? (signedOrder ? s.min : nil)
    let maxBytes = s.maxValue ?? (signedOrder ? s.max : nil)
    guard let minBytes, let maxBytes else { return out }
    out.min = Self.decodeStat(minBytes, leaf)
    out.max = Self.decodeStat(maxBytes, leaf)
    return out
  }

  static func decodeStat(_ b: [UInt8], _ leaf: ParquetLeaf) -> StatValue? {
    func le<T: FixedWidthInteger>(_: T.Type) -> T? {
      guard b.count == MemoryLayout<T>.size else { return nil }
      var v: T = 0
      for (i, x) in b.enumerated() { v |= T(truncatingIfNeeded: x) << (8 * i) }
      return v
    }
    switch leaf.decoding {
    case .boolean: return b.count == 1 ? .bool(b[0] != 0) : nil
    case .int32, .decimalInt32: return le(Int32.self).map { .int(Int64($0)) }
    case .uint32AsInt64: return le(UInt32.self).map { .int(Int64($0)) }
    case .int64, .decimalInt64: return le(Int64.self).map { .int($0) }
    case .timestamp(let scale):
      return le(Int64.self).flatMap { try? ColumnChunkReader.scaleTimestamp($0, scale) }.map {
        .int($0)
      }
    case .float: return le(UInt32.self).map { .double(Double(Float(bitPattern: $0))) }
    case .double: return le(UInt64.self).map { .double(Double(bitPattern: $0)) }
    case .bytes: return .bytes(b)
    case .int96Timestamp, .decimalBytes: return nil
    }
  }

  /// False when the statistics of row group `group` prove no row can satisfy `predicate`.
  public func mayContain(rowGroup group: Int, _ predicate: RangePredicate) -> Bool {
    guard let c = leaves.firstIndex(where: { $0.spec.name == predicate.column }),
      let s = statistics(rowGroup: group, column: c), let min = s.min, let max = s.max
    else { return true }
    if let lower = predicate.lowerBound, ColumnStatistics.less(max, lower) { return false }
    if let upper = predicate.upperBound, ColumnStatistics.less(upper, min) { return false }
    return true
  }

  /// Reads row group `group`: one buffer per requested column index (all columns when nil).
  public func readRowGroup(_ group: Int, columns wanted: [Int]? = nil) throws -> [ColumnBuffer] {
    var out: [ColumnBuffer] = []
    try readRowGroup(group, columns: wanted, into: &out)
    return out
  }

  /// Reads row group `group` into `out`, reusing its buffers' storage when it already holds
  /// columns of the same types (a loop over row groups then allocates nothing per group).
  public func readRowGroup(
    _ group: Int, columns wanted: [Int]? = nil, into out: inout [ColumnBuffer]
  ) throws {
    let indices = wanted ?? Array(leaves.indices)
    let rowGroup = metadata.rowGroups[group]
    if out.count != indices.count
      || zip(out, indices).contains(where: { $0.0.type != leaves[$0.1].spec.type })
    {
      out = indices.map { ColumnBuffer(type: leaves[$0].spec.type) }
    }
    for (k, c) in indices.enumerated() {
      let leaf = leaves[c]
      out[k].removeAll()
      if rowGroup.numRows == 0 { continue }
      guard let m = rowGroup.columns[c].metaData else {
        throw ParquetError.corrupt("missing metadata").at(file: name, column: leaf.spec.name)
      }
      do {
        guard m.numValues == rowGroup.numRows else {
          throw ParquetError.corrupt("chunk has \(m.numValues) values for \(rowGroup.numRows) rows")
        }
        let (start, length) = Self.chunkRange(m)
        try Self.read(source, offset: Int(start), count: Int(length), name: name, into: &chunkBytes)
        var reader: ColumnChunkReader
        if let cached = chunkReaders.removeValue(forKey: c), cached.codecValue == m.codec {
          reader = cached
          reader.reset()
        } else {
          reader = try ColumnChunkReader(leaf: leaf, codec: m.codec, zstd: zstd)
        }
        reader.keepsCodes = keepsDictionaryCodes
        reader.codesOnly = keepsDictionaryCodes && codesOnlyColumns.contains(c)
        // Capacity from the footer is a hint only: a corrupt count must not allocate.
        out[k].reserve(min(Int(rowGroup.numRows), 1 << 20))
        try chunkBytes.withUnsafeBytes {
          try reader.read(
            UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)]), rows: Int(rowGroup.numRows),
            into: &out[k])
        }
        chunkReaders[c] = reader
      } catch let e as ParquetError {
        throw e.at(file: name, column: leaf.spec.name)
      } catch let e as LakeError where e.category == .data {
        throw ParquetError("\(e)", file: name, column: leaf.spec.name)
      }
    }
  }

  /// True when `bytes` start with the Parquet magic (input sniffing).
  public static func looksLikeParquet(_ bytes: UnsafeRawBufferPointer) -> Bool {
    bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x41 && bytes[2] == 0x52 && bytes[3] == 0x31
  }
}
