import Foundation
import LakeIO
import LakeTestSupport
import Testing

@Suite("libarchive wrapper (lh-pack archives)")
struct ArchiveTests {
  @Test("write and read back: entries, bytes, trailer; the same input gives the same bytes")
  func roundTrip() throws {
    let dir = try TestTools.temporaryDirectory("lh-archive")
    func make(_ path: String) throws {
      let w = try ArchiveWriter(path: path)
      for (name, size) in [("a/b.txt", 10), ("long/" + String(repeating: "x", count: 150), 70_000)]
      {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try w.beginFile(name, size: Int64(size), mtime: 1_767_225_600)
        try bytes.withUnsafeBytes { try w.write($0) }
      }
      try w.finish()
    }
    let a = dir.appendingPathComponent("a.tar.zst").path
    let b = dir.appendingPathComponent("b.tar.zst").path
    try make(a)
    try make(b)
    #expect(FileManager.default.contentsEqual(atPath: a, andPath: b))
    let r = try ArchiveReader(path: a)
    var seen: [(String, Int)] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while let e = try r.nextEntry() {
      var n = 0
      while true {
        let k = try buffer.withUnsafeMutableBytes { try r.read(into: $0) }
        if k == 0 { break }
        n += k
      }
      #expect(Int64(n) == e.size && e.isRegularFile)
      seen.append((e.path, n))
    }
    try r.finish()
    #expect(seen.map(\.0) == ["a/b.txt", "long/" + String(repeating: "x", count: 150)])
    #expect(seen.map(\.1) == [10, 70_000])
  }

  @Test("the trailer encodes and decodes; anything else is not a trailer")
  func trailer() {
    let t = ArchiveTrailer.encode(length: 123_456, crc: 0xDEAD_BEEF)
    #expect(t.count == ArchiveTrailer.size)
    #expect(ArchiveTrailer.decode(t)! == (123_456, 0xDEAD_BEEF))
    var bad = t
    bad[9] ^= 1
    #expect(ArchiveTrailer.decode(bad) == nil)
    #expect(ArchiveTrailer.decode(Array(t.dropLast())) == nil)
  }

  @Test("a file that is not an lh archive is refused with .data, never a crash")
  func notAnArchive() throws {
    let dir = try TestTools.temporaryDirectory("lh-archive")
    for (name, bytes) in [
      ("empty", [UInt8]()), ("text", Array("hello\n".utf8)),
      (
        "fake-trailer",
        [UInt8](repeating: 7, count: 100) + ArchiveTrailer.encode(length: 100, crc: 0)
      ),
    ] {
      let p = dir.appendingPathComponent(name).path
      try Data(bytes).write(to: URL(fileURLWithPath: p))
      do {
        let r = try ArchiveReader(path: p)
        while try r.nextEntry() != nil {}
        try r.finish()
        Issue.record("\(name) was accepted")
      } catch let e as LakeError {
        #expect(e.category == .data, "\(name): \(e)")
      }
    }
  }
}
