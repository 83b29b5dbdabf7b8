// LakeStages/Gold/GoldMetricState.swift
//
// The per-group state of one gold metric and its fold over a batch: counts, exact integer and
// decimal sums (a product of two columns adds their scales), double sums, minimums and maximums
// of any type, averages, and exact distinct counts.

import LakeContracts
import LakeFormats
import LakeIO

/// One metric's accumulators, indexed by group id.
struct MetricState {
  enum Kind { case count, distinct, sum, min, max, avg }
  /// What the operand's values are: integers at a decimal scale, doubles, or byte strings.
  enum Domain {
    case integral(scale: Int)
    case double, bytes
  }

  let kind: Kind
  let domain: Domain
  let first: Int?
  let second: Int?
  let outputType: ColumnType
  var neverNull: Bool { kind == .count || kind == .distinct }
  /// Whether the operand's values are byte strings.
  var bytesDomain: Bool {
    if case .bytes = domain { return true }
    return false
  }

  var counts: [Int64] = []
  var ints: [Int64] = []
  var doubles: [Double] = []
  var byteValues: [[UInt8]?] = []
  /// count_distinct: the (group << 32 | value id) pairs seen (values are interned by the
  /// shared `GoldContext`); `counts` holds each group's number of them.
  var pairs: DistinctSet?

  init(metric m: GoldMetric, input: TableSchema, column: (String) throws -> Int) throws {
    switch m.aggregate {
    case .count: kind = .count
    case .countDistinct: kind = .distinct
    case .sum: kind = .sum
    case .min: kind = .min
    case .max: kind = .max
    case .avg: kind = .avg
    }
    first = try m.operand.map { try column($0.column) }
    second = try m.operand?.times.map { try column($0) }
    func domainOf(_ type: ColumnType) -> Domain {
      switch type {
      case .string, .binary: .bytes
      case .double, .float: .double
      case .decimal(_, let s): .integral(scale: s)
      default: .integral(scale: 0)
      }
    }
    let a = first.map { input.columns[$0].type }
    let b = second.map { input.columns[$0].type }
    var d: Domain = a.map(domainOf) ?? .integral(scale: 0)
    if let b {
      switch (d, domainOf(b)) {
      case (.integral(let s1), .integral(let s2)): d = .integral(scale: s1 + s2)
      case (.bytes, _), (_, .bytes):
        throw LakeFailure(.data, "metric '\(m.name)': cannot multiply string columns")
      default: d = .double
      }
    }
    domain = d
    if kind != .count && first == nil {
      throw LakeFailure(.data, "metric '\(m.name)': \(m.aggregate.rawValue) needs a column")
    }
    if case .bytes = d, kind == .sum || kind == .avg {
      throw LakeFailure(.data, "metric '\(m.name)': \(m.aggregate.rawValue) of a string column")
    }
    switch kind {
    case .count, .distinct: outputType = .int64
    case .avg: outputType = .double
    case .min where second == nil, .max where second == nil: outputType = a!
    case .sum, .min, .max:
      switch d {
      case .integral(let s): outputType = s == 0 ? .int64 : .decimal(precision: 18, scale: s)
      case .double: outputType = .double
      case .bytes: outputType = .string
      }
    }
    if kind == .distinct { pairs = DistinctSet() }
  }

  /// Makes room for `groups` groups.
  mutating func grow(to groups: Int) {
    let add = groups - counts.count
    guard add > 0 else { return }
    counts.append(contentsOf: repeatElement(0, count: add))
    switch (kind, domain) {
    case (.count, _), (.distinct, _): break
    case (_, .integral): ints.append(contentsOf: repeatElement(0, count: add))
    case (_, .double): doubles.append(contentsOf: repeatElement(0, count: add))
    case (_, .bytes): byteValues.append(contentsOf: repeatElement(nil, count: add))
    }
  }

  mutating func reset() {
    counts.removeAll()
    ints.removeAll()
    doubles.removeAll()
    byteValues.removeAll()
    pairs?.removeAll()
  }

