// LakeFormats/Parquet/Metadata/MetadataCoding.swift
//
// Thrift compact encoding and decoding of the footer and page-header structs. Writers emit fields
// in increasing id order and never omit required ones; readers check types of known fields,
// skip unknown ones, and check that required fields were present.

extension ThriftReader {
  /// Throws unless `type` is `expected` (a known field with the wrong type is corruption).
  mutating func expect(_ type: UInt8, _ expected: ThriftType, _ what: String) throws {
    let ok =
      type == expected.rawValue
      || (expected == .boolTrue && type == ThriftType.boolFalse.rawValue)
    guard ok else { throw ParquetError.corrupt("thrift: \(what) has type \(type)") }
  }

  mutating func readI32Field(_ type: UInt8, _ what: String) throws -> Int32 {
    try expect(type, .i32, what)
    return try i32()
  }

  mutating func readI64Field(_ type: UInt8, _ what: String) throws -> Int64 {
    try expect(type, .i64, what)
    return try i64()
  }

  mutating func readBinaryField(_ type: UInt8, _ what: String) throws -> [UInt8] {
    try expect(type, .binary, what)
    return try binary()
  }

  mutating func readBoolField(_ type: UInt8, _ what: String) throws -> Bool {
    try expect(type, .boolTrue, what)
    return try bool(type: type)
  }
}

// MARK: - KeyValue

extension KeyValue {
  func encode(to w: inout ThriftWriter) {
    w.elementBegin()
    w.string(1, key)
    if let value { w.string(2, value) }
    w.structEnd()
  }

  init(from r: inout ThriftReader) throws {
    var key: String?
    var value: String?
    try r.readStruct { r, type, id in
      switch id {
      case 1: key = String(decoding: try r.readBinaryField(type, "KeyValue.key"), as: UTF8.self)
      case 2: value = String(decoding: try r.readBinaryField(type, "KeyValue.value"), as: UTF8.self)
      default: try r.skip(type)
      }
    }
    guard let key else { throw ParquetError.corrupt("thrift: KeyValue without key") }
    self.init(key: key, value: value)
  }
}

// MARK: - Statistics

extension Statistics {
  func encode(to w: inout ThriftWriter, id: Int16) {
    w.structBegin(id)
    if let max { w.binary(1, max) }
    if let min { w.binary(2, min) }
    if let nullCount { w.i64(3, nullCount) }
    if let distinctCount { w.i64(4, distinctCount) }
    if let maxValue { w.binary(5, maxValue) }
    if let minValue { w.binary(6, minValue) }
    if let isMaxValueExact { w.bool(7, isMaxValueExact) }
    if let isMinValueExact { w.bool(8, isMinValueExact) }
    w.structEnd()
  }

  init(from r: inout ThriftReader) throws {
    self.init()
    var s = self
    try r.readStruct { r, type, id in
      switch id {
      case 1: s.max = try r.readBinaryField(type, "Statistics.max")
      case 2: s.min = try r.readBinaryField(type, "Statistics.min")
      case 3: s.nullCount = try r.readI64Field(type, "Statistics.null_count")
      case 4: s.distinctCount = try r.readI64Field(type, "Statistics.distinct_count")
      case 5: s.maxValue = try r.readBinaryField(type, "Statistics.max_value")
      case 6: s.minValue = try r.readBinaryField(type, "Statistics.min_value")
      case 7: s.isMaxValueExact = try r.readBoolField(type, "Statistics.is_max_value_exact")
      case 8: s.isMinValueExact = try r.readBoolField(type, "Statistics.is_min_value_exact")
      default: try r.skip(type)
      }
    }
    self = s
  }
}

// MARK: - LogicalType

extension LogicalType {
  func encode(to w: inout ThriftWriter, id: Int16) {
    w.structBegin(id)
    func empty(_ member: Int16) {
      w.structBegin(member)
      w.structEnd()
    }
    func unit(_ u: TimeUnit) {
      w.structBegin(2)
      switch u {
      case .millis: empty(1)
      case .micros: empty(2)
      case .nanos: empty(3)
      }
      w.structEnd()
    }
    switch self {
    case .string: empty(1)
    case .map: empty(2)
    case .list: empty(3)
    case .enumeration: empty(4)
    case .decimal(let scale, let precision):
      w.structBegin(5)
      w.i32(1, scale)
      w.i32(2, precision)
      w.structEnd()
    case .date: empty(6)
    case .time(let utc, let u):
      w.structBegin(7)
      w.bool(1, utc)
      unit(u)
      w.structEnd()
    case .timestamp(let utc, let u):
      w.structBegin(8)
      w.bool(1, utc)
      unit(u)
      w.structEnd()
    case .integer(let bits, let signed):
      w.structBegin(10)
      w.i8(1, bits)
      w.bool(2, signed)
      w.structEnd()
    case .unknown: empty(11)
    case .json: empty(12)
    case .bson: empty(13)
    case .uuid: empty(14)
    case .float16: empty(15)
    case .other(let member): empty(member)
    }
    w.structEnd()
  }

