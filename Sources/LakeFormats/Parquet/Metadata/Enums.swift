// LakeFormats/Parquet/Metadata/Enums.swift
//
// The enums of parquet.thrift that lh reads and writes (formats.md §4). Values outside the
// known set are kept as raw numbers by the structs and rejected with a clear error where used.

/// Physical storage types.
public enum PhysicalType: Int32, Sendable, CustomStringConvertible {
  case boolean = 0
  case int32 = 1
  case int64 = 2
  case int96 = 3
  case float = 4
  case double = 5
  case byteArray = 6
  case fixedLenByteArray = 7

  public var description: String {
    switch self {
    case .boolean: "BOOLEAN"
    case .int32: "INT32"
    case .int64: "INT64"
    case .int96: "INT96"
    case .float: "FLOAT"
    case .double: "DOUBLE"
    case .byteArray: "BYTE_ARRAY"
    case .fixedLenByteArray: "FIXED_LEN_BYTE_ARRAY"
    }
  }
}

/// Converted (legacy) type annotations.
public enum ConvertedType: Int32, Sendable {
  case utf8 = 0
  case map = 1
  case mapKeyValue = 2
  case list = 3
  case enumeration = 4
  case decimal = 5
  case date = 6
  case timeMillis = 7
  case timeMicros = 8
  case timestampMillis = 9
  case timestampMicros = 10
  case uint8 = 11
  case uint16 = 12
  case uint32 = 13
  case uint64 = 14
  case int8 = 15
  case int16 = 16
  case int32 = 17
  case int64 = 18
  case json = 19
  case bson = 20
  case interval = 21
}

/// Field repetition.
public enum Repetition: Int32, Sendable {
  case required = 0
  case optional = 1
  case repeated = 2
}

/// Value and level encodings.
public enum Encoding: Int32, Sendable, CustomStringConvertible {
  case plain = 0
  case plainDictionary = 2
  case rle = 3
  case bitPacked = 4
  case deltaBinaryPacked = 5
  case deltaLengthByteArray = 6
  case deltaByteArray = 7
  case rleDictionary = 8
  case byteStreamSplit = 9

  public var description: String {
    switch self {
    case .plain: "PLAIN"
    case .plainDictionary: "PLAIN_DICTIONARY"
    case .rle: "RLE"
    case .bitPacked: "BIT_PACKED"
    case .deltaBinaryPacked: "DELTA_BINARY_PACKED"
    case .deltaLengthByteArray: "DELTA_LENGTH_BYTE_ARRAY"
    case .deltaByteArray: "DELTA_BYTE_ARRAY"
    case .rleDictionary: "RLE_DICTIONARY"
    case .byteStreamSplit: "BYTE_STREAM_SPLIT"
    }
  }
}

/// Page compression codecs.
public enum CompressionCodec: Int32, Sendable, CustomStringConvertible {
  case uncompressed = 0
  case snappy = 1
  case gzip = 2
  case lzo = 3
  case brotli = 4
  case lz4 = 5
  case zstd = 6
  case lz4Raw = 7

  public var description: String {
    switch self {
    case .uncompressed: "UNCOMPRESSED"
    case .snappy: "SNAPPY"
    case .gzip: "GZIP"
    case .lzo: "LZO"
    case .brotli: "BROTLI"
    case .lz4: "LZ4"
    case .zstd: "ZSTD"
    case .lz4Raw: "LZ4_RAW"
    }
  }
}

/// Page types.
public enum PageType: Int32, Sendable {
  case dataPage = 0
  case indexPage = 1
  case dictionaryPage = 2
  case dataPageV2 = 3
}

/// Time units of TIME and TIMESTAMP logical types.
public enum TimeUnit: Sendable, Equatable {
  case millis, micros, nanos
}

/// Logical type annotations (the union `LogicalType`).
public enum LogicalType: Sendable, Equatable {
  case string
  case map
  case list
  case enumeration
  case decimal(scale: Int32, precision: Int32)
  case date
  case time(adjustedToUTC: Bool, unit: TimeUnit)
  case timestamp(adjustedToUTC: Bool, unit: TimeUnit)
  case integer(bitWidth: Int8, signed: Bool)
  case unknown
  case json
  case bson
  case uuid
  case float16
  /// A union member lh does not know (variant, geometry, …), by field id.
  case other(Int16)
}
