// LakeStages/Silver/SilverKeyIndex.swift
//
// lh-silver's key index (issue 16): the 64-bit key hashes of silver/events kept beside the table,
// so that a run over N new rows checks them for duplicates at a cost that depends on N, not on
// how many rows their event days already hold.
//
//   silver/events/_lh/keys/<YYYY-MM-DD>/<run>.keys   one event day's immutable sorted runs
//
//   header  "LHKEYIX1", format, hash check, key fingerprint, n, files, header bytes,
//           the silver data files (path as in the log, size) whose keys the run holds,
//           header checksum
//   block checksums   one per 512 hashes
//   hashes            n, sorted, distinct (UInt64 little-endian)
//
// A cache, never the source of truth: silver/events' live files are. A run is used only while
// every file it names is live, with the same size, in the snapshot being read; the day's live
// files no usable run covers have their keys read from their Parquet files as before (and are
// covered by the run written after the commit). So a compaction, a rebuild, an archive and
// restore, a peer's write or a vacuum make parts of the index stale, never wrong, and deleting
// `_lh/keys` at any time is safe: the next run reads the keys from silver and writes it again.
//
// Lookups. A run is mapped read-only; a hash is found by interpolation (hashes are uniform, so
// its position is about h·n/2⁶⁴), then a gallop and a binary search around it: a few pages per
// key, so a run touches pages in proportion to its new keys, not the day. Each 512-hash block's
// checksum (and order) is checked the first time a lookup touches it; a damaged block drops the
// run and its files' keys are read from silver instead. The header (magic, format, the
// KeyHash algorithm's check value, the contract's key columns, lengths, checksum) is checked on
// open; anything else is ignored as if absent.
//
// Writes. After the silver/events commit, each event day the run touched gets one new run
// covering the files just added and the files whose keys were read from silver, written to a
// temporary name and renamed (no fsync: a cache; a torn file fails its checks). Then the day's
// smallest runs are merged while their total is at least half the next one's size (each
// merge at least 1.5× the largest run it takes: a hash is rewritten O(log(day / new)) times,
// and a day holds O(log(day / new)) runs). Runs made stale are deleted. A crash anywhere leaves
// runs that are either complete and exact for the files they name, or ignored.

import LakeContracts
import LakeFormats
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// One immutable sorted run of key hashes, mapped read-only.
final class SilverKeyRun {
  static let magic: UInt64 = 0x3158_4959_454b_484c  // "LHKEYIX1"
  static let format: UInt64 = 1
  static let blockHashes = 512
  static let fixedHeader = 56

  /// Its path and name.
  let path: String
  let name: String
  /// The silver data files whose keys it holds: path as in the log, size.
  let files: [(path: String, size: Int64)]
  /// Hashes held.
  let count: Int
  let base: UnsafeMutableRawPointer?
  let length: Int
  let checksumOffset: Int
  let hashOffset: Int
  /// Blocks whose checksum and order were checked.
  var verified: [UInt64]
  /// The live files it covers (set when chosen for a snapshot).
  var adds: [DeltaAdd] = []

  init(
    path: String, name: String, files: [(path: String, size: Int64)], count: Int,
    base: UnsafeMutableRawPointer?, length: Int, checksumOffset: Int, hashOffset: Int
  ) {
    self.path = path
    self.name = name
    self.files = files
    self.count = count
    self.base = base
    self.length = length
    self.checksumOffset = checksumOffset
    self.hashOffset = hashOffset
    verified = [UInt64](repeating: 0, count: (Self.blocks(count) + 63) / 64)
  }

  deinit {
    if let base { munmap(base, length) }
  }

  static func blocks(_ count: Int) -> Int { (count + blockHashes - 1) / blockHashes }

