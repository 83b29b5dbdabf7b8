import Foundation
import LakeTestSupport
import Testing

/// lh-report reads Delta tables as Spark, Databricks and delta-rs write them: an independent suite
/// made by `tests/peers/peer_tables.py` (deltalake, pyarrow and hand-written logs), each table
/// with what a reader must make of it, cross-checked by deltalake when it writes the table.
///
/// Each table is its own case: lh-report's NDJSON of the latest version and of every older
/// version the table keeps (`--as-of`) must hold exactly the expected rows (values compared in
/// lh's canonical form, so `1.50` and `"1.50"` or `…T10:00:00Z` and `…T10:00:00.000000Z` are the
/// same); versions whose commits were cleaned up must fail with one line; a table with a feature
/// lh cannot honour must be refused with one line naming the feature, status 65.
@Suite("peer-written Delta tables", .enabled(if: peersPython != nil || peersRequired))
struct PeerTablesTests {
  /// The cases of `peer_tables.py`, in its order (a test checks the script makes exactly these).
  static let cases = [
    "spark_log", "spark_checkpoint", "spark_checkpoint_cleaned", "multipart_checkpoint",
    "last_checkpoint_missing", "last_checkpoint_stale", "last_checkpoint_corrupt",
    "deltalake_checkpoints", "time_travel", "schema_evolution", "primitives", "timestamp_ntz",
    "partition_byte", "partition_short", "partition_integer", "partition_long", "partition_float",
    "partition_double", "partition_decimal", "partition_decimal38", "partition_string",
    "partition_boolean", "partition_date", "partition_timestamp", "partition_timestamp_ntz",
    "nested", "column_mapping_name", "column_mapping_id", "schemaless_first_metadata",
    "databricks_empty", "deletion_vectors", "unknown_reader_feature", "variant",
  ]

  @Test("the script makes exactly the listed tables")
  func caseList() throws {
    let dir = try PeerSuite.directory.get()
    let text = try String(contentsOf: dir.appendingPathComponent("cases.json"), encoding: .utf8)
    let names = try JSONDecoder().decode([String].self, from: Data(text.utf8))
    #expect(names == Self.cases)
  }

  @Test("lh-report reads the table as the peers do", arguments: cases)
  func table(_ name: String) throws {
    let dir = try PeerSuite.directory.get()
    let expectedText = try String(
      contentsOf: dir.appendingPathComponent("\(name).expected.json"), encoding: .utf8)
    let expected = try JSONText.parse(expectedText)
    let path = dir.appendingPathComponent(name).path
    let covers = expected["covers"]?.stringValue ?? ""

    if let feature = expected["refuse"]?.stringValue {
      let r = try TestTools.run("lh-report", [path, "--format", "ndjson"])
      let lines = r.stderr.split(separator: "\n")
      #expect(
        r.status == 65 && r.stdout.isEmpty && lines.count == 1
          && r.stderr.contains(feature),
        "\(name) (\(covers)): must be refused with one line naming \(feature), status 65; got status \(r.status), \(r.stdout.count) bytes out, stderr: \(r.stderr)"
      )
      return
    }

    let latest = expected["latest"]?.intValue ?? -1
    guard case .object(let versions)? = expected["versions"] else {
      Issue.record("\(name): expected.json has no versions")
      return
    }
    for (version, want) in versions {
      let asOf = Int(version) == latest ? [] : ["--as-of", version]
      let r = try TestTools.run("lh-report", [path, "--format", "ndjson", "-q"] + asOf)
      let label = "\(name) version \(version)\(asOf.isEmpty ? " (latest)" : " (--as-of)")"
      guard r.status == 0 else {
        Issue.record(
          "\(label): lh-report exited \(r.status): \(r.stderr.split(separator: "\n").first ?? "") — \(covers)"
        )
        continue
      }
      guard case .array(let fields)? = want["schema"], case .array(let rows)? = want["rows"] else {
        Issue.record("\(label): expected.json lacks schema or rows")
        continue
      }
      let wantLines = try rows.map { try Canon.row($0, fields) }.sorted()
      var gotLines: [String] = []
      for line in r.output.split(separator: "\n") {
        do {
          gotLines.append(try Canon.row(try JSONText.parse(String(line)), fields))
        } catch {
          Issue.record("\(label): \(error) in lh's line \(line)")
          return
        }
      }
      gotLines.sort()
      if gotLines != wantLines {
        let firstDiff = zip(gotLines, wantLines).first { $0 != $1 }
        let detail =
          firstDiff.map { "lh: \($0.0)\n  expected: \($0.1)" }
          ?? "lh wrote \(gotLines.count) rows, expected \(wantLines.count): \(gotLines.first ?? wantLines.first ?? "")"
        Issue.record("\(label): rows differ — \(covers)\n  \(detail)")
      }
    }
    if case .array(let gone)? = expected["unreconstructible"] {
      for v in gone {
        let version = v.intValue.map(String.init) ?? "?"
        let r = try TestTools.run("lh-report", [path, "--format", "ndjson", "--as-of", version])
        #expect(
          r.status != 0 && r.status < 128 && r.stdout.isEmpty
            && r.stderr.split(separator: "\n").count == 1,
          "\(name) --as-of \(version) (cleaned up): must fail with one line; got status \(r.status), stderr: \(r.stderr)"
        )
      }
    }
  }
}

