// LakeFormats/Parquet/Schema/ParquetSchemaMapping.swift
//
// lh column types ↔ Parquet schema elements (see TableSchema.swift for the table). Reading
// accepts what peers write: logical-only or converted-only annotations, INT8/16 and unsigned
// narrow integers as int32, UINT32 as int64, decimals in INT32, INT64 or FIXED_LEN_BYTE_ARRAY,
// timestamps in millis, micros or nanos (and INT96), FLOAT. A TIMESTAMP with isAdjustedToUTC
// false is `timestamp_ntz`; one with true, a TIMESTAMP_MILLIS/MICROS converted type alone or INT96
// is `timestamp`. Anything else — nested columns included — is refused naming the column.

/// How a Parquet leaf's stored values turn into lh values.
public enum LeafDecoding: Sendable, Equatable {
  case boolean
  case int32
  /// INT32 holding an unsigned value that needs int64 (UINT_32).
  case uint32AsInt64
  case int64
  case float
  case double
  case bytes
  /// INT64 timestamps in a unit to scale to microseconds (1 = micros, 1000 = millis, -1000 = nanos).
  case timestamp(scaleToMicros: Int64)
  /// INT96 (Impala) timestamps: nanoseconds of day + Julian day.
  case int96Timestamp
  /// Decimals stored as INT32.
  case decimalInt32
  /// Decimals stored as INT64.
  case decimalInt64
  /// Decimals stored as big-endian two's complement bytes (FLBA or BYTE_ARRAY).
  case decimalBytes
}

/// A column of a file as lh reads it.
public struct ParquetLeaf: Sendable, Equatable {
  public var spec: ColumnSpec
  public var physical: PhysicalType
  public var typeLength: Int
  public var decoding: LeafDecoding
}

/// Conversions between lh schemas and Parquet schema elements.
public enum ParquetSchemaMapping {
  /// The physical type lh writes for `type`.
  static func physicalType(for type: ColumnType) throws -> PhysicalType {
    switch type {
    case .boolean: return .boolean
    case .int32, .date: return .int32
    case .int64, .timestamp, .timestampNtz: return .int64
    case .float: return .float
    case .double: return .double
    case .string, .binary: return .byteArray
    case .json:
      throw ParquetError.unsupported(
        "writing a nested (struct, array or map) column: lh reads such columns of peers' tables as JSON text and does not write them"
      )
    case .decimal(let p, _):
      guard p >= 1 && p <= 18 else {
        throw ParquetError.unsupported("writing decimal precision \(p) (lh writes 1…18 as INT64)")
      }
      return .int64
    }
  }

  /// Schema elements for writing `schema` (root first).
  static func elements(for schema: TableSchema, style: AnnotationStyle) throws -> [SchemaElement] {
    var root = SchemaElement()
    root.name = "schema"
    root.numChildren = Int32(schema.columns.count)
    var out = [root]
    for column in schema.columns {
      var e = SchemaElement()
      e.name = column.name
      e.type = try physicalType(for: column.type).rawValue
      e.repetition = (column.nullable ? Repetition.optional : .required).rawValue
      var converted: ConvertedType?
      var logical: LogicalType?
      switch column.type {
      case .string:
        converted = .utf8
        logical = .string
      case .date:
        converted = .date
        logical = .date
      case .timestamp:
        converted = .timestampMicros
        logical = .timestamp(adjustedToUTC: true, unit: .micros)
      case .timestampNtz:
        // No converted type: TIMESTAMP_MICROS means adjusted to UTC (parquet-format
        // LogicalTypes.md, "Timestamp"), which these values are not.
        logical = .timestamp(adjustedToUTC: false, unit: .micros)
      case .decimal(let p, let s):
        converted = .decimal
        logical = .decimal(scale: Int32(s), precision: Int32(p))
        e.scale = Int32(s)
        e.precision = Int32(p)
      default: break
      }
      if style != .logicalOnly { e.convertedType = converted?.rawValue }
      if style != .convertedOnly { e.logicalType = logical }
      out.append(e)
    }
    return out
  }

  /// The lh view of a file's schema; throws for nested or unsupported columns.
  public static func leaves(of elements: [SchemaElement]) throws -> [ParquetLeaf] {
    guard let root = elements.first else { throw ParquetError.corrupt("empty schema") }
    let children = Int(root.numChildren ?? 0)
    guard children == elements.count - 1 else {
      // More elements than root children means groups: nested columns.
      let nested: String =
        elements.dropFirst().first(where: { ($0.numChildren ?? 0) > 0 })?.name ?? "?"
      throw ParquetError.unsupported("nested column (a group, list, map or struct)").at(
        column: nested)
    }
    return try elements.dropFirst().map(leaf)
  }

