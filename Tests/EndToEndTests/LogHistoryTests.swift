import Foundation
import LakeTable
import LakeTestSupport
import Testing

/// The commits of a table as parsed JSON, by version (absent versions left out).
func commitObjects(_ table: String) throws -> [Int64: [[String: Any]]] {
  var out: [Int64: [[String: Any]]] = [:]
  for v in try DeltaLog.versions(table: table) {
    let text = try String(
      contentsOfFile: table + "/_delta_log/" + DeltaLog.fileName(v), encoding: .utf8)
    out[v] = try text.split(separator: "\n").map {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
    }
  }
  return out
}

/// The integer members of commitInfo field `key` (an lh object such as lhBronze).
func lhMembers(_ actions: [[String: Any]], _ key: String) -> [String: Int64]? {
  for a in actions {
    if let info = a["commitInfo"] as? [String: Any], let o = info[key] as? [String: Any] {
      return o.compactMapValues { ($0 as? NSNumber)?.int64Value }
    }
  }
  return nil
}

/// Rows a bronze commit lands (Σ numRecords of dataChange adds), as lh-report counted them.
func landed(_ actions: [[String: Any]]) -> Int64 {
  var n: Int64 = 0
  for a in actions {
    guard let add = a["add"] as? [String: Any], add["dataChange"] as? Bool == true,
      let stats = add["stats"] as? String,
      let o = try? JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any]
    else { continue }
    n += (o["numRecords"] as? NSNumber)?.int64Value ?? 0
  }
  return n
}

/// The reconciliation line of `lh-report status --format ndjson`.
func statusReconciliation(_ lake: String) throws -> [String: Any] {
  let r = try TestTools.run("lh-report", ["status", "--lake", lake, "--format", "ndjson"])
  #expect(r.status == 0, "\(r.stderr)")
  for line in r.output.split(separator: "\n") {
    if let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
      o["section"] as? String == "reconciliation"
    {
      return o
    }
  }
  return [:]
}

/// A status section's members as sorted `key=value` text (a dictionary's order is its own).
func sorted(_ section: [String: Any]) -> [String] {
  section.map { "\($0.key)=\($0.value)" }.sorted()
}

/// A lake landed in `rounds` batches with lh-gen's faults (duplicates, malformed lines), each
/// followed by lh-silver (and lh-gold when `gold`).
func roundsLake(_ rounds: Int, gold: Bool = false) throws -> (lake: String, dir: URL) {
  let dir = try TestTools.temporaryDirectory()
  let lake = dir.appendingPathComponent("lake").path
  for i in 0..<rounds {
    let r = try TestTools.shell(
      "lh-gen --seed \(20 + i) --count 400 --duration 2h --duplicates 0.05 --malformed 0.05 --quiet | lh-bronze --lake '\(lake)' --quiet"
        + " && lh-silver --lake '\(lake)' --quiet"
        + (gold ? " && lh-gold --lake '\(lake)' --quiet" : ""))
    #expect(r.status == 0, "\(r.stderr)")
  }
  return (lake, dir)
}

