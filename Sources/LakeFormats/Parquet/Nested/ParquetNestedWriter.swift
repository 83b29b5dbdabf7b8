// LakeFormats/Parquet/Nested/ParquetNestedWriter.swift
//
// Writes rows of nested values as a Parquet file (parquet-format LogicalTypes.md "Nested Types"):
//
//   record  group, optional or required as declared
//   list    <name> group (LIST) { repeated group list { <element> } }          (standard 3-level)
//   map     <name> group (MAP)  { repeated group key_value { required key; value } }
//
// Shredding: each row's value is split into one (repetition level, definition level, value)
// stream per leaf (a null or empty part gives one entry to every leaf under it); each leaf's
// stream becomes one column chunk of v1 data pages: [uint32 len + RLE repetition levels]
// [uint32 len + RLE definition levels] PLAIN values, compressed with the chosen codec. Pages end
// at row boundaries. No statistics are written (min/max of nested leaves mean little, and
// omitting them is always valid).
//
// Two ways in: `ParquetNestedWriter.encode` shreds `NestedValue` rows; `ParquetNestedColumns`
// takes the leaves' entries from a caller that shreds its own data (a Delta checkpoint written
// straight from its actions: no value tree per row), one row group per `endRowGroup`.

import LakeIO

/// Writing rows of nested values as a Parquet file.
public enum ParquetNestedWriter {
  /// The bytes of a Parquet file holding `rows` (each one value per field), row groups of at
  /// most `rowGroupRows`.
  public static func encode(
    fields: [NestedField], rows: [[NestedValue]], options: ParquetWriteOptions = .init(),
    rowGroupRows: Int = 1 << 20
  ) throws -> [UInt8] {
    var columns = try ParquetNestedColumns(fields: fields, options: options)
    let counts = fields.map { leafCount($0.type) }
    var start = 0
    let step = max(1, rowGroupRows)
    while start < rows.count {
      let end = min(rows.count, start + step)
      for r in start..<end {
        let row = rows[r]
        guard row.count == fields.count else {
          throw ParquetError(
            "row \(r) has \(row.count) values for \(fields.count) fields", category: .software)
        }
        var first = 0
        for (i, (f, v)) in zip(fields, row).enumerated() {
          try shred(
            v, f, first: first, definition: 0, repetition: 0, depth: 0, into: &columns.streams)
          first += counts[i]
        }
      }
      try columns.endRowGroup(rows: end - start)
      start = end
    }
    return try columns.finish()
  }

  /// The number of leaves under a field of `type`.
  static func leafCount(_ type: NestedType) -> Int {
    switch type {
    case .leaf: 1
    case .record(let fields): fields.reduce(0) { $0 + leafCount($1.type) }
    case .list(let e): leafCount(e.type)
    case .map(let k, let v): leafCount(k.type) + leafCount(v.type)
    }
  }

