import Foundation
import LakeFormats
import LakeIO
import LakeStages
import LakeTable
import LakeTestSupport
import Testing

/// lh-pack archive, restore, list and verify on tables whose `_delta_log` holds checkpoints
/// (classic, multi-part, V2 with sidecars) and whose early commits log cleanup removed.
@Suite("lh-pack with checkpoints and cleaned logs")
struct PackCheckpointTests {
  static let day: Int64 = 86_400_000

  /// A lake (PackLakes.make) whose bronze/events and sales/orders checkpoint every 2 commits and
  /// whose logs `lh-pack vacuum --apply` cleaned (delta.logRetentionDuration 1 second), with
  /// commits after the cleanup; plus sales/parts and sales/v2, copies of sales/orders whose
  /// latest checkpoint is multi-part and V2 with sidecars.
  static func lake(_ dir: URL, python: String) throws -> String {
    let lake = try PackLakes.make(dir)
    let bronze = lake + "/bronze/events"
    let orders = lake + "/sales/orders"
    let properties = [
      "delta.checkpointInterval": "2", "delta.logRetentionDuration": "interval 1 second",
    ]
    try CheckpointPeerTests.setProperties(bronze, properties)
    try CheckpointPeerTests.setProperties(orders, properties)
    for (k, range) in [900..<950, 950..<960, 960..<1000].enumerated() {
      try PackLakes.append(orders, range)
      #expect(try CheckpointPeerTests.land(lake, seed: 10 + k).status == 0)
    }
    let now = RFC3339.string(micros: (DeltaTable.nowMillis() + day) * 1000, fractionDigits: 3)
    let vacuum = try TestTools.run("lh-pack", ["vacuum", "--lake", lake, "--now", now, "--apply"])
    #expect(vacuum.status == 0, "\(vacuum.stderr)")
    // Two more commits: a checkpoint newer than the oldest one kept.
    try PackLakes.append(orders, 1000..<1010)
    try PackLakes.append(orders, 1010..<1020)
    #expect(try CheckpointPeerTests.land(lake, seed: 20).status == 0)
    for table in [bronze, orders] {
      #expect(
        !FileManager.default.fileExists(atPath: table + "/_delta_log/" + DeltaLog.fileName(0)),
        "\(table): log not cleaned")
      #expect(try DeltaLog.oldestReconstructibleVersion(table: table) ?? 0 > 0)
    }
    let checkpoint = try #require(LastCheckpoint.read(table: orders)).version
    for how in ["parts", "v2"] {
      let copy = lake + "/sales/" + how
      try FileManager.default.copyItem(atPath: orders, toPath: copy)
      let r = try TestTools.run(
        python,
        [
          CheckpointPeerTests.script, "split", copy, String(checkpoint),
          how == "parts" ? "multipart" : "v2",
        ])
      #expect(r.status == 0, "\(r.stderr)")
      unlink(copy + "/_delta_log/_last_checkpoint")
    }
    return lake
  }

  static let tables = ["bronze/events", "sales/orders", "sales/parts", "sales/v2"]

  /// The files of a table's `_delta_log` (with `_sidecars/`), sorted.
  static func logFiles(_ table: String) throws -> [String] {
    let log = table + "/_delta_log"
    var out = try FileManager.default.contentsOfDirectory(atPath: log).filter {
      $0 != "_sidecars"
    }
    if let side = try? FileManager.default.contentsOfDirectory(atPath: log + "/_sidecars") {
      out += side.map { "_sidecars/" + $0 }
    }
    return out.sorted()
  }

  /// lh and deltalake read `restored`'s tables as `lake`'s, at the latest and every version
  /// from `from` (by table) on.
  static func sameTables(
    _ lake: String, _ restored: String, from: [String: Int64], latest: [String: Int64],
    python: String
  ) throws {
    for table in tables {
      let a = lake + "/" + table
      let b = restored + "/" + table
      let last = try #require(latest[table])
      #expect(try DeltaLog.snapshot(table: b).version == last, "\(table)")
      #expect(try DeltaLog.oldestReconstructibleVersion(table: b) == from[table], "\(table)")
      for v in try #require(from[table])...last {
        #expect(try PackLakes.rows(a, v) == PackLakes.rows(b, v), "\(table) version \(v)")
      }
      let report = try TestTools.run("lh-report", [b, "--format", "csv"])
      #expect(report.status == 0 && report.stderr.isEmpty, "\(table): \(report.stderr)")
    }
    let script = """
      import sys, deltalake
      a, b = sys.argv[1], sys.argv[2]
      for arg in sys.argv[3:]:
          t, lo, hi = arg.split(':')
          assert deltalake.DeltaTable(b + '/' + t).version() == int(hi), t
          for v in range(int(lo), int(hi) + 1):
              ta = deltalake.DeltaTable(a + '/' + t, version=v).to_pyarrow_table()
              tb = deltalake.DeltaTable(b + '/' + t, version=v).to_pyarrow_table()
              key = [(c, 'ascending') for c in ta.column_names if c not in ('line_bytes',)]
              assert ta.sort_by(key).equals(tb.sort_by(key)), (t, v)
      print('ok', flush=True)
      import os; os._exit(0)
      """
    let ranges = tables.map { "\($0):\(from[$0]!):\(latest[$0]!)" }
    let p = try TestTools.run(python, ["-c", script, lake, restored] + ranges)
    #expect(p.status == 0 && p.output.contains("ok"), "\(p.output)\(p.stderr)")
  }

  @Test(
    "archive → restore of cleaned, checkpointed tables (classic, multi-part, V2): same log files, lh and deltalake read every reconstructible version alike"
  )
  func roundTrip() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory("lh-pack-ckpt")
    let lake = try Self.lake(dir, python: python)
    let a = dir.appendingPathComponent("a.tar.zst").path
    let r = try TestTools.run("lh-pack", ["archive", "--lake", lake, "-o", a])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("archived 4 tables"), "\(r.stderr)")
    #expect(try TestTools.run("lh-pack", ["verify", a]).status == 0)
    // The manifest lists every log file (checkpoints, sidecars, _last_checkpoint) with its hash.
    let list = try TestTools.run("lh-pack", ["list", a])
    #expect(list.status == 0, "\(list.stderr)")
    let listed = Set(
      list.output.split(separator: "\n").map { String($0.split(separator: " ").last!) })
    var from: [String: Int64] = [:]
    var latest: [String: Int64] = [:]
    for table in Self.tables {
      let path = lake + "/" + table
      for name in try Self.logFiles(path) {
        #expect(listed.contains(table + "/_delta_log/" + name), "\(table): \(name) not archived")
      }
      from[table] = try DeltaLog.oldestReconstructibleVersion(table: path)
      latest[table] = try DeltaLog.snapshot(table: path).version
      #expect(
        list.stderr.contains("\(table): version \(latest[table]!) (from \(from[table]!)) table"),
        "\(list.stderr)")
    }
    #expect(
      listed.contains { $0.hasPrefix("sales/v2/_delta_log/_sidecars/") }
        && listed.contains("sales/orders/_delta_log/_last_checkpoint")
        && listed.contains {
          $0.hasPrefix("sales/parts/_delta_log/") && $0.hasSuffix(".0000000003.parquet")
        })

    let restored = dir.appendingPathComponent("restored").path
    let back = try TestTools.run("lh-pack", ["restore", a, "-C", restored])
    #expect(back.status == 0, "\(back.stderr)")
    for table in Self.tables {
      #expect(
        try Self.logFiles(restored + "/" + table) == Self.logFiles(lake + "/" + table), "\(table)")
    }
    try Self.sameTables(lake, restored, from: from, latest: latest, python: python)

    // A restore killed before its last log files: a rerun finishes it.
    let again = dir.appendingPathComponent("again").path
    #expect(try TestTools.run("lh-pack", ["restore", a, "-C", again]).status == 0)
    let orders = again + "/sales/orders/_delta_log/"
    unlink(orders + "_last_checkpoint")
    unlink(orders + DeltaLog.fileName(latest["sales/orders"]!))
    let rerun = try TestTools.run("lh-pack", ["restore", a, "-C", again])
    #expect(rerun.status == 0, "\(rerun.stderr)")
    #expect(try Self.logFiles(again + "/sales/orders") == Self.logFiles(lake + "/sales/orders"))
    #expect(
      try PackLakes.rows(again + "/sales/orders") == PackLakes.rows(lake + "/sales/orders"))

    // As of a version before the newest checkpoint: no later checkpoint, no _last_checkpoint
    // naming one; the restored table ends there.
    let cp = try #require(LastCheckpoint.read(table: lake + "/sales/orders")).version
    let old = dir.appendingPathComponent("old.tar.zst").path
    let o = try TestTools.run(
      "lh-pack",
      [
        "archive", "--lake", lake, "--table", "sales/orders", "--as-of", String(cp - 1), "-o", old,
      ])
    #expect(o.status == 0, "\(o.stderr)")
    #expect(try DeltaLog.oldestReconstructibleVersion(table: lake + "/sales/orders")! < cp - 1)
    let oldDir = dir.appendingPathComponent("old").path
    #expect(try TestTools.run("lh-pack", ["restore", old, "-C", oldDir]).status == 0)
    let names = try Self.logFiles(oldDir + "/sales/orders")
    #expect(
      !names.contains("_last_checkpoint")
        || LastCheckpoint.read(table: oldDir + "/sales/orders")!.version < cp)
    #expect(!names.contains { $0.hasPrefix(String(DeltaLog.fileName(cp).dropLast(5))) }, "\(names)")
    #expect(try DeltaLog.snapshot(table: oldDir + "/sales/orders").version == cp - 1)
    #expect(
      try PackLakes.rows(oldDir + "/sales/orders")
        == PackLakes.rows(lake + "/sales/orders", cp - 1))
  }

  @Test(
    "archive --before --remove on a cleaned, checkpointed table, then restore merges back; a whole-table archive after it restores every version"
  )
  func removeAndRestore() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory("lh-pack-ckpt")
    let lake = try Self.lake(dir, python: python)
    let orders = lake + "/sales/orders"
    let before = try PackLakes.rows(orders)
    let a = dir.appendingPathComponent("old.tar.zst").path
    let r = try TestTools.run(
      "lh-pack",
      [
        "archive", "--lake", lake, "--table", "sales/orders", "--before", "2026-01-03",
        "--remove", "-o", a,
      ])
    #expect(r.status == 0, "\(r.stderr)")
    let old = before.filter { $0.contains("2026-01-01") || $0.contains("2026-01-02") }
    #expect(!old.isEmpty)
    #expect(try PackLakes.rows(orders) == before.filter { !old.contains($0) })
    // Whole-lake archive of the table after the remove, restored elsewhere.
    let whole = dir.appendingPathComponent("whole.tar.zst").path
    #expect(try TestTools.run("lh-pack", ["archive", "--lake", lake, "-o", whole]).status == 0)
    let restored = dir.appendingPathComponent("restored").path
    let back = try TestTools.run("lh-pack", ["restore", whole, "-C", restored])
    #expect(back.status == 0, "\(back.stderr)")
    var from: [String: Int64] = [:]
    var latest: [String: Int64] = [:]
    for table in Self.tables {
      from[table] = try DeltaLog.oldestReconstructibleVersion(table: lake + "/" + table)
      latest[table] = try DeltaLog.snapshot(table: lake + "/" + table).version
    }
    try Self.sameTables(lake, restored, from: from, latest: latest, python: python)
    // The old days merge back into the lake, and into the restored copy.
    for target in [lake, restored] {
      let m = try TestTools.run("lh-pack", ["restore", a, "-C", target])
      #expect(m.status == 0, "\(m.stderr)")
      #expect(try PackLakes.rows(target + "/sales/orders") == before)
    }
  }

  @Test(
    "a log a killed cleanup left (commits before its oldest checkpoint): vacuum plans from that checkpoint, archive → restore starts there"
  )
  func killedCleanup() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack-ckpt")
    let lake = dir.appendingPathComponent("lake").path
    let orders = lake + "/sales/orders"
    _ = try DeltaTable.openOrCreate(
      at: orders, schema: PackLakes.ordersSchema, partitionColumns: ["event_date"],
      engine: "lh-test", configuration: ["delta.checkpointInterval": "2"])
    for k in 1...7 { try PackLakes.append(orders, k * 10..<k * 10 + 10) }
    // Cleanup deletes oldest first: killed after commits 0…2 and the checkpoint of 2.
    for v: Int64 in 0...2 { unlink(orders + "/_delta_log/" + DeltaLog.fileName(v)) }
    unlink(orders + "/_delta_log/" + DeltaLogFile.checkpointName(2))
    #expect(try DeltaLog.oldestReconstructibleVersion(table: orders) == 4)
    let vacuum = try TestTools.run("lh-pack", ["vacuum", "--lake", lake])
    #expect(vacuum.status == 0 && vacuum.output.isEmpty, "\(vacuum.output)\(vacuum.stderr)")
    let a = dir.appendingPathComponent("a.tar.zst").path
    let r = try TestTools.run("lh-pack", ["archive", "--lake", lake, "-o", a])
    #expect(r.status == 0, "\(r.stderr)")
    let restored = dir.appendingPathComponent("restored").path
    let back = try TestTools.run("lh-pack", ["restore", a, "-C", restored])
    #expect(back.status == 0, "\(back.stderr)")
    let copy = restored + "/sales/orders"
    #expect(try DeltaLog.oldestReconstructibleVersion(table: copy) == 4)
    #expect(!FileManager.default.fileExists(atPath: copy + "/_delta_log/" + DeltaLog.fileName(3)))
    for v: Int64 in 4...7 {
      #expect(try PackLakes.rows(orders, v) == PackLakes.rows(copy, v), "version \(v)")
    }
  }
}
