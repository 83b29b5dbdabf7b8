import Foundation
import LakeFormats
import LakeIO
import LakeStages
import LakeTable
import LakeTestSupport
import Testing

/// Lakes for lh-pack's proofs (issue 8): a bronze table landed by lh-gen | lh-bronze, and a
/// `sales/orders` table partitioned by date over four days, written in several commits.
enum PackLakes {
  static let ordersSchema = TableSchema([
    ColumnSpec("id", .int64, nullable: false), ColumnSpec("name", .string),
    ColumnSpec("amount", .decimal(precision: 12, scale: 2)),
    ColumnSpec("event_date", .date, nullable: false),
  ])

  /// Orders `ids`, spread over the days 2026-01-01 … 2026-01-04.
  static func orders(_ ids: Range<Int>) -> [ColumnBuffer] {
    var cols = ordersSchema.columns.map { ColumnBuffer(type: $0.type) }
    for i in ids {
      cols[0].append(Int64(i))
      if i % 5 == 0 { cols[1].appendNull() } else { cols[1].append(string: "order \(i)") }
      cols[2].append(Int64(i * 37 % 10_000))
      cols[3].append(Int32(20_454 + i % 4))
    }
    return cols
  }

  /// Appends `ids` to the orders table in one commit.
  static func append(_ table: String, _ ids: Range<Int>) throws {
    let snapshot = try DeltaLog.snapshot(table: table)
    let adds = try DeltaTable.writeFiles(snapshot, columns: orders(ids))
    _ = try DeltaTable.commit(
      table: table, readVersion: snapshot.version,
      actions: [
        .commitInfo(
          DeltaCommitInfo(
            timestamp: DeltaTable.nowMillis(), operation: "WRITE",
            operationParameters: ["mode": "Append"], engineInfo: "lh-test"))
      ] + adds.map { .add($0) })
  }

  /// A lake with bronze/events (3 versions) and sales/orders (5 versions, 4 days).
  static func make(_ dir: URL, bronzeLines: Int = 4000) throws -> String {
    let lake = dir.appendingPathComponent("lake").path
    let gen = try TestTools.shell(
      "lh-gen --count \(bronzeLines) --seed 5 --quiet | lh-bronze --lake \(lake) --commit-every \(bronzeLines / 2) --quiet"
    )
    #expect(gen.status == 0, "\(gen.stderr)")
    let orders = lake + "/sales/orders"
    _ = try DeltaTable.openOrCreate(
      at: orders, schema: ordersSchema, partitionColumns: ["event_date"], engine: "lh-test")
    for range in [0..<300, 300..<500, 500..<520, 520..<900] { try append(orders, range) }
    return lake
  }

  /// Every row of a table at a version, canonical and sorted.
  static func rows(_ table: String, _ version: Int64? = nil) throws -> [String] {
    let snapshot = try DeltaLog.snapshot(
      table: table, asOf: version.map { .version($0) } ?? .latest)
    var out: [String] = []
    try DeltaScan.forEachBatch(snapshot) { batch in
      out += Canonical.ndjson(batch, schema: snapshot.schema).split(separator: "\n").map(
        String.init)
    }
    return out.sorted()
  }
}