  /// Appends the schema elements of `f` (and its leaves, in order).
  static func schema(
    _ f: NestedField, path: [String], definition: Int, repetition: Int, style: AnnotationStyle,
    repeated: Bool = false, elements: inout [SchemaElement], leaves: inout [ShredLeaf]
  ) throws {
    let rep: Repetition = repeated ? .repeated : f.nullable ? .optional : .required
    let def = definition + (rep == .required ? 0 : 1)
    let level = repetition + (repeated ? 1 : 0)
    let path = path + [f.name]
    switch f.type {
    case .leaf(let type):
      var e = try ParquetSchemaMapping.elements(
        for: TableSchema([ColumnSpec(f.name, type)]), style: style)[1]
      e.repetition = rep.rawValue
      elements.append(e)
      leaves.append(
        ShredLeaf(
          path: path, type: type, physical: try ParquetSchemaMapping.physicalType(for: type),
          maxDefinition: def, maxRepetition: level))
    case .record(let fields):
      guard !fields.isEmpty else {
        throw ParquetError("record '\(f.name)' has no fields", category: .usage)
      }
      var e = SchemaElement()
      e.name = f.name
      e.repetition = rep.rawValue
      e.numChildren = Int32(fields.count)
      elements.append(e)
      for c in fields {
        try schema(
          c, path: path, definition: def, repetition: level, style: style, elements: &elements,
          leaves: &leaves)
      }
    case .list(let element):
      var e = SchemaElement()
      e.name = f.name
      e.repetition = rep.rawValue
      e.numChildren = 1
      if style != .logicalOnly { e.convertedType = ConvertedType.list.rawValue }
      if style != .convertedOnly { e.logicalType = .list }
      elements.append(e)
      var r = SchemaElement()
      r.name = "list"
      r.repetition = Repetition.repeated.rawValue
      r.numChildren = 1
      elements.append(r)
      var el = element
      el.name = "element"
      try schema(
        el, path: path + ["list"], definition: def + 1, repetition: level + 1, style: style,
        elements: &elements, leaves: &leaves)
    case .map(let key, let value):
      var e = SchemaElement()
      e.name = f.name
      e.repetition = rep.rawValue
      e.numChildren = 1
      if style != .logicalOnly { e.convertedType = ConvertedType.map.rawValue }
      if style != .convertedOnly { e.logicalType = .map }
      elements.append(e)
      var r = SchemaElement()
      r.name = "key_value"
      r.repetition = Repetition.repeated.rawValue
      r.numChildren = 2
      elements.append(r)
      var k = key
      k.name = "key"
      k.nullable = false
      var v = value
      v.name = "value"
      for c in [k, v] {
        try schema(
          c, path: path + ["key_value"], definition: def + 1, repetition: level + 1, style: style,
          elements: &elements, leaves: &leaves)
      }
    }
  }

  /// Adds `value` of field `f` (whose leaves start at `first`) to the leaves' streams; the
  /// parent is defined at `definition`, the value's first entries repeat at `repetition`, and
  /// `depth` repeated nodes enclose it.
  static func shred(
    _ value: NestedValue, _ f: NestedField, first: Int, definition: Int, repetition: Int,
    depth: Int, into leaves: inout [ShredLeaf]
  ) throws {
    func emptyEntries(_ d: Int) {
      for i in first..<(first + leafCount(f.type)) { leaves[i].entry(repetition, d) }
    }
    if value.isNull {
      guard f.nullable else {
        throw ParquetError("null in required field", column: f.name, category: .software)
      }
      emptyEntries(definition)
      return
    }
    let def = definition + (f.nullable ? 1 : 0)
    switch (f.type, value) {
    case (.leaf, _):
      try leaves[first].value(value, repetition: repetition, definition: def)
    case (.record(let fields), .record(let values)):
      guard values.count == fields.count else {
        throw ParquetError(
          "record of \(values.count) values for \(fields.count) fields", column: f.name,
          category: .software)
      }
      var at = first
      for (c, v) in zip(fields, values) {
        try shred(
          v, c, first: at, definition: def, repetition: repetition, depth: depth, into: &leaves)
        at += leafCount(c.type)
      }
    case (.list(let element), .list(let items)):
      if items.isEmpty {
        emptyEntries(def)
        return
      }
      for (j, item) in items.enumerated() {
        try shred(
          item, element, first: first, definition: def + 1,
          repetition: j == 0 ? repetition : depth + 1, depth: depth + 1, into: &leaves)
      }
    case (.map(let key, let value), .map(let entries)):
      if entries.isEmpty {
        emptyEntries(def)
        return
      }
      var k = key
      k.nullable = false
      let keyLeaves = leafCount(key.type)
      for (j, entry) in entries.enumerated() {
        let r = j == 0 ? repetition : depth + 1
        try shred(
          entry.key, k, first: first, definition: def + 1, repetition: r, depth: depth + 1,
          into: &leaves)
        try shred(
          entry.value, value, first: first + keyLeaves, definition: def + 1, repetition: r,
          depth: depth + 1, into: &leaves)
      }
    default:
      throw ParquetError(
        "a value does not match the field's type", column: f.name, category: .software)
    }
  }
}