/// The suite, made once per test process in a temporary directory.
enum PeerSuite {
  static let directory: Result<URL, PeerSuiteError> = {
    guard let python = peersPython else { return .failure(.init("LH_PEERS_PYTHON is not set")) }
    do {
      let dir = try TestTools.temporaryDirectory("lh-peer-tables")
      let script = TestTools.repositoryRoot().appendingPathComponent("tests/peers/peer_tables.py")
      let r = try TestTools.run(python, [script.path, dir.path])
      guard r.status == 0 else {
        return .failure(.init("peer_tables.py exited \(r.status): \(r.stderr)"))
      }
      return .success(dir)
    } catch {
      return .failure(.init("peer_tables.py: \(error)"))
    }
  }()
}

struct PeerSuiteError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}

/// A JSON value that keeps numbers as their text (decimals of 38 digits and int64 stay exact).
indirect enum JSONText: Equatable {
  case null
  case bool(Bool)
  case number(String)
  case string(String)
  case array([JSONText])
  case object([(String, JSONText)])

  static func == (a: JSONText, b: JSONText) -> Bool {
    switch (a, b) {
    case (.null, .null): true
    case (.bool(let x), .bool(let y)): x == y
    case (.number(let x), .number(let y)), (.string(let x), .string(let y)): x == y
    case (.array(let x), .array(let y)): x == y
    case (.object(let x), .object(let y)):
      x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: false
    }
  }

  subscript(key: String) -> JSONText? {
    if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
    return nil
  }

  var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  var intValue: Int? {
    if case .number(let s) = self { return Int(s) }
    return nil
  }

  struct ParseError: Error, CustomStringConvertible {
    var description: String
  }

  static func parse(_ text: String) throws -> JSONText {
    var p = Parser(bytes: Array(text.utf8))
    let v = try p.value()
    p.skipSpace()
    guard p.i == p.bytes.count else { throw ParseError(description: "trailing bytes in JSON") }
    return v
  }

  struct Parser {
    let bytes: [UInt8]
    var i = 0

    mutating func skipSpace() {
      while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
    }

    mutating func value() throws -> JSONText {
      skipSpace()
      guard i < bytes.count else { throw ParseError(description: "JSON ends early") }
      switch bytes[i] {
      case UInt8(ascii: "{"):
        i += 1
        var pairs: [(String, JSONText)] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
          i += 1
          return .object(pairs)
        }
        while true {
          skipSpace()
          let key = try string()
          skipSpace()
          try expect(":")
          pairs.append((key, try value()))
          skipSpace()
          if try next() == UInt8(ascii: "}") { return .object(pairs) }
        }
      case UInt8(ascii: "["):
        i += 1
        var items: [JSONText] = []
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
          i += 1
          return .array(items)
        }
        while true {
          items.append(try value())
          skipSpace()
          if try next() == UInt8(ascii: "]") { return .array(items) }
        }
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"):
        i += 4
        return .bool(true)
      case UInt8(ascii: "f"):
        i += 5
        return .bool(false)
      case UInt8(ascii: "n"):
        i += 4
        return .null
      default:
        let start = i
        while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
        guard i > start else { throw ParseError(description: "bad JSON at byte \(i)") }
        return .number(String(decoding: bytes[start..<i], as: UTF8.self))
      }
    }

    mutating func next() throws -> UInt8 {
      guard i < bytes.count else { throw ParseError(description: "JSON ends early") }
      defer { i += 1 }
      return bytes[i]
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
      guard try next() == UInt8(ascii: c) else {
        throw ParseError(description: "expected \(c) at byte \(i - 1)")
      }
    }

    mutating func string() throws -> String {
      try expect("\"")
      var out: [UInt8] = []
      while true {
        let c = try next()
        if c == UInt8(ascii: "\"") { break }
        guard c == UInt8(ascii: "\\") else {
          out.append(c)
          continue
        }
        let e = try next()
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "u"):
          var code = try hex4()
          if (0xD800..<0xDC00).contains(code), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\") {
            i += 2
            let low = try hex4()
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          }
          out.append(contentsOf: Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8))
        default: out.append(e)
        }
      }
      return String(decoding: out, as: UTF8.self)
    }

    mutating func hex4() throws -> UInt32 {
      guard i + 4 <= bytes.count,
        let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16)
      else { throw ParseError(description: "bad \\u escape") }
      i += 4
      return v
    }
  }
}

