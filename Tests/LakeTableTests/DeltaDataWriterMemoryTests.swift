import Foundation
import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

@testable import LakeTable

/// Memory of a commit spread over many partitions (issue 16): the open row groups of all
/// partitions together stay under the writer's budget, counted in bytes held, not timed.
@Suite("Delta data writer memory")
struct DeltaDataWriterMemoryTests {
  /// Rows `ids` over `days` event dates: in runs of `run` rows of one date (1: every row the
  /// next date).
  func rows(_ ids: Range<Int>, days: Int, run: Int) -> [ColumnBuffer] {
    var cols = eventRows(ids)
    for (k, i) in ids.enumerated() {
      cols[4].int32s[k] = Int32(20_454 + (i / run) % days)
    }
    return cols
  }

  /// Writes 200,000 rows over 100 event dates through one writer thread with `budget`; the most
  /// its column writers held after any chunk, and the committed table's files and row groups.
  func write(run: Int, budget: Int) throws -> (most: Int, files: Int, groups: Int) {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("events").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date"], engine: "lh-test/0")
    var options = ParquetWriteOptions()
    options.maxRowGroupBytes = 4 << 20
    options.maxPageRows = 1_000
    let writer = try DeltaDataWriter(
      table: table, schema: s0.schema, partitionColumns: ["event_date"], options: options,
      threads: 1, maxBufferedBytes: budget)
    var most = 0
    var total = 0
    for c in 0..<100 {
      var chunk = rows((c * 2_000)..<((c + 1) * 2_000), days: 100, run: run)
      total += chunk[0].count
      try writer.append(&chunk)
      most = max(most, writer.bufferedBytes)
    }
    let adds = try writer.finish()
    _ = try DeltaTable.commit(
      table: table, readVersion: s0.version,
      actions: [
        .commitInfo(
          DeltaCommitInfo(
            timestamp: DeltaTable.nowMillis(), operation: "WRITE",
            operationParameters: ["mode": "Append"], engineInfo: "lh-test"))
      ] + adds.map { .add($0) })
    var ids: [Int64] = []
    var groups = 0
    let snapshot = try DeltaLog.snapshot(table: table)
    for add in snapshot.files {
      let reader = try ParquetFileReader(
        path: table + "/" + (try PartitionPath.uriDecode(add.path)))
      groups += reader.rowGroupCount
    }
    try DeltaScan.forEachBatch(snapshot) { b in
      for r in 0..<b[0].count {
        ids.append(b[0].int64s[r])
        #expect(b[4].int32s[r] == Int32(20_454 + (Int(b[0].int64s[r]) / run) % 100))
      }
    }
    #expect(ids.sorted() == (0..<Int64(total)).map { $0 })
    return (most, adds.count, groups)
  }

  @Test(
    "100 partitions open at once hold at most the writer's budget, every row lands once",
    arguments: [1, 500])
  func manyPartitions(run: Int) throws {
    let budget = 1 << 20
    let bounded = try write(run: run, budget: budget)
    #expect(bounded.most > 0 && bounded.most <= budget)
    #expect(bounded.files == 100)
    // Files written out early hold several row groups rather than more files being opened.
    #expect(bounded.groups > bounded.files)
    // Without the budget, what the open files hold grows with the partitions, past it.
    let unbounded = try write(run: run, budget: .max)
    #expect(unbounded.most > 4 * budget)
    #expect(unbounded.files == 100 && unbounded.groups == 100)
  }
}
