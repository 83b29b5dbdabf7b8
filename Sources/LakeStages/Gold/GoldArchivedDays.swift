// LakeStages/Gold/GoldArchivedDays.swift
//
// Gold outlives the raw data it came from. `lh-pack archive --remove` (archiving, retention)
// takes old silver partitions out of the lake; the gold days computed from them must stay.
//
// lh-pack marks its commits: an archive's removal is a `DELETE` whose commitInfo carries
// `lhPackArchivedVersion` (the silver version archived), a restore a `WRITE` carrying
// `lhPackRestoredVersion`. Reading the silver commits it has not seen, lh-gold
//
//   archive removal  ─▶ the removed partitions' UTC days join the table's archived days; no
//                       gold day is touched
//   restore          ─▶ the restored days leave the archived days and are recomputed
//   anything else    ─▶ the days it touches are recomputed, as before
//
// Each gold table records its archived silver days in its own metadata (table property
// `lh.gold.archivedSilverDays`, UTC dates and ranges: `2026-01-01..2026-01-31,2026-02-03`),
// committed with its progress, so the knowledge survives log cleanup of silver. A local day
// overlapping an archived UTC day cannot be recomputed from silver (part of its rows are only
// in the archive): its gold rows are kept, whatever later lands in silver for it, until the
// archive is restored or `--drop-unrecomputable` says otherwise.

import LakeContracts
import LakeFormats
import LakeIO
import LakeTable

/// What gold knows of silver's archived days.
enum GoldArchivedDays {
  /// The gold table property holding the archived silver days (UTC).
  static let property = "lh.gold.archivedSilverDays"
  /// commitInfo fields lh-pack writes on its archive removals and restores.
  static let archivedMark = "lhPackArchivedVersion"
  static let restoredMark = "lhPackRestoredVersion"

  /// What one silver commit means to gold.
  struct Commit {
    enum Kind { case archive, restore, data }
    var kind: Kind
    /// UTC days of the partitions it adds or removes.
    var days: Set<Int64>
  }

  /// The kind of a commit from its commitInfo.
  static func kind(_ info: DeltaCommitInfo?) -> Commit.Kind {
    guard let info else { return .data }
    if info.extra.contains(where: { $0.0 == archivedMark }) { return .archive }
    if info.extra.contains(where: { $0.0 == restoredMark }) { return .restore }
    return .data
  }

  /// Silver commits `versions`, classified, with the UTC days each touches; nil when one of
  /// them is no longer in the log (cleaned up after a checkpoint).
  static func read(table: String, versions: ClosedRange<Int64>) throws -> [Commit]? {
    var out: [Commit] = []
    for v in versions {
      var info: DeltaCommitInfo?
      var days = Set<Int64>()
      guard let actions = try LogTotals.commit(table, v) else { return nil }
      for action in actions {
        switch action {
        case .commitInfo(let c): if info == nil { info = c }
        case .add(let a): if let d = GoldStage.dayOf(a) { days.insert(d) }
        case .remove(let r):
          if let text = r.partitionValues?[Contract.eventDateColumn] ?? nil,
            let d = GoldStage.dayNumber(text)
          {
            days.insert(d)
          }
        default: break
        }
      }
      out.append(Commit(kind: kind(info), days: days))
    }
    return out
  }

  /// Applies `commits` to the archived days; returns the UTC days whose gold must be
  /// recomputed (data commits and restores).
  static func apply(_ commits: [Commit], to archived: inout Set<Int64>) -> Set<Int64> {
    var touched = Set<Int64>()
    for c in commits {
      switch c.kind {
      case .archive:
        archived.formUnion(c.days)
      case .restore:
        archived.subtract(c.days)
        touched.formUnion(c.days)
      case .data:
        touched.formUnion(c.days)
      }
    }
    return touched
  }

  /// The days of a property value (unreadable items are ignored: the property is lh's own).
  static func decode(_ text: String?) -> Set<Int64> {
    guard let text, !text.isEmpty else { return [] }
    var out = Set<Int64>()
    for item in text.split(separator: ",") {
      let ends = item.split(separator: ".", omittingEmptySubsequences: true)
      guard let a = ends.first.flatMap({ GoldStage.dayNumber(String($0)) }) else { continue }
      let b = ends.count == 2 ? GoldStage.dayNumber(String(ends[1])) ?? a : a
      guard b >= a, b - a < 1_000_000 else { continue }
      for d in a...b { out.insert(d) }
    }
    return out
  }

  /// The property value of a set of days: sorted, runs of consecutive days as ranges.
  static func encode(_ days: Set<Int64>) -> String {
    ranges(days).map { a, b in
      a == b ? DeltaStats.dateText(a) : DeltaStats.dateText(a) + ".." + DeltaStats.dateText(b)
    }.joined(separator: ",")
  }

  /// Runs of consecutive days, in order.
  static func ranges(_ days: Set<Int64>) -> [(Int64, Int64)] {
    var out: [(Int64, Int64)] = []
    for d in days.sorted() {
      if let last = out.last, last.1 + 1 == d {
        out[out.count - 1].1 = d
      } else {
        out.append((d, d))
      }
    }
    return out
  }

  /// Days for a message: `2026-01-01 to 2026-01-31, 2026-02-03` (at most 4 runs, then "…").
  static func describe(_ days: Set<Int64>) -> String {
    let r = ranges(days)
    var parts = r.prefix(4).map { a, b in
      a == b ? DeltaStats.dateText(a) : DeltaStats.dateText(a) + " to " + DeltaStats.dateText(b)
    }
    if r.count > 4 { parts.append("…") }
    return parts.joined(separator: ", ")
  }
}
