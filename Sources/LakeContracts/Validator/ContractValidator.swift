// LakeContracts/Validator/ContractValidator.swift
//
// The per-line check lh-silver runs on every bronze line: one raw NDJSON line in, either one
// typed row appended to the contract's column buffers, or a ``ContractReject``. All or nothing:
// a rejected line leaves the buffers as they were.
//
//   bytes ─▶ NDJSONScanner (whole line: JSON grammar, UTF-8, escapes) ─▶ fields
//         ─▶ key → column (schema order tried first) ─▶ convert + check, staged per column
//         ─▶ required columns present? ─▶ append every staged value, `_extra`, or reject
//
// Conversions (docs/contracts.md, "Validation"):
//
//   string      JSON string (unescaped); allowed values, max_length (Unicode scalars)
//   int32/int64 JSON integer (no fraction or exponent), range and bounds checked
//   double      JSON number, correctly rounded; bounds
//   decimal     JSON number, exact: non-zero digits below the scale are bad_decimal, never
//               rounded; more than p digits is out_of_range
//   boolean     true / false
//   timestamp   RFC 3339 string with any offset → µs UTC; fractions past µs are truncated
//   date        "YYYY-MM-DD"
//   numbers as strings ("42") only on columns marked accept_strings; null = missing
//
// Keys the contract does not name are kept, in line order, as one compact JSON object in the
// extra column `_extra` (null when there are none), and counted per key name for the run
// summary. Hot path: bytes only, no Foundation, no String and no allocation per accepted row once
// the buffers have grown; messages are built only for rejects.

import LakeFormats

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks raw NDJSON lines against a contract and appends the good ones as typed rows.
///
/// Not thread-safe: use one validator per thread (each holds its scratch state). Typical use:
///
/// ```swift
/// let validator = ContractValidator(contract: try Contract.resolve("clickstream"))
/// var columns = validator.makeColumns(capacity: 65_536)
/// if let reject = validator.validate(line, into: &columns) {
///   // route the raw line to rejects with reject.reason, reject.field, reject.message
/// }
/// ```
public final class ContractValidator {
  /// The name of the extra column holding the unknown keys of a row as JSON object text.
  public static let extraColumnName = "_extra"
  /// The most distinct unknown key names counted by name; others go to ``untrackedUnknownKeys``.
  public static let maxTrackedUnknownKeys = 1024

  /// The contract the lines are checked against.
  public let contract: Contract
  /// The row schema: the contract's columns, then `_extra` (a nullable string).
  public let schema: TableSchema
  /// The position of `_extra` in ``schema`` (the last column).
  public let extraColumn: Int
  /// Lines appended as rows.
  public internal(set) var accepted = 0
  /// Lines rejected, by reason.
  public internal(set) var rejectCounts: [RejectReason: Int] = [:]
  /// Unknown keys of accepted rows beyond ``maxTrackedUnknownKeys`` distinct names.
  public internal(set) var untrackedUnknownKeys = 0

  let columnCount: Int
  let plans: UnsafeMutableBufferPointer<ColumnPlan>
  let slots: UnsafeMutableBufferPointer<Slot>
  /// Column names, then allowed string values, back to back.
  let text: UnsafeMutableRawBufferPointer
  let allowed: UnsafeMutableBufferPointer<AllowedEntry>
  var scanner = NDJSONScanner()
  var fields: [JSONField] = []
  /// The unknown keys of the current line.
  var unknown: [UnknownKey] = []
  /// Unescaped string values (and unknown keys) of the current line.
  var scratch: [UInt8] = []
  var extra: [UInt8] = []
  /// Unknown keys of accepted rows, by name.
  var unknownCounts = UnknownKeyCounts(limit: ContractValidator.maxTrackedUnknownKeys)
  /// ``indexUnknownKeys(_:_:)``'s hash table, kept between lines.
  var probe: [Int32] = []

