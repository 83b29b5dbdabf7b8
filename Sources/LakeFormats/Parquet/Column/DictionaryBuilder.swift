// LakeFormats/Parquet/Column/DictionaryBuilder.swift
//
// Dictionaries for the writer's RLE_DICTIONARY pages: value → index maps with open addressing,
// one for byte strings (entries kept in one arena, compared with memcmp) and one for fixed-width
// values (keyed by their 64-bit pattern). No allocation per value; tables double when half full.
//
// A value equal to the one looked up just before (byte strings: same length and bytes;
// fixed-width: same bits) gets that one's index without hashing, so a column that repeats a
// value for many rows (a source file name, a date) costs one comparison per row.

/// Hashes `count` bytes at `p` (8 bytes a step; stable within a process run).
@inline(__always)
func hashBytes(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
  var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
  var i = 0
  while i + 8 <= count {
    let v = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
    h = (h ^ v) &* 0xBF58_476D_1CE4_E5B9
    h ^= h >> 29
    i += 8
  }
  var tail: UInt64 = 0
  if i < count {
    if count >= 8 {
      // The last 8 bytes, overlapping what was hashed: one load instead of a byte loop.
      tail = p.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    } else if count >= 4 {
      // 4…7 bytes: two overlapping 32-bit loads.
      tail =
        UInt64(p.loadUnaligned(as: UInt32.self))
        | UInt64(p.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)) << 32
    } else {
      // 1…3 bytes: first, middle and last byte.
      tail =
        UInt64(p.load(as: UInt8.self)) | UInt64(p.load(fromByteOffset: count >> 1, as: UInt8.self))
        << 8
        | UInt64(p.load(fromByteOffset: count - 1, as: UInt8.self)) << 16
    }
  }
  // A full finaliser: every input bit moves every output bit. Strings that differ only in their
  // last bytes ("/product/P01234", "/product/P01299") must still spread over the table.
  return mix64(h ^ tail)
}

