import LakeContracts
import LakeFormats
import Testing

@testable import LakeStages

/// Saved gold day states (GoldDayState.swift): a state saved, encoded, decoded and merged, then
/// more rows folded, gives the rows folding everything at once gives.
@Suite("Gold day states")
struct GoldDayStateTests {
  let contract = Contract.builtin("clickstream")!

  /// Clickstream-like rows: `n` events from `first`, one a second, over `users` users.
  func batch(_ n: Int, first: Int, users: Int64) -> [ColumnBuffer] {
    let schema = contract.schema
    var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
    let start = RFC3339.parse("2026-03-02T00:00:00Z")!
    let types = ["page_view", "login", "purchase", "add_to_cart", "click"]
    for k in 0..<n {
      let i = first + k
      for (c, spec) in schema.columns.enumerated() {
        switch spec.name {
        case "ts": cols[c].append(start + Int64(i) * 1_000_000)
        case "user_id": cols[c].append(Int64(i * 7919) % users)
        case "event_type": cols[c].append(string: types[i % types.count])
        case "source": cols[c].append(string: ["web", "mobile", "api"][i % 3])
        case "page": cols[c].append(string: "p\(i % 97)")
        case "price":
          if i % 5 == 2 { cols[c].append(Int64(100 + i % 900)) } else { cols[c].appendNull() }
        case "quantity":
          if i % 5 == 2 { cols[c].append(Int32(1 + i % 4)) } else { cols[c].appendNull() }
        case "event_id": cols[c].append(string: "e\(i)")
        case "session_id": cols[c].append(string: "s\(i / 30)")
        case "country": cols[c].append(string: ["DE", "FR"][i % 2])
        case "currency": cols[c].append(string: ["EUR", "USD"][i % 2])
        default:
          if spec.nullable { cols[c].appendNull() } else { cols[c].append(string: "x") }
        }
      }
    }
    return cols
  }

  func text(_ cols: [ColumnBuffer]) -> [String] {
    (0..<(cols.first?.count ?? 0)).map { r in
      cols.map { col -> String in
        guard col.isValid(r) else { return "null" }
        switch col.type.storage {
        case .bytes: return String(decoding: col.bytes(at: r), as: UTF8.self)
        case .double: return String(col.doubles[r])
        case .int32: return String(col.int32s[r])
        case .int64: return String(col.int64s[r])
        default: return "?"
        }
      }.joined(separator: " ")
    }
  }

  @Test(
    "every built-in clickstream table: saved, encoded, decoded, merged, then more rows, equals one pass"
  )
  func roundTrip() throws {
    let clock = try ZoneClock("UTC")
    let first = batch(3000, first: 0, users: 100_000)
    let second = batch(2000, first: 3000, users: 100_000)
    for t in contract.gold {
      let whole = try GoldAggregator(
        table: t, contract: contract, input: contract.schema, clock: clock)
      try whole.add(first)
      try whole.add(second)

      let part = try GoldAggregator(
        table: t, contract: contract, input: contract.schema, clock: clock)
      try part.add(first)
      let saved = try #require(part.saved())
      let state = GoldDayState(
        silverVersion: 4, day: 20514, files: [("a.parquet", 10)], aggregate: saved)
      let bytes = state.encoded(fingerprint: 42, kinds: part.metricKinds)
      let decoded = try #require(
        GoldDayState.decode(bytes, fingerprint: 42, kinds: part.metricKinds))
      #expect(decoded.silverVersion == 4 && decoded.day == 20514)
      #expect(decoded.files.map(\.path) == ["a.parquet"] && decoded.files.map(\.size) == [10])

      let merged = try GoldAggregator(
        table: t, contract: contract, input: contract.schema, clock: clock)
      #expect(try merged.merge(decoded.aggregate))
      try merged.add(second)
      #expect(text(merged.result()) == text(whole.result()), "\(t.name)")

      // Another fingerprint, a cut or a flipped byte: not a state.
      #expect(GoldDayState.decode(bytes, fingerprint: 43, kinds: part.metricKinds) == nil)
      #expect(
        GoldDayState.decode(
          Array(bytes.prefix(bytes.count - 8)), fingerprint: 42, kinds: part.metricKinds) == nil)
      var flipped = bytes
      flipped[flipped.count / 2] ^= 1
      #expect(GoldDayState.decode(flipped, fingerprint: 42, kinds: part.metricKinds) == nil)
    }
  }

  @Test("the fingerprint changes with the table's definition, the zone and the input types")
  func fingerprint() throws {
    let t = contract.gold.first { $0.name == "kpi_minute" }!
    let base = GoldDayState.fingerprint(
      table: t, contract: contract, zone: "UTC", input: contract.schema, silverId: "x")
    var changed = t
    changed.metrics.removeLast()
    #expect(
      base
        != GoldDayState.fingerprint(
          table: changed, contract: contract, zone: "UTC", input: contract.schema, silverId: "x"))
    #expect(
      base
        != GoldDayState.fingerprint(
          table: t, contract: contract, zone: "Europe/Berlin", input: contract.schema,
          silverId: "x"))
    #expect(
      base
        != GoldDayState.fingerprint(
          table: t, contract: contract, zone: "UTC", input: contract.schema, silverId: "y"))
    var columns = contract.schema.columns
    let user = columns.firstIndex { $0.name == "user_id" }!
    columns[user] = ColumnSpec("user_id", .string)
    #expect(
      base
        != GoldDayState.fingerprint(
          table: t, contract: contract, zone: "UTC", input: TableSchema(columns), silverId: "x"))
  }
}
