import LakeStages
import LakeTable
import Testing

@Suite("lh-pack logic")
struct PackTests {
  @Test("the manifest round-trips and refuses what it does not know")
  func manifest() throws {
    let m = PackManifest(
      lhVersion: "0.1.0", before: "2026-01-05",
      tables: [
        .init(
          name: "bronze/events", tableID: "id-1", kind: "partitions", version: 7, fromVersion: 7,
          partitionColumn: "ingest_date", partitions: 2, dataFiles: 3, rows: 42)
      ],
      files: [
        .init(
          path: "bronze/events/a \"b\".parquet", size: 9, sha256: String(repeating: "a", count: 64))
      ])
    #expect(try PackManifest.decode(m.encode(), archive: "x") == m)
    #expect(throws: (any Error).self) {
      try PackManifest.decode(Array("{\"lh_archive\":2}\n".utf8), archive: "x")
    }
    #expect(throws: (any Error).self) {
      try PackManifest.decode(Array("{\"file\":\"a\"}\n".utf8), archive: "x")
    }
  }

  @Test("compaction groups: small files of one partition, about the target size, no groups of one")
  func groups() {
    func add(_ path: String, _ day: String, _ size: Int64) -> DeltaAdd {
      DeltaAdd(
        path: path, partitionValues: ["d": day], size: size, modificationTime: 0, dataChange: true,
        stats: nil)
    }
    let files = [
      add("a1", "1", 40), add("a2", "1", 40), add("a3", "1", 40), add("a4", "1", 500),
      add("b1", "2", 10), add("c1", "3", 30), add("c2", "3", 30),
    ]
    let g = PackMaintenance.groups(files, target: 100)
    #expect(g.map { $0.map(\.path) } == [["a1", "a2"], ["c1", "c2"]])
  }

  @Test("compaction tiers: an older file joins only when at most twice the newer ones gathered")
  func tiers() {
    func add(_ path: String, _ size: Int64) -> DeltaAdd {
      DeltaAdd(
        path: path, partitionValues: ["d": "1"], size: size, modificationTime: 0, dataChange: true,
        stats: nil)
    }
    func plan(_ files: [DeltaAdd]) -> [[String]] {
      PackMaintenance.groups(files, target: 1000).map { $0.map(\.path) }
    }
    // Two or three hours compacted (120, 180) and the next hour's files (6 × 10): the older
    // file joins up to twice the hour.
    let hour = (1...6).map { add("s\($0)", 10) }
    #expect(plan([add("c1", 120)] + hour) == [["c1", "s1", "s2", "s3", "s4", "s5", "s6"]])
    #expect(plan([add("c2", 180)] + hour) == [["s1", "s2", "s3", "s4", "s5", "s6"]])
    // Files of about the same size (a run's output each) all join: 105 ≤ 2 × 95, then 100 ≤ 400.
    #expect(plan([add("a", 100), add("b", 105), add("c", 95)]) == [["a", "b", "c"]])
    // A day (500), an hour (60) and the next hour: the day is left.
    #expect(plan([add("d", 500), add("h", 60)] + hour).first?.first == "h")
    // A lone small file beside a larger compacted one: nothing to do, nothing read.
    #expect(plan([add("c4", 500), add("s", 5)]).isEmpty)
  }

  @Test("Delta intervals (delta.logRetentionDuration): units second to week, singular or plural")
  func intervals() {
    let day: Int64 = 86_400_000_000
    #expect(PackMaintenance.intervalMicros("interval 30 days") == 30 * day)
    #expect(PackMaintenance.intervalMicros("interval 1 second") == 1_000_000)
    #expect(PackMaintenance.intervalMicros("INTERVAL 2 Weeks") == 14 * day)
    #expect(PackMaintenance.intervalMicros("interval 1 day 12 hours") == day + day / 2)
    #expect(PackMaintenance.intervalMicros("45 minutes") == Int64(45) * 60_000_000)
    #expect(PackMaintenance.intervalMicros("interval 0 hours") == 0)
    for bad in [
      "", "interval", "30", "interval 30", "interval thirty days", "interval -1 day",
      "interval 1 fortnight", "interval 1 day 2", "interval 99999999999999 weeks",
    ] {
      #expect(PackMaintenance.intervalMicros(bad) == nil, "\(bad)")
    }
  }

  @Test("dates of partitions")
  func days() {
    #expect(PackLake.day("1970-01-02") == 1)
    #expect(PackLake.day("2026-13-01") == nil)
    #expect(PackLake.day("yesterday") == nil)
  }
}
