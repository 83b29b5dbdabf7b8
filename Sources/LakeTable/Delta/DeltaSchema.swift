// LakeTable/Delta/DeltaSchema.swift
//
// lh schemas ↔ Delta's `schemaString`, the Spark StructType JSON serialised into a string:
//   {"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}, …]}
// Type names (formats.md §9): string long integer short byte float double boolean binary date
// timestamp decimal(p,s). Nested types and timestamp_ntz are refused when reading.

import LakeFormats
import LakeIO

/// Conversions between lh schemas and Delta schema strings.
public enum DeltaSchema {
  /// The Delta name of an lh type.
  public static func deltaType(_ t: ColumnType) -> String {
    switch t {
    case .boolean: "boolean"
    case .int32: "integer"
    case .int64: "long"
    case .float: "float"
    case .double: "double"
    case .string: "string"
    case .binary: "binary"
    case .date: "date"
    case .timestamp: "timestamp"
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

  /// The lh schema of a schema string.
  public static func tableSchema(from text: String, table: String) throws -> TableSchema {
    func fail(_ reason: String) -> DeltaLogError {
      DeltaLogError(table: table, reason: "schema: \(reason)")
    }
    do {
      let root = try JSONObjectView(Array(text.utf8))
      guard try root.string("type") == "struct", let fields = try root.array("fields") else {
        throw fail("not a struct type")
      }
      return TableSchema(
        try fields.map { raw in
          let f = try JSONObjectView(raw)
          guard let name = try f.string("name") else { throw fail("a field without a name") }
          guard let typeName = try? f.string("type") else {
            throw fail("column '\(name)' has a nested type, which lh does not read")
          }
          guard let type = columnType(typeName) else {
            throw fail("column '\(name)' has type '\(typeName)', which lh does not read")
          }
          return ColumnSpec(name, type, nullable: try f.bool("nullable") ?? true)
        })
    } catch let e as DeltaLogError {
      throw e
    } catch {
      throw fail("\(error)")
    }
  }

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