  static func leaf(_ e: SchemaElement) throws -> ParquetLeaf {
    let name = e.name
    func unsupported(_ what: String) -> ParquetError {
      ParquetError.unsupported(what).at(column: name)
    }
    if (e.numChildren ?? 0) > 0 { throw unsupported("nested column (a group)") }
    guard let rawType = e.type, let physical = PhysicalType(rawValue: rawType) else {
      throw ParquetError.corrupt("column without a valid physical type").at(column: name)
    }
    let repetition = e.repetition.flatMap(Repetition.init) ?? .optional
    if repetition == .repeated { throw unsupported("repeated column") }
    let nullable = repetition == .optional
    let converted = e.convertedType.flatMap(ConvertedType.init)
    let typeLength = Int(e.typeLength ?? 0)

    // Decimal: logical or converted, with precision and scale.
    var decimal: (Int, Int)?
    if case .decimal(let s, let p)? = e.logicalType {
      decimal = (Int(p), Int(s))
    } else if converted == .decimal {
      decimal = (Int(e.precision ?? 0), Int(e.scale ?? 0))
    }
    if let (p, s) = decimal {
      guard p >= 1, p <= 38, s >= 0, s <= p else { throw unsupported("decimal(\(p),\(s))") }
      let type = ColumnType.decimal(precision: p, scale: s)
      let decoding: LeafDecoding
      switch physical {
      case .int32: decoding = .decimalInt32
      case .int64: decoding = .decimalInt64
      case .fixedLenByteArray, .byteArray:
        guard physical == .byteArray || (1...16).contains(typeLength) else {
          throw unsupported("decimal in \(typeLength)-byte FIXED_LEN_BYTE_ARRAY")
        }
        decoding = .decimalBytes
      default: throw unsupported("decimal stored as \(physical)")
      }
      return ParquetLeaf(
        spec: ColumnSpec(name, type, nullable: nullable), physical: physical,
        typeLength: typeLength,
        decoding: decoding)
    }

    func make(_ type: ColumnType, _ decoding: LeafDecoding) -> ParquetLeaf {
      ParquetLeaf(
        spec: ColumnSpec(name, type, nullable: nullable), physical: physical,
        typeLength: typeLength,
        decoding: decoding)
    }
    switch physical {
    case .boolean:
      return make(.boolean, .boolean)
    case .int32:
      if e.logicalType == .date || converted == .date { return make(.date, .int32) }
      if case .integer(let bits, let signed)? = e.logicalType {
        if !signed && bits == 32 { return make(.int64, .uint32AsInt64) }
        return make(.int32, .int32)
      }
      if case .time? = e.logicalType { throw unsupported("TIME values") }
      switch converted {
      case .uint32?: return make(.int64, .uint32AsInt64)
      case .timeMillis?: throw unsupported("TIME values")
      default: return make(.int32, .int32)
      }
    case .int64:
      if case .timestamp(let utc, let unit)? = e.logicalType {
        let type: ColumnType = utc ? .timestamp : .timestampNtz
        switch unit {
        case .millis: return make(type, .timestamp(scaleToMicros: 1000))
        case .micros: return make(type, .timestamp(scaleToMicros: 1))
        case .nanos: return make(type, .timestamp(scaleToMicros: -1000))
        }
      }
      if case .time? = e.logicalType { throw unsupported("TIME values") }
      if case .integer(64, false)? = e.logicalType { throw unsupported("unsigned 64-bit integers") }
      switch converted {
      case .timestampMillis?: return make(.timestamp, .timestamp(scaleToMicros: 1000))
      case .timestampMicros?: return make(.timestamp, .timestamp(scaleToMicros: 1))
      case .uint64?: throw unsupported("unsigned 64-bit integers")
      case .timeMicros?: throw unsupported("TIME values")
      default: return make(.int64, .int64)
      }
    case .int96:
      return make(.timestamp, .int96Timestamp)
    case .float:
      return make(.float, .float)
    case .double:
      return make(.double, .double)
    case .byteArray:
      let isString =
        e.logicalType == .string || converted == .utf8 || e.logicalType == .json
        || converted == .json || e.logicalType == .enumeration || converted == .enumeration
      return make(isString ? .string : .binary, .bytes)
    case .fixedLenByteArray:
      guard typeLength > 0 else {
        throw ParquetError.corrupt("FIXED_LEN_BYTE_ARRAY without a length").at(column: name)
      }
      if e.logicalType == .float16 { throw unsupported("FLOAT16 values") }
      return make(.binary, .bytes)
    }
  }
}