  static func readUnit(_ r: inout ThriftReader) throws -> TimeUnit? {
    var unit: TimeUnit?
    try r.readStruct { r, type, id in
      switch id {
      case 1: unit = .millis
      case 2: unit = .micros
      case 3: unit = .nanos
      default: break
      }
      try r.skip(type)
    }
    return unit
  }

  init(from r: inout ThriftReader) throws {
    var result: LogicalType?
    try r.readStruct { r, type, id in
      guard type == ThriftType.structure.rawValue else {
        try r.skip(type)
        return
      }
      switch id {
      case 5:
        var scale: Int32 = 0
        var precision: Int32 = 0
        try r.readStruct { r, t, f in
          switch f {
          case 1: scale = try r.readI32Field(t, "DecimalType.scale")
          case 2: precision = try r.readI32Field(t, "DecimalType.precision")
          default: try r.skip(t)
          }
        }
        result = .decimal(scale: scale, precision: precision)
      case 7, 8:
        var utc = false
        var unit: TimeUnit?
        try r.readStruct { r, t, f in
          switch f {
          case 1: utc = try r.readBoolField(t, "isAdjustedToUTC")
          case 2:
            try r.expect(t, .structure, "TimeUnit")
            unit = try LogicalType.readUnit(&r)
          default: try r.skip(t)
          }
        }
        guard let unit else { throw ParquetError.unsupported("time unit of a TIME or TIMESTAMP") }
        result =
          id == 7
          ? .time(adjustedToUTC: utc, unit: unit) : .timestamp(adjustedToUTC: utc, unit: unit)
      case 10:
        var bits: Int8 = 0
        var signed = true
        try r.readStruct { r, t, f in
          switch f {
          case 1:
            try r.expect(t, .i8, "IntType.bitWidth")
            bits = try r.i8()
          case 2: signed = try r.readBoolField(t, "IntType.isSigned")
          default: try r.skip(t)
          }
        }
        result = .integer(bitWidth: bits, signed: signed)
      default:
        try r.skip(type)
        let simple: [Int16: LogicalType] = [
          1: .string, 2: .map, 3: .list, 4: .enumeration, 6: .date, 11: .unknown, 12: .json,
          13: .bson, 14: .uuid, 15: .float16,
        ]
        result = simple[id] ?? .other(id)
      }
    }
    guard let result else { throw ParquetError.corrupt("thrift: empty LogicalType union") }
    self = result
  }
}

// MARK: - SchemaElement

extension SchemaElement {
  func encode(to w: inout ThriftWriter) {
    w.elementBegin()
    if let type { w.i32(1, type) }
    if let typeLength { w.i32(2, typeLength) }
    if let repetition { w.i32(3, repetition) }
    w.string(4, name)
    if let numChildren { w.i32(5, numChildren) }
    if let convertedType { w.i32(6, convertedType) }
    if let scale { w.i32(7, scale) }
    if let precision { w.i32(8, precision) }
    if let fieldId { w.i32(9, fieldId) }
    if let logicalType { logicalType.encode(to: &w, id: 10) }
    w.structEnd()
  }

  init(from r: inout ThriftReader) throws {
    self.init()
    var e = self
    var sawName = false
    try r.readStruct { r, type, id in
      switch id {
      case 1: e.type = try r.readI32Field(type, "SchemaElement.type")
      case 2: e.typeLength = try r.readI32Field(type, "SchemaElement.type_length")
      case 3: e.repetition = try r.readI32Field(type, "SchemaElement.repetition_type")
      case 4:
        e.name = String(decoding: try r.readBinaryField(type, "SchemaElement.name"), as: UTF8.self)
        sawName = true
      case 5: e.numChildren = try r.readI32Field(type, "SchemaElement.num_children")
      case 6: e.convertedType = try r.readI32Field(type, "SchemaElement.converted_type")
      case 7: e.scale = try r.readI32Field(type, "SchemaElement.scale")
      case 8: e.precision = try r.readI32Field(type, "SchemaElement.precision")
      case 9: e.fieldId = try r.readI32Field(type, "SchemaElement.field_id")
      case 10:
        try r.expect(type, .structure, "SchemaElement.logicalType")
        e.logicalType = try LogicalType(from: &r)
      default: try r.skip(type)
      }
    }
    guard sawName else { throw ParquetError.corrupt("thrift: SchemaElement without name") }
    self = e
  }
}