@Suite("lh-pack end to end")
struct LhPackTests {
  @Test(
    "archive → restore: every table equal at every archived version; same bytes twice; tar and bsdtar list it"
  )
  func roundTrip() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir)
    let a = dir.appendingPathComponent("a.tar.zst").path
    let b = dir.appendingPathComponent("b.tar.zst").path
    let r = try TestTools.run("lh-pack", ["archive", "--lake", lake, "-o", a])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("archived 2 tables"), "\(r.stderr)")
    #expect(try TestTools.run("lh-pack", ["archive", "--lake", lake, "-o", b, "-q"]).status == 0)
    #expect(FileManager.default.contentsEqual(atPath: a, andPath: b), "reproducible bytes")

    let list = try TestTools.run("lh-pack", ["list", a])
    #expect(list.status == 0)
    let listed = list.output.split(separator: "\n").map { String($0.split(separator: " ").last!) }
    for tool in ["tar --zstd -tf", "bsdtar -tf"] {
      let t = try TestTools.shell("\(tool) \(a)")
      #expect(t.status == 0, "\(tool): \(t.stderr)")
      #expect(
        t.output.split(separator: "\n").map(String.init).sorted()
          == (listed + [PackManifest.entryName]).sorted(), "\(tool)")
    }
    #expect(try TestTools.run("lh-pack", ["verify", a]).status == 0)

    let restored = dir.appendingPathComponent("restored").path
    let back = try TestTools.run("lh-pack", ["restore", a, "-C", restored])
    #expect(back.status == 0, "\(back.stderr)")
    for table in ["bronze/events", "sales/orders"] {
      let versions = try DeltaLog.versions(table: lake + "/" + table)
      #expect(try DeltaLog.versions(table: restored + "/" + table) == versions)
      for v in versions {
        #expect(
          try PackLakes.rows(lake + "/" + table, v) == PackLakes.rows(restored + "/" + table, v),
          "\(table) version \(v)")
      }
    }
    // Plain tar gives the same lake.
    let untarred = dir.appendingPathComponent("untarred")
    try FileManager.default.createDirectory(at: untarred, withIntermediateDirectories: true)
    #expect(try TestTools.shell("tar --zstd -xf \(a) -C \(untarred.path)").status == 0)
    #expect(
      try PackLakes.rows(untarred.path + "/sales/orders") == PackLakes.rows(lake + "/sales/orders"))

    // deltalake agrees, version by version.
    if let python = peersPython {
      let script = """
        import sys, deltalake
        a, b = sys.argv[1], sys.argv[2]
        for t in ['bronze/events', 'sales/orders']:
            x = deltalake.DeltaTable(a + '/' + t)
            n = x.version()
            assert deltalake.DeltaTable(b + '/' + t).version() == n
            for v in range(n + 1):
                ta = deltalake.DeltaTable(a + '/' + t, version=v).to_pyarrow_table()
                tb = deltalake.DeltaTable(b + '/' + t, version=v).to_pyarrow_table()
                key = [(c, 'ascending') for c in ta.column_names if c not in ('line_bytes',)]
                assert ta.sort_by(key).equals(tb.sort_by(key)), (t, v)
        print('ok', flush=True)
        # Skip interpreter teardown: pyarrow's and deltalake's thread pools can abort there under
        # load ('terminate called without an active exception') after the check passed.
        import os; os._exit(0)
        """
      let p = try TestTools.run(python, ["-c", script, lake, restored])
      #expect(p.status == 0 && p.output.contains("ok"), "\(p.output)\(p.stderr)")
    } else {
      #expect(!peersRequired, "LH_PEERS_PYTHON is not set")
    }
  }

  @Test(
    "--before --remove: old partitions leave the lake only in the archive; restore merges them back"
  )
  func partitionsRemoveAndMerge() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir)
    let orders = lake + "/sales/orders"
    let before = try PackLakes.rows(orders)
    let version = try DeltaLog.snapshot(table: orders).version
    let a = dir.appendingPathComponent("old.tar.zst").path
    let r = try TestTools.run(
      "lh-pack", ["archive", "--lake", lake, "--before", "2026-01-03", "--remove", "-o", a])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("not partitioned by a date; skipped") == false)
    #expect(r.stderr.contains("removed"), "\(r.stderr)")
    let old = before.filter { $0.contains("2026-01-01") || $0.contains("2026-01-02") }
    #expect(!old.isEmpty)
    #expect(try PackLakes.rows(orders) == before.filter { !old.contains($0) })
    // Time travel to before the removal still sees everything (files stay until vacuum).
    #expect(try PackLakes.rows(orders, version) == before)
    // The archive alone is a valid table holding exactly the archived partitions.
    let alone = dir.appendingPathComponent("alone").path
    #expect(try TestTools.run("lh-pack", ["restore", a, "-C", alone]).status == 0)
    #expect(try PackLakes.rows(alone + "/sales/orders") == old)
    #expect(try DeltaLog.versions(table: alone + "/sales/orders") == [0])
    // Merge back: one commit, every row back.
    let merged = try TestTools.run("lh-pack", ["restore", a, "-C", lake])
    #expect(merged.status == 0, "\(merged.stderr)")
    #expect(try PackLakes.rows(orders) == before)
    // Again: the partitions are there now, so it is refused, unless --replace.
    let again = try TestTools.run("lh-pack", ["restore", a, "-C", lake])
    #expect(again.status == 73 && again.stderr.contains("event_date=2026-01-0"), "\(again.stderr)")
    #expect(try TestTools.run("lh-pack", ["restore", a, "-C", lake, "--replace"]).status == 0)
    #expect(try PackLakes.rows(orders) == before)
    // Nothing older than 2026-01-01: nothing to archive, no file.
    let none = try TestTools.run(
      "lh-pack", ["archive", "--lake", lake, "--before", "2025-01-01", "-o", a + ".none"])
    #expect(none.status == 0 && !FileManager.default.fileExists(atPath: a + ".none"))
  }

  @Test("SIGTERM during an archive: status 143, no archive left, the lake untouched")
  func terminated() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let out = dir.appendingPathComponent("a.tar.zst").path
    #expect(
      try TestTools.shell(
        "lh-gen --count 300000 --quiet | lh-bronze --lake \(lake) --commit-every 20000 --quiet"
      ).status == 0)
    let before = try TestTools.shell("cd \(lake) && find . -type f | sort | xargs sha256sum")
    // The archive stops within a file or finishes first: either way, never status 75.
    let r = try TestTools.shell(
      // Waits for the (temp) archive, not a fixed time: a SIGTERM that lands before the tool has
      // installed its handlers (a slow start on a busy machine) kills it without a message.
      "lh-pack archive --lake \(lake) -o \(out) & p=$!; i=0; while [ $i -lt 500 ] && ! ls -a \(dir.path) | grep -q 'a\\.tar\\.zst'; do sleep 0.01; i=$((i+1)); done; kill -TERM $p 2>/dev/null; wait $p; echo \"status $?\" >&2"
    )
    let err = r.stderr
    if err.contains("status 143") {
      #expect(err.contains("interrupted; no archive written, nothing removed"), "\(err)")
      #expect(!FileManager.default.fileExists(atPath: out))
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
      #expect(leftovers.allSatisfy { !$0.hasPrefix(".a.tar.zst") }, "\(leftovers)")
    } else {
      #expect(err.contains("status 0"), "\(err)")
    }
    let after = try TestTools.shell("cd \(lake) && find . -type f | sort | xargs sha256sum")
    #expect(after.stdout == before.stdout)
  }

  @Test("a corrupted byte anywhere makes verify fail (65, naming the file)")
  func corruption() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir, bronzeLines: 400)
    let a = dir.appendingPathComponent("a.tar.zst").path
    #expect(
      try TestTools.run("lh-pack", ["archive", "--lake", lake, "--table", "sales/orders", "-o", a])
        .status == 0)
    let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: a)))
    _ = try PackRead.verify(archive: a)
    let bad = dir.appendingPathComponent("bad.tar.zst").path
    var positions = Array(0..<min(64, good.count)) + Array(max(0, good.count - 64)..<good.count)
    positions += stride(from: 0, to: good.count, by: max(1, good.count / 300)).map { $0 }
    var failures = 0
    for p in Set(positions) {
      var copy = good
      copy[p] ^= 0x5A
      try Data(copy).write(to: URL(fileURLWithPath: bad))
      do {
        _ = try PackRead.verify(archive: bad)
        Issue.record("byte \(p) of \(good.count) changed and verify passed")
      } catch let e as LakeError {
        #expect(e.category == .data, "byte \(p): \(e)")
        failures += 1
      }
    }
    #expect(failures == Set(positions).count)
    // The tool: a changed byte inside a data file's bytes names that file.
    let manifest = try PackRead.list(archive: a)
    let target = try #require(manifest.files.first { $0.path.hasSuffix(".parquet") })
    let raw = dir.appendingPathComponent("raw.tar")
    #expect(try TestTools.shell("zstd -q -d -c \(a) > \(raw.path)").status == 0)
    var tar = try [UInt8](Data(contentsOf: raw))
    // Find the file's bytes in the tar and flip one; recompress with an lh trailer.
    let head = Array(
      try Data(contentsOf: URL(fileURLWithPath: lake + "/" + target.path)).prefix(64))
    let at = try #require(
      (0..<(tar.count - head.count)).first { tar[$0..<($0 + head.count)].elementsEqual(head) })
    tar[at + 100] ^= 1
    try Data(tar).write(to: raw)
    #expect(try TestTools.shell("zstd -q -f \(raw.path) -o \(bad)").status == 0)
    var rebuilt = try [UInt8](Data(contentsOf: URL(fileURLWithPath: bad)))
    let crc = rebuilt.withUnsafeBytes { ArchiveTrailer.crc(0, $0) }
    rebuilt += ArchiveTrailer.encode(length: UInt64(rebuilt.count), crc: crc)
    try Data(rebuilt).write(to: URL(fileURLWithPath: bad))
    let v = try TestTools.run("lh-pack", ["verify", bad])
    #expect(v.status == 65)
    #expect(v.stderr == "lh-pack: \(bad): \(target.path): SHA-256 mismatch\n", "\(v.stderr)")
    let notOurs = try TestTools.run("lh-pack", ["verify", raw.path])
    #expect(notOurs.status == 65 && notOurs.stderr.contains("not an lh archive"))
    #expect(try TestTools.run("lh-pack", ["verify", dir.path + "/missing.tar.zst"]).status == 66)
  }

  @Test("kill -9 during archive --remove never loses a row")
  func killNine() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir, bronzeLines: 60000)
    let bronze = lake + "/bronze/events"
    // Bronze rows are identified by their line number (one source: stdin).
    func lines(_ table: String) throws -> [Int64] {
      var out: [Int64] = []
      try DeltaScan.forEachBatch(
        try DeltaLog.snapshot(table: table), files: try DeltaLog.snapshot(table: table).files,
        columns: ["line_number"]
      ) { out += $0[0].int64s }
      return out
    }
    let all = try lines(bronze).sorted()
    #expect(all == Array(1...60000))
    for (i, delay) in ["0.05", "0.25", "0.5", "0.9", "1.4"].enumerated() {
      let a = dir.appendingPathComponent("k\(i).tar.zst").path
      _ = try TestTools.shell(
        "lh-pack archive --lake \(lake) --table bronze/events --remove -q -o \(a) & p=$!; sleep \(delay); kill -KILL $p; wait"
      )
      var rows = try lines(bronze)
      if FileManager.default.fileExists(atPath: a) {
        _ = try PackRead.verify(archive: a)
        let scratch = dir.appendingPathComponent("s\(i)").path
        _ = try PackRead.restore(.init(archive: a, directory: scratch, engine: "test"))
        rows += try lines(scratch + "/bronze/events")
      }
      #expect(Set(rows) == Set(all), "kill after \(delay) s")
      if try lines(bronze).isEmpty {
        // Everything archived and removed: put it back for the next round.
        _ = try PackRead.restore(.init(archive: a, directory: lake, engine: "test"))
        #expect(try lines(bronze).sorted() == all)
      }
    }
  }

  @Test("compact keeps the rows and time travel; vacuum dry-run lists exactly what --apply deletes")
  func compactAndVacuum() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir, bronzeLines: 400)
    let orders = lake + "/sales/orders"
    let before = try DeltaLog.snapshot(table: orders)
    let history = try (0...before.version).map { try PackLakes.rows(orders, $0) }
    let c = try TestTools.run("lh-pack", ["compact", "--lake", lake, "--table", "sales/orders"])
    #expect(c.status == 0, "\(c.stderr)")
    let after = try DeltaLog.snapshot(table: orders)
    #expect(after.version == before.version + 1)
    #expect(after.files.count == 4, "one file per day: \(after.files.count)")
    #expect(try PackLakes.rows(orders) == history.last!)
    for v in 0...before.version { #expect(try PackLakes.rows(orders, v) == history[Int(v)]) }
    for case .add(let add) in try DeltaLog.readCommit(table: orders, version: after.version) {
      #expect(!add.dataChange)
    }
    // Leftovers of a kill -9: a writer's temp file and a commit temp, both old; and a fresh one.
    let day = orders + "/event_date=2026-01-01"
    let orphan = day + "/.part-x.zstd.parquet.123.abc.tmp"
    let commitTemp = orders + "/_delta_log/_commit_dead.json.tmp"
    let fresh = day + "/part-fresh.zstd.parquet"
    for f in [orphan, commitTemp, fresh] {
      FileManager.default.createFile(atPath: f, contents: Data("x".utf8))
    }
    let old = Date(timeIntervalSinceNow: -30 * 86_400)
    for f in [orphan, commitTemp] {
      try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: f)
    }
    // The compacted files' tombstones are recent: with the default retention they stay.
    let keep = try TestTools.run("lh-pack", ["vacuum", "--lake", lake])
    #expect(keep.status == 0)
    #expect(
      keep.output.split(separator: "\n").sorted() == [
        "sales/orders/_delta_log/_commit_dead.json.tmp",
        "sales/orders/event_date=2026-01-01/.part-x.zstd.parquet.123.abc.tmp",
      ], "\(keep.output)")
    // A week later: the versions before the compaction are out of the window.
    let now = RFC3339.string(
      micros: (after.timestamp + 8 * 86_400_000) * 1000, fractionDigits: 3)
    let dry = try TestTools.run("lh-pack", ["vacuum", "--lake", lake, "--now", now])
    let apply = try TestTools.run("lh-pack", ["vacuum", "--lake", lake, "--now", now, "--apply"])
    #expect(dry.status == 0 && apply.status == 0, "\(apply.stderr)")
    #expect(dry.output == apply.output)
    let deleted = dry.output.split(separator: "\n").map(String.init)
    #expect(deleted.count == before.files.count + 2 + 1, "\(deleted)")
    for f in deleted { #expect(!FileManager.default.fileExists(atPath: lake + "/" + f)) }
    for f in after.files {
      #expect(FileManager.default.fileExists(atPath: orders + "/" + f.path))
    }
    #expect(try PackLakes.rows(orders) == history.last!)
    #expect(try PackLakes.rows(orders, after.version) == history.last!)
    // Nothing left to do.
    let again = try TestTools.run("lh-pack", ["vacuum", "--lake", lake, "--now", now])
    #expect(again.output.isEmpty)
  }

  @Test("vacuum keeps every version within the retention readable")
  func vacuumRetainedVersionsRead() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir, bronzeLines: 400)
    let orders = lake + "/sales/orders"
    let v0 = try DeltaLog.snapshot(table: orders)
    #expect(try TestTools.run("lh-pack", ["compact", "--lake", lake, "-q"]).status == 0)
    // Another compaction after new appends, so that there are tombstones of two ages.
    try PackLakes.append(orders, 900..<1000)
    try PackLakes.append(orders, 1000..<1100)
    let mid = try DeltaLog.snapshot(table: orders)
    #expect(try TestTools.run("lh-pack", ["compact", "--lake", lake, "-q"]).status == 0)
    let latest = try DeltaLog.snapshot(table: orders)
    let expected = try (0...latest.version).map { try PackLakes.rows(orders, $0) }
    // The window starts at `mid`'s commit: versions mid… must stay readable.
    let now = RFC3339.string(micros: (mid.timestamp + 86_400_000) * 1000, fractionDigits: 3)
    let r = try TestTools.run(
      "lh-pack",
      [
        "vacuum", "--lake", lake, "--table", "sales/orders", "--retain", "1d", "--now", now,
        "--apply",
      ])
    #expect(r.status == 0, "\(r.stderr)")
    for v in mid.version...latest.version {
      #expect(try PackLakes.rows(orders, v) == expected[Int(v)], "version \(v)")
    }
    _ = v0
  }

  @Test(
    "list reads only the manifest's frame (a damaged middle does not stop it, verify sees it); older archives and stdin are read whole"
  )
  func listFromTheIndex() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir)
    let a = dir.appendingPathComponent("a.tar.zst").path
    #expect(try TestTools.run("lh-pack", ["archive", "--lake", lake, "-o", a, "-q"]).status == 0)
    let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: a)))
    let list = try TestTools.run("lh-pack", ["list", a])
    #expect(list.status == 0 && list.output.split(separator: "\n").count > 10, "\(list.stderr)")
    let trailer = try #require(ArchiveTrailer.parse(tail: Array(good.suffix(40))))
    let frame = try #require(trailer.lastFrame, "a new archive's trailer indexes the manifest")
    #expect(frame.offset + frame.size == UInt64(good.count - ArchiveTrailer.indexedSize))
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
      let path = dir.appendingPathComponent(name).path
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      return path
    }
    // A byte changed before the manifest's frame: list answers from that frame alone.
    var damaged = good
    damaged[Int(frame.offset) / 2] ^= 0x5A
    let b = try write(damaged, "b.tar.zst")
    let fast = try TestTools.run("lh-pack", ["list", b])
    #expect(fast.status == 0 && fast.stdout == list.stdout && fast.stderr == list.stderr)
    #expect(try TestTools.run("lh-pack", ["verify", b]).status == 65)
    // A byte changed inside the manifest's frame: list fails (its zstd checksum or the tar).
    var badManifest = good
    badManifest[Int(frame.offset + frame.size / 2)] ^= 0x5A
    let m = try TestTools.run("lh-pack", ["list", try write(badManifest, "m.tar.zst")])
    #expect(m.status == 65, "\(m.stderr)")
    // As an lh without the index wrote it (v1 trailer): list reads everything, so a damaged
    // middle fails it too.
    var old = Array(good.prefix(good.count - ArchiveTrailer.indexedSize))
    let crc = old.withUnsafeBytes { ArchiveTrailer.crc(0, $0) }
    old += ArchiveTrailer.encode(length: UInt64(old.count), crc: crc)
    let c = try write(old, "c.tar.zst")
    let slow = try TestTools.run("lh-pack", ["list", c])
    #expect(slow.status == 0 && slow.stdout == list.stdout, "\(slow.stderr)")
    #expect(try TestTools.run("lh-pack", ["verify", c]).status == 0)
    var oldDamaged = old
    oldDamaged[Int(frame.offset) / 2] ^= 0x5A
    #expect(
      try TestTools.run("lh-pack", ["list", try write(oldDamaged, "d.tar.zst")]).status == 65)
    // Standard input (cannot seek): read whole, trailer checked, either trailer.
    for (path, status) in [(a, Int32(0)), (c, 0), (b, 65)] {
      let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
      let v = try TestTools.run("lh-pack", ["verify", "-"], stdin: bytes)
      #expect(v.status == status, "verify - of \(path): \(v.stderr)")
    }
    let piped = try TestTools.shell("cat \(b) | lh-pack list -")
    #expect(piped.status == 65, "a pipe is read whole: \(piped.stderr)")
    let restored = dir.appendingPathComponent("r").path
    let r = try TestTools.shell("cat \(a) | lh-pack restore - -C \(restored)")
    #expect(r.status == 0, "\(r.stderr)")
    for table in ["bronze/events", "sales/orders"] {
      #expect(try PackLakes.rows(restored + "/" + table) == PackLakes.rows(lake + "/" + table))
    }
  }

  @Test("with the index, verify checks each file as it ends: a damaged file fails before the rest")
  func verifyFailsEarly() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir, bronzeLines: 400)
    let a = dir.appendingPathComponent("a.tar.zst").path
    #expect(
      try TestTools.run("lh-pack", ["archive", "--lake", lake, "--table", "sales/orders", "-o", a])
        .status == 0)
    let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: a)))
    let frame = try #require(ArchiveTrailer.parse(tail: Array(good.suffix(40)))?.lastFrame)
    let body = dir.appendingPathComponent("body")
    try Data(good[0..<Int(frame.offset)]).write(to: body.appendingPathExtension("zst"))
    #expect(try TestTools.shell("zstd -dcq \(body.path).zst > \(body.path).tar").status == 0)
    var tar = try [UInt8](Data(contentsOf: body.appendingPathExtension("tar")))
    // The first entry (a plain ustar header: name, then the size in octal at 124), one byte of
    // its data changed; the tar cut in the middle of the second entry's data.
    let name = String(decoding: tar[0..<100].prefix { $0 != 0 }, as: UTF8.self)
    let octal = String(decoding: tar[124..<136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
    let size = try #require(Int(octal, radix: 8))
    tar[512 + size / 2] ^= 1
    tar = Array(tar.prefix(512 + (size + 511) / 512 * 512 + 512 + 100))
    try Data(tar).write(to: body.appendingPathExtension("tar"))
    #expect(
      try TestTools.shell("zstd -q -f \(body.path).tar -o \(body.path).zst").status == 0)
    let newBody = try [UInt8](Data(contentsOf: body.appendingPathExtension("zst")))
    let manifestFrame = Array(good[Int(frame.offset)..<Int(frame.offset + frame.size)])
    func archive(indexed: Bool) throws -> String {
      var bytes = newBody + manifestFrame
      let crc = bytes.withUnsafeBytes { ArchiveTrailer.crc(0, $0) }
      bytes += ArchiveTrailer.encode(
        length: UInt64(bytes.count), crc: crc,
        lastFrame: indexed ? .init(offset: UInt64(newBody.count), size: frame.size) : nil)
      let path = dir.appendingPathComponent(indexed ? "v2.tar.zst" : "v1.tar.zst").path
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      return path
    }
    let v2 = try archive(indexed: true)
    let early = try TestTools.run("lh-pack", ["verify", v2])
    #expect(early.status == 65)
    #expect(early.stderr == "lh-pack: \(v2): \(name): SHA-256 mismatch\n", "\(early.stderr)")
    // Without the index the damaged tar that follows is what verify meets first.
    let v1 = try archive(indexed: false)
    let late = try TestTools.run("lh-pack", ["verify", v1])
    #expect(late.status == 65 && !late.stderr.contains("SHA-256 mismatch"), "\(late.stderr)")
  }

  @Test(
    "a killed restore's scratch: kept while it runs, listed by vacuum and removed by --apply or by the next restore"
  )
  func killedRestoreScratch() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir)
    let a = dir.appendingPathComponent("a.tar.zst").path
    let small = dir.appendingPathComponent("small.tar.zst").path
    #expect(try TestTools.run("lh-pack", ["archive", "--lake", lake, "-o", a, "-q"]).status == 0)
    #expect(
      try TestTools.run(
        "lh-pack", ["archive", "--lake", lake, "--table", "sales/orders", "-o", small, "-q"]
      ).status == 0)
    let size = try FileManager.default.attributesOfItem(atPath: a)[.size] as! Int
    let target = dir.appendingPathComponent("t").path
    /// Starts a restore reading from a FIFO that gets all of the archive but its last 100 bytes
    /// (libarchive's zstd reader waits for a full buffer) and then stalls; once its scratch
    /// directory holds a file, runs `whileStalled`, then kills the restore with SIGKILL.
    /// Prints the restore's pid.
    func stalledRestore(_ whileStalled: String) throws -> (pid: String, result: ToolResult) {
      let fifo = dir.appendingPathComponent("fifo").path
      unlink(fifo)
      let script = """
        mkfifo \(fifo)
        lh-pack restore \(fifo) -C \(target) -q & p=$!
        exec 3>\(fifo)
        head -c \(size - 100) \(a) >&3
        i=0
        until [ -n "$(find \(target)/.lh-restore.$p -type f 2>/dev/null | head -1)" ]; do
          i=$((i+1)); [ $i -lt 600 ] || { echo "no scratch" >&2; exit 9; }; sleep 0.05
        done
        \(whileStalled)
        kill -KILL $p; wait $p; exec 3>&-
        echo "pid $p"
        """
      let r = try TestTools.shell(script)
      let pid = r.output.split(separator: "\n").last { $0.hasPrefix("pid ") }?.dropFirst(4)
      return (pid.map(String.init) ?? "?", r)
    }
    // While it runs: neither vacuum (even --apply) nor another restore into the lake touch it.
    let (pid, live) = try stalledRestore(
      """
      lh-pack vacuum --lake \(target) --apply; echo "vacuum $?"
      lh-pack restore \(small) -C \(target) -q; echo "restore $?"
      test -d \(target)/.lh-restore.$p && echo "still there"
      """)
    #expect(live.status == 0, "\(live.stderr)")
    #expect(live.output.contains("vacuum 0\nrestore 0\nstill there\n"), "\(live.output)")
    #expect(!live.output.contains(".lh-restore"), "vacuum listed a live restore's scratch")
    let scratch = ".lh-restore.\(pid)"
    #expect(FileManager.default.fileExists(atPath: target + "/" + scratch), "kill -9 left it")
    // Dead: vacuum lists it (dry run keeps it), --apply deletes exactly what the dry run listed.
    let dry = try TestTools.run("lh-pack", ["vacuum", "--lake", target])
    #expect(dry.status == 0 && dry.output == scratch + "/\n", "\(dry.output)\(dry.stderr)")
    #expect(dry.stderr.contains("1 scratch directory of killed restores"), "\(dry.stderr)")
    #expect(FileManager.default.fileExists(atPath: target + "/" + scratch))
    let apply = try TestTools.run("lh-pack", ["vacuum", "--lake", target, "--apply"])
    #expect(apply.status == 0 && apply.output == dry.output, "\(apply.stderr)")
    #expect(!FileManager.default.fileExists(atPath: target + "/" + scratch))
    // --table vacuums tables only.
    let (pid2, again) = try stalledRestore("")
    #expect(again.status == 0, "\(again.stderr)")
    let scratch2 = ".lh-restore.\(pid2)"
    let tableOnly = try TestTools.run(
      "lh-pack", ["vacuum", "--lake", target, "--table", "sales/orders", "--apply"])
    #expect(tableOnly.status == 0 && tableOnly.output.isEmpty, "\(tableOnly.output)")
    #expect(FileManager.default.fileExists(atPath: target + "/" + scratch2))
    // The next restore into the lake removes it, and says so.
    let next = try TestTools.run("lh-pack", ["restore", a, "-C", target, "--replace"])
    #expect(next.status == 0, "\(next.stderr)")
    #expect(
      next.stderr.contains("removed \(target)/\(scratch2), left by a restore that was killed"),
      "\(next.stderr)")
    #expect(!FileManager.default.fileExists(atPath: target + "/" + scratch2))
    #expect(
      try PackLakes.rows(target + "/bronze/events") == PackLakes.rows(lake + "/bronze/events"))
    let left = try FileManager.default.contentsOfDirectory(atPath: target)
    #expect(left.allSatisfy { !$0.hasPrefix(".lh-restore") }, "\(left)")
  }

  @Test(
    "--as-of per table: TABLE=VERSION or TABLE=TIME, a bare value for the rest; 64 when a table lacks it"
  )
  func asOfPerTable() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = try PackLakes.make(dir, bronzeLines: 400)
    let orders = lake + "/sales/orders"
    let a = dir.appendingPathComponent("a.tar.zst").path
    func archive(_ flags: [String]) throws -> ToolResult {
      try? FileManager.default.removeItem(atPath: a)
      return try TestTools.run("lh-pack", ["archive", "--lake", lake, "-o", a, "-q"] + flags)
    }
    func versions() throws -> [String: Int64] {
      Dictionary(
        uniqueKeysWithValues: try PackRead.list(archive: a).tables.map { ($0.name, $0.version) })
    }
    let r = try archive(["--as-of", "sales/orders=2", "--as-of", "1"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try versions() == ["bronze/events": 1, "sales/orders": 2])
    let restored = dir.appendingPathComponent("r").path
    #expect(try TestTools.run("lh-pack", ["restore", a, "-C", restored]).status == 0)
    #expect(try PackLakes.rows(restored + "/sales/orders") == PackLakes.rows(orders, 2))
    #expect(try DeltaLog.versions(table: restored + "/sales/orders") == [0, 1, 2])
    // Only one table named: the others at their latest version.
    #expect(try archive(["--as-of", "sales/orders=1"]).status == 0)
    let bronzeLatest = try DeltaLog.snapshot(table: lake + "/bronze/events").version
    #expect(try versions() == ["bronze/events": bronzeLatest, "sales/orders": 1])
    // A time: the version current then.
    let v3 = try DeltaLog.snapshot(table: orders, asOf: .version(3))
    let time = RFC3339.string(micros: v3.timestamp * 1000, fractionDigits: 3)
    #expect(
      try archive(["--table", "sales/orders", "--as-of", "sales/orders=" + time]).status == 0)
    #expect(try versions() == ["sales/orders": 3])
    // Errors: 64, one line, nothing written.
    for (flags, says) in [
      (["--as-of", "sales/orders=9"], "--as-of: sales/orders: no version 9"),
      (["--as-of", "7"], "--as-of: bronze/events: no version 7"),
      (["--as-of", "nope/x=1"], "nope/x is not a table of the lake"),
      (["--table", "sales/orders", "--as-of", "bronze/events=1"], "not among the --table tables"),
      (["--as-of", "1", "--as-of", "2"], "at most one value"),
      (["--as-of", "sales/orders=1", "--as-of", "sales/orders=2"], "given twice"),
      (["--as-of", "sales/orders=yesterday"], "--as-of"),
      (["--as-of", "=3"], "--as-of"),
    ] {
      let e = try archive(flags)
      #expect(e.status == 64, "\(flags): \(e.status) \(e.stderr)")
      #expect(e.stderr.contains(says), "\(flags): \(e.stderr)")
      #expect(!FileManager.default.fileExists(atPath: a), "\(flags)")
    }
    let one = try archive(["--as-of", "sales/orders=9"])
    #expect(one.stderr.filter { $0 == "\n" }.count == 1, "\(one.stderr)")
  }

  @Test("bad input: one line, sysexits status")
  func badInput() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack")
    let lake = dir.appendingPathComponent("lake").path
    let missing = try TestTools.run("lh-pack", ["archive", "--lake", lake, "-o", dir.path + "/x"])
    #expect(missing.status == 66, "\(missing.stderr)")
    let usage = try TestTools.run(
      "lh-pack", ["archive", "--lake", lake, "--before", "yesterday", "-o", "x"])
    #expect(usage.status == 64)
    let escape = try TestTools.run(
      "lh-pack", ["archive", "--lake", lake, "--table", "../etc", "-o", "x"])
    #expect(escape.status == 64, "\(escape.stderr)")
    for bad in ["../../x", "/etc/x", "gold/../../x", "bronze/events/../../../x", "..", ""] {
      for sub in [["archive", "-o", dir.path + "/x.tar.zst"], ["compact"], ["vacuum"]] {
        let r = try TestTools.run("lh-pack", sub + ["--lake", lake, "--table", bad])
        #expect(r.status == 64, "\(sub) --table '\(bad)': \(r.status) \(r.stderr)")
      }
      let gold = try TestTools.run("lh-gold", ["--lake", lake, "--table", bad])
      #expect(gold.status == 64, "lh-gold --table '\(bad)': \(gold.status) \(gold.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/x"))
    #expect(!FileManager.default.fileExists(atPath: lake))
    let noSub = try TestTools.run("lh-pack", [])
    #expect(noSub.status == 64)
  }
}

