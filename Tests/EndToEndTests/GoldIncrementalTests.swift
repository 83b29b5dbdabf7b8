import Foundation
import LakeTable
import LakeTestSupport
import Testing

/// lh-gold's saved day states, gold/<table>/_lh/state (issue 16): a run reads only the silver
/// files a state does not cover, and its tables equal a full `--rebuild`, whatever state the
/// states are in.
@Suite("lh-gold saved day states")
struct GoldIncrementalTests {
  /// Lands `count` events of `seed` from `start` in bronze, then refines silver.
  static func land(
    _ lake: String, seed: Int, count: Int, start: String, duration: String = "2h",
    users: Int = 10000
  ) throws {
    let r = try TestTools.shell(
      "lh-gen --count \(count) --seed \(seed) --start \(start) --duration \(duration) --users \(users) --quiet | lh-bronze --lake \(lake) --quiet && lh-silver --lake \(lake) --quiet"
    )
    #expect(r.status == 0, "\(r.stderr)")
  }

  /// What lh-gold -v says of each table: days from saved state, silver files and rows read.
  struct Run {
    var fromState: [String: Int] = [:]
    var files: [String: Int] = [:]
    var rows: [String: Int] = [:]
  }

  @discardableResult
  static func gold(_ lake: String, _ extra: [String] = []) throws -> Run {
    let r = try TestTools.run("lh-gold", ["--lake", lake, "-v"] + extra)
    #expect(r.status == 0, "\(r.stderr)")
    var out = Run()
    // "  name: version V, D days (S from saved state), R rows; read F silver files, N rows"
    for line in r.stderr.split(separator: "\n") where line.contains("from saved state") {
      let name = String(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
      let n = line.split { !$0.isNumber }.compactMap { Int($0) }
      out.fromState[name] = n[2]
      out.files[name] = n[4]
      out.rows[name] = n[5]
    }
    return out
  }

  static let tables = [
    "conversion_rate_daily", "daily_active_users", "events_per_minute",
    "events_per_source_daily", "kpi_minute", "logins_per_source_minute", "purchases_per_minute",
    "purchases_per_page_daily", "revenue_daily",
  ]

  static func rows(_ lake: String) throws -> [String: [String]] {
    var out: [String: [String]] = [:]
    for t in tables { out[t] = try tableRows(lake + "/gold/" + t) }
    return out
  }

  /// The gold tables now, then after a `--rebuild`: they must be equal.
  static func expectEqualToRebuild(_ lake: String, _ label: String) throws {
    let incremental = try rows(lake)
    try gold(lake, ["--rebuild"])
    let full = try rows(lake)
    for t in tables {
      #expect(incremental[t] == full[t], "\(label): \(t) differs from a rebuild")
    }
  }

  static func states(_ lake: String, _ table: String) -> [String] {
    let dir = lake + "/gold/" + table + "/_lh/state"
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
      .filter { !$0.hasPrefix(".") }.sorted()
  }

  @Test(
    "cycles of appended rows read only the new silver file and equal a rebuild, across compaction and late rows into an older day"
  )
  func cycles() throws {
    let dir = try TestTools.temporaryDirectory("lh-goldstate")
    let lake = dir.appendingPathComponent("lake").path
    try Self.land(lake, seed: 1, count: 4000, start: "2026-03-01T00:00:00Z", duration: "20h")
    try Self.land(lake, seed: 2, count: 4000, start: "2026-03-02T00:00:00Z")
    try Self.gold(lake)
    // Three cycles into 2026-03-02: each reads one silver file (the new rows) per table.
    for (k, seed) in [3, 4, 5].enumerated() {
      try Self.land(
        lake, seed: seed, count: 1000, start: "2026-03-02T0\(2 + 2 * k):00:00Z")
      let run = try Self.gold(lake)
      for t in Self.tables {
        #expect(run.fromState[t] == 1, "cycle \(k): \(t) \(run)")
        #expect(run.files[t] == 1, "cycle \(k): \(t) \(run)")
        #expect((run.rows[t] ?? 0) <= 1000, "cycle \(k): \(t) \(run)")
      }
    }
    #expect(Self.states(lake, "kpi_minute") == ["2026-03-01.state", "2026-03-02.state"])
    try Self.expectEqualToRebuild(lake, "after cycles")

    // Compaction of silver: the state's files are translated; only the new file is read.
    let c = try TestTools.run("lh-pack", ["compact", "--lake", lake, "--table", "silver/events"])
    #expect(c.status == 0, "\(c.stderr)")
    try Self.land(lake, seed: 6, count: 1000, start: "2026-03-02T10:00:00Z")
    var run = try Self.gold(lake)
    for t in Self.tables {
      #expect(run.fromState[t] == 1 && run.files[t] == 1, "after compaction: \(t) \(run)")
    }
    try Self.expectEqualToRebuild(lake, "after compaction")

    // Late rows into the older day: both days from their states.
    try Self.land(lake, seed: 7, count: 500, start: "2026-03-01T21:00:00Z")
    run = try Self.gold(lake)
    #expect(run.fromState["daily_active_users"] == 1, "\(run)")
    try Self.expectEqualToRebuild(lake, "late rows")

    // A state whose files were removed (silver rebuilt: every file replaced) is not used.
    let s = try TestTools.run("lh-silver", ["--lake", lake, "--rebuild", "--quiet"])
    #expect(s.status == 0, "\(s.stderr)")
    run = try Self.gold(lake)
    for t in Self.tables { #expect(run.fromState[t] == 0, "silver rebuilt: \(t) \(run)") }
    try Self.expectEqualToRebuild(lake, "silver rebuilt")
  }

  @Test("damaged, truncated and foreign states are ignored; distinct counts stay exact")
  func damaged() throws {
    let dir = try TestTools.temporaryDirectory("lh-goldstate")
    let lake = dir.appendingPathComponent("lake").path
    // Many users: high-cardinality distinct counts.
    try Self.land(
      lake, seed: 1, count: 6000, start: "2026-03-02T00:00:00Z", duration: "4h", users: 200_000)
    try Self.gold(lake)
    let root = lake + "/gold/"
    // daily_active_users: a byte flipped; kpi_minute: cut short; events_per_minute: another
    // table's state (same day) copied over it.
    let dau = root + "daily_active_users/_lh/state/2026-03-02.state"
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dau)))
    bytes[bytes.count / 2] ^= 0x40
    try Data(bytes).write(to: URL(fileURLWithPath: dau))
    let kpi = root + "kpi_minute/_lh/state/2026-03-02.state"
    let whole = try Data(contentsOf: URL(fileURLWithPath: kpi))
    try whole.prefix(whole.count / 3).write(to: URL(fileURLWithPath: kpi))
    let epm = root + "events_per_minute/_lh/state/2026-03-02.state"
    try FileManager.default.removeItem(atPath: epm)
    try FileManager.default.copyItem(
      atPath: root + "purchases_per_minute/_lh/state/2026-03-02.state", toPath: epm)