// MARK: - ColumnMetaData, ColumnChunk, RowGroup

extension ColumnMetaData {
  func encode(to w: inout ThriftWriter, id: Int16) {
    w.structBegin(id)
    w.i32(1, type)
    w.listBegin(2, .i32, count: encodings.count)
    for e in encodings { w.i32Element(e) }
    w.listBegin(3, .binary, count: pathInSchema.count)
    for p in pathInSchema { w.binaryElement(Array(p.utf8)) }
    w.i32(4, codec)
    w.i64(5, numValues)
    w.i64(6, totalUncompressedSize)
    w.i64(7, totalCompressedSize)
    w.i64(9, dataPageOffset)
    if let indexPageOffset { w.i64(10, indexPageOffset) }
    if let dictionaryPageOffset { w.i64(11, dictionaryPageOffset) }
    statistics?.encode(to: &w, id: 12)
    w.structEnd()
  }

  init(from r: inout ThriftReader) throws {
    self.init()
    var m = self
    var seen = Set<Int16>()
    try r.readStruct { r, type, id in
      seen.insert(id)
      switch id {
      case 1: m.type = try r.readI32Field(type, "ColumnMetaData.type")
      case 2:
        try r.expect(type, .list, "ColumnMetaData.encodings")
        m.encodings = try r.readList { try $0.i32() }
      case 3:
        try r.expect(type, .list, "ColumnMetaData.path_in_schema")
        m.pathInSchema = try r.readList { String(decoding: try $0.binary(), as: UTF8.self) }
      case 4: m.codec = try r.readI32Field(type, "ColumnMetaData.codec")
      case 5: m.numValues = try r.readI64Field(type, "ColumnMetaData.num_values")
      case 6:
        m.totalUncompressedSize = try r.readI64Field(type, "ColumnMetaData.total_uncompressed_size")
      case 7:
        m.totalCompressedSize = try r.readI64Field(type, "ColumnMetaData.total_compressed_size")
      case 9: m.dataPageOffset = try r.readI64Field(type, "ColumnMetaData.data_page_offset")
      case 10: m.indexPageOffset = try r.readI64Field(type, "ColumnMetaData.index_page_offset")
      case 11:
        m.dictionaryPageOffset = try r.readI64Field(type, "ColumnMetaData.dictionary_page_offset")
      case 12:
        try r.expect(type, .structure, "ColumnMetaData.statistics")
        m.statistics = try Statistics(from: &r)
      default: try r.skip(type)
      }
    }
    for required: Int16 in [1, 3, 4, 5, 7, 9] where !seen.contains(required) {
      throw ParquetError.corrupt("thrift: ColumnMetaData without required field \(required)")
    }
    self = m
  }
}

extension ColumnChunk {
  func encode(to w: inout ThriftWriter) {
    w.elementBegin()
    if let filePath { w.string(1, filePath) }
    w.i64(2, fileOffset)
    metaData?.encode(to: &w, id: 3)
    w.structEnd()
  }

  init(from r: inout ThriftReader) throws {
    self.init()
    var c = self
    try r.readStruct { r, type, id in
      switch id {
      case 1:
        c.filePath = String(
          decoding: try r.readBinaryField(type, "ColumnChunk.file_path"), as: UTF8.self)
      case 2: c.fileOffset = try r.readI64Field(type, "ColumnChunk.file_offset")
      case 3:
        try r.expect(type, .structure, "ColumnChunk.meta_data")
        c.metaData = try ColumnMetaData(from: &r)
      default: try r.skip(type)
      }
    }
    self = c
  }
}

extension RowGroup {
  func encode(to w: inout ThriftWriter) {
    w.elementBegin()
    w.listBegin(1, .structure, count: columns.count)
    for c in columns { c.encode(to: &w) }
    w.i64(2, totalByteSize)
    w.i64(3, numRows)
    if let fileOffset { w.i64(5, fileOffset) }
    if let totalCompressedSize { w.i64(6, totalCompressedSize) }
    if let ordinal { w.i16(7, ordinal) }
    w.structEnd()
  }

