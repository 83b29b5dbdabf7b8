import Foundation
import LakeContracts
import LakeTestSupport
import Testing

/// lh-gold against SQL: each built-in clickstream gold table equals DuckDB's query over silver.
///
/// `tests/peers/gold_check.py` holds the SQL. Silver is written independently, by deltalake from
/// lh-gen's lines, so gold is proven on its own.
@Suite("lh-gold equals SQL", .enabled(if: peersPython != nil || peersRequired))
struct LhGoldTests {
  let check = TestTools.repositoryRoot().appendingPathComponent("tests/peers/gold_check.py").path

  func python(_ arguments: [String]) throws -> ToolResult {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    return try TestTools.run(python, [check] + arguments)
  }

  func generate(_ dir: URL, _ name: String, _ arguments: [String]) throws -> String {
    let gen = try TestTools.run("lh-gen", ["--quiet"] + arguments)
    #expect(gen.status == 0)
    let file = dir.appendingPathComponent(name)
    try Data(gen.stdout).write(to: file)
    return file.path
  }

  @Test("incremental runs with late events equal SQL, and equal a rebuild")
  func incremental() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let first = try generate(
      dir, "a.ndjson", ["--count", "12000", "--duration", "2d", "--seed", "3"])
    // Two days later, with late events reaching back into the first days.
    let second = try generate(
      dir, "b.ndjson",
      [
        "--count", "8000", "--start", "2026-01-03T00:00:00Z", "--duration", "1d", "--seed", "4",
        "--late", "0.05", "--late-by", "2d",
      ])
    #expect(try python(["make-silver", first, lake]).status == 0)
    let g1 = try TestTools.run("lh-gold", ["--lake", lake])
    #expect(g1.status == 0 && g1.stderr.contains("9 of 9 gold tables updated"), "\(g1.stderr)")
    var c = try python(["compare", lake, "UTC"])
    #expect(c.status == 0, "\(c.stdout)\(c.stderr)")

    #expect(try python(["make-silver", second, lake, "--append"]).status == 0)
    let g2 = try TestTools.run("lh-gold", ["--lake", lake])
    #expect(g2.status == 0, "\(g2.stderr)")
    c = try python(["compare", lake, "UTC"])
    #expect(c.status == 0, "incremental: \(c.stdout)\(c.stderr)")
    // Nothing new in silver: nothing to do.
    let g3 = try TestTools.run("lh-gold", ["--lake", lake])
    #expect(g3.stderr.contains("0 of 9 gold tables updated"), "\(g3.stderr)")

