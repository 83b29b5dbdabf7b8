// LakeFormats/Parquet/Nested/ParquetNestedFile.swift
//
// Reads a Parquet file's top-level columns, nested or flat, row by row as `NestedValue`s:
//
//   footer ─▶ schema tree (NestedSchema) ─▶ per row group, the chunks of the leaves asked for
//          ─▶ levels + present values (ColumnChunkReader.readLevelled) ─▶ record assembly
//
// Memory: one row group of the leaves asked for. Every error names the file (and the column).

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// Reading a Parquet file's nested (and flat) top-level columns row by row.
public final class ParquetNestedFile {
  /// The name used in messages.
  public let name: String
  public let metadata: FileMetaData
  /// Top-level fields of the file's schema.
  public let fields: [NestedField]
  let schema: NestedSchema
  let source: ParquetFileReader.Source
  let zstd: ZstdDecompressor

  /// Rows in the file.
  public var rowCount: Int { Int(metadata.numRows) }
  /// Row groups in the file.
  public var rowGroupCount: Int { metadata.rowGroups.count }

  /// Opens the file at `path`.
  public convenience init(path: String) throws {
    let fd = try FileDescriptor.open(readingFrom: path)
    var st = stat()
    guard fstat(fd.rawValue, &st) == 0 else {
      let e = errno
      try? fd.close()
      throw SystemError("stat", path: path, errno: e, category: .noInput)
    }
    do {
      try self.init(name: path, source: .file(fd, size: Int(st.st_size)))
    } catch {
      try? fd.close()
      throw error
    }
  }

  /// Reads a file held in memory.
  public convenience init(bytes: [UInt8], name: String) throws {
    try self.init(name: name, source: .memory(bytes))
  }

  init(name: String, source: ParquetFileReader.Source) throws {
    self.name = name
    self.source = source
    zstd = try ZstdDecompressor()
    let footer = try ParquetFileReader.footerBytes(source, name: name)
    do {
      let meta = try footer.withUnsafeBytes { try FileMetaData(decoding: $0) }
      let schema = try NestedSchema(meta.schema)
      fields = try schema.roots.map { try schema.field($0) }
      var total: Int64 = 0
      for (g, group) in meta.rowGroups.enumerated() {
        guard group.columns.count == schema.leaves.count else {
          throw ParquetError.corrupt(
            "row group \(g) has \(group.columns.count) columns, the schema \(schema.leaves.count)")
        }
        guard group.numRows >= 0 else {
          throw ParquetError.corrupt("row group \(g) has a negative row count")
        }
        for (c, chunk) in group.columns.enumerated() where group.numRows > 0 {
          let column = Self.path(schema.leaves[c])
          guard let m = chunk.metaData else {
            throw ParquetError.unsupported("column chunk metadata outside the footer").at(
              column: column)
          }
          let (start, length) = ParquetFileReader.chunkRange(m)
          guard start >= 4, length >= 0, start <= Int64(source.size - 8 - footer.count) - length
          else {
            throw ParquetError.corrupt("row group \(g) chunk lies outside the file").at(
              column: column)
          }
          guard m.type == schema.leaves[c].leaf?.physical.rawValue else {
            throw ParquetError.corrupt("chunk type differs from the schema").at(column: column)
          }
        }
        total += group.numRows
      }
      guard total == meta.numRows else {
        throw ParquetError.corrupt("row groups hold \(total) rows, the footer says \(meta.numRows)")
      }
      metadata = meta
      self.schema = schema
    } catch let e as ParquetError {
      throw e.at(file: name)
    }
  }

  deinit {
    if case .file(let fd, _) = source { try? fd.close() }
  }

  /// A leaf's dotted path, for messages.
  static func path(_ leaf: SchemaNode) -> String {
    leaf.name
  }

  /// Calls `body` with each row's values of the named top-level columns, in `columns` order (a
  /// name the file lacks gives .null), one row group at a time (memory: one row group of those
  /// columns).
  public func forEachRow(columns: [String], _ body: ([NestedValue]) throws -> Void) throws {
    try forEachRow(columns: columns, excluding: [], body)
  }

