// LakeFormats/Parquet/Nested/NestedJSON.swift
//
// Nested values as JSON text (for reports, and for turning checkpoint structs such as
// `stats_parsed` back into the JSON text Delta keeps):
//
//   record → object · list → array · map with string keys → object, else [{"key":…,"value":…}]
//   timestamp → "2024-01-01T00:00:00.123Z" (milliseconds, or microseconds when they are not 0)
//   date → "2024-01-01" · decimal → exact number · binary → base64 text · NaN/±Inf → strings

extension NestedValue {
  /// Appends this value as JSON: record → object, list → array, map with string keys → object
  /// (else array of {"key":…,"value":…}), timestamps RFC 3339 UTC with Z (as DeltaStats writes
  /// them), dates YYYY-MM-DD, decimals as exact JSON numbers, binary as base64 text, NaN/Inf as
  /// strings.
  public func appendJSON(_ type: NestedType, to out: inout [UInt8]) {
    var j = JSONBuilder()
    swap(&j.bytes, &out)
    write(type, &j)
    swap(&j.bytes, &out)
  }

  /// The JSON text of this value.
  public func json(_ type: NestedType) -> String {
    var out: [UInt8] = []
    appendJSON(type, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  func write(_ type: NestedType, _ j: inout JSONBuilder) {
    switch (type, self) {
    case (_, .null):
      j.null()
    case (.record(let fields), .record(let values)):
      j.beginObject()
      for (f, v) in zip(fields, values) {
        j.key(f.name)
        v.write(f.type, &j)
      }
      j.endObject()
    case (.list(let element), .list(let items)):
      j.beginArray()
      for v in items { v.write(element.type, &j) }
      j.endArray()
    case (.map(let key, let value), .map(let entries)):
      if case .leaf(.string) = key.type,
        entries.allSatisfy({ if case .bytes = $0.key { true } else { false } })
      {
        j.beginObject()
        for e in entries {
          j.key(e.key.string ?? "")
          e.value.write(value.type, &j)
        }
        j.endObject()
      } else {
        j.beginArray()
        for e in entries {
          j.beginObject()
          j.key("key")
          e.key.write(key.type, &j)
          j.key("value")
          e.value.write(value.type, &j)
          j.endObject()
        }
        j.endArray()
      }
    case (.leaf(let t), _):
      writeLeaf(t, &j)
    default:
      // A value of another shape than its type: written as what it is.
      writeLeaf(nil, &j)
    }
  }

  func writeLeaf(_ t: ColumnType?, _ j: inout JSONBuilder) {
    switch (t, self) {
    case (.date?, .int(let days)):
      let d = CivilDate(daysSinceEpoch: days)
      var s = String(d.year)
      if d.year >= 0 && d.year < 1000 { s = String(repeating: "0", count: 4 - s.count) + s }
      j.string(
        s + "-" + (d.month < 10 ? "0" : "") + String(d.month) + "-"
          + (d.day < 10 ? "0" : "") + String(d.day))
    case (.timestamp?, .int(let micros)):
      let digits = micros % 1000 == 0 ? 3 : 6
      j.string(RFC3339.string(micros: micros, fractionDigits: digits))
    case (.decimal(_, let scale)?, .int(let x)):
      j.raw(Array(Self.decimalText(x.magnitude, negative: x < 0, scale: scale).utf8))
    case (.decimal(_, let scale)?, .int128(let x)):
      j.raw(Array(Self.decimalText(x.magnitude, negative: x < 0, scale: scale).utf8))
    case (_, .int(let x)):
      j.int(x)
    case (_, .int128(let x)):
      j.raw(Array(String(x).utf8))
    case (_, .boolean(let b)):
      j.bool(b)
    case (_, .double(let x)):
      if x.isNaN {
        j.string("NaN")
      } else if x.isInfinite {
        j.string(x < 0 ? "-Infinity" : "Infinity")
      } else if t == .float {
        j.raw(Array("\(Float(x))".utf8))
      } else {
        j.raw(Array("\(x)".utf8))
      }
    case (.binary?, .bytes(let b)):
      j.string(bytes: Self.base64(b))
    case (_, .bytes(let b)):
      j.string(bytes: b)
    case (_, .list(let items)):
      j.beginArray()
      for v in items { v.writeLeaf(nil, &j) }
      j.endArray()
    case (_, .record(let values)):
      j.beginArray()
      for v in values { v.writeLeaf(nil, &j) }
      j.endArray()
    case (_, .map(let entries)):
      j.beginArray()
      for e in entries {
        j.beginObject()
        j.key("key")
        e.key.writeLeaf(nil, &j)
        j.key("value")
        e.value.writeLeaf(nil, &j)
        j.endObject()
      }
      j.endArray()
    case (_, .null):
      j.null()
    }
  }

  static func decimalText<T: UnsignedInteger>(_ magnitude: T, negative: Bool, scale: Int)
    -> String
  {
    var digits = String(magnitude)
    if scale > 0 {
      while digits.count <= scale { digits = "0" + digits }
      digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
    }
    return (negative ? "-" : "") + digits
  }

  /// Standard base64 (RFC 4648, with padding).
  static func base64(_ b: [UInt8]) -> [UInt8] {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((b.count + 2) / 3 * 4)
    var i = 0
    while i + 3 <= b.count {
      let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
      for s in [18, 12, 6, 0] { out.append(alphabet[Int((v >> UInt32(s)) & 63)]) }
      i += 3
    }
    let rest = b.count - i
    if rest > 0 {
      var v = UInt32(b[i]) << 16
      if rest == 2 { v |= UInt32(b[i + 1]) << 8 }
      out.append(alphabet[Int((v >> 18) & 63)])
      out.append(alphabet[Int((v >> 12) & 63)])
      out.append(rest == 2 ? alphabet[Int((v >> 6) & 63)] : 0x3D)
      out.append(0x3D)
    }
    return out
  }
}
