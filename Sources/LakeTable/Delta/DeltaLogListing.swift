// LakeTable/Delta/DeltaLogListing.swift
//
// One listing of `_delta_log` (commits and checkpoints by version), the plans of log replay it
// yields, and the replay state itself.
//
//   commits:      sorted versions of %020d.json (8 bytes each)
//   checkpoints:  version ─▶ classic? · multi-part part numbers by part count · V2 file names
//
// A checkpoint is complete when all its parts are listed (PROTOCOL.md: readers must ignore
// multi-part checkpoints with missing parts). Replay to version T may start from a complete
// checkpoint at c ≤ T when commits c+1…T are all listed, or from version 0 when 0…T are.

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// A checkpoint of one version, in one of the protocol's three namings.
struct CheckpointRef: Equatable {
  enum Kind: Equatable {
    /// `n.checkpoint.parquet`
    case classic
    /// `n.checkpoint.o.p.parquet`, o = 1…p
    case multiPart(Int64)
    /// `n.checkpoint.<uuid>.json|parquet` (file name)
    case v2(String)
  }

  var version: Int64
  var kind: Kind

  /// The files (names in `_delta_log`) that make it up.
  var fileNames: [String] {
    let prefix = String(DeltaLog.fileName(version).dropLast(5))
    switch kind {
    case .classic: return [prefix + ".checkpoint.parquet"]
    case .multiPart(let p):
      return (1...max(p, 1)).map { prefix + ".checkpoint.\(pad($0, 10)).\(pad(p, 10)).parquet" }
    case .v2(let name): return [name]
    }
  }

  func pad(_ v: Int64, _ n: Int) -> String {
    let d = String(v)
    return String(repeating: "0", count: max(0, n - d.count)) + d
  }
}

/// A listing of `_delta_log`.
struct DeltaLogListing {
  /// JSON commit versions, sorted.
  var commits: [Int64] = []
  /// Classic checkpoints' versions.
  var classic: Set<Int64> = []
  /// Multi-part checkpoints: version ─▶ part count ─▶ parts listed.
  var parts: [Int64: [Int64: Set<Int64>]] = [:]
  /// V2 checkpoints: version ─▶ file names.
  var v2: [Int64: [String]] = [:]

