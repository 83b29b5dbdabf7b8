import Foundation
import LakeContracts
import LakeIO
import Testing

@testable import LakeStages

@Suite("silver key index runs")
struct SilverKeyRunTests {
  /// A pseudo-random sequence (splitmix64).
  static func hashes(_ n: Int, seed: UInt64) -> [UInt64] {
    var s = seed
    return (0..<n).map { _ in
      s &+= 0x9e37_79b9_7f4a_7c15
      var z = s
      z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
      z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
      return z ^ (z >> 31)
    }
  }

  static func directory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "lh-keyrun-\(UUID().uuidString)"
    ).path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  @Test("hashes radix-sorted as the standard library sorts them, ties and narrow ranges too")
  func sortHashes() {
    var cases: [[UInt64]] = [[], [7], Self.hashes(63, seed: 1), Self.hashes(65, seed: 2)]
    cases.append(Self.hashes(100_000, seed: 3))
    // Repeats, and values differing only in their low bytes (passes skipped).
    cases.append(Self.hashes(5_000, seed: 4).map { $0 & 0xffff } + [0, .max, 0, .max])
    cases.append((0..<3_000).map { UInt64($0 % 7) << 40 | 0xdead_0000_0000_beef })
    for var hashes in cases {
      let expected = hashes.sorted()
      SilverKeyIndex.sortHashes(&hashes)
      #expect(hashes == expected)
    }
  }

  @Test("a run written and opened: every held hash found, absent ones not, files as written")
  func roundTrip() throws {
    let dir = try Self.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for n in [0, 1, 511, 512, 513, 20_000] {
      let held = Array(Set(Self.hashes(n, seed: UInt64(n) + 1))).sorted()
      let files: [(path: String, size: Int64)] = [
        ("event_date=2026-03-01/a%20b.parquet", 17), ("x", 0),
      ]
      let name = try SilverKeyRun.write(
        held, files: files, fingerprint: 42, directory: dir, tag: "t\(n)")
      let run = try #require(SilverKeyRun.open(dir + "/" + name, name: name, fingerprint: 42))
      #expect(run.count == held.count)
      #expect(run.files.map(\.path) == files.map(\.path))
      #expect(run.files.map(\.size) == files.map(\.size))
      for h in held { #expect(run.contains(h) == true) }
      for h in Self.hashes(2000, seed: 999) where !held.contains(h) {
        #expect(run.contains(h) == false)
      }
      #expect(run.contains(0) == false)
      #expect(run.contains(.max) == false)
      #expect(run.all() == held)
      #expect(SilverKeyRun.open(dir + "/" + name, name: name, fingerprint: 43) == nil)
    }
  }

  @Test("a damaged hash block answers nil; a cut or altered header is refused on open")
  func damage() throws {
    let dir = try Self.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let held = Array(Set(Self.hashes(5000, seed: 7))).sorted()
    let name = try SilverKeyRun.write(
      held, files: [("f.parquet", 1)], fingerprint: 1, directory: dir, tag: "r")
    let path = dir + "/" + name
    let good = try Data(contentsOf: URL(fileURLWithPath: path))
    var flipped = good
    flipped[flipped.count - 8] ^= 1
    try flipped.write(to: URL(fileURLWithPath: path))
    let run = try #require(SilverKeyRun.open(path, name: name, fingerprint: 1))
    #expect(run.contains(held[0]) == true, "an intact block still answers")
    #expect(run.contains(held[held.count - 1]) == nil)
    #expect(run.all() == nil)
    for cut in [good.prefix(good.count - 8), good.prefix(40), Data()] {
      try cut.write(to: URL(fileURLWithPath: path))
      #expect(SilverKeyRun.open(path, name: name, fingerprint: 1) == nil)
    }
    var header = good
    header[60] ^= 1
    try header.write(to: URL(fileURLWithPath: path))
    #expect(SilverKeyRun.open(path, name: name, fingerprint: 1) == nil)
  }

  @Test("merge policy: the smallest runs while their total is at least half the next")
  func mergePolicy() {
    #expect(SilverKeyIndex.mergeCount([]) == 0)
    #expect(SilverKeyIndex.mergeCount([5]) == 1)
    #expect(SilverKeyIndex.mergeCount([30, 30]) == 2)
    #expect(SilverKeyIndex.mergeCount([30, 90]) == 1)
    #expect(SilverKeyIndex.mergeCount([30, 30, 90, 1000]) == 3)
    // Streaming 30-key runs into one day: runs stay few, each hash rewritten a few times.
    var runs: [Int] = []
    var rewritten = 0
    for _ in 0..<3000 {
      runs.append(30)
      runs.sort()
      let k = SilverKeyIndex.mergeCount(runs)
      if k >= 2 {
        let merged = runs[0..<k].reduce(0, +)
        rewritten += merged
        runs = [merged] + runs[k...]
        runs.sort()
      }
      #expect(runs.count <= 12)
    }
    #expect(rewritten < 3000 * 30 * 25, "\(rewritten)")
  }
}