/// Crafted archives for the hostile-input proofs (issue 9): a pax tar built by Python's
/// `tarfile`, compressed by the `zstd` CLI, ended by a valid lh trailer.
enum CraftedArchive {
  /// One entry: a name, a tar type (`file`, `symlink`, `hardlink`, `chr`, `fifo`, `dir`), a
  /// link target.
  struct Entry {
    var name: String
    var type = "file"
    var link = ""
  }

  /// Writes the archive of `entries` to `path`.
  static func write(_ entries: [Entry], to path: String) throws {
    let spec = entries.map { "\($0.type)\t\($0.name)\t\($0.link)" }.joined(separator: "\n")
    let script = """
      import io, sys, tarfile
      types = {"file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
               "chr": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE, "dir": tarfile.DIRTYPE}
      out = io.BytesIO()
      with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
          for line in sys.stdin.read().split("\\n"):
              kind, name, link = line.split("\\t")
              info = tarfile.TarInfo(name)
              info.type = types[kind]
              info.linkname = link
              data = b"hostile\\n" if kind == "file" else b""
              info.size = len(data)
              tar.addfile(info, io.BytesIO(data))
      sys.stdout.buffer.write(out.getvalue())
      """
    let tar = path + ".tar"
    let made = try TestTools.shell(
      "python3 -c '\(script.replacingOccurrences(of: "'", with: "'\\''"))' > \(tar) && zstd -q -f \(tar) -o \(path) && rm \(tar)",
      stdin: Array(spec.utf8))
    #expect(made.status == 0, "\(made.stderr)")
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let crc = bytes.withUnsafeBytes { ArchiveTrailer.crc(0, $0) }
    bytes += ArchiveTrailer.encode(length: UInt64(bytes.count), crc: crc)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }
}

