// LakeTable/Delta/DeltaSchema.swift
//
// lh schemas ↔ Delta's `schemaString`, the Spark StructType JSON serialised into a string
// (PROTOCOL.md "Schema Serialization Format"):
//   {"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}, …]}
//
// Reading takes any schema a peer writes:
//   string long integer short byte float double boolean binary date   as lh's flat types
//   timestamp, timestamp_ntz                                           µs, UTC / wall clock
//   decimal(p,s) (p ≤ 38), decimal (Spark's decimal(10,0))
//   {"type":"struct"|"array"|"map",…} at any depth                    a `json` column
//   void                                                               dropped (as Spark does)
//   variant, or an unknown type                                        refused naming the column
// Each field keeps its column-mapping metadata (`delta.columnMapping.physicalName`,
// `delta.columnMapping.id`), nested fields included. An absent or empty schemaString (a
// Databricks pipeline's first metaData) is a schema without columns.
// Writing: lh's flat types only.

import LakeFormats
import LakeIO

/// A Delta data type as a schema string spells it.
public indirect enum DeltaType: Sendable, Equatable {
  /// A primitive type by its Delta name (`long`, `timestamp_ntz`, `decimal(38,9)`, …).
  case primitive(String)
  case `struct`([DeltaField])
  case array(element: DeltaType, containsNull: Bool)
  case map(key: DeltaType, value: DeltaType, valueContainsNull: Bool)

  /// Whether the type is a struct, array or map.
  public var isNested: Bool {
    if case .primitive = self { return false }
    return true
  }
}

/// One field of a Delta schema (a top-level column or a nested struct's field).
public struct DeltaField: Sendable, Equatable {
  /// The logical (display) name.
  public var name: String
  public var type: DeltaType
  public var nullable: Bool
  /// `delta.columnMapping.physicalName`: the name in data files, partitionValues and stats when
  /// the table maps columns.
  public var physicalName: String?
  /// `delta.columnMapping.id`: the Parquet field_id in mode `id`.
  public var columnId: Int64?

  public init(
    name: String, type: DeltaType, nullable: Bool, physicalName: String? = nil,
    columnId: Int64? = nil
  ) {
    self.name = name
    self.type = type
    self.nullable = nullable
    self.physicalName = physicalName
    self.columnId = columnId
  }

  /// The lh type the column is read as: its flat type, or `json` for a nested one.
  public var columnType: ColumnType {
    switch type {
    case .primitive(let name): DeltaSchema.columnType(name) ?? .json
    default: .json
    }
  }
}

/// Conversions between lh schemas and Delta schema strings.
public enum DeltaSchema {
  /// The Delta name of an lh type.
  ///
  /// `json` columns (peers' nested columns) have no flat Delta name; no lh writer commits one (the
  /// Parquet writer refuses them first), and `string` is what their values hold.
  public static func deltaType(_ t: ColumnType) -> String {
    switch t {
    case .boolean: "boolean"
    case .int32: "integer"
    case .int64: "long"
    case .float: "float"
    case .double: "double"
    case .string, .json: "string"
    case .binary: "binary"
    case .date: "date"
    case .timestamp: "timestamp"
    case .timestampNtz: "timestamp_ntz"
    case .decimal(let p, let s): "decimal(\(p),\(s))"
    }
  }

  /// The schema string for `schema`.
  public static func schemaString(for schema: TableSchema) -> String {
    var j = JSONBuilder()
    j.beginObject()
    j.key("type")
    j.string("struct")
    j.key("fields")
    j.beginArray()
    for c in schema.columns {
      j.beginObject()
      j.key("name")
      j.string(c.name)
      j.key("type")
      j.string(deltaType(c.type))
      j.key("nullable")
      j.bool(c.nullable)
      j.key("metadata")
      j.beginObject()
      j.endObject()
      j.endObject()
    }
    j.endArray()
    j.endObject()
    return j.text
  }

  /// The lh schema of a schema string: one column per top-level field (nested ones as `json`).
  ///
  /// - Throws: `DeltaLogError` for a malformed schema, a variant column or an unknown type.
  public static func tableSchema(from text: String, table: String) throws -> TableSchema {
    TableSchema(
      try fields(from: text, table: table).map {
        ColumnSpec($0.name, $0.columnType, nullable: $0.nullable)
      })
  }

