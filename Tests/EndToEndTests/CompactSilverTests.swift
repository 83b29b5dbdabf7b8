import Foundation
import LakeTable
import LakeTestSupport
import Testing

/// `lh-pack compact` and `vacuum` on bronze while lh-silver is behind, and lh-silver over a
/// compacted and vacuumed bronze (issue 14: retention never loses what a stage was given).
@Suite("compacted bronze and lh-silver")
struct CompactSilverTests {
  /// Lands `count` events of `seed` in small commits.
  static func land(_ lake: String, seed: Int, count: Int = 600) throws {
    let r = try TestTools.shell(
      "lh-gen --count \(count) --seed \(seed) --start 2026-01-0\(seed)T00:00:00Z --duration 6h --duplicates 0.01 --malformed 0.01 --quiet | lh-bronze --lake \(lake) --commit-every 100 --quiet"
    )
    #expect(r.status == 0, "\(r.stderr)")
  }

  static func silverRows(_ lake: String) throws -> [String] {
    try PackLakes.rows(lake + "/silver/events").map {
      // The bronze version changes with compaction, the landing time from lake to lake.
      $0.replacingOccurrences(
        of: #""_(bronze_version|ingested_at)":("[^"]*"|[0-9]+)"#, with: "",
        options: .regularExpression)
    }.sorted()
  }

  @Test(
    "compact and vacuum --retain 0s leave bronze files silver has not refined; silver then refines them"
  )
  func compactBehindSilver() throws {
    let dir = try TestTools.temporaryDirectory("lh-compact-silver")
    let lake = dir.appendingPathComponent("lake").path
    try Self.land(lake, seed: 1)
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    try Self.land(lake, seed: 2)
    let c = try TestTools.run("lh-pack", ["compact", "--lake", lake, "--table", "bronze/events"])
    #expect(c.status == 0, "\(c.stderr)")
    let v = try TestTools.run(
      "lh-pack", ["vacuum", "--lake", lake, "--retain", "0s", "--apply", "--quiet"])
    #expect(v.status == 0, "\(v.stderr)")
    let s = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(s.status == 0, "\(s.stderr)")
    let status = try TestTools.run("lh-report", ["status", "--lake", lake, "--check", "--quiet"])
    #expect(status.status == 0, "\(status.stderr)")
    // The same input refined without compaction gives the same rows.
    let plain = dir.appendingPathComponent("plain").path
    try Self.land(plain, seed: 1)
    #expect(try TestTools.run("lh-silver", ["--lake", plain, "--quiet"]).status == 0)
    try Self.land(plain, seed: 2)
    #expect(try TestTools.run("lh-silver", ["--lake", plain, "--quiet"]).status == 0)
    #expect(try Self.silverRows(lake) == Self.silverRows(plain))
  }

  @Test("lh-silver --rebuild after bronze was compacted and vacuumed reads the compacted files")
  func rebuildAfterCompaction() throws {
    let dir = try TestTools.temporaryDirectory("lh-compact-rebuild")
    let lake = dir.appendingPathComponent("lake").path
    try Self.land(lake, seed: 1)
    try Self.land(lake, seed: 2)
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    let before = try Self.silverRows(lake)
    for args in [
      ["compact", "--lake", lake], ["vacuum", "--lake", lake, "--retain", "0s", "--apply"],
    ] {
      let r = try TestTools.run("lh-pack", args + ["--quiet"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    let r = try TestTools.run("lh-silver", ["--lake", lake, "--rebuild"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try Self.silverRows(lake) == before)
    let status = try TestTools.run("lh-report", ["status", "--lake", lake, "--check", "--quiet"])
    #expect(status.status == 0, "\(status.stderr)")
  }
}
