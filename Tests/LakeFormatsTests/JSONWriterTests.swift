import Foundation
import LakeFormats
import Testing

/// Writes with a JSONWriter into a scratch buffer and returns the text.
func written(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
  let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 16)
  defer { buffer.deallocate() }
  var w = JSONWriter(buffer)
  body(&w)
  return Array(UnsafeBufferPointer(start: buffer, count: w.count(from: buffer)))
}

@Suite("JSON writer")
struct JSONWriterTests {
  @Test(
    "integers",
    arguments: [Int64(0), 7, -7, 1_000_000, Int64.max, Int64.min, -1])
  func integers(value: Int64) {
    #expect(String(decoding: written { $0.int(value) }, as: UTF8.self) == String(value))
  }

  @Test(
    "decimals keep their scale",
    arguments: [
      (Int64(1999), 2, "19.99"), (-5, 2, "-0.05"), (0, 2, "0.00"), (123_456, 0, "123456"),
      (1, 6, "0.000001"), (-1_000_000, 3, "-1000.000"), (Int64.min, 2, "-92233720368547758.08"),
    ])
  func decimals(unscaled: Int64, scale: Int, text: String) {
    #expect(
      String(decoding: written { $0.decimal(unscaled: unscaled, scale: scale) }, as: UTF8.self)
        == text)
  }

  @Test("escaped strings parse back to the same bytes with Foundation")
  func escapedStrings() throws {
    var samples: [[UInt8]] = [
      Array("plain".utf8), Array("quote \" backslash \\ slash /".utf8), Array("tab\tnl\ncr\r".utf8),
      Array("müsli 東京 🚀".utf8), [0x00, 0x01, 0x1F, 0x7F, 0x41],
    ]
    samples.append((0..<128).map { UInt8($0) }.filter { $0 != 0 })
    for bytes in samples {
      let json = written { w in
        w.raw("[")
        bytes.withUnsafeBytes { w.string($0) }
        w.raw("]")
      }
      let parsed = try JSONSerialization.jsonObject(with: Data(json)) as? [String]
      #expect(parsed?.first.map { Array($0.utf8) } == bytes)
    }
  }

  @Test("UUIDs have the canonical shape")
  func uuids() {
    let text = String(
      decoding: written { $0.uuid(high: 0x0123_4567_89AB_4DEF, low: 0x8123_4567_89AB_CDEF) },
      as: UTF8.self)
    #expect(text == "\"01234567-89ab-4def-8123-456789abcdef\"")
    #expect(UUID(uuidString: String(text.dropFirst().dropLast())) != nil)
  }

  @Test("timestamps are quoted RFC 3339")
  func timestamps() {
    let text = String(
      decoding: written { $0.timestamp(micros: 1_500_000, fractionDigits: 3) }, as: UTF8.self)
    #expect(text == "\"1970-01-01T00:00:01.500Z\"")
  }
}
