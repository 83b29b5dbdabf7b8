import Foundation
import LakeFormats
import Testing

/// SplitMix64: a small seeded generator so every run sees the same "random" data.
private struct SeededRandom: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

private func hex(_ text: String) -> [UInt8] {
  let digits = Array(text.filter { !$0.isWhitespace })
  return stride(from: 0, to: digits.count, by: 2).map {
    UInt8(String(digits[$0...$0 + 1]), radix: 16) ?? 0
  }
}

private func rleEncode(_ values: [UInt32], width: Int) -> [UInt8] {
  var encoder = RLEHybridEncoder(bitWidth: width)
  for value in values { encoder.append(value) }
  var out: [UInt8] = []
  encoder.flush(into: &out)
  return out
}

/// Decodes `count` values in chunks of the given sizes (cycled), returning values and bytes used.
private func rleDecode(
  _ bytes: [UInt8], width: Int, count: Int, chunks: [Int] = [Int.max]
) throws -> ([UInt32], Int) {
  var values = [UInt32](repeating: 0xDEAD_BEEF, count: count)
  let consumed = try bytes.withUnsafeBytes { raw in
    var decoder = try RLEHybridDecoder(bitWidth: width, bytes: raw)
    try values.withUnsafeMutableBufferPointer { out in
      guard let base = out.baseAddress else { return }
      var done = 0
      var chunk = 0
      while done < count {
        let n = min(chunks[chunk % chunks.count], count - done)
        try decoder.decode(count: n, into: base + done)
        done += n
        chunk += 1
      }
    }
    return decoder.bytesConsumed
  }
  return (values, consumed)
}

private func deltaDecode(_ bytes: [UInt8], count: Int) throws -> ([Int64], Int) {
  var out: [Int64] = []
  let used = try bytes.withUnsafeBytes {
    try DeltaBinaryPacked.decode($0, count: count, into: &out)
  }
  return (out, used)
}

private func strings(offsets: [Int32], data: [UInt8]) -> [[UInt8]] {
  guard offsets.count > 1 else { return [] }
  return (1..<offsets.count).map { Array(data[Int(offsets[$0 - 1])..<Int(offsets[$0])]) }
}

/// Runs `body`; passes if it returns or throws a `ParquetError`, fails on any other error.
private func expectParquetErrorOrSuccess(
  _ what: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) {
  do {
    try body()
  } catch is ParquetError {
  } catch {
    Issue.record("\(what): unexpected error \(error)", sourceLocation: sourceLocation)
  }
}

/// Random values of `width` bits in a mix of long runs and literal stretches.
private func mixedValues(width: Int, count: Int, rng: inout SeededRandom) -> [UInt32] {
  let mask: UInt64 = width == 0 ? 0 : (width == 64 ? ~0 : (1 << UInt64(width)) - 1)
  var values: [UInt32] = []
  values.reserveCapacity(count)
  while values.count < count {
    let left = count - values.count
    if rng.next() % 3 == 0 {
      let value = UInt32(truncatingIfNeeded: rng.next() & mask)
      values.append(contentsOf: repeatElement(value, count: min(left, Int(rng.next() % 40) + 1)))
    } else {
      for _ in 0..<min(left, Int(rng.next() % 20) + 1) {
        values.append(UInt32(truncatingIfNeeded: rng.next() & mask))
      }
    }
  }
  return values
}

@Suite("Parquet encodings")
struct EncodingTests {
  // MARK: Bit width

  @Test("bit width of a maximum value")
  func bitWidths() {
    #expect(bitWidth(forMaxValue: 0) == 0)
    #expect(bitWidth(forMaxValue: 1) == 1)
    #expect(bitWidth(forMaxValue: 2) == 2)
    #expect(bitWidth(forMaxValue: 3) == 2)
    #expect(bitWidth(forMaxValue: 4) == 3)
    #expect(bitWidth(forMaxValue: 255) == 8)
    #expect(bitWidth(forMaxValue: 256) == 9)
    #expect(bitWidth(forMaxValue: UInt64(UInt32.max)) == 32)
    #expect(bitWidth(forMaxValue: UInt64.max) == 64)
  }

  // MARK: RLE / bit-packing hybrid, worked examples (formats.md §5, Encodings.md)

  @Test("def levels [1,1,0,1] as RLE runs, v1 form and one bit-packed group")
  func definitionLevelExamples() throws {
    let expected: [UInt32] = [1, 1, 0, 1]
    #expect(try rleDecode([0x04, 0x01, 0x02, 0x00, 0x02, 0x01], width: 1, count: 4).0 == expected)
    #expect(try rleDecode([0x04, 0x01, 0x02, 0x00, 0x02, 0x01], width: 1, count: 4).1 == 6)
    let v1: [UInt8] = [0x06, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02, 0x00, 0x02, 0x01]
    let length = Int(v1[0]) | Int(v1[1]) << 8 | Int(v1[2]) << 16 | Int(v1[3]) << 24
    #expect(length == 6)
    #expect(try rleDecode(Array(v1[4..<(4 + length)]), width: 1, count: 4).0 == expected)
    #expect(try rleDecode([0x03, 0x0b], width: 1, count: 4).0 == expected)
    #expect(rleEncode(expected, width: 1) == [0x03, 0x0b])
  }

  @Test("1000 non-null rows are d0 0f 01")
  func thousandOnes() throws {
    #expect(rleEncode(Array(repeating: 1, count: 1000), width: 1) == [0xd0, 0x0f, 0x01])
    var encoder = RLEHybridEncoder(bitWidth: 1)
    encoder.append(repeating: 1, count: 1000)
    #expect(encoder.count == 1000)
    var out: [UInt8] = []
    encoder.flush(into: &out)
    #expect(out == [0xd0, 0x0f, 0x01])
    #expect(encoder.count == 0)
    let (values, used) = try rleDecode([0xd0, 0x0f, 0x01], width: 1, count: 1000)
    #expect(values == Array(repeating: 1, count: 1000))
    #expect(used == 3)
  }

