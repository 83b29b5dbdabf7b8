import Foundation
import LakeFormats
import LakeIO
import LakeTable
import LakeTestSupport
import Testing

/// Checkpoints across tools and peers (issue 15): lh writes them at the table's interval and
/// deltalake reads them (also after its cleanup_metadata); lh reads deltalake's checkpointed,
/// cleaned tables at every version still reconstructible, multi-part and V2 checkpoints too;
/// a crash or an I/O error while writing one never fails the commit nor the table.
@Suite(
  "Delta checkpoints with tools and peers", .enabled(if: peersPython != nil || peersRequired))
struct CheckpointPeerTests {
  static var script: String {
    TestTools.repositoryRoot().appendingPathComponent("tests/peers/checkpoint_peers.py").path
  }

  /// Runs the peer script; returns its stdout.
  @discardableResult
  static func peer(_ arguments: [String], context: String = "") throws -> String {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let r = try TestTools.run(python, [script] + arguments)
    #expect(r.status == 0, "checkpoint_peers.py \(arguments.first ?? "") \(context): \(r.stderr)")
    return r.output
  }

  struct PeerView: Decodable, Equatable {
    var version: Int64
    var files: [String]
    var rows: Int
    var history: Int?
    var timestamp: Int64?
  }

  /// deltalake's view of `table`.
  static func deltalake(_ table: String, _ dir: URL, context: String = "") throws -> PeerView {
    let out = dir.appendingPathComponent("view-\(UUID().uuidString).json").path
    try peer(["describe", table, out], context: context)
    return try JSONDecoder().decode(
      PeerView.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
  }

  /// lh's view of `table` (rows from the files' stats).
  static func lh(_ table: String, _ asOf: TimeTravel = .latest) throws -> PeerView {
    let s = try DeltaLog.snapshot(table: table, asOf: asOf)
    let rows = s.files.reduce(0) {
      $0 + Int(JSONIntegerMembers.of($1.stats ?? "")["numRecords"] ?? 0)
    }
    return PeerView(version: s.version, files: s.files.map(\.path).sorted(), rows: rows)
  }

  static func info() -> DeltaAction {
    .commitInfo(
      DeltaCommitInfo(
        timestamp: DeltaTable.nowMillis(), operation: "SET TBLPROPERTIES",
        operationParameters: [:], engineInfo: "lh-test"))
  }

  /// Sets table properties by committing a new metaData.
  static func setProperties(_ table: String, _ properties: [String: String]) throws {
    let s = try DeltaLog.snapshot(table: table)
    var m = s.metadata
    m.configuration.merge(properties) { $1 }
    _ = try DeltaTable.commit(
      table: table, readVersion: s.version, actions: [info(), .metaData(m)])
  }

  /// Lands `seed`'s events into `lake`'s bronze table.
  static func land(
    _ lake: String, seed: Int, quiet: Bool = true, environment: [String: String] = [:]
  ) throws -> ToolResult {
    let input = lake + "-in-\(seed).ndjson"
    let g = try TestTools.shell(
      "lh-gen --seed \(seed) --count 40 --duration 1h --quiet > '\(input)'")
    #expect(g.status == 0, "\(g.stderr)")
    return try TestTools.run(
      "lh-bronze", ["--lake", lake, input] + (quiet ? ["--quiet"] : []), environment: environment)
  }

  static func checkpoints(_ table: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: table + "/_delta_log").filter {
      $0.contains(".checkpoint.")
    }.sorted()
  }