    let rebuilt = try TestTools.run("lh-gold", ["--lake", lake, "--rebuild"])
    #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
    c = try python(["compare", lake, "UTC"])
    #expect(c.status == 0, "rebuild: \(c.stdout)\(c.stderr)")
  }

  @Test("days cut in Europe/Berlin across the change to summer time equal SQL in that zone")
  func timeZone() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let events = try generate(
      dir, "dst.ndjson",
      ["--count", "15000", "--start", "2026-03-28T12:00:00Z", "--duration", "2d", "--seed", "5"])
    #expect(try python(["make-silver", events, lake]).status == 0)
    let g = try TestTools.run("lh-gold", ["--lake", lake, "--tz", "Europe/Berlin"])
    #expect(g.status == 0, "\(g.stderr)")
    let c = try python(["compare", lake, "Europe/Berlin"])
    #expect(c.status == 0, "\(c.stdout)\(c.stderr)")
    // The zone is remembered: a plain run keeps it. Another zone without --rebuild is refused;
    // with it, the tables are recut.
    #expect(try TestTools.run("lh-gold", ["--lake", lake, "--quiet"]).status == 0)
    let other = try TestTools.run("lh-gold", ["--lake", lake, "--tz", "UTC"])
    #expect(
      other.status == 64 && other.stderr.contains("run with --tz UTC --rebuild"), "\(other.stderr)")
    #expect(try TestTools.run("lh-gold", ["--lake", lake, "--tz", "UTC", "--rebuild"]).status == 0)
    let utc = try python(["compare", lake, "UTC"])
    #expect(utc.status == 0, "\(utc.stdout)\(utc.stderr)")
  }

  @Test("the whole pipeline: gen → bronze → silver → gold equals SQL over lh-silver's table")
  func pipeline() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let events = try generate(
      dir, "e.ndjson",
      [
        "--count", "20000", "--duration", "2d", "--seed", "6", "--late", "0.02",
        "--duplicates", "0.01", "--malformed", "0.01",
      ])
    #expect(try TestTools.run("lh-bronze", ["--lake", lake, events]).status == 0)
    let s = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(s.status == 0, "\(s.stderr)")
    let g = try TestTools.run("lh-gold", ["--lake", lake])
    #expect(g.status == 0, "\(g.stderr)")
    let c = try python(["compare", lake, "UTC"])
    #expect(c.status == 0, "\(c.stdout)\(c.stderr)")
  }

  @Test("stream equals SQL on in-order input; with late input, late_rows account for the gap")
  func stream() throws {
    let dir = try TestTools.temporaryDirectory()
    for (name, late) in [("inorder", false), ("late", true)] {
      let events = try generate(
        dir, "\(name).ndjson",
        ["--count", "15000", "--duration", "2h", "--seed", "9"]
          + (late ? ["--late", "0.05", "--late-by", "10m"] : []))
      let silver = try TestTools.run(
        "lh-silver", ["--stream", "--quiet", events])
      #expect(silver.status == 0, "\(silver.stderr)")
      let silverFile = dir.appendingPathComponent("\(name).silver.ndjson")
      try Data(silver.stdout).write(to: silverFile)
      for table in late
        ? ["events_per_minute"]
        : ["kpi_minute", "events_per_minute", "daily_active_users", "purchases_per_minute"]
      {
        let g = try TestTools.run(
          "lh-gold", ["--stream", "--table", table], stdin: silver.stdout)
        #expect(g.status == 0, "\(g.stderr)")
        // In order: nothing late; with late input: some rows were.
        #expect(g.stderr.contains(" 0 late rows") == !late, "\(g.stderr)")
        let out = dir.appendingPathComponent("\(name).\(table).ndjson")
        try Data(g.stdout).write(to: out)
        let c = try python(["stream-compare", silverFile.path, out.path, table])
        #expect(c.status == 0, "\(table): \(c.stdout)\(c.stderr)")
      }
    }
    // --into: the final windows are appended to a live table deltalake reads.
    let lake = dir.appendingPathComponent("lake").path
    let silverRows = try Data(contentsOf: dir.appendingPathComponent("inorder.silver.ndjson"))
    let into = try TestTools.run(
      "lh-gold", ["--stream", "--table", "kpi_minute", "--into", lake], stdin: [UInt8](silverRows))
    #expect(into.status == 0, "\(into.stderr)")
    let windows = String(decoding: into.stdout, as: UTF8.self).split(separator: "\n").count
    let py = try TestTools.run(
      try #require(peersPython),
      [
        "-c",
        "import sys, deltalake; print(deltalake.DeltaTable(sys.argv[1]).to_pyarrow_table().num_rows)",
        lake + "/gold/kpi_minute_live",
      ])
    #expect(String(decoding: py.stdout, as: UTF8.self) == "\(windows)\n", "\(py.stderr)")

    // Running updates: every window's last record is final.
    let events = try generate(dir, "u.ndjson", ["--count", "3000", "--duration", "20m"])
    let u = try TestTools.run(
      "lh-gold",
      ["--stream", "--table", "kpi_minute", "--emit", "update", "--update-every", "0s", events])
    #expect(u.status == 0, "\(u.stderr)")
    let lines = String(decoding: u.stdout, as: UTF8.self).split(separator: "\n")
    #expect(lines.contains { $0.hasSuffix("\"final\":false}") })
    #expect(lines.filter { $0.hasSuffix("\"final\":true}") }.count >= 10)
  }

  @Test(
    "the iot and sales gold tables equal SQL too (through lh-bronze and lh-silver)",
    arguments: [
      ("iot", ["sensor_minute", "sensor_hourly"]),
      ("sales", ["store_daily", "product_daily", "sales_daily", "region_hourly"]),
    ])
  func otherContracts(contract: String, tables: [String]) throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let events = try generate(
      dir, "\(contract).ndjson",
      ["--contract", contract, "--count", "8000", "--duration", "2d", "--seed", "5"])
    #expect(try TestTools.run("lh-bronze", ["--lake", lake, events]).status == 0)
    let s = try TestTools.run("lh-silver", ["--lake", lake, "--contract", contract])
    #expect(s.status == 0, "\(s.stderr)")
    let g = try TestTools.run("lh-gold", ["--lake", lake, "--contract", contract])
    #expect(g.status == 0 && g.stderr.contains("\(tables.count) of \(tables.count)"), "\(g.stderr)")
    let c = try python(["compare", lake, "UTC"] + tables)
    #expect(c.status == 0, "\(c.stdout)\(c.stderr)")
  }

  @Test("money is kept per currency: the gold tables equal DuckDB's GROUP BY currency")
  func currencies() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let events = try generate(
      dir, "money.ndjson", ["--count", "20000", "--duration", "1d", "--seed", "12"])
    #expect(try TestTools.run("lh-bronze", ["--lake", lake, events]).status == 0)
    #expect(try TestTools.run("lh-silver", ["--lake", lake]).status == 0)
    let g = try TestTools.run("lh-gold", ["--lake", lake])
    #expect(g.status == 0, "\(g.stderr)")
    let c = try python(["compare", lake, "UTC", "revenue_daily", "purchases_per_minute"])
    #expect(c.status == 0, "\(c.stdout)\(c.stderr)")
    // Several currencies, none of them null (the tables count purchases only).
    let cur = try python(["currencies", lake, "revenue_daily"])
    let codes = cur.output.split(separator: "\n").map { $0.split(separator: " ")[0] }
    #expect(codes.count >= 4 && !codes.contains("None"), "\(cur.output)")
    #expect(codes.contains("JPY") && codes.contains("USD"), "\(cur.output)")
  }

  @Test("a contract that sums money without its currency is refused with one line (64)")
  func mixedCurrencyContract() throws {
    let dir = try TestTools.temporaryDirectory()
    let builtin = try #require(Contract.builtinText("clickstream"))
    // revenue_daily without its group_by.
    let text = builtin.replacingOccurrences(
      of: "gold revenue_daily\n  grain day\n  group_by currency\n",
      with: "gold revenue_daily\n  grain day\n")
    #expect(text != builtin)
    let file = dir.appendingPathComponent("mixed.contract")
    try Data(text.utf8).write(to: file)
    let lake = dir.appendingPathComponent("lake").path
    let r = try TestTools.run("lh-gold", ["--lake", lake, "--contract", file.path])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    #expect(
      r.stderr.contains(
        "gold 'revenue_daily': metric 'revenue' (sum of money column 'price') would mix currencies; add 'currency' to the table's group_by"
      ), "\(r.stderr)")
  }

  @Test("bad flags and a lake without silver are clear errors")
  func errors() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let none = try TestTools.run("lh-gold", ["--lake", lake])
    #expect(none.status == 66 && none.stderr.hasPrefix("lh-gold: "), "\(none.stderr)")
    let zone = try TestTools.run("lh-gold", ["--lake", lake, "--tz", "Mars/Base"])
    #expect(zone.status == 64 || zone.status == 66, "\(zone.stderr)")
    let date = try TestTools.run("lh-gold", ["--lake", lake, "--from", "yesterday"])
    #expect(date.status == 64 && date.stderr.contains("--from"), "\(date.stderr)")
  }
}