  @Test("dictionary indices [0,1,2,1] at width 2 are 03 64 00")
  func dictionaryIndexExample() throws {
    #expect(rleEncode([0, 1, 2, 1], width: 2) == [0x03, 0x64, 0x00])
    #expect(try rleDecode([0x03, 0x64, 0x00], width: 2, count: 4).0 == [0, 1, 2, 1])
  }

  @Test("spec bit-packing example: 0...7 at width 3")
  func specBitPackingExample() throws {
    #expect(rleEncode(Array(0...7), width: 3) == [0x03, 0x88, 0xc6, 0xfa])
    #expect(try rleDecode([0x03, 0x88, 0xc6, 0xfa], width: 3, count: 8).0 == Array(0...7))
  }

  @Test("a run starting mid-group is packed up to the boundary, then RLE")
  func runAfterLiterals() throws {
    let values: [UInt32] = [1, 2, 3] + Array(repeating: 5, count: 20)
    let bytes = rleEncode(values, width: 3)
    // One packed group (1 2 3 5 5 5 5 5), then an RLE run of the 15 remaining 5s.
    #expect(bytes.count == 1 + 3 + 2)
    #expect(Array(bytes.suffix(2)) == [15 << 1, 5])
    #expect(try rleDecode(bytes, width: 3, count: values.count).0 == values)
  }

  @Test("runs longer than 2^31 - 1 are split")
  func maximumRunLength() {
    var encoder = RLEHybridEncoder(bitWidth: 1)
    encoder.append(repeating: 1, count: Int(Int32.max) + 10)
    var out: [UInt8] = []
    encoder.flush(into: &out)
    #expect(out == [0xfe, 0xff, 0xff, 0xff, 0x0f, 0x01, 10 << 1, 0x01])
  }

  // MARK: RLE / bit-packing hybrid, round trips

  @Test("round trip of mixed runs and literals at every bit width", arguments: 0...32)
  func rleRoundTrip(width: Int) throws {
    var rng = SeededRandom(seed: 0x5EED_0000 + UInt64(width))
    var encoder = RLEHybridEncoder(bitWidth: width)
    for round in 0..<6 {
      var count = Int(rng.next() % 3000) + 1
      if count % 8 == 0 { count += 3 }
      let values = mixedValues(width: width, count: count, rng: &rng)
      // The same encoder, reused after each flush.
      for value in values { encoder.append(value) }
      #expect(encoder.count == count)
      let estimate = encoder.estimatedSize
      var bytes: [UInt8] = [0xAA]  // flush appends: keep what is already there
      encoder.flush(into: &bytes)
      #expect(bytes[0] == 0xAA)
      bytes.removeFirst()
      #expect(estimate >= bytes.count - 8 && estimate <= bytes.count + 8)
      let chunks = round % 2 == 0 ? [Int.max] : [1, 7, 8, 13, 64, 3]
      let (decoded, used) = try rleDecode(bytes, width: width, count: count, chunks: chunks)
      #expect(decoded == values, "width \(width) round \(round)")
      #expect(used == bytes.count)
    }
  }

