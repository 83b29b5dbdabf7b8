import Foundation
import LakeTestSupport
import Testing

/// Gold outlives the silver it came from (issue 14, item 3): archiving silver with
/// `lh-pack archive --remove` never changes gold; days that can no longer be recomputed keep
/// their gold rows; a restore makes them recomputable again.
@Suite("lh-gold over archived silver")
struct LhGoldArchiveTests {
  /// Every gold table's rows, as sorted NDJSON lines (each with its table's name).
  func goldRows(_ lake: String) throws -> [String] {
    let r = try TestTools.run("lh-report", ["--lake", lake, "--format", "ndjson"])
    #expect(r.status == 0, "\(r.stderr)")
    return r.output.split(separator: "\n").map(String.init).sorted()
  }

  func run(_ tool: String, _ arguments: [String]) throws -> ToolResult {
    let r = try TestTools.run(tool, arguments)
    #expect(r.status == 0, "\(tool) \(arguments): \(r.stderr)")
    return r
  }

  /// A lake of three days (2026-01-01 … 03) through bronze, silver and gold.
  func makeLake(_ dir: URL) throws -> (lake: String, events: String) {
    let lake = dir.appendingPathComponent("lake").path
    let events = dir.appendingPathComponent("e.ndjson").path
    let gen = try run(
      "lh-gen",
      [
        "--quiet", "--count", "6000", "--duration", "3d", "--start", "2026-01-01T00:00:00Z",
        "--seed", "11",
      ])
    try Data(gen.stdout).write(to: URL(fileURLWithPath: events))
    _ = try run("lh-bronze", ["--lake", lake, "-q", events])
    _ = try run("lh-silver", ["--lake", lake, "-q"])
    _ = try run("lh-gold", ["--lake", lake])
    return (lake, events)
  }

