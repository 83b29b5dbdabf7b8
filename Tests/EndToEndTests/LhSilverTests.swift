import Foundation
import LakeFormats
import LakeTable
import LakeTestSupport
import Testing

/// The rows of a table as sorted text lines (one per row, every column), for comparing tables.
func tableRows(_ table: String, dropping: Set<String> = []) throws -> [String] {
  let snapshot = try DeltaLog.snapshot(table: table)
  var out: [String] = []
  try DeltaScan.forEachBatch(snapshot) { b in
    for r in 0..<(b.first?.count ?? 0) {
      var parts: [String] = []
      for (c, spec) in snapshot.schema.columns.enumerated() where !dropping.contains(spec.name) {
        let col = b[c]
        guard col.isValid(r) else {
          parts.append("null")
          continue
        }
        switch col.type.storage {
        case .bytes: parts.append(String(decoding: col.bytes(at: r), as: UTF8.self))
        case .int32: parts.append(String(col.int32s[r]))
        case .int64: parts.append(String(col.int64s[r]))
        case .double: parts.append(String(col.doubles[r]))
        case .boolean: parts.append(String(col.booleans[r]))
        default: parts.append("?")
        }
      }
      out.append(parts.joined(separator: "|"))
    }
  }
  return out.sorted()
}

/// The `lhSilver` reconciliation of every commit of a table, as text.
func reconciliations(_ table: String) throws -> [String] {
  try DeltaLog.versions(table: table).compactMap { v in
    let text = try String(
      contentsOfFile: table + "/_delta_log/" + DeltaLog.fileName(v), encoding: .utf8)
    guard let r = text.range(of: "\"lhSilver\":") else { return nil }
    return String(text[r.upperBound...].prefix { $0 != "}" }) + "}"
  }
}

/// lh-gen's fault summary: "N lines: E events (L late), D duplicates, M malformed (…)".
func genSummary(_ stderr: String) -> (lines: Int, events: Int, duplicates: Int, malformed: Int) {
  let numbers = stderr.split { !$0.isNumber }.compactMap { Int($0) }
  // lines, events, late, duplicates, malformed, …
  return (numbers[0], numbers[1], numbers[3], numbers[4])
}

