import Foundation
import LakeTable
import LakeTestSupport
import Testing

/// Runs `command` (a shell line) `n` times at once and waits for all; returns each run's exit
/// status and stderr. (Statuses go through files: see `LhBronzeTests.concurrent`.)
func together(_ n: Int, _ command: String, in dir: URL, label: String) throws -> [(
  status: Int, stderr: String
)] {
  let d = dir.path
  let script =
    (0..<n).map { "(\(command) 2> \(d)/\(label)\($0).err; echo $? > \(d)/\(label)\($0).rc) &" }
    .joined(separator: " ") + " wait"
  _ = try TestTools.shell(script)
  return (0..<n).map { i in
    let rc = (try? String(contentsOfFile: "\(d)/\(label)\(i).rc", encoding: .utf8)).flatMap {
      Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    let err = (try? String(contentsOfFile: "\(d)/\(label)\(i).err", encoding: .utf8)) ?? ""
    return (rc ?? -1, err)
  }
}

/// Overlapping runs (issue 14, item 6): every writing stage locks its output tables
/// (LAKE/.lh/locks/<table>.lock, flock), so runs started together all succeed and leave what
/// serial runs leave; `--no-wait` and `--wait` bound the wait; a holder killed with kill -9
/// blocks nobody.
@Suite("overlapping runs")
struct OverlapTests {
  /// Columns that record when or in which bronze version a row landed: equal only in content.
  static let landing: Set<String> = [
    "ingested_at", "ingest_date", "_ingested_at", "_bronze_version", "bronze_version",
  ]

  @Test(
    "4 runs of lh-bronze, then of lh-silver, then of lh-gold, started together: all exit 0, the lake equals serial runs"
  )
  func fourAtOnce() throws {
    let dir = try TestTools.temporaryDirectory("lh-overlap")
    let lake = dir.appendingPathComponent("lake").path
    let reference = dir.appendingPathComponent("ref").path
    var files: [String] = []
    for seed in 1...3 {
      let f = dir.appendingPathComponent("e\(seed).ndjson").path
      let gen = try TestTools.run(
        "lh-gen",
        [
          "--count", "20000", "--duplicates", "0.02", "--malformed", "0.01", "--seed", "\(seed)",
          "-o", f, "--quiet",
        ])
      #expect(gen.status == 0, "\(gen.stderr)")
      files.append(f)
    }
    let list = files.joined(separator: " ")
    let serial = try TestTools.shell(
      "lh-bronze --lake \(reference) --commit-every 5000 --quiet \(list) && lh-silver --lake \(reference) --quiet"
        + " && lh-gold --lake \(reference) --quiet")
    #expect(serial.status == 0, "\(serial.stderr)")

    for (label, command) in [
      ("bronze", "lh-bronze --lake \(lake) --commit-every 5000 --quiet \(list)"),
      ("silver", "lh-silver --lake \(lake) --quiet"),
      ("gold", "lh-gold --lake \(lake) --quiet"),
    ] {
      let runs = try together(4, command, in: dir, label: label)
      #expect(runs.map(\.status) == [0, 0, 0, 0], "\(label): \(runs)")
      #expect(runs.allSatisfy { $0.stderr.isEmpty }, "\(label): \(runs)")
    }
    var tables = ["bronze/events", "silver/events", "silver/rejects"]
    let gold = try FileManager.default.contentsOfDirectory(atPath: reference + "/gold").sorted()
    #expect(gold.count >= 5, "\(gold)")
    tables += gold.map { "gold/" + $0 }
    for t in tables {
      let ours = try tableRows(lake + "/" + t, dropping: Self.landing)
      let theirs = try tableRows(reference + "/" + t, dropping: Self.landing)
      #expect(
        ours.count == theirs.count && ours == theirs, "\(t): \(ours.count) vs \(theirs.count)")
    }
    // The locks are empty files outside every table, none held.
    let locks = try TestTools.shell(
      "cd \(lake) && find .lh -type f -printf '%p %s\\n' | sort")
    #expect(
      String(decoding: locks.stdout, as: UTF8.self)
        == (["bronze/events", "silver/events", "silver/rejects"] + gold.map { "gold/" + $0 })
        .sorted().map { ".lh/locks/\($0).lock 0\n" }.joined(),
      "\(String(decoding: locks.stdout, as: UTF8.self))")
  }

  /// The text of `dir/name`, or "" when missing.
  static func read(_ dir: URL, _ name: String) -> String {
    (try? String(contentsOfFile: dir.appendingPathComponent(name).path, encoding: .utf8)) ?? ""
  }

  @Test(
    "a held lock: --no-wait exits 75 at once naming the table and the holder; --wait 1s gives up with 75; kill -9 of the holder blocks nobody"
  )
  func heldLock() throws {
    let dir = try TestTools.temporaryDirectory("lh-overlap")
    let d = dir.path
    let lake = d + "/lake"
    #expect(
      try TestTools.run("lh-gen", ["--count", "500", "--seed", "5", "-o", d + "/e.ndjson", "-q"])
        .status == 0)
    #expect(
      try TestTools.run("lh-gen", ["--count", "300", "--seed", "6", "-o", d + "/f.ndjson", "-q"])
        .status == 0)
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet", d + "/e.ndjson"]).status == 0)
    #expect(try TestTools.run("lh-silver", ["--lake", lake, "--quiet"]).status == 0)
    // A real holder: lh-bronze landing a FIFO whose writer says nothing holds bronze's lock.
    // Everything that runs beside it runs in this one script, which ends them all.
    let script = """
      mkfifo \(d)/spool.fifo
      sleep 60 > \(d)/spool.fifo 2> /dev/null & w=$!
      lh-bronze --lake \(lake) --quiet \(d)/spool.fifo > /dev/null 2>&1 & p=$!
      i=0
      while [ $i -lt 200 ] && flock -n \(lake)/.lh/locks/bronze/events.lock true 2> /dev/null; do
        sleep 0.05; i=$((i+1))
      done
      echo $p > \(d)/pid
      lh-bronze --lake \(lake) --no-wait \(d)/e.ndjson 2> \(d)/nowait.err; echo $? > \(d)/nowait.rc
      s=$(date +%s%N)
      lh-bronze --lake \(lake) --wait 1s \(d)/e.ndjson 2> \(d)/wait.err; echo $? > \(d)/wait.rc
      echo $(( ($(date +%s%N) - s) / 1000000 )) > \(d)/wait.ms
      lh-silver --lake \(lake) --no-wait --quiet 2> \(d)/silver.err; echo $? > \(d)/silver.rc
      kill -KILL $p
      kill -KILL $w
      wait
      lh-bronze --lake \(lake) --no-wait \(d)/f.ndjson 2> \(d)/after.err; echo $? > \(d)/after.rc
      """
    _ = try TestTools.shell(script)
    let pid = Self.read(dir, "pid").trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(Int(pid) != nil)
    #expect(Self.read(dir, "nowait.rc") == "75\n")
    #expect(
      Self.read(dir, "nowait.err")
        == "lh-bronze: \(lake)/bronze/events is being written by another run (pid \(pid)); not waiting (--no-wait)\n"
    )
    #expect(Self.read(dir, "wait.rc") == "75\n")
    #expect(
      Self.read(dir, "wait.err")
        == "lh-bronze: \(lake)/bronze/events is still being written by another run (pid \(pid)) after waiting 1s; try again later or raise --wait\n"
    )
    let ms = Int(Self.read(dir, "wait.ms").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    #expect(ms >= 1000 && ms < 10_000, "\(ms) ms")
    // Other tables are not held: silver runs meanwhile.
    #expect(Self.read(dir, "silver.rc") == "0\n", "\(Self.read(dir, "silver.err"))")
    // kill -9: the kernel let go of the lock; the next run landed at once.
    #expect(Self.read(dir, "after.rc") == "0\n", "\(Self.read(dir, "after.err"))")
    #expect(
      Self.read(dir, "after.err").contains("landed 300 lines"), "\(Self.read(dir, "after.err"))")
  }

  @Test("--wait and --no-wait together are a usage error; readers and dry runs never lock")
  func flagsAndReaders() throws {
    let dir = try TestTools.temporaryDirectory("lh-overlap")
    let d = dir.path
    let lake = d + "/lake"
    let r = try TestTools.run("lh-silver", ["--lake", lake, "--wait", "1s", "--no-wait"])
    #expect(r.status == 64)
    #expect(r.stderr.hasPrefix("lh-silver: --wait and --no-wait do not go together\n"))
    let gen = try TestTools.run("lh-gen", ["--count", "200", "--quiet"])
    #expect(
      try TestTools.run("lh-bronze", ["--lake", lake, "--quiet"], stdin: gen.stdout).status == 0)
    // Bronze's and silver's locks held by flock(1) in a shell that then becomes `sleep`.
    let locks = lake + "/.lh/locks"
    let script = """
      mkdir -p \(locks)/silver \(locks)/bronze
      sh -c 'exec 8>> \(locks)/silver/events.lock; flock 8; exec 9>> \(locks)/bronze/events.lock; flock 9; exec sleep 30' > /dev/null 2>&1 & h=$!
      i=0
      while [ $i -lt 200 ] && flock -n \(locks)/bronze/events.lock true; do sleep 0.05; i=$((i+1)); done
      run() { name=$1; shift; "$@" > /dev/null 2> \(d)/$name.err; echo $? > \(d)/$name.rc; }
      run status lh-report status --lake \(lake)
      run archive lh-pack archive --lake \(lake) -o \(d)/a.tar.zst
      run dry lh-silver --lake \(lake) --dry-run
      run silver lh-silver --lake \(lake) --no-wait
      run compact lh-pack compact --lake \(lake) --no-wait
      kill -KILL $h
      wait
      """
    _ = try TestTools.shell(script)
    for reader in ["status", "archive", "dry"] {
      #expect(
        Self.read(dir, reader + ".rc") == "0\n", "\(reader): \(Self.read(dir, reader + ".err"))")
    }
    #expect(Self.read(dir, "silver.rc") == "75\n")
    // One line naming the table and the pid holding it (the sleep the holding shell became).
    let said = Self.read(dir, "silver.err")
    let prefix = "lh-silver: \(lake)/silver/events is being written by another run (pid "
    #expect(said.hasPrefix(prefix) && said.hasSuffix("); not waiting (--no-wait)\n"), "\(said)")
    #expect(
      Int(said.dropFirst(prefix.count).prefix { $0 != ")" }) != nil
        && said.split(separator: "\n").count == 1, "\(said)")
    // compact takes a table's lock only to commit (issue 15): with nothing to compact (one
    // file), it does not need bronze's lock and exits 0.
    #expect(Self.read(dir, "compact.rc") == "0\n", "\(Self.read(dir, "compact.err"))")
  }
}
