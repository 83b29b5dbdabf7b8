// LakeStages/Bronze/BronzeSeenFiles.swift
//
// Spool files known to be fully landed and unchanged, so a run does not read them again.
//
// Recognising a file (BronzeInputs.swift) reads its landed prefix to hash it: a spool that keeps
// its landed files costs every run a read of all of them (a day of 10-second files is 8,640
// reads a minute). This cache remembers, per file, the `stat` it had when its landed prefix was
// last hashed and found to be the whole file: device, inode, size, modification and
// status-change times, with the identity and prefix digest it was landed under. A file whose
// `stat` is the same now, and whose identity's landed prefix in the log (or this run) still has
// that size and digest, is the same fully landed file: it is skipped without being opened for
// reading. Anything else (a file that grew, was rewritten, touched, renamed, copied, a
// different lake's log) is recognised the ordinary way.
//
// A file is cached only when its modification and status-change times are older than the run's
// start by a second: a write in the same clock tick as the hash cannot hide behind
// an unchanged time (git's "racy" entries). The cache lives in the table at
// `_lh/bronze-seen` (peers and vacuums pass over `_` directories); it is written by temporary
// file and rename under the table's lock, after the run's last commit; unreadable or damaged
// content counts as empty, and deleting it only costs the next run one read of the spool.
// Entries not confirmed for a week are dropped, so files moved away stop costing space.
//
// Format: a header line, then one line per file:
//   lh-bronze-seen 1
//   <device> <inode> <size> <mtime ns> <ctime ns> <digest64> <confirmed ms> <identity>

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

struct BronzeSeenFiles {
  struct Key: Hashable {
    var device: UInt64
    var inode: UInt64
  }

  struct Entry: Equatable {
    var stamp: FileStamp
    var digest: Int64
    /// When a run last found the file (ms since the epoch).
    var confirmed: Int64
    var id: String
  }

  static let header = "lh-bronze-seen 1"
  static let keepMillis: Int64 = 7 * 86_400_000
  static let maxBytes = 256 << 20

  var entries: [Key: Entry] = [:]
  var changed = false

  static func path(table: String) -> String { table + "/_lh/bronze-seen" }

  /// The cache of `table` (empty when absent or unreadable).
  static func load(table: String) -> BronzeSeenFiles {
    var out = BronzeSeenFiles()
    guard let fd = try? FileDescriptor.open(readingFrom: path(table: table)) else { return out }
    defer { try? fd.close() }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while bytes.count <= maxBytes {
      let n = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? -1
      if n < 0 { return out }
      if n == 0 { break }
      bytes.append(contentsOf: chunk[0..<n])
    }
    guard bytes.count <= maxBytes else { return out }
    out.entries = parse(bytes) ?? [:]
    return out
  }

  /// The entries of `bytes`; nil when the header is not this version's or the last line is cut.
  ///
  /// A cut last line is a torn file; malformed lines are passed over.
  static func parse(_ bytes: [UInt8]) -> [Key: Entry]? {
    guard bytes.last == 0x0A else { return nil }
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: true)[...]
    guard let first = lines.popFirst(), Array(first) == Array(header.utf8) else { return nil }
    var out: [Key: Entry] = [:]
    for line in lines {
      let f = line.split(separator: 0x20, maxSplits: 7, omittingEmptySubsequences: false)
      guard f.count == 8 else { continue }
      let text = f.map { String(decoding: $0, as: UTF8.self) }
      guard let device = UInt64(text[0]), let inode = UInt64(text[1]), let size = Int64(text[2]),
        let mtime = Int64(text[3]), let ctime = Int64(text[4]), let digest = Int64(text[5]),
        let confirmed = Int64(text[6]), !text[7].isEmpty
      else { continue }
      let stamp = FileStamp(
        device: device, inode: inode, size: size, modifiedNanos: mtime, changedNanos: ctime)
      out[Key(device: device, inode: inode)] = Entry(
        stamp: stamp, digest: digest, confirmed: confirmed, id: text[7])
    }
    return out
  }

  /// The identity under which the file with `stamp` was seen fully landed, when nothing of it
  /// has changed since; the caller checks the identity's landed prefix against `size` and
  /// the entry's digest.
  func lookup(_ stamp: FileStamp) -> Entry? {
    guard let e = entries[Key(device: stamp.device, inode: stamp.inode)], e.stamp == stamp
    else { return nil }
    return e
  }

  /// Records that the file with `stamp` is landed whole as `id` with prefix digest `digest`,
  /// when its times are older than `runStartNanos - settleNanos`; otherwise forgets it.
  mutating func record(
    _ stamp: FileStamp, id: String, digest: Int64, nowMillis: Int64, runStartNanos: Int64,
    settleNanos: Int64 = 1_000_000_000
  ) {
    let key = Key(device: stamp.device, inode: stamp.inode)
    let limit = runStartNanos - settleNanos
    guard stamp.modifiedNanos < limit, stamp.changedNanos < limit, !id.contains("\n") else {
      if entries.removeValue(forKey: key) != nil { changed = true }
      return
    }
    let entry = Entry(stamp: stamp, digest: digest, confirmed: nowMillis, id: id)
    if let old = entries[key], old.stamp == stamp, old.digest == digest, old.id == id,
      nowMillis - old.confirmed < 86_400_000
    {
      return  // confirmed within the day: not worth a rewrite
    }
    entries[key] = entry
    changed = true
  }

  /// Drops entries not confirmed for a week.
  mutating func expire(nowMillis: Int64) {
    let before = entries.count
    entries = entries.filter { nowMillis - $0.value.confirmed < Self.keepMillis }
    if entries.count != before { changed = true }
  }

  func encoded() -> [UInt8] {
    var out = Array((Self.header + "\n").utf8)
    for (_, e) in entries.sorted(by: {
      ($0.key.device, $0.key.inode) < ($1.key.device, $1.key.inode)
    }) {
      let s = e.stamp
      out += Array(
        "\(s.device) \(s.inode) \(s.size) \(s.modifiedNanos) \(s.changedNanos) \(e.digest) \(e.confirmed) \(e.id)\n"
          .utf8)
    }
    return out
  }

  /// Writes the cache when it changed (temporary file, rename); failures are ignored: it is a
  /// cache.
  func save(table: String) {
    guard changed else { return }
    let dir = table + "/_lh"
    if mkdir(dir, 0o755) != 0 && errno != EEXIST { return }
    let final = Self.path(table: table)
    let temporary = final + ".\(getpid()).tmp"
    guard let fd = try? FileDescriptor.create(writingTo: temporary, exclusive: false) else {
      return
    }
    let bytes = encoded()
    let ok = (try? bytes.withUnsafeBytes { try fd.writeAll($0) }) != nil
    let closed = (try? fd.close()) != nil
    if !ok || !closed || rename(temporary, final) != 0 { unlink(temporary) }
  }
}
