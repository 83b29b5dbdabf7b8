import Foundation
import LakeFormats
import LakeIO
import LakeTable
import LakeTestSupport
import Testing

let eventsSchema = TableSchema([
  ColumnSpec("id", .int64, nullable: false), ColumnSpec("name", .string),
  ColumnSpec("amount", .decimal(precision: 12, scale: 2)),
  ColumnSpec("ts", .timestamp), ColumnSpec("event_date", .date, nullable: false),
  ColumnSpec("region", .string),
])

/// Rows `ids` with two dates and regions (one with characters that need escaping, one null).
func eventRows(_ ids: Range<Int>) -> [ColumnBuffer] {
  var cols = eventsSchema.columns.map { ColumnBuffer(type: $0.type) }
  let regions: [String?] = ["EU West", "a/b%c=Zürich", nil]
  for i in ids {
    cols[0].append(Int64(i))
    if i % 4 == 0 { cols[1].appendNull() } else { cols[1].append(string: "n\(i)") }
    cols[2].append(Int64(i * 101 - 5000))
    cols[3].append(Int64(1_767_225_600_000_000 + i * 1_000_123))
    cols[4].append(Int32(20_454 + i % 2))
    if let r = regions[i % 3] { cols[5].append(string: r) } else { cols[5].appendNull() }
  }
  return cols
}

