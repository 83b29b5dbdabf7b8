// LakeStages/Report/ReportLineDecoder.swift
//
// NDJSON rows of no known schema (lh-gold --stream's windows, any tool's rows) as report cells.
// The first block of lines decides the columns: keys in order of first appearance; a key whose
// values are all integers is an integer column, all plain decimals a decimal column at the
// largest scale seen, other numbers doubles; strings that all read as RFC 3339 timestamps or
// YYYY-MM-DD dates are times; anything mixed is text. Later lines fit these columns (a value
// that does not is shown as its text; a key not seen in the first block is left out).

import LakeContracts
import LakeFormats
import LakeIO

/// Decodes NDJSON lines into report cells.
struct ReportLineDecoder {
  let source: String
  var columns: [ReportColumn] = []
  var scanner = NDJSONScanner()
  var fields: [JSONField] = []

  init(source: String) { self.source = source }

  enum Seen {
    case none, integer
    case decimal(Int)
    case real, text, timestamp, date, boolean
  }

  static func scale(of token: UnsafeRawBufferPointer) -> Int? {
    guard !token.contains(where: { $0 == 0x65 || $0 == 0x45 }) else { return nil }
    guard let dot = token.firstIndex(of: 0x2E) else { return 0 }
    return token.count - dot - 1
  }

  static func merge(_ a: Seen, _ b: Seen) -> Seen {
    switch (a, b) {
    case (.none, _): return b
    case (_, .none): return a
    case (.integer, .integer): return .integer
    case (.integer, .decimal(let s)), (.decimal(let s), .integer): return .decimal(s)
    case (.decimal(let x), .decimal(let y)): return .decimal(max(x, y))
    case (.integer, .real), (.real, .integer), (.decimal, .real), (.real, .decimal), (.real, .real):
      return .real
    case (.timestamp, .timestamp): return .timestamp
    case (.date, .date): return .date
    case (.boolean, .boolean): return .boolean
    default: return .text
    }
  }

  /// Decides the columns from the first lines (invalid lines are reported by `cells`).
  mutating func decideColumns(_ lines: [[UInt8]]) {
    var names: [String] = []
    var seen: [String: Seen] = [:]
    for line in lines {
      line.withUnsafeBytes { raw in
        guard (try? scanner.scan(raw, into: &fields)) != nil else { return }
        for f in fields {
          var key: [UInt8] = []
          try? JSONValue.unescape(f.keyBytes(in: raw), into: &key)
          let name = String(decoding: key, as: UTF8.self)
          if seen[name] == nil {
            names.append(name)
            seen[name] = Seen.none
          }
          let value = f.valueBytes(in: raw)
          let kind: Seen
          switch f.kind {
          case .null: kind = .none
          case .bool: kind = .boolean
          case .number:
            if JSONValue.int64(value) != nil && Self.scale(of: value) == 0 {
              kind = .integer
            } else if let s = Self.scale(of: value), s <= 18,
              JSONValue.decimal(value, precision: 18, scale: s) != nil
            {
              kind = .decimal(s)
            } else {
              kind = .real
            }
          case .string:
            if !f.valueHasEscapes && DateText.parse(value) != nil {
              kind = .date
            } else if !f.valueHasEscapes && value.count >= 20 && RFC3339.parse(value) != nil {
              kind = .timestamp
            } else {
              kind = .text
            }
          case .object, .array: kind = .text
          }
          seen[name] = Self.merge(seen[name] ?? .none, kind)
        }
      }
    }
    columns = names.map { name in
      let kind: ReportKind
      switch seen[name] ?? .none {
      case .integer: kind = .integer
      case .decimal(let s): kind = .decimal(scale: s)
      case .real: kind = .real
      case .timestamp: kind = .timestamp
      case .date: kind = .date
      case .boolean: kind = .boolean
      case .none, .text: kind = .text
      }
      return ReportColumn(name, kind)
    }
  }

  /// The cells of one line, in column order.
  mutating func cells(_ line: [UInt8], line number: Int) throws -> [ReportCell] {
    var row = [ReportCell](repeating: .null, count: columns.count)
    let columns = self.columns
    let source = self.source
    try line.withUnsafeBytes { raw in
      do {
        try scanner.scan(raw, into: &fields)
      } catch let e as LakeError {
        throw LakeFailure(.data, "\(source):\(number): \(e)")
      }
      for f in fields {
        var key: [UInt8] = []
        try? JSONValue.unescape(f.keyBytes(in: raw), into: &key)
        let name = String(decoding: key, as: UTF8.self)
        guard let c = columns.firstIndex(where: { $0.name == name }) else { continue }
        row[c] = Self.cell(f, raw, columns[c].kind)
      }
    }
    return row
  }

  static func cell(_ f: JSONField, _ raw: UnsafeRawBufferPointer, _ kind: ReportKind) -> ReportCell
  {
    let value = f.valueBytes(in: raw)
    func text() -> ReportCell {
      if f.kind == .string {
        var out: [UInt8] = []
        try? JSONValue.unescape(value, into: &out)
        return .text(String(decoding: out, as: UTF8.self))
      }
      return .text(String(decoding: value, as: UTF8.self))
    }
    if f.kind == .null { return .null }
    switch kind {
    case .integer:
      if f.kind == .number, let v = JSONValue.int64(value) { return .integer(v) }
    case .decimal(let s):
      if f.kind == .number, let v = JSONValue.decimal(value, precision: 18, scale: s) {
        return .decimal(v, scale: s)
      }
    case .real:
      if f.kind == .number, let v = JSONValue.double(value) { return .real(v) }
    case .boolean:
      if f.kind == .bool { return .boolean(f.boolValue) }
    case .timestamp:
      if f.kind == .string, let t = RFC3339.parse(value) { return .timestamp(t) }
    case .date:
      if f.kind == .string, let d = DateText.parse(value) { return .date(d) }
    case .text, .timestampNtz, .json:
      break
    }
    return text()
  }
}