  /// A validator for `contract`.
  public init(contract: Contract) {
    self.contract = contract
    var specs = contract.schema.columns
    specs.append(ColumnSpec(Self.extraColumnName, .string, nullable: true))
    schema = TableSchema(specs)
    columnCount = contract.columns.count
    extraColumn = columnCount

    var bytes: [UInt8] = []
    var entries: [AllowedEntry] = []
    var plans: [ColumnPlan] = []
    for c in contract.columns {
      var plan = ColumnPlan(c)
      plan.nameOffset = bytes.count
      plan.nameLength = c.name.utf8.count
      bytes += c.name.utf8
      plan.allowedStart = entries.count
      plan.allowedCount = c.allowedValues.count
      for v in c.allowedValues {
        var integer: Int64 = 0
        if case .integer(let n)? = ContractText.parseBound(Substring(v), for: c.type) {
          integer = n
        }
        entries.append(
          AllowedEntry(offset: bytes.count, length: v.utf8.count, integer: integer))
        bytes += v.utf8
      }
      plans.append(plan)
    }
    let text = UnsafeMutableRawBufferPointer.allocate(
      byteCount: max(bytes.count, 1), alignment: 8)
    bytes.withUnsafeBytes { text.copyMemory(from: $0) }
    self.text = text
    self.plans = .allocate(capacity: max(plans.count, 1))
    _ = self.plans.initialize(from: plans)
    self.allowed = .allocate(capacity: max(entries.count, 1))
    _ = self.allowed.initialize(from: entries)
    slots = .allocate(capacity: max(plans.count, 1))
    slots.initialize(repeating: Slot())
    fields.reserveCapacity(64)
  }

  deinit {
    text.deallocate()
    plans.deallocate()
    allowed.deallocate()
    slots.deallocate()
  }

  /// Fresh, empty column buffers for ``schema`` (the contract's columns and `_extra`).
  public func makeColumns(capacity: Int = 0) -> [ColumnBuffer] {
    schema.columns.map { ColumnBuffer(type: $0.type, capacity: capacity) }
  }

  /// Lines rejected, all reasons together.
  public var rejected: Int { rejectCounts.values.reduce(0, +) }

  /// Unknown keys of accepted rows, per key name, most frequent first (then by name).
  public var unknownKeyCounts: [(key: String, count: Int)] {
    (0..<unknownCounts.count).map {
      (String(decoding: unknownCounts.name($0), as: UTF8.self), unknownCounts.counts[$0])
    }
    .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
  }

  /// Checks one line and appends its row to `columns`, or says why not.
  ///
  /// - Parameters:
  ///   - line: The raw line without its `\n` (a trailing `\r` is accepted).
  ///   - columns: Buffers laid out as ``schema`` (from ``makeColumns(capacity:)``); on success
  ///     each gets one value, `_extra` included; on a reject none changes.
  /// - Returns: nil when the row was appended, else the reject.
  public func validate(_ line: UnsafeRawBufferPointer, into columns: inout [ColumnBuffer])
    -> ContractReject?
  {
    if let reject = stage(line) { return reject }
    append(line, into: &columns)
    return nil
  }

  /// Checks one line and stages its values, without appending them; says why not when bad.
  ///
  /// After nil, the staged row can be examined (``stagedKeyHash(_:)``,
  /// ``stagedInt64(_:)``) and then either appended with ``append(_:into:)`` (same `line`) or
  /// dropped (a duplicate) by staging the next line. A reject is counted in ``rejectCounts``.
  public func stage(_ line: UnsafeRawBufferPointer) -> ContractReject? {
    do {
      try scanner.scan(line, into: &fields)
    } catch {
      return count(syntaxReject(line, error))
    }
    if !scratch.isEmpty { scratch.removeAll(keepingCapacity: true) }
    if !unknown.isEmpty { unknown.removeAll(keepingCapacity: true) }
    // One access to `fields` and to `columns` for the whole line, instead of one per value.
    if let reject = fields.withUnsafeBufferPointer({ check($0, line) }) {
      return count(reject)
    }
    return nil
  }

  /// Appends the row staged by the last successful ``stage(_:)`` of `line`, and counts it.
  ///
  /// - Parameters:
  ///   - line: The same bytes as staged (string values point into it).
  ///   - columns: Buffers laid out as ``schema``; each gets one value, `_extra` included.
  public func append(_ line: UnsafeRawBufferPointer, into columns: inout [ColumnBuffer]) {
    precondition(columns.count == columnCount + 1, "columns must be laid out as the schema")
    columns.withUnsafeMutableBufferPointer { columns in
      for c in 0..<columnCount { append(c, to: &columns[c], line: line) }
    }
    if unknown.isEmpty {
      columns[extraColumn].appendNull()
    } else {
      fields.withUnsafeBufferPointer { writeExtra($0, line) }
      tallyUnknown(line)
      extra.withUnsafeBytes { columns[extraColumn].append(bytes: $0) }
    }
    accepted &+= 1
  }

