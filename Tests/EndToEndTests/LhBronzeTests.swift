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

    let first = try TestTools.run("lh-bronze", ["--lake", lake.path, a.path, b.path])
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stderr.contains("landed 3004 lines in 1 commit"))
    let again = try TestTools.run("lh-bronze", ["--lake", lake.path, a.path, b.path])
    #expect(again.status == 0)
    #expect(
      again.stderr.contains("landed 0 lines") && again.stderr.contains("2 files already landed"))
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
