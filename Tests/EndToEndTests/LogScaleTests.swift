import Foundation
import LakeTable
import LakeTestSupport
import Testing

/// Grows a bronze/silver lake's log to many commits quickly: commits written straight to
/// `_delta_log/` as lh-bronze writes them (commitInfo with lhBronze's running total, the three
/// txns of the spool file landed), then one lh-silver commit per silver table bringing its
/// progress to the latest bronze version, and a checkpoint every `interval` commits.
enum LogGrowth {
  static let interval: Int64 = 100

  /// The checkpoints of `table` at `versions`, each after the commits up to it exist.
  ///
  /// deltalake reloads the log for each (about 1.5 s per checkpoint at 20,000 commits), so it
  /// writes only the last, the one reads start from. (Switch to lh's own writer, once it
  /// exists, by replacing the body with
  /// `for v in versions { try DeltaCheckpoint.write(table: table, version: v) }`.)
  static func checkpoint(_ table: String, _ versions: [Int64]) throws {
    try deltalakeCheckpoints(table, Array(versions.suffix(1)))
  }

  /// Checkpoints written by deltalake (`create_checkpoint()` on the table loaded as of each
  /// version), in one Python process.
  static func deltalakeCheckpoints(_ table: String, _ versions: [Int64]) throws {
    guard !versions.isEmpty else { return }
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let script = """
      import sys
      from deltalake import DeltaTable
      dt = DeltaTable(sys.argv[1], version=int(sys.argv[2]))
      for v in sys.argv[2:]:
          dt.load_as_version(int(v))
          dt.create_checkpoint()
      import os as _os, sys as _sys; _sys.stdout.flush(); _os._exit(0)  # deltalake may abort at teardown
      """
    let r = try TestTools.run(python, ["-c", script, table] + versions.map(String.init))
    #expect(r.status == 0, "\(r.stderr)")
  }

  /// The latest commit's lh object `key` as parsed JSON.
  static func latestMembers(_ table: String, _ key: String) throws -> (Int64, [String: Any]) {
    for v in try DeltaLog.versions(table: table).reversed() {
      let text = try String(
        contentsOfFile: table + "/_delta_log/" + DeltaLog.fileName(v), encoding: .utf8)
      for line in text.split(separator: "\n") {
        if let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let info = o["commitInfo"] as? [String: Any], let m = info[key] as? [String: Any]
        {
          return (v, m)
        }
      }
    }
    return (-1, [:])
  }

  static func json(_ o: [String: Any]) throws -> String {
    String(
      decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self
    )
  }

  static func write(_ table: String, _ version: Int64, _ lines: [String]) throws {
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(
      to: URL(fileURLWithPath: table + "/_delta_log/" + DeltaLog.fileName(version)))
  }

  /// Grows bronze to `commits` commits and brings both silver tables' progress to it.
  static func grow(_ lake: String, to commits: Int64) throws {
    let bronze = lake + "/bronze/events"
    let latest = try DeltaLog.versions(table: bronze).last!
    guard latest + 1 < commits else { return }
    let (_, last) = try latestMembers(bronze, "lhBronze")
    let rows = (last["rowsLanded"] as? NSNumber)?.int64Value ?? 0
    var time = try DeltaLog.commitTimestamp(table: bronze, version: latest)
    var written: [Int64] = []
    for v in (latest + 1)..<commits {
      time += 1
      // A spool file per 100 commits, grown by each: its three txns as lh-bronze writes them.
      let file = String(format: "%016llx", UInt64(v / 100) &* 0x9E37_79B9_7F4A_7C15)
      let info: [String: Any] = [
        "timestamp": time, "operation": "WRITE", "operationParameters": ["mode": "Append"],
        "engineInfo": "lh-bronze/test",
        "lhBronze": ["lines": 0, "rowsLanded": rows, "readVersion": v - 1],
      ]
      var lines = [try json(["commitInfo": info])]
      for (field, value) in [("lines", v % 100), ("bytes", 100 * (v % 100)), ("digest", v)] {
        lines.append(
          try json([
            "txn": [
              "appId": "lh-bronze:file:\(file):\(field)", "version": value, "lastUpdated": time,
            ]
          ]))
      }
      try write(bronze, v, lines)
      if v % interval == 0 { written.append(v) }
    }
    let target = commits - 1
    for name in ["silver/events", "silver/rejects"] {
      let table = lake + "/" + name
      let (v, members) = try latestMembers(table, "lhSilver")
      var m = members
      let contract = m["contract"] as? String ?? "clickstream"
      m["bronzeFromVersion"] = ((m["bronzeToVersion"] as? NSNumber)?.int64Value ?? 0) + 1
      m["bronzeToVersion"] = target
      m["bronzeReached"] = target
      for k in ["bronzeRows", "silverRows", "rejects", "duplicates"] { m[k] = 0 }
      m["acceptedEarlier"] = nil
      let stamp = try DeltaLog.commitTimestamp(table: table, version: v) + 1
      try write(
        table, v + 1,
        [
          try json([
            "commitInfo": [
              "timestamp": stamp, "operation": "WRITE", "operationParameters": ["mode": "Append"],
              "engineInfo": "lh-silver/test", "lhSilver": m,
            ]
          ]),
          try json([
            "txn": ["appId": "lh-silver:\(contract)", "version": target, "lastUpdated": stamp]
          ]),
        ])
    }
    try checkpoint(bronze, written)
  }

