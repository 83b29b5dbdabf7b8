// LakeTable/PartitionPath.swift
//
// Hive-style partition directories and the URI-encoded paths Delta's `add` actions carry
// (formats.md §9 "Partitions"; delta-io/delta PROTOCOL.md "Partition Value Serialization").
//
//   value "a/b%c"  ──hive──▶  dir  region=a%2Fb%25c
//                  ──uri───▶  add.path  region=a%252Fb%2525c/part-….parquet
//
// Two layers, both needed: the directory name escapes characters a file system or Hive reader
// treats specially; the log's `path` is a URI, so its own `%` must be encoded again. Getting one
// layer wrong makes delta-rs and Polars look for the wrong file (delta-io/delta-rs#3577).

import LakeFormats
import LakeIO

/// Encoding and decoding of partition directory names and log paths.
public enum PartitionPath {
  /// The directory value Hive and Delta use for a null partition value.
  public static let nullDirectoryValue = "__HIVE_DEFAULT_PARTITION__"

  /// The directory segment `column=value` for one partition value (nil means null).
  ///
  /// The column is escaped like a value, so the segment is always one directory name that starts
  /// with `column=`: a `/`, NUL or `..` in a value or a column can never leave the table.
  public static func segment(column: String, value: String?) -> String {
    guard let value, !value.isEmpty else { return hiveEscape(column) + "=" + nullDirectoryValue }
    return hiveEscape(column) + "=" + hiveEscape(value)
  }

