import Foundation
import LakeIO
import LakeTable
import LakeTestSupport
import Testing

/// Bronze's rows: (source, line number, line bytes, source_digest).
func bronzeRows(_ lake: String) throws -> [(
  source: String, number: Int64, line: [UInt8], id: String
)] {
  var rows: [(String, Int64, [UInt8], String)] = []
  try DeltaScan.forEachBatch(try DeltaLog.snapshot(table: lake + "/bronze/events")) { b in
    for r in 0..<b[0].count {
      let bytes = b[0].isValid(r) ? Array(b[0].bytes(at: r)) : Array(b[1].bytes(at: r))
      let id = b[3].isValid(r) ? String(decoding: b[3].bytes(at: r), as: UTF8.self) : ""
      rows.append((String(decoding: b[2].bytes(at: r), as: UTF8.self), b[4].int64s[r], bytes, id))
    }
  }
  return rows.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
}

/// How many times each line occurs.
func multiset(_ lines: [[UInt8]]) -> [[UInt8]: Int] {
  var out: [[UInt8]: Int] = [:]
  for l in lines { out[l, default: 0] += 1 }
  return out
}

/// Writes spool files the ways writers do, on a thread of its own, while lh-bronze lands them:
/// lines cut at random places with short pauses inside a line, longer pauses between lines, files
/// written under a temporary name then renamed, a file that grows the whole time, a slow copy of
/// a finished file, a file whose last line never gets its newline.
final class SpoolWriter: @unchecked Sendable {
  let dir: String
  var seed: UInt64
  /// Every distinct line written (a copy's lines are the original's).
  private(set) var written: [[UInt8]] = []
  private let done = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var finished = false

  init(dir: String, seed: UInt64) {
    self.dir = dir
    self.seed = seed
  }

  func random(_ n: Int) -> Int {
    seed &+= 0x9E37_79B9_7F4A_7C15
    var z = seed
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return Int((z ^ (z >> 31)) % UInt64(n))
  }

  func sleep(ms: Int) { usleep(useconds_t(ms * 1000)) }

  func append(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    precondition(fd >= 0, "open \(path)")
    bytes.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
    close(fd)
  }

  func line(_ file: String, _ n: Int) -> [UInt8] {
    let pad = String(repeating: "x", count: random(120))
    return Array("{\"file\":\"\(file)\",\"n\":\(n),\"pad\":\"\(pad)\"}".utf8)
  }

  /// Writes `lines` to `path` in random pieces: pauses inside a line stay far below the settle
  /// time; pauses between lines may be longer.
  func writeCut(_ path: String, _ lines: [[UInt8]], terminateLast: Bool = true) {
    for (k, l) in lines.enumerated() {
      let bytes = l + (k < lines.count - 1 || terminateLast ? [0x0A] : [])
      var at = 0
      while at < bytes.count {
        let piece = min(bytes.count - at, 1 + random(bytes.count))
        append(path, Array(bytes[at..<at + piece]))
        at += piece
        if at < bytes.count { sleep(ms: random(30)) }
      }
      if random(4) == 0 { sleep(ms: random(120)) }
    }
  }

  func start() {
    let thread = Thread { [self] in
      run()
      lock.lock()
      finished = true
      lock.unlock()
      done.signal()
    }
    thread.start()
  }

  var isFinished: Bool {
    lock.lock()
    defer { lock.unlock() }
    return finished
  }

  func wait() { done.wait() }

