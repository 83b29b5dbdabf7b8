import Foundation
import LakeFormats
import LakeStages
import LakeTestSupport
import Testing

@Suite("lh-gen --format parquet")
struct LhGenParquetTests {
  /// The NDJSON lh-gen writes for `arguments`, decoded into typed columns.
  func decodedNDJSON(_ dataset: Dataset, _ arguments: [String]) throws -> [ColumnBuffer] {
    let r = try TestTools.run("lh-gen", ["--contract", dataset.rawValue, "--quiet"] + arguments)
    #expect(r.status == 0)
    var decoder = NDJSONRowDecoder(schema: dataset.schema)
    var columns = decoder.makeColumns()
    for line in r.lines { try line.withUnsafeBytes { try decoder.decode($0, into: &columns) } }
    return columns
  }

  func readAll(_ path: String) throws -> (TableSchema, [ColumnBuffer]) {
    let reader = try ParquetFileReader(path: path)
    var out = reader.schema.columns.map { ColumnBuffer(type: $0.type) }
    for g in 0..<reader.rowGroupCount {
      let cols = try reader.readRowGroup(g)
      for c in cols.indices { for i in 0..<cols[c].count { out[c].append(from: cols[c], row: i) } }
    }
    return (reader.schema, out)
  }

  @Test("holds exactly the events of the NDJSON output, typed", arguments: Dataset.allCases)
  func sameEvents(dataset: Dataset) throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("e.parquet").path
    let args = ["--count", "30000", "--seed", "3", "--late", "0.05", "--duplicates", "0.02"]
    let r = try TestTools.run(
      "lh-gen", ["--contract", dataset.rawValue, "--format", "parquet", "-o", path] + args)
    #expect(r.status == 0, "\(r.stderr)")
    let (schema, columns) = try readAll(path)
    #expect(schema == dataset.schema)
    let expected = try decodedNDJSON(dataset, args)
    for c in columns.indices { expectEqual(columns[c], expected[c], schema.columns[c].name) }
  }

  @Test("stdout and -o give the same bytes; a terminal is refused without --force")
  func stdoutAndTerminal() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("e.parquet").path
    let toFile = try TestTools.run(
      "lh-gen", ["--format", "parquet", "--count", "5000", "-o", path])
    let toStdout = try TestTools.run("lh-gen", ["--format", "parquet", "--count", "5000"])
    #expect(toFile.status == 0 && toStdout.status == 0)
    #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == toStdout.stdout)
    #expect(Array(toStdout.stdout.prefix(4)) == Array("PAR1".utf8))

    let tty = try TestTools.run(
      "/usr/bin/script", ["-qec", "lh-gen --format parquet --count 10", "/dev/null"])
    #expect(tty.output.contains("lh-gen: refusing to write Parquet to a terminal"), "\(tty.output)")
    #expect(tty.status == 64)
    let forced = try TestTools.run(
      "/usr/bin/script",
      ["-qec", "lh-gen --format parquet --count 10 --force --quiet", "/dev/null"])
    #expect(forced.output.hasPrefix("PAR1"), "\(forced.output.debugDescription)")

    let malformed = try TestTools.run("lh-gen", ["--format", "parquet", "--malformed", "0.1"])
    #expect(malformed.status == 64)
    let level = try TestTools.run("lh-gen", ["--format", "parquet", "--zstd-level", "99"])
    #expect(level.status == 64)
  }

  @Test(
    "pyarrow, DuckDB and Polars read lh-gen's Parquet exactly",
    .enabled(if: peersPython != nil || peersRequired))
  func peersRead() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory()
    for dataset in Dataset.allCases {
      let file = dir.appendingPathComponent("\(dataset).parquet")
      let r = try TestTools.run(
        "lh-gen",
        [
          "--contract", dataset.rawValue, "--format", "parquet", "--count", "20000", "-o",
          file.path, "--quiet",
        ])
      #expect(r.status == 0)
      let columns = try decodedNDJSON(dataset, ["--count", "20000"])
      let expected = dir.appendingPathComponent("\(dataset).ndjson")
      let schema = dir.appendingPathComponent("\(dataset).schema.json")
      try Data(Canonical.ndjson(columns, schema: dataset.schema).utf8).write(to: expected)
      try Data(Canonical.schemaJSON(dataset.schema).utf8).write(to: schema)
      let script = TestTools.repositoryRoot().appendingPathComponent(
        "tests/peers/check_lh_parquet.py"
      ).path
      let check = try TestTools.run(python, [script, file.path, expected.path, schema.path])
      #expect(check.status == 0, "\(dataset): \(check.output)\(check.stderr)")
    }
  }
}

/// The peers' Python (set by `make test`).
let peersPython = ProcessInfo.processInfo.environment["LH_PEERS_PYTHON"]
let peersRequired = ProcessInfo.processInfo.environment["LH_REQUIRE_PEERS"] == "1"

/// Compares two column buffers value by value.
func expectEqual(_ a: ColumnBuffer, _ b: ColumnBuffer, _ name: String) {
  #expect(a.count == b.count, "\(name): \(a.count) vs \(b.count) rows")
  guard a.count == b.count else { return }
  for i in 0..<a.count {
    guard a.isValid(i) == b.isValid(i) else {
      Issue.record("\(name) row \(i) validity differs")
      return
    }
    guard a.isValid(i) else { continue }
    if !Canonical.equalValues(a, b, row: i) {
      Issue.record("\(name) row \(i): \(Canonical.value(a, i)) vs \(Canonical.value(b, i))")
      return
    }
  }
}
