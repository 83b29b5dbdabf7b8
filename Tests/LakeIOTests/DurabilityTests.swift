import Foundation
import Testing

@testable import LakeIO

@Suite("Durability: many files synced at once")
struct DurabilityTests {
  @Test("the directories synced: each file's, and every one above it up to the root, once")
  func directories() {
    let dirs = directoriesToSync(
      [
        "/l/t/event_date=2026-01-01/a.parquet", "/l/t/event_date=2026-01-01/b.parquet",
        "/l/t/event_date=2026-01-02/k=x/c.parquet", "/l/t/d.parquet",
      ], root: "/l/t/")
    #expect(
      dirs == [
        "/l/t", "/l/t/event_date=2026-01-01", "/l/t/event_date=2026-01-02",
        "/l/t/event_date=2026-01-02/k=x",
      ])
    // A path outside the root: its own directory only.
    #expect(directoriesToSync(["/elsewhere/x/f"], root: "/l/t") == ["/elsewhere/x"])
  }

  @Test("every file and directory is synced; a missing file is an error naming it")
  func syncsAndReports() throws {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("lh-durability-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    var paths: [String] = []
    for d in 0..<40 {
      let dir = "\(root)/event_date=2026-01-\(d)"
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      let path = "\(dir)/part-\(d).parquet"
      #expect(FileManager.default.createFile(atPath: path, contents: Data("PAR1".utf8)))
      paths.append(path)
    }
    try syncFiles(paths, root: root, threads: 8)
    let missing = "\(root)/event_date=2026-01-3/gone.parquet"
    #expect {
      try syncFiles(paths + [missing], root: root, threads: 8)
    } throws: { error in
      "\(error)".contains(missing)
    }
  }
}
