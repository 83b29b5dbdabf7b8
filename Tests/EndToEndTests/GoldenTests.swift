import Foundation
import LakeTestSupport
import Testing

/// Golden cases: one directory per case, run as a shell line, output compared byte for byte.
///
/// `fixtures/golden/<tool>/<NNNN>/` holds `cmd` (one shell line run with the built
/// tools on PATH and `$CASEDIR` set), optional `stdin`, and the expected `expout`, `experr` and
/// `status`. `LH_RECORD=1 swift test` rewrites the expectations; review them with `git diff`.
/// Every case directory must have its expectations: a case without them fails.
@Suite("Golden cases")
struct GoldenTests {
  static let root = TestTools.repositoryRoot().appendingPathComponent("fixtures/golden")

  static var cases: [String] {
    let fm = FileManager.default
    var out: [String] = []
    for tool in (try? fm.contentsOfDirectory(atPath: root.path)) ?? [] {
      for c in (try? fm.contentsOfDirectory(atPath: root.appendingPathComponent(tool).path)) ?? [] {
        out.append("\(tool)/\(c)")
      }
    }
    return out.sorted()
  }

  @Test("the golden cases are there")
  func casesPresent() {
    #expect(Self.cases.count >= 8)
  }

  @Test("golden case", arguments: cases)
  func golden(name: String) throws {
    let dir = Self.root.appendingPathComponent(name)
    let cmd = try String(contentsOf: dir.appendingPathComponent("cmd"), encoding: .utf8)
    let stdin = try? [UInt8](Data(contentsOf: dir.appendingPathComponent("stdin")))
    let r = try TestTools.shell(cmd, stdin: stdin, environment: ["CASEDIR": dir.path])
    let status = "\(r.status)\n"
    if ProcessInfo.processInfo.environment["LH_RECORD"] == "1" {
      try Data(r.stdout).write(to: dir.appendingPathComponent("expout"))
      try Data(r.stderr.utf8).write(to: dir.appendingPathComponent("experr"))
      try Data(status.utf8).write(to: dir.appendingPathComponent("status"))
      return
    }
    let expout = try [UInt8](Data(contentsOf: dir.appendingPathComponent("expout")))
    let experr = try String(contentsOf: dir.appendingPathComponent("experr"), encoding: .utf8)
    let expstatus = try String(contentsOf: dir.appendingPathComponent("status"), encoding: .utf8)
    // Compared outside #expect, which would print both sides as byte arrays: the diff says it.
    let sameOut = r.stdout == expout
    let sameErr = r.stderr == experr
    let expoutFile = dir.appendingPathComponent("expout")
    let experrFile = dir.appendingPathComponent("experr")
    #expect(
      sameOut, "stdout of \(name) differs:\n\(Self.diff(expout, r.stdout, expoutFile))")
    #expect(
      sameErr,
      "stderr of \(name) differs:\n\(Self.diff(Array(experr.utf8), Array(r.stderr.utf8), experrFile))"
    )
    #expect(status == expstatus, "status of \(name) differs: \(r.status), expected \(expstatus)")
  }

  /// `diff -u` of the expected and the actual bytes (at most 60 lines), for a readable failure.
  static func diff(_ expected: [UInt8], _ actual: [UInt8], _ file: URL) -> String {
    guard let dir = try? TestTools.temporaryDirectory("lh-golden-diff") else { return "" }
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = dir.appendingPathComponent("expected")
    let b = dir.appendingPathComponent("actual")
    guard (try? Data(expected).write(to: a)) != nil, (try? Data(actual).write(to: b)) != nil,
      let r = try? TestTools.run(
        "/usr/bin/diff", ["-u", "--label", file.path, "--label", "actual", a.path, b.path])
    else { return "" }
    let lines = r.output.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.prefix(60).joined(separator: "\n")
      + (lines.count > 60 ? "\n… \(lines.count - 60) more lines" : "")
  }
}