  @Test("append(repeating:) matches appending one at a time")
  func appendRepeatingMatches() {
    var rng = SeededRandom(seed: 42)
    for width in [1, 3, 8, 17, 32] {
      var single = RLEHybridEncoder(bitWidth: width)
      var bulk = RLEHybridEncoder(bitWidth: width)
      let mask = UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(width)) - 1)
      for _ in 0..<200 {
        let value = UInt32(truncatingIfNeeded: rng.next()) & mask % 4
        let n = Int(rng.next() % 30)
        for _ in 0..<n { single.append(value) }
        bulk.append(repeating: value, count: n)
      }
      var a: [UInt8] = []
      var b: [UInt8] = []
      single.flush(into: &a)
      bulk.flush(into: &b)
      #expect(a == b, "width \(width)")
    }
  }

  @Test("encoding a whole buffer at once matches appending one at a time", arguments: 0...32)
  func bulkEncodeMatches(width: Int) {
    var rng = SeededRandom(seed: 0xB01C + UInt64(width))
    let mask = UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(width)) - 1)
    for round in 0..<8 {
      var values: [UInt32] = []
      let count = [0, 1, 7, 8, 9, 600, 1000, 4099][round]
      while values.count < count {
        // Runs of every length around the 8-value group, literals, more than 63 packed groups.
        let value = UInt32(truncatingIfNeeded: rng.next()) & mask
        let run = rng.next() % 3 == 0 ? Int(rng.next() % 20) : 1
        values += repeatElement(value, count: min(run, count - values.count))
      }
      var single = RLEHybridEncoder(bitWidth: width)
      for value in values { single.append(value) }
      var expected: [UInt8] = [0xAA]
      single.flush(into: &expected)
      var bulk: [UInt8] = [0xAA]  // appends: keeps what is already there
      values.withUnsafeBufferPointer { RLEHybridEncoder.encode($0, bitWidth: width, into: &bulk) }
      #expect(bulk == expected, "width \(width), \(count) values")
    }
    // One long run, and 600 distinct values (10 groups over the one-byte header's 63).
    for values in [[UInt32](repeating: mask, count: 100_000), (0..<600).map { UInt32($0) & mask }] {
      var single = RLEHybridEncoder(bitWidth: width)
      for value in values { single.append(value) }
      var expected: [UInt8] = []
      single.flush(into: &expected)
      var bulk: [UInt8] = []
      values.withUnsafeBufferPointer { RLEHybridEncoder.encode($0, bitWidth: width, into: &bulk) }
      #expect(bulk == expected, "width \(width)")
    }
  }

  @Test("an empty encoder writes nothing")
  func emptyEncoder() {
    var encoder = RLEHybridEncoder(bitWidth: 5)
    var out: [UInt8] = []
    encoder.flush(into: &out)
    #expect(out.isEmpty)
    #expect(encoder.estimatedSize == 0)
  }

  // MARK: RLE / bit-packing hybrid, bad input

  @Test("bit widths outside 0...32 are rejected")
  func badBitWidth() {
    #expect(throws: ParquetError.self) {
      try [UInt8]().withUnsafeBytes { _ = try RLEHybridDecoder(bitWidth: 33, bytes: $0) }
    }
    #expect(throws: ParquetError.self) {
      try [UInt8]().withUnsafeBytes { _ = try RLEHybridDecoder(bitWidth: -1, bytes: $0) }
    }
  }

  @Test("malformed runs throw")
  func malformedRuns() {
    // RLE value 2 does not fit in 1 bit.
    #expect(throws: ParquetError.self) { try rleDecode([0x04, 0x02], width: 1, count: 2) }
    // RLE value missing.
    #expect(throws: ParquetError.self) { try rleDecode([0x04], width: 9, count: 2) }
    // Runs out of data.
    #expect(throws: ParquetError.self) { try rleDecode([0x04, 0x01], width: 1, count: 3) }
    #expect(throws: ParquetError.self) { try rleDecode([], width: 1, count: 1) }
    // Truncated varint header.
    #expect(throws: ParquetError.self) { try rleDecode([0x80, 0x80], width: 1, count: 1) }
    // Varint over 64 bits.
    #expect(throws: ParquetError.self) {
      try rleDecode(Array(repeating: 0xff, count: 11), width: 1, count: 1)
    }
  }

  @Test("a bit-packed run cut short yields the values whose bits are present")
  func truncatedLastGroup() throws {
    // Header says one group of 8 at width 8, but only 3 bytes follow.
    let bytes: [UInt8] = [0x03, 7, 8, 9]
    #expect(try rleDecode(bytes, width: 8, count: 3).0 == [7, 8, 9])
    #expect(throws: ParquetError.self) { try rleDecode(bytes, width: 8, count: 4) }
  }

  @Test("dictionary indices are checked against the dictionary size")
  func dictionaryIndexRange() throws {
    let bytes: [UInt8] = [0x03, 0x64, 0x00]  // [0, 1, 2, 1]
    var out = [UInt32](repeating: 0, count: 4)
    try bytes.withUnsafeBytes { raw in
      try out.withUnsafeMutableBufferPointer { buffer in
        var ok = try RLEHybridDecoder(bitWidth: 2, bytes: raw)
        try ok.decodeIndices(count: 4, into: buffer.baseAddress!, dictionaryCount: 3)
        var bad = try RLEHybridDecoder(bitWidth: 2, bytes: raw)
        #expect(throws: ParquetError.self) {
          try bad.decodeIndices(count: 4, into: buffer.baseAddress!, dictionaryCount: 2)
        }
      }
    }
    #expect(out == [0, 1, 2, 1])
  }

  @Test("truncated or corrupted hybrid data throws ParquetError, never crashes")
  func rleFuzz() {
    var rng = SeededRandom(seed: 7)
    for width in [0, 1, 2, 5, 8, 13, 24, 32] {
      let values = mixedValues(width: width, count: 301, rng: &rng)
      let bytes = rleEncode(values, width: width)
      for cut in 0..<bytes.count {
        expectParquetErrorOrSuccess("width \(width) cut \(cut)") {
          _ = try rleDecode(
            Array(bytes[..<cut]), width: width, count: values.count, chunks: [5, 50])
        }
      }
      for _ in 0..<300 {
        var broken = bytes
        for _ in 0..<Int(rng.next() % 3) + 1 {
          broken[Int(rng.next() % UInt64(broken.count))] = UInt8(truncatingIfNeeded: rng.next())
        }
        expectParquetErrorOrSuccess("width \(width) flipped") {
          _ = try rleDecode(broken, width: width, count: values.count)
        }
      }
    }
  }

  // MARK: DELTA_BINARY_PACKED

  @Test("delta round trips, including Int64.min/max and wrapping deltas")
  func deltaRoundTrip() throws {
    var rng = SeededRandom(seed: 99)
    var cases: [[Int64]] = [
      [], [0], [1], [Int64.min], [Int64.max], [Int64.min, Int64.max, Int64.min, 0, Int64.max],
      Array(1...5), Array(repeating: 42, count: 1000), (0..<129).map { Int64($0) * -3 },
    ]
    for count in [2, 31, 32, 33, 127, 128, 129, 130, 255, 256, 257, 1000, 4099] {
      cases.append((0..<count).map { _ in Int64(bitPattern: rng.next()) })
      cases.append((0..<count).map { _ in Int64(rng.next() % 100) - 50 })
      var walk = Int64.max - 1000
      cases.append(
        (0..<count).map { _ in
          walk = walk &+ Int64(rng.next() % 2000)
          return walk
        })
    }
    for values in cases {
      var bytes: [UInt8] = []
      DeltaBinaryPacked.encode(values, into: &bytes)
      let (decoded, used) = try deltaDecode(bytes, count: values.count)
      #expect(decoded == values)
      #expect(used == bytes.count)
      // Asking for fewer values still reports the whole stream.
      let (prefix, usedPrefix) = try deltaDecode(bytes, count: values.count / 2)
      #expect(prefix == Array(values.prefix(values.count / 2)))
      #expect(usedPrefix == bytes.count)
    }
  }

  @Test("INT32 delta encoding stays within 32 bits and decodes through truncation")
  func deltaInt32() throws {
    var rng = SeededRandom(seed: 32)
    let values: [Int32] =
      [Int32.min, Int32.max, 0, Int32.min, 5, Int32.max, -1]
      + (0..<500).map { _ in Int32(truncatingIfNeeded: rng.next()) }
    var bytes: [UInt8] = []
    DeltaBinaryPacked.encode(int32: values, into: &bytes)
    let (decoded, used) = try deltaDecode(bytes, count: values.count)
    #expect(decoded.map { Int32(truncatingIfNeeded: $0) } == values)
    #expect(used == bytes.count)
  }

  @Test("delta header and miniblock checks")
  func deltaBadHeaders() throws {
    // Block size 100 (not a multiple of 128).
    #expect(throws: ParquetError.self) { try deltaDecode([100, 4, 2, 0, 0, 0, 0, 0, 0], count: 2) }
    // 3 miniblocks do not divide 128.
    #expect(throws: ParquetError.self) {
      try deltaDecode([0x80, 0x01, 3, 2, 0, 0, 0, 0, 0], count: 2)
    }
    // 8 miniblocks of 16 values (not a multiple of 32).
    #expect(throws: ParquetError.self) {
      try deltaDecode([0x80, 0x01, 8, 2, 0, 0] + Array(repeating: 0, count: 8), count: 2)
    }
    // Zero miniblocks, zero block size.
    #expect(throws: ParquetError.self) { try deltaDecode([0x80, 0x01, 0, 2, 0, 0], count: 2) }
    #expect(throws: ParquetError.self) { try deltaDecode([0, 4, 2, 0, 0, 0, 0, 0, 0], count: 2) }
    // Miniblock bit width 65.
    #expect(throws: ParquetError.self) {
      try deltaDecode(
        [0x80, 0x01, 4, 2, 0, 0, 65, 0, 0, 0] + Array(repeating: 0, count: 300), count: 2)
    }
    // A huge value count with no blocks: fails at the missing block, allocates nothing big.
    #expect(throws: ParquetError.self) {
      try deltaDecode([0x80, 0x01, 4, 0xff, 0xff, 0xff, 0xff, 0x07, 0], count: Int.max)
    }
    // Value count over 2^31 - 1.
    #expect(throws: ParquetError.self) {
      try deltaDecode([0x80, 0x01, 4, 0x80, 0x80, 0x80, 0x80, 0x08, 0], count: 1)
    }
    // Header says fewer values than asked: only those are returned.
    #expect(try deltaDecode([0x80, 0x01, 4, 1, 6], count: 10).0 == [3])
  }

  @Test("bit widths of unneeded miniblocks in the last block are ignored")
  func deltaIgnoresUnusedWidths() throws {
    // 3 values: deltas +1, +1; miniblock 0 width 0, the other three widths are garbage.
    let bytes: [UInt8] = [0x80, 0x01, 4, 3, 2, 2, 0, 0xff, 0xee, 0xdd]
    let (values, used) = try deltaDecode(bytes, count: 3)
    #expect(values == [1, 2, 3])
    #expect(used == bytes.count)
  }

  @Test("every miniblock width 0...64 round trips")
  func deltaAllWidths() throws {
    for width in 0...64 {
      let step: Int64 = width == 0 ? 0 : Int64(bitPattern: UInt64.max >> UInt64(64 - width))
      // Alternating deltas 0 and `step` force exactly `width` bits after subtracting the min.
      var values: [Int64] = [0]
      for i in 0..<300 { values.append(values[values.count - 1] &+ (i % 2 == 0 ? step : 0)) }
      var bytes: [UInt8] = []
      DeltaBinaryPacked.encode(values, into: &bytes)
      #expect(try deltaDecode(bytes, count: values.count).0 == values, "width \(width)")
    }
  }

  @Test("truncated or corrupted delta data throws ParquetError, never crashes")
  func deltaFuzz() {
    var rng = SeededRandom(seed: 1234)
    let values = (0..<700).map { i in i % 5 == 0 ? Int64(bitPattern: rng.next()) : Int64(i) }
    var bytes: [UInt8] = []
    DeltaBinaryPacked.encode(values, into: &bytes)
    for cut in 0..<bytes.count {
      expectParquetErrorOrSuccess("cut \(cut)") {
        let (decoded, _) = try deltaDecode(Array(bytes[..<cut]), count: values.count)
        #expect(decoded == Array(values.prefix(decoded.count)))
      }
    }
    for _ in 0..<1000 {
      var broken = bytes
      for _ in 0..<Int(rng.next() % 3) + 1 {
        broken[Int(rng.next() % UInt64(broken.count))] = UInt8(truncatingIfNeeded: rng.next())
      }
      expectParquetErrorOrSuccess("flipped") { _ = try deltaDecode(broken, count: values.count) }
    }
  }

  // MARK: DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY

  private static let byteArrayCases: [[[UInt8]]] = [
    [],
    [[]],
    [[], [], []],
    ["Hello", "World", "Foobar", "ABCDEF"].map { Array($0.utf8) },
    ["axis", "axle", "babble", "babyhood"].map { Array($0.utf8) },
    ["", "a", "", "ab", "abc", "abc", "", "abd", "b"].map { Array($0.utf8) },
    (0..<500).map { Array("prefix/shared/\($0 / 7)/\($0)".utf8) },
    (0..<300).map { [UInt8](repeating: UInt8($0 % 256), count: $0 % 37) },
  ]

  @Test("delta length byte array round trips and appends")
  func deltaLengthRoundTrip() throws {
    var offsets: [Int32] = []
    var data: [UInt8] = []
    var all: [[UInt8]] = []
    for values in Self.byteArrayCases {
      var bytes: [UInt8] = []
      DeltaLengthByteArray.encode(values, into: &bytes)
      let used = try bytes.withUnsafeBytes {
        try DeltaLengthByteArray.decode($0, count: values.count, offsets: &offsets, data: &data)
      }
      #expect(used == bytes.count)
      all += values
      #expect(offsets.count == all.count + 1)
      #expect(offsets.last.map(Int.init) == data.count)
      #expect(strings(offsets: offsets, data: data) == all)
    }
  }

  @Test("delta byte array round trips and appends")
  func deltaByteArrayRoundTrip() throws {
    var offsets: [Int32] = []
    var data: [UInt8] = []
    var all: [[UInt8]] = []
    for values in Self.byteArrayCases {
      var bytes: [UInt8] = []
      DeltaByteArray.encode(values, into: &bytes)
      let used = try bytes.withUnsafeBytes {
        try DeltaByteArray.decode($0, count: values.count, offsets: &offsets, data: &data)
      }
      #expect(used == bytes.count)
      all += values
      #expect(offsets.count == all.count + 1)
      #expect(strings(offsets: offsets, data: data) == all)
    }
  }

  @Test("delta byte array spec example")
  func deltaByteArraySpecExample() throws {
    let values = ["axis", "axle", "babble", "babyhood"].map { Array($0.utf8) }
    var bytes: [UInt8] = []
    DeltaByteArray.encode(values, into: &bytes)
    #expect(bytes.suffix(17) == Array("axislebabbleyhood".utf8)[...])
  }

  @Test("byte array decoders reject bad lengths and prefixes")
  func byteArrayBadInput() {
    func dlba(_ bytes: [UInt8], _ count: Int) throws {
      var offsets: [Int32] = []
      var data: [UInt8] = []
      _ = try bytes.withUnsafeBytes {
        try DeltaLengthByteArray.decode($0, count: count, offsets: &offsets, data: &data)
      }
    }
    func dba(_ bytes: [UInt8], _ count: Int) throws {
      var offsets: [Int32] = []
      var data: [UInt8] = []
      _ = try bytes.withUnsafeBytes {
        try DeltaByteArray.decode($0, count: count, offsets: &offsets, data: &data)
      }
    }
    // One length of 5 but only 2 bytes follow.
    #expect(throws: ParquetError.self) { try dlba([0x80, 0x01, 4, 1, 10, 0x41, 0x42], 1) }
    // Negative length (-1).
    #expect(throws: ParquetError.self) { try dlba([0x80, 0x01, 4, 1, 1], 1) }
    // Fewer lengths than values.
    #expect(throws: ParquetError.self) { try dlba([0x80, 0x01, 4, 1, 0], 2) }
    // First prefix 1 with no previous value.
    #expect(throws: ParquetError.self) { try dba([0x80, 0x01, 4, 1, 2, 0x80, 0x01, 4, 1, 0], 1) }
    // Empty input for zero values is fine.
    #expect(throws: Never.self) { try dlba([], 0) }
    #expect(throws: Never.self) { try dba([], 0) }
  }

  @Test("truncated or corrupted byte arrays throw ParquetError, never crash")
  func byteArrayFuzz() {
    var rng = SeededRandom(seed: 555)
    let values = Self.byteArrayCases[6] + Self.byteArrayCases[5]
    for dba in [false, true] {
      var bytes: [UInt8] = []
      if dba {
        DeltaByteArray.encode(values, into: &bytes)
      } else {
        DeltaLengthByteArray.encode(values, into: &bytes)
      }
      func run(_ input: [UInt8]) throws {
        var offsets: [Int32] = []
        var data: [UInt8] = []
        _ = try input.withUnsafeBytes {
          dba
            ? try DeltaByteArray.decode($0, count: values.count, offsets: &offsets, data: &data)
            : try DeltaLengthByteArray.decode(
              $0, count: values.count, offsets: &offsets, data: &data)
        }
      }
      for cut in 0..<bytes.count {
        // The values' bytes come last, so every cut loses data and must throw.
        #expect(throws: ParquetError.self, "cut \(cut)") { try run(Array(bytes[..<cut])) }
      }
      for _ in 0..<1000 {
        var broken = bytes
        for _ in 0..<Int(rng.next() % 3) + 1 {
          broken[Int(rng.next() % UInt64(broken.count))] = UInt8(truncatingIfNeeded: rng.next())
        }
        expectParquetErrorOrSuccess("flipped") { try run(broken) }
      }
    }
  }

  @Test("random garbage never crashes any decoder")
  func garbage() {
    var rng = SeededRandom(seed: 0xBAD)
    for round in 0..<2000 {
      let length = Int(rng.next() % 64)
      var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      // Half the inputs start with a valid delta header so the block code is reached.
      if round % 2 == 0 { bytes = [0x80, 0x01, 4, UInt8(rng.next() % 0x80)] + bytes }
      let count = Int(rng.next() % 300)
      expectParquetErrorOrSuccess("rle") {
        _ = try rleDecode(bytes, width: Int(rng.next() % 33), count: count, chunks: [3, 9])
      }
      expectParquetErrorOrSuccess("delta") { _ = try deltaDecode(bytes, count: count) }
      expectParquetErrorOrSuccess("byte arrays") {
        var offsets: [Int32] = []
        var data: [UInt8] = []
        _ = try bytes.withUnsafeBytes {
          try DeltaLengthByteArray.decode($0, count: count, offsets: &offsets, data: &data)
        }
        _ = try bytes.withUnsafeBytes {
          try DeltaByteArray.decode($0, count: count, offsets: &offsets, data: &data)
        }
      }
    }
  }

  // MARK: BYTE_STREAM_SPLIT and PLAIN booleans

  @Test("byte stream split spec example and round trips")
  func byteStreamSplit() throws {
    let encoded = hex("AA 00 A3 BB 11 B4 CC 22 C5 DD 33 D6")
    var out: [UInt8] = [1]
    try encoded.withUnsafeBytes { try ByteStreamSplit.decode($0, count: 3, width: 4, into: &out) }
    #expect(out == [1] + hex("AABBCCDD 00112233 A3B4C5D6"))
    var rng = SeededRandom(seed: 9)
    for width in [1, 3, 4, 8, 16] {
      let raw = (0..<(width * 77)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      var split: [UInt8] = []
      raw.withUnsafeBytes { ByteStreamSplit.encode($0, width: width, into: &split) }
      var back: [UInt8] = []
      try split.withUnsafeBytes {
        try ByteStreamSplit.decode($0, count: 77, width: width, into: &back)
      }
      #expect(back == raw, "width \(width)")
    }
    #expect(throws: ParquetError.self) {
      var sink: [UInt8] = []
      try encoded.withUnsafeBytes {
        try ByteStreamSplit.decode($0, count: 4, width: 4, into: &sink)
      }
    }
    #expect(throws: ParquetError.self) {
      var sink: [UInt8] = []
      try encoded.withUnsafeBytes {
        try ByteStreamSplit.decode($0, count: Int.max / 2, width: 8, into: &sink)
      }
    }
  }

  @Test("plain booleans round trip and reject short input")
  func plainBooleans() throws {
    var rng = SeededRandom(seed: 2)
    for count in [0, 1, 7, 8, 9, 64, 1001] {
      let values = (0..<count).map { _ in rng.next() % 2 == 0 }
      var bytes: [UInt8] = []
      values.withUnsafeBufferPointer { PlainBoolean.encode($0, into: &bytes) }
      #expect(bytes.count == (count + 7) / 8)
      var back = [Bool](repeating: false, count: count)
      try bytes.withUnsafeBytes { raw in
        try back.withUnsafeMutableBufferPointer { out in
          guard let base = out.baseAddress else { return }
          try PlainBoolean.decode(raw, count: count, into: base)
        }
      }
      #expect(back == values)
    }
    // LSB first: true, false, true, true → 0b1101.
    var packed: [UInt8] = []
    [true, false, true, true].withUnsafeBufferPointer { PlainBoolean.encode($0, into: &packed) }
    #expect(packed == [0x0d])
    var sink = [Bool](repeating: false, count: 9)
    #expect(throws: ParquetError.self) {
      try [UInt8(0xff)].withUnsafeBytes { raw in
        try sink.withUnsafeMutableBufferPointer {
          try PlainBoolean.decode(raw, count: 9, into: $0.baseAddress!)
        }
      }
    }
  }
}