  /// As ``forEachRow(columns:_:)``, leaving out the parts at `excluding` (paths of field names
  /// from the top, as in the schema: `["add", "stats_parsed"]`), which read as .null.
  public func forEachRow(
    columns: [String], excluding: [[String]], _ body: ([NestedValue]) throws -> Void
  ) throws {
    for g in 0..<rowGroupCount {
      try forEachRow(rowGroup: g, columns: columns, excluding: excluding, body)
    }
  }

  /// As ``forEachRow(columns:excluding:_:)``, for the rows of row group `group` only.
  public func forEachRow(
    rowGroup group: Int, columns: [String], excluding: [[String]],
    _ body: ([NestedValue]) throws -> Void
  ) throws {
    try forEachRow(rowGroup: group, rows: nil, columns: columns, excluding: excluding) {
      try body($1)
    }
  }

  /// As ``forEachRow(rowGroup:columns:excluding:_:)``, for the rows at `rows` only (ascending
  /// indices in the row group; the others are passed over without assembling them), each given
  /// to `body` with its index.
  public func forEachRow(
    rowGroup group: Int, rows selected: [Int], columns: [String], excluding: [[String]],
    _ body: (Int, [NestedValue]) throws -> Void
  ) throws {
    try forEachRow(
      rowGroup: group, rows: Optional(selected), columns: columns, excluding: excluding, body)
  }

  func forEachRow(
    rowGroup group: Int, rows selected: [Int]?, columns: [String], excluding: [[String]],
    _ body: (Int, [NestedValue]) throws -> Void
  ) throws {
    // The nodes left out, by identity.
    var left = Set<ObjectIdentifier>()
    for path in excluding {
      var nodes = schema.roots
      var found: SchemaNode?
      for part in path {
        found = nodes.first { $0.name == part }
        guard let n = found else { break }
        nodes = n.children
      }
      if let found { left.insert(ObjectIdentifier(found)) }
    }
    let roots = columns.map { c in schema.roots.first { $0.name == c } }
    var wanted: [SchemaNode] = []
    func collect(_ n: SchemaNode) {
      if left.contains(ObjectIdentifier(n)) { return }
      if n.isGroup { n.children.forEach(collect) } else { wanted.append(n) }
    }
    for case let r? in roots { collect(r) }
    var index: [Int: Int] = [:]
    for (k, l) in wanted.enumerated() { index[l.leafIndex] = k }
    let shapes: [NestedShape] = roots.map { r in
      guard let r else { return .skipped }
      return schema.shape(
        r, selected: { !left.contains(ObjectIdentifier($0)) }, columns: index)
    }
    let rowGroup = metadata.rowGroups[group]
    let rows = Int(rowGroup.numRows)
    if rows == 0 { return }
    var levelled: [LevelledColumn] = []
    var chunkBytes: [UInt8] = []
    for leaf in wanted {
      levelled.append(try readLeaf(leaf, rowGroup: group, buffer: &chunkBytes))
    }
    var assembler = NestedAssembler(columns: levelled)
    levelled = []
    let maxima = wanted.map(\.definition)
    var row: [NestedValue] = []
    row.reserveCapacity(shapes.count)
    var at = 0
    for k in 0..<(selected?.count ?? rows) {
      let r = selected?[k] ?? k
      guard r >= at, r < rows else {
        throw ParquetError("rows asked for out of order or past the row group", category: .software)
      }
      row.removeAll(keepingCapacity: true)
      do {
        try assembler.skipRows(r - at, maxDefinition: maxima)
        guard assembler.atRowStart() else {
          throw ParquetError.corrupt("row \(r) of row group \(group) does not start a record")
        }
        for s in shapes { row.append(try assembler.read(s)) }
      } catch let e as ParquetError {
        throw e.at(file: name)
      }
      at = r + 1
      try body(r, row)
    }
  }