  /// The top-level fields of a schema string (none for an empty one), `void` columns dropped.
  ///
  /// - Throws: `DeltaLogError` for a malformed schema, a variant column or an unknown type.
  public static func fields(from text: String, table: String) throws -> [DeltaField] {
    func fail(_ reason: String) -> DeltaLogError {
      DeltaLogError(table: table, reason: "schema: \(reason)")
    }
    if text.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
      return []
    }
    do {
      let root = try JSONObjectView(Array(text.utf8))
      guard try root.string("type") == "struct" else { throw fail("not a struct type") }
      return try structFields(root, path: "", fail)
    } catch let e as DeltaLogError {
      throw e
    } catch {
      throw fail("\(error)")
    }
  }

  static func structFields(
    _ o: JSONObjectView, path: String, _ fail: (String) -> DeltaLogError
  ) throws -> [DeltaField] {
    var out: [DeltaField] = []
    for raw in try o.array("fields") ?? [] {
      let f = try JSONObjectView(raw)
      guard let name = try f.string("name") else { throw fail("a field without a name") }
      let column = path.isEmpty ? name : path + "." + name
      guard let t = f.field("type") else { throw fail("column '\(column)' has no type") }
      let type = try deltaType(f, t, column: column, fail)
      if type == .primitive("void") { continue }
      var field = DeltaField(name: name, type: type, nullable: try f.bool("nullable") ?? true)
      if let meta = try f.object("metadata") {
        field.physicalName = try? meta.string("delta.columnMapping.physicalName")
        field.columnId = try? meta.int("delta.columnMapping.id")
      }
      out.append(field)
    }
    return out
  }

  /// The type at field `t` of `o` (a name, or a struct, array or map object).
  static func deltaType(
    _ o: JSONObjectView, _ t: JSONField, column: String, _ fail: (String) -> DeltaLogError
  ) throws -> DeltaType {
    switch t.kind {
    case .string:
      let name = try JSONObjectView.decodeString(o.value(t))
      if name == "variant" {
        throw fail(
          "column '\(column)' has type variant (table feature variantType), which lh does not read")
      }
      guard name == "void" || columnType(name) != nil else {
        throw fail("column '\(column)' has type '\(name)', which lh does not read")
      }
      return .primitive(name)
    case .object:
      let n = try JSONObjectView(o.value(t))
      switch try n.string("type") {
      case "struct":
        return .struct(try structFields(n, path: column, fail))
      case "array":
        guard let e = n.field("elementType") else {
          throw fail("column '\(column)': an array without an elementType")
        }
        return .array(
          element: try deltaType(n, e, column: column + "[]", fail),
          containsNull: try n.bool("containsNull") ?? true)
      case "map":
        guard let k = n.field("keyType"), let v = n.field("valueType") else {
          throw fail("column '\(column)': a map without a keyType or valueType")
        }
        return .map(
          key: try deltaType(n, k, column: column + ".key", fail),
          value: try deltaType(n, v, column: column + ".value", fail),
          valueContainsNull: try n.bool("valueContainsNull") ?? true)
      case let other:
        throw fail("column '\(column)' has type '\(other ?? "?")', which lh does not read")
      }
    default:
      throw fail("column '\(column)' has a type that is neither a name nor an object")
    }
  }

  /// The lh type of a primitive Delta type name, nil when lh has none.
  static func columnType(_ name: String) -> ColumnType? {
    switch name {
    case "string": return .string
    case "long": return .int64
    case "integer", "short", "byte": return .int32
    case "float": return .float
    case "double": return .double
    case "boolean": return .boolean
    case "binary": return .binary
    case "date": return .date
    case "timestamp": return .timestamp
    case "timestamp_ntz": return .timestampNtz
    case "decimal": return .decimal(precision: 10, scale: 0)
    default:
      guard name.hasPrefix("decimal(") && name.hasSuffix(")") else { return nil }
      let inner = name.dropFirst(8).dropLast().split(separator: ",").map {
        $0.trimmingCharacters(in: " ")
      }
      guard inner.count == 2, let p = Int(inner[0]), let s = Int(inner[1]), p >= 1, p <= 38, s >= 0,
        s <= p
      else {
        return nil
      }
      return .decimal(precision: p, scale: s)
    }
  }
}

extension Substring {
  func trimmingCharacters(in set: String) -> String {
    var s = self
    while let f = s.first, set.contains(f) { s = s.dropFirst() }
    while let l = s.last, set.contains(l) { s = s.dropLast() }
    return String(s)
  }
}
