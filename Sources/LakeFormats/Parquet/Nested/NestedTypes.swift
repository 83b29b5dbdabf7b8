// LakeFormats/Parquet/Nested/NestedTypes.swift
//
// Nested (and flat) Parquet columns as lh sees them: a tree of records, lists and maps over the
// leaf types of TableSchema.swift, and one value type for a row's value of such a column.
//
//   NestedType   leaf(ColumnType) | record([NestedField]) | list(element) | map(key, value)
//   NestedValue  null | boolean | int | int128 | double | bytes | list | map | record
//
// Leaf values: int32, int64, date (days), timestamp (µs) and decimal p ≤ 18 (unscaled) are
// `.int`; decimal 19…38 `.int128`; float and double `.double`; string and binary `.bytes`.

/// The type of a nested column or of one of its parts.
public indirect enum NestedType: Sendable, Equatable {
  case leaf(ColumnType)
  case record([NestedField])
  case list(element: NestedField)
  case map(key: NestedField, value: NestedField)
}

/// A named part of a nested type: a top-level column, a record field, a list element, a map
/// key or value.
public struct NestedField: Sendable, Equatable {
  public var name: String
  public var type: NestedType
  public var nullable: Bool

  public init(_ name: String, _ type: NestedType, nullable: Bool = true) {
    self.name = name
    self.type = type
    self.nullable = nullable
  }
}

/// One value of a nested type.
public indirect enum NestedValue: Sendable, Equatable {
  case null
  case boolean(Bool)
  /// int32, int64, date (days), timestamp (µs), decimal ≤ 18 digits (unscaled).
  case int(Int64)
  /// decimal 19…38 digits (unscaled).
  case int128(Int128)
  /// float and double.
  case double(Double)
  /// string (UTF-8) and binary.
  case bytes([UInt8])
  case list([NestedValue])
  case map([NestedEntry])
  /// One value per field, in field order.
  case record([NestedValue])
}

/// One entry of a map value.
public struct NestedEntry: Sendable, Equatable {
  public var key: NestedValue
  public var value: NestedValue

  public init(key: NestedValue, value: NestedValue) {
    self.key = key
    self.value = value
  }
}

extension NestedValue {
  /// The text of a `.bytes` value (nil for anything else).
  public var string: String? {
    if case .bytes(let b) = self { return String(decoding: b, as: UTF8.self) }
    return nil
  }

  /// A `.bytes` value holding `s` as UTF-8.
  public static func string(_ s: String) -> NestedValue { .bytes(Array(s.utf8)) }

  /// Field `i` of a record (`.null` when this is not a record or has fewer fields).
  public subscript(_ i: Int) -> NestedValue {
    if case .record(let fields) = self, i < fields.count { return fields[i] }
    return .null
  }

  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }
}