  /// The levels and present values of `leaf`'s chunk in row group `group`.
  func readLeaf(_ leaf: SchemaNode, rowGroup group: Int, buffer chunkBytes: inout [UInt8]) throws
    -> LevelledColumn
  {
    let rowGroup = metadata.rowGroups[group]
    let rows = Int(rowGroup.numRows)
    guard let mapping = leaf.leaf, let m = rowGroup.columns[leaf.leafIndex].metaData else {
      throw ParquetError.corrupt("missing metadata").at(file: name, column: leaf.name)
    }
    var column = LevelledColumn(type: mapping.spec.type)
    do {
      let (start, length) = ParquetFileReader.chunkRange(m)
      try ParquetFileReader.read(
        source, offset: Int(start), count: Int(length), name: name, into: &chunkBytes)
      var reader = try ColumnChunkReader(leaf: mapping, codec: m.codec, zstd: zstd)
      let entries = Int(m.numValues)
      guard entries >= rows else {
        throw ParquetError.corrupt("chunk has \(entries) values for \(rows) rows")
      }
      try chunkBytes.withUnsafeBytes {
        try reader.readLevelled(
          UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)]), entries: entries,
          maxDefinition: leaf.definition, maxRepetition: leaf.repetitionLevel, into: &column)
      }
    } catch let e as ParquetError {
      throw e.at(file: name, column: leaf.name)
    } catch let e as LakeError where e.category == .data {
      throw ParquetError("\(e)", file: name, column: leaf.name)
    }
    return column
  }

  /// The schema node at `path` (field names from the top, as in the schema).
  func node(_ path: [String]) -> SchemaNode? {
    var nodes = schema.roots
    var found: SchemaNode?
    for part in path {
      found = nodes.first { $0.name == part }
      guard let n = found else { return nil }
      nodes = n.children
    }
    return found
  }

  /// The definition level at which the part at `path` (field names from the top) is present.
  ///
  /// A value of it is null where a leaf under it has a lower definition level. Nil when the
  /// file has no such part.
  public func definitionLevel(_ path: [String]) -> Int? {
    node(path)?.definition
  }

  /// The key and value leaf paths of the map at `path` (`group (MAP) { repeated group <any> {
  /// key; value } }`, both leaves); nil when the part at `path` is not such a map.
  public func mapLeafPaths(_ path: [String]) -> (key: [String], value: [String])? {
    guard let m = node(path), m.isGroup, m.isMap, m.children.count == 1 else { return nil }
    let kv = m.children[0]
    guard kv.repetition == .repeated, kv.isGroup, kv.children.count == 2,
      !kv.children[0].isGroup, !kv.children[1].isGroup
    else { return nil }
    return (path + [kv.name, kv.children[0].name], path + [kv.name, kv.children[1].name])
  }

  /// The levels and present values of the leaves at `paths` (field names from the top) in row
  /// group `group`, for callers that assemble records of a known shape themselves (faster than
  /// ``forEachRow(rowGroup:columns:excluding:_:)`` for wide files of many rows); nil for a path
  /// that is not a leaf of the file.
  public func leafChunks(rowGroup group: Int, paths: [[String]]) throws -> [NestedLeafChunk?] {
    var buffer: [UInt8] = []
    return try paths.map { path in
      guard let leaf = node(path), !leaf.isGroup, leaf.leaf != nil else { return nil }
      guard metadata.rowGroups[group].numRows > 0 else {
        return NestedLeafChunk(
          LevelledColumn(type: leaf.leaf!.spec.type), maxDefinition: leaf.definition,
          maxRepetition: leaf.repetitionLevel)
      }
      return NestedLeafChunk(
        try readLeaf(leaf, rowGroup: group, buffer: &buffer), maxDefinition: leaf.definition,
        maxRepetition: leaf.repetitionLevel)
    }
  }
}

/// One leaf column's chunk of a row group, as level entries and present values (Dremel): entry
/// i has `repetition[i]` and `definition[i]`; it holds the next of `values` when its definition
/// level is `maxDefinition`.
public struct NestedLeafChunk: Sendable {
  /// Repetition level per entry (all 0 when `maxRepetition` is 0).
  public let repetition: [UInt16]
  /// Definition level per entry.
  public let definition: [UInt16]
  /// The present values, in entry order.
  public let values: ColumnBuffer
  public let maxDefinition: Int
  public let maxRepetition: Int

  init(_ column: LevelledColumn, maxDefinition: Int, maxRepetition: Int) {
    repetition = column.repetition
    definition = column.definition
    values = column.values
    self.maxDefinition = maxDefinition
    self.maxRepetition = maxRepetition
  }
}