/// A stable 64-bit mix of `v` (SplitMix64's finaliser): dictionary hashing here, per-entity
/// attributes in lh-gen (a user's country, a product's price) that must not depend on draw order.
@inlinable
public func mix64(_ v: UInt64) -> UInt64 {
  var z = v &+ 0x9E37_79B9_7F4A_7C15
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

/// A dictionary of distinct byte strings in insertion order.
///
/// Storage is managed by hand (one owner, no copy-on-write, no bounds checks in the probe loop):
/// the writer looks up every value of every dictionary-encoded string column here. A
/// `ColumnChunkWriter` holds the only reference.
public final class ByteDictionary {
  /// Per slot: the entry's hash high 32 bits, then its index + 1 in the low 32; 0 is empty.
  ///
  /// A probe compares the hash bits in the slot before it touches the entry's bytes.
  private var slots: UnsafeMutablePointer<UInt64>
  private var slotCount: Int
  /// Full hashes per entry (for growing the table).
  private var hashes: UnsafeMutablePointer<UInt64>
  /// End offsets of entries, with a leading 0 (`count + 1` used).
  private(set) var offsetStorage: UnsafeMutablePointer<Int32>
  private var entryCapacity: Int
  private(set) var dataStorage: UnsafeMutablePointer<UInt8>
  private var dataCapacity: Int
  private(set) var dataCount = 0
  public private(set) var count = 0
  /// The index returned last, or -1 (the fast path for repeated values).
  private var lastIndex = -1

  /// An empty dictionary with room for `capacity` entries (of 32 bytes) before growing.
  public init(capacity: Int = 512) {
    entryCapacity = max(capacity, 1)
    slotCount = 8
    while slotCount < 2 * entryCapacity { slotCount <<= 1 }
    slots = .allocate(capacity: slotCount)
    slots.initialize(repeating: 0, count: slotCount)
    hashes = .allocate(capacity: entryCapacity)
    offsetStorage = .allocate(capacity: entryCapacity + 1)
    offsetStorage[0] = 0
    dataCapacity = 32 * entryCapacity
    dataStorage = .allocate(capacity: dataCapacity)
  }

  /// Bytes of storage held.
  public var heldBytes: Int { slotCount * 8 + entryCapacity * 12 + dataCapacity }

  deinit {
    slots.deallocate()
    hashes.deallocate()
    offsetStorage.deallocate()
    dataStorage.deallocate()
  }

  /// Bytes of the PLAIN-encoded dictionary page (4-byte length per entry).
  var plainSize: Int { dataCount + 4 * count }

  /// The bytes of entry `i`.
  public func entry(_ i: Int) -> UnsafeRawBufferPointer {
    let s = Int(offsetStorage[i])
    return UnsafeRawBufferPointer(start: dataStorage + s, count: Int(offsetStorage[i + 1]) - s)
  }

  /// Empties the dictionary, keeping its storage.
  public func removeAll() {
    count = 0
    dataCount = 0
    lastIndex = -1
    slots.update(repeating: 0, count: slotCount)
  }

  /// The index of `value`, inserting it if new.
  @inline(__always)
  public func index(of value: UnsafeRawBufferPointer) -> UInt32 {
    let n = value.count
    let src = value.baseAddress ?? UnsafeRawPointer(dataStorage)
    if lastIndex >= 0 {
      let start = Int(offsetStorage[lastIndex])
      if Int(offsetStorage[lastIndex &+ 1]) &- start == n && Self.same(dataStorage + start, src, n)
      {
        return UInt32(truncatingIfNeeded: lastIndex)
      }
    }
    let i = lookUp(src, n)
    lastIndex = Int(i)
    return i
  }

  /// The index of the `n` bytes at `src` by hashing, inserting them if new.
  @inline(__always)
  private func lookUp(_ src: UnsafeRawPointer, _ n: Int) -> UInt32 {
    let h = hashBytes(src, n)
    let mask = slotCount &- 1
    let tag = h & 0xFFFF_FFFF_0000_0000
    var slot = Int(truncatingIfNeeded: h) & mask
    while true {
      let e = slots[slot]
      if e == 0 { break }
      if e & 0xFFFF_FFFF_0000_0000 == tag {
        let i = Int(truncatingIfNeeded: e & 0xFFFF_FFFF) &- 1
        let start = Int(offsetStorage[i])
        if Int(offsetStorage[i &+ 1]) &- start == n && Self.same(dataStorage + start, src, n) {
          return UInt32(truncatingIfNeeded: i)
        }
      }
      slot = (slot &+ 1) & mask
    }
    return insert(src, n, hash: h, slot: slot)
  }

  /// Equal bytes: words up to 64 bytes, memcmp for longer ones.
  @inline(__always)
  static func same(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    if n >= 8 && n <= 16 {
      // Two overlapping 64-bit words cover 8…16 bytes.
      return a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
        && a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
          == b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
    }
    if n >= 4 && n < 8 {
      return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
        && a.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
          == b.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
    }
    if n < 4 {
      var i = 0
      while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
          return false
        }
        i &+= 1
      }
      return true
    }
    if n <= 64 {
      // 17…64 bytes (UUIDs, ids, short paths): words, the last one overlapping; no call.
      var i = 0
      while i &+ 8 < n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
          != b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        {
          return false
        }
        i &+= 8
      }
      return a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        == b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
    }
    return memcmp(a, b, n) == 0
  }

  private func insert(_ src: UnsafeRawPointer, _ n: Int, hash h: UInt64, slot: Int) -> UInt32 {
    if count == entryCapacity {
      let capacity = entryCapacity * 2
      let newHashes = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
      newHashes.update(from: hashes, count: count)
      hashes.deallocate()
      hashes = newHashes
      let newOffsets = UnsafeMutablePointer<Int32>.allocate(capacity: capacity + 1)
      newOffsets.update(from: offsetStorage, count: count + 1)
      offsetStorage.deallocate()
      offsetStorage = newOffsets
      entryCapacity = capacity
    }
    if dataCount + n > dataCapacity {
      var capacity = dataCapacity * 2
      while dataCount + n > capacity { capacity *= 2 }
      let newData = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
      newData.update(from: dataStorage, count: dataCount)
      dataStorage.deallocate()
      dataStorage = newData
      dataCapacity = capacity
    }
    if n > 0 {
      UnsafeMutableRawPointer(dataStorage + dataCount).copyMemory(from: src, byteCount: n)
    }
    dataCount += n
    let i = count
    hashes[i] = h
    offsetStorage[i + 1] = Int32(truncatingIfNeeded: dataCount)
    count += 1
    slots[slot] = Self.slotEntry(hash: h, index: i)
    if count * 2 > slotCount { grow() }
    return UInt32(truncatingIfNeeded: i)
  }

  @inline(__always)
  private static func slotEntry(hash h: UInt64, index i: Int) -> UInt64 {
    h & 0xFFFF_FFFF_0000_0000 | UInt64(truncatingIfNeeded: i &+ 1)
  }

  private func grow() {
    slots.deallocate()
    slotCount *= 2
    slots = .allocate(capacity: slotCount)
    slots.initialize(repeating: 0, count: slotCount)
    let mask = slotCount - 1
    for i in 0..<count {
      var slot = Int(truncatingIfNeeded: hashes[i]) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Self.slotEntry(hash: hashes[i], index: i)
    }
  }

  /// Appends the PLAIN encoding of every entry (uint32 length + bytes).
  func encodePlain(into out: inout [UInt8]) {
    out.reserveCapacity(out.count + plainSize)
    for i in 0..<count {
      let e = entry(i)
      appendLittleEndian(UInt32(e.count), to: &out)
      out.append(contentsOf: e)
    }
  }
}

