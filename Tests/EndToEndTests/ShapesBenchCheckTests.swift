import Foundation
import LakeTestSupport
import Testing

/// `bench/shapes.sh --check`: lh agrees with DuckDB and Polars on every workload shape.
///
/// Each shape of bench/shapes/ (a generator of our own, not lh-gen) goes through lh-bronze,
/// lh-silver and lh-gold, and through DuckDB and Polars doing the same work from the same
/// contract (bench/shapes/peers.py); silver rows, rejects and each gold table must agree, so
/// what `make bench-shapes` times is the same work on all three.
@Suite("shapes bench check", .enabled(if: peersPython != nil || peersRequired))
struct ShapesBenchCheckTests {
  static let shapes = [
    "week", "month-strings", "year", "sessions-hc", "skewed", "wide", "invalid", "tiny",
  ]

  @Test("each shape: lh's silver, rejects and gold tables equal DuckDB's and Polars'")
  func shapesAgree() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory()
    let script = TestTools.repositoryRoot().appendingPathComponent("bench/shapes.sh").path
    let r = try TestTools.run(
      script, ["--check", TestTools.binDirectory.path],
      environment: ["SHAPES_EVENTS": "2000", "SHAPES_WORK": dir.path, "LH_PEERS_PYTHON": python])
    #expect(r.status == 0, "\(r.output)\n\(r.stderr)")
    for shape in Self.shapes {
      #expect(r.output.contains("\n\(shape) ("), "\(shape) was not checked:\n\(r.output)")
    }
    // Two engines: silver and rejects once each, then every gold table.
    let equal = r.output.split(separator: "\n").filter { $0.hasSuffix("rows equal") }.count
    let counts = r.output.split(separator: "\n").filter { $0.contains(": silver ") }
    #expect(counts.count == 2 * Self.shapes.count, "\(r.output)")
    #expect(!counts.contains { $0.hasSuffix("DIFFERENT") }, "\(r.output)")
    // shop has 6 gold tables (6 shapes), app 4, meter 3.
    #expect(equal == 2 * (6 * 6 + 4 + 3), "\(r.output)")
  }

  @Test("a peer that disagrees with lh fails the check")
  func disagreementFails() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory()
    let root = TestTools.repositoryRoot()
    let data = dir.appendingPathComponent("tiny.ndjson").path
    let lake = dir.appendingPathComponent("lake").path
    let contract = root.appendingPathComponent("bench/shapes/meter.contract").path
    let gen = try TestTools.run(
      python,
      [
        root.appendingPathComponent("bench/shapes/gen.py").path, "tiny", "--events", "500", "--out",
        data,
      ])
    #expect(gen.status == 0, "\(gen.stderr)")
    let lh = try TestTools.shell(
      "lh-bronze --lake '\(lake)' --quiet '\(data)' && lh-silver --lake '\(lake)' --contract '\(contract)'"
        + " --quiet && lh-gold --lake '\(lake)' --quiet")
    #expect(lh.status == 0, "\(lh.stderr)")
    // One more reading after lh ran: the peers see a row lh never saw.
    let more = #"{"id":1,"t":"2026-03-02T00:00:00.5Z","v":1.5}"# + "\n"
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data(more.utf8))
    try handle.close()
    let check = try TestTools.run(
      python,
      [
        root.appendingPathComponent("bench/shapes/peers.py").path, "check", contract, data, lake,
        dir.appendingPathComponent("peers").path,
      ])
    #expect(check.status == 1, "\(check.output)\n\(check.stderr)")
    #expect(check.output.contains("silver 501 rows (lh 500)"), "\(check.output)")
  }
}