/// The leaf streams of nested columns, filled by a caller that shreds its own values, written
/// as a Parquet file (see the file overview).
///
/// Each leaf gets one entry per value or null, in row order: `repetition` is the level of the
/// repeated part a new element starts (0 at a row's start), `definition` how many optional or
/// repeated parts above and at the leaf are present (`maxDefinition`: a value). A null or empty
/// part gives one entry to every leaf under it, at the definition level of its parent (null) or
/// its own (empty).
public struct ParquetNestedColumns {
  /// A leaf column: its path of schema names (`key_value`, `key`, `list`, `element` inside maps
  /// and lists), its type and its maximum levels.
  public struct Leaf: Sendable {
    public let path: [String]
    public let type: ColumnType
    public let maxDefinition: Int
    public let maxRepetition: Int
  }

  public let fields: [NestedField]
  /// The leaves, in file order.
  public let leaves: [Leaf]
  var streams: [ShredLeaf] = []
  var elements: [SchemaElement] = []
  let options: ParquetWriteOptions
  let compressor: ZstdCompressor?
  var out = Array("PAR1".utf8)
  var groups: [RowGroup] = []
  var rows: Int64 = 0

  /// Streams for `fields`, to be written with `options`.
  public init(fields: [NestedField], options: ParquetWriteOptions = .init()) throws {
    guard !fields.isEmpty else {
      throw ParquetError("a Parquet file needs at least one column", category: .usage)
    }
    switch options.codec {
    case .uncompressed, .snappy, .gzip, .zstd: break
    default: throw ParquetError.unsupported("writing with codec \(options.codec)")
    }
    var root = SchemaElement()
    root.name = "schema"
    root.numChildren = Int32(fields.count)
    elements.append(root)
    for f in fields {
      try ParquetNestedWriter.schema(
        f, path: [], definition: 0, repetition: 0, style: options.annotations,
        elements: &elements, leaves: &streams)
    }
    self.fields = fields
    self.options = options
    leaves = streams.map {
      Leaf(
        path: $0.path, type: $0.type, maxDefinition: $0.maxDefinition,
        maxRepetition: $0.maxRepetition)
    }
    compressor =
      options.codec == .zstd ? try ZstdCompressor(level: options.compressionLevel) : nil
  }

  /// The index of the leaf at `path` (schema names from the top), nil when there is none.
  public func leaf(_ path: [String]) -> Int? {
    leaves.firstIndex { $0.path == path }
  }

  /// `count` entries without a value.
  public mutating func appendNull(
    _ leaf: Int, repetition: Int = 0, definition: Int, count: Int = 1
  ) {
    streams[leaf].entries(repetition, definition, count: count)
  }

  /// A byte string (string or binary leaf).
  public mutating func append(
    _ leaf: Int, bytes: UnsafeRawBufferPointer, repetition: Int = 0, definition: Int
  ) throws {
    guard streams[leaf].physical == .byteArray else { throw streams[leaf].mismatch("bytes") }
    streams[leaf].append(bytes: bytes, repetition, definition)
  }

  /// A string's UTF-8 (string leaf).
  public mutating func append(
    _ leaf: Int, string: String, repetition: Int = 0, definition: Int
  ) throws {
    var s = string
    try s.withUTF8 {
      try append(
        leaf, bytes: UnsafeRawBufferPointer($0), repetition: repetition, definition: definition)
    }
  }

  /// An integer (int32, int64, date, timestamp and small-decimal leaves).
  public mutating func append(
    _ leaf: Int, int: Int64, repetition: Int = 0, definition: Int
  ) throws {
    switch streams[leaf].physical {
    case .int64: appendLittleEndian(int, to: &streams[leaf].plain)
    case .int32:
      guard let y = Int32(exactly: int) else { throw streams[leaf].mismatch("\(int)") }
      appendLittleEndian(y, to: &streams[leaf].plain)
    default: throw streams[leaf].mismatch("integer")
    }
    streams[leaf].entry(repetition, definition)
  }

  /// A boolean.
  public mutating func append(
    _ leaf: Int, bool: Bool, repetition: Int = 0, definition: Int
  ) throws {
    guard streams[leaf].physical == .boolean else { throw streams[leaf].mismatch("boolean") }
    streams[leaf].booleans.append(bool)
    streams[leaf].entry(repetition, definition)
  }