  /// The operand of row `r` (`a`, or `a * b`) as an integer at the domain's scale, nil if null.
  ///
  /// The columns are passed in, not looked up per row (a lookup copies the buffer).
  @inline(__always)
  static func integral(_ a: ColumnBuffer, _ b: ColumnBuffer?, _ r: Int) throws -> Int64? {
    guard a.isValid(r) else { return nil }
    let x = integer(a, r)
    guard let b else { return x }
    guard b.isValid(r) else { return nil }
    let (p, overflow) = x.multipliedReportingOverflow(by: integer(b, r))
    if overflow { throw LakeFailure(.data, "a product overflows 64 bits") }
    return p
  }

  @inline(__always)
  static func integer(_ c: ColumnBuffer, _ r: Int) -> Int64 {
    switch c.type.storage {
    case .int32: Int64(c.int32s[r])
    case .boolean: c.booleans[r] ? 1 : 0
    case .int128: Int64(truncatingIfNeeded: c.int128s[r])
    default: c.int64s[r]
    }
  }

  @inline(__always)
  static func value(_ c: ColumnBuffer, _ r: Int) -> Double {
    switch c.type {
    case .double: c.doubles[r]
    case .float: Double(c.floats[r])
    case .decimal(_, let s): Double(integer(c, r)) / powerOf10(s)
    default: Double(integer(c, r))
    }
  }

  @inline(__always)
  static func real(_ a: ColumnBuffer, _ b: ColumnBuffer?, _ r: Int) -> Double? {
    guard a.isValid(r) else { return nil }
    guard let b else { return value(a, r) }
    guard b.isValid(r) else { return nil }
    return value(a, r) * value(b, r)
  }

  /// Folds the rows of a batch whose mask holds (every row without a mask).
  mutating func fold(
    _ batch: [ColumnBuffer], groups: [UInt32], mask: [Bool]?, valueIds: [UInt32], table: String
  ) throws {
    let rows = groups.count
    @inline(__always) func take(_ r: Int) -> Bool {
      groups[r] != skippedRow && (mask == nil || mask![r])
    }
    switch kind {
    case .count:
      for r in 0..<rows where take(r) { counts[Int(groups[r])] += 1 }
    case .distinct:
      let pairs = self.pairs!
      for r in 0..<rows where take(r) && valueIds[r] != GoldContext.nullId {
        if pairs.insert(group: groups[r], value: valueIds[r]) {
          counts[Int(groups[r])] += 1
        }
      }
    case .sum, .avg, .min, .max:
      switch domain {
      case .integral:
        let a = batch[first!]
        let b = second.map { batch[$0] }
        for r in 0..<rows where take(r) {
          guard let v = try Self.integral(a, b, r) else { continue }
          let g = Int(groups[r])
          if kind == .sum || kind == .avg {
            let (s, overflow) = ints[g].addingReportingOverflow(v)
            if overflow {
              throw LakeFailure(.data, "gold table '\(table)': a sum overflows 64 bits")
            }
            ints[g] = s
          } else if counts[g] == 0 || (kind == .min ? v < ints[g] : v > ints[g]) {
            ints[g] = v
          }
          counts[g] += 1
        }
      case .double:
        let a = batch[first!]
        let b = second.map { batch[$0] }
        for r in 0..<rows where take(r) {
          guard let v = Self.real(a, b, r) else { continue }
          let g = Int(groups[r])
          if kind == .sum || kind == .avg {
            doubles[g] += v
          } else if counts[g] == 0 || (kind == .min ? v < doubles[g] : v > doubles[g]) {
            doubles[g] = v
          }
          counts[g] += 1
        }
      case .bytes:
        let c = batch[first!]
        for r in 0..<rows where take(r) && c.isValid(r) {
          let g = Int(groups[r])
          let v = c.bytes(at: r)
          if let current = byteValues[g] {
            let better =
              kind == .min
              ? v.lexicographicallyPrecedes(current) : current.lexicographicallyPrecedes(v)
            if better { byteValues[g] = Array(v) }
          } else {
            byteValues[g] = Array(v)
          }
          counts[g] += 1
        }
      }
    }
  }

