// LakeStages/Gold/GoldDayState.swift
//
// lh-gold's saved day states (issue 16): what a gold table's aggregation of one local day was,
// kept beside the table so that the next run over that day reads only the silver files it has
// not folded yet — a run over N new rows costs about the same at 08:00 as at 23:59.
//
//   gold/<table>/_lh/state/<YYYY-MM-DD>.state    one local day of one gold table
//
//   "LHGOLDS1", format, fingerprint, silver version, local day,
//   the silver data files it covers (size, path as in the log),
//   the aggregate: every group (bucket, group-by values as values), each metric's mergeable
//   partial per group (count; exact integer/decimal sum or min/max with its count; double sum,
//   min or max with its count; byte min/max), count_distinct's exact (group, value) pairs,
//   padding to 8 bytes, checksum of everything before.
//
// A cache, never the source of truth: silver's live files are. The fingerprint covers the
// table's definition as the contract renders it, the zone, the input columns' types, silver's
// table id and this format: any change and the state is ignored. A state is used for a day
// being recomputed when every file it covers is live in the silver snapshot read (same path,
// same size); between its silver version and the snapshot, a compaction (a commit whose removes
// and adds all have dataChange=false) translates the covered set when every file it removes
// from a partition was covered (the adds then hold exactly those rows); any other removal of a
// covered file, or a compaction mixing covered and uncovered files, and the day is recomputed
// whole. A damaged, truncated or foreign file reads as absent.
//
// A used state is merged into the day's aggregators first (values interned through the day's
// GoldContext), then the day's live files it does not cover are read; the day's gold rows are
// emitted whole as before. Integer and decimal sums, counts, minimums, maximums and distinct
// counts are exactly a full recompute's; a double sum adds the state's sum then the new rows,
// the order a full recompute adds them in while silver's files are read in the order they were
// committed (one UTC day per local day, no compaction since): otherwise it may differ from a
// full recompute's in the last bits.
//
// Writes: each local day a run aggregates gets a new state covering every live file of the UTC
// days overlapping it (those it merged from the old state and those it read), written to a
// temporary name and renamed, when the day is one of the `keptDays` newest local days silver
// holds; the table's states of other days are deleted. So late events into an older day
// recompute it whole, as before. The state describes exactly its file set, so it is safe
// whether the gold commit that follows succeeds or not.

import LakeContracts
import LakeFormats
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// One metric's mergeable partial per group, values as values.
struct GoldMetricPartial {
  var counts: [Int64] = []
  var ints: [Int64] = []
  var doubles: [Double] = []
  var bytes: [[UInt8]?] = []
  /// count_distinct: (group index, value) pairs.
  var pairs: [(group: UInt32, value: GoldRawValue)] = []
}

/// One gold table's aggregate of a day, values as values.
struct GoldDayAggregate {
  var groups: [(bucket: Int64, values: [GoldRawValue])] = []
  var metrics: [GoldMetricPartial] = []
}

/// A saved day state: what it covers and its aggregate.
struct GoldDayState {
  static let magic: UInt64 = 0x3153_444c_4f47_484c  // "LHGOLDS1"
  static let format: UInt64 = 1
  /// The newest local days (of those silver holds) whose states are kept.
  static let keptDays = 3
  static let directoryName = "_lh/state"

  var silverVersion: Int64
  var day: Int64
  var files: [(path: String, size: Int64)]
  var aggregate: GoldDayAggregate

  /// The state directory of gold table `table` (its path).
  static func directory(_ table: String) -> String { table + "/" + directoryName }

  static func path(_ table: String, day: Int64) -> String {
    directory(table) + "/" + DeltaStats.dateText(day) + ".state"
  }

  /// The fingerprint of what a state is computed for.
  static func fingerprint(
    table: GoldTable, contract: Contract, zone: String, input: TableSchema, silverId: String
  ) -> UInt64 {
    var h = KeyHash()
    func text(_ s: String) { Array(s.utf8).withUnsafeBytes { h.add(bytes: $0) } }
    text("lh-gold day state")
    h.add(Int64(format))
    var single = contract
    single.gold = [table]
    text(single.render())
    text(zone)
    text(silverId)
    var used = [contract.eventTime] + table.groupBy + table.filter.map(\.column)
    for m in table.metrics {
      used += [m.operand?.column, m.operand?.times].compactMap { $0 } + m.filter.map(\.column)
    }
    for name in used {
      text(name)
      text(input.index(of: name).map { "\(input.columns[$0].type)" } ?? "?")
    }
    return h.value
  }

  // MARK: Encoding

