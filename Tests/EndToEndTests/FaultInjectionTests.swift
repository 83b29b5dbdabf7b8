import Foundation
import LakeFormats
import LakeIO
import LakeTable
import LakeTestSupport
import Testing

/// The fault-injection shim of `tests/fault/faultinject.c`, compiled once per test process.
///
/// It is loaded into a tool with `LD_PRELOAD` and fails the Nth write-family call (write,
/// fsync, close, open with O_CREAT, rename, link, mkdir) on a file under a directory, with
/// ENOSPC, EIO, EDQUOT or a short write; in counting mode it only logs the calls.
enum FaultShim {
  /// The path of the built shared library, or why it could not be built.
  static let library: Result<String, FaultShimError> = build()

  static func build() -> Result<String, FaultShimError> {
    do {
      let source = TestTools.repositoryRoot().appendingPathComponent("tests/fault/faultinject.c")
      let dir = try TestTools.temporaryDirectory("lh-fault-shim")
      let out = dir.appendingPathComponent("libfaultinject.so").path
      let r = try TestTools.shell(
        "${CC:-cc} -shared -fPIC -O1 -Wall -o '\(out)' '\(source.path)' -ldl")
      guard r.status == 0 else { return .failure(FaultShimError(message: r.stderr)) }
      return .success(out)
    } catch {
      return .failure(FaultShimError(message: "\(error)"))
    }
  }

  /// A fault: which counted call fails, and how.
  struct Fault: CustomStringConvertible {
    var at: Int
    var kind: String
    var description: String { "\(kind) at call \(at)" }
  }

  /// What a run under the shim did.
  struct Run {
    var result: ToolResult
    /// The counted calls, in order: operation and path.
    var calls: [(op: String, path: String)]
    /// The `fired N op how path` line, when the fault was injected.
    var fired: (op: String, how: String, path: String)?
  }

  /// Runs `tool` with the shim counting calls under `prefix` and failing `fault`, if given.
  static func run(
    _ tool: String, _ arguments: [String], prefix: String, fault: Fault?, log: String
  ) throws -> Run {
    let library = try library.get()
    try? FileManager.default.removeItem(atPath: log)
    var env = [
      "LD_PRELOAD": library, "LH_FAULT_PREFIX": prefix, "LH_FAULT_LOG": log, "LH_FAULT_AT": "0",
    ]
    if let fault {
      env["LH_FAULT_AT"] = String(fault.at)
      env["LH_FAULT_KIND"] = fault.kind
    }
    let result = try TestTools.run(tool, arguments, environment: env)
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    var calls: [(String, String)] = []
    var fired: (String, String, String)?
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false).map(
        String.init)
      if parts.first == "fired", parts.count == 5 {
        fired = (parts[2], parts[3], parts[4])
      } else if parts.count >= 3 {
        calls.append((parts[1], parts[2...].joined(separator: " ")))
      }
    }
    return Run(result: result, calls: calls, fired: fired)
  }
}

/// The shim could not be compiled.
struct FaultShimError: Error, CustomStringConvertible {
  var message: String
  var description: String { "cannot build tests/fault/faultinject.c: \(message)" }
}

/// One tool run to break at every write point: how to make the lake before it, the command,
/// and which tables it writes.
struct FaultScenario {
  var tool: String
  /// The tool's arguments for a run in the given directory (its lake is `lake/` there).
  var arguments: (String) -> [String]
  /// The tables (relative to the lake) the run commits to.
  var tables: [String]
  /// Checks what the run makes outside the tables (in the run directory), after the faulty
  /// run (false) and after the rerun (true).
  var checkOutputs: ((String, Bool) throws -> Void)? = nil
  /// Whether a fault may miss its call (worker threads make the number of calls vary).
  var mayNotFire = false
}

/// Per table, the rows at each version.
typealias TableHistory = [String: [Int64: Int]]

