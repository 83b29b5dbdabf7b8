// LakeContracts/Validator/KeyHash.swift
//
// A 64-bit hash of a row's key values, for deduplication (issue 5). Keys are hashed from their
// typed values, never from their JSON text, so `"ts":"2026-01-01T01:00:00+01:00"` and
// `"ts":"2026-01-01T00:00:00Z"` are the same key, and a key staged by the validator hashes
// exactly like the same key read back from a silver Parquet file.
//
//   string          its (unescaped) UTF-8 bytes, length first
//   integer-backed  int32, int64, date, timestamp (µs UTC), decimal (unscaled), boolean (0/1): the
//                   value as an Int64
//
// The mixing is wyhash's 64×64→128 multiply-fold over 8-byte words: fast on short keys (a UUID is
// 36 bytes: five multiplies) and well distributed, so 64 bits give a collision between two
// distinct keys of one day with probability about n² / 2⁶⁵ (5 million keys: 7 × 10⁻⁷).

import LakeFormats

/// A 64-bit hash of a row's key columns, built value by value.
public struct KeyHash {
  @usableFromInline static let p0: UInt64 = 0xa076_1d64_78bd_642f
  @usableFromInline static let p1: UInt64 = 0xe703_7ed1_a0b4_28db
  @usableFromInline static let p2: UInt64 = 0x8ebc_6af0_9c88_c6e3

  @usableFromInline var state: UInt64 = 0x243f_6a88_85a3_08d3

  /// An empty hash.
  @inlinable
  public init() {}

  @inlinable
  static func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let m = a.multipliedFullWidth(by: b)
    return m.high ^ m.low
  }

  /// Adds an integer-backed value.
  @inlinable
  public mutating func add(_ value: Int64) {
    state = Self.mum(state ^ Self.p0, UInt64(bitPattern: value) ^ Self.p1)
  }

  /// Adds a null (a marker distinct from every value).
  @inlinable
  public mutating func addNull() {
    state = Self.mum(state ^ Self.p2, Self.p1)
  }

  /// Adds a byte string: its length, then its bytes 8 at a time.
  @inlinable
  public mutating func add(bytes: UnsafeRawBufferPointer) {
    let n = bytes.count
    var h = Self.mum(state ^ Self.p1, UInt64(n) ^ Self.p0)
    guard let base = bytes.baseAddress else {
      state = h
      return
    }
    var i = 0
    while i &+ 8 <= n {
      h = Self.mum(h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self), Self.p0)
      i &+= 8
    }
    if i < n {
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while i < n {
        tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
        shift &+= 8
        i &+= 1
      }
      h = Self.mum(h ^ tail, Self.p2)
    }
    state = h
  }

  /// The hash (never 0, which hash tables may use for an empty slot).
  @inlinable
  public var value: UInt64 {
    let v = Self.mum(state, Self.p2 ^ 0x5bd1_e995)
    return v == 0 ? 1 : v
  }

  /// The hash of row `r` of `columns` (the key columns' buffers, in key order).
  public static func row(_ r: Int, of buffers: [ColumnBuffer], columns: [Int]) -> UInt64 {
    var h = KeyHash()
    for c in columns {
      let b = buffers[c]
      guard b.isValid(r) else {
        h.addNull()
        continue
      }
      switch b.type.storage {
      case .bytes:
        b.data.withUnsafeBytes { raw in
          h.add(
            bytes: UnsafeRawBufferPointer(rebasing: raw[Int(b.offsets[r])..<Int(b.offsets[r + 1])]))
        }
      case .int32: h.add(Int64(b.int32s[r]))
      case .int64: h.add(b.int64s[r])
      case .boolean: h.add(b.booleans[r] ? 1 : 0)
      case .double: h.add(Int64(bitPattern: b.doubles[r].bitPattern))
      case .float: h.add(Int64(bitPattern: Double(b.floats[r]).bitPattern))
      case .int128: h.add(Int64(truncatingIfNeeded: b.int128s[r]))
      }
    }
    return h.value
  }
}

/// A set of 64-bit key hashes: open addressing, linear probing, 8 bytes a slot, grown at 70 %.
///
/// Memory is about 11–23 bytes per key. 0 marks an empty slot (``KeyHash/value`` is never 0).
public final class KeyHashSet {
  var slots: [UInt64]
  var mask: Int
  /// Keys held.
  public private(set) var count = 0

  /// An empty set with room for `capacity` keys before growing.
  public init(capacity: Int = 1024) {
    var size = 16
    while size * 7 / 10 < capacity { size <<= 1 }
    slots = [UInt64](repeating: 0, count: size)
    mask = size - 1
  }

  /// Bytes held by the table.
  public var bytes: Int { slots.count * 8 }

  /// Inserts `hash`; returns false when it was already there.
  @discardableResult
  public func insert(_ hash: UInt64) -> Bool {
    if (count + 1) * 10 > slots.count * 7 { grow() }
    let h = hash == 0 ? 1 : hash
    return slots.withUnsafeMutableBufferPointer { s in
      var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
      while true {
        let v = s[i]
        if v == h { return false }
        if v == 0 {
          s[i] = h
          count += 1
          return true
        }
        i = (i + 1) & mask
      }
    }
  }

  /// Whether `hash` is in the set.
  public func contains(_ hash: UInt64) -> Bool {
    let h = hash == 0 ? 1 : hash
    return slots.withUnsafeBufferPointer { s in
      var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
      while true {
        let v = s[i]
        if v == h { return true }
        if v == 0 { return false }
        i = (i + 1) & mask
      }
    }
  }

  /// The hashes held, in no particular order.
  public func values() -> [UInt64] {
    var out: [UInt64] = []
    out.reserveCapacity(count)
    for v in slots where v != 0 { out.append(v) }
    return out
  }

  func grow() {
    let old = slots
    slots = [UInt64](repeating: 0, count: old.count * 2)
    mask = slots.count - 1
    count = 0
    for v in old where v != 0 { insert(v) }
  }
}
