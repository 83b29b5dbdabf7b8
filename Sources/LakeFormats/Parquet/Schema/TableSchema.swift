// LakeFormats/Parquet/Schema/TableSchema.swift
//
// lh's flat schemas and their Parquet leaves (formats.md §4 "Type mapping we use"). The writer
// annotates with BOTH converted_type and logicalType where a pair exists: DuckDB ignores a
// logicalType STRING/DATE/DECIMAL without its converted_type (formats.md §10.5).
//
//   lh type         physical     converted          logicalType
//   boolean         BOOLEAN      -                  -
//   int32 / int64   INT32/INT64  -                  -
//   float / double  FLOAT/DOUBLE -                  -
//   string          BYTE_ARRAY   UTF8               STRING
//   binary          BYTE_ARRAY   -                  -
//   date            INT32        DATE               DATE
//   timestamp       INT64 (µs)   TIMESTAMP_MICROS   TIMESTAMP(UTC, MICROS)
//   timestamp_ntz   INT64 (µs)   -                  TIMESTAMP(local, MICROS)
//   decimal(p,s)    INT64 (p≤18) DECIMAL            DECIMAL(s, p)
//
// `json` (a nested value of a peer's table — struct, array or map — held as its JSON text) has
// no flat Parquet form: lh reads such columns (DeltaScan) and refuses to write them.

/// A column type of an lh table.
public enum ColumnType: Equatable, Hashable, Sendable, CustomStringConvertible {
  case boolean
  case int32
  case int64
  case float
  case double
  case string
  case binary
  /// Days since 1970-01-01.
  case date
  /// Microseconds since the epoch, UTC.
  case timestamp
  /// Microseconds since 1970-01-01T00:00:00 of a wall clock without a time zone (Delta's
  /// `timestamp_ntz`, Parquet TIMESTAMP with isAdjustedToUTC=false).
  case timestampNtz
  /// A nested value (struct, array, map) as its JSON text, read from a peer's table.
  case json
  /// A decimal; p ≤ 18 is stored as an unscaled Int64, 19…38 (read only) as Int128.
  case decimal(precision: Int, scale: Int)

  public var description: String {
    switch self {
    case .boolean: "boolean"
    case .int32: "int32"
    case .int64: "int64"
    case .float: "float"
    case .double: "double"
    case .string: "string"
    case .binary: "binary"
    case .date: "date"
    case .timestamp: "timestamp"
    case .timestampNtz: "timestamp_ntz"
    case .json: "json"
    case .decimal(let p, let s): "decimal(\(p),\(s))"
    }
  }

  /// The storage a column of this type uses in a `ColumnBuffer`.
  public var storage: ColumnStorageKind {
    switch self {
    case .boolean: .boolean
    case .int32, .date: .int32
    case .int64, .timestamp, .timestampNtz: .int64
    case .decimal(let p, _): p <= 18 ? .int64 : .int128
    case .float: .float
    case .double: .double
    case .string, .binary, .json: .bytes
    }
  }
}

/// How a column's values are held in memory.
public enum ColumnStorageKind: Sendable {
  case boolean, int32, int64, int128, float, double, bytes
}

/// One column of a schema.
public struct ColumnSpec: Equatable, Hashable, Sendable {
  public var name: String
  public var type: ColumnType
  public var nullable: Bool

  public init(_ name: String, _ type: ColumnType, nullable: Bool = true) {
    self.name = name
    self.type = type
    self.nullable = nullable
  }
}

/// A flat schema: named, typed columns in order.
public struct TableSchema: Equatable, Hashable, Sendable {
  public var columns: [ColumnSpec]

  public init(_ columns: [ColumnSpec]) { self.columns = columns }

  /// The index of the column named `name`.
  public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }
}