  /// Opens and checks a run's header; nil when it is absent, damaged or of another kind.
  static func open(_ path: String, name: String, fingerprint: UInt64) -> SilverKeyRun? {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
    let length = Int(st.st_size)
    guard length >= fixedHeader + 8, length % 8 == 0 else { return nil }
    guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
      return nil
    }
    func word(_ offset: Int) -> UInt64 {
      UInt64(littleEndian: map.load(fromByteOffset: offset, as: UInt64.self))
    }
    func fail() -> SilverKeyRun? {
      munmap(map, length)
      return nil
    }
    guard word(0) == magic, word(8) == format, word(16) == KeyHashCheck.value,
      word(24) == fingerprint
    else { return fail() }
    let count = word(32)
    let fileCount = word(40)
    let headerBytes = word(48)
    guard count < UInt64(length / 8), fileCount < UInt64(length / 16),
      headerBytes >= UInt64(fixedHeader + 8), headerBytes % 8 == 0,
      headerBytes <= UInt64(length)
    else { return fail() }
    let n = Int(count)
    let h = Int(headerBytes)
    guard h + 8 * blocks(n) + 8 * n == length,
      checksum(UnsafeRawPointer(map), words: h / 8 - 1) == word(h - 8)
    else { return fail() }
    var files: [(path: String, size: Int64)] = []
    var offset = fixedHeader
    for _ in 0..<Int(fileCount) {
      guard offset + 16 <= h - 8 else { return fail() }
      let size = Int64(bitPattern: word(offset))
      let pathBytes = Int(truncatingIfNeeded: word(offset + 8))
      guard pathBytes >= 0, pathBytes <= h, offset + 16 + pathBytes <= h - 8 else {
        return fail()
      }
      let text = String(
        decoding: UnsafeRawBufferPointer(start: map + offset + 16, count: pathBytes),
        as: UTF8.self)
      files.append((text, size))
      offset += 16 + (pathBytes + 7) / 8 * 8
    }
    guard offset == h - 8 else { return fail() }
    return SilverKeyRun(
      path: path, name: name, files: files, count: n, base: map, length: length,
      checksumOffset: h, hashOffset: h + 8 * blocks(n))
  }

  /// A 64-bit checksum of `words` 8-byte words (wyhash's multiply-fold).
  static func checksum(_ p: UnsafeRawPointer, words: Int, seed: UInt64 = 0x1d8e_4e27_c47d_124f)
    -> UInt64
  {
    var h = seed ^ UInt64(words)
    for i in 0..<words {
      let m = (h ^ p.load(fromByteOffset: i * 8, as: UInt64.self)).multipliedFullWidth(
        by: 0xa076_1d64_78bd_642f)
      h = m.high ^ m.low
    }
    return h
  }

  /// Checks block `b` (its checksum and that its hashes ascend); false when damaged.
  func verify(_ b: Int) -> Bool {
    if verified[b >> 6] & (1 << UInt64(b & 63)) != 0 { return true }
    guard let base else { return false }
    let start = b * Self.blockHashes
    let end = min(count, start + Self.blockHashes)
    let p = UnsafeRawPointer(base) + hashOffset + start * 8
    let stored = UInt64(
      littleEndian: base.load(fromByteOffset: checksumOffset + b * 8, as: UInt64.self))
    guard Self.checksum(p, words: end - start) == stored else { return false }
    var previous: UInt64 = 0
    for i in 0..<(end - start) {
      let v = UInt64(littleEndian: p.load(fromByteOffset: i * 8, as: UInt64.self))
      if i > 0 && v <= previous { return false }
      previous = v
    }
    verified[b >> 6] |= 1 << UInt64(b & 63)
    return true
  }

  /// The hash at `i`, nil when its block is damaged.
  @inline(__always)
  func at(_ i: Int) -> UInt64? {
    guard verify(i / Self.blockHashes) else { return nil }
    return UInt64(littleEndian: base!.load(fromByteOffset: hashOffset + i * 8, as: UInt64.self))
  }

  /// Whether the run holds `h`; nil when a block the lookup needs is damaged.
  func contains(_ h: UInt64) -> Bool? {
    let n = count
    guard n > 0 else { return false }
    // Interpolation: hashes are uniform over 64 bits.
    let guess = Int(h.multipliedFullWidth(by: UInt64(n)).high)
    guard let g = at(guess) else { return nil }
    if g == h { return true }
    // Gallop to a bracket lo < position < hi (lo = -1 and hi = n stand for the ends).
    var lo = -1
    var hi = n
    var step = 1
    if g < h {
      lo = guess
      while true {
        let j = lo + step
        if j >= n { break }
        guard let v = at(j) else { return nil }
        if v == h { return true }
        if v > h {
          hi = j
          break
        }
        lo = j
        step <<= 1
      }
    } else {
      hi = guess
      while true {
        let j = hi - step
        if j < 0 { break }
        guard let v = at(j) else { return nil }
        if v == h { return true }
        if v < h {
          lo = j
          break
        }
        hi = j
        step <<= 1
      }
    }
    while hi - lo > 1 {
      let m = (lo + hi) >> 1
      guard let v = at(m) else { return nil }
      if v == h { return true }
      if v < h { lo = m } else { hi = m }
    }
    return false
  }

  /// All its hashes (checking every block); nil when damaged.
  func all() -> [UInt64]? {
    var out: [UInt64] = []
    out.reserveCapacity(count)
    for b in 0..<Self.blocks(count) where !verify(b) { return nil }
    for i in 0..<count {
      out.append(
        UInt64(littleEndian: base!.load(fromByteOffset: hashOffset + i * 8, as: UInt64.self)))
    }
    return out
  }

  /// Writes a run of `hashes` (sorted, distinct) covering `files` to `directory`, under a
  /// temporary name renamed into place; returns its name.
  static func write(
    _ hashes: [UInt64], files: [(path: String, size: Int64)], fingerprint: UInt64,
    directory: String, tag: String
  ) throws -> String {
    var header: [UInt64] = [
      magic, format, KeyHashCheck.value, fingerprint, UInt64(hashes.count), UInt64(files.count), 0,
    ]
    for f in files {
      let bytes = Array(f.path.utf8)
      header.append(UInt64(bitPattern: f.size))
      header.append(UInt64(bytes.count))
      var padded = bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
      padded.withUnsafeMutableBytes { raw in
        for i in stride(from: 0, to: raw.count, by: 8) {
          header.append(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        }
      }
    }
    header[6] = UInt64((header.count + 1) * 8)
    for i in header.indices { header[i] = header[i].littleEndian }
    let headerSum = header.withUnsafeBytes { checksum($0.baseAddress!, words: header.count) }
    header.append(headerSum.littleEndian)
    var sums: [UInt64] = []
    sums.reserveCapacity(blocks(hashes.count))
    hashes.withUnsafeBytes { raw in
      var start = 0
      while start < hashes.count {
        let end = min(hashes.count, start + blockHashes)
        sums.append(checksum(raw.baseAddress! + start * 8, words: end - start).littleEndian)
        start = end
      }
    }
    let name = tag + ".keys"
    let temporary = directory + "/." + name + ".tmp"
    let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SystemError("create", path: temporary, errno: errno) }
    let out = FileDescriptor(rawValue: fd, name: temporary)
    do {
      try header.withUnsafeBytes { try out.writeAll($0) }
      try sums.withUnsafeBytes { try out.writeAll($0) }
      try hashes.withUnsafeBytes { try out.writeAll($0) }
      try out.close()
    } catch {
      close(fd)
      unlink(temporary)
      throw error
    }
    guard rename(temporary, directory + "/" + name) == 0 else {
      let e = errno
      unlink(temporary)
      throw SystemError("rename", path: temporary, errno: e)
    }
    return name
  }
}

