import Foundation
import LakeFormats
import LakeTestSupport
import Testing

/// Files written by pyarrow, DuckDB and Polars with their defaults and common options
/// (`fixtures/parquet/peers/`, made by `tests/peers/make_fixtures.py`): lh must read each one to
/// the same values as the writer held, and the same types.
@Suite("Parquet files written by peers")
struct PeerFixtureTests {
  static let root = TestTools.repositoryRoot().appendingPathComponent("fixtures/parquet")

  static var peerFiles: [String] {
    ((try? FileManager.default.contentsOfDirectory(
      atPath: root.appendingPathComponent("peers").path)) ?? [])
      .filter { $0.hasSuffix(".parquet") }.sorted()
  }

  @Test("the fixtures are there (a parameterized test over nothing would pass)")
  func fixturesPresent() {
    #expect(Self.peerFiles.count >= 33)
  }

  @Test("reads every peer file to the writer's values", arguments: peerFiles)
  func readsPeerFile(file: String) throws {
    let dir = Self.root.appendingPathComponent("peers")
    let stem = String(file.dropLast(".parquet".count))
    let reader = try ParquetFileReader(path: dir.appendingPathComponent(file).path)

    let schemaData = try Data(contentsOf: dir.appendingPathComponent(stem + ".schema.json"))
    let expectedSchema = try #require(
      try JSONSerialization.jsonObject(with: schemaData) as? [[String: Any]])
    #expect(reader.schema.columns.count == expectedSchema.count)
    for (spec, want) in zip(reader.schema.columns, expectedSchema) {
      #expect(spec.name == want["name"] as? String)
      // The canonical schema names a timestamp without time zone `timestamp` (taken as UTC wall
      // time); lh reads it as timestamp_ntz (isAdjustedToUTC=false: every ts_naive column).
      let type = spec.type == .timestampNtz ? "timestamp" : spec.type.description
      #expect(type == want["type"] as? String, "\(spec.name): \(spec.type)")
      #expect(
        (spec.type == .timestampNtz) == (spec.name == "ts_naive"), "\(spec.name): \(spec.type)")
      #expect(spec.nullable == (want["nullable"] as? Bool), "\(spec.name) nullability")
    }

    let text = try String(
      contentsOf: dir.appendingPathComponent(stem + ".expected.ndjson"), encoding: .utf8)
    let expected = try text.split(separator: "\n").map { try Canonical.parseLine($0) }
    var row = 0
    var mismatches = 0
    for g in 0..<reader.rowGroupCount {
      let columns = try reader.readRowGroup(g)
      for r in 0..<(columns.first?.count ?? 0) {
        defer { row += 1 }
        guard row < expected.count else { continue }
        for (c, spec) in reader.schema.columns.enumerated() {
          let mine = Canonical.value(columns[c], r)
          let theirs = expected[row][spec.name] ?? .null
          if !Canonical.equal(mine, theirs) && mismatches < 5 {
            mismatches += 1
            Issue.record("\(file) row \(row) column \(spec.name): lh \(mine), writer \(theirs)")
          }
        }
      }
    }
    #expect(
      row == expected.count, "\(file): lh read \(row) rows, the writer wrote \(expected.count)")
  }

  @Test(
    "refuses unsupported features with an error naming the column",
    arguments: [
      ("list_column.parquet", "tags", "nested"), ("struct_column.parquet", "point", "nested"),
      ("map_column.parquet", "attrs", "nested"), ("codec_lz4_raw.parquet", "id", "LZ4_RAW"),
      ("codec_brotli.parquet", "id", "BROTLI"),
    ])
  func refusesUnsupported(file: String, column: String, feature: String) throws {
    let path = Self.root.appendingPathComponent("unsupported").appendingPathComponent(file).path
    do {
      let reader = try ParquetFileReader(path: path)
      for g in 0..<reader.rowGroupCount { _ = try reader.readRowGroup(g) }
      Issue.record("\(file) was read")
    } catch let e as ParquetError {
      #expect(e.category == .data)
      #expect(e.column == column, "\(e)")
      #expect(e.file == path)
      #expect(e.description.contains(feature), "\(e)")
      #expect(e.description.contains("unsupported"), "\(e)")
    }
  }
}
