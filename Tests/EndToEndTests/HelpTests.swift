import Foundation
import LakeTestSupport
import Testing

/// Issue 14, item 10: help that works, defaults as a user types them, and usage errors that
/// say what is wrong with a value.
@Suite("help and usage errors")
struct HelpTests {
  static let tools = ["lh-gen", "lh-bronze", "lh-silver", "lh-gold", "lh-report", "lh-pack"]
  /// Every help screen: each tool's, and each subcommand's.
  static let screens: [[String]] =
    tools.map { [$0, "--help"] } + [["lh-report", "status", "--help"]]
    + ["archive", "restore", "list", "verify", "compact", "vacuum"].map {
      ["lh-pack", $0, "--help"]
    }

  /// Runs `tool` in a temporary directory of its own (a tool that misreads its flags then
  /// writes nowhere that matters; tests never write into the repository).
  static func run(
    _ tool: String, _ arguments: [String], currentDirectory: URL? = nil
  ) throws -> ToolResult {
    try TestTools.run(
      tool, arguments, currentDirectory: currentDirectory ?? TestTools.temporaryDirectory())
  }

  @Test("TOOL help prints the help (status 0) in every tool; lh-report help status too")
  func helpCommand() throws {
    for tool in Self.tools {
      let help = try Self.run(tool, ["help"])
      let flag = try Self.run(tool, ["--help"])
      #expect(help.status == 0, "\(tool): \(help.stderr)")
      #expect(help.output == flag.output, "\(tool)")
    }
    let status = try Self.run("lh-report", ["help", "status"])
    #expect(status.status == 0, "\(status.stderr)")
    #expect(status.output.contains("USAGE: lh-report status"))
    #expect(status.output.contains("--max-lag"))
    let unknown = try Self.run("lh-report", ["help", "nosuch"])
    #expect(unknown.status == 64)
    #expect(unknown.stderr.hasPrefix("lh-report: help: no subcommand 'nosuch'"))
  }

  @Test("defaults print as typed (0.05, 10m, 16MiB, 128MiB), never as Swift values")
  func defaults() throws {
    var all = ""
    for screen in Self.screens {
      let r = try Self.run(screen[0], Array(screen.dropFirst()))
      #expect(r.status == 0, "\(screen): \(r.stderr)")
      #expect(!r.output.contains("Argument("), "\(screen)")
      #expect(!r.output.contains("micros:") && !r.output.contains("value:"), "\(screen)")
      all += r.output.replacingOccurrences(of: "\n", with: " ")
        .replacingOccurrences(of: "  +", with: " ", options: .regularExpression)
    }
    for expected in [
      "(default: 0.05)", "(default: 10m)", "(default: 16MiB)", "(default: 128MiB)",
    ] {
      #expect(all.contains(expected), "\(expected)")
    }
  }

  @Test("help is ASCII, so the man pages keep every character (zstd ranges were '(122; ...)')")
  func helpIsASCII() throws {
    for screen in Self.screens {
      let r = try Self.run(screen[0], Array(screen.dropFirst()))
      let odd = r.output.unicodeScalars.filter { !$0.isASCII }
      #expect(odd.isEmpty, "\(screen): \(String(String.UnicodeScalarView(odd)))")
    }
    let root = TestTools.repositoryRoot()
    for tool in Self.tools {
      let page = try String(
        contentsOf: root.appendingPathComponent("man/\(tool).1"), encoding: .utf8)
      #expect(!page.contains("(122;") && !page.contains("(119)"), "\(tool)")
    }
  }

  @Test("man SYNOPSIS: no subcommand for tools without one; lh-report's is optional")
  func manSynopsis() throws {
    let root = TestTools.repositoryRoot()
    func page(_ tool: String) throws -> [String] {
      try String(contentsOf: root.appendingPathComponent("man/\(tool).1"), encoding: .utf8)
        .split(separator: "\n").map(String.init)
    }
    for tool in ["lh-gen", "lh-bronze", "lh-silver", "lh-gold"] {
      let lines = try page(tool)
      let synopsis = lines.drop { $0 != ".Sh SYNOPSIS" }.prefix { $0 != ".Sh DESCRIPTION" }
      #expect(!synopsis.contains { $0.contains("subcommand") }, "\(tool)")
      #expect(!lines.contains(".It Em help"), "\(tool)")
    }
    #expect(try page("lh-report").contains(".Op Ar subcommand"))
    #expect(try page("lh-pack").contains(".Ar subcommand"))
  }

