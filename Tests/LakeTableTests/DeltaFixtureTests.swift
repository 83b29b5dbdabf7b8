import Foundation
import LakeFormats
import LakeTable
import LakeTestSupport
import Testing

/// Tables written by deltalake (delta-rs) with its defaults (`fixtures/delta/`, made by
/// `tests/peers/make_delta_fixtures.py`): lh's snapshot and rows must match what delta-rs wrote.
@Suite("Delta tables written by delta-rs")
struct DeltaFixtureTests {
  static let root = TestTools.repositoryRoot().appendingPathComponent("fixtures/delta")

  static var tables: [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
      .filter { $0.hasSuffix(".expected.json") }.map { String($0.dropLast(".expected.json".count)) }
      .sorted()
  }

  struct Expected: Decodable {
    struct File: Decodable {
      var path: String
      var size: Int64
      var partitionValues: [String: String?]
      var numRecords: Int?
    }
    struct Column: Decodable {
      var name: String
      var type: String
      var nullable: Bool
    }
    var version: Int64
    var partitionColumns: [String]
    var schema: [Column]
    var files: [File]
    var txn: [String: Int64]
    var rows: Int
  }

  /// All rows of a snapshot, as canonical values, sorted by the `id` column.
  func rows(_ snapshot: Snapshot) throws -> [[Any]] {
    var out: [[Any]] = []
    let id = try #require(snapshot.schema.index(of: "id"))
    try DeltaScan.forEachBatch(snapshot) { batch in
      for r in 0..<(batch.first?.count ?? 0) { out.append(batch.map { Canonical.value($0, r) }) }
    }
    return out.sorted { ($0[id] as? Int64 ?? 0) < ($1[id] as? Int64 ?? 0) }
  }

  func compare(_ mine: [[Any]], _ file: URL, _ schema: TableSchema, _ name: String) throws {
    let text = try String(contentsOf: file, encoding: .utf8)
    let expected = try text.split(separator: "\n").map { try Canonical.parseLine($0) }
    #expect(mine.count == expected.count, "\(name): \(mine.count) rows, delta-rs \(expected.count)")
    var reported = 0
    for (row, want) in zip(mine, expected) {
      for (c, spec) in schema.columns.enumerated()
      where !Canonical.equal(row[c], want[spec.name] ?? .null) {
        if reported < 5 {
          Issue.record(
            "\(name): column \(spec.name): lh \(row[c]), delta-rs \(want[spec.name] ?? .null)")
        }
        reported += 1
      }
    }
  }

  @Test("the fixtures are there (a parameterized test over nothing would pass)")
  func fixturesPresent() {
    #expect(Self.tables.count >= 7)
  }

  @Test("snapshot, files and rows match delta-rs", arguments: tables)
  func readsTable(name: String) throws {
    let table = Self.root.appendingPathComponent(name).path
    let expected = try JSONDecoder().decode(
      Expected.self,
      from: Data(contentsOf: Self.root.appendingPathComponent(name + ".expected.json")))
    let snapshot = try DeltaLog.snapshot(table: table)
    #expect(snapshot.version == expected.version)
    #expect(snapshot.metadata.partitionColumns == expected.partitionColumns)
    #expect(snapshot.schema.columns.map(\.name) == expected.schema.map(\.name))
    #expect(snapshot.schema.columns.map(\.type.description) == expected.schema.map(\.type))
    #expect(snapshot.transactions == expected.txn)
    let mine = snapshot.files.map { "\($0.path) \($0.size)" }.sorted()
    let theirs = expected.files.map { "\($0.path) \($0.size)" }.sorted()
    #expect(mine == theirs)
    for add in snapshot.files {
      guard let want = expected.files.first(where: { $0.path == add.path }) else { continue }
      #expect(add.partitionValues == want.partitionValues, "\(add.path)")
    }
    let all = try rows(snapshot)
    #expect(all.count == expected.rows)
    try compare(
      all, Self.root.appendingPathComponent(name + ".expected.ndjson"), snapshot.schema, name)

    // Time travel, where an older version's rows were recorded.
    for v in 0..<expected.version {
      let file = Self.root.appendingPathComponent("\(name).v\(v).expected.ndjson")
      guard FileManager.default.fileExists(atPath: file.path) else { continue }
      let old = try DeltaLog.snapshot(table: table, asOf: .version(v))
      try compare(try rows(old), file, old.schema, "\(name)@v\(v)")
    }
  }
}