/// Pages written by pyarrow 26.0.1 (`write_table`, no compression, no dictionary unless said,
/// `column_encoding=`); the bytes are page bodies after the page header.
@Suite("Parquet encodings: pyarrow vectors")
struct EncodingPeerVectorTests {
  @Test("DELTA_BINARY_PACKED INT64 [1...5] (block 256, 4 miniblocks)")
  func deltaSmall() throws {
    let bytes = hex("80020405020200000000")
    let (values, used) = try deltaDecode(bytes, count: 5)
    #expect(values == [1, 2, 3, 4, 5])
    #expect(used == bytes.count)
  }

  @Test("DELTA_BINARY_PACKED INT32 extremes (32-bit wrapping deltas)")
  func deltaInt32Extremes() throws {
    let pattern: [Int32] = [Int32.min, Int32.max, 0, Int32.min, 5, Int32.max, -1]
    let expected = Array(repeatElement(pattern, count: 20).joined())
    let (values, used) = try deltaDecode(Self.int32Extremes, count: expected.count)
    #expect(values.map { Int32(truncatingIfNeeded: $0) } == expected)
    #expect(used == Self.int32Extremes.count)
    // pyarrow uses our INT32 layout (block 128, 4 miniblocks): the bytes match exactly.
    var ours: [UInt8] = []
    DeltaBinaryPacked.encode(int32: expected, into: &ours)
    #expect(ours == Self.int32Extremes)
  }

