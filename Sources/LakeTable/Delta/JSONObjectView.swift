// LakeTable/Delta/JSONObjectView.swift
//
// Reading small JSON objects (log actions, stats, schema strings) on top of the byte scanner:
// look up keys, decode scalars, descend into nested objects and arrays. The per-action path of
// log replay never touches Foundation JSON (style.md §6).

import LakeFormats
import LakeIO

/// A scanned JSON object over bytes that outlive it (copied in).
struct JSONObjectView {
  let bytes: [UInt8]
  let fields: [JSONField]

  /// Scans `text`, which must hold one JSON object.
  init(_ text: UnsafeRawBufferPointer) throws {
    try self.init(Array(text))
  }

  /// Scans `text`, which must hold one JSON object (kept, not copied).
  ///
  /// (A pointer must never escape `withUnsafeBytes`: the optimiser may free the array right
  /// after its last use, and a copy made later reads freed memory — a bug found on a long log.)
  init(_ text: [UInt8]) throws {
    bytes = text
    var scanner = NDJSONScanner()
    var fields: [JSONField] = []
    try bytes.withUnsafeBytes { try scanner.scan($0, into: &fields) }
    self.fields = fields
  }

  func field(_ key: String) -> JSONField? {
    let k = Array(key.utf8)
    return bytes.withUnsafeBytes { line in
      k.withUnsafeBytes { kb in fields.first { $0.hasKey(kb, in: line) } }
    }
  }

  /// Every key, unescaped, in order.
  var keys: [String] {
    bytes.withUnsafeBytes { line in
      fields.map { f in
        var out: [UInt8] = []
        try? JSONValue.unescape(f.keyBytes(in: line), into: &out)
        return String(decoding: out, as: UTF8.self)
      }
    }
  }

  func value(_ f: JSONField) -> [UInt8] {
    bytes.withUnsafeBytes { Array(f.valueBytes(in: $0)) }
  }

  /// The string at `key`; nil when absent or null; throws when another type.
  func string(_ key: String) throws -> String? {
    guard let f = field(key), f.kind != .null else { return nil }
    guard f.kind == .string else { throw LakeFailure(.data, "'\(key)' is not a string") }
    return try Self.decodeString(value(f))
  }

  static func decodeString(_ body: [UInt8]) throws -> String {
    var out: [UInt8] = []
    try body.withUnsafeBytes { try JSONValue.unescape($0, into: &out) }
    return String(decoding: out, as: UTF8.self)
  }

  /// The integer at `key`; nil when absent or null.
  func int(_ key: String) throws -> Int64? {
    guard let f = field(key), f.kind != .null else { return nil }
    guard f.kind == .number, let v = value(f).withUnsafeBytes({ JSONValue.int64($0) }) else {
      throw LakeFailure(.data, "'\(key)' is not an integer")
    }
    return v
  }

  /// The boolean at `key`; nil when absent or null.
  func bool(_ key: String) throws -> Bool? {
    guard let f = field(key), f.kind != .null else { return nil }
    guard f.kind == .bool else { throw LakeFailure(.data, "'\(key)' is not a boolean") }
    return f.boolValue
  }

  /// The nested object at `key`; nil when absent or null.
  func object(_ key: String) throws -> JSONObjectView? {
    guard let f = field(key), f.kind != .null else { return nil }
    guard f.kind == .object else { throw LakeFailure(.data, "'\(key)' is not an object") }
    return try JSONObjectView(value(f))
  }

  /// The raw JSON text of the value at `key`.
  func rawValue(_ key: String) -> [UInt8]? {
    guard let f = field(key) else { return nil }
    return f.kind == .string ? [0x22] + value(f) + [0x22] : value(f)
  }

  /// A map of strings (string or null values), such as partitionValues.
  func stringMap(_ key: String) throws -> [String: String?]? {
    guard let o = try object(key) else { return nil }
    var out: [String: String?] = [:]
    for (k, f) in zip(o.keys, o.fields) {
      switch f.kind {
      case .null: out[k] = .some(nil)
      case .string: out[k] = try Self.decodeString(o.value(f))
      default: out[k] = String(decoding: o.value(f), as: UTF8.self)
      }
    }
    return out
  }

  /// The elements of the array at `key`, each as raw JSON text.
  func array(_ key: String) throws -> [[UInt8]]? {
    guard let f = field(key), f.kind != .null else { return nil }
    guard f.kind == .array else { throw LakeFailure(.data, "'\(key)' is not an array") }
    return Self.elements(value(f))
  }

  /// Splits a validated JSON array's text into its elements' texts.
  static func elements(_ text: [UInt8]) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var depth = 0
    var inString = false
    var escaped = false
    var start = -1
    for (i, b) in text.enumerated() {
      if inString {
        if escaped {
          escaped = false
        } else if b == 0x5C {
          escaped = true
        } else if b == 0x22 {
          inString = false
        }
        continue
      }
      switch b {
      case 0x22:
        inString = true
        if depth == 1 && start < 0 { start = i }
      case 0x5B, 0x7B:
        if depth == 1 && start < 0 { start = i }
        depth += 1
      case 0x5D, 0x7D:
        depth -= 1
        if depth == 0 && start >= 0 {
          out.append(trim(Array(text[start..<i])))
          start = -1
        }
      case 0x2C where depth == 1:
        if start >= 0 { out.append(trim(Array(text[start..<i]))) }
        start = -1
      case 0x20, 0x09, 0x0A, 0x0D:
        break
      default:
        if depth == 1 && start < 0 { start = i }
      }
    }
    return out
  }

  static func trim(_ b: [UInt8]) -> [UInt8] {
    var s = b[...]
    while let f = s.first, f == 0x20 || f == 0x09 || f == 0x0A || f == 0x0D { s = s.dropFirst() }
    while let l = s.last, l == 0x20 || l == 0x09 || l == 0x0A || l == 0x0D { s = s.dropLast() }
    return Array(s)
  }
}

/// The integer members at the top level of a small JSON object text.
///
/// For the counts lh writes into `add.stats` (`numRecords`) and commitInfo (`lhSilver`,
/// `lhGold`); members of other kinds are left out, and text that is not an object gives none.
public enum JSONIntegerMembers {
  /// The integer members of `text`, by key.
  public static func of(_ text: String) -> [String: Int64] {
    guard let view = try? JSONObjectView(Array(text.utf8)) else { return [:] }
    var out: [String: Int64] = [:]
    for (f, key) in zip(view.fields, view.keys) where f.kind == .number {
      if let v = try? view.int(key) { out[key] = v }
    }
    return out
  }

  /// The string member `key` of `text`, if it has one.
  public static func string(_ key: String, in text: String) -> String? {
    guard let view = try? JSONObjectView(Array(text.utf8)) else { return nil }
    return try? view.string(key)
  }
}
