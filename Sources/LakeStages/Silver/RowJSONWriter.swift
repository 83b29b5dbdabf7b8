// LakeStages/Silver/RowJSONWriter.swift
//
// One row of typed columns as a compact NDJSON line (design.md, Formats): keys in schema order,
// timestamps RFC 3339 UTC (milliseconds, or microseconds when the value has them; timestamp_ntz
// the same without the "Z"), nested values (json) as their JSON text, dates
// `YYYY-MM-DD`, decimals exact at their scale. Optionally the members of a JSON object text
// column (silver's `_extra`) are spliced in at the end, so the unknown keys of a line travel on
// with it. Bytes only, except doubles, which use Swift's shortest round-trip text.

import LakeFormats
import LakeIO

/// Writes rows of a schema as NDJSON lines into an `OutputBuffer`.
struct RowJSONWriter {
  let types: [ColumnType]
  /// `"name":` of each written column, back to back, with its offsets.
  let keys: [UInt8]
  let keyOffsets: [Int]
  /// The columns written as keys, and the column whose object members are spliced (or nil).
  let written: [Int]
  let splice: Int?

  /// A writer of `schema`'s columns `written` (all by default), splicing `splice`'s members.
  init(schema: TableSchema, written: [Int]? = nil, splice: Int? = nil) {
    types = schema.columns.map(\.type)
    let written = written ?? Array(schema.columns.indices)
    self.written = written
    self.splice = splice
    var keys: [UInt8] = []
    var offsets = [0]
    for c in written {
      keys.append(0x22)
      for b in schema.columns[c].name.utf8 {
        if b == 0x22 || b == 0x5C { keys.append(0x5C) }
        keys.append(b)
      }
      keys += [0x22, 0x3A]
      offsets.append(keys.count)
    }
    self.keys = keys
    keyOffsets = offsets
  }

  /// The most bytes row `r` can take.
  func bound(_ columns: [ColumnBuffer], row r: Int) -> Int {
    var n = keys.count + 2 + written.count * 48
    for c in written where types[c].storage == .bytes && columns[c].isValid(r) {
      n += 6 * Int(columns[c].offsets[r + 1] - columns[c].offsets[r]) + 2
    }
    if let splice, columns[splice].isValid(r) {
      n += Int(columns[splice].offsets[r + 1] - columns[splice].offsets[r]) + 1
    }
    return n
  }

  /// Appends row `r` of `columns` and a newline to `out`.
  func write(_ columns: [ColumnBuffer], row r: Int, to out: OutputBuffer) throws {
    let start = try out.reserve(bound(columns, row: r))
    var w = JSONWriter(start)
    w.byte(0x7B)
    keys.withUnsafeBytes { keyBytes in
      for (k, c) in written.enumerated() {
        if k > 0 { w.byte(0x2C) }
        w.raw(UnsafeRawBufferPointer(rebasing: keyBytes[keyOffsets[k]..<keyOffsets[k + 1]]))
        value(columns[c], type: types[c], row: r, &w)
      }
    }
    if let splice, columns[splice].isValid(r) {
      let b = columns[splice]
      b.data.withUnsafeBytes { raw in
        // `{…}` → `,…` (an empty object adds nothing).
        let lo = Int(b.offsets[r]) + 1
        let hi = Int(b.offsets[r + 1]) - 1
        if hi > lo {
          if !written.isEmpty { w.byte(0x2C) }
          w.raw(UnsafeRawBufferPointer(rebasing: raw[lo..<hi]))
        }
      }
    }
    w.byte(0x7D)
    w.byte(0x0A)
    out.commit(w.count(from: start))
  }

  func value(_ b: ColumnBuffer, type: ColumnType, row r: Int, _ w: inout JSONWriter) {
    guard b.isValid(r) else {
      w.null()
      return
    }
    switch type {
    case .string, .binary:
      b.data.withUnsafeBytes { raw in
        w.string(UnsafeRawBufferPointer(rebasing: raw[Int(b.offsets[r])..<Int(b.offsets[r + 1])]))
      }
    case .int32: w.int(Int64(b.int32s[r]))
    case .int64: w.int(b.int64s[r])
    case .boolean: w.bool(b.booleans[r])
    case .timestamp:
      let v = b.int64s[r]
      w.timestamp(micros: v, fractionDigits: v % 1000 == 0 ? 3 : 6)
    case .timestampNtz:
      // The wall clock without a zone: RFC 3339 without its "Z".
      let v = b.int64s[r]
      w.byte(0x22)
      w.cursor +=
        RFC3339.format(micros: v, fractionDigits: v % 1000 == 0 ? 3 : 6, into: w.cursor) - 1
      w.byte(0x22)
    case .json:
      // A nested value's JSON text, as the value itself.
      b.data.withUnsafeBytes { raw in
        w.raw(UnsafeRawBufferPointer(rebasing: raw[Int(b.offsets[r])..<Int(b.offsets[r + 1])]))
      }
    case .date:
      w.byte(0x22)
      let n = RFC3339.format(
        micros: Int64(b.int32s[r]) * 86_400_000_000, fractionDigits: 0, into: w.cursor)
      w.cursor += min(n, 10)
      w.byte(0x22)
    case .decimal(_, let s):
      if b.type.storage == .int64 {
        w.decimal(unscaled: b.int64s[r], scale: s)
      } else {
        w.null()
      }
    case .double, .float:
      let d = type == .double ? b.doubles[r] : Double(b.floats[r])
      if d.isFinite {
        var text = d.description
        text.withUTF8 { w.raw(UnsafeRawBufferPointer($0)) }
      } else {
        w.null()
      }
    }
  }
}
