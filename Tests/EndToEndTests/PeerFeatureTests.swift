import Foundation
import LakeTestSupport
import Testing

/// lh-report reads peers' tables feature by feature as deltalake and pyarrow do, and refuses in
/// one line (status 65) only what it cannot honour (`tests/peers/peer_features.py`).
@Suite("Peers' table features", .enabled(if: peersPython != nil || peersRequired))
struct PeerFeatureTests {
  struct Entry: Decodable {
    var name: String
    var expect: String
    var feature: String?
  }

  @Test("every feature table reads as its peer reads it, or is refused naming the feature")
  func featureTables() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory("lh-peer-features")
    let script = TestTools.repositoryRoot().appendingPathComponent("tests/peers/peer_features.py")
      .path
    let made = try TestTools.run(python, [script, "make", dir.path])
    try #require(made.status == 0, "\(made.stderr)")
    let entries = try JSONDecoder().decode([Entry].self, from: Data(made.stdout))
    #expect(entries.count >= 20)
    for entry in entries {
      let table = dir.appendingPathComponent(entry.name).path
      let r = try TestTools.run(
        "lh-report",
        ["--lake", dir.appendingPathComponent("lake").path, table, "--format", "ndjson"])
      if entry.expect == "refuse" {
        let lines = r.stderr.split(separator: "\n")
        #expect(r.status == 65, "\(entry.name): \(r.status) \(r.stderr)")
        #expect(lines.count == 1, "\(entry.name): \(r.stderr)")
        #expect(r.stderr.contains(entry.feature ?? "?"), "\(entry.name): \(r.stderr)")
        continue
      }
      #expect(r.status == 0, "\(entry.name): \(r.stderr)")
      let output = dir.appendingPathComponent(entry.name + ".lh.ndjson")
      try Data(r.stdout).write(to: output)
      let check = try TestTools.run(python, [script, "check", dir.path, entry.name, output.path])
      #expect(check.status == 0, "\(entry.name): \(check.output)\(check.stderr)")
    }
  }
}