  @Test("DELTA_BINARY_PACKED INT64 with Int64.min/max and 64-bit miniblocks")
  func deltaInt64Mixed() throws {
    let expected: [Int64] =
      [7, 5, 3, 1, 2, 3, 4, 5, Int64.min, Int64.max, 0, -1]
      + (0..<300).map { Int64($0 * $0 - 50 * $0) }
    let (values, used) = try deltaDecode(Self.int64Mixed, count: expected.count)
    #expect(values == expected)
    #expect(used == Self.int64Mixed.count)
  }

  @Test("DELTA_LENGTH_BYTE_ARRAY strings")
  func deltaLength() throws {
    let bytes = hex(
      "800104060a0b03000000be710000000000000000000048656c6c6f576f726c64466f6f62617241424344454678")
    var offsets: [Int32] = []
    var data: [UInt8] = []
    let used = try bytes.withUnsafeBytes {
      try DeltaLengthByteArray.decode($0, count: 6, offsets: &offsets, data: &data)
    }
    #expect(used == bytes.count)
    let expected = ["Hello", "World", "Foobar", "ABCDEF", "", "x"].map { Array($0.utf8) }
    #expect(strings(offsets: offsets, data: data) == expected)
    var ours: [UInt8] = []
    DeltaLengthByteArray.encode(expected, into: &ours)
    #expect(ours == bytes)
  }

