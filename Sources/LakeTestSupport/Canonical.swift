// LakeTestSupport/Canonical.swift
//
// "lh canonical NDJSON" (tests/peers/README.md): one JSON object per row, keys in schema order;
// null, booleans, integers as JSON integers, floats as shortest round-trip numbers (NaN and
// infinities as the strings "NaN", "Infinity", "-Infinity"), strings, binary as "0x" + hex,
// dates "YYYY-MM-DD", timestamps "YYYY-MM-DDTHH:MM:SS.ffffffZ" (timestamp_ntz taken as UTC wall
// time), nested values as their JSON text, decimals as strings with exactly
// `scale` fraction digits. Used to compare lh's reading and writing with pyarrow, DuckDB, Polars.

import Foundation
import LakeFormats

/// Canonical values of rows, for comparing with peers.
public enum Canonical {
  /// The canonical value of row `i` of `column` as a Foundation-comparable value.
  public static func value(_ column: ColumnBuffer, _ i: Int) -> Any {
    guard column.isValid(i) else { return NSNull() }
    switch column.type {
    case .boolean: return column.booleans[i]
    case .int32: return Int64(column.int32s[i])
    case .int64: return column.int64s[i]
    case .float:
      let f = column.floats[i]
      return f.isFinite ? f as Any : double(Double(f))
    case .double: return double(column.doubles[i])
    case .string: return String(decoding: column.bytes(at: i), as: UTF8.self)
    case .binary: return "0x" + column.bytes(at: i).map { String(format: "%02x", $0) }.joined()
    case .date:
      let d = CivilDate(daysSinceEpoch: Int64(column.int32s[i]))
      return String(format: "%04lld-%02d-%02d", d.year, d.month, d.day)
    // A timestamp without time zone is taken as UTC wall time (tests/peers/README.md).
    case .timestamp, .timestampNtz:
      return RFC3339.string(micros: column.int64s[i], fractionDigits: 6)
    case .json: return String(decoding: column.bytes(at: i), as: UTF8.self)
    case .decimal(let p, let s):
      if p <= 18 { return decimal(Int128(column.int64s[i]), scale: s) }
      return decimal(column.int128s[i], scale: s)
    }
  }

  static func double(_ v: Double) -> Any {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "Infinity" : "-Infinity" }
    return v
  }

  /// `unscaled × 10^-scale` with exactly `scale` fraction digits.
  public static func decimal(_ unscaled: Int128, scale: Int) -> String {
    let negative = unscaled < 0
    var digits = String(unscaled.magnitude)
    if scale > 0 {
      while digits.count <= scale { digits = "0" + digits }
      digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
    }
    return (negative ? "-" : "") + digits
  }

  /// True when a canonical value of ours equals one read from a canonical line.
  ///
  /// Floats (32-bit) compare after rounding the text's value to Float: peers print them as the
  /// shortest text of the float, not of its double expansion.
  public static func equal(_ mine: Any, _ theirs: JSONAny) -> Bool {
    switch (mine, theirs) {
    case (is NSNull, .null): return true
    case (let s as String, .string(let t)): return s == t
    case (let b as Bool, .bool(let c)): return b == c
    case (let i as Int64, .int(let j)): return i == j
    case (let d as Double, .double(let e)): return d == e
    case (let d as Double, .int(let j)): return d == Double(j)
    case (let f as Float, .double(let e)): return f == Float(e)
    case (let f as Float, .int(let j)): return f == Float(j)
    default: return false
    }
  }

  /// Parses one canonical NDJSON line (with JSONDecoder, whose number parsing is correctly
  /// rounded; JSONSerialization's is not on Linux).
  public static func parseLine(_ line: Substring) throws -> [String: JSONAny] {
    try JSONDecoder().decode([String: JSONAny].self, from: Data(line.utf8))
  }

  /// True when row `i` of `a` and `b` (same type) hold the same value, bit for bit.
  public static func equalValues(_ a: ColumnBuffer, _ b: ColumnBuffer, row i: Int) -> Bool {
    switch a.type.storage {
    case .boolean: return a.booleans[i] == b.booleans[i]
    case .int32: return a.int32s[i] == b.int32s[i]
    case .int64: return a.int64s[i] == b.int64s[i]
    case .int128: return a.int128s[i] == b.int128s[i]
    case .float: return a.floats[i].bitPattern == b.floats[i].bitPattern
    case .double: return a.doubles[i].bitPattern == b.doubles[i].bitPattern
    case .bytes: return a.bytes(at: i) == b.bytes(at: i)
    }
  }

  /// Text of a canonical value for a JSON line (what `tests/peers` reads as expected rows).
  public static func json(_ v: Any) -> String {
    switch v {
    case is NSNull: return "null"
    case let s as String:
      let data = try? JSONSerialization.data(
        withJSONObject: [s], options: [.withoutEscapingSlashes])
      let text = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
      return String(text.dropFirst().dropLast())
    case let b as Bool: return b ? "true" : "false"
    case let i as Int64: return String(i)
    case let d as Double: return "\(d)"
    case let f as Float: return "\(f)"
    default: return "null"
    }
  }

  /// Canonical NDJSON text of all rows of `columns` under `schema`.
  public static func ndjson(_ columns: [ColumnBuffer], schema: TableSchema) -> String {
    var out = ""
    let rows = columns.first?.count ?? 0
    for r in 0..<rows {
      var fields: [String] = []
      for (c, spec) in schema.columns.enumerated() {
        fields.append(json(spec.name) + ":" + json(value(columns[c], r)))
      }
      out += "{" + fields.joined(separator: ",") + "}\n"
    }
    return out
  }

  /// The schema file form: [{"name","type","nullable"}].
  public static func schemaJSON(_ schema: TableSchema) -> String {
    "["
      + schema.columns.map {
        "{\"name\":\(json($0.name)),\"type\":\"\($0.type)\",\"nullable\":\($0.nullable)}"
      }
      .joined(separator: ",") + "]"
  }
}

/// A JSON scalar as a canonical line holds it.
public enum JSONAny: Decodable, Equatable, CustomStringConvertible {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)

  public init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? c.decode(Int64.self) {
      self = .int(i)
    } else if let d = try? c.decode(Double.self) {
      self = .double(d)
    } else {
      self = .string(try c.decode(String.self))
    }
  }

  public var description: String {
    switch self {
    case .null: "null"
    case .bool(let b): "\(b)"
    case .int(let i): "\(i)"
    case .double(let d): "\(d)"
    case .string(let s): "\"\(s)\""
    }
  }
}
