import Foundation
import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

/// The writer's shortcuts (uniform columns, a dictionary given up at the probe) and the
/// reader's codes-only columns give the same rows as the long way.
@Suite("Parquet writer and reader fast paths")
struct WriterFastPathTests {
  let rle = Encoding.rleDictionary.rawValue

  @Test("uniform columns: one dictionary entry and one run per batch, rows as written")
  func uniformColumns() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("uniform.parquet").path
    let schema = TableSchema([
      ColumnSpec("source", .string, nullable: false), ColumnSpec("digest", .string),
      ColumnSpec("day", .date, nullable: false), ColumnSpec("n", .int64),
    ])
    var options = ParquetWriteOptions()
    options.maxPageRows = 700
    options.maxRowGroupRows = 5000
    let writer = try ParquetFileWriter(path: path, schema: schema, options: options)
    var all = schema.columns.map { ColumnBuffer(type: $0.type) }
    for (k, name) in ["a.ndjson", "bb.ndjson", "a.ndjson"].enumerated() {
      let rows = 1800 + k * 100
      var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
      Array(name.utf8).withUnsafeBytes { cols[0].append(bytes: $0, repeating: rows) }
      Array("d\(k % 2)".utf8).withUnsafeBytes { cols[1].append(bytes: $0, repeating: rows) }
      cols[2].append(Int32(20_000 + k), repeating: rows)
      cols[3].append(Int64(k) - 1, repeating: rows)
      let uniform = cols.allSatisfy { $0.isUniform }
      #expect(uniform)
      for c in cols.indices { all[c].append(contentsOf: cols[c]) }
      try writer.write(cols)
    }
    // A repeated value appended after others is not uniform: the hint must not stick.
    var mixed = schema.columns.map { ColumnBuffer(type: $0.type) }
    Array("x".utf8).withUnsafeBytes { mixed[0].append(bytes: $0, repeating: 3) }
    mixed[0].append(string: "y")
    Array("z".utf8).withUnsafeBytes { mixed[0].append(bytes: $0, repeating: 2) }
    mixed[1].appendNull()
    Array("d9".utf8).withUnsafeBytes { mixed[1].append(bytes: $0, repeating: 5) }
    mixed[2].append(Int32(7), repeating: 3)
    mixed[2].append(Int32(8), repeating: 3)
    mixed[3].append(Int64(5))
    mixed[3].append(Int64(6), repeating: 5)
    let anyUniform = mixed.contains { $0.isUniform }
    #expect(!anyUniform)
    for c in mixed.indices { all[c].append(contentsOf: mixed[c]) }
    try writer.write(mixed)
    try writer.close()

