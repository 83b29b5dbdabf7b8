// LakeStages/Pack/PackLogCleanup.swift
//
// Log cleanup of `lh-pack vacuum` (issue 15), as delta-io/delta PROTOCOL.md "Metadata Cleanup"
// describes it:
//
//   cutoff           now − delta.logRetentionDuration (table property; default interval 30 days)
//   cutoff commit    the newest commit not newer than the cutoff (time travel to the cutoff
//                    instant reads it); none: nothing to clean
//   cutoff checkpoint the newest complete classic checkpoint (single file, or every part of a
//                    multi-part one) not newer than the cutoff commit; none: nothing to clean
//   deleted          commits, checkpoints of any kind and version checksums (.crc) of versions
//                    below the cutoff checkpoint, and log compactions starting at or before it
//   kept             the cutoff checkpoint, its own commit (checkpoints keep no commitInfo),
//                    every later commit, `_last_checkpoint`, and any file lh does not know
//
// So every version committed within the retention, and the one current at its start, stays
// reconstructible (from the cutoff checkpoint and the commits after it). Commit times are read
// from the latest back to the cutoff only (they increase with the version), so the cost follows
// the versions within the retention, not the table's age. V2 (UUID-named) checkpoints are
// deleted below the cutoff checkpoint like the others but never chosen as it (lh does not read
// them); sidecar files and `_staged_commits/` are left alone.

import LakeIO
import LakeTable

extension PackMaintenance {
  /// The table property that sets how long the log keeps its entries.
  public static let logRetentionProperty = "delta.logRetentionDuration"
  /// Its default, as in Delta: interval 30 days (µs).
  public static let defaultLogRetentionMicros: Int64 = 30 * 86_400_000_000

  /// The length (µs) of a Delta interval: `interval 30 days`, `interval 1 second`, `2 weeks`,
  /// `interval 1 day 12 hours` (units second, minute, hour, day, week, singular or plural,
  /// also millisecond and microsecond; any case); nil for anything else.
  public static func intervalMicros(_ text: String) -> Int64? {
    var words = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).map(
      String.init)
    if words.first == "interval" { words.removeFirst() }
    guard !words.isEmpty, words.count % 2 == 0 else { return nil }
    let units: [String: Int64] = [
      "microsecond": 1, "millisecond": 1000, "second": 1_000_000, "minute": 60_000_000,
      "hour": 3_600_000_000, "day": 86_400_000_000, "week": 604_800_000_000,
    ]
    var total: Int64 = 0
    for i in stride(from: 0, to: words.count, by: 2) {
      let unitWord = words[i + 1].hasSuffix("s") ? String(words[i + 1].dropLast()) : words[i + 1]
      guard let n = Int64(words[i]), n >= 0, let unit = units[unitWord]
      else { return nil }
      let (product, o1) = n.multipliedReportingOverflow(by: unit)
      let (sum, o2) = total.addingReportingOverflow(product)
      guard !o1, !o2 else { return nil }
      total = sum
    }
    return total
  }

  /// The log retention of a table (µs), from its `delta.logRetentionDuration`.
  ///
  /// - Throws: `LakeFailure(.data)` naming the table and the property when it is no interval.
  static func logRetention(_ snapshot: Snapshot, table: String) throws -> Int64 {
    guard let text = snapshot.metadata.configuration[logRetentionProperty] else {
      return defaultLogRetentionMicros
    }
    guard let micros = intervalMicros(text) else {
      throw LakeFailure(
        .data,
        "\(table): table property \(logRetentionProperty) is '\(text)', not an interval such as 'interval 30 days'"
      )
    }
    return micros
  }

  /// The `_delta_log` files of one table that log cleanup deletes (oldest version first), and
  /// the cutoff checkpoint's version (nil: nothing to clean).
  ///
  /// - Parameters:
  ///   - path: the table's directory; `name`: its path in the lake (for the files listed).
  ///   - cutoff: now − the log retention (ms).
  static func logCleanupPlan(table path: String, name: String, cutoff: Int64) throws
    -> (files: [VacuumFile], checkpoint: Int64?)
  {
    let log = path + "/_delta_log"
    var files: [(file: DeltaLogFile, name: String)] = []
    for (entry, isDirectory) in try PackLake.entries(log) where !isDirectory {
      if let f = DeltaLogFile.parse(entry) { files.append((f, entry)) }
    }
    var commits: [Int64] = []
    var classic = Set<Int64>()
    var parts: [Int64: [Int: Set<Int>]] = [:]  // version → parts count → parts present
    for (f, _) in files {
      switch f {
      case .commit(let v): commits.append(v)
      case .checkpoint(let v): classic.insert(v)
      case .checkpointPart(let v, let part, let count):
        parts[v, default: [:]][count, default: []].insert(part)
      default: break
      }
    }
    commits.sort()
    // The cutoff commit: the newest committed at or before the cutoff.
    var cutoffCommit: Int64?
    for v in commits.reversed()
    where try DeltaLog.commitTimestamp(table: path, version: v) <= cutoff {
      cutoffCommit = v
      break
    }
    guard let cutoffCommit else { return ([], nil) }
    // The cutoff checkpoint: the newest complete one at or before it.
    var complete = classic
    for (v, byCount) in parts where byCount.contains(where: { $0.value.count == $0.key }) {
      complete.insert(v)
    }
    guard let checkpoint = complete.filter({ $0 <= cutoffCommit }).max() else { return ([], nil) }
    var doomed: [(version: Int64, name: String)] = []
    for (f, entry) in files {
      switch f {
      case .commit(let v), .checksum(let v), .checkpoint(let v), .checkpointPart(let v, _, _),
        .checkpointV2(let v, _, _):
        if v < checkpoint { doomed.append((v, entry)) }
      case .compacted(let from, _):
        if from <= checkpoint { doomed.append((from, entry)) }
      case .lastCheckpoint: break
      }
    }
    doomed.sort { ($0.version, $0.name) < ($1.version, $1.name) }
    let out = doomed.compactMap { d -> VacuumFile? in
      guard let info = PackLake.fileInfo(log + "/" + d.name) else { return nil }
      return VacuumFile(path: name + "/_delta_log/" + d.name, size: info.size)
    }
    return (out, checkpoint)
  }
}
