// LakeStages/Gold/DistinctSet.swift
//
// The (group, value id) pairs a count_distinct metric has seen. Value ids are dense (interned
// per day by GoldContext), so the first `bitmapGroups` groups (a day table's one group per day,
// a few per group-by value) keep a bitmap of their value ids: one bit test per row, in cache.
// Other groups (minute buckets) go to an open-addressing set of 64-bit keys stored in the slots
// themselves (one cache line per lookup, no index to follow), growing when half full. Memory:
// at most `bitmapGroups` bits per distinct value, plus 16 bytes per pair of the other groups.
// Hand-managed storage; one owner.

import LakeFormats

/// A set of (group, value id) pairs.
final class DistinctSet {
  static let empty = UInt64.max
  /// Groups below this keep a bitmap.
  static let bitmapGroups = 64
  private var slots: UnsafeMutablePointer<UInt64>
  private var slotCount: Int
  /// Pairs in `slots`.
  private(set) var count = 0
  /// Per bitmap group: its words (nil until used) and how many.
  private var bitmaps: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>
  private var bitmapWords: UnsafeMutablePointer<Int>

  init() {
    slotCount = 1024
    slots = .allocate(capacity: slotCount)
    slots.initialize(repeating: Self.empty, count: slotCount)
    bitmaps = .allocate(capacity: Self.bitmapGroups)
    bitmaps.initialize(repeating: nil, count: Self.bitmapGroups)
    bitmapWords = .allocate(capacity: Self.bitmapGroups)
    bitmapWords.initialize(repeating: 0, count: Self.bitmapGroups)
  }

  deinit {
    slots.deallocate()
    for g in 0..<Self.bitmapGroups { bitmaps[g]?.deallocate() }
    bitmaps.deallocate()
    bitmapWords.deallocate()
  }

  /// Adds the pair; true when it was not in the set.
  @inline(__always)
  func insert(group: UInt32, value: UInt32) -> Bool {
    let g = Int(group)
    guard g < Self.bitmapGroups else { return insert(UInt64(group) << 32 | UInt64(value)) }
    let w = Int(value >> 6)
    if w >= bitmapWords[g] { growBitmap(g, to: w + 1) }
    let p = bitmaps[g].unsafelyUnwrapped + w
    let bit: UInt64 = 1 << UInt64(value & 63)
    let word = p.pointee
    if word & bit != 0 { return false }
    p.pointee = word | bit
    return true
  }

  private func growBitmap(_ g: Int, to words: Int) {
    let old = bitmapWords[g]
    let capacity = max(words, old * 2, 64)
    let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
    if let current = bitmaps[g] {
      bigger.update(from: current, count: old)
      current.deallocate()
    }
    (bigger + old).initialize(repeating: 0, count: capacity - old)
    bitmaps[g] = bigger
    bitmapWords[g] = capacity
  }

  /// Empties the set, keeping room for as many keys as it held (a smaller day after a big one
  /// gives memory back, and clearing costs what the last day held).
  func removeAll() {
    for g in 0..<Self.bitmapGroups where bitmapWords[g] > 0 {
      bitmaps[g]!.update(repeating: 0, count: bitmapWords[g])
    }
    guard count > 0 else { return }
    var want = 1024
    while want < count * 2 { want *= 2 }
    count = 0
    if want < slotCount {
      slots.deallocate()
      slotCount = want
      slots = .allocate(capacity: slotCount)
      slots.initialize(repeating: Self.empty, count: slotCount)
    } else {
      slots.update(repeating: Self.empty, count: slotCount)
    }
  }

  /// Calls `body` with every (group, value id) pair (in no particular order).
  func forEachPair(_ body: (UInt32, UInt32) throws -> Void) rethrows {
    for g in 0..<Self.bitmapGroups where bitmapWords[g] > 0 {
      let p = bitmaps[g]!
      for w in 0..<bitmapWords[g] {
        var word = p[w]
        while word != 0 {
          let bit = word.trailingZeroBitCount
          try body(UInt32(g), UInt32(w * 64 + bit))
          word &= word &- 1
        }
      }
    }
    for i in 0..<slotCount where slots[i] != Self.empty {
      try body(UInt32(truncatingIfNeeded: slots[i] >> 32), UInt32(truncatingIfNeeded: slots[i]))
    }
  }

  /// Adds `key` (a pair of a group past the bitmaps); true when it was not in the set.
  @inline(__always)
  private func insert(_ key: UInt64) -> Bool {
    let mask = slotCount &- 1
    var slot = Int(truncatingIfNeeded: mix64(key)) & mask
    while true {
      let e = slots[slot]
      if e == key { return false }
      if e == Self.empty { break }
      slot = (slot &+ 1) & mask
    }
    slots[slot] = key
    count &+= 1
    if count &* 2 > slotCount { grow() }
    return true
  }

  private func grow() {
    let old = slots
    let oldCount = slotCount
    slotCount *= 2
    slots = .allocate(capacity: slotCount)
    slots.initialize(repeating: Self.empty, count: slotCount)
    let mask = slotCount - 1
    for i in 0..<oldCount where old[i] != Self.empty {
      var slot = Int(truncatingIfNeeded: mix64(old[i])) & mask
      while slots[slot] != Self.empty { slot = (slot + 1) & mask }
      slots[slot] = old[i]
    }
    old.deallocate()
  }
}