  /// Ends a row group of `rows` rows: writes every leaf's entries since the last one as its
  /// column chunk.
  public mutating func endRowGroup(rows count: Int) throws {
    guard count > 0 else { return }
    var group = RowGroup()
    group.fileOffset = Int64(out.count)
    let groupStart = out.count
    for i in streams.indices {
      let chunk = try streams[i].writeChunk(
        at: Int64(out.count), options: options, compressor: compressor, into: &out)
      group.totalByteSize += chunk.metaData?.totalUncompressedSize ?? 0
      group.columns.append(chunk)
      streams[i].removeAll()
    }
    group.numRows = Int64(count)
    group.totalCompressedSize = Int64(out.count - groupStart)
    group.ordinal = Int16(truncatingIfNeeded: groups.count)
    groups.append(group)
    rows += Int64(count)
  }

  /// The file's bytes (after the last `endRowGroup`); the streams are spent.
  public mutating func finish() throws -> [UInt8] {
    var meta = FileMetaData()
    meta.version = 1
    meta.schema = elements
    meta.numRows = rows
    meta.rowGroups = groups
    meta.createdBy = options.createdBy
    meta.columnOrderCount = streams.count
    let footer = meta.encoded()
    var bytes: [UInt8] = []
    swap(&bytes, &out)
    bytes += footer
    appendLittleEndian(UInt32(footer.count), to: &bytes)
    bytes += Array("PAR1".utf8)
    return bytes
  }
}

/// One leaf's shredded stream and its chunk writing.
struct ShredLeaf {
  let path: [String]
  let type: ColumnType
  let physical: PhysicalType
  let maxDefinition: Int
  let maxRepetition: Int
  var repetition: [UInt32] = []
  var definition: [UInt32] = []
  /// PLAIN-encoded present values, and where each entry's value ends in it.
  var plain: [UInt8] = []
  var booleans: [Bool] = []
  /// Per entry: the end of its value in `plain` (or `booleans`).
  var valueEnds: [Int] = []

  init(
    path: [String], type: ColumnType, physical: PhysicalType, maxDefinition: Int,
    maxRepetition: Int
  ) {
    self.path = path
    self.type = type
    self.physical = physical
    self.maxDefinition = maxDefinition
    self.maxRepetition = maxRepetition
  }

  mutating func removeAll() {
    repetition.removeAll(keepingCapacity: true)
    definition.removeAll(keepingCapacity: true)
    plain.removeAll(keepingCapacity: true)
    booleans.removeAll(keepingCapacity: true)
    valueEnds.removeAll(keepingCapacity: true)
  }

  var valueEnd: Int { physical == .boolean ? booleans.count : plain.count }

  /// An entry without a value.
  mutating func entry(_ r: Int, _ d: Int) {
    repetition.append(UInt32(r))
    definition.append(UInt32(d))
    valueEnds.append(valueEnd)
  }

  /// `n` entries without a value.
  mutating func entries(_ r: Int, _ d: Int, count n: Int) {
    repetition.append(contentsOf: repeatElement(UInt32(r), count: n))
    definition.append(contentsOf: repeatElement(UInt32(d), count: n))
    valueEnds.append(contentsOf: repeatElement(valueEnd, count: n))
  }

  /// An entry holding the byte string `b`.
  mutating func append(bytes b: UnsafeRawBufferPointer, _ r: Int, _ d: Int) {
    appendLittleEndian(UInt32(b.count), to: &plain)
    plain.append(contentsOf: b)
    entry(r, d)
  }

  func mismatch(_ what: String) -> ParquetError {
    ParquetError(
      "a \(what) value for a \(type) leaf", column: path.joined(separator: "."),
      category: .software)
  }

