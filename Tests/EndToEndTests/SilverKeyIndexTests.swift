import Foundation
import LakeTable
import LakeTestSupport
import Testing

/// lh-silver's key index, silver/events/_lh/keys (issue 16): the same rows, duplicates and
/// counts as reading every key from silver, whatever state the index is in.
@Suite("lh-silver key index")
struct SilverKeyIndexTests {
  /// Lands `count` events of `seed` starting at `start` (within 2026-03-01) in bronze.
  static func land(
    _ lake: String, seed: Int, count: Int = 2000, start: String = "2026-03-01T00:00:00Z",
    duration: String = "6h", duplicates: String = "0.05"
  ) throws {
    let r = try TestTools.shell(
      "lh-gen --count \(count) --seed \(seed) --start \(start) --duration \(duration) --duplicates \(duplicates) --malformed 0.01 --quiet | lh-bronze --lake \(lake) --quiet"
    )
    #expect(r.status == 0, "\(r.stderr)")
  }

  /// Runs lh-silver -v; returns (keys loaded, silver files read, keys in the index) from its
  /// duplicate-check line.
  @discardableResult
  static func silver(_ lake: String, _ extra: [String] = []) throws -> (
    loaded: Int, files: Int, indexed: Int
  ) {
    let r = try TestTools.run("lh-silver", ["--lake", lake, "-v"] + extra)
    #expect(r.status == 0, "\(r.stderr)")
    guard
      let line = r.stderr.split(separator: "\n").first(where: { $0.contains("duplicate check") })
    else { return (-1, -1, -1) }
    let n = line.split { !$0.isNumber }.compactMap { Int($0) }
    // "N event day(s), L keys loaded from F silver file(s), I in the key index, …"
    return (n[1], n[2], n[3])
  }

  static func rows(_ lake: String) throws -> [String] {
    try tableRows(lake + "/silver/events", dropping: ["_ingested_at"])
  }

