import LakeTable
import Testing

@Suite("Delta log file names")
struct DeltaLogFileNameTests {
  @Test("every kind of log file name parses, and prints back the same")
  func parsesEveryKind() {
    let cases: [(String, DeltaLogFile)] = [
      ("00000000000000000000.json", .commit(0)),
      ("00000000000000000123.json", .commit(123)),
      ("00000000000000000010.checkpoint.parquet", .checkpoint(version: 10)),
      (
        "00000000000000000010.checkpoint.0000000002.0000000003.parquet",
        .checkpointPart(version: 10, part: 2, parts: 3)
      ),
      (
        "00000000000000000010.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json",
        .checkpointV2(version: 10, uuid: "80a083e8-7026-4e79-81be-64bd76c43a11", json: true)
      ),
      (
        "00000000000000000010.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.parquet",
        .checkpointV2(version: 10, uuid: "80a083e8-7026-4e79-81be-64bd76c43a11", json: false)
      ),
      (
        "00000000000000000004.00000000000000000006.compacted.json",
        .compacted(from: 4, to: 6)
      ),
      ("00000000000000000007.crc", .checksum(7)),
      ("_last_checkpoint", .lastCheckpoint),
    ]
    for (name, file) in cases {
      #expect(DeltaLogFile.parse(name) == file, "\(name)")
      #expect(file.name == name)
    }
    #expect(DeltaLogFile.parse("00000000000000000010.checkpoint.parquet")?.version == 10)
    #expect(
      DeltaLogFile.parse("00000000000000000004.00000000000000000006.compacted.json")?.version == 6)
    #expect(DeltaLogFile.lastCheckpoint.version == nil)
    #expect(DeltaLogFile.checkpointName(99) == "00000000000000000099.checkpoint.parquet")
  }

  @Test("temporary files and other names are no log files")
  func rejectsOthers() {
    for name in [
      "", "0.json", "_commit_ab12.json.tmp", ".00000000000000000001.json.crc",
      "00000000000000000001.json.tmp", "0000000000000000000a.json", "00000000000000000001.JSON",
      "00000000000000000001.checkpoint", "00000000000000000001.checkpoint.parquet.tmp",
      "00000000000000000001.checkpoint.0000000003.0000000002.parquet",
      "00000000000000000001.checkpoint.0000000000.0000000002.parquet",
      "00000000000000000001.checkpoint.1.2.parquet",
      "00000000000000000001.checkpoint.not-a-uuid.json",
      "00000000000000000006.00000000000000000004.compacted.json",
      "99999999999999999999.json", "_last_checkpoint.tmp", "_sidecars",
      "00000000000000000001.json.00000000000000000002.json",
    ] {
      #expect(DeltaLogFile.parse(name) == nil, "\(name)")
    }
  }
}