@Suite("lh-pack hostile archives")
struct LhPackHostileTests {
  /// Every file and link under `dir`, relative, sorted.
  static func tree(_ dir: String) throws -> [String] {
    let r = try TestTools.shell("cd \(dir) && find . -mindepth 1 | sort")
    return r.stdout.isEmpty
      ? [] : String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
  }

  @Test(
    "absolute paths, .., symlinks, hard links, devices, FIFOs and folding collisions: 65 naming the entry, nothing written"
  )
  func crafted() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack-hostile")
    let outside = dir.path + "/outside"
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    let cases: [(String, [CraftedArchive.Entry], String)] = [
      ("absolute", [.init(name: outside + "/abs")], outside + "/abs"),
      ("dotdot", [.init(name: "sales/../../outside/dotdot")], "sales/../../outside/dotdot"),
      ("symlink", [.init(name: "sales/link", type: "symlink", link: outside)], "sales/link"),
      (
        "symlink-then-file",
        [.init(name: "s/l", type: "symlink", link: outside), .init(name: "s/l/x")], "s/l"
      ),
      (
        "hardlink", [.init(name: "sales/hard", type: "hardlink", link: "/etc/passwd")], "sales/hard"
      ),
      ("chr", [.init(name: "sales/null", type: "chr")], "sales/null"),
      ("fifo", [.init(name: "sales/fifo", type: "fifo")], "sales/fifo"),
      (
        "case", [.init(name: "sales/o/a.parquet"), .init(name: "sales/o/A.parquet")],
        "sales/o/A.parquet"
      ),
      (
        "case-dir", [.init(name: "sales/o/a.parquet"), .init(name: "Sales/O/A.parquet")],
        "Sales/O/A.parquet"
      ),
      (
        "nfc", [.init(name: "sales/caf\u{E9}"), .init(name: "sales/cafe\u{301}")],
        "sales/cafe\u{301}"
      ),
      ("file-and-dir", [.init(name: "sales/x"), .init(name: "sales/x/y")], "sales/x/y"),
    ]
    for (label, entries, named) in cases {
      let archive = dir.path + "/\(label).tar.zst"
      try CraftedArchive.write(entries, to: archive)
      let target = dir.path + "/restore-\(label)"
      let r = try TestTools.run("lh-pack", ["restore", archive, "-C", target])
      #expect(r.status == 65, "\(label): \(r.status) \(r.stderr)")
      #expect(r.stderr.hasPrefix("lh-pack: \(archive): "), "\(label): \(r.stderr)")
      #expect(r.stderr.contains(named), "\(label): \(r.stderr)")
      #expect(r.stderr.filter { $0 == "\n" }.count == 1, "\(label): \(r.stderr)")
      #expect(try Self.tree(outside).isEmpty, "\(label): wrote outside the target")
      let left = try Self.tree(target)
      #expect(left.isEmpty, "\(label): left \(left)")
      for command in ["verify", "list"] {
        let v = try TestTools.run("lh-pack", [command, archive])
        #expect(v.status == 65, "\(label) \(command): \(v.status) \(v.stderr)")
      }
    }
  }

  @Test("a symbolic link already in the target is never followed")
  func linkInTarget() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack-hostile")
    let lake = try PackLakes.make(dir, bronzeLines: 400)
    let a = dir.appendingPathComponent("a.tar.zst").path
    #expect(
      try TestTools.run("lh-pack", ["archive", "--lake", lake, "--table", "sales/orders", "-o", a])
        .status == 0)
    let outside = dir.path + "/outside"
    try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    for link in ["sales", "sales/orders", "sales/orders/_delta_log"] {
      let target = dir.path + "/t-\(link.replacingOccurrences(of: "/", with: "-"))"
      let parent = (target + "/" + link as NSString).deletingLastPathComponent
      try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
      #expect(symlink(outside, target + "/" + link) == 0)
      let r = try TestTools.run("lh-pack", ["restore", a, "-C", target])
      #expect(r.status == 73, "\(link): \(r.status) \(r.stderr)")
      #expect(r.stderr.contains("symbolic link"), "\(r.stderr)")
      #expect(try Self.tree(outside).isEmpty, "\(link): wrote through the link")
      #expect(try !Self.tree(target).contains { $0.contains(".lh-restore") })
    }
    // Without links the same archive restores, and leaves no scratch directory behind.
    let target = dir.path + "/t-clean"
    let ok = try TestTools.run("lh-pack", ["restore", a, "-C", target])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(try !Self.tree(target).contains { $0.contains(".lh-restore") })
    #expect(try Self.tree(outside).isEmpty)
  }
}