/// A fixed value of the KeyHash algorithm: a run written by a build whose hashes differ is ignored.
enum KeyHashCheck {
  static let value: UInt64 = {
    var h = KeyHash()
    let text: [UInt8] = Array("lh-silver key index".utf8)
    text.withUnsafeBytes { h.add(bytes: $0) }
    h.add(-1_234_567_890_123)
    h.addNull()
    return h.value
  }()
}

/// One event day's duplicate check: the keys read from silver files and those of the run's own
/// rows (in memory), and the day's usable index runs (mapped).
final class SilverDayKeys {
  let day: Int32
  let set: KeyHashSet
  /// Usable runs, largest first.
  var runs: [SilverKeyRun]
  /// Live files whose keys were read from silver (in `set`).
  var readFiles: [DeltaAdd] = []
  /// Run files to delete after the commit: stale, damaged or covered by another.
  var stale: [String] = []
  /// Keys read from silver files, and keys the runs held when opened.
  var keysLoaded = 0
  var keysIndexed = 0
  /// Reads the keys of files into a set; returns rows read.
  let load: ([DeltaAdd], KeyHashSet) throws -> Int

  init(
    day: Int32, runs: [SilverKeyRun], load: @escaping ([DeltaAdd], KeyHashSet) throws -> Int
  ) {
    self.day = day
    self.set = KeyHashSet(capacity: 4096)
    self.runs = runs
    self.load = load
    keysIndexed = runs.reduce(0) { $0 + $1.count }
  }