  @Test("DELTA_BYTE_ARRAY strings")
  func deltaByteArray() throws {
    let bytes = hex(
      """
      800104070005030000008db10300000000000000000080010407080904000000930459000000000000000000000000
      00617869736c65626162626c6579686f6f6462616279686f6f64
      """)
    var offsets: [Int32] = []
    var data: [UInt8] = []
    let used = try bytes.withUnsafeBytes {
      try DeltaByteArray.decode($0, count: 7, offsets: &offsets, data: &data)
    }
    #expect(used == bytes.count)
    let expected = ["axis", "axle", "babble", "babyhood", "", "baby", "babyhood"].map {
      Array($0.utf8)
    }
    #expect(strings(offsets: offsets, data: data) == expected)
    var ours: [UInt8] = []
    DeltaByteArray.encode(expected, into: &ours)
    #expect(ours == bytes)
  }

  @Test("BYTE_STREAM_SPLIT FLOAT [1.5, -2.25, 3e10]")
  func byteStreamSplitFloat() throws {
    var out: [UInt8] = []
    try hex("000076000084c010df3fc050").withUnsafeBytes {
      try ByteStreamSplit.decode($0, count: 3, width: 4, into: &out)
    }
    let floats = stride(from: 0, to: out.count, by: 4).map { i in
      Float(
        bitPattern: UInt32(out[i]) | UInt32(out[i + 1]) << 8 | UInt32(out[i + 2]) << 16
          | UInt32(out[i + 3]) << 24)
    }
    #expect(floats == [1.5, -2.25, 3.0e10])
  }