/// `lh-pack compact` from an hourly cron (issue 15, "Small files"): it reads and rewrites only
/// the partitions with small files, rewrites without the table's lock (held only to check the
/// commits made meanwhile and to commit), and a landing, lh-silver or lh-gold running at the
/// same time loses nothing.
@Suite("lh-pack compact from cron")
struct PackCompactCronTests {
  /// Orders `ids`, all on day `day` (days since the epoch).
  static func orders(_ ids: Range<Int>, day: Int32) -> [ColumnBuffer] {
    orders(ids.map { ($0, day) })
  }

  /// Orders of these ids and days.
  static func orders(_ rows: [(id: Int, day: Int32)]) -> [ColumnBuffer] {
    var cols = PackLakes.ordersSchema.columns.map { ColumnBuffer(type: $0.type) }
    for (i, day) in rows {
      cols[0].append(Int64(i))
      if i % 5 == 0 { cols[1].appendNull() } else { cols[1].append(string: "order \(i)") }
      cols[2].append(Int64(i * 37 % 10_000))
      cols[3].append(day)
    }
    return cols
  }

  /// Appends `columns` to `table` in one commit.
  static func append(_ table: String, _ columns: [ColumnBuffer]) throws {
    let snapshot = try DeltaLog.snapshot(table: table)
    let adds = try DeltaTable.writeFiles(snapshot, columns: columns)
    _ = try DeltaTable.commit(
      table: table, readVersion: snapshot.version,
      actions: [
        .commitInfo(
          DeltaCommitInfo(
            timestamp: DeltaTable.nowMillis(), operation: "WRITE",
            operationParameters: ["mode": "Append"], engineInfo: "lh-test"))
      ] + adds.map { .add($0) })
  }

