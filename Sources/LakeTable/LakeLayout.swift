// LakeTable/LakeLayout.swift
//
// Where a lake's tables live (design.md, "The lake"):
//
//   LAKE/                     --lake PATH, else $LH_LAKE, else ./lake
//     bronze/events/          every input line, verbatim, with ingest metadata
//     silver/events/          typed rows, deduplicated, partitioned by event_date
//     silver/rejects/         lines that failed the contract
//     gold/<name>/            one table per KPI definition
//
// Table names come from flags and contracts, so they are checked here: a name can never
// escape the lake directory (issue 9).

import LakeIO

/// The lake directory and the paths of its tables.
public struct LakeLayout: Equatable, Sendable {
  /// The lake's root directory, as given (relative or absolute).
  public let root: String

  /// A lake at `root`.
  public init(root: String) {
    self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
  }

  /// The lake named by `--lake`, else by `$LH_LAKE`, else `./lake`.
  public static func resolve(flag: String?, environment: [String: String]) -> LakeLayout {
    if let flag, !flag.isEmpty { return LakeLayout(root: flag) }
    if let env = environment["LH_LAKE"], !env.isEmpty { return LakeLayout(root: env) }
    return LakeLayout(root: "./lake")
  }

  /// The bronze table of raw lines.
  public var bronzeEvents: String { root + "/bronze/events" }
  /// The silver table of typed rows.
  public var silverEvents: String { root + "/silver/events" }
  /// The silver table of rejected lines.
  public var silverRejects: String { root + "/silver/rejects" }

  /// The gold table `name`.
  ///
  /// - Throws: `LakeFailure(.usage)` when `name` is not a safe table name.
  public func gold(_ name: String) throws -> String {
    try Self.checkTableName(name)
    return root + "/gold/" + name
  }

  /// Checks that `name` is 1–128 characters of `[a-z0-9_]`, starting with a letter, so that it
  /// is a plain directory name, readable by every engine and unable to escape the lake.
  public static func checkTableName(_ name: String) throws {
    let bytes = Array(name.utf8)
    guard (1...128).contains(bytes.count), let first = bytes.first, (0x61...0x7A).contains(first),
      bytes.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F })
    else {
      throw LakeFailure(
        .usage,
        "invalid table name '\(name)': use 1 to 128 of a-z, 0-9 and _, starting with a letter")
    }
  }
}