  /// Reads the keys of `adds` from silver.
  func read(_ adds: [DeltaAdd]) throws {
    guard !adds.isEmpty else { return }
    keysLoaded += try load(adds, set)
    readFiles += adds
  }

  /// Bytes of the in-memory set.
  var bytes: Int { self.set.bytes }

  /// Records `hash`; false when silver or the run already holds it (a duplicate).
  func insert(_ hash: UInt64) throws -> Bool {
    if runs.isEmpty { return set.insert(hash) }
    if set.contains(hash) { return false }
    var i = 0
    while i < runs.count {
      switch runs[i].contains(hash) {
      case true?: return false
      case false?: i += 1
      case nil:
        // A damaged block: the run is dropped and its files' keys read from silver instead.
        let run = runs.remove(at: i)
        stale.append(run.path)
        keysIndexed -= run.count
        try read(run.adds)
        if set.contains(hash) { return false }
      }
    }
    return set.insert(hash)
  }
}

/// The key index of one silver/events table (see the header).
struct SilverKeyIndex {
  /// The directory under the table (hidden from Delta readers and vacuums by its `_`).
  static let directoryName = "_lh/keys"

  let table: String
  let fingerprint: UInt64
  /// Whether runs are read (false: every key is read from silver, as before issue 16).
  let enabled: Bool

  init(table: String, contract: Contract, enabled: Bool) {
    self.table = table
    self.enabled = enabled
    var h = KeyHash()
    for name in contract.key {
      Array(name.utf8).withUnsafeBytes { h.add(bytes: $0) }
      let type = contract.columnIndex(name).map { "\(contract.columns[$0].type)" } ?? "?"
      Array(type.utf8).withUnsafeBytes { h.add(bytes: $0) }
    }
    h.add(Int64(SilverKeyRun.format))
    fingerprint = h.value
  }

  var root: String { table + "/" + Self.directoryName }

  func directory(_ day: Int32) -> String { root + "/" + SilverStage.dayText(day) }

  /// The run files of a day's directory (names ending in `.keys`, not temporary).
  func runNames(_ day: Int32) -> [String] {
    listDirectory(directory(day)).filter { $0.hasSuffix(".keys") && !$0.hasPrefix(".") }
  }