  @Test("a negative number is read as the value and refused with the reason, not 'missing value'")
  func negativeValues() throws {
    for (tool, args, reason) in [
      ("lh-silver", ["--as-of", "-1"], "a table version is 0 or more"),
      ("lh-gold", ["--as-of", "-1"], "a table version is 0 or more"),
      ("lh-report", ["--as-of", "-1"], "a table version is 0 or more"),
      ("lh-gen", ["--count", "-5"], "--count must be 0 or more"),
      ("lh-gen", ["--late-by", "-5m"], "a duration cannot be negative"),
      ("lh-gen", ["--user-growth", "-0.1"], "a fraction is between 0 and 1"),
      ("lh-bronze", ["--threads", "-2"], "--threads must be between 1 and 256"),
      ("lh-pack", ["vacuum", "--retain", "-1d"], "a duration cannot be negative"),
    ] {
      let r = try Self.run(tool, args)
      #expect(r.status == 64, "\(tool) \(args): \(r.stderr)")
      #expect(!r.stderr.contains("missing value"), "\(tool) \(args): \(r.stderr)")
      #expect(r.stderr.contains(reason), "\(tool) \(args): \(r.stderr)")
    }
    // A negative zstd level, which the help advertises, is accepted.
    let dir = try TestTools.temporaryDirectory()
    let out = dir.appendingPathComponent("x.parquet").path
    let r = try Self.run(
      "lh-gen", ["--count", "10", "--format", "parquet", "--zstd-level", "-3", "-o", out])
    #expect(r.status == 0, "\(r.stderr)")
  }

  @Test("--from after --to is a usage error in lh-gold and lh-report")
  func fromAfterTo() throws {
    let dir = try TestTools.temporaryDirectory()
    for tool in ["lh-gold", "lh-report"] {
      let r = try Self.run(
        tool,
        [
          "--lake", dir.appendingPathComponent("lake").path, "--from", "2026-02-01", "--to",
          "2026-01-01",
        ]
      )
      #expect(r.status == 64, "\(tool): \(r.stderr)")
      #expect(r.stderr.hasPrefix("\(tool): --from is after --to\n"), "\(tool): \(r.stderr)")
    }
  }

  @Test("--contract with an unknown name lists the built-in contracts")
  func unknownContract() throws {
    for tool in ["lh-silver", "lh-gold"] {
      let r = try Self.run(tool, ["--contract", "nosuch"])
      #expect(r.status == 64, "\(tool): \(r.stderr)")
      #expect(r.stderr.contains("clickstream, iot, sales"), "\(tool): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(tool): \(r.stderr)")
      // A path that is not there stays a missing input, and says so the same way.
      let p = try Self.run(tool, ["--contract", "./no/such.contract"])
      #expect(p.status == 66, "\(tool): \(p.stderr)")
      #expect(p.stderr.contains("clickstream, iot, sales"), "\(tool): \(p.stderr)")
    }
  }

  @Test("a subcommand's usage error shows that subcommand's usage")
  func subcommandUsage() throws {
    let pack = try Self.run("lh-pack", ["archive", "-o", "x", "--zstd-level", "30"])
    #expect(pack.status == 64)
    #expect(pack.stderr.contains("lh-pack: usage: lh-pack archive "), "\(pack.stderr)")
    #expect(pack.stderr.contains("see 'lh-pack archive --help'"), "\(pack.stderr)")
    let status = try Self.run("lh-report", ["status", "--bogus"])
    #expect(status.status == 64)
    #expect(status.stderr.contains("lh-report: usage: lh-report status "), "\(status.stderr)")
    #expect(status.stderr.contains("see 'lh-report status --help'"), "\(status.stderr)")
  }
}