  func run() {
    var growing = 0
    func grow(_ count: Int) {
      let ls = (0..<count).map { _ -> [UInt8] in
        growing += 1
        return line("grow", growing)
      }
      written += ls
      writeCut(dir + "/grow.ndjson", ls)
    }
    grow(5)
    for r in 0..<4 {
      // Written under a temporary name, renamed into place, the growing file between.
      let ls = (1...(10 + random(30))).map { line("renamed\(r)", $0) }
      written += ls
      writeCut(dir + "/renamed\(r).ndjson.tmp", ls)
      rename(dir + "/renamed\(r).ndjson.tmp", dir + "/renamed\(r).ndjson")
      grow(3 + random(10))
    }
    // A slow copy of a finished file (same bytes: landed once).
    let original = [UInt8](FileManager.default.contents(atPath: dir + "/renamed0.ndjson")!)
    var at = 0
    while at < original.count {
      let piece = min(original.count - at, 1 + random(400))
      append(dir + "/copy-of-renamed0.ndjson", Array(original[at..<at + piece]))
      at += piece
      sleep(ms: random(20))
    }
    grow(10)
    // A file whose last line never gets its newline: it lands once the file has settled.
    let open = (1...8).map { line("open", $0) }
    written += open
    writeCut(dir + "/open.ndjson", open, terminateLast: false)
    grow(10)
  }
}

@Suite("lh-bronze on a spool being written")
struct LhBronzeSpoolTests {
  @Test(
    "writers append, cut lines, rename and copy while lh-bronze runs in a loop: every line lands exactly once, none cut"
  )
  func spoolUnderWriters() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let spool = dir.appendingPathComponent("spool").path
    try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
    let seed = UInt64(UInt32.random(in: 0...UInt32.max))
    let writer = SpoolWriter(dir: spool, seed: seed)
    // A zstd stream written as it goes: its frame is cut until the writer ends.
    let zst = try TestTools.shell(
      "(lh-gen --follow --rate 600 --count 3000 --seed 5 --quiet | zstd -q -1 -c > \(spool)/stream.zst.part;"
        + " mv \(spool)/stream.zst.part \(spool)/stream.zst) > /dev/null 2>&1 & echo started")
    #expect(zst.status == 0)
    writer.start()
    var runs = 0
    var statuses: [Int32] = []
    while !writer.isFinished || runs < 3 {
      // The directory form (temporary names skipped) and an explicit list (temporary names
      // included: the renamed file must be recognised), now and then two runs at once.
      let form =
        runs % 3 == 0
        ? "lh-bronze --lake \(lake) --settle 800ms --quiet \(spool)/"
        : runs % 3 == 1
          ? "lh-bronze --lake \(lake) --settle 800ms --quiet \(spool)/*"
          : "(lh-bronze --lake \(lake) --settle 800ms --quiet \(spool)/ & lh-bronze --lake \(lake) --settle 800ms --quiet \(spool)/*; wait)"
      let r = try TestTools.shell(form + "; echo $?")
      var status = Int32(r.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
      // A name the shell expanded may be renamed by its writer before lh-bronze opens it.
      if status == 66
        && (r.stderr.contains(".tmp: open: no such file")
          || r.stderr.contains(".part: open: no such file"))
      {
        status = 0
      }
      statuses.append(status)
      #expect(!r.stderr.contains("internal error"), "\(r.stderr)")
      runs += 1
    }
    writer.wait()
    // The zstd stream ends (its writer is a few seconds behind at most).
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: spool + "/stream.zst") {
      usleep(50_000)
    }
    let last = try TestTools.run("lh-bronze", ["--lake", lake, "--final", spool + "/"])
    #expect(last.status == 0, "\(last.stderr)")
    #expect(statuses.allSatisfy { $0 == 0 || $0 == 75 }, "seed \(seed): \(statuses)")