/// Issue 15, "costs that stay flat": what the stages know of a table's history comes from
/// running totals the commits carry (lhBronze rowsLanded, lhSilver totals), read from the latest
/// commits; on a log without them (lakes written before) it is summed from version 0 as
/// before, and once the early commits are cleaned up it is unknown (n/a), never an error.
@Suite("running totals in the log")
struct LogHistoryTests {
  @Test("every bronze and silver commit's running totals equal the sums of all commits up to it")
  func totalsEqualFullLoop() throws {
    let (lake, _) = try roundsLake(3)
    // A concurrent stdin landing is not needed to check the arithmetic: the sums are.
    let bronze = try commitObjects(lake + "/bronze/events")
    var sum: Int64 = 0
    var carrying = 0
    for v in bronze.keys.sorted() {
      let actions = bronze[v]!
      sum += landed(actions)
      guard let n = lhMembers(actions, "lhBronze") else { continue }
      #expect(n["rowsLanded"] == sum, "bronze version \(v): \(n), full loop \(sum)")
      #expect(n["readVersion"] == v - 1)
      carrying += 1
    }
    #expect(carrying == 3)
    let silver = try commitObjects(lake + "/silver/events")
    var totals: [String: Int64] = [:]
    for v in silver.keys.sorted() {
      guard let n = lhMembers(silver[v]!, "lhSilver") else { continue }
      for k in ["bronzeRows", "silverRows", "rejects", "duplicates"] {
        totals[k, default: 0] += n[k] ?? 0
      }
      #expect(n["totalBronzeRows"] == totals["bronzeRows"], "silver version \(v): \(n)")
      #expect(n["totalSilverRows"] == totals["silverRows"])
      #expect(n["totalRejects"] == totals["rejects"])
      #expect(n["totalDuplicates"] == totals["duplicates"])
      #expect(n["bronzeReached"] == n["bronzeToVersion"])
    }
    #expect((totals["rejects"] ?? 0) > 0 && (totals["duplicates"] ?? 0) > 0, "\(totals)")
    let rec = try statusReconciliation(lake)
    #expect(rec["bronze_rows"] as? Int64 == sum, "\(rec)")
    #expect(rec["silver_rows"] as? Int64 == totals["silverRows"])
    #expect(rec["rejects"] as? Int64 == totals["rejects"])
    #expect(rec["duplicates"] as? Int64 == totals["duplicates"])
    #expect(rec["reconciled"] as? Bool == true)
  }