  func encoded(fingerprint: UInt64, kinds: [(MetricState.Kind, MetricState.Domain)]) -> [UInt8] {
    var w = StateWriter()
    w.u64(Self.magic)
    w.u64(Self.format)
    w.u64(fingerprint)
    w.i64(silverVersion)
    w.i64(day)
    w.u64(UInt64(files.count))
    for f in files {
      w.i64(f.size)
      w.bytes(Array(f.path.utf8))
    }
    let a = aggregate
    let width = a.groups.first?.values.count ?? 0
    w.u64(UInt64(a.groups.count))
    w.u64(UInt64(width))
    w.u64(UInt64(a.metrics.count))
    for g in a.groups {
      w.i64(g.bucket)
      for v in g.values { w.raw(v) }
    }
    for (k, p) in a.metrics.enumerated() {
      let (kind, domain) = kinds[k]
      w.u8(Self.code(kind))
      w.u8(Self.code(domain))
      for c in p.counts { w.i64(c) }
      switch (kind, domain) {
      case (.count, _): break
      case (.distinct, _):
        w.u64(UInt64(p.pairs.count))
        for pair in p.pairs {
          w.u64(UInt64(pair.group))
          w.raw(pair.value)
        }
      case (_, .integral): for v in p.ints { w.i64(v) }
      case (_, .double): for v in p.doubles { w.u64(v.bitPattern) }
      case (_, .bytes):
        for v in p.bytes {
          if let v {
            w.u8(1)
            w.bytes(v)
          } else {
            w.u8(0)
          }
        }
      }
    }
    while w.out.count % 8 != 0 { w.u8(0) }
    let sum = w.out.withUnsafeBytes {
      SilverKeyRun.checksum($0.baseAddress!, words: $0.count / 8)
    }
    w.u64(sum)
    return w.out
  }

  /// The state in `bytes`; nil when damaged, truncated, of another format or fingerprint, or
  /// not shaped as `kinds` says.
  static func decode(
    _ bytes: [UInt8], fingerprint: UInt64, kinds: [(MetricState.Kind, MetricState.Domain)]
  ) -> GoldDayState? {
    guard bytes.count >= 64, bytes.count % 8 == 0 else { return nil }
    let ok = bytes.withUnsafeBytes { raw -> Bool in
      let stored = UInt64(
        littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self))
      return SilverKeyRun.checksum(raw.baseAddress!, words: raw.count / 8 - 1) == stored
    }
    guard ok else { return nil }
    var r = StateReader(bytes: bytes, end: bytes.count - 8)
    guard r.u64() == magic, r.u64() == format, r.u64() == fingerprint,
      let version = r.i64(), let day = r.i64(), let fileCount = r.count()
    else { return nil }
    var files: [(path: String, size: Int64)] = []
    for _ in 0..<fileCount {
      guard let size = r.i64(), let path = r.bytes() else { return nil }
      files.append((String(decoding: path, as: UTF8.self), size))
    }
    guard let groupCount = r.count(), let width = r.count(), let metricCount = r.count(),
      metricCount == kinds.count
    else { return nil }
    var a = GoldDayAggregate()
    a.groups.reserveCapacity(groupCount)
    for _ in 0..<groupCount {
      guard let bucket = r.i64() else { return nil }
      var values: [GoldRawValue] = []
      for _ in 0..<width {
        guard let v = r.raw() else { return nil }
        values.append(v)
      }
      a.groups.append((bucket, values))
    }
    for (kind, domain) in kinds {
      guard r.u8() == code(kind), r.u8() == code(domain) else { return nil }
      var p = GoldMetricPartial()
      p.counts.reserveCapacity(groupCount)
      for _ in 0..<groupCount {
        guard let c = r.i64(), c >= 0 else { return nil }
        p.counts.append(c)
      }
      switch (kind, domain) {
      case (.count, _): break
      case (.distinct, _):
        guard let n = r.count() else { return nil }
        for _ in 0..<n {
          guard let g = r.u64(), g < UInt64(groupCount), let v = r.raw() else { return nil }
          p.pairs.append((UInt32(g), v))
        }
      case (_, .integral):
        for _ in 0..<groupCount {
          guard let v = r.i64() else { return nil }
          p.ints.append(v)
        }
      case (_, .double):
        for _ in 0..<groupCount {
          guard let v = r.u64() else { return nil }
          p.doubles.append(Double(bitPattern: v))
        }
      case (_, .bytes):
        for _ in 0..<groupCount {
          switch r.u8() {
          case 0?: p.bytes.append(nil)
          case 1?:
            guard let v = r.bytes() else { return nil }
            p.bytes.append(v)
          default: return nil
          }
        }
      }
      a.metrics.append(p)
    }
    // Only the padding may remain.
    guard r.at <= r.end, r.end - r.at < 8, bytes[r.at..<r.end].allSatisfy({ $0 == 0 }) else {
      return nil
    }
    return GoldDayState(silverVersion: version, day: day, files: files, aggregate: a)
  }

  static func code(_ kind: MetricState.Kind) -> UInt8 {
    switch kind {
    case .count: 0
    case .distinct: 1
    case .sum: 2
    case .min: 3
    case .max: 4
    case .avg: 5
    }
  }

  static func code(_ domain: MetricState.Domain) -> UInt8 {
    switch domain {
    case .integral(let s): UInt8(truncatingIfNeeded: 16 + s)
    case .double: 1
    case .bytes: 2
    }
  }

  // MARK: Files

  /// The state of `day` of gold table `table`; nil when absent or unusable.
  static func load(
    table: String, day: Int64, fingerprint: UInt64,
    kinds: [(MetricState.Kind, MetricState.Domain)]
  ) -> GoldDayState? {
    guard let fd = try? FileDescriptor.open(readingFrom: path(table, day: day)) else { return nil }
    defer { try? fd.close() }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? -1
      if n < 0 { return nil }
      if n == 0 { break }
      bytes.append(contentsOf: chunk[0..<n])
    }
    guard let s = decode(bytes, fingerprint: fingerprint, kinds: kinds), s.day == day else {
      return nil
    }
    return s
  }

  /// Writes `bytes` as the state of `day` of `table` (temporary name, then rename); false
  /// when it could not, or the table's directory does not exist (a state never creates its
  /// table; a cache: the next run recomputes the day whole).
  @discardableResult
  static func write(_ bytes: [UInt8], table: String, day: Int64) -> Bool {
    var st = stat()
    guard stat(table, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return false }
    let dir = directory(table)
    for d in [table + "/_lh", dir] where mkdir(d, 0o755) != 0 && errno != EEXIST {
      return false
    }
    let final = path(table, day: day)
    let temporary = dir + "/." + DeltaStats.dateText(day) + ".\(getpid()).tmp"
    let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return false }
    let out = FileDescriptor(rawValue: fd, name: temporary)
    do {
      try bytes.withUnsafeBytes { try out.writeAll($0) }
      try out.close()
    } catch {
      close(fd)
      unlink(temporary)
      return false
    }
    guard rename(temporary, final) == 0 else {
      unlink(temporary)
      return false
    }
    return true
  }

  /// Deletes the table's states of days not in `keep`, and temporary files left by a crash.
  static func prune(table: String, keep: Set<Int64>) {
    let dir = directory(table)
    guard let d = opendir(dir) else { return }
    var names: [String] = []
    while let entry = readdir(d) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    closedir(d)
    for name in names {
      if name.hasPrefix(".") {
        if name.hasSuffix(".tmp") && !name.hasSuffix(".\(getpid()).tmp") {
          unlink(dir + "/" + name)
        }
        continue
      }
      guard name.hasSuffix(".state") else { continue }
      let day = GoldStage.dayNumber(String(name.dropLast(6)))
      if day.map({ !keep.contains($0) }) ?? true { unlink(dir + "/" + name) }
    }
  }

  /// Deletes every state of the table.
  static func removeAll(table: String) { prune(table: table, keep: []) }
}