  /// The staged value of integer-backed column `c` (int32, int64, decimal, timestamp, date,
  /// boolean as 0/1); 0 when it is null.
  public func stagedInt64(_ c: Int) -> Int64 {
    slots[c].state == .value ? slots[c].int : 0
  }

  /// The ``KeyHash`` of the staged row's key columns (`columns`: ``Contract/keyIndexes``).
  ///
  /// Equal to ``KeyHash/row(_:of:columns:)`` over the same row once appended, so keys staged
  /// now and keys read back from silver's files compare.
  public func stagedKeyHash(_ columns: [Int], line: UnsafeRawBufferPointer) -> UInt64 {
    var h = KeyHash()
    for c in columns {
      let slot = slots[c]
      guard slot.state == .value else {
        h.addNull()
        continue
      }
      switch plans[c].kind {
      case .string:
        if slot.inScratch {
          scratch.withUnsafeBytes {
            h.add(bytes: UnsafeRawBufferPointer(rebasing: $0[slot.start..<slot.end]))
          }
        } else {
          h.add(bytes: UnsafeRawBufferPointer(rebasing: line[slot.start..<slot.end]))
        }
      default: h.add(slot.int)
      }
    }
    return h.value
  }

  /// Stages every field of the line; the reject of the first problem, or nil.
  @inline(__always)
  func check(_ fields: UnsafeBufferPointer<JSONField>, _ line: UnsafeRawBufferPointer)
    -> ContractReject?
  {
    for c in 0..<columnCount { slots[c].state = .missing }
    // The column after the last one found: where the next key usually is when lines follow the
    // contract's order but leave optional keys out.
    var next = 0
    for position in 0..<fields.count {
      let field = fields[position]
      guard let c = column(for: field, expected: next, in: line) else {
        unknown.append(UnknownKey(field: position))
        continue
      }
      next = c &+ 1
      if slots[c].state != .missing {
        return ContractReject(
          reason: .duplicateKeyInLine, field: name(c), message: "the key appears twice")
      }
      if let reason = stage(field, column: c, line: line) {
        return describe(reason, column: c, field: field, line: line)
      }
    }
    for c in 0..<columnCount where plans[c].required && slots[c].state != .value {
      let null = slots[c].state == .null
      return ContractReject(
        reason: .missingRequired, field: name(c),
        message: null ? "a required value is null" : "a required key is missing")
    }
    if !unknown.isEmpty { return indexUnknownKeys(fields, line) }
    return nil
  }

  func count(_ reject: ContractReject) -> ContractReject {
    rejectCounts[reject.reason, default: 0] += 1
    return reject
  }

  func name(_ c: Int) -> String { contract.columns[c].name }

  // MARK: - Keys

  /// The column named by `field`'s key, trying column `expected` first; nil for an unknown key.
  @inline(__always)
  func column(for field: JSONField, expected: Int, in line: UnsafeRawBufferPointer) -> Int? {
    let key = field.keyBytes(in: line)
    if field.keyHasEscapes {
      for c in 0..<columnCount where JSONValue.unescaped(key, equals: nameBytes(c)) { return c }
      return nil
    }
    if expected < columnCount && keyEquals(key, expected) { return expected }
    for c in 0..<columnCount where c != expected && keyEquals(key, c) { return c }
    return nil
  }

  @inline(__always)
  func nameBytes(_ c: Int) -> UnsafeRawBufferPointer {
    let p = plans[c]
    return UnsafeRawBufferPointer(rebasing: text[p.nameOffset..<(p.nameOffset &+ p.nameLength)])
  }

  @inline(__always)
  func keyEquals(_ key: UnsafeRawBufferPointer, _ c: Int) -> Bool {
    let p = plans[c]
    guard key.count == p.nameLength else { return false }
    return key.count == 0
      || bytesEqual(key.baseAddress!, text.baseAddress! + p.nameOffset, key.count)
  }

