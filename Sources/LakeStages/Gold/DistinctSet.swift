// LakeStages/Gold/DistinctSet.swift
//
// The (group, value id) pairs a count_distinct metric has seen. Value ids are dense (interned
// per day by GoldContext), so the first `bitmapGroups` groups (a day table's one group per day,
// a few per group-by value) keep a bitmap of their value ids: one bit test per row, in cache.
// Other groups (minute buckets, many group-by values) keep a set of their own: an
// open-addressing table of 32-bit value ids, growing when half full. Rows come in time order,
// so the rows of one minute find their group's table in cache; one shared table of 64-bit pairs
// (before) took a cache miss per row once a day's pairs outgrew the cache. Memory: at most
// `bitmapGroups` bits per distinct value, plus 8 bytes per pair of the other groups and a few
// words per group. Hand-managed storage; one owner.

import LakeFormats

/// A set of (group, value id) pairs.
final class DistinctSet {
  /// An empty slot of a group's table (never a value id: GoldContext's null id, not inserted).
  static let empty = UInt32.max
  /// Groups below this keep a bitmap.
  static let bitmapGroups = 64
  /// Slots of a group's table when it gets its first value.
  static let firstSlots = 16
  /// Pairs held by the tables of the groups past the bitmaps.
  private(set) var count = 0
  /// Per bitmap group: its words (nil until used) and how many.
  private var bitmaps: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>
  private var bitmapWords: UnsafeMutablePointer<Int>
  /// Per group past the bitmaps (index `group - bitmapGroups`): its table (nil until used),
  /// its slot count (a power of two) and the values in it.
  private var tables: [GroupTable] = []

  struct GroupTable {
    var slots: UnsafeMutablePointer<UInt32>?
    var slotCount: Int32 = 0
    var count: Int32 = 0
  }

  init() {
    bitmaps = .allocate(capacity: Self.bitmapGroups)
    bitmaps.initialize(repeating: nil, count: Self.bitmapGroups)
    bitmapWords = .allocate(capacity: Self.bitmapGroups)
    bitmapWords.initialize(repeating: 0, count: Self.bitmapGroups)
  }

  deinit {
    for g in 0..<Self.bitmapGroups { bitmaps[g]?.deallocate() }
    bitmaps.deallocate()
    bitmapWords.deallocate()
    for t in tables { t.slots?.deallocate() }
  }

  /// Adds the pair; true when it was not in the set.
  @inline(__always)
  func insert(group: UInt32, value: UInt32) -> Bool {
    let g = Int(group)
    guard g < Self.bitmapGroups else { return insert(table: g &- Self.bitmapGroups, value) }
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

  /// Empties the set, keeping each group's table (a day's groups are much like the last's);
  /// a table much larger than what it held gives memory back.
  func removeAll() {
    for g in 0..<Self.bitmapGroups where bitmapWords[g] > 0 {
      bitmaps[g]!.update(repeating: 0, count: bitmapWords[g])
    }
    guard count > 0 else { return }
    count = 0
    for i in tables.indices {
      guard let slots = tables[i].slots else { continue }
      let held = Int(tables[i].count)
      var want = Self.firstSlots
      while want < held * 2 { want *= 2 }
      if want < Int(tables[i].slotCount) {
        slots.deallocate()
        tables[i].slots = .allocate(capacity: want)
        tables[i].slots!.initialize(repeating: Self.empty, count: want)
        tables[i].slotCount = Int32(want)
      } else if held > 0 {
        slots.update(repeating: Self.empty, count: Int(tables[i].slotCount))
      }
      tables[i].count = 0
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
    guard count > 0 else { return }
    for (t, table) in tables.enumerated() where table.count > 0 {
      let slots = table.slots!
      for i in 0..<Int(table.slotCount) where slots[i] != Self.empty {
        try body(UInt32(t + Self.bitmapGroups), slots[i])
      }
    }
  }

  /// The first slot to try for `value` in a table of `mask + 1` slots (Fibonacci hashing of
  /// the dense ids).
  @inline(__always)
  private static func home(_ value: UInt32, _ mask: Int) -> Int {
    Int(truncatingIfNeeded: (UInt64(value) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
  }

  /// Adds `value` to the table of group `bitmapGroups + t`; true when it was not in it.
  @inline(__always)
  private func insert(table t: Int, _ value: UInt32) -> Bool {
    if t >= tables.count { addTables(upTo: t) }
    return tables.withUnsafeMutableBufferPointer { tables in
      if tables[t].slots == nil || Int(tables[t].count) &* 2 >= Int(tables[t].slotCount) {
        Self.grow(&tables[t])
      }
      let table = tables[t]
      let slots = table.slots.unsafelyUnwrapped
      let mask = Int(table.slotCount) &- 1
      var slot = Self.home(value, mask)
      while true {
        let e = slots[slot]
        if e == value { return false }
        if e == Self.empty { break }
        slot = (slot &+ 1) & mask
      }
      slots[slot] = value
      tables[t].count = table.count &+ 1
      count &+= 1
      return true
    }
  }

  private func addTables(upTo t: Int) {
    tables.append(
      contentsOf: repeatElement(GroupTable(), count: max(t + 1, tables.count * 2) - tables.count))
  }

  /// Doubles a group's table (or gives it its first one), placing its values again.
  private static func grow(_ table: inout GroupTable) {
    let oldCount = Int(table.slotCount)
    let newCount = max(Self.firstSlots, oldCount * 2)
    let slots = UnsafeMutablePointer<UInt32>.allocate(capacity: newCount)
    slots.initialize(repeating: Self.empty, count: newCount)
    let mask = newCount - 1
    if let old = table.slots {
      for i in 0..<oldCount where old[i] != Self.empty {
        var slot = home(old[i], mask)
        while slots[slot] != Self.empty { slot = (slot + 1) & mask }
        slots[slot] = old[i]
      }
      old.deallocate()
    }
    table.slots = slots
    table.slotCount = Int32(newCount)
  }
}
