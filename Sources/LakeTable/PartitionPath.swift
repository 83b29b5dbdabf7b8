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
