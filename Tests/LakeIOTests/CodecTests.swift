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