    let reader = try ParquetFileReader(path: path)
    var read = schema.columns.map { ColumnBuffer(type: $0.type) }
    for g in 0..<reader.rowGroupCount {
      let group = try reader.readRowGroup(g)
      for c in read.indices { read[c].append(contentsOf: group[c]) }
      for chunk in reader.metadata.rowGroups[g].columns {
        #expect(chunk.metaData?.encodings.contains(rle) == true)
      }
    }
    for (c, spec) in schema.columns.enumerated() { expectEqual(read[c], all[c], spec.name) }
    #expect(reader.metadata.rowGroups.count == 2)
  }

  @Test("a first page of distinct values goes PLAIN at the probe, not at its end")
  func probeGivesUpDictionary() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("probe.parquet").path
    let schema = TableSchema([
      ColumnSpec("line", .string), ColumnSpec("number", .int64, nullable: false),
      ColumnSpec("kind", .string, nullable: false),
    ])
    var options = ParquetWriteOptions()
    options.maxPageRows = 50_000
    let writer = try ParquetFileWriter(path: path, schema: schema, options: options)
    var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
    for r in 0..<12_000 {
      if r % 50 == 3 { cols[0].appendNull() } else { cols[0].append(string: "{\"n\":\(r)}") }
      cols[1].append(Int64(r) * 3)
      cols[2].append(string: ["a", "b", "c"][r % 3])
    }
    try writer.write(cols)
    try writer.close()
    let reader = try ParquetFileReader(path: path)
    let encodings = reader.metadata.rowGroups[0].columns.map { $0.metaData?.encodings ?? [] }
    #expect(!encodings[0].contains(rle), "line \(encodings[0])")
    #expect(!encodings[1].contains(rle), "number \(encodings[1])")
    #expect(encodings[2].contains(rle), "kind \(encodings[2])")
    let read = try reader.readRowGroup(0)
    for (c, spec) in schema.columns.enumerated() { expectEqual(read[c], cols[c], spec.name) }
  }

  @Test("codes only: no values decoded, codes and nulls as written; a mixed chunk gets values")
  func codesOnly() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("codes.parquet").path
    let schema = TableSchema([
      ColumnSpec("s", .string), ColumnSpec("n", .int64, nullable: false),
      ColumnSpec("u", .string, nullable: false), ColumnSpec("t", .int64, nullable: false),
    ])
    var options = ParquetWriteOptions()
    options.maxRowGroupRows = 1000
    options.maxPageRows = 100
    // `u` outgrows this dictionary within a chunk: dictionary pages, then PLAIN ones.
    options.dictionaryPageLimit = 2000
    let writer = try ParquetFileWriter(path: path, schema: schema, options: options)
    var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
    for i in 0..<2500 {
      // Rows 1000-1099 (a whole page of the second chunk) are null.
      if i % 9 == 4 || (1000..<1100).contains(i) {
        cols[0].appendNull()
      } else {
        cols[0].append(string: "k\(i * 7 % 13)")
      }
      cols[1].append(Int64(i % 5) * 1_000_000_007)
      cols[2].append(string: "u\(i / 2)")
      cols[3].append(Int64(i))
    }
    try writer.write(cols)
    _ = try writer.close()
    let reader = try ParquetFileReader(path: path)
    reader.keepsDictionaryCodes = true
    reader.codesOnlyColumns = [0, 1, 2]
    var read: [ColumnBuffer] = []
    for g in 0..<reader.rowGroupCount {
      try reader.readRowGroup(g, into: &read)
      let base = g * 1000
      let s = read[0]
      let n = read[1]
      #expect(s.valuesOmitted && s.dictionaryCodesValid && s.data.isEmpty)
      #expect(n.valuesOmitted && n.dictionaryCodesValid && n.int64s.isEmpty)
      #expect(s.count == min(1000, 2500 - base) && n.count == s.count)
      if let d = s.dictionary {
        for r in 0..<s.count {
          #expect(s.isValid(r) == cols[0].isValid(base + r))
          guard s.isValid(r) else { continue }
          #expect(
            Array(d.values.bytes(at: Int(s.dictionaryCodes[r])))
              == Array(cols[0].bytes(at: base + r)))
        }
      }
      if let d = n.dictionary {
        for r in 0..<n.count {
          #expect(d.values.int64s[Int(n.dictionaryCodes[r])] == cols[1].int64s[base + r])
        }
      }
      // `u`: in the full chunks, dictionary pages then PLAIN ones: its values restored from
      // the codes read first (the last, shorter chunk may stay all dictionary-encoded).
      let u = read[2]
      if g == 0 { #expect(!u.valuesOmitted && !u.dictionaryCodesValid) }
      for r in 0..<u.count {
        if u.valuesOmitted, let d = u.dictionary {
          #expect(d.values.bytes(at: Int(u.dictionaryCodes[r])) == cols[2].bytes(at: base + r))
        } else {
          #expect(u.bytes(at: r) == cols[2].bytes(at: base + r))
        }
      }
      // Not asked for codes only: values as ever.
      #expect(!read[3].valuesOmitted && read[3].int64s.count == read[3].count)
    }
  }
}