  /// The first commitInfo of `version`, as JSON.
  static func commitInfo(_ table: String, _ version: Int64) throws -> [String: Any] {
    let text = try String(
      contentsOfFile: table + "/_delta_log/" + DeltaLog.fileName(version), encoding: .utf8)
    for line in text.split(separator: "\n") {
      if let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let info = o["commitInfo"] as? [String: Any]
      {
        return info
      }
    }
    return [:]
  }

  /// sales/orders: ten days of one file each, a day of two files no smaller than the target,
  /// and a hot day of `hot` one-commit files; returns the target size and the hot day.
  static func hotTable(_ table: String, hot: Int) throws -> (target: Int64, hotDay: Int32) {
    _ = try DeltaTable.openOrCreate(
      at: table, schema: PackLakes.ordersSchema, partitionColumns: ["event_date"],
      engine: "lh-test")
    try append(table, orders((0..<2000).map { ($0, 20_454 + Int32($0 / 200)) }))
    for k in 0..<2 {
      try append(table, orders(100_000 + k * 40_000..<140_000 + k * 40_000, day: 20_464))
    }
    let big = try DeltaLog.snapshot(table: table).files.filter {
      $0.partitionValues["event_date"] == "2026-01-11"
    }
    #expect(big.count == 2)
    for k in 0..<hot { try append(table, orders(30_000 + k * 10..<30_010 + k * 10, day: 20_465)) }
    return (big.map(\.size).min()!, 20_465)
  }