  static func runs(_ lake: String) -> [String] {
    let root = lake + "/silver/events/_lh/keys"
    let days = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    return days.flatMap { day in
      ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + day)) ?? [])
        .filter { $0.hasSuffix(".keys") && !$0.hasPrefix(".") }.map { root + "/" + day + "/" + $0 }
    }.sorted()
  }

  /// Silver reconciliations and rows of a lake refined with the index and one whose index is
  /// deleted before every run (every key read from silver), over the same bronze commits.
  @Test(
    "several incremental runs with late duplicates: rows and counts equal those without the index; later runs read no silver file"
  )
  func equalWithoutIndex() throws {
    let dir = try TestTools.temporaryDirectory("lh-keyindex")
    let indexed = dir.appendingPathComponent("indexed").path
    let plain = dir.appendingPathComponent("plain").path
    // Round 3 re-sends round 1 whole (every row a duplicate), round 4 overlaps round 2's hours.
    let rounds: [(Int, String)] = [
      (1, "2026-03-01T00:00:00Z"), (2, "2026-03-01T06:00:00Z"), (1, "2026-03-01T00:00:00Z"),
      (4, "2026-03-01T08:00:00Z"), (5, "2026-03-01T20:00:00Z"),
    ]
    for (i, (seed, start)) in rounds.enumerated() {
      for lake in [indexed, plain] {
        try Self.land(lake, seed: seed, start: start)
        if lake == plain {
          try? FileManager.default.removeItem(atPath: plain + "/silver/events/_lh/keys")
        }
        let s = try Self.silver(lake)
        if lake == indexed && i > 0 {
          #expect(s.files == 0 && s.loaded == 0, "round \(i): \(s)")
          #expect(s.indexed > 0, "round \(i): \(s)")
        }
        if lake == plain && i > 0 { #expect(s.files > 0 && s.indexed == 0, "round \(i): \(s)") }
      }
      #expect(try Self.rows(indexed) == Self.rows(plain), "round \(i)")
      #expect(
        try reconciliations(indexed + "/silver/events")
          == reconciliations(plain + "/silver/events"), "round \(i)")
    }
    #expect(!Self.runs(indexed).isEmpty)
  }

  @Test(
    "a run over new rows of a filled day opens none of the day's data files and reads only the index"
  )
  func readsOnlyIndex() throws {
    let dir = try TestTools.temporaryDirectory("lh-keyindex-only")
    let lake = dir.appendingPathComponent("lake").path
    try Self.land(lake, seed: 1, count: 20000, duration: "20h")
    let first = try Self.silver(lake)
    #expect(first.files == 0 && first.indexed == 0)
    let held = try Self.rows(lake).count
    try Self.land(lake, seed: 9, count: 300, start: "2026-03-01T21:00:00Z", duration: "1h")
    let next = try Self.silver(lake)
    #expect(next.files == 0, "\(next)")
    #expect(next.loaded == 0, "\(next)")
    #expect(next.indexed == held, "\(next)")
  }

  @Test(
    "after lh-pack compact and vacuum the index is stale: the compacted file's keys are read, duplicates still caught"
  )
  func staleAfterCompaction() throws {
    let dir = try TestTools.temporaryDirectory("lh-keyindex-compact")
    let lake = dir.appendingPathComponent("lake").path
    for seed in 1...3 {
      try Self.land(lake, seed: seed, start: "2026-03-01T0\(seed):00:00Z")
      try Self.silver(lake)
    }
    let before = try Self.rows(lake)
    for args in [
      ["compact", "--lake", lake, "--table", "silver/events"],
      ["vacuum", "--lake", lake, "--retain", "0s", "--apply"],
    ] {
      let r = try TestTools.run("lh-pack", args + ["--quiet"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    #expect(!Self.runs(lake).isEmpty, "lh-pack vacuum leaves _lh/keys alone")
    #expect(try Self.rows(lake) == before)
    // Every seed again: all duplicates; the compacted file's keys come from silver.
    for seed in 1...3 { try Self.land(lake, seed: seed, start: "2026-03-01T0\(seed):00:00Z") }
    let s = try Self.silver(lake)
    #expect(s.files == 1 && s.indexed == 0, "\(s)")
    #expect(try Self.rows(lake) == before)
    // The next run uses the run written for the compacted file.
    try Self.land(lake, seed: 7, start: "2026-03-01T10:00:00Z")
    let after = try Self.silver(lake)
    #expect(after.files == 0 && after.indexed == before.count, "\(after)")
  }

  @Test("damaged runs (a flipped hash, a truncated file, a bad header) are ignored")
  func damagedRuns() throws {
    let dir = try TestTools.temporaryDirectory("lh-keyindex-damaged")
    let lake = dir.appendingPathComponent("lake").path
    // Runs of 4,000, 500 and 100 rows: too unequal to be merged.
    for (seed, count) in [(1, 4000), (2, 500), (3, 100)] {
      try Self.land(
        lake, seed: seed, count: count, start: "2026-03-01T0\(seed):00:00Z", duplicates: "0")
      try Self.silver(lake)
    }
    let runs = Self.runs(lake)
    #expect(runs.count == 3, "\(runs)")
    let before = try Self.rows(lake)
    // A flipped byte in the last hash of the first run; the second cut short; every other
    // run's magic changed.
    for (i, path) in runs.enumerated() {
      var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
      switch i {
      case 0: bytes[bytes.count - 3] ^= 0x40
      case 1: bytes.removeLast(8)
      default: bytes[0] ^= 1
      }
      try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
    for (seed, count) in [(1, 4000), (2, 500), (3, 100)] {
      try Self.land(
        lake, seed: seed, count: count, start: "2026-03-01T0\(seed):00:00Z", duplicates: "0")
    }
    let s = try Self.silver(lake)
    #expect(s.files > 0, "\(s)")
    #expect(try Self.rows(lake) == before, "every re-sent row a duplicate")
    let last = try reconciliations(lake + "/silver/events").last ?? ""
    #expect(last.contains("\"silverRows\":0,"), "\(last)")
    // The damaged runs were replaced.
    try Self.land(lake, seed: 8, start: "2026-03-01T12:00:00Z")
    let next = try Self.silver(lake)
    #expect(next.files == 0 && next.indexed == before.count, "\(next)")
  }

  @Test(
    "a crash between the commit and the index write (the newest run missing, a stray temporary file): nothing lost, no duplicate let through"
  )
  func crashBeforeIndexWrite() throws {
    let dir = try TestTools.temporaryDirectory("lh-keyindex-crash")
    let lake = dir.appendingPathComponent("lake").path
    try Self.land(lake, seed: 1)
    try Self.silver(lake)
    try Self.land(lake, seed: 2, start: "2026-03-01T06:00:00Z")
    let before = Self.runs(lake)
    try Self.silver(lake)
    let newest = Set(Self.runs(lake)).subtracting(before)
    #expect(!newest.isEmpty)
    for path in newest {
      // As if killed while writing it: the temporary file, half written, and no run.
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      let parent = (path as NSString).deletingLastPathComponent
      let name = (path as NSString).lastPathComponent
      try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: parent + "/." + name + ".tmp"))
      try FileManager.default.removeItem(atPath: path)
    }
    // Round 2 again (all duplicates) and new rows: round 2's files are read from silver.
    try Self.land(lake, seed: 2, start: "2026-03-01T06:00:00Z")
    try Self.land(lake, seed: 3, start: "2026-03-01T12:00:00Z")
    let s = try Self.silver(lake)
    #expect(s.files > 0, "\(s)")
    // The same landings refined with no index at all.
    let plain = dir.appendingPathComponent("plain").path
    for (seed, start) in [
      (1, "2026-03-01T00:00:00Z"), (2, "2026-03-01T06:00:00Z"), (2, "2026-03-01T06:00:00Z"),
      (3, "2026-03-01T12:00:00Z"),
    ] {
      try Self.land(plain, seed: seed, start: start)
    }
    try Self.silver(plain)
    #expect(try Self.rows(lake) == Self.rows(plain))
    // The stray temporary file is gone; the next run reads no silver file.
    #expect(!Self.runs(lake).isEmpty)
    let stray = try FileManager.default.subpathsOfDirectory(
      atPath: lake + "/silver/events/_lh/keys"
    )
    .filter { $0.hasSuffix(".tmp") }
    #expect(stray.isEmpty, "\(stray)")
    try Self.land(lake, seed: 4, start: "2026-03-01T18:00:00Z")
    let next = try Self.silver(lake)
    #expect(next.files == 0, "\(next)")
  }

  @Test("--dry-run reads the index and writes none; --rebuild replaces it")
  func dryRunAndRebuild() throws {
    let dir = try TestTools.temporaryDirectory("lh-keyindex-rebuild")
    let lake = dir.appendingPathComponent("lake").path
    try Self.land(lake, seed: 1)
    try Self.silver(lake)
    try Self.land(lake, seed: 1)
    let runs = Self.runs(lake)
    let dry = try Self.silver(lake, ["--dry-run"])
    #expect(dry.files == 0 && dry.indexed > 0, "\(dry)")
    #expect(Self.runs(lake) == runs, "a dry run writes no run")
    try Self.silver(lake)
    let rows = try Self.rows(lake)
    let rebuilt = try Self.silver(lake, ["--rebuild"])
    #expect(rebuilt.files == 0 && rebuilt.indexed == 0, "\(rebuilt)")
    #expect(try Self.rows(lake).count == rows.count)
    #expect(Set(Self.runs(lake)).isDisjoint(with: runs), "the old runs are gone")
    try Self.land(lake, seed: 1)
    let again = try Self.silver(lake)
    #expect(again.files == 0 && again.indexed == rows.count, "\(again)")
    #expect(try Self.rows(lake).count == rows.count)
  }

  @Test(
    "deltalake: a full vacuum keeps _lh/keys, the table reads as before",
    .enabled(if: peersPython != nil || peersRequired))
  func peersIgnoreIndex() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory("lh-keyindex-peers")
    let lake = dir.appendingPathComponent("lake").path
    try Self.land(lake, seed: 1)
    try Self.silver(lake)
    let rows = try Self.rows(lake).count
    let script = """
      import sys, os, deltalake
      t = sys.argv[1] + '/silver/events'
      dt = deltalake.DeltaTable(t)
      doomed = dt.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=True, full=True)
      assert not [f for f in doomed if '_lh/keys' in f], doomed
      print('ok', dt.to_pyarrow_table().num_rows)
      os._exit(0)
      """
    let r = try TestTools.run(python, ["-c", script, lake])
    #expect(r.output == "ok \(rows)\n", "\(r.output)\(r.stderr)")
  }
}