  /// Whether `n` bytes at `a` and `b` are equal: 8 bytes at a time, no call (keys and allowed
  /// values are short, so a `memcmp` call costs more than the comparison).
  @inline(__always)
  func bytesEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i &+ 8 <= n {
      if a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        != b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      {
        return false
      }
      i &+= 8
    }
    while i < n {
      if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
        return false
      }
      i &+= 1
    }
    return true
  }

  // MARK: - Values

  /// Converts and checks `field` for column `c`, staging the value; nil when it is good.
  @inline(__always)
  func stage(_ field: JSONField, column c: Int, line: UnsafeRawBufferPointer) -> RejectReason? {
    let plan = plans[c]
    if field.kind == .null {
      slots[c].state = .null
      return nil
    }
    let value = field.valueBytes(in: line)
    switch plan.kind {
    case .string:
      guard field.kind == .string else { return .wrongType }
      guard field.valueHasEscapes else {
        return checkString(
          value, plan: plan, column: c, start: field.valueStart, end: field.valueEnd,
          inScratch: false)
      }
      let start = scratch.count
      // The scanner validated the escapes already.
      try? JSONValue.unescape(value, into: &scratch)
      let end = scratch.count
      return scratch.withUnsafeBytes { all in
        checkString(
          UnsafeRawBufferPointer(rebasing: all[start..<end]), plan: plan, column: c,
          start: start, end: end, inScratch: true)
      }
    case .int32, .int64:
      let token: UnsafeRawBufferPointer
      if field.kind == .number {
        token = value
      } else if field.kind == .string && plan.acceptsStrings && !field.valueHasEscapes {
        token = value
      } else {
        return .wrongType
      }
      guard let v = JSONValue.int64(token) else {
        return JSONValue.double(token) == nil || hasFractionOrExponent(token)
          ? .wrongType : .outOfRange
      }
      guard v >= plan.minInt && v <= plan.maxInt else { return .outOfRange }
      if plan.allowedCount > 0 && !allowsInteger(v, plan) { return .notAllowed }
      slots[c].state = .value
      slots[c].int = v
      return nil
    case .double:
      guard field.kind == .number || (field.kind == .string && plan.acceptsStrings) else {
        return .wrongType
      }
      guard let v = JSONValue.double(value) else {
        return field.kind == .string && NumberText.isNumber(value) == false
          ? .wrongType : .outOfRange
      }
      guard v >= plan.minDouble && v <= plan.maxDouble else { return .outOfRange }
      slots[c].state = .value
      slots[c].int = Int64(bitPattern: v.bitPattern)
      return nil
    case .decimal:
      guard field.kind == .number || (field.kind == .string && plan.acceptsStrings) else {
        return .wrongType
      }
      guard let v = JSONValue.decimal(value, precision: plan.precision, scale: plan.scale) else {
        guard NumberText.isNumber(value) else { return .wrongType }
        return NumberText.fractionDigits(value) > plan.scale ? .badDecimal : .outOfRange
      }
      guard v >= plan.minInt && v <= plan.maxInt else { return .outOfRange }
      slots[c].state = .value
      slots[c].int = v
      return nil
    case .boolean:
      guard field.kind == .bool else { return .wrongType }
      slots[c].state = .value
      slots[c].int = field.boolValue ? 1 : 0
      return nil
    case .timestamp:
      guard field.kind == .string else { return .wrongType }
      guard !field.valueHasEscapes, let v = RFC3339.parse(value) else { return .badTimestamp }
      slots[c].state = .value
      slots[c].int = v
      return nil
    case .date:
      guard field.kind == .string else { return .wrongType }
      guard !field.valueHasEscapes, let v = DateText.parse(value) else { return .badDate }
      slots[c].state = .value
      slots[c].int = Int64(v)
      return nil
    }
  }

  @inline(__always)
  func checkString(
    _ bytes: UnsafeRawBufferPointer, plan: ColumnPlan, column c: Int, start: Int, end: Int,
    inScratch: Bool
  ) -> RejectReason? {
    if bytes.count > plan.maxLength && NumberText.scalarCount(bytes) > plan.maxLength {
      return .tooLong
    }
    if plan.allowedCount > 0 && !allowsString(bytes, plan) { return .notAllowed }
    slots[c].state = .value
    slots[c].start = start
    slots[c].end = end
    slots[c].inScratch = inScratch
    return nil
  }

  @inline(__always)
  func allowsString(_ bytes: UnsafeRawBufferPointer, _ plan: ColumnPlan) -> Bool {
    let n = bytes.count
    for i in plan.allowedStart..<(plan.allowedStart &+ plan.allowedCount) {
      let e = allowed[i]
      if e.length == n
        && (n == 0 || bytesEqual(bytes.baseAddress!, text.baseAddress! + e.offset, n))
      {
        return true
      }
    }
    return false
  }

  func allowsInteger(_ v: Int64, _ plan: ColumnPlan) -> Bool {
    for i in plan.allowedStart..<(plan.allowedStart &+ plan.allowedCount)
    where allowed[i].integer == v {
      return true
    }
    return false
  }

  func hasFractionOrExponent(_ token: UnsafeRawBufferPointer) -> Bool {
    token.contains { $0 == 0x2E || $0 | 0x20 == 0x65 }
  }

  @inline(__always)
  func append(_ c: Int, to column: inout ColumnBuffer, line: UnsafeRawBufferPointer) {
    let slot = slots[c]
    guard slot.state == .value else {
      column.appendNull()
      return
    }
    switch plans[c].kind {
    case .string:
      if slot.inScratch {
        scratch.withUnsafeBytes {
          column.append(bytes: UnsafeRawBufferPointer(rebasing: $0[slot.start..<slot.end]))
        }
      } else {
        column.append(bytes: UnsafeRawBufferPointer(rebasing: line[slot.start..<slot.end]))
      }
    case .int32, .date: column.append(Int32(truncatingIfNeeded: slot.int))
    case .int64, .decimal, .timestamp: column.append(slot.int)
    case .double: column.append(Double(bitPattern: UInt64(bitPattern: slot.int)))
    case .boolean: column.append(slot.int != 0)
    }
  }
}