  /// A day's duplicate check over its live files `live`: usable runs mapped, the other files'
  /// keys read from silver with `load`.
  func dayKeys(
    _ day: Int32, live: [DeltaAdd], load: @escaping ([DeltaAdd], KeyHashSet) throws -> Int
  ) throws -> SilverDayKeys {
    var runs: [SilverKeyRun] = []
    var stale: [String] = []
    if enabled {
      var byPath: [String: DeltaAdd] = [:]
      for add in live { byPath[add.path] = add }
      let dir = directory(day)
      var opened: [SilverKeyRun] = []
      for name in runNames(day) {
        guard let run = SilverKeyRun.open(dir + "/" + name, name: name, fingerprint: fingerprint)
        else {
          stale.append(dir + "/" + name)
          continue
        }
        var adds: [DeltaAdd] = []
        for f in run.files {
          guard let add = byPath[f.path], add.size == f.size else { break }
          adds.append(add)
        }
        guard adds.count == run.files.count else {
          stale.append(run.path)
          continue
        }
        run.adds = adds
        opened.append(run)
      }
      // Largest first; a run whose files another already covers is redundant (a merge's
      // sources left by a crash before they were deleted).
      opened.sort {
        $0.files.count != $1.files.count ? $0.files.count > $1.files.count : $0.name < $1.name
      }
      var covered = Set<String>()
      for run in opened {
        if run.files.allSatisfy({ covered.contains($0.path) }) {
          stale.append(run.path)
          continue
        }
        for f in run.files { covered.insert(f.path) }
        runs.append(run)
      }
      let keys = SilverDayKeys(day: day, runs: runs, load: load)
      keys.stale = stale
      try keys.read(live.filter { !covered.contains($0.path) })
      return keys
    }
    let keys = SilverDayKeys(day: day, runs: [], load: load)
    try keys.read(live)
    return keys
  }

  /// Brings the index up to date after the silver/events commit; returns runs written.
  ///
  /// Each day gets a new run (the files added to it and the files whose keys were read), then
  /// the day's merges and deletions. Failures are ignored (a cache: the next run reads what is
  /// missing from silver).
  @discardableResult
  func update(days: [SilverDayKeys], added: [DeltaAdd], version: Int64, rebuild: Bool) -> Int {
    guard enabled else { return 0 }
    if rebuild { removeAll() }
    var addedByDay: [String: [DeltaAdd]] = [:]
    for add in added {
      if let day = add.partitionValues[Contract.eventDateColumn] ?? nil {
        addedByDay[day, default: []].append(add)
      }
    }
    var written = 0
    for keys in days {
      let dir = directory(keys.day)
      let files = keys.readFiles + (addedByDay[SilverStage.dayText(keys.day)] ?? [])
      guard !files.isEmpty || !keys.stale.isEmpty else { continue }
      guard (try? Self.makeDirectories(dir)) != nil else { continue }
      for name in listDirectory(dir) where name.hasPrefix(".") && name.hasSuffix(".tmp") {
        unlink(dir + "/" + name)
      }
      for path in keys.stale { unlink(path) }
      guard !files.isEmpty else { continue }
      var hashes = keys.set.values()
      Self.sortHashes(&hashes)
      let tag = runTag(version)
      guard
        let name = try? SilverKeyRun.write(
          hashes, files: files.map { ($0.path, $0.size) }, fingerprint: fingerprint,
          directory: dir, tag: tag)
      else { continue }
      written += 1
      guard let run = SilverKeyRun.open(dir + "/" + name, name: name, fingerprint: fingerprint)
      else { continue }
      written += merge(keys.runs + [run], directory: dir, version: version)
    }
    return written
  }

