// LakeFormats/NDJSON/NDJSONRowDecoder.swift
//
// Turns NDJSON lines into typed columns under a flat schema: the scanner finds the fields, this
// maps keys to columns (schema order is tried first, since writers usually keep it) and converts
// each JSON value to the column's type:
//
//   string, binary   JSON string (unescaped)          boolean          true / false
//   int32, int64     JSON integer, range-checked      float, double    JSON number
//   date             "YYYY-MM-DD"                      timestamp        RFC 3339, any offset → UTC µs
//   timestamp_ntz    "YYYY-MM-DDTHH:MM:SS[.ffffff]", no offset (a wall clock)
//   json             any JSON value, kept as its text
//   decimal(p,s)     JSON number, exact (no rounding: more fraction digits than s is an error)
//   null or missing  null when the column is nullable, else an error
//
// A line is all or nothing: values are staged and appended only when every field converted, so
// a bad line leaves the columns as they were. Keys the schema does not name are counted.

import LakeIO

/// Why a line could not become a row.
public struct RowDecodeError: LakeError, Equatable {
  /// The column concerned, if one is.
  public var field: String?
  public var reason: String
  public var category: ErrorCategory { .data }

  public init(field: String?, reason: String) {
    self.field = field
    self.reason = reason
  }

  public var description: String {
    field.map { "field '\($0)': \(reason)" } ?? reason
  }
}

/// Decodes NDJSON lines into `ColumnBuffer`s of a schema.
public struct NDJSONRowDecoder {
  public let schema: TableSchema
  /// Keys seen that the schema does not name (over all lines decoded).
  public private(set) var unknownKeys = 0
  var scanner = NDJSONScanner()
  var fields: [JSONField] = []
  let names: [[UInt8]]
  var staged: [Staged]
  var scratch: [UInt8] = []

  enum Staged {
    case missing
    case null
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case bytes(Int, Int, escaped: Bool)
  }

  /// A decoder for lines of `schema`.
  public init(schema: TableSchema) {
    self.schema = schema
    names = schema.columns.map { Array($0.name.utf8) }
    staged = [Staged](repeating: .missing, count: schema.columns.count)
  }

  /// Fresh, empty column buffers for this schema.
  public func makeColumns(capacity: Int = 0) -> [ColumnBuffer] {
    schema.columns.map { ColumnBuffer(type: $0.type, capacity: capacity) }
  }

  func column(for field: JSONField, at position: Int, in line: UnsafeRawBufferPointer) -> Int? {
    let key = field.keyBytes(in: line)
    func matches(_ c: Int) -> Bool {
      if field.keyHasEscapes {
        return names[c].withUnsafeBytes { JSONValue.unescaped(key, equals: $0) }
      }
      return names[c].count == key.count
        && names[c].withUnsafeBytes { n in
          key.count == 0 || memcmp(n.baseAddress!, key.baseAddress!, key.count) == 0
        }
    }
    if position < names.count && matches(position) { return position }
    for c in names.indices where c != position && matches(c) { return c }
    return nil
  }

  /// Decodes one line (no newline) and appends its row to `columns`.
  ///
  /// - Throws: `JSONSyntaxError` for malformed JSON, `RowDecodeError` for a value that does not
  ///   fit its column; `columns` are unchanged then.
  public mutating func decode(_ line: UnsafeRawBufferPointer, into columns: inout [ColumnBuffer])
    throws
  {
    try scanner.scan(line, into: &fields)
    for i in staged.indices { staged[i] = .missing }
    for (position, field) in fields.enumerated() {
      guard let c = column(for: field, at: position, in: line) else {
        unknownKeys += 1
        continue
      }
      guard case .missing = staged[c] else {
        throw RowDecodeError(field: schema.columns[c].name, reason: "duplicate key")
      }
      staged[c] = try stage(field, column: c, line: line)
    }
    for c in staged.indices {
      switch staged[c] {
      case .missing, .null:
        guard schema.columns[c].nullable else {
          throw RowDecodeError(
            field: schema.columns[c].name, reason: "required value is missing or null")
        }
      default: break
      }
    }
    for c in staged.indices { append(staged[c], to: &columns[c], line: line) }
  }

