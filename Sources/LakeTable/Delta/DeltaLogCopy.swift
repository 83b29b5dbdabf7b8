// LakeTable/Delta/DeltaLogCopy.swift
//
// Which `_delta_log` files a copy of a table needs (lh-pack archive and restore), and the order
// in which a copy creates them:
//
//   oldest   0 when commits 0…V are all there, else the oldest complete checkpoint c ≤ V from
//            which commits c+1…V are all there (a cleaned log)
//   files    commits, version checksums (.crc) and complete checkpoints (classic, every part of
//            a multi-part one, V2 with the `_sidecars/` files it names) of versions oldest…V,
//            log compactions within them, and `_last_checkpoint` when it names one of them
//   order    sidecars; then version by version its checkpoint files, its commit, its .crc and
//            the compactions ending there; `_last_checkpoint` last
//
// In that order a copy cut short is a valid table (from its checkpoint, or version 0) at the
// last commit created, or no table yet; never a log whose commits start without a checkpoint.

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

extension DeltaLog {
  /// The `_delta_log` files that reconstruct versions `oldest…version` of a table.
  public struct ReplayFiles: Sendable, Equatable {
    /// The oldest version they reconstruct.
    public var oldest: Int64
    /// Names relative to `_delta_log` (sidecars as `_sidecars/<name>`), in copy order.
    public var names: [String]
  }

  /// The log files that reconstruct every version of `table` still readable up to `version`.
  ///
  /// - Throws: `DeltaLogError` (`.data`) when `version` cannot be reconstructed at all,
  ///   `SystemError` when the log cannot be listed, and what reading a V2 checkpoint throws.
  public static func replayFiles(table: String, version: Int64) throws -> ReplayFiles {
    let dir = table + "/_delta_log"
    guard let d = opendir(dir) else {
      throw SystemError("open", path: dir, errno: errno, category: .noInput)
    }
    var names: [String] = []
    var listing = DeltaLogListing()
    while let entry = readdir(d) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      names.append(name)
      listing.add(name)
    }
    closedir(d)
    listing.commits.sort()
    let oldest: Int64
    if listing.contiguous(0, version) {
      oldest = 0
    } else if let c = listing.completeCheckpointVersions.first(where: {
      $0 <= version && listing.contiguous($0 + 1, version)
    }) {
      oldest = c
    } else {
      throw DeltaLogError(
        table: table,
        reason:
          "cannot read version \(version): no complete checkpoint with the commits after it, and the commits from version 0 are not all there"
      )
    }
    var complete = Set<String>()
    for v in listing.completeCheckpointVersions where v >= oldest && v <= version {
      for ref in listing.checkpoints(at: v) { complete.formUnion(ref.fileNames) }
    }
    let reader = DeltaCommitReader()
    var out: [String] = []
    for name in names {
      switch DeltaLogFile.parse(name) {
      case .commit(let v)?, .checksum(let v)?:
        if v >= oldest && v <= version { out.append(name) }
      case .checkpoint?, .checkpointPart?:
        if complete.contains(name) { out.append(name) }
      case .checkpointV2(let v, _, let json)?:
        guard complete.contains(name) else { continue }
        out.append(name)
        var sidecars: [String] = []
        let collect: (DeltaAction) throws -> Void = { a in
          if let s = DeltaCheckpoint.sidecarPath(a) { sidecars.append(s) }
        }
        if json {
          try reader.forEachAction(path: dir + "/" + name, table: table, version: v, collect)
        } else {
          try DeltaCheckpointCodec.forEachAction(file: dir + "/" + name, table: table, collect)
        }
        for s in sidecars where !s.contains("/") && exists(dir + "/_sidecars/" + s) {
          out.append("_sidecars/" + s)
        }
      case .compacted(let from, let to)?:
        if from >= oldest && to <= version { out.append(name) }
      case .lastCheckpoint?:
        if let hint = LastCheckpoint.read(table: table), hint.version >= oldest,
          hint.version <= version
        {
          out.append(name)
        }
      case nil: break
      }
    }
    return ReplayFiles(oldest: oldest, names: copyOrder(Array(Set(out))))
  }

  /// `_delta_log` names (sidecars as `_sidecars/<name>`) in the order a copy of the log creates
  /// them: sidecars; version by version its checkpoint files, commit, .crc and the compactions
  /// ending there; anything else; `_last_checkpoint` last.
  public static func copyOrder(_ names: [String]) -> [String] {
    func key(_ name: String) -> (Int, Int64, Int, String) {
      if name.hasPrefix("_sidecars/") { return (0, 0, 0, name) }
      switch DeltaLogFile.parse(name) {
      case .checkpoint(let v)?, .checkpointPart(let v, _, _)?, .checkpointV2(let v, _, _)?:
        return (1, v, 0, name)
      case .commit(let v)?: return (1, v, 1, name)
      case .checksum(let v)?: return (1, v, 2, name)
      case .compacted(_, let to)?: return (1, to, 3, name)
      case .lastCheckpoint?: return (3, 0, 0, name)
      case nil: return (2, 0, 0, name)
      }
    }
    return names.map { (key($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
  }
}
