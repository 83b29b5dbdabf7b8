// LakeContracts/Validator/ContractValidator+Unknown.swift
//
// Keys the contract does not name: a whole dataset may carry dozens on every line once a producer
// adds fields, so this is a hot path like the columns' values. Per line, each unknown key is
// hashed once (FNV-1a over its unescaped bytes); the hashes find a repeated key (pairwise for a
// few keys, through a table for many) and, for accepted rows, the key's counter in
// ``UnknownKeyCounts``. The `_extra` text is copied from the line in spans. No allocation per
// line once the buffers have grown; an escaped key is unescaped into the line's scratch buffer.

import LakeFormats

/// One unknown key of the line being validated.
struct UnknownKey {
  /// The field's position in the line.
  var field: Int
  /// FNV-1a of the key's unescaped bytes.
  var hash: UInt64 = 0
  /// The unescaped key: a span of the line, or of the validator's scratch when it has escapes.
  var start = 0
  var end = 0
  var inScratch = false

  init(field: Int) { self.field = field }

  /// The key's unescaped bytes, in `line` or `scratch`.
  @inline(__always)
  func bytes(_ line: UnsafeRawBufferPointer, _ scratch: UnsafeRawBufferPointer)
    -> UnsafeRawBufferPointer
  {
    UnsafeRawBufferPointer(rebasing: (inScratch ? scratch : line)[start..<end])
  }

  /// Whether `x` and `y` hold the same bytes: 8 at a time, no call (keys are short).
  @inline(__always)
  static func equal(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
    let n = x.count
    guard n == y.count else { return false }
    guard n > 0, let a = x.baseAddress, let b = y.baseAddress else { return true }
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

  /// FNV-1a of `bytes`.
  @inline(__always)
  static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return h
  }
}

/// Counts of unknown key names, up to a fixed number of distinct names: an open-addressing table
/// over the names' hashes (at most half full), the names back to back in one buffer.
struct UnknownKeyCounts {
  /// The most distinct names held.
  let limit: Int
  /// The names, back to back; name k is `names[starts[k]..<starts[k + 1]]`.
  private(set) var names: [UInt8] = []
  private(set) var starts: [Int] = [0]
  private(set) var hashes: [UInt64] = []
  /// Each name's count.
  var counts: [Int] = []
  /// Slot → name index, or -1; a power of two at least twice `limit`.
  private var slots: [Int32]
  private let mask: Int

  init(limit: Int) {
    self.limit = limit
    var size = 16
    while size < 2 * limit { size <<= 1 }
    slots = Array(repeating: -1, count: size)
    mask = size - 1
  }

  /// The number of names held.
  var count: Int { counts.count }

  /// Name `k`'s bytes.
  func name(_ k: Int) -> ArraySlice<UInt8> { names[starts[k]..<starts[k + 1]] }

  /// The index of `key` (whose ``UnknownKey/hash(_:)`` is `hash`), added when new and there is
  /// room; nil when it is not held and `add` is false or the table is full.
  @inline(__always)
  mutating func index(of key: UnsafeRawBufferPointer, hash: UInt64, add: Bool) -> Int? {
    var s = Int(truncatingIfNeeded: hash) & mask
    while true {
      let k = Int(slots[s])
      if k < 0 { break }
      if hashes[k] == hash && equals(k, key) { return k }
      s = (s &+ 1) & mask
    }
    guard add, counts.count < limit else { return nil }
    let k = counts.count
    slots[s] = Int32(k)
    names.append(contentsOf: key)
    starts.append(names.count)
    hashes.append(hash)
    counts.append(0)
    return k
  }

  @inline(__always)
  private func equals(_ k: Int, _ key: UnsafeRawBufferPointer) -> Bool {
    let start = starts[k]
    guard starts[k + 1] &- start == key.count else { return false }
    return names.withUnsafeBytes { all in
      UnknownKey.equal(UnsafeRawBufferPointer(rebasing: all[start..<(start &+ key.count)]), key)
    }
  }
}