@Suite("lh-silver end to end")
struct LhSilverTests {
  @Test("the rejects fixture through bronze and silver: each line's reason and field as expected")
  func rejectsFixture() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let fixtures = TestTools.repositoryRoot().appendingPathComponent("fixtures/contracts")
    let input = fixtures.appendingPathComponent("rejects.ndjson").path
    let contract = fixtures.appendingPathComponent("rejects.contract").path
    #expect(try TestTools.run("lh-bronze", ["--lake", lake, "--quiet", input]).status == 0)
    let r = try TestTools.run("lh-silver", ["--lake", lake, "--contract", contract])
    #expect(r.status == 0, "\(r.stderr)")
    let expected = try String(
      contentsOfFile: fixtures.appendingPathComponent("rejects.expected").path, encoding: .utf8
    )
    .split(separator: "\n").filter { !$0.hasPrefix("#") }.map {
      $0.split(separator: " ").map(String.init)
    }
    var got: [Int64: (String, String)] = [:]
    try DeltaScan.forEachBatch(try DeltaLog.snapshot(table: lake + "/silver/rejects")) { b in
      for r in 0..<b[0].count {
        let field = b[3].isValid(r) ? String(decoding: b[3].bytes(at: r), as: UTF8.self) : "-"
        got[b[6].int64s[r]] = (String(decoding: b[2].bytes(at: r), as: UTF8.self), field)
      }
    }
    for (i, e) in expected.enumerated() {
      let line = Int64(i + 1)
      if e[0] == "ok" {
        #expect(got[line] == nil, "line \(line) should be accepted")
      } else {
        #expect(
          got[line]?.0 == e[0] && got[line]?.1 == e[1],
          "line \(line): \(String(describing: got[line]))")
      }
    }
    #expect(r.stderr.contains("reconciliation: bronze \(expected.count) = silver"), "\(r.stderr)")
  }

  @Test(
    "lh-gen faults: rejects and duplicates equal what lh-gen injected; incremental runs; late duplicates dropped"
  )
  func faultsAndIncremental() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let a = dir.appendingPathComponent("a.ndjson").path
    let gen = try TestTools.run(
      "lh-gen",
      [
        "--count", "30000", "--duplicates", "0.03", "--malformed", "0.02", "--late", "0.05",
        "--seed", "11", "-o", a,
      ])
    let injected = genSummary(gen.stderr)
    #expect(try TestTools.run("lh-bronze", ["--lake", lake, "--quiet", a]).status == 0)
    let first = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(
      first.stderr.contains(
        "reconciliation: bronze \(injected.lines) = silver \(injected.events) + rejects \(injected.malformed) + duplicates \(injected.duplicates)"
      ), "\(gen.stderr)\n\(first.stderr)")
    // Nothing new: nothing done.
    let again = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(again.stderr.contains("up to date with"), "\(again.stderr)")
    #expect(try DeltaLog.snapshot(table: lake + "/silver/events").version == 1)

    // Bronze grows by a file holding 2000 events already refined (late duplicates) and new ones.
    let old = try [UInt8](Data(contentsOf: URL(fileURLWithPath: a)))
      .split(separator: 0x0A, omittingEmptySubsequences: false).prefix(2000)
    let b = dir.appendingPathComponent("b.ndjson").path
    let fresh = try TestTools.run("lh-gen", ["--count", "500", "--seed", "12", "--quiet"])
    try Data(Array(old.joined(separator: [0x0A])) + [0x0A] + fresh.stdout).write(
      to: URL(fileURLWithPath: b))
    // b starts like a (same first line) but is shorter than a's landed part: lh-bronze waits
    // for it to settle (it may be a copy of a still being made) unless told it is final.
    #expect(try TestTools.run("lh-bronze", ["--lake", lake, "--quiet", b]).status == 0)
    #expect(try DeltaLog.snapshot(table: lake + "/bronze/events").version == 1)
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet", "--final", b]).status == 0)
    let before = try tableRows(lake + "/silver/events")
    let third = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(third.stderr.contains("refined bronze versions 2–2: 2500 rows"), "\(third.stderr)")
    let after = try tableRows(lake + "/silver/events")
    #expect(after.count == before.count + 500)
    let recs = try reconciliations(lake + "/silver/events")
    #expect(recs.count == 2)
    #expect(
      recs.last?.contains(
        "\"bronzeFromVersion\":2,\"bronzeToVersion\":2,\"bronzeRows\":2500,\"silverRows\":500")
        == true, "\(recs)")
    // Every key once.
    let keys = after.map { $0.split(separator: "|")[0] }
    #expect(Set(keys).count == keys.count)
  }

  @Test("kill -9 at random points, then a rerun: silver identical to an uninterrupted run")
  func killNine() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let reference = dir.appendingPathComponent("ref").path
    let input = dir.appendingPathComponent("in.ndjson").path
    #expect(
      try TestTools.run(
        "lh-gen",
        [
          "--count", "150000", "--duplicates", "0.02", "--malformed", "0.01", "--seed", "3",
          "-o", input, "--quiet",
        ]
      ).status == 0)
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet", "--commit-every", "40000", input])
        .status == 0)
    #expect(
      try TestTools.shell("mkdir -p \(reference) && cp -r \(lake)/bronze \(reference)/").status == 0
    )
    #expect(try TestTools.run("lh-silver", ["--lake", reference, "--quiet"]).status == 0)
    for delay in ["0.2", "0.7", "1.3", "0.4"] {
      _ = try TestTools.shell(
        "lh-silver --lake \(lake) --quiet & p=$!; sleep \(delay); kill -KILL $p; wait")
      for table in ["silver/events", "silver/rejects"]
      where try !DeltaLog.versions(table: lake + "/" + table).isEmpty {
        _ = try DeltaLog.snapshot(table: lake + "/" + table)  // always readable
      }
    }
    let rerun = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(rerun.status == 0, "\(rerun.stderr)")
    for table in ["silver/events", "silver/rejects"] {
      #expect(try tableRows(lake + "/" + table) == tableRows(reference + "/" + table), "\(table)")
    }
  }

  @Test(
    "--threads 1, 2 and 4 give the same rows, rejects, counts and summary; rows in bronze order"
  )
  func threadsAgree() throws {
    let dir = try TestTools.temporaryDirectory()
    let input = dir.appendingPathComponent("in.ndjson").path
    // Three event days, duplicates (late ones too) spread over bronze files, row groups and
    // segments, malformed lines; then lines whose duplicates carry unknown keys, far apart.
    let gen = try TestTools.run(
      "lh-gen",
      [
        "--count", "70000", "--duration", "3d", "--duplicates", "0.04", "--malformed", "0.02",
        "--late", "0.05", "--seed", "21", "--quiet",
      ])
    #expect(gen.status == 0)
    var lines = gen.stdout
    let lead = Array(gen.stdout.prefix { $0 != 0x0A })
    if let close = lead.lastIndex(of: 0x7D) {
      // The first event again with an unknown key: a duplicate whose `_extra` is dropped.
      lines += lead[..<close] + Array(",\"color\":\"red\"}\n".utf8)
    }
    try Data(lines).write(to: URL(fileURLWithPath: input))
    // One bronze table for all (bronze's own order depends on its lanes and its clock), landed
    // on one thread so that bronze order is line order.
    let bronze = dir.appendingPathComponent("bronze").path
    #expect(
      try TestTools.run(
        "lh-bronze",
        ["--lake", bronze, "--quiet", "--threads", "1", "--commit-every", "30000", input]
      ).status == 0)
    var outputs: [[String]] = []
    for threads in [1, 2, 4] {
      let lake = dir.appendingPathComponent("lake\(threads)").path
      #expect(try TestTools.shell("cp -r \(bronze) \(lake)").status == 0)
      let r = try TestTools.run("lh-silver", ["--lake", lake, "--threads", "\(threads)"])
      #expect(r.status == 0, "\(r.stderr)")
      let summary = r.stderr.split(separator: "\n").map(String.init)
        .filter { !$0.contains(lake) }
      var out = summary
      for table in ["silver/events", "silver/rejects"] {
        out += try tableRows(lake + "/" + table, dropping: ["_ingested_at", "ingested_at"])
        out += try reconciliations(lake + "/" + table)
      }
      // Within each batch read back, rows of a source keep bronze's order.
      let events = try DeltaLog.snapshot(table: lake + "/silver/events")
      let source = events.schema.index(of: "_source")!
      let number = events.schema.index(of: "_line_number")!
      var ordered = true
      try DeltaScan.forEachBatch(events) { b in
        for r in 1..<max(1, b[0].count)
        where b[source].bytes(at: r) == b[source].bytes(at: r - 1)
          && b[number].int64s[r] <= b[number].int64s[r - 1]
        {
          ordered = false
        }
      }
      #expect(ordered, "rows out of bronze order with --threads \(threads)")
      outputs.append(out)
    }
    #expect(outputs[0].contains { $0.contains("duplicates") && $0.contains("reconciliation") })
    #expect(
      !outputs[0].contains { $0.contains("unknown keys") }, "the duplicate's key is not counted")
    #expect(outputs[0].count > 60000)
    #expect(outputs[1] == outputs[0], "--threads 2 differs from --threads 1")
    #expect(outputs[2] == outputs[0], "--threads 4 differs from --threads 1")
  }

  @Test("a crash between the two commits: the rerun writes only the table that is behind")
  func crashBetweenCommits() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let gen = try TestTools.run(
      "lh-gen",
      ["--count", "5000", "--malformed", "0.05", "--duplicates", "0.02", "--seed", "6", "--quiet"])
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: gen.stdout).status == 0)
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    let events = try tableRows(lake + "/silver/events")
    let rejects = try tableRows(lake + "/silver/rejects")
    #expect(!rejects.isEmpty)
    // As if the run had died after committing events but before committing rejects.
    try FileManager.default.removeItem(
      atPath: lake + "/silver/rejects/_delta_log/" + DeltaLog.fileName(1))
    let rerun = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(rerun.status == 0, "\(rerun.stderr)")
    #expect(rerun.stderr.contains("refined earlier"), "\(rerun.stderr)")
    #expect(try tableRows(lake + "/silver/events") == events)
    #expect(try tableRows(lake + "/silver/rejects") == rejects)
    #expect(try DeltaLog.snapshot(table: lake + "/silver/events").version == 1, "events untouched")
    // And the other way round.
    try FileManager.default.removeItem(
      atPath: lake + "/silver/events/_delta_log/" + DeltaLog.fileName(1))
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    #expect(try tableRows(lake + "/silver/events") == events)
    #expect(try tableRows(lake + "/silver/rejects") == rejects)
  }

  @Test("two runs at once: no duplicates, no loss")
  func concurrent() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let reference = dir.appendingPathComponent("ref").path
    for seed in 1...3 {
      let gen = try TestTools.run(
        "lh-gen",
        [
          "--count", "20000", "--duplicates", "0.02", "--malformed", "0.01", "--seed", "\(seed)",
          "--quiet",
        ])
      #expect(
        try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: gen.stdout).status == 0)
    }
    #expect(
      try TestTools.shell("mkdir -p \(reference) && cp -r \(lake)/bronze \(reference)/").status == 0
    )
    #expect(try TestTools.run("lh-silver", ["--lake", reference, "--quiet"]).status == 0)
    let sa = dir.appendingPathComponent("sa").path
    let sb = dir.appendingPathComponent("sb").path
    _ = try TestTools.shell(
      "(lh-silver --lake \(lake) --quiet; echo $? > \(sa)) & (lh-silver --lake \(lake) --quiet; echo $? > \(sb)) & wait"
    )
    let statuses = [sa, sb].compactMap {
      (try? String(contentsOfFile: $0, encoding: .utf8)).flatMap {
        Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
      }
    }
    // The second waits for the first's locks on silver, then finds it up to date (issue 14).
    #expect(statuses == [0, 0], "\(statuses)")
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    for table in ["silver/events", "silver/rejects"] {
      #expect(try tableRows(lake + "/" + table) == tableRows(reference + "/" + table), "\(table)")
    }
  }

  @Test(
    "schema evolution: an added optional column evolves the table; a type change needs --rebuild; time travel reaches the old version"
  )
  func schemaEvolution() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let base = """
      contract things
      key id
      event_time ts
      column id   string    required
      column n    int32     optional
      column ts   timestamp required

      """
    let v1 = dir.appendingPathComponent("v1.contract").path
    try base.write(toFile: v1, atomically: true, encoding: .utf8)
    let lines = """
      {"id":"a","n":1,"ts":"2026-01-01T10:00:00Z","color":"red"}
      {"id":"b","n":2,"ts":"2026-01-01T11:00:00+02:00"}
      {"id":"a","n":1,"ts":"2026-01-01T10:00:00Z"}

      """
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: Array(lines.utf8)).status
        == 0)
    let first = try TestTools.run("lh-silver", ["--lake", lake, "--contract", v1])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stderr.contains("unknown keys kept in _extra: color 1"), "\(first.stderr)")
    #expect(first.stderr.contains("silver 2 + rejects 0 + duplicates 1"), "\(first.stderr)")

    let v2 = dir.appendingPathComponent("v2.contract").path
    try (base + "column color string optional\n").write(
      toFile: v2, atomically: true, encoding: .utf8)
    #expect(
      try TestTools.run(
        "lh-bronze", ["--lake", lake, "--quiet"],
        stdin: Array("{\"id\":\"c\",\"ts\":\"2026-01-02T00:00:00Z\",\"color\":\"blue\"}\n".utf8)
      ).status == 0)
    let second = try TestTools.run("lh-silver", ["--lake", lake, "--contract", v2])
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stderr.contains("schema evolved: added color"), "\(second.stderr)")
    let rows = try tableRows(
      lake + "/silver/events", dropping: ["_ingested_at", "_source", "_line_number"])
    #expect(
      rows.contains { $0.hasPrefix("a|1|") && $0.contains("|null|{\"color\":\"red\"}|") }, "\(rows)"
    )
    #expect(rows.contains { $0.hasPrefix("c|null|") && $0.contains("|blue|null|") }, "\(rows)")

    let v3 = dir.appendingPathComponent("v3.contract").path
    try base.replacingOccurrences(of: "n    int32", with: "n    int64").appending(
      "column color string optional\n"
    )
    .write(toFile: v3, atomically: true, encoding: .utf8)
    #expect(
      try TestTools.run(
        "lh-bronze", ["--lake", lake, "--quiet"],
        stdin: Array("{\"id\":\"d\",\"ts\":\"2026-01-02T00:00:00Z\"}\n".utf8)
      ).status == 0)
    let refused = try TestTools.run("lh-silver", ["--lake", lake, "--contract", v3])
    #expect(refused.status == 64)
    #expect(
      refused.stderr.contains(
        "column 'n' is int32 in the table and int64 in the contract; a type change needs --rebuild"),
      "\(refused.stderr)")
    let before = try DeltaLog.snapshot(table: lake + "/silver/events")
    let rebuilt = try TestTools.run("lh-silver", ["--lake", lake, "--contract", v3, "--rebuild"])
    #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
    #expect(
      rebuilt.stderr.contains("bronze 5 = silver 4 + rejects 0 + duplicates 1"), "\(rebuilt.stderr)"
    )
    let now = try DeltaLog.snapshot(table: lake + "/silver/events")
    #expect(now.version == before.version + 1, "one commit")
    #expect(now.schema.columns[1].type == .int64)
    let old = try DeltaLog.snapshot(table: lake + "/silver/events", asOf: .version(before.version))
    #expect(old.schema.columns[1].type == .int32)
    #expect(!old.files.isEmpty)
  }

  @Test("--as-of reads bronze as of a version; --print-contract prints a built-in")
  func asOfAndPrint() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    for seed in 1...2 {
      let gen = try TestTools.run("lh-gen", ["--count", "1000", "--seed", "\(seed)", "--quiet"])
      #expect(
        try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: gen.stdout).status == 0)
    }
    let r = try TestTools.run("lh-silver", ["--lake", lake, "--as-of", "1"])
    #expect(r.stderr.contains("refined bronze versions 0–1: 1000 rows"), "\(r.stderr)")
    let rest = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(rest.stderr.contains("refined bronze versions 2–2: 1000 rows"), "\(rest.stderr)")
    let bad = try TestTools.run("lh-silver", ["--lake", lake, "--as-of", "9"])
    #expect(bad.status == 64 && bad.stderr.contains("no version 9"), "\(bad.stderr)")
    let printed = try TestTools.run("lh-silver", ["--print-contract", "iot"])
    #expect(printed.status == 0 && printed.output.contains("contract iot"))
    let unknown = try TestTools.run("lh-silver", ["--print-contract", "nope"])
    #expect(unknown.status == 64)
    let noLake = try TestTools.run(
      "lh-silver", ["--lake", dir.appendingPathComponent("none").path])
    #expect(noLake.status == 66, "\(noLake.stderr)")
  }

  @Test(
    "deltalake and DuckDB read silver: types, row count and key set equal DuckDB's own computation over bronze",
    .enabled(if: peersPython != nil || peersRequired))
  func peersRead() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let gen = try TestTools.run(
      "lh-gen",
      [
        "--count", "20000", "--duplicates", "0.03", "--malformed", "0.03", "--late", "0.05",
        "--seed", "21", "--quiet",
      ])
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: gen.stdout).status == 0)
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    let script = """
      import sys, duckdb, deltalake, os
      lake = sys.argv[1]
      duckdb.execute("SET enable_progress_bar = false")
      bronze = [u.replace('file://', '') for u in deltalake.DeltaTable(lake + '/bronze/events').file_uris()]
      dt = deltalake.DeltaTable(lake + '/silver/events')
      t = dt.to_pyarrow_table()
      types = {f.name: str(f.type) for f in t.schema}
      assert types['ts'] == 'timestamp[us, tz=UTC]', types
      assert types['price'] == 'decimal128(12, 2)', types
      assert types['event_date'] == 'date32[day]', types
      assert types['user_id'] == 'int64' and types['quantity'] == 'int32', types
      files = [u.replace('file://', '') for u in dt.file_uris()]
      d = duckdb.sql("SELECT typeof(ts), typeof(price), typeof(event_date) FROM read_parquet($f, hive_partitioning=true) LIMIT 1", params={'f': files}).fetchall()[0]
      assert d == ('TIMESTAMP WITH TIME ZONE', 'DECIMAL(12,2)', 'DATE'), d
      mismatch = duckdb.sql("SELECT count(*) FROM read_parquet($f, hive_partitioning=true) WHERE event_date <> CAST(ts AT TIME ZONE 'UTC' AS DATE)", params={'f': files}).fetchall()[0][0]
      assert mismatch == 0, mismatch
      # DuckDB's own refinement of the bronze lines, from the contract's rules.
      want = duckdb.sql('''
        WITH b AS (SELECT try(json(line)) AS j FROM read_parquet($b) WHERE line IS NOT NULL),
        v AS (SELECT j FROM b WHERE j IS NOT NULL AND json_type(j) = 'OBJECT'
          AND json_type(j, '$.event_id') = 'VARCHAR' AND length(j->>'$.event_id') <= 36
          AND json_type(j, '$.user_id') IN ('BIGINT', 'UBIGINT') AND (j->>'$.user_id')::BIGINT >= 1
          AND json_type(j, '$.session_id') = 'VARCHAR'
          AND json_type(j, '$.event_type') = 'VARCHAR' AND j->>'$.event_type' IN ('page_view','click','add_to_cart','purchase','login','logout')
          AND json_type(j, '$.page') = 'VARCHAR'
          AND json_type(j, '$.source') = 'VARCHAR' AND j->>'$.source' IN ('web','mobile','api')
          AND coalesce(json_type(j, '$.product_id'), 'NULL') IN ('NULL', 'VARCHAR')
          AND coalesce(json_type(j, '$.price'), 'NULL') IN ('NULL', 'DOUBLE', 'BIGINT', 'UBIGINT')
          AND coalesce(json_type(j, '$.quantity'), 'NULL') IN ('NULL', 'BIGINT', 'UBIGINT')
          AND (json_type(j, '$.quantity') IS DISTINCT FROM 'BIGINT' OR (j->>'$.quantity')::BIGINT BETWEEN 1 AND 1000)
          AND coalesce(json_type(j, '$.currency'), 'NULL') IN ('NULL', 'VARCHAR')
          AND (j->>'$.currency' IS NULL OR j->>'$.currency' IN ('USD','EUR','GBP','PLN','CAD','MXN','BRL','INR','JPY','AUD'))
          AND json_type(j, '$.country') = 'VARCHAR' AND j->>'$.country' IN ('US','GB','DE','FR','ES','IT','NL','PL','CA','MX','BR','IN','JP','AU')
          AND json_type(j, '$.ts') = 'VARCHAR' AND try_cast(j->>'$.ts' AS TIMESTAMPTZ) IS NOT NULL)
        SELECT DISTINCT j->>'$.event_id' FROM v''', params={'b': bronze}).fetchall()
      got = duckdb.sql("SELECT event_id FROM read_parquet($f)", params={'f': files}).fetchall()
      assert len(got) == t.num_rows, (len(got), t.num_rows)
      assert len(got) == len(set(got)), 'duplicate keys in silver'
      assert set(got) == set(want), (len(got), len(want), len(set(got) ^ set(want)))
      r = deltalake.DeltaTable(lake + '/silver/rejects').to_pyarrow_table()
      assert str(r.schema.field('ingested_at').type) == 'timestamp[us, tz=UTC]'
      print('ok', len(got))
      os._exit(0)
      """
    let r = try TestTools.run(python, ["-c", script, lake])
    #expect(r.output.hasPrefix("ok "), "\(r.output)\(r.stderr)")
  }
}

