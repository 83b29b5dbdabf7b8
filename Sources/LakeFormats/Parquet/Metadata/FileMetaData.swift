// LakeFormats/Parquet/Metadata/FileMetaData.swift
//
// The footer structs of parquet.thrift that lh needs (formats.md §3), each with `encode` (writer)
// and `init(from:)` (reader). Field ids and required-ness follow the spec exactly: a writer that
// omits a required field makes pyarrow and DuckDB reject the whole file (formats.md §10.1).
// Readers skip unknown fields.

/// A key/value pair of file metadata.
public struct KeyValue: Sendable, Equatable {
  public var key: String
  public var value: String?

  public init(key: String, value: String?) {
    self.key = key
    self.value = value
  }
}

/// Column chunk (or page) statistics.
///
/// Values are PLAIN-encoded single values.
public struct Statistics: Sendable, Equatable {
  /// Deprecated signed-order max (field 1).
  public var max: [UInt8]?
  /// Deprecated signed-order min (field 2).
  public var min: [UInt8]?
  public var nullCount: Int64?
  public var distinctCount: Int64?
  public var maxValue: [UInt8]?
  public var minValue: [UInt8]?
  public var isMaxValueExact: Bool?
  public var isMinValueExact: Bool?

  public init() {}
}

/// One column of the flattened schema (element 0 is the root).
public struct SchemaElement: Sendable, Equatable {
  public var type: Int32?
  public var typeLength: Int32?
  public var repetition: Int32?
  public var name: String = ""
  public var numChildren: Int32?
  public var convertedType: Int32?
  public var scale: Int32?
  public var precision: Int32?
  public var fieldId: Int32?
  public var logicalType: LogicalType?

  public init() {}
}

/// Metadata of one column chunk.
public struct ColumnMetaData: Sendable, Equatable {
  public var type: Int32 = 0
  public var encodings: [Int32] = []
  public var pathInSchema: [String] = []
  public var codec: Int32 = 0
  public var numValues: Int64 = 0
  public var totalUncompressedSize: Int64 = 0
  public var totalCompressedSize: Int64 = 0
  public var dataPageOffset: Int64 = 0
  public var indexPageOffset: Int64?
  public var dictionaryPageOffset: Int64?
  public var statistics: Statistics?

  public init() {}
}

/// A column chunk of a row group.
public struct ColumnChunk: Sendable, Equatable {
  public var filePath: String?
  public var fileOffset: Int64 = 0
  public var metaData: ColumnMetaData?

  public init() {}
}

/// A row group.
public struct RowGroup: Sendable, Equatable {
  public var columns: [ColumnChunk] = []
  public var totalByteSize: Int64 = 0
  public var numRows: Int64 = 0
  public var fileOffset: Int64?
  public var totalCompressedSize: Int64?
  public var ordinal: Int16?

  public init() {}
}

/// The footer.
public struct FileMetaData: Sendable, Equatable {
  public var version: Int32 = 1
  public var schema: [SchemaElement] = []
  public var numRows: Int64 = 0
  public var rowGroups: [RowGroup] = []
  public var keyValueMetadata: [KeyValue]?
  public var createdBy: String?
  /// Number of TYPE_ORDER column orders (lh writes one per leaf; readers only count them).
  public var columnOrderCount: Int?

  public init() {}
}

/// DataPageHeader (v1).
public struct DataPageHeader: Sendable, Equatable {
  public var numValues: Int32 = 0
  public var encoding: Int32 = 0
  public var definitionLevelEncoding: Int32 = 3
  public var repetitionLevelEncoding: Int32 = 3

  public init() {}
}

/// DataPageHeaderV2.
public struct DataPageHeaderV2: Sendable, Equatable {
  public var numValues: Int32 = 0
  public var numNulls: Int32 = 0
  public var numRows: Int32 = 0
  public var encoding: Int32 = 0
  public var definitionLevelsByteLength: Int32 = 0
  public var repetitionLevelsByteLength: Int32 = 0
  public var isCompressed: Bool = true

  public init() {}
}

/// DictionaryPageHeader.
public struct DictionaryPageHeader: Sendable, Equatable {
  public var numValues: Int32 = 0
  public var encoding: Int32 = 0
  public var isSorted: Bool?

  public init() {}
}

/// The header in front of every page.
public struct PageHeader: Sendable, Equatable {
  public var type: Int32 = 0
  public var uncompressedPageSize: Int32 = 0
  public var compressedPageSize: Int32 = 0
  public var crc: Int32?
  public var dataPageHeader: DataPageHeader?
  public var dictionaryPageHeader: DictionaryPageHeader?
  public var dataPageHeaderV2: DataPageHeaderV2?

  public init() {}
}
