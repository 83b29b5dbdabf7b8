// LakeStages/LogTotals.swift
//
// Running totals in commitInfo, so that what a stage knows of a table's history costs the
// commits since a known mark, not every commit since version 0 (issue 15, "costs that stay
// flat"), and survives log cleanup, after which a table's early commits are simply absent.
//
//   lhBronze  {"lines":N,"rowsLanded":T,"readVersion":B}
//             T: rows landed (Σ numRecords of dataChange adds) in versions 0…B plus this
//             commit's. A concurrent lh-bronze (stdin runs take no lock) may win the race for
//             B+1, so the commit may land later: rows landed through it are T plus the rows of
//             the commits between B and it.
//   lhSilver  {…,"totalBronzeRows":…,"totalSilverRows":…,"totalRejects":…,
//             "totalDuplicates":…,"bronzeReached":…}
//             the sums of the reconciliation counts of the table's commits up to this one (a
//             rebuild, bronzeFromVersion 0, starts them again), and the highest bronze version
//             any of them reached. lh-silver holds the table's lock, so no lh commit races it;
//             lh-pack's commits carry no lhSilver and count nothing.
//
// Readers walk back from the version they need to the nearest commit carrying a total, adding
// what the commits passed add. On a lake written before these totals existed the walk goes to
// version 0, as the full loop did, and the next commit lh writes carries a total; once a
// commit the walk needs has been cleaned up and no total covers it, the answer is unknown (nil),
// never an error.

import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// Running totals carried in commitInfo, and reading them back.
enum LogTotals {
  /// The actions of commit `version`, or nil when the commit is no longer in the log.
  static func commit(_ table: String, _ version: Int64) throws -> [DeltaAction]? {
    do {
      return try DeltaLog.readCommit(table: table, version: version)
    } catch let e as SystemError where e.errno == ENOENT {
      return nil
    }
  }

  /// The integer members of the commitInfo field `key` of `actions`, if it has one.
  static func info(_ actions: [DeltaAction], _ key: String) -> [String: Int64]? {
    for a in actions {
      if case .commitInfo(let c) = a, let json = c.extra.first(where: { $0.0 == key })?.1 {
        return JSONIntegerMembers.of(json)
      }
    }
    return nil
  }

  /// The commit time of `version` (its commitInfo's, else the file's), or nil when the commit
  /// is gone.
  static func timestamp(_ table: String, _ version: Int64) throws -> Int64? {
    do {
      return try DeltaLog.commitTimestamp(table: table, version: version)
    } catch let e as SystemError where e.errno == ENOENT {
      return nil
    }
  }

  // MARK: Bronze

  /// The commitInfo field of lh-bronze's commits.
  static let bronzeKey = "lhBronze"

  /// Rows a commit lands: Σ numRecords of its dataChange adds.
  static func landedRows(_ actions: [DeltaAction]) -> Int64 {
    var n: Int64 = 0
    for case .add(let add) in actions where add.dataChange {
      n += add.stats.flatMap { JSONIntegerMembers.of($0)["numRecords"] } ?? 0
    }
    return n
  }

  /// Rows landed in `table` by versions 0…`version`, or nil when that is no longer known.
  static func bronzeRows(table: String, through version: Int64) throws -> Int64? {
    var sum: Int64 = 0
    var v = version
    while v >= 0 {
      guard let actions = try commit(table, v) else { return nil }
      if let n = info(actions, bronzeKey), let total = n["rowsLanded"],
        let read = n["readVersion"], read < v
      {
        // The total counts 0…read and this commit; add the commits that won the race.
        sum += total
        var w = read + 1
        while w < v {
          guard let between = try commit(table, w) else { return nil }
          sum += landedRows(between)
          w += 1
        }
        return sum
      }
      sum += landedRows(actions)
      v -= 1
    }
    return sum
  }

  /// The lhBronze field of a commit made on top of `readVersion` that lands `rows` rows:
  /// `lines`, and the running total when the rows landed through `readVersion` are known.
  static func bronzeInfo(table: String, readVersion: Int64, lines: Int, rows: Int64) throws
    -> String
  {
    guard readVersion >= 0, let before = try bronzeRows(table: table, through: readVersion)
    else { return "{\"lines\":\(lines)}" }
    return "{\"lines\":\(lines),\"rowsLanded\":\(before + rows),\"readVersion\":\(readVersion)}"
  }

  // MARK: Silver

  /// The commitInfo field of lh-silver's commits.
  static let silverKey = "lhSilver"

  /// Sums of a silver table's reconciliation counts.
  struct SilverTotals: Equatable {
    var bronzeRows: Int64 = 0
    var silverRows: Int64 = 0
    var rejects: Int64 = 0
    var duplicates: Int64 = 0
    /// The highest bronze version a commit reached (-1: none).
    var bronzeReached: Int64 = -1

    mutating func add(_ n: [String: Int64]) {
      bronzeRows += n["bronzeRows"] ?? 0
      silverRows += n["silverRows"] ?? 0
      rejects += n["rejects"] ?? 0
      duplicates += n["duplicates"] ?? 0
      bronzeReached = max(bronzeReached, n["bronzeToVersion"] ?? -1)
    }

    /// The members appended to an lhSilver object (each with a leading comma).
    var json: String {
      ",\"totalBronzeRows\":\(bronzeRows),\"totalSilverRows\":\(silverRows),\"totalRejects\":\(rejects),\"totalDuplicates\":\(duplicates),\"bronzeReached\":\(bronzeReached)"
    }
  }

  /// The reconciliation sums of silver `table`'s commits 0…`version`, or nil when no longer
  /// known.
  static func silverTotals(table: String, through version: Int64) throws -> SilverTotals? {
    var sum = SilverTotals()
    var v = version
    while v >= 0 {
      guard let actions = try commit(table, v) else { return nil }
      v -= 1
      guard let n = info(actions, silverKey) else { continue }
      if let b = n["totalBronzeRows"], let s = n["totalSilverRows"], let r = n["totalRejects"],
        let d = n["totalDuplicates"]
      {
        sum.bronzeRows += b
        sum.silverRows += s
        sum.rejects += r
        sum.duplicates += d
        sum.bronzeReached = max(sum.bronzeReached, n["bronzeReached"] ?? -1)
        return sum
      }
      sum.add(n)
      // A rebuild starts the sums again: nothing before it counts.
      if n["bronzeFromVersion"] == 0 { return sum }
    }
    return sum
  }
}
