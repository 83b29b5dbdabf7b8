import LakeFormats
import Testing

@testable import LakeStages

@Suite("Bronze chunk: columns filled at seal")
struct BronzeChunkTests {
  static func chunk() -> BronzeStage.Chunk {
    var c = BronzeStage.Chunk(source: "in.ndjson", digest: "d1")
    c.columns = BronzeStage.schema.columns.map { ColumnBuffer(type: $0.type) }
    c.day = 20_000
    return c
  }

  static func text(_ col: ColumnBuffer, _ r: Int) -> [UInt8]? {
    col.isValid(r) ? Array(col.bytes(at: r)) : nil
  }

  @Test("Bronze: UTF-8 lines stay in line, others move to line_bytes, in order")
  func utf8Split() {
    let lines: [[UInt8]] = [
      Array("{\"a\":1}".utf8),
      Array("{\"name\":\"é中😀\"}".utf8),  // valid, not ASCII
      [0x62, 0xFF, 0xFE],  // invalid byte
      [],
      [0xC0, 0x80],  // overlong
      Array(String(repeating: "x", count: 100).utf8) + [0xE2, 0x82],  // cut sequence
      Array("tail".utf8),
    ]
    var c = Self.chunk()
    for (k, l) in lines.enumerated() {
      l.withUnsafeBytes { _ = c.take($0, number: k + 1, dryRun: false, bytes: 1 << 20) }
    }
    c.seal()
    let invalid: Set<Int> = [2, 4, 5]
    for r in lines.indices {
      #expect(Self.text(c.columns[0], r) == (invalid.contains(r) ? nil : lines[r]))
      #expect(Self.text(c.columns[1], r) == (invalid.contains(r) ? lines[r] : nil))
    }
    #expect(c.columns.allSatisfy { $0.count == lines.count })
    #expect(c.columns[4].int64s == Array(1...Int64(lines.count)))
    #expect(Self.text(c.columns[2], 6) == Array("in.ndjson".utf8))
    #expect(Self.text(c.columns[3], 0) == Array("d1".utf8))
    #expect(c.columns[6].int32s == Array(repeating: 20_000, count: lines.count))
  }

  @Test("Bronze: line numbers and read times per row, also out of sequence")
  func numbersAndTimes() {
    var c = Self.chunk()
    let line = Array("{}".utf8)
    let plan: [(number: Int, time: Int64)] = [(5, 100), (6, 100), (7, 200), (9, 200), (10, 300)]
    for p in plan {
      c.now = p.time
      line.withUnsafeBytes { _ = c.take($0, number: p.number, dryRun: false, bytes: 1 << 20) }
    }
    c.seal()
    #expect(c.columns[4].int64s == plan.map { Int64($0.number) })
    #expect(c.columns[5].int64s == plan.map(\.time))
    #expect(c.columns[4].count == plan.count && c.columns[5].count == plan.count)
    // A reset chunk numbers from its own first line again.
    c.reset()
    c.columns = BronzeStage.schema.columns.map { ColumnBuffer(type: $0.type) }
    for n in 11...13 {
      line.withUnsafeBytes { _ = c.take($0, number: n, dryRun: false, bytes: 1 << 20) }
    }
    c.seal()
    #expect(c.columns[4].int64s == [11, 12, 13])
    #expect(c.columns[5].int64s == [300, 300, 300])
  }

  @Test("Bronze: a byte string repeated fills data and offsets")
  func repeatedBytes() {
    var col = ColumnBuffer(type: .string)
    col.append(bytes: Array("ab".utf8))
    Array("xyz".utf8).withUnsafeBytes { col.append(bytes: $0, repeating: 5) }
    #expect(col.count == 6)
    #expect((1..<6).allSatisfy { Array(col.bytes(at: $0)) == Array("xyz".utf8) })
    #expect(col.data.count == 2 + 15)
  }
}