  init(from r: inout ThriftReader) throws {
    self.init()
    var g = self
    var sawRows = false
    try r.readStruct { r, type, id in
      switch id {
      case 1:
        try r.expect(type, .list, "RowGroup.columns")
        try r.enterStruct()
        g.columns = try r.readList { try ColumnChunk(from: &$0) }
        r.leaveStruct()
      case 2: g.totalByteSize = try r.readI64Field(type, "RowGroup.total_byte_size")
      case 3:
        g.numRows = try r.readI64Field(type, "RowGroup.num_rows")
        sawRows = true
      case 5: g.fileOffset = try r.readI64Field(type, "RowGroup.file_offset")
      case 6: g.totalCompressedSize = try r.readI64Field(type, "RowGroup.total_compressed_size")
      case 7:
        try r.expect(type, .i16, "RowGroup.ordinal")
        g.ordinal = Int16(truncatingIfNeeded: try r.zigzag())
      default: try r.skip(type)
      }
    }
    guard sawRows else { throw ParquetError.corrupt("thrift: RowGroup without num_rows") }
    self = g
  }
}

// MARK: - FileMetaData

extension FileMetaData {
  /// The Thrift compact encoding of the footer.
  public func encoded() -> [UInt8] {
    var w = ThriftWriter()
    w.i32(1, version)
    w.listBegin(2, .structure, count: schema.count)
    for e in schema { e.encode(to: &w) }
    w.i64(3, numRows)
    w.listBegin(4, .structure, count: rowGroups.count)
    for g in rowGroups { g.encode(to: &w) }
    if let keyValueMetadata {
      w.listBegin(5, .structure, count: keyValueMetadata.count)
      for kv in keyValueMetadata { kv.encode(to: &w) }
    }
    if let createdBy { w.string(6, createdBy) }
    if let columnOrderCount {
      // ColumnOrder is a union; TYPE_ORDER (1) is an empty struct.
      w.listBegin(7, .structure, count: columnOrderCount)
      for _ in 0..<columnOrderCount {
        w.elementBegin()
        w.structBegin(1)
        w.structEnd()
        w.structEnd()
      }
    }
    w.stop()
    return w.bytes
  }

  /// Decodes a footer.
  public init(decoding bytes: UnsafeRawBufferPointer) throws {
    self.init()
    var m = self
    var r = ThriftReader(bytes)
    var seen = Set<Int16>()
    var last: Int16 = 0
    while let (type, id) = try r.fieldHeader(lastId: &last) {
      seen.insert(id)
      switch id {
      case 1: m.version = try r.readI32Field(type, "FileMetaData.version")
      case 2:
        try r.expect(type, .list, "FileMetaData.schema")
        try r.enterStruct()
        m.schema = try r.readList { try SchemaElement(from: &$0) }
        r.leaveStruct()
      case 3: m.numRows = try r.readI64Field(type, "FileMetaData.num_rows")
      case 4:
        try r.expect(type, .list, "FileMetaData.row_groups")
        try r.enterStruct()
        m.rowGroups = try r.readList { try RowGroup(from: &$0) }
        r.leaveStruct()
      case 5:
        try r.expect(type, .list, "FileMetaData.key_value_metadata")
        try r.enterStruct()
        m.keyValueMetadata = try r.readList { try KeyValue(from: &$0) }
        r.leaveStruct()
      case 6:
        m.createdBy = String(
          decoding: try r.readBinaryField(type, "FileMetaData.created_by"), as: UTF8.self)
      case 7:
        try r.expect(type, .list, "FileMetaData.column_orders")
        try r.enterStruct()
        let orders = try r.readList { r -> Int in
          try r.skip(ThriftType.structure.rawValue)
          return 1
        }
        r.leaveStruct()
        m.columnOrderCount = orders.count
      default: try r.skip(type)
      }
    }
    for required: Int16 in [2, 3, 4] where !seen.contains(required) {
      throw ParquetError.corrupt("thrift: FileMetaData without required field \(required)")
    }
    self = m
  }
}

// MARK: - Page headers

