// LakeStages/Report/ReportCell.swift
//
// The values lh-report renders, whatever they came from (a Delta table's typed columns, a
// Parquet file, NDJSON lines), and their two spellings:
//
//   plain   CSV, NDJSON: `12345`, `1234.50`, `0.052631578947368418`, `2026-01-01T00:05:00Z`
//   pretty  text, Markdown, HTML: `12,345`, `1,234.50`, `0.0526`, `2026-01-01T00:05:00Z`
//
// Decimals keep their scale in both (money shows its cents); doubles are shown with four
// decimals when pretty (ratios), in Swift's shortest round-trip form when plain.

import LakeFormats
import LakeIO

/// What a report column holds, which decides alignment and spelling.
public enum ReportKind: Sendable, Equatable {
  case text, integer, real, boolean, date, timestamp
  case decimal(scale: Int)

  /// Numbers are right-aligned and get thousands separators when pretty.
  public var isNumeric: Bool {
    switch self {
    case .integer, .real, .decimal: true
    default: false
    }
  }

  /// Dates and timestamps can be the time axis of a chart.
  public var isTime: Bool { self == .date || self == .timestamp }

  /// The kind of a table column type.
  public init(_ type: ColumnType) {
    switch type {
    case .boolean: self = .boolean
    case .int32, .int64: self = .integer
    case .float, .double: self = .real
    case .string, .binary: self = .text
    case .date: self = .date
    case .timestamp: self = .timestamp
    case .decimal(_, let s): self = .decimal(scale: s)
    }
  }
}

/// A named report column.
public struct ReportColumn: Sendable, Equatable {
  public var name: String
  public var kind: ReportKind

  public init(_ name: String, _ kind: ReportKind) {
    self.name = name
    self.kind = kind
  }
}

/// One value of a report.
public enum ReportCell: Sendable, Equatable {
  case null
  case text(String)
  case integer(Int64)
  /// An unscaled decimal and its scale.
  case decimal(Int64, scale: Int)
  case real(Double)
  case boolean(Bool)
  /// Days since 1970-01-01.
  case date(Int32)
  /// Microseconds since the epoch, UTC.
  case timestamp(Int64)

  /// The value as a number, for charts (nil for text, booleans and nulls).
  public var number: Double? {
    switch self {
    case .integer(let v): Double(v)
    case .decimal(let v, let s): Double(v) / Self.power(s)
    case .real(let v): v.isFinite ? v : nil
    default: nil
    }
  }

  /// The value as a point in time (µs), for chart axes.
  public var micros: Int64? {
    switch self {
    case .date(let d): Int64(d) * 86_400_000_000
    case .timestamp(let t): t
    default: nil
    }
  }

  static func power(_ s: Int) -> Double {
    var p = 1.0
    for _ in 0..<max(0, s) { p *= 10 }
    return p
  }

  /// The plain spelling (CSV, NDJSON, SVG titles): no separators; nil for null.
  public var plain: String? {
    switch self {
    case .null: nil
    case .text(let s): s
    case .integer(let v): String(v)
    case .decimal(let v, let s): Self.decimalText(v, scale: s, grouped: false)
    case .real(let v): v.isFinite ? v.description : nil
    case .boolean(let b): b ? "true" : "false"
    case .date(let d): Self.dateText(d)
    case .timestamp(let t): Self.timestampText(t)
    }
  }

  /// The pretty spelling (text, Markdown, HTML): thousands separators, four decimals for
  /// doubles; empty for null.
  public var pretty: String {
    switch self {
    case .null: return ""
    case .integer(let v): return Self.grouped(String(v))
    case .decimal(let v, let s): return Self.decimalText(v, scale: s, grouped: true)
    case .real(let v):
      if !v.isFinite { return v.isNaN ? "NaN" : (v < 0 ? "-inf" : "inf") }
      if abs(v) >= 1e14 { return v.description }
      return Self.decimalText(Int64((v * 10_000).rounded()), scale: 4, grouped: true)
    case .text(let s): return TerminalText.escape(s)
    default: return plain ?? ""
    }
  }