/// What the validator needs of a column, flattened for the hot loop.
struct ColumnPlan {
  enum Kind: UInt8 {
    case string, int32, int64, double, decimal, boolean, timestamp, date
  }

  var kind: Kind
  var required: Bool
  var acceptsStrings: Bool
  /// Integer and decimal (unscaled) bounds; an int32 column's range at least.
  var minInt = Int64.min
  var maxInt = Int64.max
  var minDouble = -Double.infinity
  var maxDouble = Double.infinity
  var precision = 18
  var scale = 0
  /// In Unicode scalars; Int.max when unbounded.
  var maxLength = Int.max
  var allowedStart = 0
  var allowedCount = 0
  var nameOffset = 0
  var nameLength = 0

  init(_ c: ContractColumn) {
    required = c.required
    acceptsStrings = c.acceptsStrings
    maxLength = c.maxLength ?? Int.max
    switch c.type {
    case .string, .binary: kind = .string
    case .int32:
      kind = .int32
      minInt = Int64(Int32.min)
      maxInt = Int64(Int32.max)
    case .int64: kind = .int64
    case .float, .double: kind = .double
    case .decimal(let p, let s):
      kind = .decimal
      precision = p
      scale = s
    case .boolean: kind = .boolean
    case .timestamp: kind = .timestamp
    case .date: kind = .date
    // Never a contract's type (ContractText.parseType): read from peers' tables only.
    case .timestampNtz: kind = .timestamp
    case .json: kind = .string
    }
    for (bound, isMin) in [(c.minimum, true), (c.maximum, false)] {
      switch bound {
      case .integer(let v)?, .decimal(let v)?:
        if isMin { minInt = max(minInt, v) } else { maxInt = min(maxInt, v) }
      case .double(let v)?:
        if isMin { minDouble = v } else { maxDouble = v }
      case nil: break
      }
    }
  }
}

/// One column's staged value for the line being validated.
struct Slot {
  enum State: UInt8 {
    case missing, null, value
  }

  /// Integers, decimals, timestamps, dates, booleans (0/1) and doubles (bit pattern).
  var int: Int64 = 0
  /// A string's span in the line, or in the scratch buffer when it was unescaped.
  var start = 0
  var end = 0
  var state = State.missing
  var inScratch = false
}

/// One allowed value: its bytes in the validator's text, and its value for integer columns.
struct AllowedEntry {
  var offset: Int
  var length: Int
  var integer: Int64
}