  @Test("lh writes checkpoints at the interval; deltalake reads them, also after cleanup")
  func lhWritesCheckpoints() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt-e2e")
    let lake = dir.appendingPathComponent("lake").path
    let bronze = lake + "/bronze/events"
    #expect(try Self.land(lake, seed: 1).status == 0)
    try Self.setProperties(
      bronze,
      ["delta.checkpointInterval": "3", "delta.logRetentionDuration": "interval 1 second"])
    for seed in 2...7 {
      let r = try Self.land(lake, seed: seed)
      #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
    }
    let latest = try #require(try DeltaLog.latestVersion(table: bronze))
    #expect(latest >= 7)
    let expected = stride(from: Int64(3), through: latest, by: 3).map {
      String(DeltaLog.fileName($0).dropLast(5)) + ".checkpoint.parquet"
    }
    #expect(try Self.checkpoints(bronze) == expected)
    #expect(LastCheckpoint.read(table: bronze)?.version == latest - latest % 3)
    var peer = try Self.deltalake(bronze, dir)
    #expect(peer.history == Int(latest) + 1)
    peer.history = nil
    #expect(peer == (try Self.lh(bronze)))

    // deltalake's cleanup removes the JSON before the newest checkpoint; both still agree.
    usleep(1_100_000)
    try Self.peer(["cleanup", bronze])
    #expect(!FileManager.default.fileExists(atPath: bronze + "/_delta_log/" + DeltaLog.fileName(0)))
    peer = try Self.deltalake(bronze, dir)
    peer.history = nil
    #expect(peer == (try Self.lh(bronze)))
    let report = try TestTools.run("lh-report", [bronze, "--format", "csv"])
    #expect(report.status == 0, "\(report.stderr)")

