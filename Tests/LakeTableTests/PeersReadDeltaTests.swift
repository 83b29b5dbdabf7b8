import Foundation
import LakeFormats
import LakeTable
import LakeTestSupport
import Testing

let peersPython = ProcessInfo.processInfo.environment["LH_PEERS_PYTHON"]
let peersRequired = ProcessInfo.processInfo.environment["LH_REQUIRE_PEERS"] == "1"

/// lh writes a table; deltalake and Polars must open it, see exact files, stats, history and
/// txn, prune partitions and files, and read the rows lh was given
/// (`tests/peers/check_lh_delta.py`).
@Suite("Peers read lh's Delta tables", .enabled(if: peersPython != nil || peersRequired))
struct PeersReadDeltaTests {
  @Test("deltalake and Polars read a partitioned lh table with two appends and a txn")
  func peersRead() throws {
    let python = try #require(peersPython, "LH_PEERS_PYTHON is not set: run 'make test'")
    let dir = try TestTools.temporaryDirectory("lh-delta")
    let table = dir.appendingPathComponent("events").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date", "region"],
      engine: "lh-test/0.1.0")
    var allRows = eventsSchema.columns.map { ColumnBuffer(type: $0.type) }
    var readVersion = s0.version
    for (batch, range) in [0..<120, 120..<200].enumerated() {
      let rows = eventRows(range)
      for c in rows.indices { allRows[c].append(contentsOf: rows[c]) }
      let snapshot = try DeltaLog.snapshot(table: table)
      let adds = try DeltaTable.writeFiles(snapshot, columns: rows)
      let info = DeltaAction.commitInfo(
        DeltaCommitInfo(
          timestamp: DeltaTable.nowMillis(), operation: "WRITE",
          operationParameters: ["mode": "Append"], engineInfo: "lh-test/0.1.0"))
      readVersion = try DeltaTable.commit(
        table: table, readVersion: readVersion,
        actions: [info] + adds.map { .add($0) } + [
          .txn(DeltaTxn(appId: "lh-test:events", version: Int64(batch + 1), lastUpdated: nil))
        ])
    }
    let snapshot = try DeltaLog.snapshot(table: table)

    // Expected rows: what lh was given, sorted by id, partition columns included.
    let rowCount = allRows[0].count
    let order = (0..<rowCount).sorted { allRows[0].int64s[$0] < allRows[0].int64s[$1] }
    var sorted = eventsSchema.columns.map { ColumnBuffer(type: $0.type) }
    for r in order { for c in sorted.indices { sorted[c].append(from: allRows[c], row: r) } }
    let expectedRows = dir.appendingPathComponent("expected.ndjson")
    try Data(Canonical.ndjson(sorted, schema: eventsSchema).utf8).write(to: expectedRows)

    var files: [[String: Any]] = []
    for add in snapshot.files {
      let stats = try #require(
        try JSONSerialization.jsonObject(with: Data((add.stats ?? "{}").utf8)) as? [String: Any])
      files.append([
        "path": add.path, "size": add.size,
        "partitionValues": add.partitionValues.mapValues { $0 ?? NSNull() as Any },
        "numRecords": stats["numRecords"] ?? 0,
      ])
    }
    let expected: [String: Any] = [
      "version": snapshot.version, "protocol": ["minReaderVersion": 1, "minWriterVersion": 2],
      "partitionColumns": ["event_date", "region"],
      "schema": eventsSchema.columns.map {
        ["name": $0.name, "type": $0.type.description, "nullable": $0.nullable]
      },
      "files": files, "txn": ["lh-test:events": 2], "rows": rowCount,
      "history_versions": [0, 1, 2],
    ]
    let expectedJSON = dir.appendingPathComponent("expected.json")
    try JSONSerialization.data(withJSONObject: expected, options: [.sortedKeys]).write(
      to: expectedJSON)
    let script = TestTools.repositoryRoot().appendingPathComponent("tests/peers/check_lh_delta.py")
      .path
    let r = try TestTools.run(python, [script, table, expectedJSON.path, expectedRows.path])
    #expect(r.status == 0, "\(r.output)\(r.stderr)")
  }
}