    try Self.land(
      lake, seed: 2, count: 3000, start: "2026-03-02T05:00:00Z", duration: "2h", users: 200_000)
    let run = try Self.gold(lake)
    for t in ["daily_active_users", "kpi_minute", "events_per_minute"] {
      #expect(run.fromState[t] == 0 && run.files[t] == 2, "\(t) \(run)")
    }
    #expect(run.fromState["revenue_daily"] == 1 && run.files["revenue_daily"] == 1, "\(run)")
    try Self.expectEqualToRebuild(lake, "damaged states")
    // Rewritten by the run: the next one uses them again.
    try Self.land(
      lake, seed: 3, count: 1000, start: "2026-03-02T08:00:00Z", duration: "1h", users: 200_000)
    let next = try Self.gold(lake)
    for t in Self.tables { #expect(next.fromState[t] == 1 && next.files[t] == 1, "\(t) \(next)") }
    try Self.expectEqualToRebuild(lake, "after rewrite")
  }

  @Test("only the newest days keep a state; --dry-run writes none")
  func retention() throws {
    let dir = try TestTools.temporaryDirectory("lh-goldstate")
    let lake = dir.appendingPathComponent("lake").path
    try Self.land(lake, seed: 1, count: 6000, start: "2026-03-01T00:00:00Z", duration: "5d")
    try Self.gold(lake, ["--dry-run"])
    #expect(Self.states(lake, "kpi_minute").isEmpty)
    try Self.gold(lake)
    #expect(
      Self.states(lake, "kpi_minute") == [
        "2026-03-03.state", "2026-03-04.state", "2026-03-05.state",
      ])
  }
}