/// Little-endian encoder of a state.
struct StateWriter {
  var out: [UInt8] = []

  mutating func u8(_ v: UInt8) { out.append(v) }

  mutating func u64(_ v: UInt64) {
    withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
  }

  mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

  mutating func bytes(_ b: [UInt8]) {
    u64(UInt64(b.count))
    out.append(contentsOf: b)
  }

  mutating func raw(_ v: GoldRawValue) {
    switch v {
    case .null: u8(0)
    case .bits(let b):
      u8(1)
      u64(b)
    case .bytes(let b):
      u8(2)
      bytes(b)
    }
  }
}

/// Bounds-checked decoder of a state: every read is nil past `end`.
struct StateReader {
  let data: [UInt8]
  let end: Int
  var at = 0

  init(bytes: [UInt8], end: Int) {
    self.data = bytes
    self.end = end
  }

  mutating func u8() -> UInt8? {
    guard at < end else { return nil }
    defer { at += 1 }
    return data[at]
  }

  mutating func u64() -> UInt64? {
    guard end - at >= 8 else { return nil }
    var v: UInt64 = 0
    for i in 0..<8 { v |= UInt64(data[at + i]) << (8 * UInt64(i)) }
    at += 8
    return v
  }

  mutating func i64() -> Int64? { u64().map { Int64(bitPattern: $0) } }

  /// A count no larger than the bytes left (each counted item takes at least one byte).
  mutating func count() -> Int? {
    guard let n = u64(), n <= UInt64(end - at) else { return nil }
    return Int(n)
  }

  mutating func bytes() -> [UInt8]? {
    guard let n = count() else { return nil }
    defer { at += n }
    return Array(data[at..<at + n])
  }

  mutating func raw() -> GoldRawValue? {
    switch u8() {
    case 0?: return .null
    case 1?: return u64().map { .bits($0) }
    case 2?: return bytes().map { .bytes($0) }
    default: return nil
    }
  }
}