@Suite("lh-silver --stream")
struct LhSilverStreamTests {
  @Test("clean rows in contract order, duplicates within the window dropped, rejects to a file")
  func stream() throws {
    let dir = try TestTools.temporaryDirectory()
    let rejects = dir.appendingPathComponent("rejects.ndjson").path
    let input = """
      {"ts":"2026-01-01T00:00:00+01:00","event_id":"e1","user_id":7,"session_id":"s","event_type":"click","page":"/","source":"web","country":"US","price":12.5,"tag":[1]}
      {"event_id":"e1","user_id":7,"session_id":"s","event_type":"click","page":"/","source":"web","country":"US","ts":"2025-12-31T23:00:00Z"}
      {"event_id":"e2","user_id":"7"}
      not json
      {"event_id":"e3","user_id":8,"session_id":"s","event_type":"login","page":"/","source":"api","country":"DE","ts":"2026-01-01T01:00:00Z"}
      {"event_id":"e1","user_id":7,"session_id":"s","event_type":"click","page":"/","source":"web","country":"US","ts":"2025-12-31T23:00:00Z"}

      """
    let r = try TestTools.run(
      "lh-silver", ["--stream", "--rejects", rejects, "--dedupe-window", "30m"],
      stdin: Array(input.utf8))
    #expect(r.status == 0, "\(r.stderr)")
    #expect(
      r.lines.prefix(2).map { String(decoding: $0, as: UTF8.self) } == [
        "{\"event_id\":\"e1\",\"user_id\":7,\"session_id\":\"s\",\"event_type\":\"click\",\"page\":\"/\",\"source\":\"web\",\"product_id\":null,\"price\":12.50,\"quantity\":null,\"currency\":null,\"country\":\"US\",\"ts\":\"2025-12-31T23:00:00.000Z\",\"tag\":[1]}",
        "{\"event_id\":\"e3\",\"user_id\":8,\"session_id\":\"s\",\"event_type\":\"login\",\"page\":\"/\",\"source\":\"api\",\"product_id\":null,\"price\":null,\"quantity\":null,\"currency\":null,\"country\":\"DE\",\"ts\":\"2026-01-01T01:00:00.000Z\"}",
      ], "\(r.output)")
    // The last line is the first again, 2 hours behind the watermark: beyond the 30m window,
    // its key was forgotten and it passes; the second line was a duplicate within the window.
    #expect(r.lines.count == 3)
    #expect(
      r.lines.last.map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("{\"event_id\":\"e1\"")
        == true)
    #expect(r.stderr.contains("6 lines: 3 rows, 2 rejects, 1 duplicate"), "\(r.stderr)")
    let rej = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
    #expect(rej.count == 2)
    #expect(rej[0].hasPrefix("{\"reason\":\"wrong_type\",\"field\":\"user_id\""), "\(rej)")
    #expect(rej[1].hasPrefix("{\"reason\":\"invalid_json\""), "\(rej)")
  }

  @Test("a value nested 100,000 deep is a reject, and --max-line-bytes bounds a line")
  func hostileLines() throws {
    let depth = 100_000
    let deep =
      "{\"event_id\":\"d\",\"x\":" + String(repeating: "[", count: depth)
      + String(repeating: "]", count: depth) + "}\n"
    let good = try TestTools.run("lh-gen", ["--count", "3", "--seed", "2", "--quiet"]).stdout
    let r = try TestTools.run(
      "lh-silver", ["--stream", "--rejects", "/dev/null"], stdin: Array(deep.utf8) + good)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.lines.count == 3)
    #expect(r.stderr.contains("4 lines: 3 rows, 1 reject"), "\(r.stderr)")
    #expect(r.stderr.contains("invalid_json 1"), "\(r.stderr)")
    let long = try TestTools.run(
      "lh-silver", ["--stream", "--max-line-bytes", "1K"], stdin: good + Array(deep.utf8))
    #expect(long.status == 65)
    #expect(
      long.stderr.hasSuffix("lh-silver: stdin:4: line longer than 1024 bytes\n"), "\(long.stderr)")
    let gold = try TestTools.run("lh-gold", ["--stream"], stdin: Array(deep.utf8))
    #expect(gold.status == 65)
    #expect(gold.stderr == "lh-gold: stdin:1: byte 84: nesting deeper than 64 levels\n")
  }

  @Test("rows flow while input is live; | head -1 exits 0; SIGTERM exits 143 after flushing")
  func liveAndSignals() throws {
    let dir = try TestTools.temporaryDirectory()
    let out = dir.appendingPathComponent("out").path
    let status = dir.appendingPathComponent("status").path
    let head = try TestTools.shell(
      "(lh-gen --follow --rate 2000 --quiet | lh-silver --stream; echo $? > \(status)) | head -1")
    #expect(head.lines.count == 1, "\(head.stderr)")
    #expect(
      (try String(contentsOfFile: status, encoding: .utf8)) == "0\n", "\(head.stderr)")
    let live = try TestTools.shell(
      "lh-gen --follow --rate 50 --quiet | lh-silver --stream > \(out) 2>\(out).err & p=$!; sleep 1.5; wc -l < \(out); sleep 0.5; kill -TERM $p; wait; cat \(out).err"
    )
    let countWhileLive =
      Int(live.output.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
    #expect(countWhileLive > 10, "\(live.output)")
    #expect(live.output.contains(" rows, "), "\(live.output)")
  }

  @Test("Parquet on stdin: typed events and bronze data files")
  func parquetInput() throws {
    let dir = try TestTools.temporaryDirectory()
    let parquet = dir.appendingPathComponent("e.parquet").path
    #expect(
      try TestTools.run(
        "lh-gen",
        ["--format", "parquet", "--count", "300", "--seed", "2", "-o", parquet, "--quiet"]
      ).status == 0)
    let ndjson = try TestTools.run("lh-gen", ["--count", "300", "--seed", "2", "--quiet"])
    let fromParquet = try TestTools.shell("lh-silver --stream < \(parquet)")
    let fromNDJSON = try TestTools.run("lh-silver", ["--stream"], stdin: ndjson.stdout)
    #expect(fromParquet.status == 0, "\(fromParquet.stderr)")
    #expect(fromParquet.lines.count == 300 && fromParquet.stdout == fromNDJSON.stdout)
    let lake = dir.appendingPathComponent("lake").path
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: ndjson.stdout).status == 0)
    let bronzeFile = try TestTools.shell("ls \(lake)/bronze/events/*/*.parquet | head -1").output
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let fromBronze = try TestTools.shell("cat \(bronzeFile) | lh-silver --stream")
    #expect(fromBronze.status == 0 && fromBronze.lines.count > 0, "\(fromBronze.stderr)")
  }
}
