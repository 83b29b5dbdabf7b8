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

  /// Writes `chunks` chunks of `chunkRows` rows over `days` event dates (in runs of `run` rows of
  /// one date) through a writer keeping at most `bound` files open per thread; the most files
  /// open after any chunk, the files committed, and the rows read back checked.
  func writeBounded(
    chunks: Int, chunkRows: Int, days: Int, run: Int, bound: Int, threads: Int,
    partitionColumns: [String] = ["event_date"]
  ) throws -> (most: Int, files: Int) {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("events").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: partitionColumns, engine: "lh-test/0")
    let writer = try DeltaDataWriter(
      table: table, schema: s0.schema, partitionColumns: partitionColumns, threads: threads,
      maxOpenFiles: bound)
    var most = 0
    let total = chunks * chunkRows
    for c in 0..<chunks {
      var chunk = rows((c * chunkRows)..<((c + 1) * chunkRows), days: days, run: run)
      try writer.append(&chunk)
      if threads == 1 { most = max(most, writer.openFiles) }
    }
    let adds = try writer.finish()
    most = max(most, writer.mostOpenFiles)
    #expect(writer.openFiles == 0)
    _ = try DeltaTable.commit(
      table: table, readVersion: s0.version,
      actions: [
        .commitInfo(
          DeltaCommitInfo(
            timestamp: DeltaTable.nowMillis(), operation: "WRITE",
            operationParameters: ["mode": "Append"], engineInfo: "lh-test"))
      ] + adds.map { .add($0) })
    // Every file on disk is committed (no temporary file left), and each reads back whole.
    let snapshot = try DeltaLog.snapshot(table: table)
    #expect(snapshot.files.count == adds.count)
    var onDisk = 0
    let enumerator = FileManager.default.enumerator(atPath: table)
    while let name = enumerator?.nextObject() as? String {
      if name.hasSuffix(".parquet") || name.hasSuffix(".tmp") { onDisk += 1 }
    }
    #expect(onDisk == adds.count)
    var ids: [Int64] = []
    for add in snapshot.files {
      let reader = try ParquetFileReader(
        path: table + "/" + (try PartitionPath.uriDecode(add.path)))
      #expect(reader.rowCount > 0)
    }
    try DeltaScan.forEachBatch(snapshot) { b in
      for r in 0..<b[0].count {
        ids.append(b[0].int64s[r])
        #expect(b[4].int32s[r] == Int32(20_454 + (Int(b[0].int64s[r]) / run) % days))
      }
    }
    #expect(ids.sorted() == (0..<Int64(total)).map { $0 })
    return (most, adds.count)
  }

  @Test(
    "1,000 partitions in event order through at most 16 open files: each day's file finished once",
    arguments: [1, 2])
  func boundedOpenFiles(threads: Int) throws {
    let result = try writeBounded(
      chunks: 100, chunkRows: 1_000, days: 1_000, run: 100, bound: 16, threads: threads)
    #expect(result.most > 0 && result.most <= 16 * threads)
    // A day spans at most two chunks, so at most two lanes: no day is reopened by a lane.
    #expect(result.files >= 1_000 && result.files <= 1_000 * threads)
    if threads == 1 { #expect(result.files == 1_000) }
  }

  @Test("partitions alternating row by row, more than the open files allowed: every row lands once")
  func boundedOpenFilesAlternating() throws {
    let result = try writeBounded(
      chunks: 10, chunkRows: 2_000, days: 40, run: 1, bound: 16, threads: 1)
    #expect(result.most == 16)
    // A chunk touches all 40 days: some files are finished and reopened, at most once a chunk.
    #expect(result.files > 40 && result.files <= 10 * 40)
  }

  @Test("two partition columns (text routing) through at most 4 open files")
  func boundedOpenFilesByKey() throws {
    let result = try writeBounded(
      chunks: 20, chunkRows: 1_000, days: 50, run: 400, bound: 4, threads: 1,
      partitionColumns: ["event_date", "region"])
    #expect(result.most <= 4)
  }

  @Test("abort removes the files finished early too", arguments: [1, 2])
  func abortFinishedEarly(threads: Int) throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("events").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date"], engine: "lh-test/0")
    do {
      // Two dates alternating through one open file per thread: files are finished every chunk.
      let writer = try DeltaDataWriter(
        table: table, schema: s0.schema, partitionColumns: ["event_date"], threads: threads,
        maxOpenFiles: 1)
      for c in 0..<4 {
        var chunk = eventRows((c * 1_000)..<((c + 1) * 1_000))
        try writer.append(&chunk)
      }
      writer.abort()
      let afterAbort = try TestTools.shell("find \(table) -type f ! -path '*_delta_log*'")
      #expect(afterAbort.stdout.isEmpty, "\(afterAbort.stdout)")
      for c in 4..<8 {
        var chunk = eventRows((c * 1_000)..<((c + 1) * 1_000))
        try writer.append(&chunk)
      }
      // Dropped without finish: its files, finished early or not, are removed too.
    }
    let onDisk = try TestTools.shell("find \(table) -type f ! -path '*_delta_log*'")
    #expect(onDisk.stdout.isEmpty, "\(onDisk.stdout)")
  }
}
