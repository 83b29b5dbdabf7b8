import Foundation
import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

/// A schema with every lh type, nullable and required.
let allTypesSchema = TableSchema([
  ColumnSpec("b", .boolean), ColumnSpec("i32", .int32), ColumnSpec("i64", .int64, nullable: false),
  ColumnSpec("f", .float), ColumnSpec("d", .double), ColumnSpec("s", .string),
  ColumnSpec("bin", .binary), ColumnSpec("day", .date), ColumnSpec("ts", .timestamp),
  ColumnSpec("money", .decimal(precision: 12, scale: 2)),
  ColumnSpec("uid", .string, nullable: false),
])

/// Deterministic rows for `allTypesSchema`: nulls every 7th row, low- and high-cardinality strings.
func makeAllTypesBatch(rows: Int, seed: UInt64 = 1) -> [ColumnBuffer] {
  var cols = allTypesSchema.columns.map { ColumnBuffer(type: $0.type) }
  var s = seed
  func next() -> UInt64 {
    s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return s >> 11
  }
  let words = ["", "a", "müsli", "東京", String(repeating: "long", count: 300), "z"]
  for r in 0..<rows {
    let null = r % 7 == 3
    if null { cols[0].appendNull() } else { cols[0].append(r % 3 == 0) }
    if null {
      cols[1].appendNull()
    } else {
      cols[1].append(Int32(truncatingIfNeeded: Int64(next() % 2000) - 1000))
    }
    cols[2].append(r == 0 ? Int64.min : (r == 1 ? Int64.max : Int64(bitPattern: UInt64(next()))))
    if null { cols[3].appendNull() } else { cols[3].append(Float(r) / 4) }
    if null {
      cols[4].appendNull()
    } else {
      cols[4].append(r == 5 ? -0.0 : Double(Int(next() % 100_000)) / 8 - 1000)
    }
    if null { cols[5].appendNull() } else { cols[5].append(string: words[r % words.count]) }
    if null { cols[6].appendNull() } else { cols[6].append(bytes: [UInt8(r & 0xFF), 0, 0xFF]) }
    if null { cols[7].appendNull() } else { cols[7].append(Int32(r % 40_000) - 20_000) }
    if null {
      cols[8].appendNull()
    } else {
      cols[8].append(Int64(r) * 1_000_003 - 5_000_000_000_000)
    }
    if null { cols[9].appendNull() } else { cols[9].append(Int64(next() % 1_000_000) - 500_000) }
    cols[10].append(string: "id-\(next())")
  }
  return cols
}

/// Compares two column buffers value by value.
func expectEqual(_ a: ColumnBuffer, _ b: ColumnBuffer, _ name: String) {
  #expect(a.count == b.count, "\(name): \(a.count) vs \(b.count) rows")
  guard a.count == b.count else { return }
  for i in 0..<a.count {
    #expect(a.isValid(i) == b.isValid(i), "\(name) row \(i) validity")
    guard a.isValid(i), b.isValid(i) else { continue }
    let same: Bool
    switch a.type.storage {
    case .boolean: same = a.booleans[i] == b.booleans[i]
    case .int32: same = a.int32s[i] == b.int32s[i]
    case .int64: same = a.int64s[i] == b.int64s[i]
    case .int128: same = a.int128s[i] == b.int128s[i]
    case .float: same = a.floats[i].bitPattern == b.floats[i].bitPattern
    case .double: same = a.doubles[i].bitPattern == b.doubles[i].bitPattern
    case .bytes: same = a.bytes(at: i) == b.bytes(at: i)
    }
    if !same {
      Issue.record("\(name) row \(i) differs")
      return
    }
  }
}

