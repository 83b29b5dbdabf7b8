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
    #expect(r.stdout == expout, "stdout of \(name) differs")
    #expect(r.stderr == experr, "stderr of \(name) differs")
    #expect(status == expstatus, "status of \(name) differs")
  }
}