/// lh's canonical form (tests/peers/README.md) of a row under Delta schema fields, as one line of
/// text: what the expectation holds and what lh-report's NDJSON must mean.
enum Canon {
  static func row(_ row: JSONText, _ fields: [JSONText]) throws -> String {
    guard case .object(var pairs) = row else {
      throw JSONText.ParseError(description: "a row is not an object")
    }
    let names = fields.compactMap { $0["name"]?.stringValue }
    // A struct column lh flattened into `s.a`, `s.b`: put it back together.
    for name in names where !pairs.contains(where: { $0.0 == name }) {
      let prefix = name + "."
      let parts = pairs.filter { $0.0.hasPrefix(prefix) }
      guard !parts.isEmpty else { continue }
      pairs.removeAll { $0.0.hasPrefix(prefix) }
      pairs.append((name, unflatten(parts.map { (String($0.0.dropFirst(prefix.count)), $0.1) })))
    }
    let extra = pairs.map(\.0).filter { !names.contains($0) }
    let missing = names.filter { n in !pairs.contains { $0.0 == n } }
    guard extra.isEmpty && missing.isEmpty else {
      throw JSONText.ParseError(
        description: "columns differ (extra \(extra), missing \(missing))")
    }
    var out: [String] = []
    for f in fields {
      let name = f["name"]?.stringValue ?? ""
      let value = pairs.first { $0.0 == name }?.1 ?? .null
      out.append(quote(name) + ":" + render(value, type: f["type"] ?? .null))
    }
    return "{" + out.joined(separator: ",") + "}"
  }

  static func unflatten(_ parts: [(String, JSONText)]) -> JSONText {
    var pairs: [(String, JSONText)] = []
    var groups: [String: [(String, JSONText)]] = [:]
    var order: [String] = []
    for (key, value) in parts {
      if let dot = key.firstIndex(of: ".") {
        let head = String(key[..<dot])
        if groups[head] == nil { order.append(head) }
        groups[head, default: []].append((String(key[key.index(after: dot)...]), value))
      } else {
        pairs.append((key, value))
      }
    }
    for head in order { pairs.append((head, unflatten(groups[head] ?? []))) }
    return .object(pairs)
  }

