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

  @Test("the v2 trailer indexes the last frame, and its CRC covers the index")
  func indexedTrailer() {
    let frame = ArchiveTrailer.LastFrame(offset: 1000, size: 234)
    let t = ArchiveTrailer.encode(length: 1234, crc: 0x0102_0304, lastFrame: frame)
    #expect(t.count == ArchiveTrailer.indexedSize)
    let parsed = ArchiveTrailer.parse(tail: [9, 9, 9] + t)
    #expect(parsed?.length == 1234 && parsed?.lastFrame == frame)
    #expect(parsed?.byteCount == ArchiveTrailer.indexedSize)
    #expect(parsed?.matches(crc: 0x0102_0304) == true)
    #expect(parsed?.matches(crc: 0x0102_0305) == false)
    // A changed index byte no longer matches the CRC of the same bytes.
    var moved = t
    moved[30] ^= 1
    #expect(ArchiveTrailer.parse(tail: moved)?.matches(crc: 0x0102_0304) == false)
    // v1 behind 16 other bytes is still found, and has no index.
    let v1 = ArchiveTrailer.parse(
      tail: [UInt8](repeating: 1, count: 16) + ArchiveTrailer.encode(length: 5, crc: 6))
    #expect(v1 == ArchiveTrailer(length: 5, crc: 6, lastFrame: nil))
    #expect(ArchiveTrailer.decode(t) == nil)
  }

  @Test(
    "beginLastFrame: the trailer indexes a frame holding only the last entry, which lastFrame reads"
  )
  func lastFrame() throws {
    let dir = try TestTools.temporaryDirectory("lh-archive")
    let path = dir.appendingPathComponent("a.tar.zst").path
    let w = try ArchiveWriter(path: path)
    let big = [UInt8]((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
    try w.beginFile("data.bin", size: Int64(big.count), mtime: 0)
    try big.withUnsafeBytes { try w.write($0) }
    try w.beginLastFrame()
    let last = Array("the manifest\n".utf8)
    try w.beginFile("last.txt", size: Int64(last.count), mtime: 0)
    try last.withUnsafeBytes { try w.write($0) }
    try w.finish()
    let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(UInt64(file.count) == w.fileSize)
    let t = try #require(ArchiveTrailer.parse(tail: Array(file.suffix(40))))
    let frame = try #require(t.lastFrame)
    #expect(frame.offset + frame.size == UInt64(file.count - ArchiveTrailer.indexedSize))
    #expect(frame.size < 200, "the last frame holds one small entry: \(frame.size) bytes")
    let r = try #require(try ArchiveReader.lastFrame(path: path))
    let e = try #require(try r.nextEntry())
    #expect(e.path == "last.txt" && e.size == Int64(last.count))
    var buffer = [UInt8](repeating: 0, count: 64)
    let n = try buffer.withUnsafeMutableBytes { try r.read(into: $0) }
    #expect(Array(buffer[0..<n]) == last)
    #expect(try r.nextEntry() == nil)
    #expect(r.bytesRead == UInt64(file.count - ArchiveTrailer.indexedSize))
    // The whole archive still reads, both entries, trailer checked.
    let all = try ArchiveReader(path: path)
    var names: [String] = []
    while let e = try all.nextEntry() { names.append(e.path) }
    try all.finish()
    #expect(names == ["data.bin", "last.txt"])
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