    let zstLines = try TestTools.shell("zstd -dc \(spool)/stream.zst").lines
    #expect(zstLines.count == 3000)
    let rows = try bronzeRows(lake)
    let got = multiset(rows.map(\.line))
    let want = multiset(writer.written + zstLines)
    #expect(
      got == want, "seed \(seed): \(rows.count) rows for \(writer.written.count + 3000) lines")
    for (line, n) in got where want[line] != n {
      Issue.record("seed \(seed): \(n)× \(String(decoding: line, as: UTF8.self))")
      break
    }
    // A rerun finds everything landed.
    let again = try TestTools.run("lh-bronze", ["--lake", lake, "--final", spool + "/"])
    #expect(again.status == 0 && again.stderr.contains("landed 0 lines"), "\(again.stderr)")
  }

  @Test("a grown file resumes after its last landed line; renamed, it is recognised")
  func grownFileResumes() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let file = dir.appendingPathComponent("events.ndjson").path
    let gen = try TestTools.run("lh-gen", ["--count", "300", "--seed", "3", "--quiet"])
    let lines = gen.lines
    func write(_ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: file)) }
    // 100 whole lines and half of the 101st.
    let first: [UInt8] = lines[0..<100].flatMap { $0 + [0x0A] }
    try write(first + Array(lines[100].prefix(40)))
    let a = try TestTools.run("lh-bronze", ["--lake", lake, file])
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stderr.contains("landed 100 lines"), "\(a.stderr)")
    #expect(a.stderr.contains("last line unfinished (40 bytes without a newline)"), "\(a.stderr)")
    // It grows to 200 lines: the 100 new ones land, numbered on.
    try write(lines[0..<200].flatMap { $0 + [0x0A] })
    let b = try TestTools.run("lh-bronze", ["--lake", lake, file])
    #expect(b.status == 0 && b.stderr.contains("landed 100 lines"), "\(b.stderr)")
    // Renamed and grown again: recognised by its content, the last 100 land.
    let renamed = dir.appendingPathComponent("events-final.ndjson").path
    try FileManager.default.moveItem(atPath: file, toPath: renamed)
    try Data(lines[200..<300].flatMap { $0 + [0x0A] }).append(to: renamed)
    let c = try TestTools.run("lh-bronze", ["--lake", lake, renamed])
    #expect(c.status == 0 && c.stderr.contains("landed 100 lines"), "\(c.stderr)")
    let d = try TestTools.run("lh-bronze", ["--lake", lake, renamed])
    #expect(d.stderr.contains("already landed (300 lines), skipped"), "\(d.stderr)")
    let rows = try bronzeRows(lake).sorted { $0.number < $1.number }
    #expect(rows.map(\.number) == Array(1...300))
    #expect(rows.map(\.line) == lines, "the lines in order, each once")
    #expect(Set(rows.map(\.source)) == [file, renamed])
    #expect(Set(rows.map(\.id)).count == 1, "one file identity in source_digest")
  }

  @Test(
    "an unfinished last line waits for --settle or --final; a rewritten file is said and landed")
  func settleAndRewrite() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let file = dir.appendingPathComponent("a.ndjson").path
    try Data("{\"a\":1}\n{\"a\":2}\n{\"a\":".utf8).write(to: URL(fileURLWithPath: file))
    let a = try TestTools.run("lh-bronze", ["--lake", lake, file])
    #expect(a.status == 0 && a.stderr.contains("landed 2 lines"), "\(a.stderr)")
    // Settled: the file has not changed for the settle time, so its last line is whole.
    usleep(300_000)
    let b = try TestTools.run("lh-bronze", ["--lake", lake, "--settle", "200ms", file])
    #expect(b.status == 0 && b.stderr.contains("landed 1 line "), "\(b.stderr)")
    #expect(
      try bronzeRows(lake).map(\.line) == [
        Array("{\"a\":1}".utf8), Array("{\"a\":2}".utf8), Array("{\"a\":".utf8),
      ])
    // Rewritten (same first line, other content): said, and landed as a new file.
    try Data("{\"a\":1}\n{\"b\":9}\n".utf8).write(to: URL(fileURLWithPath: file))
    let c = try TestTools.run("lh-bronze", ["--lake", lake, "--final", file])
    #expect(c.status == 0, "\(c.stderr)")
    #expect(c.stderr.contains("\(file): rewritten, not appended"), "\(c.stderr)")
    #expect(c.stderr.contains("landed 2 lines"), "\(c.stderr)")
    // A final flag lands an unfinished line at once.
    let d2 = dir.appendingPathComponent("b.ndjson").path
    try Data("{\"c\":1}\n{\"c\":".utf8).write(to: URL(fileURLWithPath: d2))
    let d = try TestTools.run("lh-bronze", ["--lake", lake, "--final", d2])
    #expect(d.status == 0 && d.stderr.contains("landed 2 lines"), "\(d.stderr)")
  }

  @Test("a zstd file still being written lands its whole lines only; finished, the rest, once")
  func compressedGrowing() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let plain = dir.appendingPathComponent("e.ndjson").path
    #expect(
      try TestTools.run("lh-gen", ["--count", "20000", "--seed", "2", "-o", plain, "--quiet"])
        .status == 0)
    #expect(try TestTools.shell("zstd -q -1 -c \(plain) > \(plain).zst").status == 0)
    let full = [UInt8](FileManager.default.contents(atPath: plain + ".zst")!)
    let z = dir.appendingPathComponent("z.zst")
    try Data(full.prefix(full.count / 2)).write(to: z)
    let a = try TestTools.run("lh-bronze", ["--lake", lake, z.path])
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stderr.contains("compressed input cut short"), "\(a.stderr)")
    let part = try bronzeRows(lake)
    #expect(part.count < 20000)
    let want = [UInt8](FileManager.default.contents(atPath: plain)!).split(separator: 0x0A).map(
      Array.init)
    #expect(part.map(\.line) == Array(want.prefix(part.count)), "whole lines only")
    try Data(full).write(to: z)
    let b = try TestTools.run("lh-bronze", ["--lake", lake, z.path])
    #expect(b.status == 0, "\(b.stderr)")
    let rows = try bronzeRows(lake)
    #expect(rows.map(\.line) == want)
    #expect(rows.map(\.number) == Array(1...20000))
    // Cut short and final (or settled): damage, an error naming the file.
    let cut = dir.appendingPathComponent("cut.zst")
    try Data(full.prefix(full.count / 3)).write(to: cut)
    let c = try TestTools.run("lh-bronze", ["--lake", lake, "--final", cut.path])
    #expect(c.status == 65 && c.stderr.contains("zstd input is truncated"), "\(c.stderr)")
  }

  @Test(
    "a directory lands its regular files, skipping dot-files and temporary names; an empty spool is a quiet success"
  )
  func directoryArgument() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let spool = dir.appendingPathComponent("spool")
    try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
    // Nothing there: exit 0, nothing committed, no table made; the same for a glob the shell
    // passed as it was.
    let empty = try TestTools.run("lh-bronze", ["--lake", lake, spool.path])
    #expect(empty.status == 0, "\(empty.stderr)")
    let glob = try TestTools.shell("lh-bronze --lake \(lake) \(spool.path)/*.ndjson")
    #expect(glob.status == 0 && glob.stderr.contains("matched no file"), "\(glob.stderr)")
    let quiet = try TestTools.shell("lh-bronze --lake \(lake) --quiet \(spool.path)/*.ndjson")
    #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
    // The lake's directory may be there (the landing's lock lives in it), but no table.
    #expect(!FileManager.default.fileExists(atPath: lake + "/bronze"))
    // A missing path given by name stays an error.
    let missing = try TestTools.run("lh-bronze", ["--lake", lake, spool.path + "/none.ndjson"])
    #expect(missing.status == 66, "\(missing.stderr)")
    for name in ["b.ndjson", "a.ndjson", ".hidden", "c.tmp", "d.part", "e~", ".#f"] {
      try Data("{\"name\":\"\(name)\"}\n".utf8).write(to: spool.appendingPathComponent(name))
    }
    try FileManager.default.createDirectory(
      at: spool.appendingPathComponent("sub"), withIntermediateDirectories: true)
    try Data("{\"name\":\"sub\"}\n".utf8).write(to: spool.appendingPathComponent("sub/x.ndjson"))
    let r = try TestTools.run("lh-bronze", ["--lake", lake, spool.path + "/"])
    #expect(r.status == 0 && r.stderr.contains("landed 2 lines"), "\(r.stderr)")
    #expect(
      try bronzeRows(lake).map(\.source) == [spool.path + "/a.ndjson", spool.path + "/b.ndjson"])
  }

  @Test("--tee into a reader that goes away: everything read is landed, the line is named")
  func teeIntoHead() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let input = dir.appendingPathComponent("in.ndjson").path
    #expect(
      try TestTools.run("lh-gen", ["--count", "100000", "--seed", "1", "-o", input, "--quiet"])
        .status == 0)
    let st = dir.appendingPathComponent("status").path
    let r = try TestTools.shell(
      "(lh-bronze --lake \(lake) --tee < \(input); echo $? > \(st)) | head -1")
    #expect(r.lines.count == 1)
    let status = try String(contentsOfFile: st, encoding: .utf8)
    #expect(status == "0\n")
    #expect(r.stderr.contains("the --tee reader went away at stdin line "), "\(r.stderr)")
    #expect(r.stderr.contains("landed 100000 lines"), "\(r.stderr)")
    #expect(try bronzeRows(lake).count == 100_000)
  }

  @Test("a file landed by lh-bronze 0.1 (txn lh-bronze:content:<digest>) is not landed again")
  func landedByOlderVersion() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let file = dir.appendingPathComponent("old.ndjson").path
    let gen = try TestTools.run("lh-gen", ["--count", "60", "--seed", "4", "--quiet"])
    try Data(gen.stdout).write(to: URL(fileURLWithPath: file))
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: Array("{}\n".utf8))
        .status == 0)
    // What lh-bronze 0.1 recorded for a file it landed whole: its content digest, its lines.
    var h = ContentDigest()
    gen.stdout.withUnsafeBytes { h.update($0) }
    let table = lake + "/bronze/events"
    let info = DeltaCommitInfo(
      timestamp: DeltaTable.nowMillis(), operation: "WRITE", operationParameters: [:],
      engineInfo: "lh-bronze/0.1.0")
    _ = try DeltaTable.commit(
      table: table, readVersion: try DeltaLog.snapshot(table: table).version,
      actions: [
        .commitInfo(info),
        .txn(DeltaTxn(appId: "lh-bronze:content:" + h.finalize(), version: 60, lastUpdated: nil)),
      ])
    let a = try TestTools.run("lh-bronze", ["--lake", lake, file])
    #expect(a.status == 0 && a.stderr.contains("already landed (60 lines)"), "\(a.stderr)")
    // Recorded the new way: grown, it lands only what was added.
    try Data("{\"new\":1}\n".utf8).append(to: file)
    let b = try TestTools.run("lh-bronze", ["--lake", lake, file])
    #expect(b.status == 0 && b.stderr.contains("landed 1 line "), "\(b.stderr)")
    #expect(try bronzeRows(lake).count == 2)
  }

  @Test("lh-silver and lh-gold before their input's first commit: exit 0; no lake at all: 66")
  func nothingYet() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    for tool in ["lh-silver", "lh-gold"] {
      let none = try TestTools.run(tool, ["--lake", lake])
      #expect(none.status == 66, "\(none.stderr)")
      #expect(none.stderr == "\(tool): \(lake): no such lake directory\n", "\(none.stderr)")
    }
    try FileManager.default.createDirectory(atPath: lake, withIntermediateDirectories: true)
    let silver = try TestTools.run("lh-silver", ["--lake", lake])
    #expect(
      silver.status == 0 && silver.stderr.contains("bronze/events has no commit yet"),
      "\(silver.stderr)")
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).stderr.isEmpty)
    let gold = try TestTools.run("lh-gold", ["--lake", lake])
    #expect(
      gold.status == 0 && gold.stderr.contains("silver/events has no commit yet"), "\(gold.stderr)")
    // With bronze landed, silver runs; gold then has silver to read.
    #expect(
      try TestTools.shell("lh-gen --count 100 --quiet | lh-bronze --lake \(lake) --quiet").status
        == 0)
    #expect(try TestTools.run("lh-gold", ["--lake", lake]).status == 0)
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    #expect(try TestTools.run("lh-gold", ["--lake", lake, "--quiet"]).status == 0)
  }
}

extension Data {
  func append(to path: String) throws {
    let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? h.close() }
    try h.seekToEnd()
    try h.write(contentsOf: self)
  }
}
