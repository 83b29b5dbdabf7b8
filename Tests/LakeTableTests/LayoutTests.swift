import LakeIO
import LakeTable
import Testing

@Suite("Lake layout and partition paths")
struct LayoutTests {
  @Test("the lake comes from --lake, then $LH_LAKE, then ./lake")
  func resolve() {
    #expect(
      LakeLayout.resolve(flag: "/data/lake/", environment: ["LH_LAKE": "x"]).root == "/data/lake")
    #expect(
      LakeLayout.resolve(flag: nil, environment: ["LH_LAKE": "/srv/lake"]).root == "/srv/lake")
    #expect(LakeLayout.resolve(flag: nil, environment: [:]).root == "./lake")
    let lake = LakeLayout(root: "L")
    #expect(lake.bronzeEvents == "L/bronze/events")
    #expect(lake.silverEvents == "L/silver/events")
    #expect(lake.silverRejects == "L/silver/rejects")
    #expect((try? lake.gold("daily_active_users")) == "L/gold/daily_active_users")
  }

  @Test(
    "table names cannot escape the lake",
    arguments: ["", "../x", "a/b", "A", "1abc", "x y", "é", ".hidden"])
  func badTableNames(name: String) {
    #expect {
      try LakeLayout(root: "L").gold(name)
    } throws: { ($0 as? LakeFailure)?.category == .usage }
  }

  @Test("the documented example: a/b%c")
  func documentedExample() throws {
    let dir = PartitionPath.segment(column: "region", value: "a/b%c")
    #expect(dir == "region=a%2Fb%25c")
    let path = PartitionPath.uriEncode(dir + "/part-00000.zstd.parquet")
    #expect(path == "region=a%252Fb%2525c/part-00000.zstd.parquet")
    #expect(try PartitionPath.uriDecode(path) == dir + "/part-00000.zstd.parquet")
    #expect(PartitionPath.hiveUnescape("a%2Fb%25c") == "a/b%c")
  }

  @Test("dates and plain values pass through; null and empty use the Hive default")
  func plainValues() {
    #expect(
      PartitionPath.segment(column: "event_date", value: "2026-11-20") == "event_date=2026-11-20")
    #expect(PartitionPath.segment(column: "d", value: nil) == "d=__HIVE_DEFAULT_PARTITION__")
    #expect(PartitionPath.segment(column: "d", value: "") == "d=__HIVE_DEFAULT_PARTITION__")
    #expect(PartitionPath.hiveEscape("müsli café") == "müsli café")
    #expect(PartitionPath.uriEncode("p=müsli café") == "p=m%C3%BCsli%20caf%C3%A9")
  }

  @Test("escaping round-trips every byte value")
  func roundTrip() throws {
    var value = ""
    for scalar in 1..<128 { value.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
    value += "東京🚀"
    let dir = PartitionPath.hiveEscape(value)
    #expect(!dir.contains("/") && !dir.contains("\n"))
    #expect(PartitionPath.hiveUnescape(dir) == value)
    let path = PartitionPath.uriEncode("c=" + dir + "/f.parquet")
    #expect(try PartitionPath.uriDecode(path) == "c=" + dir + "/f.parquet")
  }

  @Test(
    "log paths that leave the table or are malformed are data errors",
    arguments: ["/etc/passwd", "../x.parquet", "a/../../x", "%2", "%zz", "a%00b"])
  func badLogPaths(path: String) {
    #expect {
      try PartitionPath.uriDecode(path)
    } throws: { ($0 as? LakeFailure)?.category == .data }
  }

  @Test(
    "a partition segment is one directory name below the table, whatever the value or column",
    arguments: [
      ("region", "/"), ("region", ".."), ("region", "../../etc"), ("region", "a/../../b"),
      ("region", "x\u{0}y"), ("region", "."), ("..", "v"), ("a/../..", "v"), ("c\u{0}", "/x"),
    ])
  func segmentStaysInside(column: String, value: String) throws {
    let segment = PartitionPath.segment(column: column, value: value)
    #expect(!segment.contains("/") && !segment.utf8.contains(0), "\(segment)")
    #expect(segment != "." && segment != "..")
    // As a Delta log path it decodes back to one safe segment under the table.
    let decoded = try PartitionPath.uriDecode(
      PartitionPath.uriEncode(segment + "/part-0.parquet"))
    #expect(decoded == segment + "/part-0.parquet")
    #expect(PartitionPath.hiveUnescape(String(segment.drop { $0 != "=" }.dropFirst())) == value)
  }

  @Test(
    "a log path that leaves the table is refused",
    arguments: ["/etc/passwd", "../x", "a/../../x", "%2E%2E/x", "a/%2e%2e/b", "x%00y"])
  func logPathEscapes(path: String) {
    #expect {
      try PartitionPath.uriDecode(path)
    } throws: { ($0 as? LakeFailure)?.category == .data }
  }
}