    // lh commits on the cleaned table, then deltalake on lh's: each reads the other's.
    #expect(try Self.land(lake, seed: 8).status == 0)
    peer = try Self.deltalake(bronze, dir)
    peer.history = nil
    #expect(peer == (try Self.lh(bronze)))
    #expect(peer.version == latest + 1)
  }

  @Test("lh reads deltalake's checkpointed, cleaned table at every version it still has")
  func readsCleanedPeerTable() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt-e2e")
    let table = dir.appendingPathComponent("peer").path
    let out = dir.appendingPathComponent("versions.json").path
    try Self.peer(["make-cleaned", table, "13", out])
    let versions = try JSONDecoder().decode(
      [String: PeerView].self, from: Data(contentsOf: URL(fileURLWithPath: out)))
    let oldest = try #require(try DeltaLog.oldestReconstructibleVersion(table: table))
    #expect(oldest > 0, "deltalake cleaned nothing")
    #expect(try DeltaLog.latestVersion(table: table) == 12)
    for v in Int64(0)...12 {
      let want = try #require(versions[String(v)])
      let r = try TestTools.run("lh-report", [table, "--as-of", String(v), "--format", "csv"])
      if v < oldest {
        #expect(r.status == 64, "version \(v)")
        #expect(
          r.stderr
            == "lh-report: \(table): version \(v) is no longer reconstructible: its commits were cleaned up (the oldest version that can be read is \(oldest))\n"
        )
        continue
      }
      #expect(r.status == 0, "version \(v): \(r.stderr)")
      #expect(
        r.output.split(whereSeparator: \.isNewline).count == want.rows + 1,
        "version \(v): \(r.output)")
      let mine = try Self.lh(table, .version(v))
      #expect(mine.files == want.files && mine.version == v)
      if let t = want.timestamp {
        #expect(try DeltaLog.version(at: t, table: table) == v)
      }
    }

    // _last_checkpoint missing, naming a missing checkpoint, garbage, stale: all read.
    let want = try #require(versions["12"])
    let hint = table + "/_delta_log/_last_checkpoint"
    let good = try Data(contentsOf: URL(fileURLWithPath: hint))
    try DeltaCheckpoint.write(table: table, version: 11)  // newer than the hint: it is stale
    try good.write(to: URL(fileURLWithPath: hint))
    for (what, text) in [
      ("stale", String(decoding: good, as: UTF8.self)),
      ("missing checkpoint", #"{"version":12,"size":5}"#),
      ("garbage", "{\"version\":"), ("empty", ""),
    ] {
      try Data(text.utf8).write(to: URL(fileURLWithPath: hint))
      #expect(try Self.lh(table).files == want.files, "\(what)")
      let r = try TestTools.run("lh-report", [table, "--format", "csv"])
      #expect(
        r.status == 0 && r.output.split(whereSeparator: \.isNewline).count == want.rows + 1,
        "\(what)")
    }
    unlink(hint)
    #expect(try Self.lh(table).files == want.files, "no _last_checkpoint")

    // lh commits on deltalake's table; deltalake reads it.
    let s = try DeltaLog.snapshot(table: table)
    var id = ColumnBuffer(type: .int64)
    var name = ColumnBuffer(type: .string)
    id.append(Int64(4242))
    name.append(string: "lh")
    let adds = try DeltaTable.writeFiles(s, columns: [id, name])
    let v = try DeltaTable.commit(
      table: table, readVersion: s.version, actions: [Self.info()] + adds.map { .add($0) })
    var peer = try Self.deltalake(table, dir)
    #expect(peer.version == v && peer.rows == want.rows + 1)
    peer.history = nil
    #expect(peer.files == (try Self.lh(table)).files)
  }

  @Test("multi-part and V2 (sidecar) checkpoints read as the classic one")
  func multiPartAndV2() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt-e2e")
    let table = dir.appendingPathComponent("peer").path
    let out = dir.appendingPathComponent("versions.json").path
    try Self.peer(["make-cleaned", table, "13", out])
    let versions = try JSONDecoder().decode(
      [String: PeerView].self, from: Data(contentsOf: URL(fileURLWithPath: out)))
    let checkpoint = try #require(LastCheckpoint.read(table: table)).version
    for how in ["multipart", "v2"] {
      let copy = dir.appendingPathComponent(how).path
      try FileManager.default.copyItem(atPath: table, toPath: copy)
      try Self.peer(["split", copy, String(checkpoint), how])
      unlink(copy + "/_delta_log/_last_checkpoint")
      let names = try Self.checkpoints(copy)
      #expect(names.count == (how == "multipart" ? 3 : 1), "\(names)")
      #expect(try DeltaLog.oldestReconstructibleVersion(table: copy) == checkpoint, "\(how)")
      for v in checkpoint...12 {
        let want = try #require(versions[String(v)])
        #expect(try Self.lh(copy, .version(v)).files == want.files, "\(how) version \(v)")
      }
      let r = try TestTools.run("lh-report", [copy, "--format", "csv"])
      #expect(r.status == 0, "\(how): \(r.stderr)")
      // A missing part or sidecar: the checkpoint is incomplete, the table unreadable as such.
      if how == "multipart" {
        unlink(copy + "/_delta_log/" + names[1])
      } else {
        let side = copy + "/_delta_log/_sidecars"
        let first = try #require(try FileManager.default.contentsOfDirectory(atPath: side).first)
        unlink(side + "/" + first)
      }
      let broken = try TestTools.run("lh-report", [copy, "--format", "csv"])
      #expect(broken.status == 65 || broken.status == 64, "\(how): \(broken.stderr)")
      #expect(broken.stderr.split(separator: "\n").count == 1, "\(broken.stderr)")
    }
  }

  /// A lake whose bronze table checkpoints at every commit, and the input of one more landing.
  static func everyCommitLake(_ dir: URL) throws -> String {
    let base = dir.appendingPathComponent("base").path
    #expect(try land(base, seed: 1).status == 0)
    try setProperties(base + "/bronze/events", ["delta.checkpointInterval": "1"])
    return base
  }

  @Test("kill -9 at each step of writing a checkpoint: the table stays readable everywhere")
  func killed() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt-e2e")
    let base = try Self.everyCommitLake(dir)
    for step in ["temporary", "linked", "pointer"] {
      let lake = dir.appendingPathComponent(step).path
      try FileManager.default.copyItem(atPath: base, toPath: lake)
      let bronze = lake + "/bronze/events"
      let before = try #require(try DeltaLog.latestVersion(table: bronze))
      let r = try Self.land(lake, seed: 2, environment: ["LH_TEST_CHECKPOINT_KILL": step])
      #expect(r.status == 9, "\(step): status \(r.status) \(r.stderr)")
      // The commit is in; the checkpoint is whole or absent; every reader agrees.
      #expect(try DeltaLog.latestVersion(table: bronze) == before + 1, "\(step)")
      var peer = try Self.deltalake(bronze, dir)
      peer.history = nil
      #expect(peer == (try Self.lh(bronze)), "\(step)")
      let report = try TestTools.run("lh-report", [bronze, "--format", "csv"])
      #expect(report.status == 0, "\(step): \(report.stderr)")
      // The next landing checkpoints again (and moves _last_checkpoint past the crash).
      let next = try Self.land(lake, seed: 3)
      #expect(next.status == 0 && next.stderr.isEmpty, "\(step): \(next.stderr)")
      #expect(LastCheckpoint.read(table: bronze)?.version == before + 2, "\(step)")
    }
  }

  @Test("an I/O error at each write of a checkpoint: a warning, the commit reported as success")
  func faults() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt-e2e")
    let base = try Self.everyCommitLake(dir)
    let input = base + "-in-2.ndjson"
    let g = try TestTools.shell("lh-gen --seed 2 --count 40 --duration 1h --quiet > '\(input)'")
    #expect(g.status == 0)
    let counting = dir.appendingPathComponent("count").path
    try FileManager.default.copyItem(atPath: base, toPath: counting)
    let log = dir.appendingPathComponent("fault.log").path
    let clean = try FaultShim.run(
      "lh-bronze", ["--lake", counting, input], prefix: counting, fault: nil, log: log)
    #expect(!clean.result.stderr.contains("checkpoint"))
    #expect(clean.result.status == 0, "\(clean.result.stderr)")
    // The calls of the checkpoint: from the first on its temporary file, those in _delta_log.
    guard let start = clean.calls.firstIndex(where: { $0.path.contains("_lh_checkpoint_") })
    else {
      Issue.record("no checkpoint among \(clean.calls.map { "\($0.op) \($0.path)" })")
      return
    }
    let points = clean.calls.indices.filter {
      $0 >= start && clean.calls[$0].path.contains("_delta_log")
    }
    #expect(points.count >= 6, "\(clean.calls[start...].map { "\($0.op) \($0.path)" })")
    for n in points {
      let lake = dir.appendingPathComponent("fault-\(n)").path
      try FileManager.default.copyItem(atPath: base, toPath: lake)
      let run = try FaultShim.run(
        "lh-bronze", ["--lake", lake, input], prefix: lake,
        fault: FaultShim.Fault(at: n + 1, kind: "eio"), log: log)
      let what = "fault at call \(n + 1) (\(clean.calls[n].op) \(clean.calls[n].path))"
      #expect(run.fired != nil, "\(what): did not fire")
      #expect(run.result.status == 0, "\(what): \(run.result.stderr)")
      let lines = run.result.stderr.split(separator: "\n")
      let warnings = lines.filter { $0.contains("checkpoint") }
      #expect(warnings.count == 1, "\(what): \(run.result.stderr)")
      #expect(lines.count == clean.result.stderr.split(separator: "\n").count + 1, "\(what)")
      for line in warnings {
        #expect(
          line.hasPrefix("lh-bronze: \(lake)/bronze/events: version ")
            && line.contains("is committed, but its checkpoint was not written: "),
          "\(what): \(line)")
      }
      let bronze = lake + "/bronze/events"
      var peer = try Self.deltalake(bronze, dir, context: what)
      peer.history = nil
      #expect(peer == (try Self.lh(bronze)), "\(what)")
      #expect(try FaultInjectionTests.leftovers(lake).isEmpty, "\(what)")
    }
  }
}
