// LakeStages/Report/ReportCell.swift
//
// The values lh-report renders, whatever they came from (a Delta table's typed columns, a
// Parquet file, NDJSON lines), and their two spellings:
//
//   plain   CSV, NDJSON: `12345`, `1234.50`, `0.052631578947368418`, `2026-01-01T00:05:00Z`
//   pretty  text, Markdown, HTML: `12,345`, `1,234.50`, `0.0526`, `2026-01-01T00:05:00Z`
//
// A timestamp_ntz (a wall clock of a peer's table) is spelled without the zone,
// `2024-01-02T03:04:05.123456`; a nested value (json) is its JSON text, which NDJSON writes as
// the value itself; decimals beyond Int64 (precision up to 38) are exact in both spellings.
//
// Decimals keep their scale in both (money shows its cents); doubles are shown with four
// decimals when pretty (ratios; whole from 1e14, exponent form beyond Int64; NaN, inf, -inf),
// in Swift's shortest round-trip form when plain (none for NaN and infinities: CSV leaves the
// cell empty, NDJSON writes null).

import LakeFormats
import LakeIO

/// What a report column holds, which decides alignment and spelling.
public enum ReportKind: Sendable, Equatable {
  case text, integer, real, boolean, date, timestamp
  /// A timestamp without time zone.
  case timestampNtz
  /// A nested value's JSON text.
  case json
  case decimal(scale: Int)

  /// Numbers are right-aligned and get thousands separators when pretty.
  public var isNumeric: Bool {
    switch self {
    case .integer, .real, .decimal: true
    default: false
    }
  }

  /// Dates and timestamps can be the time axis of a chart.
  public var isTime: Bool { self == .date || self == .timestamp || self == .timestampNtz }

