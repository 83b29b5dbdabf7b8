import Foundation
import LakeFormats
import LakeTable
import LakeTestSupport
import Testing

@Suite("lh-bronze end to end")
struct LhBronzeTests {
  /// Every landed row's exact bytes, by source, in line order.
  func landed(_ lake: URL) throws -> [String: [[UInt8]]] {
    let snapshot = try DeltaLog.snapshot(table: lake.appendingPathComponent("bronze/events").path)
    var rows: [(String, Int64, [UInt8])] = []
    try DeltaScan.forEachBatch(snapshot) { b in
      for r in 0..<b[0].count {
        let bytes = b[0].isValid(r) ? Array(b[0].bytes(at: r)) : Array(b[1].bytes(at: r))
        rows.append((String(decoding: b[2].bytes(at: r), as: UTF8.self), b[4].int64s[r], bytes))
      }
    }
    var out: [String: [[UInt8]]] = [:]
    for (source, _, bytes) in rows.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
      out[source, default: []].append(bytes)
    }
    return out
  }

  @Test(
    "every line lands byte-exact, even malformed and non-UTF-8 ones; the same file twice lands once"
  )
  func landsEveryLine() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake")
    let gen = try TestTools.run(
      "lh-gen", ["--count", "3000", "--malformed", "0.1", "--seed", "4", "--quiet"])
    let a = dir.appendingPathComponent("a.ndjson")
    try Data(gen.stdout).write(to: a)
    let weird: [UInt8] =
      Array("ok\r\n".utf8) + [0x62, 0xFF, 0xFE, 0x0A] + Array("\n{\"x\":1}".utf8)
    let b = dir.appendingPathComponent("b.ndjson")
    try Data(weird).write(to: b)
    #expect(try TestTools.shell("gzip -k \(a.path)").status == 0)

    // b's last line has no newline: --final says the files are complete (else it would wait
    // until b has not changed for --settle).
    let first = try TestTools.run("lh-bronze", ["--lake", lake.path, "--final", a.path, b.path])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stderr.contains("landed 3004 lines ("), "\(first.stderr)")
    // One file per writer thread that took rows (the machine may have one or several cores).
    #expect(
      first.stderr.contains(" from 2 sources in 1 file, 1 commit")
        || first.stderr.contains(" from 2 sources in 2 files, 1 commit"), "\(first.stderr)")
    let again = try TestTools.run("lh-bronze", ["--lake", lake.path, a.path, b.path])
    #expect(again.status == 0)
    #expect(
      again.stderr.contains("landed 0 lines")
        && again.stderr.contains("skipped 2 sources already landed"))
    let gz = try TestTools.run("lh-bronze", ["--lake", lake.path, a.path + ".gz"])
    #expect(gz.status == 0)

    let rows = try landed(lake)
    let expectedA = gen.stdout.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
      .map(Array.init)
    #expect(rows[a.path] == expectedA)
    #expect(rows[a.path + ".gz"] == expectedA)
    #expect(rows[b.path] == [Array("ok\r".utf8), [0x62, 0xFF, 0xFE], [], Array("{\"x\":1}".utf8)])
    #expect(
      try DeltaLog.snapshot(table: lake.appendingPathComponent("bronze/events").path).version == 2)
  }

  @Test("huge lines and decompression bombs: a clear error or the lines landed, memory bounded")
  func hugeLines() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake")
    let d = dir.path
    // A 1 GB line of zstd and gzip (a few hundred KiB each), and four 8 MiB lines.
    #expect(
      try TestTools.shell(
        "head -c 1000000000 /dev/zero | zstd -q -19 -c > \(d)/bomb.zst"
          + " && head -c 1000000000 /dev/zero | gzip -9 -c > \(d)/bomb.gz"
          + " && for i in 1 2 3 4; do printf '{\"a\":\"'; head -c 8388000 /dev/zero | tr '\\0' x;"
          + " printf '\"}\\n'; done > \(d)/big.ndjson"
      ).status == 0)
    for bomb in ["bomb.zst", "bomb.gz"] {
      let (r, peak) = try TestTools.runMeasuringMemory(
        "lh-bronze", ["--lake", lake.path, "\(d)/\(bomb)"])
      #expect(r.status == 65, "\(r.stderr)")
      #expect(r.stderr == "lh-bronze: \(d)/\(bomb):1: line longer than 16777216 bytes\n")
      // The default bound is 16 MiB: far less than the gigabyte the input expands to.
      #expect(peak > 0 && peak < 200 << 10, "\(bomb): \(peak) KiB")
      #expect(!FileManager.default.fileExists(atPath: lake.appendingPathComponent("bronze").path))
    }
    // Lines under the bound land whole; memory grows with the longest line, not the input.
    let (r, peak) = try TestTools.runMeasuringMemory(
      "lh-bronze", ["--lake", lake.path, "--max-line-bytes", "8MiB", "\(d)/big.ndjson"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(peak > 0 && peak < 100 << 10 + 10 * (8 << 10), "\(peak) KiB")
    let rows = try landed(lake)["\(d)/big.ndjson"] ?? []
    #expect(rows.count == 4 && rows.allSatisfy { $0.count == 8_388_000 + 8 })
    // The data file's footer holds no copy of them (a 8 MiB min/max would be 16 MiB per file).
    let files = try FileManager.default.subpathsOfDirectory(atPath: lake.path + "/bronze/events")
      .filter { $0.hasSuffix(".parquet") }
    for f in files {
      let size =
        try FileManager.default.attributesOfItem(atPath: lake.path + "/bronze/events/" + f)[
          .size] as! Int
      #expect(size < 1 << 20, "\(f): \(size) bytes")
    }
    // One byte over the bound names the line, and lands nothing of the file.
    let other = dir.appendingPathComponent("other").path
    let over = try TestTools.run(
      "lh-bronze", ["--lake", other, "--max-line-bytes", "8388007", "\(d)/big.ndjson"])
    #expect(over.status == 65)
    #expect(over.stderr == "lh-bronze: \(d)/big.ndjson:1: line longer than 8388007 bytes\n")
    #expect(!FileManager.default.fileExists(atPath: other + "/bronze/events/_delta_log"))
  }

  @Test("stdin with --tee passes lines through; --dry-run writes nothing; Parquet input is refused")
  func stdinTeeDryRun() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let input = Array("{\"a\":1}\n{\"a\":2}\nnot json\n".utf8)
    let tee = try TestTools.run("lh-bronze", ["--lake", lake, "--tee"], stdin: input)
    #expect(tee.status == 0 && tee.stdout == input)
    let file = dir.appendingPathComponent("x.ndjson")
    try Data(input).write(to: file)
    let dry = try TestTools.run(
      "lh-bronze", ["--lake", dir.appendingPathComponent("other").path, "--dry-run", file.path])
    #expect(dry.status == 0 && dry.stderr.contains("would land 3 lines"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("other").path))
    let parquet = dir.appendingPathComponent("p.parquet").path
    #expect(
      try TestTools.run("lh-gen", ["--format", "parquet", "--count", "10", "-o", parquet]).status
        == 0)
    let refused = try TestTools.run("lh-bronze", ["--lake", lake, parquet])
    #expect(refused.status == 65)
    #expect(refused.stderr.contains("is Parquet; lh-bronze lands NDJSON lines"))
    let missing = try TestTools.run("lh-bronze", ["--lake", lake, "/nonexistent.ndjson"])
    #expect(missing.status == 66)
  }

  @Test("a stream commits on time, and SIGTERM commits what was read")
  func streamAndSignal() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let r = try TestTools.shell(
      "lh-gen --follow --rate 500 --quiet | lh-bronze --lake \(lake) --commit-every 500ms & sleep 2.5; kill -TERM $!; wait; echo done >&2"
    )
    #expect(r.stderr.contains("done"))
    let snapshot = try DeltaLog.snapshot(table: lake + "/bronze/events")
    #expect(snapshot.version >= 3, "time-based commits: \(snapshot.version)")
    let rows = try landed(URL(fileURLWithPath: lake))["stdin"] ?? []
    #expect(rows.count > 500)
    // Every landed line is a whole event.
    for row in rows { #expect((try? JSONSerialization.jsonObject(with: Data(row))) != nil) }
  }

  @Test("kill -9 loses at most the uncommitted batch and leaves a readable table")
  func killNine() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    _ = try TestTools.shell(
      "lh-gen --follow --rate 2000 --quiet | lh-bronze --lake \(lake) --commit-every 300ms & sleep 2; kill -KILL $!; wait"
    )
    let snapshot = try DeltaLog.snapshot(table: lake + "/bronze/events")
    #expect(snapshot.version >= 2)
    var rows = 0
    try DeltaScan.forEachBatch(snapshot) { rows += $0[0].count }
    #expect(rows > 0)
    // The line numbers landed are exactly 1…rows: nothing in between was lost.
    var numbers: [Int64] = []
    try DeltaScan.forEachBatch(snapshot) { numbers += $0[4].int64s }
    #expect(numbers.sorted() == Array(1...Int64(rows)))
  }
}

