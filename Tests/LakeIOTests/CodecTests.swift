import LakeIO
import Testing

/// Deterministic, compressible test bytes.
func sampleBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
  var s = seed
  return (0..<count).map { i in
    s = s &* 6_364_136_223_846_793_005 &+ 1
    return i % 7 == 0 ? UInt8(truncatingIfNeeded: s >> 56) : UInt8(0x61 + i % 5)
  }
}

@Suite("zstd and snappy")
struct CodecTests {
  @Test("zstd one-shot round trip at several levels and sizes", arguments: [0, 1, 1000, 200_000])
  func zstdRoundTrip(size: Int) throws {
    let input = sampleBytes(size)
    for level in [1, 3, 19] as [Int32] {
      let compressor = try ZstdCompressor(level: level)
      var frame: [UInt8] = [9, 9]  // appends after existing bytes
      let n = try input.withUnsafeBytes { try compressor.compress($0, appendingTo: &frame) }
      #expect(frame.count == n + 2)
      var output = [UInt8](repeating: 0, count: size)
      try frame[2...].withUnsafeBytes { src in
        try output.withUnsafeMutableBytes { try ZstdDecompressor().decompress(src, into: $0) }
      }
      #expect(output == input)
    }
  }

  @Test("corrupt or short zstd input is a data error, never a crash")
  func zstdCorrupt() throws {
    let input = sampleBytes(50_000)
    var frame: [UInt8] = []
    try input.withUnsafeBytes { _ = try ZstdCompressor().compress($0, appendingTo: &frame) }
    let decompressor = try ZstdDecompressor()
    for cut in [0, 1, 4, frame.count / 2, frame.count - 1] {
      var output = [UInt8](repeating: 0, count: input.count)
      #expect(throws: ZstdError.self) {
        try frame[..<cut].withUnsafeBytes { src in
          try output.withUnsafeMutableBytes { try decompressor.decompress(src, into: $0) }
        }
      }
    }
    var wrongSize = [UInt8](repeating: 0, count: input.count + 1)
    #expect {
      try frame.withUnsafeBytes { src in
        try wrongSize.withUnsafeMutableBytes { try decompressor.decompress(src, into: $0) }
      }
    } throws: { ($0 as? ZstdError)?.category == .data }
  }

  @Test("streaming zstd decoding in small chunks")
  func zstdStreaming() throws {
    let input = sampleBytes(300_000)
    var frames: [UInt8] = []
    try input.withUnsafeBytes { _ = try ZstdCompressor().compress($0, appendingTo: &frames) }
    try input.withUnsafeBytes { _ = try ZstdCompressor().compress($0, appendingTo: &frames) }
    let decoder = try ZstdStreamDecoder()
    var output: [UInt8] = []
    var at = 0
    while at < frames.count {
      let end = min(at + 777, frames.count)
      try frames[at..<end].withUnsafeBytes { chunk in try decoder.decode(chunk) { output += $0 } }
      at = end
    }
    #expect(output == input + input)
    #expect(decoder.atFrameBoundary)
  }

  @Test("bounded streaming decoding: a thousandfold expansion comes out a slice at a time")
  func boundedStreaming() throws {
    // 8 MiB of one byte, plus a tail that differs, compressed both ways.
    var input = [UInt8](repeating: 0x61, count: 8 << 20)
    input += sampleBytes(100_000)
    var zst: [UInt8] = []
    try input.withUnsafeBytes { _ = try ZstdCompressor(level: 19).compress($0, appendingTo: &zst) }
    var gz: [UInt8] = []
    try input.withUnsafeBytes { try Gzip.compress($0, appendingTo: &gz) }
    // Two gzip members, as `cat a.gz b.gz` makes.
    gz += gz
    #expect(zst.count * 100 < input.count && gz.count * 100 < input.count * 2)

    let limit = 100_000
    for (name, compressed, expected) in [
      ("zstd", zst, input), ("gzip", gz, input + input),
    ] {
      let zstd = name == "zstd" ? try ZstdStreamDecoder() : nil
      let gzip = name == "gzip" ? try GzipStreamDecoder() : nil
      var output: [UInt8] = []
      var at = 0
      var pending = false
      var calls = 0
      var biggest = 0
      while at < compressed.count || pending {
        // Feed at most 64 KiB of input; each call may produce at most limit + one buffer.
        let end = min(at + 65_536, compressed.count)
        var produced = 0
        let r = try compressed[at..<end].withUnsafeBytes { chunk in
          if let zstd {
            return try zstd.decode(chunk, limit: limit) {
              output += $0
              produced += $0.count
            }
          }
          return try gzip!.decode(chunk, limit: limit) {
            output += $0
            produced += $0.count
          }
        }
        at += r.consumed
        pending = r.pending
        biggest = max(biggest, produced)
        calls += 1
      }
      #expect(output == expected, "\(name)")
      #expect(biggest <= limit + (1 << 17) + 8, "\(name): \(biggest) bytes in one call")
      #expect(calls >= expected.count / (limit + (1 << 17) + 8), "\(name): \(calls) calls")
      if let zstd { #expect(zstd.atFrameBoundary) }
      if let gzip { #expect(gzip.atMemberBoundary) }
    }
  }

  @Test("snappy round trip and corrupt input", arguments: [0, 1, 65_536, 300_000])
  func snappy(size: Int) throws {
    let input = sampleBytes(size, seed: 3)
    var block: [UInt8] = []
    input.withUnsafeBytes { Snappy.compress($0, appendingTo: &block) }
    var output = [UInt8](repeating: 0, count: size)
    try block.withUnsafeBytes { src in
      try output.withUnsafeMutableBytes { try Snappy.decompress(src, into: $0) }
    }
    #expect(output == input)
    if size > 0 {
      var damaged = block
      damaged.removeLast(damaged.count / 2)
      #expect(throws: SnappyError.self) {
        try damaged.withUnsafeBytes { src in
          try output.withUnsafeMutableBytes { try Snappy.decompress(src, into: $0) }
        }
      }
    }
  }
}