@Suite("Delta log and commits")
struct DeltaTests {
  @Test("a commit's time is after the previous version's, whatever clock the writer read")
  func commitTimesIncrease() throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("t").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date"], engine: "lh-test/0")
    func info(_ t: Int64) -> DeltaAction {
      .commitInfo(
        DeltaCommitInfo(
          timestamp: t, operation: "WRITE", operationParameters: [:], engineInfo: "lh-test"))
    }
    // A writer whose clock was read before version 0 was made, and one from the past.
    let v1 = try DeltaTable.commit(table: table, readVersion: 0, actions: [info(s0.timestamp - 5)])
    let v2 = try DeltaTable.commit(table: table, readVersion: 1, actions: [info(1_000)])
    // A writer that lost the race for version 3 (its readVersion is 1) is stamped after it.
    let v3 = try DeltaTable.commit(
      table: table, readVersion: 2, actions: [info(s0.timestamp + 60_000)])
    let v4 = try DeltaTable.commit(table: table, readVersion: 1, actions: [info(0)])
    #expect([v1, v2, v3, v4] == [1, 2, 3, 4])
    let times = try (0...4).map { try DeltaLog.commitTimestamp(table: table, version: Int64($0)) }
    #expect(
      times == [
        s0.timestamp, s0.timestamp + 1, s0.timestamp + 2, s0.timestamp + 60_000,
        s0.timestamp + 60_001,
      ], "\(times)")
    for (v, t) in times.enumerated() {
      #expect(try DeltaLog.snapshot(table: table, asOf: .timestamp(t)).version == Int64(v))
    }
  }

  @Test("--as-of before the first commit or after the latest: an error naming the range")
  func timeTravelOutOfRange() throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("t").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date"], engine: "lh-test/0")
    let t0 = s0.timestamp
    let text = { (ms: Int64) in RFC3339.string(micros: ms * 1000, fractionDigits: 3) }
    let range = "the table's commits run from \(text(t0)) (version 0) to \(text(t0)) (version 0)"
    for (t, why) in [
      (t0 - 1, "before the first commit"), (t0 + 1, "after the latest commit"),
    ] {
      do {
        _ = try DeltaLog.snapshot(table: table, asOf: .timestamp(t))
        Issue.record("as of \(t): no error")
      } catch let e as DeltaLogError {
        #expect(e.category == .usage)
        #expect(
          e.description == "\(table): no version as of \(text(t)): it is \(why); \(range)",
          "\(e.description)")
      }
    }
    #expect(try DeltaLog.snapshot(table: table, asOf: .timestamp(t0)).version == 0)
  }

  @Test("create, append with txn, snapshot and time travel")
  func createAppendSnapshot() throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("events").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date", "region"],
      engine: "lh-test/0")
    #expect(s0.version == 0 && s0.files.isEmpty && s0.schema == eventsSchema)
    #expect(s0.metadata.partitionColumns == ["event_date", "region"])

    let adds1 = try DeltaTable.writeFiles(s0, columns: eventRows(0..<60))
    #expect(adds1.count == 6)  // 2 dates × 3 regions
    let v1 = try DeltaTable.commit(
      table: table, readVersion: 0,
      actions: [
        .commitInfo(
          DeltaCommitInfo(
            timestamp: s0.timestamp + 1_000, operation: "WRITE",
            operationParameters: ["mode": "Append"], engineInfo: "lh-test"))
      ]
        + adds1.map { .add($0) } + [
          .txn(DeltaTxn(appId: "lh-test:events", version: 1, lastUpdated: 1_000))
        ])
    #expect(v1 == 1)
    let s1 = try DeltaLog.snapshot(table: table)
    let adds2 = try DeltaTable.writeFiles(s1, columns: eventRows(60..<90))
    let v2 = try DeltaTable.commit(
      table: table, readVersion: 1,
      actions: [
        .commitInfo(
          DeltaCommitInfo(
            timestamp: s0.timestamp + 5_000, operation: "WRITE",
            operationParameters: ["mode": "Append"], engineInfo: "lh-test"))
      ]
        + adds2.map { .add($0) } + [
          .txn(DeltaTxn(appId: "lh-test:events", version: 2, lastUpdated: 2_000))
        ])
    #expect(v2 == 2)

    let latest = try DeltaLog.snapshot(table: table)
    #expect(latest.version == 2)
    #expect(latest.files.count == 12)
    #expect(latest.transactions["lh-test:events"] == 2)
    let older = try DeltaLog.snapshot(table: table, asOf: .version(1))
    #expect(older.files.count == 6 && older.transactions["lh-test:events"] == 1)
    #expect(
      try DeltaLog.snapshot(table: table, asOf: .timestamp(s0.timestamp + 2_000)).version == 1)
    #expect(
      try DeltaLog.snapshot(table: table, asOf: .timestamp(s0.timestamp + 5_000)).version == 2)
    #expect(throws: DeltaLogError.self) {
      try DeltaLog.snapshot(table: table, asOf: .timestamp(s0.timestamp - 1))
    }
    #expect(throws: DeltaLogError.self) { try DeltaLog.snapshot(table: table, asOf: .version(3)) }

    // Paths are URI-encoded partition directories; every file exists with its recorded size;
    // stats hold numRecords.
    var rows = 0
    for add in latest.files {
      let relative = try PartitionPath.uriDecode(add.path)
      let attributes = try FileManager.default.attributesOfItem(atPath: table + "/" + relative)
      #expect((attributes[.size] as? Int).map(Int64.init) == add.size)
      let stats = try #require(add.stats)
      let parsed = try #require(
        try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any])
      rows += parsed["numRecords"] as? Int ?? 0
      let reader = try ParquetFileReader(path: table + "/" + relative)
      #expect(reader.schema.columns.map(\.name) == ["id", "name", "amount", "ts"])
    }
    #expect(rows == 90)
    #expect(latest.files.contains { $0.path.contains("region=a%252Fb%2525c%253DZ%C3%BCrich/") })
    #expect(
      latest.files.contains {
        $0.partitionValues["region"] == .some(nil)
          && $0.path.contains("region=__HIVE_DEFAULT_PARTITION__/")
      })

    // Every commit starts with a commitInfo.
    for v in 0...2 {
      let actions = try DeltaLog.readCommit(table: table, version: Int64(v))
      if case .commitInfo = actions.first {
      } else {
        Issue.record("version \(v) does not start with commitInfo")
      }
    }
  }

  @Test("a lost race retries blind appends and refuses conflicts")
  func race() throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("t").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: [], engine: "lh-test")
    let info = DeltaAction.commitInfo(
      DeltaCommitInfo(timestamp: 1, operation: "WRITE", operationParameters: [:], engineInfo: nil))
    let a = try DeltaTable.writeFiles(s0, columns: eventRows(0..<5)).map { DeltaAction.add($0) }
    let b = try DeltaTable.writeFiles(s0, columns: eventRows(5..<9)).map { DeltaAction.add($0) }
    // Both read version 0; the second lands at 2.
    #expect(
      try DeltaTable.commit(
        table: table, readVersion: 0,
        actions: [info] + a + [.txn(DeltaTxn(appId: "job", version: 1, lastUpdated: nil))]) == 1)
    #expect(try DeltaTable.commit(table: table, readVersion: 0, actions: [info] + b) == 2)
    #expect(try DeltaLog.snapshot(table: table).files.count == 2)
    // A commit of the same appId that read version 0 conflicts with version 1.
    #expect(throws: DeltaCommitError.self) {
      try DeltaTable.commit(
        table: table, readVersion: 0,
        actions: [info, .txn(DeltaTxn(appId: "job", version: 1, lastUpdated: nil))])
    }
    // No temporary commit file is left behind.
    let log = try FileManager.default.contentsOfDirectory(atPath: table + "/_delta_log")
    #expect(
      log.sorted() == [
        "00000000000000000000.json", "00000000000000000001.json", "00000000000000000002.json",
      ])
  }

  @Test("the log codec round-trips every action")
  func codec() throws {
    var info = DeltaCommitInfo(
      timestamp: 7, operation: "WRITE", operationParameters: ["mode": "Append"],
      engineInfo: "lh \"x\"")
    info.extra = [("lhReconciliation", "{\"bronze\":10,\"silver\":8}")]
    var meta = DeltaMetadata(
      id: "id-1", schemaString: DeltaSchema.schemaString(for: eventsSchema),
      partitionColumns: ["event_date"], createdTime: 5)
    meta.configuration = ["delta.appendOnly": "false"]
    let actions: [DeltaAction] = [
      .commitInfo(info), .protocol(DeltaProtocol()), .metaData(meta),
      .add(
        DeltaAdd(
          path: "event_date=2026-01-01/p%20q.parquet",
          partitionValues: ["event_date": "2026-01-01", "r": nil], size: 10, modificationTime: 3,
          dataChange: true, stats: "{\"numRecords\":1}")),
      .remove(
        DeltaRemove(
          path: "x.parquet", deletionTimestamp: 9, dataChange: true, partitionValues: [:], size: 4)),
      .txn(DeltaTxn(appId: "a", version: 3, lastUpdated: 8)),
    ]
    let bytes = DeltaLogCodec.encode(actions)
    #expect(try DeltaLogCodec.decode(bytes, table: "t", version: 0) == actions)
    #expect(try DeltaSchema.tableSchema(from: meta.schemaString, table: "t") == eventsSchema)
    // Each line parses as JSON with exactly one key; stats is a string.
    for line in bytes.split(separator: 0x0A) {
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
      #expect(object.count == 1)
    }
  }

  @Test("broken or unsupported logs are refused with the version and line")
  func brokenLogs() throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("b").path
    _ = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: [], engine: "lh-test")
    let log = table + "/_delta_log/"
    try Data("{\"commitInfo\":{}}\n{\"add\":{\"path\":\"x\"}}\n".utf8).write(
      to: URL(fileURLWithPath: log + "00000000000000000001.json"))
    #expect {
      try DeltaLog.snapshot(table: table)
    } throws: { "\($0)" == "\(table)/_delta_log/00000000000000000001.json:2: add without 'size'" }
    try Data("{\"commitInfo\":{}}\n{\"add\":{\"path\":\n".utf8).write(
      to: URL(fileURLWithPath: log + "00000000000000000001.json"))
    #expect {
      try DeltaLog.snapshot(table: table)
    } throws: { "\($0)".hasPrefix("\(table)/_delta_log/00000000000000000001.json:2: byte ") }
    try FileManager.default.removeItem(atPath: log + "00000000000000000001.json")
    try Data("{\"commitInfo\":{}}\n".utf8).write(
      to: URL(fileURLWithPath: log + "00000000000000000003.json"))
    #expect {
      try DeltaLog.snapshot(table: table)
    } throws: { "\($0)".contains("not contiguous: version 1 is missing") }
    try FileManager.default.removeItem(atPath: log + "00000000000000000003.json")
    try Data(
      "{\"commitInfo\":{}}\n{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\",\"catalogManaged\"],\"writerFeatures\":[\"deletionVectors\",\"catalogManaged\"]}}\n"
        .utf8
    )
    .write(to: URL(fileURLWithPath: log + "00000000000000000001.json"))
    #expect {
      try DeltaLog.snapshot(table: table)
    } throws: {
      "\($0)".contains("unsupported table feature 'catalogManaged' (reader version 3)")
    }
    #expect {
      try DeltaLog.snapshot(table: dir.appendingPathComponent("missing").path)
    } throws: { ($0 as? DeltaLogError)?.category == .noInput }
  }
}

