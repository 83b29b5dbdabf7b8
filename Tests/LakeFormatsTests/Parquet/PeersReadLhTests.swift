import Foundation
import LakeFormats
import LakeTestSupport
import Testing

/// The Python of the peers' virtual environment (`scripts/peers.sh --print`), set by `make test`.
let peersPython = ProcessInfo.processInfo.environment["LH_PEERS_PYTHON"]
/// `make test` requires the peers: without them these tests fail instead of being skipped.
let peersRequired = ProcessInfo.processInfo.environment["LH_REQUIRE_PEERS"] == "1"

/// lh writes files; pyarrow, DuckDB and Polars must read identical values and types, and see the
/// statistics (`tests/peers/check_lh_parquet.py`).
@Suite("Peers read lh's Parquet", .enabled(if: peersPython != nil || peersRequired))
struct PeersReadLhTests {
  enum Case: String, CaseIterable {
    case allTypes, severalRowGroupsAndPages, zeroRows, allNull, oneDistinct, extremes, noDictionary
    /// DELTA_LENGTH_BYTE_ARRAY strings, DELTA_BINARY_PACKED timestamps and wrapping 32- and
    /// 64-bit steps, PLAIN random ints, an all-null page, several pages and row groups.
    case deltaEncodings
    /// Long runs of one value (the dictionary's repeat fast path), nulls inside runs.
    case repeats
    /// Uniform columns (one value for the whole batch, as lh-bronze's source and digest) beside
    /// a column of distinct lines whose dictionary is given up at the probe.
    case uniformAndDistinct
  }

  func batch(for c: Case) -> (TableSchema, [ColumnBuffer], ParquetWriteOptions) {
    var options = ParquetWriteOptions()
    switch c {
    case .allTypes:
      return (allTypesSchema, makeAllTypesBatch(rows: 3000), options)
    case .severalRowGroupsAndPages:
      options.maxRowGroupRows = 1000
      options.maxPageRows = 300
      options.dictionaryPageLimit = 500
      return (allTypesSchema, makeAllTypesBatch(rows: 3500, seed: 9), options)
    case .noDictionary:
      options.dictionary = false
      options.compressionLevel = 19
      return (allTypesSchema, makeAllTypesBatch(rows: 2000, seed: 4), options)
    case .deltaEncodings:
      options.maxRowGroupRows = 2000
      options.maxPageRows = 500
      let (schema, columns) = makeDeltaBatch(rows: 5000)
      return (schema, columns, options)
    case .repeats:
      options.maxPageRows = 300
      let schema = TableSchema([
        ColumnSpec("source", .string), ColumnSpec("day", .date), ColumnSpec("n", .int64),
      ])
      var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
      for r in 0..<2000 {
        if r % 97 == 5 {
          cols[0].appendNull()
        } else {
          cols[0].append(string: r < 1500 ? "s3://bucket/events-2026-01-01.ndjson" : "")
        }
        cols[1].append(Int32(20_454 + r / 700))
        cols[2].append(Int64(r / 400))
      }
      return (schema, cols, options)
    case .uniformAndDistinct:
      options.maxPageRows = 6000
      options.maxRowGroupRows = 9000
      let schema = TableSchema([
        ColumnSpec("line", .string), ColumnSpec("source", .string, nullable: false),
        ColumnSpec("digest", .string), ColumnSpec("day", .date, nullable: false),
        ColumnSpec("at", .timestamp, nullable: false),
      ])
      var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
      let rows = 20_000
      for r in 0..<rows { cols[0].append(string: "{\"event\":\(r),\"k\":\"v\(r % 7)\"}") }
      Array("/spool/2026-03-01/events.ndjson".utf8).withUnsafeBytes {
        cols[1].append(bytes: $0, repeating: rows)
      }
      Array("sha256:9f2c".utf8).withUnsafeBytes { cols[2].append(bytes: $0, repeating: rows) }
      cols[3].append(Int32(20_513), repeating: rows)
      cols[4].append(Int64(1_772_323_200_000_000), repeating: rows)
      return (schema, cols, options)
    case .zeroRows:
      return (allTypesSchema, allTypesSchema.columns.map { ColumnBuffer(type: $0.type) }, options)
    case .allNull:
      let schema = TableSchema(allTypesSchema.columns.filter(\.nullable))
      var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
      for c in cols.indices { for _ in 0..<50 { cols[c].appendNull() } }
      return (schema, cols, options)
    case .oneDistinct:
      let schema = TableSchema([
        ColumnSpec("s", .string), ColumnSpec("n", .int64), ColumnSpec("d", .double),
      ])
      var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
      for _ in 0..<1000 {
        cols[0].append(string: "same")
        cols[1].append(Int64(7))
        cols[2].append(2.5)
      }
      return (schema, cols, options)
    case .extremes:
      let schema = TableSchema([
        ColumnSpec("i64", .int64), ColumnSpec("i32", .int32), ColumnSpec("ts", .timestamp),
        ColumnSpec("dec", .decimal(precision: 18, scale: 4)), ColumnSpec("day", .date),
        ColumnSpec("s", .string),
      ])
      var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
      let i64s: [Int64] = [.min, .max, 0, -1]
      let i32s: [Int32] = [.min, .max, 0, -1]
      // 1900-01-01, 1969-12-31T23:59:59.999999, 1970, 2200-12-31.
      let ts: [Int64] = [-2_208_988_800_000_000, -1, 0, 7_289_567_999_999_999]
      let decs: [Int64] = [-999_999_999_999_999_999, 999_999_999_999_999_999, -1, 0]
      let days: [Int32] = [-25567, -1, 0, 84_000]
      let strings = ["", "😀 müsli 東京", String(repeating: "é", count: 5000), "\u{0}\u{1F}"]
      for i in 0..<4 {
        cols[0].append(i64s[i])
        cols[1].append(i32s[i])
        cols[2].append(ts[i])
        cols[3].append(decs[i])
        cols[4].append(days[i])
        cols[5].append(string: strings[i])
      }
      return (schema, cols, options)
    }
  }

  @Test("pyarrow, DuckDB and Polars read lh's file exactly", arguments: Case.allCases)
  func peersRead(c: Case) throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let (schema, columns, options) = batch(for: c)
    let dir = try TestTools.temporaryDirectory("lh-peers")
    let file = dir.appendingPathComponent("\(c).parquet")
    let writer = try ParquetFileWriter(path: file.path, schema: schema, options: options)
    try writer.write(columns)
    try writer.close()
    let expected = dir.appendingPathComponent("\(c).expected.ndjson")
    let schemaFile = dir.appendingPathComponent("\(c).schema.json")
    try Data(Canonical.ndjson(columns, schema: schema).utf8).write(to: expected)
    try Data(Canonical.schemaJSON(schema).utf8).write(to: schemaFile)
    let script = TestTools.repositoryRoot().appendingPathComponent(
      "tests/peers/check_lh_parquet.py"
    ).path
    let r = try TestTools.run(python, [script, file.path, expected.path, schemaFile.path])
    #expect(r.status == 0, "\(c): \(r.output)\(r.stderr)")
  }
}
