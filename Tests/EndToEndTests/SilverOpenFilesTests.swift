import Foundation
import LakeTable
import LakeTestSupport
import Testing

/// lh-silver over many event days under a small descriptor limit (issue 16): each writer thread
/// keeps a bounded number of partition files open, not one per day of the input.
@Suite("lh-silver open files")
struct SilverOpenFilesTests {
  @Test(
    "two years of events (730 partitions) refine under ulimit -n 256 with two threads, every event once"
  )
  func twoYearsUnderUlimit() throws {
    let dir = try TestTools.temporaryDirectory("lh-silver-files")
    let lake = dir.appendingPathComponent("lake").path
    let landed = try TestTools.shell(
      "lh-gen --count 20000 --seed 3 --duration 17520h --quiet | lh-bronze --lake '\(lake)' --quiet"
    )
    #expect(landed.status == 0, "\(landed.stderr)")
    let silver = try TestTools.shell(
      "ulimit -n 256 && lh-silver --lake '\(lake)' --threads 2 --quiet")
    #expect(silver.status == 0, "\(silver.stderr)")
    let snapshot = try DeltaLog.snapshot(table: lake + "/silver/events")
    var rows = 0
    try DeltaScan.forEachBatch(snapshot) { batch in rows += batch.first?.count ?? 0 }
    #expect(rows == 20_000)
    let days = Set(snapshot.files.map { $0.partitionValues["event_date"] ?? nil })
    #expect(days.count >= 700)
    // Days in event order: each day's file is finished once per thread, not reopened.
    #expect(snapshot.files.count <= 2 * days.count)
    let stray = try TestTools.shell("find '\(lake)/silver' -name '*.tmp*'")
    #expect(stray.stdout.isEmpty, "\(stray.stdout)")
  }
}