  /// The kind of a table column type.
  public init(_ type: ColumnType) {
    switch type {
    case .boolean: self = .boolean
    case .int32, .int64: self = .integer
    case .float, .double: self = .real
    case .string, .binary: self = .text
    case .date: self = .date
    case .timestamp: self = .timestamp
    case .timestampNtz: self = .timestampNtz
    case .json: self = .json
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
  /// Microseconds since 1970-01-01T00:00:00 of a wall clock (no time zone).
  case timestampNtz(Int64)
  /// An unscaled decimal beyond Int64 (precision 19…38) and its scale.
  case wideDecimal(Int128, scale: Int)
  /// A nested value as JSON text.
  case json(String)

  /// The value as a number, for charts (nil for text, booleans and nulls).
  public var number: Double? {
    switch self {
    case .integer(let v): Double(v)
    case .decimal(let v, let s): Double(v) / Self.power(s)
    case .wideDecimal(let v, let s): Double(v) / Self.power(s)
    case .real(let v): v.isFinite ? v : nil
    default: nil
    }
  }

  /// The value as a point in time (µs), for chart axes.
  public var micros: Int64? {
    switch self {
    case .date(let d): Int64(d) * 86_400_000_000
    case .timestamp(let t), .timestampNtz(let t): t
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
    case .timestampNtz(let t): String(Self.timestampText(t).dropLast())
    case .wideDecimal(let v, let s):
      Self.decimalText(digits: String(v.magnitude), negative: v < 0, scale: s, false)
    case .json(let s): s
    }
  }

  /// The pretty spelling (text, Markdown, HTML): thousands separators, four decimals for
  /// doubles; empty for null.
  public var pretty: String {
    switch self {
    case .null: return ""
    case .integer(let v): return Self.grouped(String(v))
    case .decimal(let v, let s): return Self.decimalText(v, scale: s, grouped: true)
    case .wideDecimal(let v, let s):
      return Self.decimalText(digits: String(v.magnitude), negative: v < 0, scale: s, true)
    case .real(let v):
      if !v.isFinite { return v.isNaN ? "NaN" : (v < 0 ? "-inf" : "inf") }
      // From 1e14 on, four decimals are beyond a double's precision: whole and grouped, and
      // beyond Int64 in exponent form.
      if abs(v) >= 9e18 { return v.description }
      if abs(v) >= 1e14 { return Self.grouped(String(Int64(v.rounded()))) }
      return Self.decimalText(Int64((v * 10_000).rounded()), scale: 4, grouped: true)
    case .text(let s), .json(let s): return TerminalText.escape(s)
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
    case .timestampNtz: return .timestampNtz(b.int64s[r])
    case .json: return .json(String(decoding: b.bytes(at: r), as: UTF8.self))
    case .decimal(_, let s):
      if b.type.storage == .int64 { return .decimal(b.int64s[r], scale: s) }
      let v = b.int128s[r]
      if let small = Int64(exactly: v) { return .decimal(small, scale: s) }
      // Beyond Int64 (p > 18, read only): spelled exactly.
      return .wideDecimal(v, scale: s)
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

  /// The columns `text` takes on a terminal.
  ///
  /// Each grapheme cluster (a letter with its combining marks, an emoji sequence) is one
  /// character: East Asian wide and fullwidth characters and emoji shown as pictures take two
  /// columns, a cluster of only zero-width scalars (combining marks, joiners, format
  /// characters) none, anything else one (the rules of wcwidth(3), per cluster). Text is
  /// measured after `escape`, so controls never reach this.
  public static func width(_ text: String) -> Int {
    // Fast path: printable ASCII is one column per byte.
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text.utf8.count }
    var total = 0
    for c in text { total += width(c) }
    return total
  }

  /// The columns one character (grapheme cluster) takes.
  public static func width(_ c: Character) -> Int {
    var visible = false
    for u in c.unicodeScalars {
      if isWide(u) { return 2 }
      if !isZeroWidth(u) { visible = true }
    }
    return visible ? 1 : 0
  }

  /// Scalars that draw nothing of their own: combining marks, format characters (ZWJ, ZWSP,
  /// soft hyphen…), variation selectors and Hangul medial and final jamo.
  static func isZeroWidth(_ u: Unicode.Scalar) -> Bool {
    switch u.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return true
    default: break
    }
    return (0xFE00...0xFE0F).contains(u.value) || (0x1160...0x11FF).contains(u.value)
      || (0xE0100...0xE01EF).contains(u.value)
  }

  /// East Asian Wide (W) and Fullwidth (F) scalars (UAX #11), and emoji with an emoji
  /// presentation by default.
  static func isWide(_ u: Unicode.Scalar) -> Bool {
    let v = u.value
    guard v >= 0x1100 else { return false }
    if u.properties.isEmojiPresentation { return true }
    for r in wideRanges where r.contains(v) { return true }
    return false
  }

  /// The wide and fullwidth blocks (Unicode 15, EastAsianWidth.txt, W and F; emoji apart).
  static let wideRanges: [ClosedRange<UInt32>] = [
    0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
    0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF,
    0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4,
    0x17000...0x18CFF, 0x1B000...0x1B2FF, 0x1F200...0x1F2FF, 0x20000...0x2FFFD,
    0x30000...0x3FFFD,
  ]

  /// `text` cut to at most `width` columns, ending in `…` (`~` when `ascii`) when cut.
  ///
  /// A wide character that would straddle the limit is left out whole, so the result may be
  /// a column short; `pad` makes up the difference.
  public static func truncate(_ text: String, toWidth width: Int, ascii: Bool) -> String {
    guard Self.width(text) > width else { return text }
    guard width > 0 else { return "" }
    var out = ""
    var used = 0
    for c in text {
      let w = Self.width(c)
      if used + w > width - 1 { break }
      out.append(c)
      used += w
    }
    // "éclair …" reads as a word and a gap: the ellipsis follows the last letter.
    while out.last?.isWhitespace == true { out.removeLast() }
    return out + (ascii ? "~" : "…")
  }

  /// `text` padded with spaces to `width` columns: on the left when `right` (numbers), else
  /// on the right.
  public static func pad(_ text: String, toWidth width: Int, right: Bool) -> String {
    let fill = String(repeating: " ", count: max(0, width - Self.width(text)))
    return right ? fill + text : text + fill
  }
}