  @Test("v1 dictionary page: RLE def levels and RLE_DICTIONARY indices")
  func dictionaryPage() throws {
    // 100 rows of an optional INT64: null when i % 3 == 0, else (i % 5) * 10.
    // Dictionary (first appearance): 10, 20, 40, 0, 30.
    let body = hex(
      """
      0e0000001bb66ddbb66ddbb66ddbb66ddb06031388160e14a285038568e140215a385088160e14a285038568210000
      """)
    let levelLength = Int(body[0]) | Int(body[1]) << 8 | Int(body[2]) << 16 | Int(body[3]) << 24
    let levelBytes = Array(body[4..<(4 + levelLength)])
    let (levels, levelsUsed) = try rleDecode(levelBytes, width: 1, count: 100)
    #expect(levels == (0..<100).map { $0 % 3 == 0 ? 0 : 1 })
    #expect(levelsUsed == levelLength)

    let dictionary: [Int64] = [10, 20, 40, 0, 30]
    let expected = (0..<100).filter { $0 % 3 != 0 }.map { Int64($0 % 5) * 10 }
    let indexBytes = Array(body[(4 + levelLength)...])
    let width = Int(indexBytes[0])
    #expect(width == 3)
    let (indices, _) = try rleDecode(
      Array(indexBytes[1...]), width: width, count: expected.count, chunks: [10, 3])
    #expect(indices.map { dictionary[Int($0)] } == expected)
    // Our encoder writes the same levels.
    #expect(rleEncode(levels, width: 1) == levelBytes)
  }

  static let int32Extremes = hex(
    """
    8001048c01ffffffff0fffffffff0f20202020ffffff7f010000000000000005000000faffffff0000000001000000
    ffffff7f010000000000000005000000faffffff0000000001000000ffffff7f010000000000000005000000faffff
    ff0000000001000000ffffff7f010000000000000005000000faffffff0000000001000000ffffff7f010000000000
    000005000000faffffff0000000001000000ffffff7f010000000000000005000000faffffff0000000001000000ff
    ffff7f010000000000000005000000faffffff0000000001000000ffffff7f010000000000000005000000faffffff
    0000000001000000ffffff7f010000000000000005000000faffffff0000000001000000ffffff7f01000000000000
    0005000000faffffff0000000001000000ffffff7f010000000000000005000000faffffff0000000001000000ffff
    ff7f010000000000000005000000faffffff0000000001000000ffffff7f010000000000000005000000faffffff00
    00000001000000ffffff7f010000000000000005000000faffffff0000000001000000ffffff7f0100000000000000
    05000000faffffff0000000001000000ffffff7f010000000000000005000000faffffff0000000001000000ffffff
    7f010000000000000005000000faffffff0000000001000000ffffff7f010000000000000005000000faffffff0000
    000001000000ffffff7f01000000ffffffff0f200000000000000005000000faffffff0000000001000000ffffff7f
    010000000000000005000000faffffff00000000000000000000000000000000000000000000000000000000000000
    0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
    00000000000000000000
    """)

