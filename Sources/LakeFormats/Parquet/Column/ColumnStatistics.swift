// LakeFormats/Parquet/Column/ColumnStatistics.swift
//
// Chunk statistics in lh's terms (typed min/max, null count), folded value by value by the writer
// and merged across row groups for the Delta `add` stats. Rules (formats.md §7): byte strings
// compare as unsigned bytes; floats skip NaN (counted apart) and a zero min is -0.0, a zero max
// +0.0; no min/max when there is no non-null, non-NaN value. A byte-string min or max longer than
// `maxByteStatistic` is not recorded (as Arrow C++ does with its max_statistics_size): the
// statistics are then `unbounded`, so a huge value cannot bloat every footer that holds it.

/// A typed statistics value.
public enum StatValue: Sendable, Equatable {
  case bool(Bool)
  case int(Int64)
  case int128(Int128)
  case double(Double)
  case bytes([UInt8])
}

/// Min, max and null count of one column over some rows.
public struct ColumnStatistics: Sendable, Equatable {
  public var nullCount = 0
  public var nanCount = 0
  public var min: StatValue?
  public var max: StatValue?
  /// True when min or max was too long to record: then both stay nil, whatever is merged in.
  public var unbounded = false

  /// The longest byte-string min or max recorded.
  public static let maxByteStatistic = 4096

  public init() {}

  /// Folds another range's statistics into these.
  public mutating func merge(_ other: ColumnStatistics) {
    nullCount += other.nullCount
    nanCount += other.nanCount
    if other.unbounded {
      unbounded = true
      min = nil
      max = nil
    }
    guard !unbounded else { return }
    if let m = other.min { foldMin(m) }
    if let m = other.max { foldMax(m) }
  }

  mutating func foldMin(_ v: StatValue) {
    guard let current = min else {
      min = v
      return
    }
    if Self.less(v, current) { min = v }
  }

  mutating func foldMax(_ v: StatValue) {
    guard let current = max else {
      max = v
      return
    }
    if Self.less(current, v) { max = v }
  }

  static func less(_ a: StatValue, _ b: StatValue) -> Bool {
    switch (a, b) {
    case (.bool(let x), .bool(let y)): return !x && y
    case (.int(let x), .int(let y)): return x < y
    case (.int128(let x), .int128(let y)): return x < y
    case (.double(let x), .double(let y)):
      return x < y || (x == 0 && y == 0 && x.sign == .minus && y.sign == .plus)
    case (.bytes(let x), .bytes(let y)): return x.lexicographicallyPrecedes(y)
    default: return false
    }
  }
}

/// Fast typed accumulators used inside the writer's loops.
struct IntRange {
  var min = Int64.max
  var max = Int64.min
  var any = false

  @inline(__always)
  mutating func fold(_ v: Int64) {
    if v < min { min = v }
    if v > max { max = v }
    any = true
  }
}

struct DoubleRange {
  var min = Double.infinity
  var max = -Double.infinity
  var any = false
  var nans = 0

  @inline(__always)
  mutating func fold(_ v: Double) {
    if v.isNaN {
      nans += 1
      return
    }
    if v < min || (v == 0 && min == 0 && v.sign == .minus) { min = v }
    if v > max || (v == 0 && max == 0 && v.sign == .plus) { max = v }
    any = true
  }
}

struct BytesRange {
  var min: [UInt8] = []
  var max: [UInt8] = []
  var any = false
  /// The first 8 bytes of `min` and `max` as big-endian numbers (zero-padded): most values
  /// differ from both there, so one integer comparison each decides.
  var minPrefix: UInt64 = 0
  var maxPrefix: UInt64 = 0

  /// True when min or max is longer than `ColumnStatistics.maxByteStatistic`.
  ///
  /// Only the first bytes of such a value are kept. Comparing a shorter value with those bytes orders it as with the whole
  /// value (they differ within its length, or it is a proper prefix), so min and max stay
  /// exact whenever they are short enough to record.
  var tooLong: Bool {
    min.count > ColumnStatistics.maxByteStatistic || max.count > ColumnStatistics.maxByteStatistic
  }

  /// `v`, or its first `maxByteStatistic + 1` bytes when longer.
  @inline(__always)
  static func kept(_ v: UnsafeRawBufferPointer) -> [UInt8] {
    v.count <= ColumnStatistics.maxByteStatistic
      ? Array(v) : Array(v.prefix(ColumnStatistics.maxByteStatistic + 1))
  }

  mutating func fold(_ v: UnsafeRawBufferPointer) {
    let p = Self.prefix(v)
    if !any {
      min = Self.kept(v)
      max = min
      minPrefix = p
      maxPrefix = p
      any = true
      return
    }
    // Prefixes that differ order the values as unsigned bytes do; equal ones need the rest.
    if p < minPrefix || (p == minPrefix && Self.compare(v, min) < 0) {
      min = Self.kept(v)
      minPrefix = p
    }
    if p > maxPrefix || (p == maxPrefix && Self.compare(v, max) > 0) {
      max = Self.kept(v)
      maxPrefix = p
    }
  }

  /// The first 8 bytes of `v` as a big-endian number, zero-padded when shorter.
  @inline(__always)
  static func prefix(_ v: UnsafeRawBufferPointer) -> UInt64 {
    guard let base = v.baseAddress else { return 0 }
    if v.count >= 8 { return UInt64(bigEndian: base.loadUnaligned(as: UInt64.self)) }
    var p: UInt64 = 0
    for i in 0..<8 {
      p <<= 8
      if i < v.count { p |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) }
    }
    return p
  }

  static func compare(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
    b.withUnsafeBytes { bb in
      let n = Swift.min(a.count, bb.count)
      if n > 0 {
        let c = memcmp(a.baseAddress!, bb.baseAddress!, n)
        if c != 0 { return Int(c) }
      }
      return a.count - bb.count
    }
  }
}

#if canImport(Glibc)
import Glibc
#endif
