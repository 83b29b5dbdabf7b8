import LakeContracts
import LakeFormats
import LakeStages
import Testing

@Suite("Gold aggregation")
struct GoldAggregatorTests {
  let contract = Contract.builtin("clickstream")!

  /// Silver-like rows of the clickstream contract: (ts, user, event_type, source, page, price
  /// cents, quantity), other columns filled with fixed values; `currencies` gives each row's
  /// currency (default: null).
  func batch(
    _ rows: [(String, Int64, String, String, String, Int64?, Int32?)],
    currencies: [String?]? = nil
  ) -> [ColumnBuffer] {
    let schema = contract.schema
    var cols = schema.columns.map { ColumnBuffer(type: $0.type) }
    for (n, row) in rows.enumerated() {
      for (c, spec) in schema.columns.enumerated() {
        switch spec.name {
        case "ts": cols[c].append(RFC3339.parse(row.0)!)
        case "user_id": cols[c].append(row.1)
        case "event_type": cols[c].append(string: row.2)
        case "source": cols[c].append(string: row.3)
        case "page": cols[c].append(string: row.4)
        case "price": if let p = row.5 { cols[c].append(p) } else { cols[c].appendNull() }
        case "quantity": if let q = row.6 { cols[c].append(q) } else { cols[c].appendNull() }
        case "event_id": cols[c].append(string: "e\(n)")
        case "session_id": cols[c].append(string: "s\(row.1)")
        case "country": cols[c].append(string: "DE")
        case "currency":
          if let code = currencies?[n] {
            cols[c].append(string: code)
          } else {
            cols[c].appendNull()
          }
        default:
          if spec.nullable { cols[c].appendNull() } else { cols[c].append(string: "x") }
        }
      }
    }
    return cols
  }

  func table(_ name: String) -> GoldTable { contract.gold.first { $0.name == name }! }

  func text(_ cols: [ColumnBuffer], _ schema: TableSchema) -> [String] {
    (0..<(cols.first?.count ?? 0)).map { r in
      cols.enumerated().map { c, col -> String in
        guard col.isValid(r) else { return "null" }
        switch schema.columns[c].type {
        case .date: return "d\(col.int32s[r])"
        case .timestamp: return RFC3339.string(micros: col.int64s[r], fractionDigits: 0)
        case .string: return String(decoding: col.bytes(at: r), as: UTF8.self)
        case .double: return String(format: "%.4f", col.doubles[r])
        case .int32: return String(col.int32s[r])
        default: return String(col.int64s[r])
        }
      }.joined(separator: " ")
    }
  }