  /// Merges a saved partial whose group `i` is this state's group `groups[i]` (grown to
  /// hold them); `valueId` interns a distinct value.
  mutating func merge(
    _ p: GoldMetricPartial, groups map: [UInt32], valueId: (GoldRawValue) -> UInt32,
    table: String
  ) throws {
    switch kind {
    case .count:
      for (i, g) in map.enumerated() { counts[Int(g)] += p.counts[i] }
    case .distinct:
      let pairs = self.pairs!
      for pair in p.pairs {
        let id = valueId(pair.value)
        guard id != GoldContext.nullId else { continue }
        let g = map[Int(pair.group)]
        if pairs.insert(group: g, value: id) { counts[Int(g)] += 1 }
      }
    case .sum, .avg, .min, .max:
      for (i, gg) in map.enumerated() where p.counts[i] > 0 {
        let g = Int(gg)
        let adds = kind == .sum || kind == .avg
        switch domain {
        case .integral:
          let v = p.ints[i]
          if adds {
            let (s, overflow) = ints[g].addingReportingOverflow(v)
            if overflow {
              throw LakeFailure(.data, "gold table '\(table)': a sum overflows 64 bits")
            }
            ints[g] = s
          } else if counts[g] == 0 || (kind == .min ? v < ints[g] : v > ints[g]) {
            ints[g] = v
          }
        case .double:
          let v = p.doubles[i]
          if adds {
            doubles[g] += v
          } else if counts[g] == 0 || (kind == .min ? v < doubles[g] : v > doubles[g]) {
            doubles[g] = v
          }
        case .bytes:
          guard let v = p.bytes[i] else { continue }
          if let current = byteValues[g] {
            let better =
              kind == .min
              ? v.lexicographicallyPrecedes(current) : current.lexicographicallyPrecedes(v)
            if better { byteValues[g] = v }
          } else {
            byteValues[g] = v
          }
        }
        counts[g] += p.counts[i]
      }
    }
  }

  /// Appends group `g`'s value.
  func output(group g: Int, into column: inout ColumnBuffer) {
    switch kind {
    case .count: column.append(counts[g])
    case .distinct: column.append(counts[g])
    case .avg:
      guard counts[g] > 0 else { return column.appendNull() }
      switch domain {
      case .integral(let s): column.append(Double(ints[g]) / powerOf10(s) / Double(counts[g]))
      default: column.append(doubles[g] / Double(counts[g]))
      }
    case .sum, .min, .max:
      guard counts[g] > 0 else { return column.appendNull() }
      switch domain {
      case .integral:
        switch column.type.storage {
        case .int32: column.append(Int32(truncatingIfNeeded: ints[g]))
        case .boolean: column.append(ints[g] != 0)
        default: column.append(ints[g])
        }
      case .double:
        if column.type.storage == .float {
          column.append(Float(doubles[g]))
        } else {
          column.append(doubles[g])
        }
      case .bytes: column.append(bytes: byteValues[g]!)
      }
    }
  }

  /// Group `g`'s value as a double (ratios), nil when null.
  func asDouble(group g: Int) -> Double? {
    switch kind {
    case .count: return Double(counts[g])
    case .distinct: return Double(counts[g])
    case .avg:
      guard counts[g] > 0 else { return nil }
      if case .integral(let s) = domain {
        return Double(ints[g]) / powerOf10(s) / Double(counts[g])
      }
      return doubles[g] / Double(counts[g])
    case .sum, .min, .max:
      guard counts[g] > 0 else { return nil }
      switch domain {
      case .integral(let s): return Double(ints[g]) / powerOf10(s)
      case .double: return doubles[g]
      case .bytes: return nil
      }
    }
  }
}

/// 10^s as a double.
@inline(__always)
func powerOf10(_ s: Int) -> Double {
  var p = 1.0
  for _ in 0..<s { p *= 10 }
  return p
}