  /// Escapes a partition value for a directory name: `%XX` (upper case) for the characters
  /// `"#%'*/:=?\{[]^`, for the control characters 0x00–0x1F and for 0x7F; other bytes
  /// (UTF-8 included) stay as they are.
  public static func hiveEscape(_ value: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(value.utf8.count)
    for b in value.utf8 {
      if b < 0x20 || b == 0x7F || hiveSpecial.contains(b) {
        out.append(0x25)
        out.append(hexDigit(b >> 4))
        out.append(hexDigit(b & 15))
      } else {
        out.append(b)
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Reverses `hiveEscape`; nil when a `%` is not followed by two hex digits.
  public static func hiveUnescape(_ text: String) -> String? {
    percentDecode(text).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Encodes a table-relative file path for a Delta log `path`: every byte outside
  /// `A–Z a–z 0–9 - . _ ~ / =` becomes `%XX`, so `%`, spaces and non-ASCII are encoded.
  public static func uriEncode(_ path: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(path.utf8.count + 8)
    for b in path.utf8 {
      if isUnreserved(b) || b == 0x2F || b == 0x3D {
        out.append(b)
      } else {
        out.append(0x25)
        out.append(hexDigit(b >> 4))
        out.append(hexDigit(b & 15))
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes a Delta log `path` back to the file's relative path.
  ///
  /// - Throws: `LakeFailure(.data)` for a malformed escape, or for a path that would leave the
  ///   table directory (absolute, or with a `..` segment).
  public static func uriDecode(_ path: String) throws -> String {
    guard let bytes = percentDecode(path) else {
      throw LakeFailure(.data, "malformed percent-encoding in path '\(path)'")
    }
    let decoded = String(decoding: bytes, as: UTF8.self)
    if bytes.first == 0x2F || bytes.contains(0)
      || decoded.split(separator: "/", omittingEmptySubsequences: false).contains("..")
    {
      throw LakeFailure(.data, "path '\(path)' leaves the table directory")
    }
    return decoded
  }

  static let hiveSpecial: Set<UInt8> = Set(##""#%'*/:=?\{[]^"##.utf8)

  static func isUnreserved(_ b: UInt8) -> Bool {
    (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b)
      || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
  }

  static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x41 + v - 10 }

  static func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x41...0x46: c - 0x41 + 10
    case 0x61...0x66: c - 0x61 + 10
    default: nil
    }
  }

  static func percentDecode(_ text: String) -> [UInt8]? {
    let bytes = Array(text.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
      if bytes[i] == 0x25 {
        guard i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
        else { return nil }
        out.append(hi << 4 | lo)
        i += 3
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return out
  }
}

// Partition values as Delta serializes them (PROTOCOL.md "Partition Value Serialization"): text
// in `add.partitionValues`, null as JSON null, "" or `__HIVE_DEFAULT_PARTITION__`.
//
//   string                    as is
//   byte short integer long   decimal digits               float double   "1.5", "-0", "NaN", "Infinity"
//   boolean                   "true" / "false"             date           "2024-01-02"
//   decimal(p,s)              "12.30", "-1E-9" (exact: no more digits than p, s allows)
//   timestamp                 "2024-01-02 03:04:05[.ffffff]" (UTC) or ISO 8601 with an offset
//   timestamp_ntz             "2024-01-02 03:04:05[.ffffff]" (a wall clock)
//   binary                    the bytes, each as `\u00XX` (delta-rs), or the UTF-8 text (Spark)
extension PartitionPath {
  /// Appends `rows` copies of the partition value `text` (nil: null) as a value of `out`'s type;
  /// false when the text is not a value of that type.
  public static func appendValue(_ text: String?, to out: inout ColumnBuffer, rows: Int) -> Bool {
    guard let text, !text.isEmpty, text != nullDirectoryValue else {
      out.appendNulls(rows)
      return true
    }
    switch out.type {
    case .string:
      for _ in 0..<rows { out.append(string: text) }
    case .binary:
      let bytes = binaryValue(text)
      for _ in 0..<rows { out.append(bytes: bytes) }
    case .int32:
      guard let v = Int32(text) else { return false }
      out.append(v, repeating: rows)
    case .int64:
      guard let v = Int64(text) else { return false }
      for _ in 0..<rows { out.append(v) }
    case .float:
      guard let v = Float(text) else { return false }
      for _ in 0..<rows { out.append(v) }
    case .double:
      guard let v = Double(text) else { return false }
      for _ in 0..<rows { out.append(v) }
    case .boolean:
      let t = text.lowercased()
      guard t == "true" || t == "false" else { return false }
      for _ in 0..<rows { out.append(t == "true") }
    case .date:
      guard text.utf8.count == 10, let micros = RFC3339.parse(text + "T00:00:00Z") else {
        return false
      }
      out.append(Int32(truncatingIfNeeded: micros / 86_400_000_000), repeating: rows)
    case .timestamp, .timestampNtz:
      guard let v = timestampValue(text) else { return false }
      for _ in 0..<rows { out.append(v) }
    case .decimal(let p, let s):
      guard let v = decimalValue(text, precision: p, scale: s) else { return false }
      if out.type.storage == .int64 {
        for _ in 0..<rows { out.append(Int64(v)) }
      } else {
        for _ in 0..<rows { out.append(v) }
      }
    case .json:
      return false
    }
    return true
  }

  /// Microseconds of `2024-01-02 03:04:05[.ffffff]` (read as UTC) or of an RFC 3339 timestamp.
  public static func timestampValue(_ text: String) -> Int64? {
    let zoned =
      (text.utf8.last.map { $0 < 0x30 || $0 > 0x39 } ?? false)
      || text.utf8.dropFirst(19).contains { $0 == 0x2B || $0 == 0x2D }
    return RFC3339.parse(zoned ? text : text + "Z")
  }

  /// The bytes of a binary partition value: `\uXXXX` escapes (delta-rs writes every byte so)
  /// become the byte (or the UTF-8 of a scalar above 0xFF); other text is its UTF-8.
  public static func binaryValue(_ text: String) -> [UInt8] {
    let b = Array(text.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    var i = 0
    while i < b.count {
      if b[i] == 0x5C, i + 5 < b.count, b[i + 1] == 0x75,
        let h0 = hexValue(b[i + 2]), let h1 = hexValue(b[i + 3]), let h2 = hexValue(b[i + 4]),
        let h3 = hexValue(b[i + 5])
      {
        let v = UInt32(h0) << 12 | UInt32(h1) << 8 | UInt32(h2) << 4 | UInt32(h3)
        if v <= 0xFF {
          out.append(UInt8(v))
        } else if let u = Unicode.Scalar(v) {
          out.append(contentsOf: Array(String(Character(u)).utf8))
        }
        i += 6
      } else {
        out.append(b[i])
        i += 1
      }
    }
    return out
  }

  /// The unscaled value of decimal text (`-12.30`, `1E-9`, `1.2e+3`) at `scale`; nil when it
  /// has more significant fraction digits than `scale` or more digits than `precision`.
  public static func decimalValue(_ text: String, precision: Int, scale: Int) -> Int128? {
    var b = Array(text.utf8)[...]
    var negative = false
    if let f = b.first, f == 0x2D || f == 0x2B {
      negative = f == 0x2D
      b = b.dropFirst()
    }
    var exponent = 0
    if let e = b.firstIndex(where: { $0 == 0x45 || $0 == 0x65 }) {
      guard let x = Int(String(decoding: b[(e + 1)...], as: UTF8.self)), abs(x) < 100 else {
        return nil
      }
      exponent = x
      b = b[..<e]
    }
    var digits: [UInt8] = []
    var fraction = 0
    var seenPoint = false
    for c in b {
      if c == 0x2E, !seenPoint {
        seenPoint = true
      } else if c >= 0x30 && c <= 0x39 {
        digits.append(c - 0x30)
        if seenPoint { fraction += 1 }
      } else {
        return nil
      }
    }
    guard !digits.isEmpty else { return nil }
    // value = digits × 10^(exponent − fraction); unscaled = digits × 10^(exponent − fraction + scale)
    var shift = exponent - fraction + scale
    while shift < 0 {
      guard digits.last == 0 else { return nil }
      digits.removeLast()
      shift += 1
      if digits.isEmpty { digits = [0] }
    }
    while digits.count > 1 && digits[0] == 0 { digits.removeFirst() }
    // At most 38 digits: 10^38 still fits an Int128 (about 1.7 × 10^38).
    guard digits.count + shift <= 38 else { return nil }
    var v: Int128 = 0
    for d in digits { v = v * 10 + Int128(d) }
    for _ in 0..<shift { v *= 10 }
    var limit: Int128 = 1
    for _ in 0..<min(precision, 38) { limit *= 10 }
    guard v < limit else { return nil }
    return negative ? -v : v
  }
}