  /// The canonical text of `value` of Delta type `type`.
  static func render(_ value: JSONText, type: JSONText) -> String {
    if case .null = value { return "null" }
    if case .object = type, let kind = type["type"]?.stringValue {
      var v = value
      // Nested values written as JSON text in a string cell.
      if case .string(let s) = value, let parsed = try? JSONText.parse(s) { v = parsed }
      switch (kind, v) {
      case ("struct", .object(let pairs)):
        guard case .array(let fields)? = type["fields"] else { return "?" }
        let parts = fields.map { f -> String in
          let n = f["name"]?.stringValue ?? ""
          return quote(n) + ":"
            + render(pairs.first { $0.0 == n }?.1 ?? .null, type: f["type"] ?? .null)
        }
        return "{" + parts.joined(separator: ",") + "}"
      case ("array", .array(let items)):
        return "["
          + items.map { render($0, type: type["elementType"] ?? .null) }.joined(separator: ",")
          + "]"
      case ("map", _):
        var entries: [(String, String)] = []
        switch v {
        case .object(let pairs):
          entries = pairs.map { ($0.0, render($0.1, type: type["valueType"] ?? .null)) }
        case .array(let items):
          for item in items {
            if case .array(let kv) = item, kv.count == 2 {
              entries.append((plainKey(kv[0]), render(kv[1], type: type["valueType"] ?? .null)))
            } else if let k = item["key"] {
              entries.append(
                (plainKey(k), render(item["value"] ?? .null, type: type["valueType"] ?? .null)))
            }
          }
        default: return "!" + describe(v)
        }
        return "{" + entries.map { quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
      default: return "!" + describe(v)
      }
    }
    let t = type.stringValue ?? ""
    switch (t, value) {
    case ("byte", .number(let n)), ("short", .number(let n)), ("integer", .number(let n)),
      ("long", .number(let n)):
      return Int64(n).map(String.init) ?? n
    case ("double", .number(let n)): return Double(n).map { "\($0)" } ?? n
    case ("float", .number(let n)): return Double(n).map { "\(Float($0))" } ?? n
    case ("float", .string(let s)), ("double", .string(let s)):
      // NaN and infinities: canonical strings; lh-report's NDJSON writes null for them.
      return ["NaN", "Infinity", "-Infinity"].contains(s) ? "null" : quote(s)
    case (_, .number(let n)) where t.hasPrefix("decimal("):
      return quote(decimal(n, scale: scale(t)))
    case (_, .string(let s)) where t.hasPrefix("decimal("):
      return quote(decimal(s, scale: scale(t)))
    case ("timestamp", .string(let s)), ("timestamp_ntz", .string(let s)):
      return quote(timestamp(s))
    case ("binary", .string(let s)):
      if s.hasPrefix("0x"), s.dropFirst(2).allSatisfy({ $0.isHexDigit }) { return quote(s) }
      return quote("0x" + s.utf8.map { String(format: "%02x", $0) }.joined())
    case (_, .string(let s)): return quote(s)
    case (_, .bool(let b)): return b ? "true" : "false"
    default: return "!" + describe(value)
    }
  }

  static func plainKey(_ v: JSONText) -> String {
    switch v {
    case .string(let s): s
    case .number(let n): n
    default: describe(v)
    }
  }

  static func describe(_ v: JSONText) -> String {
    switch v {
    case .null: "null"
    case .bool(let b): "\(b)"
    case .number(let n): n
    case .string(let s): quote(s)
    case .array(let items): "[" + items.map(describe).joined(separator: ",") + "]"
    case .object(let pairs):
      "{" + pairs.map { quote($0.0) + ":" + describe($0.1) }.joined(separator: ",") + "}"
    }
  }

  static func scale(_ t: String) -> Int {
    Int(t.split(separator: ",").last?.dropLast() ?? "0") ?? 0
  }

  /// A decimal's text with exactly `scale` fraction digits (only zeros are added or dropped).
  static func decimal(_ text: String, scale: Int) -> String {
    var s = Substring(text)
    let negative = s.hasPrefix("-")
    if negative || s.hasPrefix("+") { s = s.dropFirst() }
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    var whole = String(parts[0].drop { $0 == "0" })
    if whole.isEmpty { whole = "0" }
    var fraction = parts.count > 1 ? String(parts[1]) : ""
    while fraction.count > scale, fraction.hasSuffix("0") { fraction.removeLast() }
    while fraction.count < scale { fraction += "0" }
    let body = scale == 0 && fraction.isEmpty ? whole : whole + "." + fraction
    let zero = body.allSatisfy { $0 == "0" || $0 == "." }
    return (negative && !zero ? "-" : "") + body
  }

  /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` of an RFC 3339 UTC time (any fraction, `Z` or `+00:00`, or
  /// none for a timestamp without time zone).
  static func timestamp(_ text: String) -> String {
    var s = text.replacingOccurrences(of: " ", with: "T")
    if s.hasSuffix("Z") { s.removeLast() }
    if s.hasSuffix("+00:00") { s.removeLast(6) }
    var parts = s.split(separator: ".", maxSplits: 1).map(String.init)
    if parts.count == 1 { parts.append("") }
    while parts[1].count < 6 { parts[1] += "0" }
    return parts[0] + "." + parts[1] + "Z"
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          out += String(format: "\\u%04x", u.value)
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }
}