@Suite("Delta scans")
struct DeltaScanTests {
  @Test("a partitioned table reads back its rows, partition values included")
  func scanOwnTable() throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("events").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date", "region"], engine: "lh-test"
    )
    let rows = eventRows(0..<200)
    let adds = try DeltaTable.writeFiles(s0, columns: rows)
    let info = DeltaAction.commitInfo(
      DeltaCommitInfo(
        timestamp: s0.timestamp + 1, operation: "WRITE", operationParameters: [:], engineInfo: nil))
    _ = try DeltaTable.commit(table: table, readVersion: 0, actions: [info] + adds.map { .add($0) })
    var read = eventsSchema.columns.map { ColumnBuffer(type: $0.type) }
    try DeltaScan.forEachBatch(try DeltaLog.snapshot(table: table)) { batch in
      for c in batch.indices { read[c].append(contentsOf: batch[c]) }
    }
    // Order differs (grouped by partition): compare as sets of canonical rows.
    func canonicalRows(_ cols: [ColumnBuffer]) -> [String] {
      (0..<cols[0].count).map { r in cols.map { "\(Canonical.value($0, r))" }.joined(separator: "|")
      }.sorted()
    }
    #expect(canonicalRows(read) == canonicalRows(rows))
  }
}

@Suite("Delta partition replacement")
struct DeltaReplaceTests {
  @Test(
    "replacing a partition in one commit; a concurrent write into it conflicts, elsewhere it does not"
  )
  func replace() throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("t").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date"], engine: "lh-test")
    func info() -> DeltaAction {
      .commitInfo(
        DeltaCommitInfo(
          timestamp: DeltaTable.nowMillis(), operation: "WRITE", operationParameters: [:],
          engineInfo: nil))
    }
    func ids(_ s: Snapshot) throws -> [String: [Int64]] {
      var out: [String: [Int64]] = [:]
      try DeltaScan.forEachBatch(s) { b in
        for r in 0..<b[0].count {
          out[Canonical.value(b[4], r) as? String ?? "?", default: []].append(b[0].int64s[r])
        }
      }
      return out.mapValues { $0.sorted() }
    }
    _ = try DeltaTable.commit(
      table: table, readVersion: 0,
      actions: [info()]
        + (try DeltaTable.writeFiles(s0, columns: eventRows(0..<100))).map { .add($0) })
    let s1 = try DeltaLog.snapshot(table: table)
    let dayA: [String: String?] = ["event_date": "2026-01-01"]
    // New rows for day A only (even ids fall on 2026-01-01).
    let replacement = eventRows(1000..<1020)
    var keep = eventsSchema.columns.map { ColumnBuffer(type: $0.type) }
    for r in 0..<replacement[0].count where replacement[4].int32s[r] == 20_454 {
      for c in keep.indices { keep[c].append(from: replacement[c], row: r) }
    }
    let adds = try DeltaTable.writeFiles(s1, columns: keep)
    let actions = DeltaTable.replacePartitions(s1, partitions: [dayA], with: adds)
    #expect(actions.filter { if case .remove = $0 { true } else { false } }.count == 1)
    let v2 = try DeltaTable.commit(
      table: table, readVersion: s1.version, actions: [info()] + actions, readPartitions: [dayA])
    let after = try ids(try DeltaLog.snapshot(table: table))
    #expect(after["2026-01-01"] == Array(stride(from: Int64(1000), to: 1020, by: 2)))
    #expect(after["2026-01-02"] == Array(stride(from: Int64(1), to: 100, by: 2)))
    #expect(
      try ids(try DeltaLog.snapshot(table: table, asOf: .version(v2 - 1)))["2026-01-01"]?.count
        == 50)

    // Prepare another replacement of day A from v2, but let a writer append to day A first.
    let s2 = try DeltaLog.snapshot(table: table)
    let again = DeltaTable.replacePartitions(
      s2, partitions: [dayA], with: try DeltaTable.writeFiles(s2, columns: keep))
    _ = try DeltaTable.commit(
      table: table, readVersion: s2.version,
      actions: [info()] + (try DeltaTable.writeFiles(s2, columns: keep)).map { .add($0) })
    #expect(throws: DeltaCommitError.self) {
      try DeltaTable.commit(
        table: table, readVersion: s2.version, actions: [info()] + again, readPartitions: [dayA])
    }
    // A replacement of day B from the same old snapshot does not conflict with that append.
    let dayB: [String: String?] = ["event_date": "2026-01-02"]
    let other = DeltaTable.replacePartitions(s2, partitions: [dayB], with: [])
    #expect(
      try DeltaTable.commit(
        table: table, readVersion: s2.version, actions: [info()] + other, readPartitions: [dayB])
        > s2.version)
    #expect(try ids(try DeltaLog.snapshot(table: table))["2026-01-02"] == nil)
  }
}

