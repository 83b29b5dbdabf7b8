import Foundation
import LakeTable
import LakeTestSupport
import Testing

/// Settings are remembered (issue 14, item 7): the contract and the gold time zone are table
/// properties, so a plain run repeats them and a flag is needed only to change one.
@Suite("remembered settings")
struct SettingsTests {
  @Test(
    "after lh-gold --tz Europe/Berlin --rebuild, plain lh-gold exits 0 and keeps Berlin days; --tz UTC alone is 64"
  )
  func zoneIsRemembered() throws {
    let dir = try TestTools.temporaryDirectory("lh-settings")
    let lake = dir.appendingPathComponent("lake").path
    let reference = dir.appendingPathComponent("ref").path
    let first = try TestTools.run(
      "lh-gen", ["--count", "4000", "--seed", "11", "--duration", "3d", "--quiet"])
    let second = try TestTools.run(
      "lh-gen",
      [
        "--count", "2000", "--seed", "12", "--duration", "2d", "--start", "2026-01-02T20:00:00Z",
        "--quiet",
      ])
    for l in [lake, reference] {
      #expect(
        try TestTools.run("lh-bronze", ["--lake", l, "--quiet"], stdin: first.stdout).status == 0)
      #expect(try TestTools.run("lh-silver", ["--lake", l, "--quiet"]).status == 0)
    }
    #expect(try TestTools.run("lh-gold", ["--lake", lake, "--quiet"]).status == 0)
    let recut = try TestTools.run(
      "lh-gold", ["--lake", lake, "--tz", "Europe/Berlin", "--rebuild", "--quiet"])
    #expect(recut.status == 0, "\(recut.stderr)")
    // New events, then the routine runs with no flags.
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: second.stdout).status
        == 0)
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    let plain = try TestTools.run("lh-gold", ["--lake", lake])
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(try TestTools.run("lh-gold", ["--lake", lake, "--quiet"]).status == 0)
    // Equal to gold computed in Berlin from all of it at once.
    #expect(
      try TestTools.run("lh-bronze", ["--lake", reference, "--quiet"], stdin: second.stdout)
        .status == 0)
    #expect(try TestTools.run("lh-silver", ["--lake", reference, "--quiet"]).status == 0)
    #expect(
      try TestTools.run("lh-gold", ["--lake", reference, "--tz", "Europe/Berlin", "--quiet"])
        .status == 0)
    let gold = try FileManager.default.contentsOfDirectory(atPath: reference + "/gold").sorted()
    #expect(!gold.isEmpty)
    for name in gold {
      let t = lake + "/gold/" + name
      #expect(
        try DeltaLog.snapshot(table: t).metadata.configuration["lh.gold.timeZone"]
          == "Europe/Berlin", "\(name)")
      #expect(try tableRows(t) == tableRows(reference + "/gold/" + name), "\(name)")
    }
    // The same zone again is fine; another one says what is recorded and how to change it.
    #expect(
      try TestTools.run("lh-gold", ["--lake", lake, "--tz", "Europe/Berlin", "--quiet"]).status
        == 0)
    let utc = try TestTools.run("lh-gold", ["--lake", lake, "--tz", "UTC"])
    #expect(utc.status == 64)
    #expect(utc.stderr.hasPrefix("lh-gold: \(lake)/gold/"), "\(utc.stderr)")
    #expect(
      utc.stderr.hasSuffix(
        ": days are cut in Europe/Berlin (recorded in the table), not UTC; run with --tz UTC --rebuild to recut them, or drop --tz to keep Europe/Berlin\n"
      ), "\(utc.stderr)")
    #expect(utc.stderr.split(separator: "\n").count == 1, "one line")
  }

  @Test("a lake built with --contract iot: plain lh-silver and lh-gold exit 0 and use iot")
  func contractIsRemembered() throws {
    let dir = try TestTools.temporaryDirectory("lh-settings")
    let lake = dir.appendingPathComponent("lake").path
    for seed in 1...2 {
      let gen = try TestTools.run(
        "lh-gen", ["--contract", "iot", "--count", "2000", "--seed", "\(seed)", "--quiet"])
      #expect(
        try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: gen.stdout).status
          == 0)
      let silver = try TestTools.run(
        "lh-silver", ["--lake", lake, "--quiet"] + (seed == 1 ? ["--contract", "iot"] : []))
      #expect(silver.status == 0, "\(silver.stderr)")
      let gold = try TestTools.run("lh-gold", ["--lake", lake, "--quiet"])
      #expect(gold.status == 0, "\(gold.stderr)")
    }
    let silver = try DeltaLog.snapshot(table: lake + "/silver/events")
    #expect(silver.metadata.configuration["lh.contract"] == "iot")
    #expect(silver.metadata.configuration["lh.contract.source"] == "builtin")
    #expect(try reconciliations(lake + "/silver/events").count == 2)
    let gold = try FileManager.default.contentsOfDirectory(atPath: lake + "/gold").sorted()
    #expect(!gold.isEmpty && !gold.contains("daily_active_users"), "\(gold)")
    // Repeating the recorded contract is fine; another one is a usage error naming both.
    #expect(
      try TestTools.run("lh-gold", ["--lake", lake, "--contract", "iot", "--quiet"]).status == 0)
    let other = try TestTools.run("lh-gold", ["--lake", lake, "--contract", "clickstream"])
    #expect(other.status == 64)
    #expect(
      other.stderr
        == "lh-gold: \(lake)/silver/events holds rows of contract 'iot' (recorded in the table), not 'clickstream'; drop --contract, or rebuild silver first with lh-silver --contract clickstream --rebuild\n"
    )
    let silverOther = try TestTools.run("lh-silver", ["--lake", lake, "--contract", "sales"])
    #expect(silverOther.status == 64)
    #expect(
      silverOther.stderr
        == "lh-silver: \(lake)/silver/events: built with contract 'iot' (recorded in the table), not 'sales'; run with --rebuild to rebuild it with 'sales', or drop --contract to keep 'iot'\n"
    )
  }

  @Test(
    "a contract file is recorded: plain runs use it without the file; the file changed without --rebuild is 64 saying so"
  )
  func contractFileIsRecorded() throws {
    let dir = try TestTools.temporaryDirectory("lh-settings")
    let lake = dir.appendingPathComponent("lake").path
    let contract = dir.appendingPathComponent("things.contract").path
    let text = """
      contract things
      key id
      event_time ts
      column id   string    required
      column n    int32     optional min 0
      column ts   timestamp required

      gold things_daily
        grain day
        metric rows = count
        metric total = sum(n)

      """
    try text.write(toFile: contract, atomically: true, encoding: .utf8)
    func land(_ lines: String) throws {
      #expect(
        try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: Array(lines.utf8))
          .status == 0)
    }
    try land(
      """
      {"id":"a","n":1,"ts":"2026-01-01T10:00:00Z"}
      {"id":"b","n":-2,"ts":"2026-01-01T11:00:00Z"}

      """)
    let built = try TestTools.run("lh-silver", ["--lake", lake, "--contract", contract])
    #expect(built.status == 0, "\(built.stderr)")
    #expect(built.stderr.contains("silver 1 + rejects 1"), "\(built.stderr)")
    let recorded = try DeltaLog.snapshot(table: lake + "/silver/events").metadata.configuration
    #expect(recorded["lh.contract"] == "things")
    #expect(recorded["lh.contract.source"] == contract)
    #expect(recorded["lh.contract.digest"]?.count == 64)
    #expect(recorded["lh.contract.text"]?.contains("optional min 0\n") == true)

    // Without the file: plain runs use the recorded contract.
    try FileManager.default.moveItem(atPath: contract, toPath: contract + ".away")
    try land("{\"id\":\"c\",\"n\":3,\"ts\":\"2026-01-02T10:00:00Z\"}\n")
    let plain = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(plain.stderr.contains("silver 1 + rejects 0"), "\(plain.stderr)")
    let gold = try TestTools.run("lh-gold", ["--lake", lake, "--quiet"])
    #expect(gold.status == 0, "\(gold.stderr)")
    #expect(try tableRows(lake + "/gold/things_daily").count == 2)

    // The file again, unchanged: fine. Changed (a rule, not a column): 64, saying so.
    try FileManager.default.moveItem(atPath: contract + ".away", toPath: contract)
    #expect(
      try TestTools.run("lh-silver", ["--lake", lake, "--contract", contract, "--quiet"]).status
        == 0)
    try text.replacingOccurrences(of: "optional min 0", with: "optional min -5")
      .write(toFile: contract, atomically: true, encoding: .utf8)
    let changed = try TestTools.run("lh-silver", ["--lake", lake, "--contract", contract])
    #expect(changed.status == 64)
    let digest = String(recorded["lh.contract.digest"]?.prefix(12) ?? "")
    #expect(
      changed.stderr
        == "lh-silver: \(lake)/silver/events: contract file \(contract) has changed since silver was built with it (recorded in the table, sha256 \(digest)…); run with --rebuild to rebuild silver with it, or drop --contract to keep the recorded one\n"
    )
    let goldChanged = try TestTools.run("lh-gold", ["--lake", lake, "--contract", contract])
    #expect(goldChanged.status == 64)
    #expect(goldChanged.stderr.contains("the file has changed"), "\(goldChanged.stderr)")
    // --rebuild applies it (b is now good) and records it; plain runs follow.
    let rebuilt = try TestTools.run(
      "lh-silver", ["--lake", lake, "--contract", contract, "--rebuild"])
    #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
    #expect(rebuilt.stderr.contains("silver 3 + rejects 0"), "\(rebuilt.stderr)")
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    #expect(try TestTools.run("lh-gold", ["--lake", lake, "--rebuild", "--quiet"]).status == 0)
    #expect(try tableRows(lake + "/gold/things_daily").contains { $0.hasSuffix("|2|-1") })
  }
}