extension ContractValidator {
  /// Unescapes and hashes the line's unknown keys; a reject when two are equal, else nil.
  ///
  /// A few keys are compared pairwise (the first key, in line order, that appears again is
  /// named); many go through a table of their hashes (the first key that repeats an earlier one
  /// is named), so that a line of n unknown keys costs O(n), not O(n²).
  func indexUnknownKeys(
    _ fields: UnsafeBufferPointer<JSONField>, _ line: UnsafeRawBufferPointer
  ) -> ContractReject? {
    // Locals for the loops: one access to each buffer, not one per key.
    var keys: [UnknownKey] = []
    var scratch: [UInt8] = []
    swap(&keys, &unknown)
    swap(&scratch, &self.scratch)
    defer {
      swap(&keys, &unknown)
      swap(&scratch, &self.scratch)
    }
    for i in keys.indices {
      let f = fields[keys[i].field]
      if f.keyHasEscapes {
        let start = scratch.count
        // The scanner validated the escapes already.
        try? JSONValue.unescape(f.keyBytes(in: line), into: &scratch)
        keys[i].start = start
        keys[i].end = scratch.count
        keys[i].inScratch = true
      } else {
        keys[i].start = f.keyStart
        keys[i].end = f.keyEnd
      }
    }
    let repeated: Int? = scratch.withUnsafeBytes { scratch in
      keys.withUnsafeMutableBufferPointer { keys in
        for i in keys.indices { keys[i].hash = UnknownKey.hash(keys[i].bytes(line, scratch)) }
        guard keys.count > 1 else { return nil }
        func same(_ a: Int, _ b: Int) -> Bool {
          guard keys[a].hash == keys[b].hash else { return false }
          let x = keys[a].bytes(line, scratch)
          let y = keys[b].bytes(line, scratch)
          return UnknownKey.equal(x, y)
        }
        if keys.count <= 16 {
          for a in 0..<keys.count {
            for b in (a + 1)..<keys.count where same(a, b) { return a }
          }
          return nil
        }
        return firstRepeat(keys.count, hash: { keys[$0].hash }, same: same)
      }
    }
    guard let repeated else { return nil }
    let name = scratch.withUnsafeBytes { Array(keys[repeated].bytes(line, $0)) }
    return ContractReject(
      reason: .duplicateKeyInLine, field: String(decoding: name, as: UTF8.self),
      message: "the key appears twice")
  }

  /// The first of `n` keys that equals an earlier one, found through a table of their hashes.
  func firstRepeat(_ n: Int, hash: (Int) -> UInt64, same: (Int, Int) -> Bool) -> Int? {
    var size = 32
    while size < 2 * n { size <<= 1 }
    if probe.count < size { probe = Array(repeating: -1, count: size) }
    return probe.withUnsafeMutableBufferPointer { table in
      for s in 0..<size { table[s] = -1 }
      let mask = size - 1
      for i in 0..<n {
        var s = Int(truncatingIfNeeded: hash(i)) & mask
        while table[s] >= 0 {
          if same(Int(table[s]), i) { return i }
          s = (s &+ 1) & mask
        }
        table[s] = Int32(i)
      }
      return nil
    }
  }

  /// Writes the unknown members of the line into `extra` as one compact JSON object.
  func writeExtra(_ fields: UnsafeBufferPointer<JSONField>, _ line: UnsafeRawBufferPointer) {
    var out: [UInt8] = []
    swap(&out, &extra)
    defer { swap(&out, &extra) }
    out.removeAll(keepingCapacity: true)
    out.append(0x7B)
    for (n, key) in unknown.enumerated() {
      let f = fields[key.field]
      if n > 0 { out.append(0x2C) }
      // The key with its quotes, still escaped as it was: valid JSON.
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[(f.keyStart - 1)...f.keyEnd]))
      out.append(0x3A)
      switch f.kind {
      case .string:
        out.append(
          contentsOf: UnsafeRawBufferPointer(rebasing: line[(f.valueStart - 1)...f.valueEnd]))
      case .object, .array:
        NumberText.appendCompact(f.valueBytes(in: line), to: &out)
      default:
        out.append(contentsOf: f.valueBytes(in: line))
      }
    }
    out.append(0x7D)
  }

  /// Takes back the counts of a row appended earlier and dropped since (a duplicate found after
  /// validation): its unknown keys by name, read from its `_extra` text as appended.
  ///
  /// - Parameter extra: The row's `_extra` value (a JSON object written by this validator).
  public func uncount(extra: UnsafeRawBufferPointer) {
    accepted &-= 1
    var keys: [JSONField] = []
    guard (try? scanner.scan(extra, into: &keys)) != nil else { return }
    for f in keys {
      if f.keyHasEscapes {
        var key: [UInt8] = []
        try? JSONValue.unescape(f.keyBytes(in: extra), into: &key)
        key.withUnsafeBytes { tally($0, hash: UnknownKey.hash($0), by: -1) }
      } else {
        let key = f.keyBytes(in: extra)
        tally(key, hash: UnknownKey.hash(key), by: -1)
      }
    }
  }

  /// Counts the unknown keys of an accepted line by name (hashed by ``indexUnknownKeys``).
  func tallyUnknown(_ line: UnsafeRawBufferPointer) {
    var counts = UnknownKeyCounts(limit: 0)
    swap(&counts, &unknownCounts)
    defer { swap(&counts, &unknownCounts) }
    var untracked = 0
    scratch.withUnsafeBytes { scratch in
      for key in unknown {
        if let k = counts.index(of: key.bytes(line, scratch), hash: key.hash, add: true) {
          counts.counts[k] &+= 1
        } else {
          untracked &+= 1
        }
      }
    }
    untrackedUnknownKeys &+= untracked
  }

  /// Counts one unknown key by `delta`: 1, or -1 to take a count back (then a name not tracked
  /// is not added).
  func tally(_ key: UnsafeRawBufferPointer, hash: UInt64, by delta: Int) {
    if let k = unknownCounts.index(of: key, hash: hash, add: delta > 0) {
      unknownCounts.counts[k] += delta
    } else {
      untrackedUnknownKeys += delta
    }
  }
}
