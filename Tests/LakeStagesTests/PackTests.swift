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
