import Foundation
import LakeTestSupport
import Testing

/// lh-bronze's cache of spool files seen fully landed (`bronze/events/_lh/bronze-seen`): an
/// unchanged landed file is not read again, and nothing that changed, or another lake's cache,
/// is ever taken for landed.
@Suite("lh-bronze: files seen landed")
struct BronzeSeenFilesTests {
  static let unread = "skipped (unchanged: not read again)"

  /// A lake, a spool of three lh-gen files older than the cache's one-second margin.
  func spool() throws -> (dir: URL, lake: String, spool: String, files: [String]) {
    let dir = try TestTools.temporaryDirectory()
    let spool = dir.appendingPathComponent("spool").path
    try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
    var files: [String] = []
    for seed in 1...3 {
      let gen = try TestTools.run("lh-gen", ["--count", "200", "--seed", "\(seed)", "--quiet"])
      let path = spool + "/events-\(seed).ndjson"
      try Data(gen.stdout).write(to: URL(fileURLWithPath: path))
      files.append(path)
    }
    usleep(1_300_000)
    return (dir, dir.appendingPathComponent("lake").path, spool, files)
  }

  func bronzeLines(_ lake: String) throws -> [[UInt8]: Int] {
    multiset(try bronzeRows(lake).map(\.line))
  }

  @Test("an unchanged landed file is skipped unread; a grown one lands its new lines")
  func unchangedSkippedGrownLands() throws {
    let s = try spool()
    let a = try TestTools.run("lh-bronze", ["--lake", s.lake, s.spool])
    #expect(a.status == 0 && a.stderr.contains("landed 600 lines"), "\(a.stderr)")
    #expect(!a.stderr.contains(Self.unread), "\(a.stderr)")
    #expect(FileManager.default.fileExists(atPath: s.lake + "/bronze/events/_lh/bronze-seen"))
    let b = try TestTools.run("lh-bronze", ["--lake", s.lake, s.spool])
    #expect(b.status == 0, "\(b.stderr)")
    for f in s.files {
      #expect(b.stderr.contains("\(f): already landed (200 lines), \(Self.unread)"), "\(b.stderr)")
    }
    // One file grows: it is read (its prefix hashed) and only its new lines land.
    let more = try TestTools.run("lh-gen", ["--count", "50", "--seed", "9", "--quiet"])
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: s.files[1]))
    handle.seekToEndOfFile()
    handle.write(Data(more.stdout))
    try handle.close()
    let c = try TestTools.run("lh-bronze", ["--lake", s.lake, s.spool])
    #expect(c.status == 0 && c.stderr.contains("landed 50 lines"), "\(c.stderr)")
    #expect(!c.stderr.contains("\(s.files[1]): already landed"), "\(c.stderr)")
    #expect(c.stderr.contains("\(s.files[0]): already landed (200 lines), \(Self.unread)"))
    let rows = try bronzeRows(s.lake)
    #expect(rows.count == 650)
    #expect(Set(rows.map { "\($0.source):\($0.number)" }).count == 650, "each line once")
  }

  @Test("a file rewritten in place to the same size is read again and lands as a new file")
  func rewrittenSameSize() throws {
    let s = try spool()
    #expect(try TestTools.run("lh-bronze", ["--lake", s.lake, s.spool]).status == 0)
    // Same length, one byte changed in the second line: stat changes, so it is hashed again.
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: s.files[2])))
    let second = bytes.firstIndex(of: 0x0A)! + 10
    bytes[second] = bytes[second] == 0x61 ? 0x62 : 0x61
    try Data(bytes).write(to: URL(fileURLWithPath: s.files[2]))
    let b = try TestTools.run("lh-bronze", ["--lake", s.lake, s.spool])
    #expect(b.status == 0, "\(b.stderr)")
    #expect(b.stderr.contains("rewritten, not appended"), "\(b.stderr)")
    #expect(b.stderr.contains("landed 200 lines"), "\(b.stderr)")
    #expect(try bronzeRows(s.lake).count == 800)
  }

  @Test("another lake's cache, or a damaged one, never makes a file count as landed")
  func foreignOrDamagedCache() throws {
    let s = try spool()
    #expect(try TestTools.run("lh-bronze", ["--lake", s.lake, s.spool]).status == 0)
    let cache = s.lake + "/bronze/events/_lh/bronze-seen"
    // A second lake gets the first one's cache before its first landing: nothing is landed
    // there, so every file lands whole.
    let other = s.dir.appendingPathComponent("other").path
    #expect(try TestTools.run("lh-bronze", ["--lake", other, s.files[0]]).status == 0)
    try? FileManager.default.removeItem(atPath: other + "/bronze/events/_lh/bronze-seen")
    try FileManager.default.copyItem(
      atPath: cache, toPath: other + "/bronze/events/_lh/bronze-seen")
    let b = try TestTools.run("lh-bronze", ["--lake", other, s.spool])
    #expect(b.status == 0 && b.stderr.contains("landed 400 lines"), "\(b.stderr)")
    #expect(try bronzeLines(other) == bronzeLines(s.lake))
    // Damaged: garbage, or cut short, reads as empty; files are recognised the ordinary way.
    for damage in [
      Array("not a cache\n".utf8),
      Array(try Data(contentsOf: URL(fileURLWithPath: cache)).dropLast(3)),
    ] {
      try Data(damage).write(to: URL(fileURLWithPath: cache))
      let c = try TestTools.run("lh-bronze", ["--lake", s.lake, s.spool])
      #expect(c.status == 0, "\(c.stderr)")
      #expect(!c.stderr.contains(Self.unread), "\(c.stderr)")
      #expect(c.stderr.contains("already landed (200 lines), skipped"), "\(c.stderr)")
    }
    #expect(try bronzeRows(s.lake).count == 600)
  }

  @Test("--dry-run neither uses nor writes the cache; vacuum and archive leave it alone")
  func dryRunAndPack() throws {
    let s = try spool()
    let dry = try TestTools.run("lh-bronze", ["--lake", s.lake, "--dry-run", s.spool])
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(!FileManager.default.fileExists(atPath: s.lake + "/bronze/events/_lh/bronze-seen"))
    #expect(try TestTools.run("lh-bronze", ["--lake", s.lake, s.spool]).status == 0)
    let v = try TestTools.run("lh-pack", ["vacuum", "--lake", s.lake, "--apply", "--retain", "0s"])
    #expect(v.status == 0, "\(v.stderr)")
    #expect(FileManager.default.fileExists(atPath: s.lake + "/bronze/events/_lh/bronze-seen"))
    let b = try TestTools.run("lh-bronze", ["--lake", s.lake, s.spool])
    #expect(b.stderr.contains(Self.unread), "\(b.stderr)")
  }
}