  /// Lists `table`'s `_delta_log`; empty when there is none.
  init(table: String) throws {
    let dir = table + "/_delta_log"
    guard let d = opendir(dir) else {
      if errno == ENOENT { return }
      throw SystemError("open", path: dir, errno: errno, category: .noInput)
    }
    defer { closedir(d) }
    while let entry = readdir(d) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      add(name)
    }
    commits.sort()
  }

  init() {}

  mutating func add(_ name: String) {
    switch DeltaLogFile.parse(name) {
    case .commit(let v)?: commits.append(v)
    case .checkpoint(let v)?: classic.insert(v)
    case .checkpointPart(let v, let part, let count)?:
      parts[v, default: [:]][Int64(count), default: []].insert(Int64(part))
    case .checkpointV2(let v, _, _)?: v2[v, default: []].append(name)
    default: break
    }
  }

  /// The latest version: of a commit, or of a checkpoint past the last commit.
  var latest: Int64? {
    let c = completeCheckpointVersions.last
    switch (commits.last, c) {
    case (nil, nil): return nil
    case (let a?, nil): return a
    case (nil, let b?): return b
    case (let a?, let b?): return max(a, b)
    }
  }

  /// Versions with any checkpoint file, sorted.
  var checkpointVersions: [Int64] {
    Array(Set(classic).union(parts.keys).union(v2.keys)).sorted()
  }

  /// Versions with a complete checkpoint, sorted.
  var completeCheckpointVersions: [Int64] {
    checkpointVersions.filter { !checkpoints(at: $0).isEmpty }
  }

  /// The complete checkpoints of version `v`, in the order tried: classic, V2, multi-part.
  func checkpoints(at v: Int64) -> [CheckpointRef] {
    var out: [CheckpointRef] = []
    if classic.contains(v) { out.append(CheckpointRef(version: v, kind: .classic)) }
    for name in (v2[v] ?? []).sorted() { out.append(CheckpointRef(version: v, kind: .v2(name))) }
    for (count, listed) in (parts[v] ?? [:]).sorted(by: { $0.key < $1.key })
    where count > 0 && Int64(listed.count) == count && listed.allSatisfy({ $0 >= 1 && $0 <= count })
    {
      out.append(CheckpointRef(version: v, kind: .multiPart(count)))
    }
    return out
  }

  /// True when every commit a…b is listed (also when a > b).
  func contiguous(_ a: Int64, _ b: Int64) -> Bool {
    guard a <= b else { return true }
    var lo = 0
    var hi = commits.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if commits[mid] < a { lo = mid + 1 } else { hi = mid }
    }
    let end = lo + Int(b - a)
    return lo < commits.count && commits[lo] == a && end < commits.count && commits[end] == b
  }

  /// How to replay to `target`: every complete checkpoint ≤ target followed by contiguous
  /// commits (newest first), and whether commits 0…target are all there.
  func plan(target: Int64) -> DeltaLog.ReplayPlan {
    var refs: [CheckpointRef] = []
    for c in completeCheckpointVersions.reversed() where c <= target {
      if contiguous(c + 1, target) { refs += checkpoints(at: c) }
    }
    return DeltaLog.ReplayPlan(
      target: target, checkpoints: refs, fromZero: contiguous(0, target))
  }

  /// The run of commits that ends at the last one without a gap.
  var keptCommits: ClosedRange<Int64>? {
    guard var i = commits.indices.last else { return nil }
    while i > 0 && commits[i - 1] == commits[i] - 1 { i -= 1 }
    return commits[i]...commits[commits.count - 1]
  }

  /// The oldest version that can be read: 0 when the commits from 0 are all there, else the
  /// oldest complete checkpoint from which the kept commits reach the latest.
  var oldestReconstructible: Int64? {
    guard let last = latest else { return nil }
    if let run = keptCommits, run.lowerBound == 0 { return 0 }
    for c in completeCheckpointVersions where contiguous(c + 1, last) { return c }
    return nil
  }

  /// The first version missing on the way to `target` from where replay could start.
  func firstMissing(before target: Int64) -> Int64 {
    let start = completeCheckpointVersions.last(where: { $0 <= target }).map { $0 + 1 } ?? 0
    var v = start
    var i = commits.firstIndex(where: { $0 >= start }) ?? commits.count
    while v <= target {
      if i < commits.count && commits[i] == v {
        i += 1
        v += 1
      } else {
        return v
      }
    }
    return target
  }
}

/// The replay state: what a snapshot keeps while commits and checkpoints are applied.
struct ReplayState {
  var proto: DeltaProtocol?
  var meta: DeltaMetadata?
  var files = DeltaLiveFiles()
  var txns: [String: Int64] = [:]
  /// The latest remove per path not live since, when tombstones are asked for.
  var tombs: [String: DeltaRemove]?

  init(tombstones: Bool) {
    tombs = tombstones ? [:] : nil
  }

  mutating func apply(_ a: DeltaAction) {
    switch a {
    case .protocol(let p): proto = p
    case .metaData(let m): meta = m
    case .add(let add):
      files.add(add)
      if tombs != nil { tombs![add.path] = nil }
    case .remove(let r):
      files.remove(r.path)
      if tombs != nil { tombs![r.path] = r }
    case .txn(let t): txns[t.appId] = t.version
    default: break
    }
  }

  /// The tombstones, sorted by path; the state's copy is spent.
  mutating func finishTombstones() -> [DeltaRemove] {
    guard let t = tombs else { return [] }
    tombs = nil
    return t.values.sorted { $0.path < $1.path }
  }
}
