// LakeTable/Delta/DeltaLiveFiles.swift
//
// The live files of a table while its log is replayed: an `add` inserts or replaces a file, a
// `remove` deletes one, each in O(1), and the files stay in the order they were first added
// (issue 9: a commit of a million removes used to cost a million scans of the order array).
//
//   files:  [add₀][add₁][ ✝ ][add₃] …   in order of first add; a removed file leaves a tombstone
//   hashes: [h₀  ][h₁  ][ 0 ][h₃  ] …   each file's path hash (0: removed)
//   table:  open addressing, linear probing: (path hash, slot in files), at most half full
//
// The table keeps each path's hash, so growing it never hashes a path again and a lookup
// compares paths only when the hashes match. The hash is Swift's seeded SipHash over the path's
// UTF-8, so a hostile log cannot pick paths that collide. Tombstones are squeezed out (in place,
// O(live)) when they outnumber the live files, and once at the end. Memory per live file: the
// `DeltaAdd` (80 bytes) and its path and stats text, 8 bytes of hash, and 16–32 bytes of table.

/// The live files of a table during log replay.
struct DeltaLiveFiles {
  private var files: [DeltaAdd] = []
  /// The path hash of each slot of `files`; 0 for a removed file.
  private var hashes: [UInt64] = []
  /// Open-addressing table: `tableHashes[i]` is 0 when bucket i is empty.
  private var tableHashes = [UInt64](repeating: 0, count: 64)
  private var tableSlots = [Int](repeating: 0, count: 64)
  private var live = 0
  private var tombstones = 0

  /// How many files are live.
  var count: Int { live }

  static func hash(_ path: String) -> UInt64 {
    var hasher = Hasher()
    var path = path
    path.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    let h = UInt64(bitPattern: Int64(hasher.finalize()))
    return h == 0 ? 1 : h
  }

  /// Makes room for `more` files beyond those held (a checkpoint's rows, before its adds come).
  ///
  /// The arrays grow once and the table is sized for them, instead of doubling as they come.
  /// The count comes from a file's footer: at most 2^20 are taken on trust.
  mutating func reserve(_ more: Int) {
    let more = min(more, 1 << 20)
    guard more > 0 else { return }
    files.reserveCapacity(files.count + more)
    hashes.reserveCapacity(hashes.count + more)
    while (live + more + 1) * 2 > tableHashes.count { grow() }
  }

  /// The bucket holding `path` (hash `h`), or the empty bucket where it would go.
  private func bucket(_ path: String, _ h: UInt64) -> (index: Int, found: Bool) {
    let mask = tableHashes.count - 1
    var i = Int(truncatingIfNeeded: h) & mask
    while tableHashes[i] != 0 {
      if tableHashes[i] == h && files[tableSlots[i]].path == path { return (i, true) }
      i = (i + 1) & mask
    }
    return (i, false)
  }

  /// Adds `add`, or replaces the live file with its path (which keeps its place).
  mutating func add(_ add: DeltaAdd) {
    let h = Self.hash(add.path)
    let (i, found) = bucket(add.path, h)
    if found {
      files[tableSlots[i]] = add
      return
    }
    tableHashes[i] = h
    tableSlots[i] = files.count
    files.append(add)
    hashes.append(h)
    live += 1
    if (live + 1) * 2 > tableHashes.count { grow() }
  }

  /// Removes the live file at `path`, if there is one.
  mutating func remove(_ path: String) {
    let h = Self.hash(path)
    let (i, found) = bucket(path, h)
    guard found else { return }
    let slot = tableSlots[i]
    erase(bucket: i)
    hashes[slot] = 0
    // Free its text now; the slot goes at the next squeeze.
    files[slot].path = ""
    files[slot].stats = nil
    files[slot].partitionValues = [:]
    live -= 1
    tombstones += 1
    if tombstones > 1024 && tombstones > live { squeeze() }
  }

  /// Empties bucket `i`, moving later entries of its probe run back (no table tombstones).
  private mutating func erase(bucket start: Int) {
    let mask = tableHashes.count - 1
    var i = start
    var j = start
    while true {
      j = (j + 1) & mask
      if tableHashes[j] == 0 { break }
      let home = Int(truncatingIfNeeded: tableHashes[j]) & mask
      // The entry at j may move to i only if its home is not cyclically within (i, j].
      let stays = i <= j ? (i < home && home <= j) : (i < home || home <= j)
      if stays { continue }
      tableHashes[i] = tableHashes[j]
      tableSlots[i] = tableSlots[j]
      i = j
    }
    tableHashes[i] = 0
  }

  /// Doubles the table, placing entries by their stored hashes.
  private mutating func grow() {
    let oldHashes = tableHashes
    let oldSlots = tableSlots
    let size = oldHashes.count * 2
    tableHashes = [UInt64](repeating: 0, count: size)
    tableSlots = [Int](repeating: 0, count: size)
    let mask = size - 1
    for k in oldHashes.indices where oldHashes[k] != 0 {
      var i = Int(truncatingIfNeeded: oldHashes[k]) & mask
      while tableHashes[i] != 0 { i = (i + 1) & mask }
      tableHashes[i] = oldHashes[k]
      tableSlots[i] = oldSlots[k]
    }
  }

  /// The bucket whose slot is `slot` (hash `h`).
  private func bucket(ofSlot slot: Int, _ h: UInt64) -> Int? {
    let mask = tableHashes.count - 1
    var i = Int(truncatingIfNeeded: h) & mask
    while tableHashes[i] != 0 {
      if tableSlots[i] == slot { return i }
      i = (i + 1) & mask
    }
    return nil
  }

  /// Moves the live files down over the tombstones, keeping their order.
  private mutating func squeeze() {
    guard tombstones > 0 else { return }
    var j = 0
    for i in files.indices where hashes[i] != 0 {
      if i != j {
        if let b = bucket(ofSlot: i, hashes[i]) { tableSlots[b] = j }
        files.swapAt(i, j)
        hashes.swapAt(i, j)
      }
      j += 1
    }
    files.removeLast(files.count - j)
    hashes.removeLast(hashes.count - j)
    tombstones = 0
    if files.capacity > 2 * j + 1024 {
      // Copies of the right size free the slots of the many removed files.
      var fitted: [DeltaAdd] = []
      fitted.reserveCapacity(j)
      fitted.append(contentsOf: files)
      files = fitted
      var fittedHashes: [UInt64] = []
      fittedHashes.reserveCapacity(j)
      fittedHashes.append(contentsOf: hashes)
      hashes = fittedHashes
    }
  }

  /// The live files in order; the replay state is spent.
  mutating func finish() -> [DeltaAdd] {
    tableHashes = []
    tableSlots = []
    if tombstones > 0 {
      var out: [DeltaAdd] = []
      out.reserveCapacity(live)
      for i in files.indices where hashes[i] != 0 { out.append(files[i]) }
      files = out
    }
    hashes = []
    return files
  }
}