@Suite("lh-bronze under faults")
struct LhBronzeFaultTests {
  func lineNumbers(_ lake: String) throws -> [String: [Int64]] {
    var out: [String: [Int64]] = [:]
    try DeltaScan.forEachBatch(try DeltaLog.snapshot(table: lake + "/bronze/events")) { b in
      for r in 0..<b[0].count {
        out[String(decoding: b[2].bytes(at: r), as: UTF8.self), default: []].append(b[4].int64s[r])
      }
    }
    return out
  }

  @Test("an unreadable file and a truncated gzip: clear errors, nothing committed")
  func badInputs() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let locked = dir.appendingPathComponent("locked.ndjson")
    try Data("{}\n".utf8).write(to: locked)
    chmod(locked.path, 0)
    if getuid() != 0 {
      let u = try TestTools.run("lh-bronze", ["--lake", lake, locked.path])
      #expect(u.status == 66 && u.stderr.contains("permission denied"))
    }
    let gen = try TestTools.run("lh-gen", ["--count", "20000", "--quiet"])
    let plain = dir.appendingPathComponent("e.ndjson")
    try Data(gen.stdout).write(to: plain)
    #expect(try TestTools.shell("gzip -k \(plain.path)").status == 0)
    let full = try [UInt8](Data(contentsOf: URL(fileURLWithPath: plain.path + ".gz")))
    let cut = dir.appendingPathComponent("cut.ndjson.gz")
    try Data(full.prefix(full.count / 2)).write(to: cut)
    // Cut short and final (a file still being written would be held back, not an error).
    let t = try TestTools.run("lh-bronze", ["--lake", lake, "--final", cut.path])
    #expect(t.status == 65)
    #expect(
      t.stderr.contains("\(cut.path):") && t.stderr.contains("gzip input is truncated"),
      "\(t.stderr)")
    #expect(try DeltaLog.versions(table: lake + "/bronze/events").isEmpty, "nothing committed")
  }

  @Test("two lh-bronze processes at once: every line lands exactly once, versions contiguous")
  func concurrent() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    var files: [String] = []
    for i in 0..<6 {
      let f = dir.appendingPathComponent("f\(i).ndjson").path
      #expect(
        try TestTools.run("lh-gen", ["--count", "3000", "--seed", "\(i + 1)", "-o", f, "--quiet"])
          .status == 0)
      files.append(f)
    }
    let list = files.joined(separator: " ")
    // Both land every file, committing every 500 rows: they race for versions and for files.
    // (Exit statuses go through files: the test runner's children inherit a blocked SIGCHLD,
    // under which `wait $pid` can hang in sh; a bare `wait` does not.)
    let sa = dir.appendingPathComponent("sa").path
    let sb = dir.appendingPathComponent("sb").path
    _ = try TestTools.shell(
      "(lh-bronze --lake \(lake) --commit-every 500 --quiet \(list); echo $? > \(sa)) & (lh-bronze --lake \(lake) --commit-every 500 --quiet \(list); echo $? > \(sb)) & wait"
    )
    let statuses = [sa, sb].compactMap {
      (try? String(contentsOfFile: $0, encoding: .utf8)).flatMap {
        Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
      }
    }
    #expect(statuses.count == 2)
    // The second waits for the first's lock on bronze, then skips what it landed (issue 14).
    #expect(statuses.allSatisfy { $0 == 0 }, "\(statuses)")
    // Whatever either gave up on, a rerun completes; then each line is there exactly once.
    #expect(try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"] + files).status == 0)
    let numbers = try lineNumbers(lake)
    for f in files { #expect(numbers[f]?.sorted() == Array(1...3000), "\(f)") }
    let versions = try DeltaLog.versions(table: lake + "/bronze/events")
    #expect(versions == Array(0...Int64(versions.count - 1)))
  }

  @Test(
    "kill -9 at random moments, repeated: the table opens, whole batches only, a rerun completes without duplicates"
  )
  func killNineRepeated() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let file = dir.appendingPathComponent("big.ndjson").path
    #expect(try TestTools.run("lh-gen", ["--count", "200000", "-o", file, "--quiet"]).status == 0)
    for delay in ["0.3", "0.6", "0.2", "0.9"] {
      _ = try TestTools.shell(
        "lh-bronze --lake \(lake) --commit-every 20000 --quiet \(file) & p=$!; sleep \(delay); kill -KILL $p; wait"
      )
      if try DeltaLog.versions(table: lake + "/bronze/events").isEmpty { continue }
      let numbers = (try lineNumbers(lake)[file] ?? []).sorted()
      // Whole batches of 20000, in order from line 1, nothing twice.
      #expect(numbers == Array(1...Int64(max(numbers.count, 1))).prefix(numbers.count).map { $0 })
      #expect(numbers.count % 20000 == 0)
    }
    #expect(try TestTools.run("lh-bronze", ["--lake", lake, "--quiet", file]).status == 0)
    #expect(try lineNumbers(lake)[file]?.sorted() == Array(1...200_000))
    let again = try TestTools.run("lh-bronze", ["--lake", lake, file])
    #expect(again.stderr.contains("already landed"))
  }

  @Test(
    "deltalake, DuckDB and Polars read the bronze table: exactly the input lines",
    .enabled(if: peersPython != nil || peersRequired))
  func peersRead() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let gen = try TestTools.run(
      "lh-gen", ["--count", "5000", "--malformed", "0.02", "--seed", "8", "--quiet"])
    let input = dir.appendingPathComponent("in.ndjson")
    try Data(gen.stdout).write(to: input)
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--commit-every", "2000", input.path]).status
        == 0)
    let script = """
      import sys, duckdb, deltalake, polars as pl, os
      table, src = sys.argv[1], sys.argv[2]
      want = open(src, 'rb').read().split(b'\\n')[:-1]
      dt = deltalake.DeltaTable(table)
      assert dt.version() == 3, dt.version()
      assert [h['version'] for h in dt.history()] == [3, 2, 1, 0], dt.history()
      def lines(rows): return [(l.encode() if l is not None else bytes(b)) for l, b in rows]
      t = dt.to_pyarrow_table().sort_by('line_number')
      assert lines(zip(t['line'].to_pylist(), t['line_bytes'].to_pylist())) == want, 'deltalake'
      p = pl.read_delta(table).sort('line_number')
      assert lines(zip(p['line'].to_list(), p['line_bytes'].to_list())) == want, 'polars read_delta'
      files = [u.replace('file://', '') for u in dt.file_uris()]
      d = duckdb.sql("SELECT line, line_bytes FROM read_parquet($f) ORDER BY line_number", params={'f': files}).fetchall()
      assert lines(d) == want, 'duckdb'
      assert duckdb.sql("SELECT typeof(line) FROM read_parquet($f) LIMIT 1", params={'f': files}).fetchall()[0][0] == 'VARCHAR'
      print('ok')
      os._exit(0)
      """
    let r = try TestTools.run(python, ["-c", script, lake + "/bronze/events", input.path])
    #expect(r.output == "ok\n", "\(r.output)\(r.stderr)")
  }
}