@Suite("Parquet writer and reader round trip")
struct ParquetRoundTripTests {
  @Test(
    "every type, nulls, dictionary and PLAIN, several row groups and pages",
    arguments: [
      (CompressionCodec.zstd, AnnotationStyle.both), (.uncompressed, .both), (.zstd, .logicalOnly),
      (.zstd, .convertedOnly),
    ])
  func roundTrip(codec: CompressionCodec, annotations: AnnotationStyle) throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("t.parquet").path
    var options = ParquetWriteOptions()
    options.codec = codec
    options.annotations = annotations
    options.maxRowGroupRows = 3000
    options.maxPageRows = 700
    options.dictionaryPageLimit = 2000
    let writer = try ParquetFileWriter(path: path, schema: allTypesSchema, options: options)
    let a = makeAllTypesBatch(rows: 5000, seed: 1)
    let b = makeAllTypesBatch(rows: 2345, seed: 2)
    try writer.write(a)
    try writer.write(b)
    let summary = try writer.close()
    #expect(summary.rows == 7345)
    #expect(summary.rowGroups == 3)
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
    #expect(summary.bytes == size)
    // No temporary file is left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.parquet"])

    let reader = try ParquetFileReader(path: path)
    #expect(reader.schema == allTypesSchema)
    #expect(reader.rowCount == 7345)
    #expect(reader.metadata.createdBy?.hasPrefix("lh version ") == true)
    #expect(reader.metadata.columnOrderCount == allTypesSchema.columns.count)
    var read = allTypesSchema.columns.map { ColumnBuffer(type: $0.type) }
    for g in 0..<reader.rowGroupCount {
      let cols = try reader.readRowGroup(g)
      for c in cols.indices {
        for i in 0..<cols[c].count { read[c].append(from: cols[c], row: i) }
      }
    }
    var expected = allTypesSchema.columns.map { ColumnBuffer(type: $0.type) }
    for c in expected.indices {
      for i in 0..<a[c].count { expected[c].append(from: a[c], row: i) }
      for i in 0..<b[c].count { expected[c].append(from: b[c], row: i) }
    }
    for c in expected.indices { expectEqual(read[c], expected[c], allTypesSchema.columns[c].name) }

    // Reading into the same buffers, group after group (storage reused), gives the same rows.
    let again = try ParquetFileReader(path: path)
    var reused: [ColumnBuffer] = []
    for g in 0..<again.rowGroupCount {
      try again.readRowGroup(g, into: &reused)
      let fresh = try reader.readRowGroup(g)
      for c in fresh.indices { expectEqual(reused[c], fresh[c], "reused \(g)/\(c)") }
    }