  static let int64Mixed = hex(
    """
    800204b8020efdffffffffffffffff0140404040fdffffffffffff7ffdffffffffffff7ffdffffffffffff7f000000
    0000000080000000000000008000000000000000800000000000000080fafffffffffffffffeffffffffffff7f0000
    000000000000feffffffffffff7f0000000000000080ceffffffffffff7fd0ffffffffffff7fd2ffffffffffff7fd4
    ffffffffffff7fd6ffffffffffff7fd8ffffffffffff7fdaffffffffffff7fdcffffffffffff7fdeffffffffffff7f
    e0ffffffffffff7fe2ffffffffffff7fe4ffffffffffff7fe6ffffffffffff7fe8ffffffffffff7feaffffffffffff
    7fecffffffffffff7feeffffffffffff7ff0ffffffffffff7ff2ffffffffffff7ff4ffffffffffff7ff6ffffffffff
    ff7ff8ffffffffffff7ffaffffffffffff7ffcffffffffffff7ffeffffffffffff7f00000000000000800200000000
    0000800400000000000080060000000000008008000000000000800a000000000000800c000000000000800e000000
    00000080100000000000008012000000000000801400000000000080160000000000008018000000000000801a0000
    00000000801c000000000000801e000000000000802000000000000080220000000000008024000000000000802600
    00000000008028000000000000802a000000000000802c000000000000802e00000000000080300000000000008032
    000000000000803400000000000080360000000000008038000000000000803a000000000000803c00000000000080
    3e00000000000080400000000000008042000000000000804400000000000080460000000000008048000000000000
    804a000000000000804c000000000000804e0000000000008050000000000000805200000000000080540000000000
    0080560000000000008058000000000000805a000000000000805c000000000000805e000000000000806000000000
    00008062000000000000806400000000000080660000000000008068000000000000806a000000000000806c000000
    000000806e000000000000807000000000000080720000000000008074000000000000807600000000000080780000
    00000000807a000000000000807c000000000000807e00000000000080800000000000008082000000000000808400
    000000000080860000000000008088000000000000808a000000000000808c000000000000808e0000000000008090
    0000000000008092000000000000809400000000000080960000000000008098000000000000809a00000000000080
    9c000000000000809e00000000000080a000000000000080a200000000000080a400000000000080a6000000000000
    80a800000000000080aa00000000000080ac00000000000080ae00000000000080b000000000000080b20000000000
    0080b400000000000080b600000000000080b800000000000080ba00000000000080bc00000000000080be00000000
    000080c000000000000080c200000000000080c400000000000080c600000000000080c800000000000080ca000000
    00000080cc00000000000080ce00000000000080d000000000000080d200000000000080d400000000000080d60000
    0000000080d800000000000080da00000000000080dc00000000000080de00000000000080e000000000000080e200
    000000000080e400000000000080e600000000000080e800000000000080ea00000000000080ec00000000000080ee
    00000000000080f000000000000080f200000000000080f400000000000080f600000000000080f800000000000080
    fa00000000000080fc00000000000080fe000000000000800001000000000080020100000000008004010000000000
    80060100000000008008010000000000800a010000000000800c010000000000800e01000000000080100100000000
    008012010000000000801401000000000080160100000000008018010000000000801a010000000000801c01000000
    0000801e01000000000080200100000000008022010000000000802401000000000080260100000000008028010000
    000000802a010000000000802c010000000000802e0100000000008030010000000000803201000000000080340100
    0000000080360100000000008038010000000000803a010000000000803c010000000000803e010000000000804001
    00000000008042010000000000804401000000000080460100000000008048010000000000804a010000000000804c
    010000000000804e010000000000805001000000000080520100000000008054010000000000805601000000000080
    58010000000000805a010000000000805c010000000000805e01000000000080600100000000008062010000000000
    806401000000000080660100000000008068010000000000806a010000000000806c010000000000806e0100000000
    0080700100000000008072010000000000807401000000000080760100000000008078010000000000807a01000000
    0000807c010000000000807e0100000000008080010000000000808201000000000080840100000000008086010000
    0000008088010000000000808a010000000000808c010000000000808e010000000000809001000000000080920100
    00000000809401000000000080960100000000008098010000000000809a010000000000809c010000000000809e01
    000000000080a001000000000080a201000000000080a401000000000080a601000000000080a801000000000080aa
    01000000000080ac01000000000080ae01000000000080b001000000000080b201000000000080b401000000000080
    ee06070000000001c18050301c1009c582d1703c2011c98452b15c3019cd86d3f17c4021d18854329d5029d58ad572
    bd6031d98c56b30100000000000000
    """)
}

@Suite("column buffers")
struct ColumnBufferTests {
  @Test("removeRows keeps the other rows in order: strings, integers, nulls, edges")
  func removeRows() {
    let n = 50
    let removals: [[Int]] = [[], [0], [n - 1], [0, 1, 2], [3, 4, 17, 30, 49], Array(0..<n), [25]]
    for rows in removals {
      var strings = ColumnBuffer(type: .string)
      var ints = ColumnBuffer(type: .int64)
      var flags = ColumnBuffer(type: .boolean)
      for i in 0..<n {
        if i % 7 == 3 {
          strings.appendNull()
          ints.appendNull()
        } else {
          strings.append(string: String(repeating: "x", count: i % 5) + "\(i)")
          ints.append(Int64(i * 3))
        }
        flags.append(i % 2 == 0)
      }
      let kept = (0..<n).filter { !rows.contains($0) }
      var expectedStrings = ColumnBuffer(type: .string)
      var expectedInts = ColumnBuffer(type: .int64)
      var expectedFlags = ColumnBuffer(type: .boolean)
      for i in kept {
        expectedStrings.append(from: strings, row: i)
        expectedInts.append(from: ints, row: i)
        expectedFlags.append(from: flags, row: i)
      }
      strings.removeRows(rows)
      ints.removeRows(rows)
      flags.removeRows(rows)
      for (got, expected) in [
        (strings, expectedStrings), (ints, expectedInts), (flags, expectedFlags),
      ] {
        #expect(got.count == kept.count, "\(rows)")
        #expect(got.nullCount == expected.nullCount, "\(rows)")
        for r in 0..<kept.count {
          #expect(got.isValid(r) == expected.isValid(r), "\(rows) row \(r)")
        }
      }
      #expect(strings.offsets == expectedStrings.offsets, "\(rows)")
      #expect(strings.data == expectedStrings.data, "\(rows)")
      #expect(ints.int64s == expectedInts.int64s, "\(rows)")
      #expect(flags.booleans == expectedFlags.booleans, "\(rows)")
    }
  }
}