  func stage(_ field: JSONField, column c: Int, line: UnsafeRawBufferPointer) throws -> Staged {
    let spec = schema.columns[c]
    func fail(_ reason: String) -> RowDecodeError {
      RowDecodeError(field: spec.name, reason: reason)
    }
    if field.kind == .null { return .null }
    let value = field.valueBytes(in: line)
    switch spec.type {
    case .string, .binary:
      guard field.kind == .string else { throw fail("expected a string") }
      return .bytes(field.valueStart, field.valueEnd, escaped: field.valueHasEscapes)
    case .boolean:
      guard field.kind == .bool else { throw fail("expected true or false") }
      return .bool(field.boolValue)
    case .int32, .int64:
      guard field.kind == .number, let v = JSONValue.int64(value) else {
        throw fail("expected an integer")
      }
      if spec.type == .int32 && Int32(exactly: v) == nil {
        throw fail("integer out of int32 range")
      }
      return .int(v)
    case .float, .double:
      guard field.kind == .number, let v = JSONValue.double(value) else {
        throw fail("expected a number")
      }
      return .double(v)
    case .decimal(let p, let s):
      guard field.kind == .number else { throw fail("expected a number") }
      guard let v = JSONValue.decimal(value, precision: p, scale: s) else {
        throw fail("not a decimal(\(p),\(s)): too many digits or fraction digits")
      }
      return .int(v)
    case .timestamp:
      guard field.kind == .string, !field.valueHasEscapes, let v = RFC3339.parse(value) else {
        throw fail("expected an RFC 3339 timestamp")
      }
      return .int(v)
    case .timestampNtz:
      guard field.kind == .string, !field.valueHasEscapes,
        value.last.map({ $0 >= 0x30 && $0 <= 0x39 }) == true,
        let v = RFC3339.parse(UnsafeRawBufferPointer(value), suffix: "Z")
      else { throw fail("expected a timestamp without time zone YYYY-MM-DDTHH:MM:SS[.ffffff]") }
      return .int(v)
    case .json:
      // The value's whole text: a string keeps its quotes (and escapes).
      return field.kind == .string
        ? .bytes(field.valueStart - 1, field.valueEnd + 1, escaped: false)
        : .bytes(field.valueStart, field.valueEnd, escaped: false)
    case .date:
      guard field.kind == .string, !field.valueHasEscapes, value.count == 10,
        let v = RFC3339.parse(UnsafeRawBufferPointer(value), suffix: "T00:00:00Z")
      else { throw fail("expected a date YYYY-MM-DD") }
      return .int(v / 86_400_000_000)
    }
  }

  mutating func append(_ s: Staged, to column: inout ColumnBuffer, line: UnsafeRawBufferPointer) {
    switch s {
    case .missing, .null: column.appendNull()
    case .bool(let b): column.append(b)
    case .double(let d):
      if column.type == .float { column.append(Float(d)) } else { column.append(d) }
    case .int(let v):
      switch column.type.storage {
      case .int32: column.append(Int32(truncatingIfNeeded: v))
      default: column.append(v)
      }
    case .bytes(let start, let end, let escaped):
      let raw = UnsafeRawBufferPointer(rebasing: line[start..<end])
      if escaped {
        scratch.removeAll(keepingCapacity: true)
        // The scanner validated the escapes already.
        try? JSONValue.unescape(raw, into: &scratch)
        scratch.withUnsafeBytes { column.append(bytes: $0) }
      } else {
        column.append(bytes: raw)
      }
    }
  }
}

extension RFC3339 {
  /// Parses `text` followed by `suffix` (dates as midnight UTC).
  static func parse(_ text: UnsafeRawBufferPointer, suffix: StaticString) -> Int64? {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.count + suffix.utf8CodeUnitCount) {
      buf in
      let base = buf.baseAddress!
      if let t = text.baseAddress {
        base.update(from: t.assumingMemoryBound(to: UInt8.self), count: text.count)
      }
      (base + text.count).update(from: suffix.utf8Start, count: suffix.utf8CodeUnitCount)
      return parse(
        UnsafeRawBufferPointer(start: base, count: text.count + suffix.utf8CodeUnitCount))
    }
  }
}

#if canImport(Glibc)
import Glibc
#endif