  @Test("daily conversion in a time zone across a DST change: local days, exact money, ratios")
  func dailyInZone() throws {
    // Berlin switches to summer time on 2026-03-29 at 01:00 UTC (UTC+1 → UTC+2).
    let rows: [(String, Int64, String, String, String, Int64?, Int32?)] = [
      // Berlin 23:30 on the 28th, then 00:30 on the 29th.
      ("2026-03-28T22:30:00Z", 1, "page_view", "web", "home", nil, nil),
      ("2026-03-28T23:30:00Z", 1, "purchase", "web", "cart", 1999, 2),
      ("2026-03-29T00:59:59Z", 2, "page_view", "mobile", "home", nil, nil),
      ("2026-03-29T01:00:00Z", 2, "purchase", "mobile", "cart", 500, 3),  // 03:00 CEST
      ("2026-03-29T21:59:59Z", 3, "login", "api", "home", nil, nil),  // 23:59:59 CEST, the 29th
      ("2026-03-29T22:00:00Z", 3, "page_view", "api", "home", nil, nil),  // the 30th
    ]
    let input = contract.schema
    let t = table("conversion_rate_daily")
    let berlin = try GoldAggregator(
      table: t, contract: contract, input: input, clock: try ZoneClock("Europe/Berlin"))
    try berlin.add(batch(Array(rows[0..<3])))
    try berlin.add(batch(Array(rows[3...])))
    let d28 = 20_540
    // conversion_rate is 0 (not null) on a day with active users and no purchase.
    #expect(
      text(berlin.result(), berlin.schema) == [
        "d\(d28) 1 0 0 0.0000",
        "d\(d28 + 1) 3 2 2 0.6667",
        "d\(d28 + 2) 1 0 0 0.0000",
      ])
    #expect(
      berlin.schema.columns.map(\.name) == [
        "event_date", "active_users", "purchasing_users", "purchases", "conversion_rate",
      ])

    let utc = try GoldAggregator(
      table: t, contract: contract, input: input, clock: try ZoneClock("UTC"))
    try utc.add(batch(rows))
    #expect(
      text(utc.result(), utc.schema) == [
        "d\(d28) 1 1 1 1.0000",
        "d\(d28 + 1) 2 1 1 0.5000",
      ])

    // Money per currency, only over purchases (the table's own `where`): the two purchases of
    // Berlin's 29th are in different currencies and are never added up.
    let currencies: [String?] = [nil, "EUR", nil, "USD", nil, nil]
    let revenue = try GoldAggregator(
      table: table("revenue_daily"), contract: contract, input: input,
      clock: try ZoneClock("Europe/Berlin"))
    try revenue.add(batch(rows, currencies: currencies))
    #expect(
      revenue.schema.columns.map(\.name) == [
        "event_date", "currency", "orders", "units", "revenue", "buyers",
      ])
    #expect(revenue.schema.columns[4].type == .decimal(precision: 18, scale: 2))
    #expect(
      text(revenue.result(), revenue.schema) == [
        "d\(d28 + 1) EUR 1 2 3998 1",
        "d\(d28 + 1) USD 1 3 1500 1",
      ])
  }

  @Test("minute buckets with a group-by, filters, and min/max/avg")
  func minutes() throws {
    let rows: [(String, Int64, String, String, String, Int64?, Int32?)] = [
      ("2026-01-01T00:00:10Z", 1, "login", "web", "home", nil, nil),
      ("2026-01-01T00:00:50Z", 2, "login", "mobile", "home", nil, nil),
      ("2026-01-01T00:00:59Z", 3, "login", "web", "home", nil, nil),
      ("2026-01-01T00:01:00Z", 4, "click", "web", "home", nil, nil),
      ("2025-12-31T23:59:59Z", 5, "login", "api", "home", nil, nil),
    ]
    let input = contract.schema
    let logins = try GoldAggregator(
      table: table("logins_per_source_minute"), contract: contract, input: input,
      clock: try ZoneClock("UTC"))
    try logins.add(batch(rows))
    #expect(
      text(logins.result(), logins.schema) == [
        "2025-12-31T23:59:00Z api 1",
        "2026-01-01T00:00:00Z mobile 1",
        "2026-01-01T00:00:00Z web 2",
        "2026-01-01T00:01:00Z web 0",
      ])
    let custom = GoldTable(
      name: "t", grain: .hour, groupBy: ["source"],
      metrics: [
        GoldMetric("first_page", .min, GoldOperand("page")),
        GoldMetric(
          "max_user", .max, GoldOperand("user_id"),
          filter: [GoldCondition("event_type", equals: "click", negated: true)]),
        GoldMetric("avg_user", .avg, GoldOperand("user_id")),
      ])
    let agg = try GoldAggregator(
      table: custom, contract: contract, input: input, clock: try ZoneClock("Asia/Kolkata"))
    try agg.add(batch(rows))
    // Kolkata is UTC+5:30: local hours start at half past the UTC hour.
    #expect(
      text(agg.result(), agg.schema) == [
        "2025-12-31T23:30:00Z api home 5 5.0000",
        "2025-12-31T23:30:00Z mobile home 2 2.0000",
        "2025-12-31T23:30:00Z web home 3 2.6667",
      ])
  }

  @Test("result(into:) sorts by bucket, then values (nulls first, UTF-8 bytes), after rows held")
  func resultInto() throws {
    let rows: [(String, Int64, String, String, String, Int64?, Int32?)] = [
      ("2026-01-02T10:00:00Z", 1, "click", "web", "home", 100, 1),
      ("2026-01-01T10:00:00Z", 2, "click", "\u{e9}cole", "home", 200, 1),
      ("2026-01-01T11:00:00Z", 3, "click", "api", "home", 300, 1),
      ("2026-01-01T12:00:00Z", 4, "click", "web", "home", 400, 1),
      ("2026-01-01T13:00:00Z", 5, "click", "api", "home", 500, 1),
      ("2026-01-02T14:00:00Z", 6, "click", "Zed", "home", 600, 1),
    ]
    let currencies: [String?] = ["EUR", nil, "USD", "EUR", nil, nil]
    let custom = GoldTable(
      name: "t", grain: .day, groupBy: ["currency", "source"],
      metrics: [
        GoldMetric("n", .count), GoldMetric("users", .countDistinct, GoldOperand("user_id")),
      ])
    let agg = try GoldAggregator(
      table: custom, contract: contract, input: contract.schema, clock: try ZoneClock("UTC"))
    try agg.add(batch(rows, currencies: currencies))
    let expected = [
      "d20454 null api 1 1",
      "d20454 null \u{e9}cole 1 1",
      "d20454 EUR web 1 1",
      "d20454 USD api 1 1",
      "d20455 null Zed 1 1",
      "d20455 EUR web 1 1",
    ]
    #expect(text(agg.result(), agg.schema) == expected)
    // Appended after what the buffers hold; a buffer past the schema's is left alone.
    var out = agg.schema.columns.map { ColumnBuffer(type: $0.type) }
    out.append(ColumnBuffer(type: .int64))
    out[out.count - 1].append(Int64(7))
    agg.result(into: &out)
    agg.result(into: &out)
    #expect(out[out.count - 1].count == 1)
    #expect(text(Array(out.prefix(agg.schema.columns.count)), agg.schema) == expected + expected)
  }

  @Test("count_distinct is exact past the first 64 groups, across batches and resets")
  func distinctManyGroups() throws {
    // 150 minutes (groups past the bitmapped first 64), users repeating within and across
    // minutes, fed in two batches, twice with a reset between: every minute's count is the
    // brute-force one.
    var rows: [(String, Int64, String, String, String, Int64?, Int32?)] = []
    var expected: [String] = []
    for m in 0..<150 {
      var users = Set<Int64>()
      var purchasers = Set<Int64>()
      for k in 0..<(m % 7 + 3) {
        let user = Int64((m * 13 + k * 5) % 97 + 1)
        let type = k % 3 == 0 ? "purchase" : "page_view"
        users.insert(user)
        if type == "purchase" { purchasers.insert(user) }
        let ts = "2026-01-01T\(pad(m / 60)):\(pad(m % 60)):\(pad(k))Z"
        rows.append((ts, user, type, "web", "home", nil, nil))
        rows.append((ts, user, type, "web", "home", nil, nil))
      }
      expected.append("\(users.count) \(purchasers.count)")
    }
    let agg = try GoldAggregator(
      table: table("kpi_minute"), contract: contract, input: contract.schema,
      clock: try ZoneClock("UTC"))
    for _ in 0..<2 {
      agg.reset()
      let half = rows.count / 2
      try agg.add(batch(Array(rows[..<half])))
      try agg.add(batch(Array(rows[half...])))
      let out = agg.result()
      let active = agg.schema.index(of: "active_users")!
      let purchase = agg.schema.index(of: "purchase_users")!
      #expect(out[0].count == 150)
      let got = (0..<out[0].count).map { "\(out[active].int64s[$0]) \(out[purchase].int64s[$0])" }
      #expect(got == expected)
    }
  }

  func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

  @Test("group ids through the direct index: values growing across batches, past its limit")
  func directGroupIndex() throws {
    // events_per_minute (minute × event_type): batch 1 has 200 minutes of 3 types (the direct
    // index), batch 2 brings 60 types (a wider index, rebuilt), batch 3 1,100 more minutes and
    // 1,100 types (past the index's limit: the dictionary alone); then a reset and batch 1
    // again. Every (minute, type) count is the brute-force one, in order.
    func rows(_ minutes: Range<Int>, types: Int, perMinute: Int) -> [(
      String, Int64, String, String, String, Int64?, Int32?
    )] {
      var out: [(String, Int64, String, String, String, Int64?, Int32?)] = []
      for m in minutes {
        for k in 0..<perMinute {
          let ts = "2026-01-01T\(pad(m / 60)):\(pad(m % 60)):\(pad(k))Z"
          out.append((ts, 1, "t\((m * 7 + k) % types)", "web", "home", nil, nil))
        }
      }
      return out
    }
    let batches = [
      rows(0..<200, types: 3, perMinute: 4), rows(100..<300, types: 60, perMinute: 5),
      rows(300..<1400, types: 1100, perMinute: 2),
    ]
    func expected(_ batches: [[(String, Int64, String, String, String, Int64?, Int32?)]])
      -> [String]
    {
      var counts: [String: Int] = [:]
      for b in batches {
        for r in b { counts[String(r.0.prefix(17)) + "00Z " + r.2, default: 0] += 1 }
      }
      return counts.keys.sorted { a, b in
        let (ta, ka) = (a.prefix(20), Array(a.utf8.dropFirst(21)))
        let (tb, kb) = (b.prefix(20), Array(b.utf8.dropFirst(21)))
        return ta != tb ? ta < tb : ka.lexicographicallyPrecedes(kb)
      }.map { "\($0) \(counts[$0]!)" }
    }
    let agg = try GoldAggregator(
      table: table("events_per_minute"), contract: contract, input: contract.schema,
      clock: try ZoneClock("UTC"))
    for b in batches { try agg.add(batch(b)) }
    #expect(text(agg.result(), agg.schema) == expected(batches))
    agg.reset()
    try agg.add(batch(batches[0]))
    #expect(text(agg.result(), agg.schema) == expected([batches[0]]))
  }

  @Test("an unknown zone, a filter value of the wrong type and a missing column are errors")
  func errors() throws {
    #expect(throws: (any Error).self) { try ZoneClock("Mars/Olympus") }
    let bad = GoldTable(
      name: "t", grain: .day,
      metrics: [GoldMetric("m", .count, filter: [GoldCondition("user_id", equals: "seven")])])
    #expect(throws: (any Error).self) {
      try GoldAggregator(
        table: bad, contract: contract, input: contract.schema, clock: try ZoneClock("UTC"))
    }
    let missing = GoldTable(
      name: "t", grain: .day, metrics: [GoldMetric("m", .sum, GoldOperand("nope"))])
    #expect(throws: (any Error).self) {
      try GoldAggregator(
        table: missing, contract: contract, input: contract.schema, clock: try ZoneClock("UTC"))
    }
  }
}