extension PageHeader {
  /// Appends the Thrift compact encoding of the header to `out`.
  public func encode(into out: inout [UInt8]) {
    var w = ThriftWriter()
    swap(&w.bytes, &out)
    w.i32(1, type)
    w.i32(2, uncompressedPageSize)
    w.i32(3, compressedPageSize)
    if let crc { w.i32(4, crc) }
    if let h = dataPageHeader {
      w.structBegin(5)
      w.i32(1, h.numValues)
      w.i32(2, h.encoding)
      w.i32(3, h.definitionLevelEncoding)
      w.i32(4, h.repetitionLevelEncoding)
      w.structEnd()
    }
    if let h = dictionaryPageHeader {
      w.structBegin(7)
      w.i32(1, h.numValues)
      w.i32(2, h.encoding)
      if let s = h.isSorted { w.bool(3, s) }
      w.structEnd()
    }
    if let h = dataPageHeaderV2 {
      w.structBegin(8)
      w.i32(1, h.numValues)
      w.i32(2, h.numNulls)
      w.i32(3, h.numRows)
      w.i32(4, h.encoding)
      w.i32(5, h.definitionLevelsByteLength)
      w.i32(6, h.repetitionLevelsByteLength)
      w.bool(7, h.isCompressed)
      w.structEnd()
    }
    w.stop()
    swap(&w.bytes, &out)
  }

  /// Decodes a page header at the reader's position.
  public init(from r: inout ThriftReader) throws {
    self.init()
    var h = self
    var seen = Set<Int16>()
    try r.readStruct { r, type, id in
      seen.insert(id)
      switch id {
      case 1: h.type = try r.readI32Field(type, "PageHeader.type")
      case 2: h.uncompressedPageSize = try r.readI32Field(type, "PageHeader.uncompressed_page_size")
      case 3: h.compressedPageSize = try r.readI32Field(type, "PageHeader.compressed_page_size")
      case 4: h.crc = try r.readI32Field(type, "PageHeader.crc")
      case 5:
        try r.expect(type, .structure, "PageHeader.data_page_header")
        var d = DataPageHeader()
        try r.readStruct { r, t, f in
          switch f {
          case 1: d.numValues = try r.readI32Field(t, "DataPageHeader.num_values")
          case 2: d.encoding = try r.readI32Field(t, "DataPageHeader.encoding")
          case 3:
            d.definitionLevelEncoding = try r.readI32Field(
              t, "DataPageHeader.definition_level_encoding")
          case 4:
            d.repetitionLevelEncoding = try r.readI32Field(
              t, "DataPageHeader.repetition_level_encoding")
          default: try r.skip(t)
          }
        }
        h.dataPageHeader = d
      case 7:
        try r.expect(type, .structure, "PageHeader.dictionary_page_header")
        var d = DictionaryPageHeader()
        try r.readStruct { r, t, f in
          switch f {
          case 1: d.numValues = try r.readI32Field(t, "DictionaryPageHeader.num_values")
          case 2: d.encoding = try r.readI32Field(t, "DictionaryPageHeader.encoding")
          case 3: d.isSorted = try r.readBoolField(t, "DictionaryPageHeader.is_sorted")
          default: try r.skip(t)
          }
        }
        h.dictionaryPageHeader = d
      case 8:
        try r.expect(type, .structure, "PageHeader.data_page_header_v2")
        var d = DataPageHeaderV2()
        try r.readStruct { r, t, f in
          switch f {
          case 1: d.numValues = try r.readI32Field(t, "DataPageHeaderV2.num_values")
          case 2: d.numNulls = try r.readI32Field(t, "DataPageHeaderV2.num_nulls")
          case 3: d.numRows = try r.readI32Field(t, "DataPageHeaderV2.num_rows")
          case 4: d.encoding = try r.readI32Field(t, "DataPageHeaderV2.encoding")
          case 5:
            d.definitionLevelsByteLength = try r.readI32Field(
              t, "DataPageHeaderV2.definition_levels_byte_length")
          case 6:
            d.repetitionLevelsByteLength = try r.readI32Field(
              t, "DataPageHeaderV2.repetition_levels_byte_length")
          case 7: d.isCompressed = try r.readBoolField(t, "DataPageHeaderV2.is_compressed")
          default: try r.skip(t)
          }
        }
        h.dataPageHeaderV2 = d
      default: try r.skip(type)
      }
    }
    for required: Int16 in [1, 2, 3] where !seen.contains(required) {
      throw ParquetError.corrupt("thrift: PageHeader without required field \(required)")
    }
    self = h
  }
}