/// A dictionary of distinct fixed-width values, keyed by their bit pattern.
///
/// Hand-managed storage, like `ByteDictionary`; one owner holds the only reference (a column
/// writer, or an aggregation that interns values).
public final class FixedDictionary {
  private var slots: UnsafeMutablePointer<Int32>
  private var slotCount: Int
  private var storage: UnsafeMutablePointer<UInt64>
  private var capacity: Int
  public private(set) var count = 0
  /// The value looked up last and its index, or -1 (the fast path for repeated values).
  private var lastBits: UInt64 = 0
  private var lastIndex: Int32 = -1

  /// An empty dictionary with room for `capacity` entries before growing.
  public init(capacity: Int = 512) {
    self.capacity = max(capacity, 1)
    slotCount = 8
    while slotCount < 2 * self.capacity { slotCount <<= 1 }
    slots = .allocate(capacity: slotCount)
    slots.initialize(repeating: 0, count: slotCount)
    storage = .allocate(capacity: self.capacity)
  }

  /// Bytes of storage held.
  public var heldBytes: Int { slotCount * 4 + capacity * 8 }

  deinit {
    slots.deallocate()
    storage.deallocate()
  }

  /// The entries in insertion order.
  public var values: UnsafeBufferPointer<UInt64> {
    UnsafeBufferPointer(start: storage, count: count)
  }

  /// Empties the dictionary, keeping its storage.
  public func removeAll() {
    count = 0
    lastIndex = -1
    slots.update(repeating: 0, count: slotCount)
  }

  /// The index of the value with these bits, inserting it if new.
  @inline(__always)
  public func index(of bits: UInt64) -> UInt32 {
    if bits == lastBits && lastIndex >= 0 { return UInt32(truncatingIfNeeded: lastIndex) }
    let i = lookUp(bits)
    lastBits = bits
    lastIndex = Int32(truncatingIfNeeded: i)
    return i
  }

  @inline(__always)
  private func lookUp(_ bits: UInt64) -> UInt32 {
    let mask = slotCount &- 1
    var slot = Int(truncatingIfNeeded: mix64(bits)) & mask
    while true {
      let e = Int(slots[slot])
      if e == 0 { break }
      if storage[e &- 1] == bits { return UInt32(truncatingIfNeeded: e &- 1) }
      slot = (slot &+ 1) & mask
    }
    return insert(bits, slot: slot)
  }

  private func insert(_ bits: UInt64, slot: Int) -> UInt32 {
    if count == capacity {
      let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity * 2)
      bigger.update(from: storage, count: count)
      storage.deallocate()
      storage = bigger
      capacity *= 2
    }
    storage[count] = bits
    count += 1
    slots[slot] = Int32(truncatingIfNeeded: count)
    if count * 2 > slotCount { grow() }
    return UInt32(truncatingIfNeeded: count - 1)
  }

  private func grow() {
    slots.deallocate()
    slotCount *= 2
    slots = .allocate(capacity: slotCount)
    slots.initialize(repeating: 0, count: slotCount)
    let mask = slotCount - 1
    for i in 0..<count {
      var slot = Int(truncatingIfNeeded: mix64(storage[i])) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(i + 1)
    }
  }
}

/// Appends `value` in little-endian byte order.
@inline(__always)
@inlinable
public func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
  withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
}

#if canImport(Glibc)
import Glibc
#endif