/// Fault injection at every write point of a commit (issue 9).
///
/// For lh-bronze, lh-silver, lh-gold and lh-pack, a run under the shim counts the calls that
/// write into the lake; then, for each call N in turn, a fresh copy of the lake is run with call N failing (ENOSPC, EIO, EDQUOT or a
/// short write, in rotation). After each: the fault fired; the status is 74 with one line naming
/// the tool and a file of the lake (or 0 when a short write was completed by a retry); every
/// table is at a version the clean run made, with that version's row count, every file it
/// references exists and reads in full; no temporary file lingers; and a rerun without faults
/// succeeds and ends with the clean run's rows, nothing lost and nothing doubled.
@Suite("fault injection")
struct FaultInjectionTests {
  /// NDJSON of `count` events of one day from `seed`, into `path`.
  static func generate(_ path: String, seed: Int, count: Int, start: String) throws {
    let r = try TestTools.shell(
      "lh-gen --seed \(seed) --count \(count) --duration 6h --start \(start) --duplicates 0.05 --malformed 0.05 --quiet > '\(path)'"
    )
    #expect(r.status == 0, "\(r.stderr)")
  }

  /// The rows of each table at each of its versions.
  static func history(_ lake: String, _ tables: [String]) throws -> TableHistory {
    var out: TableHistory = [:]
    for t in tables {
      let path = lake + "/" + t
      var versions: [Int64: Int] = [:]
      for v in try DeltaLog.versions(table: path) {
        versions[v] = try rows(path, version: v)
      }
      out[t] = versions
    }
    return out
  }

  /// The rows of a table at `version` (latest when nil), reading every file it references in
  /// full; -1 when the table does not exist.
  static func rows(_ table: String, version: Int64? = nil) throws -> Int {
    if try DeltaLog.versions(table: table).isEmpty { return -1 }
    let snapshot = try DeltaLog.snapshot(
      table: table, asOf: version.map { .version($0) } ?? .latest)
    var n = 0
    try DeltaScan.forEachBatch(snapshot) { batch in n += batch.first?.count ?? 0 }
    return n
  }

  /// Temporary files under `dir`: a writer's `.name.tmp`, a commit's `_commit_*.json.tmp`,
  /// lh-pack's `.lh-*`.
  static func leftovers(_ dir: String) throws -> [String] {
    let r = try TestTools.shell(
      "cd '\(dir)' && find . \\( -name '*.tmp' -o -name '.lh-*' -o -name '.*.tmp*' \\) -print")
    return r.output.split(separator: "\n").map(String.init)
  }

  /// The kinds of fault for call `n`: an error rotating over ENOSPC, EIO and EDQUOT, and for a
  /// call that moves bytes a short write too.
  static func kinds(for op: String, _ n: Int) -> [String] {
    let error = ["eio", "enospc", "edquot"][n % 3]
    return op.hasPrefix("write") || op.hasPrefix("pwrite") ? ["short", error] : [error]
  }

  /// The C library's text for each injected errno, as the tools print it.
  static let reasons = [
    "eio": "input/output error", "enospc": "no space left on device",
    "edquot": "disk quota exceeded", "efbig": "file too large",
  ]

  /// Copies `from` to a fresh `to`.
  static func copy(_ from: URL, to: URL) throws {
    try? FileManager.default.removeItem(at: to)
    let r = try TestTools.shell("cp -a '\(from.path)' '\(to.path)'")
    #expect(r.status == 0, "\(r.stderr)")
  }