  /// `YYYY-MM-DD` of a day number.
  public static func dateText(_ days: Int32) -> String {
    String(RFC3339.string(micros: Int64(days) * 86_400_000_000, fractionDigits: 0).prefix(10))
  }

  /// RFC 3339 UTC: whole seconds without a fraction, else milliseconds or microseconds.
  public static func timestampText(_ micros: Int64) -> String {
    let digits = micros % 1_000_000 == 0 ? 0 : (micros % 1000 == 0 ? 3 : 6)
    return RFC3339.string(micros: micros, fractionDigits: digits)
  }

  /// An unscaled decimal at its scale, optionally with thousands separators.
  public static func decimalText(_ unscaled: Int64, scale: Int, grouped group: Bool) -> String {
    decimalText(digits: String(unscaled.magnitude), negative: unscaled < 0, scale: scale, group)
  }

  static func decimalText(digits magnitude: String, negative: Bool, scale: Int, _ group: Bool)
    -> String
  {
    var digits = magnitude
    if scale > 0 {
      if digits.count <= scale {
        digits = String(repeating: "0", count: scale - digits.count + 1) + digits
      }
      let cut = digits.index(digits.endIndex, offsetBy: -scale)
      let whole = String(digits[..<cut])
      digits = (group ? grouped(whole) : whole) + "." + digits[cut...]
    } else if group {
      digits = grouped(digits)
    }
    return negative ? "-" + digits : digits
  }

  /// Digits (optionally signed) with a comma every three from the right.
  public static func grouped(_ digits: String) -> String {
    var body = Substring(digits)
    var sign = ""
    if body.first == "-" {
      sign = "-"
      body = body.dropFirst()
    }
    guard body.count > 3 else { return digits }
    var out = ""
    out.reserveCapacity(body.count + body.count / 3)
    for (i, c) in body.enumerated() {
      if i > 0 && (body.count - i) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return sign + out
  }

  /// Row `r` of a typed column.
  public static func from(_ b: ColumnBuffer, row r: Int) -> ReportCell {
    guard b.isValid(r) else { return .null }
    switch b.type {
    case .string, .binary:
      return .text(String(decoding: b.bytes(at: r), as: UTF8.self))
    case .int32: return .integer(Int64(b.int32s[r]))
    case .int64: return .integer(b.int64s[r])
    case .boolean: return .boolean(b.booleans[r])
    case .float: return .real(Double(b.floats[r]))
    case .double: return .real(b.doubles[r])
    case .date: return .date(b.int32s[r])
    case .timestamp: return .timestamp(b.int64s[r])
    case .decimal(_, let s):
      if b.type.storage == .int64 { return .decimal(b.int64s[r], scale: s) }
      let v = b.int128s[r]
      if let small = Int64(exactly: v) { return .decimal(small, scale: s) }
      // Beyond Int64 (p > 18, read only): spelled exactly, not summed in charts.
      return .text(decimalText(digits: String(v.magnitude), negative: v < 0, scale: s, false))
    }
  }
}

/// Text from the data made safe for a terminal (and for Markdown and HTML, which show the
/// pretty spelling): control characters never pass raw.
public enum TerminalText {
  /// C0 controls (NUL…US, also tab, CR and LF), DEL and C1 controls (U+0080…U+009F) spelled as
  /// escapes: `\n`, `\r`, `\t`, `\x1B`, `\u{9B}`; everything else unchanged.
  public static func escape(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for u in text.unicodeScalars {
      guard isControl(u) else {
        out.unicodeScalars.append(u)
        continue
      }
      switch u {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        let hex = String(u.value, radix: 16, uppercase: true)
        out += u.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{" + hex + "}"
      }
    }
    return out
  }

  /// A C0 or C1 control character or DEL.
  static func isControl(_ u: Unicode.Scalar) -> Bool {
    u.value < 0x20 || (0x7F...0x9F).contains(u.value)
  }
}