@Suite("Delta partition values")
struct DeltaPartitionValueTests {
  @Test("an empty string partition value is stored as null, in the directory and in the log")
  func emptyStringIsNull() throws {
    let dir = try TestTools.temporaryDirectory()
    let schema = TableSchema([
      ColumnSpec("id", .int64, nullable: false), ColumnSpec("region", .string),
    ])
    let s0 = try DeltaTable.openOrCreate(
      at: dir.appendingPathComponent("t").path, schema: schema, partitionColumns: ["region"],
      engine: "lh-test")
    var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
    cols[0].append(Int64(1))
    cols[1].append(string: "")
    cols[0].append(Int64(2))
    cols[1].appendNull()
    let adds = try DeltaTable.writeFiles(s0, columns: cols)
    #expect(adds.count == 1)
    #expect(adds.first.map { $0.partitionValues["region"] == .some(nil) } == true)
    #expect(adds.first?.path.hasPrefix("region=__HIVE_DEFAULT_PARTITION__/") == true)
  }
}

@Suite("Delta data writer")
struct DeltaDataWriterTests {
  /// (id, event_date, region) of every row of the table's latest snapshot, sorted by id.
  func rowsOf(_ table: String) throws -> [String] {
    var out: [String] = []
    try DeltaScan.forEachBatch(try DeltaLog.snapshot(table: table)) { b in
      for r in 0..<b[0].count {
        let region = b[5].isValid(r) ? String(decoding: b[5].bytes(at: r), as: UTF8.self) : "-"
        let name = b[1].isValid(r) ? String(decoding: b[1].bytes(at: r), as: UTF8.self) : "-"
        out.append("\(b[0].int64s[r]) \(name) \(b[2].int64s[r]) \(b[4].int32s[r]) \(region)")
      }
    }
    return out.sorted { Int($0.split(separator: " ")[0])! < Int($1.split(separator: " ")[0])! }
  }

