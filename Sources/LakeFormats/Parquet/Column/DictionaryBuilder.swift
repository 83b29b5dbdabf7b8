// LakeFormats/Parquet/Column/DictionaryBuilder.swift
//
// Dictionaries for the writer's RLE_DICTIONARY pages: value → index maps with open addressing,
// one for byte strings (entries kept in one arena, compared with memcmp) and one for fixed-width
// values (keyed by their 64-bit pattern). No allocation per value; tables double when half full.

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
  var shift: UInt64 = 0
  while i < count {
    tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
    shift += 8
    i += 1
  }
  h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
  return h ^ (h >> 31)
}

@inline(__always)
func hash64(_ v: UInt64) -> UInt64 {
  var z = v &+ 0x9E37_79B9_7F4A_7C15
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

/// A dictionary of distinct byte strings in insertion order.
struct ByteDictionary {
  /// End offsets of entries (with a leading 0).
  var offsets: [Int32] = [0]
  var data: [UInt8] = []
  var hashes: [UInt64] = []
  /// Entry index + 1 per slot; 0 is empty.
  var slots: [Int32] = [Int32](repeating: 0, count: 1024)

  var count: Int { hashes.count }
  /// Bytes of the PLAIN-encoded dictionary page (4-byte length per entry).
  var plainSize: Int { data.count + 4 * hashes.count }

  mutating func removeAll() {
    offsets.removeAll(keepingCapacity: true)
    offsets.append(0)
    data.removeAll(keepingCapacity: true)
    hashes.removeAll(keepingCapacity: true)
    for i in slots.indices { slots[i] = 0 }
  }

  /// The index of `value`, inserting it if new.
  @inline(__always)
  mutating func index(of value: UnsafeRawBufferPointer) -> UInt32 {
    let n = value.count
    let h =
      n == 0 ? hashBytes(UnsafeRawPointer(bitPattern: 1)!, 0) : hashBytes(value.baseAddress!, n)
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: h) & mask
    while true {
      let e = Int(slots[slot])
      if e == 0 { break }
      let i = e - 1
      if hashes[i] == h {
        let start = Int(offsets[i])
        let len = Int(offsets[i + 1]) - start
        if len == n {
          let same = data.withUnsafeBytes { d in
            n == 0 || memcmp(d.baseAddress! + start, value.baseAddress!, n) == 0
          }
          if same { return UInt32(i) }
        }
      }
      slot = (slot + 1) & mask
    }
    let i = hashes.count
    hashes.append(h)
    data.append(contentsOf: value)
    offsets.append(Int32(truncatingIfNeeded: data.count))
    slots[slot] = Int32(i + 1)
    if hashes.count * 2 > slots.count { grow() }
    return UInt32(i)
  }

  mutating func grow() {
    slots = [Int32](repeating: 0, count: slots.count * 2)
    let mask = slots.count - 1
    for (i, h) in hashes.enumerated() {
      var slot = Int(truncatingIfNeeded: h) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(i + 1)
    }
  }

  /// Appends the PLAIN encoding of every entry (uint32 length + bytes).
  func encodePlain(into out: inout [UInt8]) {
    out.reserveCapacity(out.count + plainSize)
    for i in 0..<count {
      let start = Int(offsets[i])
      let end = Int(offsets[i + 1])
      appendLittleEndian(UInt32(end - start), to: &out)
      out.append(contentsOf: data[start..<end])
    }
  }
}

/// A dictionary of distinct fixed-width values, keyed by their bit pattern.
struct FixedDictionary {
  var values: [UInt64] = []
  var slots: [Int32] = [Int32](repeating: 0, count: 1024)

  var count: Int { values.count }

  mutating func removeAll() {
    values.removeAll(keepingCapacity: true)
    for i in slots.indices { slots[i] = 0 }
  }

  @inline(__always)
  mutating func index(of bits: UInt64) -> UInt32 {
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash64(bits)) & mask
    while true {
      let e = Int(slots[slot])
      if e == 0 { break }
      if values[e - 1] == bits { return UInt32(e - 1) }
      slot = (slot + 1) & mask
    }
    let i = values.count
    values.append(bits)
    slots[slot] = Int32(i + 1)
    if values.count * 2 > slots.count { grow() }
    return UInt32(i)
  }

  mutating func grow() {
    slots = [Int32](repeating: 0, count: slots.count * 2)
    let mask = slots.count - 1
    for (i, v) in values.enumerated() {
      var slot = Int(truncatingIfNeeded: hash64(v)) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(i + 1)
    }
  }
}

/// Appends `value` in little-endian byte order.
@inline(__always)
func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
  withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
}

#if canImport(Glibc)
import Glibc
#endif