    // Column projection reads only what is asked.
    let projected = try reader.readRowGroup(1, columns: [5, 2])
    #expect(projected.count == 2 && projected[0].type == .string && projected[1].type == .int64)
  }

  @Test("long strings: data pages stay near the byte bound, not the row bound")
  func pageByteBound() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("long.parquet").path
    var options = ParquetWriteOptions()
    options.maxPageBytes = 64 << 10
    options.dictionary = false
    let schema = TableSchema([ColumnSpec("s", .string)])
    var column = ColumnBuffer(type: .string)
    for i in 0..<3000 {
      // 1 to ~10 KB per value, and a null now and then.
      if i % 97 == 0 {
        column.appendNull()
      } else {
        column.append(string: String(repeating: "v\(i % 10)", count: 1 + (i * 7919) % 5000))
      }
    }
    let writer = try ParquetFileWriter(path: path, schema: schema, options: options)
    try writer.write([column])
    try writer.close()
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let reader = try ParquetFileReader(path: path)
    let chunk = reader.metadata.rowGroups[0].columns[0].metaData!
    var sizes: [Int] = []
    try bytes.withUnsafeBytes { all in
      var r = ThriftReader(all, position: Int(chunk.dataPageOffset))
      while r.position < Int(chunk.dataPageOffset + chunk.totalCompressedSize) {
        let h = try PageHeader(from: &r)
        sizes.append(Int(h.uncompressedPageSize))
        r = ThriftReader(all, position: r.position + Int(h.compressedPageSize))
      }
    }
    #expect(sizes.count > 10)
    // One value may overshoot the bound: at most the bound plus the longest value.
    #expect(sizes.allSatisfy { $0 <= (64 << 10) + 10_100 }, "\(sizes)")
    let read = try reader.readRowGroup(0)
    expectEqual(read[0], column, "s")
  }

  @Test("dictionary codes: each row's index into its chunk's dictionary, only when asked")
  func dictionaryCodes() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("codes.parquet").path
    let schema = TableSchema([
      ColumnSpec("s", .string), ColumnSpec("n", .int64, nullable: false),
      ColumnSpec("u", .string, nullable: false),
    ])
    var options = ParquetWriteOptions()
    options.maxRowGroupRows = 1000
    let writer = try ParquetFileWriter(path: path, schema: schema, options: options)
    var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
    for i in 0..<2500 {
      if i % 9 == 4 { cols[0].appendNull() } else { cols[0].append(string: "k\(i * 7 % 13)") }
      cols[1].append(Int64(i % 5) * 1_000_000_007)
      // All distinct: the writer falls back to PLAIN, so no codes.
      cols[2].append(string: "unique-\(i)")
    }
    try writer.write(cols)
    _ = try writer.close()
    let plain = try ParquetFileReader(path: path)
    #expect(try !plain.readRowGroup(0)[0].dictionaryCodesValid)
    let reader = try ParquetFileReader(path: path)
    reader.keepsDictionaryCodes = true
    var read: [ColumnBuffer] = []
    var dictionaries: [ColumnDictionary] = []
    for g in 0..<reader.rowGroupCount {
      try reader.readRowGroup(g, into: &read)
      let s = read[0]
      let n = read[1]
      #expect(s.dictionaryCodesValid && n.dictionaryCodesValid)
      #expect(!read[2].dictionaryCodesValid)
      guard let sd = s.dictionary, let nd = n.dictionary else { continue }
      dictionaries.append(sd)
      for r in 0..<s.count where s.isValid(r) {
        #expect(Array(sd.values.bytes(at: Int(s.dictionaryCodes[r]))) == Array(s.bytes(at: r)))
      }
      for r in 0..<n.count {
        #expect(nd.values.int64s[Int(n.dictionaryCodes[r])] == n.int64s[r])
      }
      #expect(s.count == min(1000, 2500 - g * 1000))
      for r in 0..<s.count {
        #expect(s.isValid(r) == cols[0].isValid(g * 1000 + r))
        #expect(s.bytes(at: r) == cols[0].bytes(at: g * 1000 + r))
      }
    }
    // A dictionary per chunk.
    #expect(dictionaries.count == 3)
    #expect(dictionaries[0] !== dictionaries[1] && dictionaries[1] !== dictionaries[2])
  }

  @Test("statistics are exact and let row groups be skipped")
  func statistics() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("s.parquet").path
    let schema = TableSchema([
      ColumnSpec("n", .int64), ColumnSpec("s", .string), ColumnSpec("x", .double),
    ])
    var options = ParquetWriteOptions()
    options.maxRowGroupRows = 100
    let writer = try ParquetFileWriter(path: path, schema: schema, options: options)
    var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
    for i in 0..<300 {
      cols[0].append(Int64(i))
      if i % 10 == 0 { cols[1].appendNull() } else { cols[1].append(string: "k\(i % 100)") }
      cols[2].append(i == 150 ? Double.nan : Double(i) - 150)
    }
    try writer.write(cols)
    let summary = try writer.close()
    #expect(summary.statistics[0].min == .int(0) && summary.statistics[0].max == .int(299))
    #expect(summary.statistics[1].nullCount == 30)
    #expect(summary.statistics[1].min == .bytes(Array("k1".utf8)))
    #expect(summary.statistics[1].max == .bytes(Array("k99".utf8)))
    #expect(summary.statistics[2].nanCount == 1)
    #expect(summary.statistics[2].max == .double(149))
    let reader = try ParquetFileReader(path: path)
    #expect(reader.statistics(rowGroup: 1, column: 0)?.min == .int(100))
    #expect(reader.statistics(rowGroup: 1, column: 0)?.max == .int(199))
    // Row group 1 holds x = -50…49 and the NaN, which statistics skip.
    #expect(reader.statistics(rowGroup: 1, column: 2)?.min == .double(-50))
    #expect(reader.statistics(rowGroup: 1, column: 2)?.max == .double(49))
    let predicate = RangePredicate(column: "n", lowerBound: .int(150), upperBound: .int(160))
    #expect((0..<3).map { reader.mayContain(rowGroup: $0, predicate) } == [false, true, false])
  }

  @Test("a string min or max too long to record leaves no min/max, never a huge footer")
  func longStatistics() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("l.parquet").path
    let schema = TableSchema([ColumnSpec("s", .string), ColumnSpec("t", .string)])
    var options = ParquetWriteOptions()
    options.maxRowGroupRows = 100
    let writer = try ParquetFileWriter(path: path, schema: schema, options: options)
    var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
    let limit = ColumnStatistics.maxByteStatistic
    for i in 0..<300 {
      // Row group 1 holds one 1 MiB value, the largest; row group 2 one the smallest.
      cols[0].append(
        string: i == 150
          ? String(repeating: "z", count: 1 << 20)
          : i == 250 ? String(repeating: "a", count: limit + 1) : "m\(i)")
      // Values of exactly the limit are still recorded, and shorter ones compare exactly with
      // a longer one kept only in part.
      cols[1].append(
        string: i == 0 ? String(repeating: "y", count: limit) : i == 1 ? "yy" : "b\(i)")
    }
    try writer.write(cols)
    let summary = try writer.close()
    #expect(summary.bytes < 64 << 10, "\(summary.bytes) bytes")
    #expect(summary.statistics[0].unbounded)
    #expect(summary.statistics[0].min == nil && summary.statistics[0].max == nil)
    #expect(!summary.statistics[1].unbounded)
    #expect(summary.statistics[1].max == .bytes(Array(String(repeating: "y", count: limit).utf8)))
    #expect(summary.statistics[1].min == .bytes(Array("b10".utf8)))
    let reader = try ParquetFileReader(path: path)
    #expect(reader.statistics(rowGroup: 0, column: 0)?.min == .bytes(Array("m0".utf8)))
    #expect(reader.statistics(rowGroup: 0, column: 0)?.max == .bytes(Array("m99".utf8)))
    for g in [1, 2] {
      let s = reader.statistics(rowGroup: g, column: 0)
      #expect(s?.min == nil && s?.max == nil, "row group \(g)")
      // No bounds: the row group can never be skipped on this column.
      let predicate = RangePredicate(column: "s", lowerBound: .bytes([0x30]), upperBound: nil)
      #expect(reader.mayContain(rowGroup: g, predicate))
    }
    let read = try reader.readRowGroup(1)
    #expect(read[0].count == 100)
    #expect((Canonical.value(read[0], 50) as? String)?.utf8.count == 1 << 20)
  }

  @Test(
    "without a dictionary: strings DELTA_LENGTH_BYTE_ARRAY, sorted or stepping ints DELTA_BINARY_PACKED, random ints PLAIN",
    arguments: [CompressionCodec.zstd, .uncompressed])
  func deltaEncodings(codec: CompressionCodec) throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("delta.parquet").path
    let (schema, columns) = makeDeltaBatch(rows: 5000)
    var options = ParquetWriteOptions()
    options.codec = codec
    options.maxRowGroupRows = 2000
    options.maxPageRows = 500
    let writer = try ParquetFileWriter(path: path, schema: schema, options: options)
    try writer.write(columns)
    try writer.close()

    let reader = try ParquetFileReader(path: path)
    #expect(reader.rowGroupCount == 3)
    let plain = Encoding.plain.rawValue
    let dbp = Encoding.deltaBinaryPacked.rawValue
    let dlba = Encoding.deltaLengthByteArray.rawValue
    for g in 0..<reader.rowGroupCount {
      let encodings = reader.metadata.rowGroups[g].columns.map { $0.metaData?.encodings ?? [] }
      #expect(encodings[0].contains(dbp) && !encodings[0].contains(plain), "ts \(encodings[0])")
      #expect(encodings[1] == [dbp], "i64 \(encodings[1])")
      #expect(encodings[2] == [dbp], "i32 \(encodings[2])")
      #expect(encodings[3] == [plain], "random \(encodings[3])")
      #expect(encodings[4] == [dlba], "id \(encodings[4])")
      #expect(encodings[5].contains(dlba), "name \(encodings[5])")
    }
    // Row group 0 holds the page of "name" that is all nulls: PLAIN (no values to delta-code).
    #expect(reader.metadata.rowGroups[0].columns[5].metaData?.encodings.contains(plain) == true)

    var read = schema.columns.map { ColumnBuffer(type: $0.type) }
    for g in 0..<reader.rowGroupCount {
      let cols = try reader.readRowGroup(g)
      for c in cols.indices { read[c].append(contentsOf: cols[c]) }
    }
    for c in columns.indices { expectEqual(read[c], columns[c], schema.columns[c].name) }
    let stats = try #require(reader.statistics(rowGroup: 1, column: 4))
    let ids = (2000..<4000).map { Array(columns[4].bytes(at: $0)) }
    #expect(stats.min == .bytes(ids.min { $0.lexicographicallyPrecedes($1) } ?? []))
    #expect(stats.max == .bytes(ids.max { $0.lexicographicallyPrecedes($1) } ?? []))
  }

  @Test("string statistics without a dictionary order bytes unsigned, short and shared prefixes")
  func byteStatistics() throws {
    let dir = try TestTools.temporaryDirectory()
    let schema = TableSchema([ColumnSpec("s", .binary)])
    var options = ParquetWriteOptions()
    options.dictionary = false
    let groups: [[[UInt8]]] = [
      [[0x61, 0x62], [0x61, 0x62, 0], [0x61], [], [0xFF], [0x80, 0x01], [0x7F, 0xFF, 0xFF]],
      [Array("abcdefgh2".utf8), Array("abcdefgh10".utf8), Array("abcdefgh".utf8), [0x61, 0]],
      [Array("zzzzzzzz".utf8), Array("zzzzzzzz\u{0}".utf8), Array("zzzzzzzy~~~~".utf8)],
    ]
    for (g, values) in groups.enumerated() {
      let file = dir.appendingPathComponent("b\(g).parquet").path
      let w = try ParquetFileWriter(path: file, schema: schema, options: options)
      var col = ColumnBuffer(type: .binary)
      for v in values { col.append(bytes: v) }
      try w.write([col])
      try w.close()
      let stats = try #require(try ParquetFileReader(path: file).statistics(rowGroup: 0, column: 0))
      #expect(stats.min == .bytes(values.min { $0.lexicographicallyPrecedes($1) } ?? []), "\(g)")
      #expect(stats.max == .bytes(values.max { $0.lexicographicallyPrecedes($1) } ?? []), "\(g)")
    }
  }

  @Test("repeated values reuse the previous dictionary index across pages and row groups")
  func repeatedValues() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("r.parquet").path
    let schema = TableSchema([
      ColumnSpec("s", .string), ColumnSpec("n", .int64), ColumnSpec("d", .double),
      ColumnSpec("i", .int32), ColumnSpec("same", .string, nullable: false),
    ])
    var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
    // Runs of every length, values that differ only in length or by a zero byte, -0.0 after
    // 0.0 (same value, other bits), nulls inside runs.
    let strings = ["x", "x\u{0}", "", "x", "xy", "source-file-2026-01-01.ndjson"]
    let doubles = [0.0, -0.0, 1.5, 1.5, .nan, 0.0]
    var r = 0
    for run in 0..<400 {
      let length = [1, 2, 7, 8, 9, 30][run % 6]
      for k in 0..<length {
        let v = run % strings.count
        if k == 3 && run % 5 == 0 {
          for c in 0..<4 { cols[c].appendNull() }
        } else {
          cols[0].append(string: strings[v])
          cols[1].append(Int64(v) - 2)
          cols[2].append(doubles[v])
          cols[3].append(Int32(v % 2))
        }
        cols[4].append(string: "lake/bronze/events.ndjson")
        r += 1
      }
    }
    var options = ParquetWriteOptions()
    options.maxPageRows = 97
    options.maxRowGroupRows = 1000
    let writer = try ParquetFileWriter(path: path, schema: schema, options: options)
    try writer.write(cols)
    try writer.close()
    let reader = try ParquetFileReader(path: path)
    #expect(reader.rowGroupCount == (r + 999) / 1000)
    var read = schema.columns.map { ColumnBuffer(type: $0.type) }
    for g in 0..<reader.rowGroupCount {
      let chunk = try reader.readRowGroup(g)
      for c in chunk.indices { read[c].append(contentsOf: chunk[c]) }
      // The constant column is one dictionary entry.
      let encodings = reader.metadata.rowGroups[g].columns[4].metaData?.encodings ?? []
      #expect(encodings.contains(Encoding.rleDictionary.rawValue))
    }
    for c in cols.indices { expectEqual(read[c], cols[c], schema.columns[c].name) }
  }

  @Test("zero rows and a required column that gets a null")
  func edges() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("z.parquet").path
    let writer = try ParquetFileWriter(path: path, schema: allTypesSchema)
    try writer.write(allTypesSchema.columns.map { ColumnBuffer(type: $0.type) })
    let summary = try writer.close()
    #expect(summary.rows == 0 && summary.rowGroups == 0)
    let reader = try ParquetFileReader(path: path)
    #expect(reader.rowCount == 0 && reader.schema == allTypesSchema)

    let w2 = try ParquetFileWriter(
      path: dir.appendingPathComponent("r.parquet").path,
      schema: TableSchema([ColumnSpec("x", .int64, nullable: false)]))
    var c = ColumnBuffer(type: .int64)
    c.appendNull()
    #expect(throws: ParquetError.self) { try w2.write([c]) }
    w2.abort()
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["z.parquet"])
  }
}