  /// One more event on 2026-01-01 (a copy of the first line with a new id), landed and refined.
  func lateRow(_ dir: URL, _ lake: String, _ events: String) throws {
    let first = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")[0]
    let id = try #require(first.range(of: #""event_id":"[^"]*""#, options: .regularExpression))
    var line = String(first)
    line.replaceSubrange(id, with: #""event_id":"late-0001""#)
    #expect(line.contains("2026-01-01T"))
    let file = dir.appendingPathComponent("late.ndjson")
    try Data((line + "\n").utf8).write(to: file)
    _ = try run("lh-bronze", ["--lake", lake, "-q", file.path])
    _ = try run("lh-silver", ["--lake", lake, "-q"])
  }

  @Test("archive --remove, then lh-gold: every gold table unchanged; a late row keeps its day")
  func archiveKeepsGold() throws {
    let dir = try TestTools.temporaryDirectory("lh-gold-archive")
    let (lake, events) = try makeLake(dir)
    let before = try goldRows(lake)
    #expect(before.contains { $0.contains("\"event_date\":\"2026-01-01\"") })
    let a = dir.appendingPathComponent("old.tar.zst").path
    _ = try run(
      "lh-pack",
      [
        "archive", "--lake", lake, "--table", "silver/events", "--before", "2026-01-03", "--remove",
        "-o", a,
      ])
    let g = try run("lh-gold", ["--lake", lake])
    #expect(g.stderr.contains("(0 days recomputed, 0 rows)"), "\(g.stderr)")
    #expect(
      g.stderr.contains("2 UTC days (2026-01-01 to 2026-01-02) were archived by lh-pack"),
      "\(g.stderr)")
    #expect(try goldRows(lake) == before, "archiving silver changed gold")

    // A late row for an archived day: the day is kept, not replaced by the one new row.
    try lateRow(dir, lake, events)
    let late = try run("lh-gold", ["--lake", lake])
    #expect(
      late.stderr.contains(
        "kept the gold rows of 1 day whose silver rows were archived (2026-01-01)"),
      "\(late.stderr)")
    #expect(try goldRows(lake) == before, "a late row replaced an archived day")
  }

  @Test(
    "--rebuild keeps the days it cannot recompute and says so; --drop-unrecomputable drops them")
  func rebuildKeeps() throws {
    let dir = try TestTools.temporaryDirectory("lh-gold-archive")
    let (lake, _) = try makeLake(dir)
    let before = try goldRows(lake)
    let a = dir.appendingPathComponent("old.tar.zst").path
    _ = try run(
      "lh-pack",
      [
        "archive", "--lake", lake, "--table", "silver/events", "--before", "2026-01-03", "--remove",
        "-o", a,
      ])
    // Straight to --rebuild, without a plain run in between.
    let r = try run("lh-gold", ["--lake", lake, "--rebuild"])
    #expect(
      r.stderr.contains(
        "kept 2 gold days silver can no longer recompute (its rows for them were archived by lh-pack: 2026-01-01 to 2026-01-02)"
      ), "\(r.stderr)")
    #expect(try goldRows(lake) == before, "--rebuild dropped archived days")
    // A dry run says the same, and writes nothing.
    let dry = try run("lh-gold", ["--lake", lake, "--rebuild", "--dry-run"])
    #expect(dry.stderr.contains("would keep 2 gold days"), "\(dry.stderr)")

    // Told otherwise: the archived days go.
    let drop = try run("lh-gold", ["--lake", lake, "--rebuild", "--drop-unrecomputable"])
    #expect(!drop.stderr.contains("kept"), "\(drop.stderr)")
    let dropped = try goldRows(lake)
    #expect(!dropped.contains { $0.contains("\"event_date\":\"2026-01-01\"") })
    #expect(!dropped.contains { $0.contains("\"event_date\":\"2026-01-02\"") })
    #expect(dropped == before.filter { !$0.contains("2026-01-01") && !$0.contains("2026-01-02") })

    // Restored: the days are silver's again, and lh-gold recomputes them.
    _ = try run("lh-pack", ["restore", a, "-C", lake])
    _ = try run("lh-gold", ["--lake", lake])
    #expect(try goldRows(lake) == before, "a restore did not bring the days back")
    let again = try run("lh-gold", ["--lake", lake, "--rebuild"])
    #expect(!again.stderr.contains("kept"), "\(again.stderr)")
    #expect(try goldRows(lake) == before)
  }

  @Test("a late row for an archived day, then restore --replace and rebuild: the days recompute")
  func restoreThenRebuild() throws {
    let dir = try TestTools.temporaryDirectory("lh-gold-archive")
    let (lake, events) = try makeLake(dir)
    let before = try goldRows(lake)
    let a = dir.appendingPathComponent("old.tar.zst").path
    _ = try run(
      "lh-pack",
      [
        "archive", "--lake", lake, "--table", "silver/events", "--before", "2026-01-03", "--remove",
        "-o", a,
      ])
    try lateRow(dir, lake, events)
    _ = try run("lh-gold", ["--lake", lake])
    #expect(try goldRows(lake) == before)
    // The partition now holds the late row: the archived one replaces it (lh-pack's rule).
    _ = try run("lh-pack", ["restore", a, "-C", lake, "--replace"])
    let r = try run("lh-gold", ["--lake", lake, "--rebuild"])
    #expect(!r.stderr.contains("kept"), "\(r.stderr)")
    #expect(r.stderr.contains("(3 days recomputed"), "\(r.stderr)")
    #expect(try goldRows(lake) == before)
  }

  @Test("a --rebuild that changes a table's zone while it holds archived days is refused")
  func rebuildChangeRefused() throws {
    let dir = try TestTools.temporaryDirectory("lh-gold-archive")
    let (lake, _) = try makeLake(dir)
    let before = try goldRows(lake)
    let a = dir.appendingPathComponent("old.tar.zst").path
    _ = try run(
      "lh-pack",
      [
        "archive", "--lake", lake, "--table", "silver/events", "--before", "2026-01-02", "--remove",
        "-o", a,
      ])
    let r = try TestTools.run("lh-gold", ["--lake", lake, "--rebuild", "--tz", "Asia/Tokyo"])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains("--drop-unrecomputable"), "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    #expect(try goldRows(lake) == before)
  }
}