  /// Breaks `scenario` at every write point of its run on a copy of `base` (a directory
  /// holding `lake/`); returns how many faults fired.
  @discardableResult
  static func sweep(_ scenario: FaultScenario, base: URL) throws -> Int {
    let work = base.deletingLastPathComponent()
    let log = work.appendingPathComponent("\(scenario.tool).fault.log").path

    // The clean run under the shim: its calls and the history it makes.
    let reference = work.appendingPathComponent("reference")
    try copy(base, to: reference)
    let refLake = reference.appendingPathComponent("lake").path
    let before = try history(refLake, scenario.tables)
    let clean = try FaultShim.run(
      scenario.tool, scenario.arguments(reference.path), prefix: reference.path, fault: nil,
      log: log)
    try #require(clean.result.status == 0, "\(clean.result.stderr)")
    try #require(clean.fired == nil)
    let after = try history(refLake, scenario.tables)
    let final = try scenario.tables.map { try rows(refLake + "/" + $0) }
    let points = clean.calls
    try #require(points.count >= 8, "too few write points: \(points.count)")
    for t in scenario.tables {
      try #require(
        (after[t]?.keys.max() ?? -1) > (before[t]?.keys.max() ?? -1), "\(t) got no commit")
    }

    let run = work.appendingPathComponent("run")
    let lake = run.appendingPathComponent("lake").path
    /// Runs with `fault` on a fresh copy and checks the outcome; true when the fault fired.
    func inject(_ fault: FaultShim.Fault, _ point: (op: String, path: String)) throws -> Bool {
      let what = "\(scenario.tool) with \(fault) (\(point.op) \(point.path))"
      try copy(base, to: run)
      let r = try FaultShim.run(
        scenario.tool, scenario.arguments(run.path), prefix: run.path, fault: fault, log: log)
      if r.fired == nil && !scenario.mayNotFire {
        Issue.record("\(what): the fault did not fire (\(r.calls.count) calls)")
        return false
      }
      let stderr = r.result.stderr
      // A cache in a table's `_lh/` (lh-bronze's files seen, lh-silver's key index) that cannot
      // be written is passed over: the run has committed, and the next one reads the data.
      let cache = r.fired.map { $0.path.contains("/_lh/") || $0.path.hasSuffix("/_lh") } ?? false
      if r.fired?.how ?? "short" == "short" || cache {
        // A short write is not an error: the writer must finish the rest itself.
        #expect(r.result.status == 0, "\(what): status \(r.result.status): \(stderr)")
      } else {
        #expect(r.result.status == 74, "\(what): status \(r.result.status): \(stderr)")
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "\(what): not one line: \(stderr)")
        #expect(stderr.hasPrefix("\(scenario.tool): "), "\(what): \(stderr)")
        #expect(stderr.contains(run.path), "\(what): names no file: \(stderr)")
        // The message carries the injected error, so the fault is what stopped the run.
        let reason = Self.reasons[r.fired?.how ?? ""] ?? "?"
        #expect(stderr.hasSuffix(": \(reason)\n"), "\(what): not '\(reason)': \(stderr)")
        if let shot = r.fired, shot.op == "fsync", shot.path.hasSuffix("/_delta_log") {
          // The log entry is linked: the message must say the version is committed.
          #expect(stderr.contains(" is committed, but fsync: "), "\(what): \(stderr)")
        }
      }
      // Each table is at a version the clean run made, whole.
      for t in scenario.tables {
        let now = try rows(lake + "/" + t)
        let versions = try DeltaLog.versions(table: lake + "/" + t)
        let latest = versions.max() ?? -1
        let expected = latest < 0 ? -1 : after[t]?[latest]
        #expect(
          latest >= (before[t]?.keys.max() ?? -1) && now == expected,
          "\(what): \(t) at version \(latest) has \(now) rows, the clean run \(expected ?? -2)")
      }
      try scenario.checkOutputs?(run.path, false)
      let left = try leftovers(run.path)
      #expect(left.isEmpty, "\(what): left \(left)")
      // A rerun without faults finishes the job: the clean run's rows, nothing lost or doubled.
      let again = try TestTools.run(scenario.tool, scenario.arguments(run.path))
      #expect(again.status == 0, "\(what): the rerun failed: \(again.stderr)")
      let rerun = try scenario.tables.map { try rows(lake + "/" + $0) }
      #expect(rerun == final, "\(what): after a rerun \(rerun), the clean run \(final)")
      try scenario.checkOutputs?(run.path, true)
      return r.fired != nil
    }
    var fired = 0
    for (i, point) in points.enumerated() {
      for kind in kinds(for: point.op, i + 1) {
        if try inject(FaultShim.Fault(at: i + 1, kind: kind), point) { fired += 1 }
      }
    }
    return fired
  }

  /// A directory `base/` holding `lake/` and the inputs, under a symlink-free temp path (the
  /// shim compares paths by prefix).
  static func workspace(_ label: String) throws -> (work: URL, base: URL) {
    let work = try TestTools.temporaryDirectory(label).resolvingSymlinksInPath()
    let base = work.appendingPathComponent("base")
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    return (work, base)
  }

  @Test("lh-bronze appending two commits to a table: unchanged or wholly committed at each fault")
  func bronze() throws {
    let (work, base) = try Self.workspace("lh-fault-bronze")
    let lake = base.appendingPathComponent("lake").path
    let first = work.appendingPathComponent("first.ndjson").path
    let second = work.appendingPathComponent("second.ndjson").path
    try Self.generate(first, seed: 3, count: 300, start: "2026-01-01T00:00:00Z")
    try Self.generate(second, seed: 4, count: 400, start: "2026-01-02T00:00:00Z")
    let landed = try TestTools.run("lh-bronze", ["--lake", lake, "--quiet", first])
    try #require(landed.status == 0, "\(landed.stderr)")
    let scenario = FaultScenario(
      tool: "lh-bronze",
      arguments: {
        ["--lake", $0 + "/lake", "--commit-every", "200", "--threads", "1", "--quiet", second]
      },
      tables: ["bronze/events"])
    let fired = try Self.sweep(scenario, base: base)
    #expect(fired >= 20, "\(fired) faults fired")
  }

  @Test("lh-silver on new bronze commits: each of its two tables unchanged or wholly committed")
  func silver() throws {
    let (work, base) = try Self.workspace("lh-fault-silver")
    let lake = base.appendingPathComponent("lake").path
    let first = work.appendingPathComponent("first.ndjson").path
    let second = work.appendingPathComponent("second.ndjson").path
    try Self.generate(first, seed: 3, count: 300, start: "2026-01-01T00:00:00Z")
    try Self.generate(second, seed: 4, count: 300, start: "2026-01-02T00:00:00Z")
    for (args) in [
      ["lh-bronze", "--lake", lake, "--quiet", first], ["lh-silver", "--lake", lake, "--quiet"],
      ["lh-bronze", "--lake", lake, "--quiet", second],
    ] {
      let r = try TestTools.run(args[0], Array(args.dropFirst()))
      try #require(r.status == 0, "\(r.stderr)")
    }
    let scenario = FaultScenario(
      tool: "lh-silver", arguments: { ["--lake", $0 + "/lake", "--threads", "1", "--quiet"] },
      tables: ["silver/events", "silver/rejects"])
    let fired = try Self.sweep(scenario, base: base)
    #expect(fired >= 20, "\(fired) faults fired")
  }

  @Test(
    "lh-gold replacing the days new silver rows touched in one table and creating another: each unchanged or committed"
  )
  func gold() throws {
    let (work, base) = try Self.workspace("lh-fault-gold")
    let lake = base.appendingPathComponent("lake").path
    let first = work.appendingPathComponent("first.ndjson").path
    let second = work.appendingPathComponent("second.ndjson").path
    try Self.generate(first, seed: 3, count: 300, start: "2026-01-01T00:00:00Z")
    try Self.generate(second, seed: 4, count: 300, start: "2026-01-01T12:00:00Z")
    let tables = ["--table", "daily_active_users", "--table", "events_per_minute"]
    for (args) in [
      ["lh-bronze", "--lake", lake, "--quiet", first], ["lh-silver", "--lake", lake, "--quiet"],
      ["lh-gold", "--lake", lake, "--quiet", "--table", "daily_active_users"],
      ["lh-bronze", "--lake", lake, "--quiet", second], ["lh-silver", "--lake", lake, "--quiet"],
    ] {
      let r = try TestTools.run(args[0], Array(args.dropFirst()))
      try #require(r.status == 0, "\(r.stderr)")
    }
    let scenario = FaultScenario(
      tool: "lh-gold", arguments: { ["--lake", $0 + "/lake", "--quiet"] + tables },
      tables: ["gold/daily_active_users", "gold/events_per_minute"])
    let fired = try Self.sweep(scenario, base: base)
    #expect(fired >= 20, "\(fired) faults fired")
  }

  @Test("lh-pack compact: the table unchanged or wholly compacted at each fault")
  func compact() throws {
    let (work, base) = try Self.workspace("lh-fault-compact")
    let lake = base.appendingPathComponent("lake").path
    let input = work.appendingPathComponent("events.ndjson").path
    try Self.generate(input, seed: 5, count: 600, start: "2026-01-01T00:00:00Z")
    let landed = try TestTools.run(
      "lh-bronze", ["--lake", lake, "--commit-every", "150", "--threads", "1", "--quiet", input])
    try #require(landed.status == 0, "\(landed.stderr)")
    let scenario = FaultScenario(
      tool: "lh-pack",
      arguments: { ["compact", "--lake", $0 + "/lake", "--table", "bronze/events", "--quiet"] },
      tables: ["bronze/events"])
    let fired = try Self.sweep(scenario, base: base)
    #expect(fired >= 8, "\(fired) faults fired")
  }

  @Test("lh-bronze with two writer threads: every fault that fires ends in 74 or a whole commit")
  func bronzeLanes() throws {
    let (work, base) = try Self.workspace("lh-fault-lanes")
    let lake = base.appendingPathComponent("lake").path
    let first = work.appendingPathComponent("first.ndjson").path
    let second = work.appendingPathComponent("second.ndjson").path
    try Self.generate(first, seed: 3, count: 300, start: "2026-01-01T00:00:00Z")
    try Self.generate(second, seed: 4, count: 3000, start: "2026-01-02T00:00:00Z")
    let landed = try TestTools.run("lh-bronze", ["--lake", lake, "--quiet", first])
    try #require(landed.status == 0, "\(landed.stderr)")
    // Small chunks, so that both lanes get rows of each commit.
    let scenario = FaultScenario(
      tool: "lh-bronze",
      arguments: {
        ["--lake", $0 + "/lake", "--commit-every", "1500", "--threads", "2", "--quiet", second]
      },
      tables: ["bronze/events"], mayNotFire: true)
    let fired = try Self.sweep(scenario, base: base)
    #expect(fired >= 16, "\(fired) faults fired")
  }

  @Test("lh-silver's first run, creating both tables: each absent, empty or wholly committed")
  func silverCreates() throws {
    let (work, base) = try Self.workspace("lh-fault-silver-new")
    let lake = base.appendingPathComponent("lake").path
    let first = work.appendingPathComponent("first.ndjson").path
    try Self.generate(first, seed: 3, count: 400, start: "2026-01-01T20:00:00Z")
    let landed = try TestTools.run(
      "lh-bronze", ["--lake", lake, "--commit-every", "200", "--quiet", first])
    try #require(landed.status == 0, "\(landed.stderr)")
    let scenario = FaultScenario(
      tool: "lh-silver", arguments: { ["--lake", $0 + "/lake", "--threads", "1", "--quiet"] },
      tables: ["silver/events", "silver/rejects"])
    let fired = try Self.sweep(scenario, base: base)
    #expect(fired >= 30, "\(fired) faults fired")
  }

  @Test(
    "lh-pack archive --remove: no archive or a verified one, and the lake unchanged or the removal committed"
  )
  func archiveRemove() throws {
    let (work, base) = try Self.workspace("lh-fault-archive")
    let lake = base.appendingPathComponent("lake").path
    let input = work.appendingPathComponent("events.ndjson").path
    try Self.generate(input, seed: 5, count: 600, start: "2026-01-01T12:00:00Z")
    for args in [
      ["lh-bronze", "--lake", lake, "--quiet", input], ["lh-silver", "--lake", lake, "--quiet"],
    ] {
      let r = try TestTools.run(args[0], Array(args.dropFirst()))
      try #require(r.status == 0, "\(r.stderr)")
    }
    let before = try Self.rows(lake + "/silver/events")
    let scenario = FaultScenario(
      tool: "lh-pack",
      arguments: {
        [
          "archive", "--lake", $0 + "/lake", "--table", "silver/events", "--before", "2026-01-02",
          "--remove", "-o", $0 + "/old.tar.zst", "--quiet",
        ]
      },
      tables: ["silver/events"],
      checkOutputs: { run, rerun in
        let archive = run + "/old.tar.zst"
        let exists = FileManager.default.fileExists(atPath: archive)
        let now = try Self.rows(run + "/lake/silver/events")
        if exists || rerun {
          let v = try TestTools.run("lh-pack", ["verify", archive, "--quiet"])
          #expect(v.status == 0, "\(archive) (rerun: \(rerun)): \(v.stderr)")
        }
        // Nothing leaves the lake unless the archive holding it is in place.
        #expect(now == before || exists, "\(now) rows of \(before) left, and no archive")
      })
    let fired = try Self.sweep(scenario, base: base)
    #expect(fired >= 12, "\(fired) faults fired")
  }

  @Test("lh-pack restore into a new lake: each table absent, a prefix of its log, or whole")
  func restore() throws {
    let (work, base) = try Self.workspace("lh-fault-restore")
    let source = work.appendingPathComponent("source").path
    let input = work.appendingPathComponent("events.ndjson").path
    let archive = work.appendingPathComponent("lake.tar.zst").path
    try Self.generate(input, seed: 5, count: 600, start: "2026-01-01T12:00:00Z")
    for args in [
      ["lh-bronze", "--lake", source, "--commit-every", "300", "--quiet", input],
      ["lh-silver", "--lake", source, "--quiet"],
      ["lh-pack", "archive", "--lake", source, "-o", archive, "--quiet"],
    ] {
      let r = try TestTools.run(args[0], Array(args.dropFirst()))
      try #require(r.status == 0, "\(r.stderr)")
    }
    let scenario = FaultScenario(
      tool: "lh-pack",
      arguments: { ["restore", archive, "-C", $0 + "/lake", "--quiet"] },
      tables: ["bronze/events", "silver/events", "silver/rejects"])
    let fired = try Self.sweep(scenario, base: base)
    #expect(fired >= 60, "\(fired) faults fired")
  }

  @Test("lh-silver --rebuild replacing both tables in one commit each: old or new, never mixed")
  func silverRebuild() throws {
    let (work, base) = try Self.workspace("lh-fault-rebuild")
    let lake = base.appendingPathComponent("lake").path
    let first = work.appendingPathComponent("first.ndjson").path
    let second = work.appendingPathComponent("second.ndjson").path
    try Self.generate(first, seed: 3, count: 300, start: "2026-01-01T00:00:00Z")
    try Self.generate(second, seed: 4, count: 300, start: "2026-01-02T00:00:00Z")
    for args in [
      ["lh-bronze", "--lake", lake, "--quiet", first], ["lh-silver", "--lake", lake, "--quiet"],
      ["lh-bronze", "--lake", lake, "--quiet", second], ["lh-silver", "--lake", lake, "--quiet"],
    ] {
      let r = try TestTools.run(args[0], Array(args.dropFirst()))
      try #require(r.status == 0, "\(r.stderr)")
    }
    let scenario = FaultScenario(
      tool: "lh-silver",
      arguments: { ["--lake", $0 + "/lake", "--rebuild", "--threads", "1", "--quiet"] },
      tables: ["silver/events", "silver/rejects"])
    let fired = try Self.sweep(scenario, base: base)
    #expect(fired >= 20, "\(fired) faults fired")
  }
}