/// Columns that a dictionary does not fit (nearly every value distinct), of the shapes the writer
/// delta-codes: sorted timestamps with nulls, 64- and 32-bit arithmetic steps that wrap, random
/// 64-bit numbers (PLAIN), hex ids, and names with nulls, empty and non-ASCII strings (one page of
/// rows 1000..<1500 all null).
func makeDeltaBatch(rows: Int) -> (TableSchema, [ColumnBuffer]) {
  let schema = TableSchema([
    ColumnSpec("ts", .timestamp), ColumnSpec("i64", .int64, nullable: false),
    ColumnSpec("i32", .int32, nullable: false), ColumnSpec("random", .int64, nullable: false),
    ColumnSpec("id", .string, nullable: false), ColumnSpec("name", .string),
  ])
  var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
  var state: UInt64 = 7
  func next() -> UInt64 {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return state ^ (state >> 29)
  }
  let hexDigits = Array("0123456789abcdef".utf8)
  var ts: Int64 = 1_767_225_600_000_000
  for r in 0..<rows {
    ts += Int64(next() % 5000)
    if r % 11 == 4 { cols[0].appendNull() } else { cols[0].append(ts) }
    cols[1].append(Int64(bitPattern: UInt64(r) &* 0x9E37_79B9_7F4A_7C15))
    cols[2].append(Int32(truncatingIfNeeded: r &* 1_000_000_007))
    cols[3].append(Int64(bitPattern: next()))
    let id = (0..<32).map { _ in hexDigits[Int(next() % 16)] }
    cols[4].append(bytes: id)
    if (1000..<1500).contains(r) || r % 13 == 0 {
      cols[5].appendNull()
    } else {
      cols[5].append(string: r % 17 == 0 ? "" : "name \(r) müsli 東京 \(next() % 1000)")
    }
  }
  return (schema, cols)
}