  @Test(
    "a table with one hot partition: compact reads and rewrites only its files (cold partitions are never opened), and says so in its summary and the commit's operationMetrics"
  )
  func hotPartitionOnly() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack-hot")
    let lake = dir.appendingPathComponent("lake").path
    let orders = lake + "/sales/orders"
    let (target, _) = try Self.hotTable(orders, hot: 25)
    let before = try DeltaLog.snapshot(table: orders)
    let rows = try PackLakes.rows(orders)
    let hot = before.files.filter { $0.partitionValues["event_date"] == "2026-01-12" }
    #expect(hot.count == 25)
    // Every other file is damaged: reading any of them would fail the run.
    let others = before.files.filter { $0.partitionValues["event_date"] != "2026-01-12" }
    #expect(others.count == 12)
    var saved: [String: Data] = [:]
    for f in others {
      let p = orders + "/" + f.path
      saved[p] = try Data(contentsOf: URL(fileURLWithPath: p))
      try Data(repeating: 0x55, count: Int(f.size)).write(to: URL(fileURLWithPath: p))
    }
    let c = try TestTools.run(
      "lh-pack", ["compact", "--lake", lake, "--target-size", "\(target)", "--verbose"])
    #expect(c.status == 0, "\(c.stderr)")
    let hotBytes = hot.reduce(Int64(0)) { $0 + $1.size }
    #expect(
      c.stderr.contains("sales/orders: rewrote 25 files of 1 partition ("), "\(c.stderr)")
    #expect(c.stderr.contains("37 live files, 35 below --target-size"), "\(c.stderr)")
    let after = try DeltaLog.snapshot(table: orders)
    #expect(after.version == before.version + 1)
    var removed: [String] = []
    var added: [DeltaAdd] = []
    for a in try DeltaLog.readCommit(table: orders, version: after.version) {
      if case .remove(let r) = a { removed.append(r.path) }
      if case .add(let add) = a { added.append(add) }
    }
    #expect(removed.sorted() == hot.map(\.path).sorted())
    #expect(!added.isEmpty && added.allSatisfy { $0.partitionValues["event_date"] == "2026-01-12" })
    let info = try Self.commitInfo(orders, after.version)
    #expect(info["operation"] as? String == "OPTIMIZE")
    #expect(info["readVersion"] as? Int == Int(before.version))
    let metrics = info["operationMetrics"] as? [String: Any] ?? [:]
    #expect(metrics["numFilesRemoved"] as? Int == 25, "\(metrics)")
    #expect(metrics["numFilesAdded"] as? Int == added.count)
    #expect(metrics["numBytesRemoved"] as? Int == Int(hotBytes))
    #expect(metrics["partitionsOptimized"] as? Int == 1)
    #expect(metrics["totalConsideredFiles"] as? Int == 35)
    #expect(metrics["totalFilesSkipped"] as? Int == 12)
    // Undamaged again, the table holds the same rows; a second run finds nothing to do.
    for (p, data) in saved { try data.write(to: URL(fileURLWithPath: p)) }
    #expect(try PackLakes.rows(orders) == rows)
    let again = try TestTools.run(
      "lh-pack", ["compact", "--lake", lake, "--target-size", "\(target)"])
    #expect(
      again.status == 0 && again.stderr == "lh-pack: nothing to compact in 1 table\n",
      "\(again.stderr)")
    #expect(try DeltaLog.snapshot(table: orders).version == after.version)
  }

  @Test(
    "while compact waits to commit, a commit removes one of its files, or changes the metadata: that group (or all) is left as it was, its new file deleted, the rest committed"
  )
  func commitsMeanwhile() throws {
    for change in ["remove", "metaData"] {
      let dir = try TestTools.temporaryDirectory("lh-pack-meanwhile")
      let d = dir.path
      let lake = d + "/lake"
      let orders = lake + "/sales/orders"
      let (target, _) = try Self.hotTable(orders, hot: 6)
      // A second hot day.
      for k in 0..<6 {
        try Self.append(orders, Self.orders(40_000 + k * 10..<40_010 + k * 10, day: 20_466))
      }
      let before = try DeltaLog.snapshot(table: orders)
      let victim = before.files.first { $0.partitionValues["event_date"] == "2026-01-12" }!
      // The commit made meanwhile, as another writer would make it.
      let next = before.version + 1
      let action =
        change == "remove"
        ? #"{"remove":{"path":"\#(victim.path)","deletionTimestamp":1,"dataChange":true}}"#
        : try String(
          contentsOfFile: orders + "/_delta_log/" + DeltaLog.fileName(0), encoding: .utf8
        ).split(separator: "\n").first { $0.hasPrefix(#"{"metaData""#) }.map(String.init)!
      try Data(
        (#"{"commitInfo":{"timestamp":\#(DeltaTable.nowMillis() + 5),"operation":"TEST"}}"# + "\n"
          + action + "\n").utf8
      ).write(to: URL(fileURLWithPath: d + "/meanwhile.json"))
      let lock = lake + "/.lh/locks/sales/orders.lock"
      let script = """
        mkdir -p \(lake)/.lh/locks/sales && : > \(lock)
        flock \(lock) sh -c 'while [ ! -e \(d)/release ]; do sleep 0.05; done' & h=$!
        while flock -n \(lock) true; do sleep 0.02; done
        lh-pack compact --lake \(lake) --target-size \(target) --verbose 2> \(d)/compact.err & c=$!
        i=0
        while ! grep -q "waiting for" \(d)/compact.err && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
        cp \(d)/meanwhile.json \(orders)/_delta_log/\(DeltaLog.fileName(next))
        touch \(d)/release
        wait $c; echo $? > \(d)/compact.rc
        wait $h
        """
      _ = try TestTools.shell(script)
      let err = OverlapTests.read(dir, "compact.err")
      #expect(OverlapTests.read(dir, "compact.rc") == "0\n", "\(err)")
      #expect(err.contains("waiting for"), "\(err)")
      let after = try DeltaLog.snapshot(table: orders)
      let liveDay = { (day: String) in
        after.files.filter { $0.partitionValues["event_date"] == day }
      }
      // Every Parquet file of the two hot days on disk is one the log knows (no orphan).
      var known = Set<String>()
      for v in 0...after.version {
        for case .add(let a) in try DeltaLog.readCommit(table: orders, version: v) {
          known.insert(a.path)
        }
      }
      for day in ["2026-01-12", "2026-01-13"] {
        let files = try FileManager.default.contentsOfDirectory(
          atPath: orders + "/event_date=" + day)
        for f in files {
          #expect(known.contains("event_date=\(day)/\(f)"), "\(change): orphan \(f)")
        }
      }
      if change == "remove" {
        #expect(after.version == next + 1, "\(err)")
        #expect(err.contains("sales/orders: rewrote 6 files of 1 partition"), "\(err)")
        #expect(err.contains("sales/orders: left 6 files as they were"), "\(err)")
        #expect(liveDay("2026-01-12").count == 5)
        #expect(liveDay("2026-01-13").count == 1)
      } else {
        #expect(after.version == next, "\(err)")
        #expect(err.contains("sales/orders: committed nothing: version \(next) changed"), "\(err)")
        #expect(liveDay("2026-01-12").count == 6 && liveDay("2026-01-13").count == 6)
      }
    }
  }

  @Test(
    "landings, compactions, lh-silver and lh-gold all running at once: every landed line is in bronze exactly once, and bronze, silver and gold equal serial runs that never compacted"
  )
  func concurrentWithLandings() throws {
    let dir = try TestTools.temporaryDirectory("lh-pack-cron")
    let d = dir.path
    let files = 16
    let gen = try TestTools.shell(
      "mkdir -p \(d)/staging \(d)/ref/spool \(d)/run/spool && for i in $(seq 1 \(files)); do lh-gen --count 300 --seed $i --start 2026-01-01T00:00:00Z --duration 48h --duplicates 0.02 --malformed 0.01 --quiet -o \(d)/staging/e$i.ndjson || exit 1; done"
    )
    #expect(gen.status == 0, "\(gen.stderr)")
    // Serial, never compacted: one landing per file, then silver and gold.
    let serial = try TestTools.shell(
      "for i in $(seq 1 \(files)); do cp ../staging/e$i.ndjson spool/ && lh-bronze --lake lake --quiet spool/ || exit 1; done && lh-silver --lake lake --quiet && lh-gold --lake lake --quiet",
      currentDirectory: dir.appendingPathComponent("ref"))
    #expect(serial.status == 0, "\(serial.stderr)")
    // At once: a landing per file (the spool gets a file, renamed into place, then lands), while
    // a loop compacts every table and another refines and aggregates.
    let script = """
      ( for i in $(seq 1 \(files)); do
          cp ../staging/e$i.ndjson spool/.e$i.tmp && mv spool/.e$i.tmp spool/e$i.ndjson
          lh-bronze --lake lake --quiet spool/ 2>> land.err; echo $? >> land.rc
        done; touch landed ) &
      until [ -d lake ]; do sleep 0.05; done
      ( while [ ! -e landed ]; do
          lh-pack compact --lake lake 2>> compact.err; echo $? >> compact.rc
        done ) &
      ( while [ ! -e landed ]; do
          lh-silver --lake lake --quiet 2>> silver.err; echo $? >> silver.rc
          lh-gold --lake lake --quiet 2>> gold.err; echo $? >> gold.rc
        done ) &
      wait
      lh-pack compact --lake lake --quiet && lh-silver --lake lake --quiet && lh-gold --lake lake --quiet \
        && lh-pack compact --lake lake --quiet && lh-report status --lake lake --check --quiet
      """
    let run = try TestTools.shell(script, currentDirectory: dir.appendingPathComponent("run"))
    #expect(run.status == 0, "\(run.stderr)")
    let work = dir.appendingPathComponent("run")
    let landings = OverlapTests.read(work, "land.rc").split(separator: "\n")
    #expect(landings.count == files && landings.allSatisfy { $0 == "0" }, "\(landings)")
    #expect(OverlapTests.read(work, "land.err").isEmpty, "\(OverlapTests.read(work, "land.err"))")
    for loop in ["compact", "silver", "gold"] {
      let statuses = OverlapTests.read(work, loop + ".rc").split(separator: "\n")
      #expect(
        !statuses.isEmpty && statuses.allSatisfy { $0 == "0" },
        "\(loop): \(statuses) \(OverlapTests.read(work, loop + ".err"))")
    }
    let lake = d + "/run/lake"
    let reference = d + "/ref/lake"
    // Compactions did happen, some of them while commits were made.
    var optimizes = 0
    var overlapped = 0
    let bronze = lake + "/bronze/events"
    for v in try DeltaLog.versions(table: bronze) {
      let info = try Self.commitInfo(bronze, v)
      guard info["operation"] as? String == "OPTIMIZE" else { continue }
      optimizes += 1
      if let read = info["readVersion"] as? Int, read < Int(v) - 1 { overlapped += 1 }
    }
    // Size tiers (PackMaintenance.groups): a compaction waits until the files landed since the
    // last one add up to the newest compacted file, so a tight loop compacts a few times only.
    #expect(optimizes >= 1, "\(optimizes) compactions of bronze")
    print("compactions of bronze: \(optimizes), \(overlapped) with commits made meanwhile")
    let gold = try FileManager.default.contentsOfDirectory(atPath: reference + "/gold").sorted()
    #expect(gold.count >= 5, "\(gold)")
    for t in ["bronze/events", "silver/events", "silver/rejects"] + gold.map({ "gold/" + $0 }) {
      let ours = try tableRows(lake + "/" + t, dropping: OverlapTests.landing)
      let theirs = try tableRows(reference + "/" + t, dropping: OverlapTests.landing)
      #expect(
        ours.count == theirs.count && ours == theirs, "\(t): \(ours.count) vs \(theirs.count)")
    }
    let lines = try TestTools.shell("cat \(d)/staging/*.ndjson | wc -l")
    #expect(
      try tableRows(bronze).count
        == Int(
          String(decoding: lines.stdout, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            .trimmingCharacters(in: .newlines)))
  }
}

/// Log cleanup in `lh-pack vacuum` (issue 15): the `_delta_log` entries older than
/// `delta.logRetentionDuration` that precede a checkpoint go, nothing a version within the
/// retention needs.
@Suite("lh-pack vacuum log cleanup")
struct PackLogCleanupTests {
  static let day: Int64 = 86_400_000

  /// sales/orders with version 0 now and versions 1…12 one day apart after it (10 rows each),
  /// deltalake checkpoints of versions 4 and 8, and .crc files of versions 2, 5 and 9; returns
  /// the table, version 0's commit time, and each version's rows.
  static func table(_ lake: String, python: String, configuration: [String: String] = [:]) throws
    -> (path: String, t0: Int64, rows: [[String]])
  {
    let orders = lake + "/sales/orders"
    _ = try DeltaTable.openOrCreate(
      at: orders, schema: PackLakes.ordersSchema, partitionColumns: ["event_date"],
      engine: "lh-test", configuration: configuration)
    let t0 = try DeltaLog.commitTimestamp(table: orders, version: 0)
    for k in 1...12 {
      let snapshot = try DeltaLog.snapshot(table: orders)
      let adds = try DeltaTable.writeFiles(
        snapshot, columns: PackLakes.orders(k * 10..<k * 10 + 10))
      _ = try DeltaTable.commit(
        table: orders, readVersion: snapshot.version,
        actions: [
          .commitInfo(
            DeltaCommitInfo(
              timestamp: t0 + Int64(k) * day, operation: "WRITE",
              operationParameters: ["mode": "Append"], engineInfo: "lh-test"))
        ] + adds.map { .add($0) })
    }
    let script = """
      import sys, deltalake
      for v in (4, 8):
          deltalake.DeltaTable(sys.argv[1], version=v).create_checkpoint()
      print('ok', flush=True)
      import os; os._exit(0)
      """
    let p = try TestTools.run(python, ["-c", script, orders])
    #expect(p.status == 0 && p.output.contains("ok"), "\(p.output)\(p.stderr)")
    for v: Int64 in [2, 5, 9] {
      let name = String(DeltaLog.fileName(v).dropLast(5)) + ".crc"
      try Data("{}".utf8).write(to: URL(fileURLWithPath: orders + "/_delta_log/" + name))
    }
    let rows = try (0...12).map { try PackLakes.rows(orders, Int64($0)) }
    return (orders, t0, rows)
  }

