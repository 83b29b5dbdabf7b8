// LakeContracts/ContractText.swift
//
// Small helpers shared by the parser and the printer: names, value literals of each column
// type, and date text. Not on a hot path (contracts are read once per run).

import LakeFormats

enum ContractText {
  /// A dataset, gold table or metric name: a lower-case letter, then lower-case letters, digits
  /// and `_` (safe as a folder name and as a column name in every engine).
  static func isTableName(_ s: Substring) -> Bool {
    guard let first = s.utf8.first, first >= 0x61, first <= 0x7A else { return false }
    return s.utf8.allSatisfy {
      ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F
    }
  }

  /// A column name: a letter, then letters, digits and `_` (a leading `_` is reserved for lh).
  static func isColumnName(_ s: Substring) -> Bool {
    guard let first = s.utf8.first, (first | 0x20) >= 0x61, (first | 0x20) <= 0x7A else {
      return false
    }
    return s.utf8.allSatisfy {
      (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F
    }
  }

  /// The type names a contract accepts, as written.
  static func parseType(_ text: String) -> ColumnType? {
    switch text {
    case "string": return .string
    case "int32": return .int32
    case "int64": return .int64
    case "double": return .double
    case "boolean": return .boolean
    case "timestamp": return .timestamp
    case "date": return .date
    default: break
    }
    guard text.hasPrefix("decimal("), text.hasSuffix(")") else { return nil }
    let inner = text.dropFirst(8).dropLast()
    let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
    guard parts.count == 2, let p = Int(parts[0]), let s = Int(parts[1]), p >= 1, p <= 18,
      s >= 0, s <= p
    else { return nil }
    return .decimal(precision: p, scale: s)
  }

  /// The text of a type, as `parseType` reads it.
  static func typeName(_ type: ColumnType) -> String {
    switch type {
    case .decimal(let p, let s): "decimal(\(p),\(s))"
    default: type.description
    }
  }

  /// A number literal of a numeric column's type, exactly (decimals never round).
  static func parseBound(_ text: Substring, for type: ColumnType) -> ContractBound? {
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBytes { raw -> ContractBound? in
      let token = UnsafeRawBufferPointer(raw)
      switch type {
      case .int32:
        guard let v = JSONValue.int64(token), Int32(exactly: v) != nil else { return nil }
        return .integer(v)
      case .int64:
        return JSONValue.int64(token).map { .integer($0) }
      case .double, .float:
        return JSONValue.double(token).map { .double($0) }
      case .decimal(let p, let s):
        return JSONValue.decimal(token, precision: p, scale: s).map { .decimal(unscaled: $0) }
      default:
        return nil
      }
    }
  }

  /// The text of a bound of a column of `type` (parses back to the same bound).
  static func boundText(_ bound: ContractBound, type: ColumnType) -> String {
    switch bound {
    case .integer(let v): return String(v)
    case .double(let d): return "\(d)"
    case .decimal(let unscaled):
      guard case .decimal(_, let scale) = type, scale > 0 else { return String(unscaled) }
      var digits = String(unscaled.magnitude)
      if digits.count <= scale {
        digits = String(repeating: "0", count: scale - digits.count + 1) + digits
      }
      let point = digits.index(digits.endIndex, offsetBy: -scale)
      return (unscaled < 0 ? "-" : "") + digits[..<point] + "." + digits[point...]
    }
  }

  /// Whether `value` is a valid literal of a column of `type` (filter values, allowed values).
  static func isLiteral(_ value: String, of type: ColumnType) -> Bool {
    switch type {
    case .string, .binary: return true
    case .boolean: return value == "true" || value == "false"
    case .int32, .int64, .double, .float, .decimal:
      return parseBound(Substring(value), for: type) != nil
    case .timestamp:
      var v = value
      return v.withUTF8 { RFC3339.parse(UnsafeRawBufferPointer($0)) } != nil
    case .date:
      var v = value
      return v.withUTF8 { DateText.parse(UnsafeRawBufferPointer($0)) } != nil
    case .timestampNtz, .json:
      // Not contract types (read from peers' tables only).
      return false
    }
  }
}

/// `YYYY-MM-DD` on bytes, to days since 1970-01-01.
public enum DateText {
  /// The day number of a `YYYY-MM-DD` date (years 0000–9999), or nil when it is not one.
  @inlinable
  public static func parse(_ text: UnsafeRawBufferPointer) -> Int32? {
    guard text.count == 10, text[4] == 0x2D, text[7] == 0x2D else { return nil }
    var fields = (0, 0, 0)
    @inline(__always) func number(_ from: Int, _ to: Int) -> Int? {
      var v = 0
      for i in from..<to {
        let d = Int(text[i]) &- 0x30
        guard d >= 0, d <= 9 else { return nil }
        v = v &* 10 &+ d
      }
      return v
    }
    guard let y = number(0, 4), let m = number(5, 7), let d = number(8, 10) else { return nil }
    fields = (y, m, d)
    guard fields.1 >= 1, fields.1 <= 12, fields.2 >= 1,
      fields.2 <= CivilDate.daysInMonth(year: Int64(fields.0), month: fields.1)
    else { return nil }
    return Int32(
      truncatingIfNeeded: CivilDate(year: Int64(fields.0), month: fields.1, day: fields.2)
        .daysSinceEpoch)
  }
}