  /// An entry with a present value.
  mutating func value(_ v: NestedValue, repetition r: Int, definition d: Int) throws {
    func mismatch() -> ParquetError {
      ParquetError(
        "a \(v) value for a \(type) leaf", column: path.joined(separator: "."),
        category: .software)
    }
    switch (physical, v) {
    case (.boolean, .boolean(let b)): booleans.append(b)
    case (.int32, .int(let x)):
      guard let y = Int32(exactly: x) else { throw mismatch() }
      appendLittleEndian(y, to: &plain)
    case (.int64, .int(let x)): appendLittleEndian(x, to: &plain)
    case (.float, .double(let x)): appendLittleEndian(Float(x).bitPattern, to: &plain)
    case (.double, .double(let x)): appendLittleEndian(x.bitPattern, to: &plain)
    case (.double, .int(let x)): appendLittleEndian(Double(x).bitPattern, to: &plain)
    case (.byteArray, .bytes(let b)):
      appendLittleEndian(UInt32(b.count), to: &plain)
      plain += b
    default: throw mismatch()
    }
    entry(r, d)
  }

  /// Writes this leaf's chunk at file offset `offset` onto `out`; returns its metadata.
  func writeChunk(
    at offset: Int64, options: ParquetWriteOptions, compressor: ZstdCompressor?,
    into out: inout [UInt8]
  ) throws -> ColumnChunk {
    let entries = definition.count
    var uncompressedTotal = 0
    let chunkStart = out.count
    var body: [UInt8] = []
    var compressed: [UInt8] = []
    var header: [UInt8] = []
    var page = 0
    repeat {
      // Entries up to a row boundary past the page bounds.
      var end = page
      var rows = 0
      let valueStart = page < entries ? (page == 0 ? 0 : valueEnds[page - 1]) : valueEnd
      while end < entries {
        if repetition[end] == 0 {
          if rows >= options.maxPageRows
            || (end > page && valueEnds[end - 1] - valueStart >= options.maxPageBytes)
          {
            break
          }
          rows += 1
        }
        end += 1
      }
      let valueEndOfPage = end == 0 ? 0 : valueEnds[end - 1]
      body.removeAll(keepingCapacity: true)
      func levels(_ l: [UInt32], _ max: Int) {
        var encoded: [UInt8] = []
        l.withUnsafeBufferPointer {
          RLEHybridEncoder.encode(
            UnsafeBufferPointer(rebasing: $0[page..<end]),
            bitWidth: bitWidth(forMaxValue: UInt64(max)), into: &encoded)
        }
        appendLittleEndian(UInt32(encoded.count), to: &body)
        body += encoded
      }
      if maxRepetition > 0 { levels(repetition, maxRepetition) }
      if maxDefinition > 0 { levels(definition, maxDefinition) }
      if physical == .boolean {
        booleans.withUnsafeBufferPointer {
          PlainBoolean.encode(
            UnsafeBufferPointer(rebasing: $0[valueStart..<valueEndOfPage]), into: &body)
        }
      } else {
        body += plain[valueStart..<valueEndOfPage]
      }
      compressed.removeAll(keepingCapacity: true)
      try body.withUnsafeBytes { b in
        switch options.codec {
        case .zstd: try compressor?.compress(b, appendingTo: &compressed)
        case .snappy: Snappy.compress(b, appendingTo: &compressed)
        case .gzip: try Gzip.compress(b, appendingTo: &compressed)
        default: compressed += b
        }
      }
      var h = PageHeader()
      h.type = PageType.dataPage.rawValue
      h.uncompressedPageSize = Int32(body.count)
      h.compressedPageSize = Int32(compressed.count)
      var d = DataPageHeader()
      d.numValues = Int32(end - page)
      d.encoding = Encoding.plain.rawValue
      h.dataPageHeader = d
      header.removeAll(keepingCapacity: true)
      h.encode(into: &header)
      out += header
      out += compressed
      uncompressedTotal += header.count + body.count
      page = end
    } while page < entries
    var m = ColumnMetaData()
    m.type = physical.rawValue
    m.encodings = [Encoding.plain.rawValue, Encoding.rle.rawValue]
    m.pathInSchema = path
    m.codec = options.codec.rawValue
    m.numValues = Int64(entries)
    m.totalUncompressedSize = Int64(uncompressedTotal)
    m.totalCompressedSize = Int64(out.count - chunkStart)
    m.dataPageOffset = offset
    var chunk = ColumnChunk()
    chunk.fileOffset = 0
    chunk.metaData = m
    return chunk
  }
}