  @Test("a lake written before the running totals: status sums its commits from version 0, alike")
  func lakeWithoutTotals() throws {
    let (lake, _) = try roundsLake(3, gold: true)
    let before = try TestTools.run("lh-report", ["status", "--lake", lake, "--format", "csv"])
    #expect(before.status == 0, "\(before.stderr)")
    try stripTotals(lake)
    #expect(
      try commitObjects(lake + "/bronze/events").values.allSatisfy {
        lhMembers($0, "lhBronze")?["rowsLanded"] == nil
      })
    let after = try TestTools.run("lh-report", ["status", "--lake", lake, "--format", "csv"])
    #expect(after.status == 0, "\(after.stderr)")
    #expect(after.output == before.output)
    // The next commits carry totals again, read from the full sums.
    let r = try TestTools.shell(
      "lh-gen --seed 99 --count 300 --quiet | lh-bronze --lake '\(lake)' --quiet"
        + " && lh-silver --lake '\(lake)' --quiet")
    #expect(r.status == 0, "\(r.stderr)")
    let bronze = try commitObjects(lake + "/bronze/events")
    let last = bronze.keys.max()!
    let all = bronze.values.reduce(Int64(0)) { $0 + landed($1) }
    #expect(lhMembers(bronze[last]!, "lhBronze")?["rowsLanded"] == all)
    let rec = try statusReconciliation(lake)
    #expect(rec["bronze_rows"] as? Int64 == all && rec["reconciled"] as? Bool == true, "\(rec)")
  }

  @Test(
    "status, silver and gold on a lake whose early commits were cleaned up after a checkpoint",
    .enabled(if: peersPython != nil || peersRequired))
  func cleanedLog() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let (lake, dir) = try roundsLake(3, gold: true)
    // The same lake, its log left whole, goes through the same steps: the results must agree.
    let whole = dir.appendingPathComponent("whole").path
    try FileManager.default.copyItem(atPath: lake, toPath: whole)
    let statusBefore = try statusReconciliation(lake)
    try cleanUp(lake, python: python)
    #expect(
      !FileManager.default.fileExists(
        atPath: lake + "/bronze/events/_delta_log/" + DeltaLog.fileName(0)))
    let s = try TestTools.run("lh-report", ["status", "--lake", lake, "--format", "ndjson"])
    #expect(s.status == 0, "\(s.stderr)")
    #expect(try sorted(statusReconciliation(lake)) == sorted(statusBefore))
    for l in [lake, whole] {
      let r = try TestTools.shell(
        "lh-gen --seed 77 --count 300 --duration 2h --quiet | lh-bronze --lake '\(l)' --quiet"
          + " && lh-silver --lake '\(l)' --quiet && lh-gold --lake '\(l)' --quiet")
      #expect(r.status == 0, "\(r.stderr)")
    }
    let check = try TestTools.run("lh-report", ["status", "--lake", lake, "--check"])
    #expect(check.status == 0, "\(check.stderr)")
    #expect(try sorted(statusReconciliation(lake)) == sorted(statusReconciliation(whole)))
    let gold = try TestTools.run("lh-report", ["--lake", lake, "--format", "csv"])
    let goldWhole = try TestTools.run("lh-report", ["--lake", whole, "--format", "csv"])
    #expect(gold.status == 0 && gold.output == goldWhole.output, "\(gold.stderr)")
    // A rebuild reads bronze's live files as the checkpoint has them.
    for l in [lake, whole] {
      let r = try TestTools.run("lh-silver", ["--lake", l, "--rebuild", "--quiet"])
      #expect(r.status == 0, "\(r.stderr)")
    }
    // The same rows; their lineage names the bronze version the rebuild read, as the version
    // that added each file is gone with the cleaned commits (and the last round landed in each
    // copy at its own time).
    let lineage: Set<String> = ["_bronze_version", "_ingested_at"]
    #expect(
      try tableRows(lake + "/silver/events", dropping: lineage).sorted()
        == tableRows(whole + "/silver/events", dropping: lineage).sorted())
  }

  @Test(
    "a cleaned log without running totals: status says n/a for what it no longer knows, exit 0",
    .enabled(if: peersPython != nil || peersRequired))
  func cleanedLogWithoutTotals() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let (lake, _) = try roundsLake(3)
    try stripTotals(lake)
    try cleanUp(lake, python: python)
    let r = try TestTools.run("lh-report", ["status", "--lake", lake, "--format", "ndjson"])
    #expect(r.status == 0, "\(r.stderr)")
    let rec = try statusReconciliation(lake)
    #expect(rec["bronze_rows"] is NSNull && rec["reconciled"] is NSNull, "\(rec)")
    let check = try TestTools.run("lh-report", ["status", "--lake", lake, "--check"])
    #expect(check.status == 0, "\(check.stderr)")
    let prom = try TestTools.run("lh-report", ["status", "--lake", lake, "--format", "prometheus"])
    #expect(prom.status == 0 && !prom.output.contains("lh_reconciled"), "\(prom.output)")
  }

  /// Removes the running totals from every commit of the lake, as lh wrote them before.
  func stripTotals(_ lake: String) throws {
    let pattern = try NSRegularExpression(
      pattern:
        #",\"(rowsLanded|readVersion|totalBronzeRows|totalSilverRows|totalRejects|totalDuplicates|bronzeReached)\":-?[0-9]+"#
    )
    for table in ["bronze/events", "silver/events", "silver/rejects"] {
      let path = lake + "/" + table
      for v in try DeltaLog.versions(table: path) {
        let url = URL(fileURLWithPath: path + "/_delta_log/" + DeltaLog.fileName(v))
        let text = try String(contentsOf: url, encoding: .utf8)
        let out = pattern.stringByReplacingMatches(
          in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
        try out.write(to: url, atomically: false, encoding: .utf8)
      }
    }
  }

  /// Log cleanup as deltalake does it: a checkpoint of every table's latest version
  /// (`create_checkpoint()`), then every commit before it deleted.
  func cleanUp(_ lake: String, python: String) throws {
    let script = """
      import os, sys
      from deltalake import DeltaTable
      for root, dirs, files in os.walk(sys.argv[1]):
          if "_delta_log" not in dirs:
              continue
          dt = DeltaTable(root)
          dt.create_checkpoint()
          v = dt.version()
          log = os.path.join(root, "_delta_log")
          for f in os.listdir(log):
              if f.endswith(".json") and f[:20].isdigit() and int(f[:20]) < v:
                  os.remove(os.path.join(log, f))
      import os as _os, sys as _sys; _sys.stdout.flush(); _os._exit(0)  # deltalake may abort at teardown
      """
    let r = try TestTools.run(python, ["-c", script, lake])
    #expect(r.status == 0, "\(r.stderr)")
  }
}