  @Test(
    "chunks spread over worker threads land every row once, partitioned, in files closed per commit",
    arguments: [1, 2, 3])
  func threaded(threads: Int) throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("events").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date", "region"],
      engine: "lh-test/0")
    let writer = try DeltaDataWriter(snapshot: s0, threads: threads)
    var version = s0.version
    var expected: [String] = []
    for commit in 0..<3 {
      // Chunks of one partition (the fast path) and of several (rows grouped per partition).
      for c in 0..<7 {
        let start = commit * 10_000 + c * 1_000
        var chunk = c % 2 == 0 ? eventRows(start..<(start + 1_000)) : writer.emptyChunk()
        if c % 2 == 1 {
          let single = eventRows(start..<(start + 1_000))
          for r in 0..<single[0].count where single[4].int32s[r] == 20_454 && single[5].isValid(r) {
            for k in chunk.indices { chunk[k].append(from: single[k], row: r) }
          }
        }
        for r in 0..<chunk[0].count {
          let region =
            chunk[5].isValid(r) ? String(decoding: chunk[5].bytes(at: r), as: UTF8.self) : "-"
          let name =
            chunk[1].isValid(r) ? String(decoding: chunk[1].bytes(at: r), as: UTF8.self) : "-"
          expected.append(
            "\(chunk[0].int64s[r]) \(name) \(chunk[2].int64s[r]) \(chunk[4].int32s[r]) \(region)")
        }
        try writer.append(&chunk)
        #expect(chunk.count == eventsSchema.columns.count && chunk.allSatisfy { $0.count == 0 })
      }
      let adds = try writer.finish()
      #expect(adds.count >= 6 && adds.count <= 6 * threads)
      #expect(
        try adds.allSatisfy {
          FileManager.default.fileExists(
            atPath: table + "/" + (try PartitionPath.uriDecode($0.path)))
        })
      version = try DeltaTable.commit(
        table: table, readVersion: version,
        actions: [
          .commitInfo(
            DeltaCommitInfo(
              timestamp: DeltaTable.nowMillis(), operation: "WRITE",
              operationParameters: ["mode": "Append"], engineInfo: "lh-test"))
        ] + adds.map { .add($0) })
    }
    #expect(
      try rowsOf(table)
        == expected.sorted {
          Int($0.split(separator: " ")[0])! < Int($1.split(separator: " ")[0])!
        })
    // No temporary or unreferenced files are left.
    let live = Set(try DeltaLog.snapshot(table: table).files.map { $0.path })
    let onDisk = try TestTools.shell("cd \(table) && find . -name '*.parquet*' -o -name '.*tmp'")
    let found = String(decoding: onDisk.stdout, as: UTF8.self).split(separator: "\n")
    #expect(found.count == live.count, "\(found)")
  }

  @Test("abort and an unfinished writer leave no files behind", arguments: [1, 2])
  func abandon(threads: Int) throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("events").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date"], engine: "lh-test/0")
    do {
      let writer = try DeltaDataWriter(snapshot: s0, threads: threads)
      var chunk = eventRows(0..<5_000)
      try writer.append(&chunk)
      writer.abort()
      var more = eventRows(5_000..<6_000)
      try writer.append(&more)
      // Dropped without finish: its files are removed too.
    }
    let onDisk = try TestTools.shell("find \(table) -type f ! -path '*_delta_log*'")
    #expect(onDisk.stdout.isEmpty, "\(onDisk.stdout)")
  }
}