  static func at(_ ms: Int64) -> String { RFC3339.string(micros: ms * 1000, fractionDigits: 3) }

  static func logNames(_ table: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: table + "/_delta_log").sorted()
  }

  /// The cleaned names: commits 0…7, the checkpoint of 4, the .crc of 2 and 5.
  static let cleaned: [String] =
    ((0...7).map { DeltaLog.fileName(Int64($0)) } + [
      "00000000000000000004.checkpoint.parquet", "00000000000000000002.crc",
      "00000000000000000005.crc",
    ]).sorted()

  @Test(
    "vacuum removes exactly the log entries before the newest checkpoint at or before the version current at the start of delta.logRetentionDuration; none without such a checkpoint; deltalake reads every version still within it"
  )
  func cleansLog() throws {
    guard let python = peersPython else {
      #expect(!peersRequired, "LH_PEERS_PYTHON is not set")
      return
    }
    let dir = try TestTools.temporaryDirectory("lh-pack-log")
    let lake = dir.appendingPathComponent("lake").path
    let (orders, t0, rows) = try Self.table(lake, python: python)
    let all = try Self.logNames(orders)
    #expect(
      all.contains("00000000000000000008.checkpoint.parquet") && all.contains("_last_checkpoint"))
    // The log retention (default 30 days) starts after version 3: no checkpoint at or before
    // it, nothing to clean.
    let early = try TestTools.run(
      "lh-pack", ["vacuum", "--lake", lake, "--now", Self.at(t0 + 33 * Self.day + Self.day / 2)])
    #expect(early.status == 0 && early.output.isEmpty, "\(early.output)\(early.stderr)")
    // It starts between versions 9 and 10: the checkpoint of 8 covers it.
    let now = Self.at(t0 + 39 * Self.day + Self.day / 2)
    let dry = try TestTools.run("lh-pack", ["vacuum", "--lake", lake, "--now", now])
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(
      dry.output.split(separator: "\n").map(String.init).sorted()
        == Self.cleaned.map { "sales/orders/_delta_log/" + $0 }, "\(dry.output)")
    #expect(dry.stderr.contains("11 of them _delta_log entries"), "\(dry.stderr)")
    #expect(try Self.logNames(orders) == all, "a dry run deleted something")
    let apply = try TestTools.run("lh-pack", ["vacuum", "--lake", lake, "--now", now, "--apply"])
    #expect(apply.status == 0, "\(apply.stderr)")
    #expect(apply.output == dry.output)
    #expect(try Self.logNames(orders) == all.filter { !Self.cleaned.contains($0) })
    #expect(
      try Self.logNames(orders) == [
        "00000000000000000008.checkpoint.parquet", "00000000000000000008.json",
        "00000000000000000009.crc", "00000000000000000009.json", "00000000000000000010.json",
        "00000000000000000011.json", "00000000000000000012.json", "_last_checkpoint",
      ])
    // deltalake reads the latest version and every one within the retention, as before; an
    // older one is gone.
    let expected = (8...12).map { "\($0):\(rows[$0].count)" }.joined(separator: " ")
    let script = """
      import sys, deltalake
      out = []
      for v in range(8, 13):
          out.append('%d:%d' % (v, deltalake.DeltaTable(sys.argv[1], version=v).to_pyarrow_table().num_rows))
      assert deltalake.DeltaTable(sys.argv[1]).version() == 12
      try:
          deltalake.DeltaTable(sys.argv[1], version=7).to_pyarrow_table()
          out.append('7 read')
      except Exception:
          pass
      print(' '.join(out), flush=True)
      import os; os._exit(0)
      """
    let p = try TestTools.run(python, ["-c", script, orders])
    #expect(p.status == 0 && p.output == expected + "\n", "\(p.output)\(p.stderr)")
    // A table whose property is no interval: one line, status 65.
    let other = lake + "/sales/bad"
    _ = try DeltaTable.openOrCreate(
      at: other, schema: PackLakes.ordersSchema, partitionColumns: ["event_date"],
      engine: "lh-test", configuration: ["delta.logRetentionDuration": "a month"])
    let bad = try TestTools.run("lh-pack", ["vacuum", "--lake", lake, "--table", "sales/bad"])
    #expect(bad.status == 65)
    #expect(
      bad.stderr
        == "lh-pack: \(other): table property delta.logRetentionDuration is 'a month', not an interval such as 'interval 30 days'\n"
    )
  }

  @Test("delta.logRetentionDuration sets the retention: interval 1 week cleans what 30 days keeps")
  func retentionProperty() throws {
    guard let python = peersPython else {
      #expect(!peersRequired, "LH_PEERS_PYTHON is not set")
      return
    }
    let dir = try TestTools.temporaryDirectory("lh-pack-log")
    let lake = dir.appendingPathComponent("lake").path
    let (orders, t0, _) = try Self.table(
      lake, python: python, configuration: ["delta.logRetentionDuration": "interval 1 week"])
    // A week before now is between versions 9 and 10.
    let r = try TestTools.run(
      "lh-pack",
      ["vacuum", "--lake", lake, "--now", Self.at(t0 + 16 * Self.day + Self.day / 2), "--apply"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try Self.logNames(orders).first == "00000000000000000008.checkpoint.parquet")
  }

  /// Needs the `ckpt` branch (lh reading checkpoints).
  ///
  /// Until it is merged, lh refuses a log whose version 0 is gone ("version 0 of the log is
  /// missing (only checkpoints left; lh reads JSON commits)"), and this test fails with that
  /// message. It is not disabled on purpose.
  @Test(
    "AFTER THE ckpt MERGE: lh reads a log vacuum cleaned — the latest version and every one within the retention — and time travel to a removed version fails with one line"
  )
  func lhReadsCleanedLog() throws {
    guard let python = peersPython else {
      #expect(!peersRequired, "LH_PEERS_PYTHON is not set")
      return
    }
    let dir = try TestTools.temporaryDirectory("lh-pack-log")
    let lake = dir.appendingPathComponent("lake").path
    let (orders, t0, rows) = try Self.table(lake, python: python)
    let now = Self.at(t0 + 39 * Self.day + Self.day / 2)
    let apply = try TestTools.run("lh-pack", ["vacuum", "--lake", lake, "--now", now, "--apply"])
    #expect(apply.status == 0, "\(apply.stderr)")
    #expect(!FileManager.default.fileExists(atPath: orders + "/_delta_log/" + DeltaLog.fileName(0)))
    do {
      #expect(try PackLakes.rows(orders) == rows[12])
      for v in 8...12 { #expect(try PackLakes.rows(orders, Int64(v)) == rows[v], "version \(v)") }
    } catch {
      Issue.record("lh cannot read the cleaned log: \(error)")
    }
    let gone = try TestTools.run(
      "lh-report", ["--lake", lake, "sales/orders", "--as-of", "7", "--format", "csv"])
    #expect(gone.status == 64 || gone.status == 65, "\(gone.status) \(gone.stderr)")
    #expect(
      gone.stderr.hasPrefix("lh-report: ") && gone.stderr.split(separator: "\n").count == 1,
      "\(gone.stderr)")
    // A second vacuum reads the cleaned table and finds nothing more in the log.
    let again = try TestTools.run("lh-pack", ["vacuum", "--lake", lake, "--now", now])
    #expect(again.status == 0 && again.output.isEmpty, "\(again.output)\(again.stderr)")
  }
}