  /// Merges a day's smallest runs while their total is at least half the next run's size;
  /// returns runs written.
  func merge(_ runs: [SilverKeyRun], directory dir: String, version: Int64) -> Int {
    let sorted = runs.sorted { $0.count < $1.count }
    let take = Self.mergeCount(sorted.map(\.count))
    guard take >= 2 else { return 0 }
    var hashes: [UInt64] = []
    var files: [(path: String, size: Int64)] = []
    var sources: [SilverKeyRun] = []
    for run in sorted[0..<take] {
      guard let all = run.all() else {
        // Damaged: deleted; its files are read from silver next time.
        unlink(run.path)
        continue
      }
      hashes += all
      files += run.files
      sources.append(run)
    }
    guard sources.count >= 2 else { return 0 }
    Self.sortHashes(&hashes)
    var n = 0
    for v in hashes where n == 0 || v != hashes[n - 1] {
      hashes[n] = v
      n += 1
    }
    hashes.removeLast(hashes.count - n)
    guard
      (try? SilverKeyRun.write(
        hashes, files: files, fingerprint: fingerprint, directory: dir,
        tag: runTag(version) + "-m")) != nil
    else { return 0 }
    for run in sources { unlink(run.path) }
    return 1
  }

  /// How many of the smallest runs (sizes ascending) to merge; 0 or 1: none.
  ///
  /// Runs are taken while the total so far is at least half the next run's size.
  static func mergeCount(_ sizes: [Int]) -> Int {
    guard !sizes.isEmpty else { return 0 }
    var total = sizes[0]
    var k = 1
    while k < sizes.count && sizes[k] <= 2 * total {
      total += sizes[k]
      k += 1
    }
    return k
  }

  /// A run's unique name: the silver/events version it follows, the process and the time.
  func runTag(_ version: Int64) -> String {
    let v = String(version)
    let t = String(SystemClock.wallMicroseconds(), radix: 36)
    return String(repeating: "0", count: max(0, 20 - v.count)) + v + "-\(getpid())-" + t
  }

  /// Removes every run (a rebuild replaces every file of the table).
  func removeAll() {
    for day in listDirectory(root) where !day.hasPrefix(".") {
      let dir = root + "/" + day
      for name in listDirectory(dir) { unlink(dir + "/" + name) }
      rmdir(dir)
    }
  }

  static func makeDirectories(_ path: String) throws {
    let bytes = Array(path.utf8)
    for i in bytes.indices where i > 0 && bytes[i] == UInt8(ascii: "/") {
      mkdir(String(decoding: bytes[0..<i], as: UTF8.self), 0o755)
    }
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
      throw SystemError("mkdir", path: path, errno: errno, category: .cannotCreate)
    }
  }

  /// Sorts key hashes ascending: a least-significant-digit radix sort, 8 bits a pass, passes
  /// where every hash has the same byte skipped (hashes are uniform: about 6× faster than the
  /// standard library's comparison sort on a day's million keys).
  static func sortHashes(_ hashes: inout [UInt64]) {
    let n = hashes.count
    guard n > 64 else {
      hashes.sort()
      return
    }
    var scratch = [UInt64](repeating: 0, count: n)
    var counts = [Int](repeating: 0, count: 8 * 256)
    hashes.withUnsafeMutableBufferPointer { a in
      scratch.withUnsafeMutableBufferPointer { b in
        counts.withUnsafeMutableBufferPointer { counts in
          for v in a {
            for d in 0..<8 {
              counts[d &* 256 &+ Int(truncatingIfNeeded: (v >> (d &* 8)) & 0xff)] &+= 1
            }
          }
          var source = a
          var target = b
          for d in 0..<8 {
            let base = d &* 256
            var skip = false
            var total = 0
            for k in 0..<256 {
              let c = counts[base &+ k]
              if c == n { skip = true }
              counts[base &+ k] = total
              total &+= c
            }
            if skip { continue }
            let shift = UInt64(d &* 8)
            for v in source {
              let k = base &+ Int(truncatingIfNeeded: (v >> shift) & 0xff)
              target[counts[k]] = v
              counts[k] &+= 1
            }
            swap(&source, &target)
          }
          if source.baseAddress != a.baseAddress {
            a.baseAddress!.update(from: source.baseAddress!, count: n)
          }
        }
      }
    }
  }

  /// The names in a directory (none when it cannot be read).
  func listDirectory(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let entry = readdir(d) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name != "." && name != ".." { out.append(name) }
    }
    return out.sorted()
  }
}
