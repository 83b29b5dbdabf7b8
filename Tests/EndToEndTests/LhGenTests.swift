import Foundation
import LakeFormats
import LakeTestSupport
import Testing

@Suite("lh-gen end to end")
struct LhGenTests {
  @Test("two runs with the same seed write identical bytes")
  func determinism() throws {
    let a = try TestTools.run(
      "lh-gen",
      [
        "--count", "30000", "--seed", "5", "--late", "0.1", "--duplicates", "0.02", "--malformed",
        "0.01",
      ])
    let b = try TestTools.run(
      "lh-gen",
      [
        "--count", "30000", "--seed", "5", "--late", "0.1", "--duplicates", "0.02", "--malformed",
        "0.01",
      ])
    #expect(a.status == 0 && b.status == 0)
    #expect(a.stdout == b.stdout)
    #expect(a.lines.count == 30_000)
  }

  @Test("every line of default output is a JSON object with the contract's fields and types")
  func defaultOutputParses() throws {
    let r = try TestTools.run("lh-gen", ["--count", "20000"])
    #expect(r.status == 0)
    let expected: [(String, (Any) -> Bool)] = [
      ("event_id", { $0 is String }), ("user_id", { $0 is Int }), ("session_id", { $0 is String }),
      ("event_type", { $0 is String }), ("page", { $0 is String }), ("source", { $0 is String }),
      ("product_id", { $0 is String || $0 is NSNull }), ("price", { $0 is Double || $0 is NSNull }),
      ("quantity", { $0 is Int || $0 is NSNull }), ("currency", { $0 is String || $0 is NSNull }),
      ("country", { $0 is String }), ("ts", { ($0 as? String).flatMap(RFC3339.parse) != nil }),
    ]
    let lines = r.lines
    #expect(lines.count == 20_000)
    for line in lines {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
      #expect(object.count == expected.count)
      for (key, check) in expected {
        #expect(
          object[key].map(check) == true, "\(key) in \(String(decoding: line, as: UTF8.self))")
      }
    }
    // Keys come in schema order.
    let first = String(decoding: lines[0], as: UTF8.self)
    let positions = expected.map { first.range(of: "\"\($0.0)\":")!.lowerBound }
    #expect(positions == positions.sorted())
  }

  @Test("the summary on stderr counts each fault; --quiet silences it")
  func summary() throws {
    let r = try TestTools.run(
      "lh-gen", ["--count", "1000", "--duplicates", "0.1", "--malformed", "0.1"])
    #expect(r.status == 0)
    #expect(r.stderr.hasPrefix("lh-gen: 1000 lines: "))
    #expect(r.stderr.contains("duplicates") && r.stderr.contains("wrong_type"))
    #expect(r.stderr.split(separator: "\n").count == 1)
    let q = try TestTools.run("lh-gen", ["--count", "1000", "--quiet"])
    #expect(q.status == 0 && q.stderr.isEmpty && q.lines.count == 1000)
  }

  @Test(
    "bad flags exit 64 with a one-line message and a usage line",
    arguments: [
      ["--count", "-5"], ["--bogus"], ["--contract", "weather"], ["--late", "2"],
      ["--duration", "6x"], ["--burst", "100:5:60"], ["--follow", "--start", "2026-01-01"],
      ["--rate", "0"], ["--duplicates", "0.6", "--malformed", "0.6"], ["--seed", "abc"],
    ])
  func badFlags(arguments: [String]) throws {
    let r = try TestTools.run("lh-gen", arguments)
    #expect(r.status == 64)
    #expect(r.stdout.isEmpty)
    let lines = r.stderr.split(separator: "\n")
    #expect(lines.first?.hasPrefix("lh-gen: ") == true, "\(r.stderr)")
    #expect(lines.contains { $0.hasPrefix("lh-gen: usage: lh-gen ") }, "\(r.stderr)")
  }

  @Test("a reader closing the pipe early is not an error: | head -1 exits 0")
  func headExitsZero() throws {
    // pipefail makes the pipeline's status lh-gen's own when it is not 0.
    let p = try TestTools.run(
      "/bin/bash", ["-c", "set -o pipefail; lh-gen --count 5000000 | head -1"])
    #expect(p.status == 0, "\(p.stderr)")
    #expect(p.stderr.isEmpty)
    #expect(p.lines.count == 1)
  }

  @Test("a full disk exits 74 with a clear message")
  func devFull() throws {
    let r = try TestTools.shell("lh-gen --count 100000 > /dev/full")
    #expect(r.status == 74)
    #expect(r.stderr == "lh-gen: stdout: write: no space left on device\n")
    let o = try TestTools.run("lh-gen", ["--count", "100000", "-o", "/dev/full"])
    #expect(o.status == 74)
  }

  @Test("--output writes a file; an uncreatable one exits 73")
  func outputFile() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("events.ndjson").path
    let r = try TestTools.run("lh-gen", ["--count", "500", "--seed", "2", "-o", path])
    #expect(r.status == 0 && r.stdout.isEmpty)
    let direct = try TestTools.run("lh-gen", ["--count", "500", "--seed", "2"])
    #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == direct.stdout)
    let bad = try TestTools.run("lh-gen", ["--count", "5", "-o", "/nonexistent/dir/x.ndjson"])
    #expect(bad.status == 73)
    #expect(bad.stderr.hasPrefix("lh-gen: /nonexistent/dir/x.ndjson: create: "))
  }

  @Test("--rate paces output to wall time")
  func rateAccuracy() throws {
    // 3000 lines at 1000/s: the last line is due 2.999 s after the first.
    let r = try TestTools.run("lh-gen", ["--count", "3000", "--rate", "1000", "--quiet"])
    #expect(r.status == 0)
    #expect(r.lines.count == 3000)
    #expect(r.seconds > 2.94, "too fast: \(r.seconds) s")
    #expect(r.seconds < 3.4, "too slow: \(r.seconds) s")
  }

  @Test("--follow stamps lines with wall time and stops cleanly on SIGTERM")
  func followAndSignal() throws {
    let before = Int64(Date().timeIntervalSince1970 * 1_000_000)
    let r = try TestTools.shell(
      "lh-gen --follow --rate 2000 & pid=$!; sleep 1; kill -TERM $pid; wait $pid; echo \"exit=$?\" >&2"
    )
    let after = Int64(Date().timeIntervalSince1970 * 1_000_000)
    #expect(r.stderr.contains("exit=143"), "\(r.stderr)")
    #expect(r.stderr.contains("lh-gen: "), "summary printed")
    #expect(r.stdout.last == 0x0A, "the last line is whole")
    let lines = r.lines
    #expect(lines.count > 1000 && lines.count < 3500, "\(lines.count)")
    for line in lines {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
      let ts = try #require(RFC3339.parse(object["ts"] as? String ?? ""))
      #expect(ts >= before - 1000 && ts <= after)
    }
  }

  @Test("--burst raises the rate for its window")
  func burst() throws {
    // 200/s base, 4000/s from t = 1 s to 1.5 s: 200 + 2000 lines by 1.5 s, the 2250th at 1.75 s
    // (without the burst it would be due at 11.25 s).
    let r = try TestTools.run(
      "lh-gen", ["--count", "2250", "--rate", "200", "--burst", "4000:500ms:1s", "--quiet"])
    #expect(r.status == 0 && r.lines.count == 2250)
    #expect(r.seconds > 1.7 && r.seconds < 2.2, "\(r.seconds)")
  }

  @Test("a progress line is drawn on a terminal stderr, erased at the end, and never otherwise")
  func progressOnTerminal() throws {
    // script(1) gives the tool a pseudo-terminal; stdout still goes to /dev/null.
    let tty = try TestTools.run(
      "/usr/bin/script",
      ["-qec", "lh-gen --count 2000 --rate 4000 > /dev/null", "/dev/null"])
    #expect(tty.status == 0)
    let screen = tty.output
    #expect(screen.contains("\r\u{1B}[2Klh-gen: "), "no progress line: \(screen.debugDescription)")
    #expect(screen.contains(" lines, "))
    #expect(screen.contains("lh-gen: 2000 lines: 2000 events"))
    let quiet = try TestTools.run(
      "/usr/bin/script",
      ["-qec", "lh-gen --count 2000 --rate 4000 --quiet > /dev/null", "/dev/null"])
    #expect(
      !quiet.output.contains("lh-gen"), "--quiet still drew: \(quiet.output.debugDescription)")
    let piped = try TestTools.run("lh-gen", ["--count", "2000", "--rate", "4000"])
    #expect(!piped.stderr.contains("\u{1B}"))
  }

  @Test("--count 0 writes nothing; --version and --help go to stdout")
  func edges() throws {
    let zero = try TestTools.run("lh-gen", ["--count", "0"])
    #expect(zero.status == 0 && zero.stdout.isEmpty)
    let version = try TestTools.run("lh-gen", ["--version"])
    #expect(version.status == 0 && version.output == "0.1.0\n")
    let help = try TestTools.run("lh-gen", ["--help"])
    #expect(help.status == 0 && help.output.contains("USAGE: lh-gen"))
  }

  @Test("committed completions match what the tool generates", arguments: ["bash", "zsh", "fish"])
  func completionsAreFresh(shell: String) throws {
    let root = TestTools.repositoryRoot()
    let file =
      switch shell {
      case "bash": "completions/bash/lh-gen"
      case "zsh": "completions/zsh/_lh-gen"
      default: "completions/fish/lh-gen.fish"
      }
    let committed = try Data(contentsOf: root.appendingPathComponent(file))
    let r = try TestTools.run("lh-gen", ["--generate-completion-script", shell])
    #expect(r.status == 0)
    #expect([UInt8](committed) == r.stdout, "\(file) is stale: run 'make completions'")
  }
}
