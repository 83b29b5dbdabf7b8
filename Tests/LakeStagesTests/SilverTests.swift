import LakeContracts
import LakeFormats
import LakeIO
import Testing

@testable import LakeStages

@Suite("silver stage logic")
struct SilverTests {
  let contract = Contract(
    name: "k",
    columns: [
      ContractColumn("id", .string, required: true), ContractColumn("n", .int32),
      ContractColumn("ts", .timestamp, required: true),
    ], key: ["id"], eventTime: "ts")

  @Test(
    "schema changes: same, optional column added, relaxed; type change, drop, new required refused")
  func schemaChanges() throws {
    let old = SilverSchema.events(contract)
    #expect(try SilverSchema.change(from: old, to: old, table: "t") == .none)
    var added = contract
    added.columns.insert(ContractColumn("color", .string), at: 2)
    #expect(
      try SilverSchema.change(from: old, to: SilverSchema.events(added), table: "t")
        == .evolve(added: ["color"]))
    var relaxed = contract
    relaxed.columns[0].required = false
    #expect(
      try SilverSchema.change(from: old, to: SilverSchema.events(relaxed), table: "t")
        == .evolve(added: []))
    var retyped = contract
    retyped.columns[1].type = .int64
    #expect(throws: LakeFailure.self) {
      try SilverSchema.change(from: old, to: SilverSchema.events(retyped), table: "t")
    }
    var dropped = contract
    dropped.columns.remove(at: 1)
    #expect(throws: LakeFailure.self) {
      try SilverSchema.change(from: old, to: SilverSchema.events(dropped), table: "t")
    }
    var required = contract
    required.columns.append(ContractColumn("must", .string, required: true))
    #expect(throws: LakeFailure.self) {
      try SilverSchema.change(from: old, to: SilverSchema.events(required), table: "t")
    }
  }

  @Test("the stream's window: duplicates within it dropped, memory bounded by it")
  func window() {
    let minute: Int64 = 60_000_000
    var keys = WindowedKeys(window: 10 * minute)
    var ok = false
    ok = keys.insert(1, time: 0)
    #expect(ok)
    ok = keys.insert(1, time: 0)
    #expect(!ok)
    ok = keys.insert(2, time: 5 * minute)
    #expect(ok)
    ok = keys.insert(1, time: 0)
    #expect(!ok, "within the window of the watermark")
    var maxHeld = 0
    for i in 0..<10_000 {
      ok = keys.insert(UInt64(100 + i), time: Int64(i) * 1_000_000 + 6 * minute)
      #expect(ok)
      maxHeld = max(maxHeld, keys.times.count)
    }
    // 10,000 seconds of one key a second, a 10-minute window: at most ~ 600 + a bucket held.
    #expect(maxHeld < 700, "\(maxHeld)")
    ok = keys.insert(1, time: 0)
    #expect(ok, "long forgotten: beyond the window")
  }

  @Test("rows as NDJSON: every type, escapes, spliced extras")
  func rowJSON() throws {
    let schema = TableSchema([
      ColumnSpec("s", .string), ColumnSpec("i", .int32), ColumnSpec("l", .int64),
      ColumnSpec("d", .double), ColumnSpec("m", .decimal(precision: 12, scale: 2)),
      ColumnSpec("b", .boolean), ColumnSpec("t", .timestamp), ColumnSpec("day", .date),
      ColumnSpec("_extra", .string),
    ])
    var c = schema.columns.map { ColumnBuffer(type: $0.type) }
    c[0].append(string: "a\"\n")
    c[1].append(Int32(-3))
    c[2].appendNull()
    c[3].append(0.5)
    c[4].append(Int64(-5))
    c[5].append(true)
    c[6].append(Int64(1_000_001))
    c[7].append(Int32(20_454))
    c[8].append(string: "{\"x\":[1]}")
    let out = OutputBuffer(capacity: 4096) { _ in }
    try RowJSONWriter(schema: schema, written: Array(0..<8), splice: 8).write(c, row: 0, to: out)
    #expect(
      String(decoding: out.bytes(since: 0), as: UTF8.self)
        == "{\"s\":\"a\\\"\\n\",\"i\":-3,\"l\":null,\"d\":0.5,\"m\":-0.05,\"b\":true,\"t\":\"1970-01-01T00:00:01.000001Z\",\"day\":\"2026-01-01\",\"x\":[1]}\n"
    )
  }
}