  /// CPU seconds (user + system) of one run of `tool`, measured by a Python parent.
  static func cpuSeconds(_ tool: String, _ arguments: [String]) throws -> Double {
    let script = """
      import resource, subprocess, sys
      code = subprocess.call(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
      u = resource.getrusage(resource.RUSAGE_CHILDREN)
      print(u.ru_utime + u.ru_stime)
      sys.exit(code)
      """
    let path = TestTools.binDirectory.appendingPathComponent(tool).path
    let r = try TestTools.run("/usr/bin/env", ["python3", "-c", script, path] + arguments)
    #expect(r.status == 0, "\(tool) \(arguments): \(r.stderr)")
    return Double(r.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .infinity
  }

  /// The median CPU seconds of `runs` runs of each command, by name.
  static func costs(_ lake: String, runs: Int) throws -> [String: Double] {
    let commands: [(String, String, [String])] = [
      ("status", "lh-report", ["status", "--lake", lake]),
      ("bronze start", "lh-bronze", ["--lake", lake, "--quiet"]),
      ("silver no-op", "lh-silver", ["--lake", lake, "--quiet"]),
    ]
    var out: [String: Double] = [:]
    for (name, tool, arguments) in commands {
      let times = try (0..<runs).map { _ in try cpuSeconds(tool, arguments) }.sorted()
      out[name] = times[runs / 2]
    }
    return out
  }
}

/// Issue 15, proof: `lh-report status`, an `lh-bronze` start and an `lh-silver` no-op cost at
/// 20,000 commits within 2× of what they cost at 200 (CPU time, medians, as a ratio in one run).
@Suite("log scale", .enabled(if: peersPython != nil || peersRequired))
struct LogScaleTests {
  @Test("20,000 commits cost within 2x of 200: status, a bronze start, a silver no-op")
  func flat() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let r = try TestTools.shell(
      "lh-gen --seed 5 --count 500 --quiet | lh-bronze --lake '\(lake)' --quiet"
        + " && lh-silver --lake '\(lake)' --quiet")
    #expect(r.status == 0, "\(r.stderr)")
    try LogGrowth.grow(lake, to: 200)
    let small = try LogGrowth.costs(lake, runs: 3)
    try LogGrowth.grow(lake, to: 20_000)
    #expect(try DeltaLog.versions(table: lake + "/bronze/events").last == 19_999)
    let large = try LogGrowth.costs(lake, runs: 3)
    for (name, cost) in small.sorted(by: { $0.key < $1.key }) {
      let ratio = large[name]! / max(cost, 0.001)
      #expect(
        ratio <= 2,
        "\(name): \(large[name]!) s at 20,000 commits, \(cost) s at 200 (ratio \(ratio))")
    }
    // Status still adds up: the grown commits landed no rows and silver read none.
    let check = try TestTools.run("lh-report", ["status", "--lake", lake, "--check"])
    #expect(check.status == 0, "\(check.stderr)")
  }
}
