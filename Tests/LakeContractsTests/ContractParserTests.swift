import LakeContracts
import LakeFormats
import LakeStages
import Testing

@Suite("contract parser and printer")
struct ContractParserTests {
  @Test(
    "the built-in contracts parse and have the generator's columns", arguments: Dataset.allCases)
  func builtins(dataset: Dataset) throws {
    let c = try #require(Contract.builtin(dataset.rawValue))
    #expect(c.name == dataset.rawValue)
    #expect(c.schema == dataset.schema)
    #expect(c.eventTime == "ts")
    #expect(!c.gold.isEmpty)
    #expect(Contract.builtinNames.contains(dataset.rawValue))
  }

  @Test("the clickstream gold tables are those of design.md")
  func clickstreamGold() throws {
    let c = try #require(Contract.builtin("clickstream"))
    #expect(
      c.gold.map(\.name) == [
        "daily_active_users", "conversion_rate_daily", "revenue_daily", "events_per_source_daily",
        "purchases_per_page_daily", "events_per_minute", "logins_per_source_minute",
        "purchases_per_minute", "kpi_minute",
      ])
    let kpi = try #require(c.gold.last)
    #expect(kpi.grain == .minute)
    #expect(kpi.ratios == [GoldRatio("conversion_rate", "purchase_users", "active_users")])
    #expect(c.key == ["event_id"])
    // Money is kept per currency: every table with a money metric groups by the currency.
    #expect(c.columns[c.columnIndex("price")!].currency == "currency")
    let revenue = try #require(c.gold.first { $0.name == "revenue_daily" })
    #expect(revenue.groupBy == ["currency"])
    #expect(revenue.filter == [GoldCondition("event_type", equals: "purchase")])
    #expect(
      revenue.metrics[2] == GoldMetric("revenue", .sum, GoldOperand("price", times: "quantity")))
    for g in c.gold {
      for m in g.metrics where c.currencyColumn(of: m) != nil {
        #expect(g.groupBy.contains("currency"), "\(g.name).\(m.name) mixes currencies")
      }
    }
    // sales declares no currency: its money is single-currency.
    let sales = try #require(Contract.builtin("sales"))
    #expect(sales.columns.allSatisfy { $0.currency == nil })
  }

  @Test(
    "a money metric not kept per currency is refused with one line naming table, metric and fix")
  func moneyAcrossCurrencies() throws {
    let text = """
      contract shop
      key id
      event_time ts
      column id       string        required
      column cur      string        optional values USD, EUR
      column amount   decimal(12,2) optional currency cur
      column n        int32         optional
      column ts       timestamp     required
      gold ok_grouped
        grain day
        group_by cur
        metric total = sum(amount * n)
      gold ok_fixed
        grain day
        where cur = EUR
        metric total = avg(amount)
      gold ok_metric_filter
        grain day
        metric total = max(amount) where cur = USD
        metric buyers = count_distinct(amount)
      """
    let c = try ContractParser.parse(text, file: "shop.contract")
    #expect(c.gold.count == 3)
    #expect(c.currencyColumn(of: c.gold[0].metrics[0]) == "cur")
    #expect(c.currencyColumn(of: c.gold[2].metrics[1]) == nil)
    let bad = text + "\ngold mixed\n  grain minute\n  metric total = sum(n * amount)\n"
    do {
      _ = try ContractParser.parse(bad, file: "shop.contract")
      Issue.record("a sum across currencies was accepted")
    } catch {
      #expect(
        error.description
          == "shop.contract:23: gold 'mixed': metric 'total' (sum of money column 'amount') would mix currencies; add 'cur' to the table's group_by (or 'where cur = CODE')"
      )
      #expect(!error.description.contains("\n"))
      #expect(error.category == .usage)
    }
  }

  @Test("render parses back to the same contract", arguments: Contract.builtinNames)
  func roundTrip(name: String) throws {
    let c = try #require(Contract.builtin(name))
    let text = c.render()
    let again = try ContractParser.parse(text, file: "printed")
    #expect(again == c)
    #expect(again.render() == text)
  }

  @Test("every attribute survives the round trip")
  func roundTripAttributes() throws {
    let text = """
      contract all_kinds
      key id, day
      event_time at
      column id     string        required max_length 12 values x, y z, -1
      column n      int32         optional min -5 max 5 accept_strings values 1, 2, -3
      column big    int64         optional min -9223372036854775808 max 9223372036854775807
      column x      double        optional min -0.25 max 1e+20
      column money  decimal(6, 3) required min -0.5 max 999.999 accept_strings currency id
      column flag   boolean       optional
      column day    date          required
      column at     timestamp     required
      gold t
        grain hour
        group_by flag, day, id
        where n = 1 and flag != false
        metric a = count where flag = true and n != 2 and id = y z
        metric b = avg(x * money) where day = 2026-01-31
        metric c = min(at)
        metric d = count_distinct(id) where at = 2026-01-01T00:00:00+02:00
        ratio r = a / c
      """
    let c = try ContractParser.parse(text, file: "t")
    #expect(c.columns[0].allowedValues == ["x", "y z", "-1"])
    #expect(c.columns[4].type == .decimal(precision: 6, scale: 3))
    #expect(c.columns[4].minimum == .decimal(unscaled: -500))
    #expect(c.columns[3].maximum == .double(1e20))
    #expect(c.gold[0].metrics[0].filter.count == 3)
    #expect(c.gold[0].metrics[0].filter[1] == GoldCondition("n", equals: "2", negated: true))
    #expect(c.gold[0].metrics[0].filter[2].value == "y z")
    #expect(c.columns[4].currency == "id")
    #expect(
      c.gold[0].filter == [
        GoldCondition("n", equals: "1"), GoldCondition("flag", equals: "false", negated: true),
      ])
    #expect(try ContractParser.parse(c.render(), file: "printed") == c)
  }

  @Test("comments, blank lines, CRLF and indentation are ignored")
  func layout() throws {
    let text =
      "# a comment\r\n\r\n   contract   t  \r\n\tkey id\r\nevent_time ts\r\n"
      + "column id string required\r\n  # indented comment\r\ncolumn ts timestamp required\r\n"
    let c = try ContractParser.parse(text, file: "t")
    #expect(c.name == "t")
    #expect(c.columns.map(\.name) == ["id", "ts"])
    #expect(c.columns[0].required)
  }

  /// A small valid contract; cases replace or append lines.
  static let base = [
    "contract t",  // 1
    "key id",  // 2
    "event_time ts",  // 3
    "column id string required",  // 4
    "column n int32 optional values 1, 2",  // 5
    "column ts timestamp required",  // 6
    "column s string optional values a, b",  // 7
    "gold g",  // 8
    "  grain day",  // 9
    "  metric m = count",  // 10
  ]

  static func text(_ replace: [Int: String], _ append: [String]) -> String {
    var lines = base
    for (n, l) in replace { lines[n - 1] = l }
    return (lines + append).joined(separator: "\n")
  }

  /// Every error the parser gives: replaced lines, appended lines, and the expected message.
  static let errorCases: [([Int: String], [String], String)] = [
    ([:], ["contract u"], "t:11: a second 'contract' line"),
    ([1: "contract"], [], "t:1: 'contract' needs a name"),
    ([1: "contract a b"], [], "t:1: 'contract' takes only a name"),
    (
      [1: "contract Big"], [], "t:1: contract name 'Big' must be lower-case letters, digits and '_'"
    ),
    ([:], ["key ts"], "t:11: a second 'key' line"),
    ([2: "key"], [], "t:2: 'key' needs at least one column"),
    ([2: "key id,"], [], "t:2: empty item in the list of the key"),
    ([2: "key id, 9x"], [], "t:2: '9x' is not a column name"),
    ([2: "key id, id"], [], "t:2: 'id' is listed twice in the key"),
    ([:], ["event_time ts"], "t:11: a second 'event_time' line"),
    ([3: "event_time _x"], [], "t:3: '_x' is not a column name"),
    ([:], ["column x"], "t:11: 'column' needs a name and a type"),
    (
      [:], ["column _x string"],
      "t:11: '_x' is not a column name (a letter, then letters, digits and '_')"
    ),
    (
      [:], ["column event_date date"],
      "t:11: column name 'event_date' is reserved for the partition column"
    ),
    (
      [:], ["column x float"],
      "t:11: column 'x': unknown type 'float' (string, int32, int64, double, decimal(p,s) with p ≤ 18, boolean, timestamp, date)"
    ),
    (
      [:], ["column x decimal(20,2)"],
      "t:11: column 'x': unknown type 'decimal(20,2)' (string, int32, int64, double, decimal(p,s) with p ≤ 18, boolean, timestamp, date)"
    ),
    (
      [:], ["column x string required optional"],
      "t:11: column 'x': give either 'required' or 'optional', once"
    ),
    ([:], ["column x string required required"], "t:11: column 'x': 'required' given twice"),
    ([:], ["column x string min 1"], "t:11: column 'x': 'min' needs a numeric column"),
    ([:], ["column x int32 max"], "t:11: column 'x': 'max' needs a number"),
    ([:], ["column x int32 max 3000000000"], "t:11: column 'x': '3000000000' is not a valid int32"),
    (
      [:], ["column x decimal(4,1) min 0.05"],
      "t:11: column 'x': '0.05' is not a valid decimal(4,1)"
    ),
    ([:], ["column x int64 min 5 max 4"], "t:11: column 'x': min is above max"),
    ([:], ["column x int64 max_length 4"], "t:11: column 'x': 'max_length' needs a string column"),
    (
      [:], ["column x string max_length 0"],
      "t:11: column 'x': 'max_length' needs a positive whole number"
    ),
    (
      [:], ["column x string accept_strings"],
      "t:11: column 'x': 'accept_strings' needs a numeric column"
    ),
    (
      [:], ["column x double values 1"],
      "t:11: column 'x': 'values' needs a string or integer column"
    ),
    ([:], ["column x string values"], "t:11: column 'x': 'values' needs a list"),
    ([:], ["column x string values a,,b"], "t:11: empty item in the list of values of 'x'"),
    ([:], ["column x int32 values 1, z"], "t:11: column 'x': value 'z' is not a valid int32"),
    ([:], ["column x int32 values 1, -0"], "t:11: column 'x': write value '-0' as 0"),
    ([:], ["column x int32 values 1, 02"], "t:11: column 'x': value '02' is not a valid int32"),
    ([:], ["column x string values a, a"], "t:11: column 'x': value 'a' is listed twice"),
    (
      [:], ["column x string max_length 2 values ab, abc"],
      "t:11: column 'x': value 'abc' is longer than max_length 2"
    ),
    ([:], ["column x string nullable"], "t:11: column 'x': unknown attribute 'nullable'"),
    ([:], ["table x"], "t:11: unknown directive 'table'"),
    ([8: "gold"], [], "t:8: 'gold' needs a name"),
    ([8: "gold G"], [], "t:8: gold table name 'G' must be lower-case letters, digits and '_'"),
    ([:], ["gold g"], "t:11: a second gold table 'g'"),
    ([8: "# no gold"], [], "t:9: 'grain' outside a gold table (put it after a 'gold NAME' line)"),
    ([:], ["grain hour"], "t:11: gold 'g': a second 'grain' line"),
    ([9: "grain week"], [], "t:9: gold 'g': grain must be minute, hour or day"),
    ([:], ["group_by s", "group_by n"], "t:12: gold 'g': a second 'group_by' line"),
    ([:], ["group_by"], "t:11: gold 'g': 'group_by' needs columns"),
    ([:], ["metric x count"], "t:11: gold 'g': write 'metric NAME = ...'"),
    (
      [:], ["metric X = count"],
      "t:11: gold 'g': metric name 'X' must be lower-case letters, digits and '_'"
    ),
    (
      [:], ["metric x = median(n)"],
      "t:11: metric 'x': expected count, count_distinct(COLUMN), sum(COLUMN), min(COLUMN), max(COLUMN) or avg(COLUMN), not 'median(n)'"
    ),
    (
      [:], ["metric x = sum(n * n * n)"],
      "t:11: metric 'x': 'n*n*n' is not a column or COLUMN * COLUMN"
    ),
    ([:], ["metric x = max(n * n)"], "t:11: metric 'x': a product of columns needs sum or avg"),
    (
      [:], ["metric x = count where s"],
      "t:11: metric 'x': a condition is 'COLUMN = VALUE' or 'COLUMN != VALUE'"
    ),
    (
      [:], ["metric x = count where s = "],
      "t:11: metric 'x': a condition is 'COLUMN = VALUE' or 'COLUMN != VALUE'"
    ),
    ([:], ["ratio x = m"], "t:11: ratio 'x': write 'ratio NAME = METRIC / METRIC'"),
    ([1: ""], [], "t: no 'contract NAME' line"),
    ([4: "", 5: "", 6: "", 7: ""], [], "t: no 'column' lines"),
    ([2: ""], [], "t: no 'key' line"),
    ([3: ""], [], "t: no 'event_time' line"),
    ([:], ["column n int64"], "t:11: a second column 'n'"),
    ([2: "key nope"], [], "t:2: key column 'nope' is not declared"),
    ([2: "key n"], [], "t:2: key column 'n' must be required"),
    ([:], ["column d double required", "key d"], "t:12: a second 'key' line"),
    ([2: "key d"], ["column d double required"], "t:2: key column 'd' cannot be a double"),
    ([3: "event_time nope"], [], "t:3: event_time column 'nope' is not declared"),
    ([3: "event_time id"], [], "t:3: event_time column 'id' must be a required timestamp"),
    ([9: ""], [], "t:8: gold 'g' has no 'grain' line"),
    ([10: ""], [], "t:8: gold 'g' has no 'metric' line"),
    ([:], ["group_by nope"], "t:11: gold 'g': group_by column 'nope' is not declared"),
    ([:], ["group_by event_date"], "t:11: gold 'g': group_by column 'event_date' is not declared"),
    (
      [9: "  grain minute"], ["group_by window_start", "column window_start string"],
      "t:11: gold 'g': 'window_start' clashes with the bucket column"
    ),
    ([:], ["metric m = count"], "t:11: gold 'g': the name 'm' is used twice"),
    ([:], ["group_by s", "metric s = count"], "t:12: gold 'g': the name 's' is used twice"),
    ([:], ["metric x = count_distinct(nope)"], "t:11: metric 'x': column 'nope' is not declared"),
    ([:], ["metric x = sum(s)"], "t:11: metric 'x': sum needs a numeric column, 's' is string"),
    ([:], ["metric x = avg(n * s)"], "t:11: metric 'x': avg needs a numeric column, 's' is string"),
    (
      [:], ["metric x = max(id)"],
      "t:11: metric 'x': max needs a numeric, timestamp or date column, 'id' is string"
    ),
    (
      [:], ["metric x = count where nope = 1"],
      "t:11: metric 'x': filter column 'nope' is not declared"
    ),
    (
      [:], ["metric x = count where n = one"],
      "t:11: metric 'x': 'one' is not a valid int32 value of 'n'"
    ),
    (
      [:], ["metric x = count where ts = yesterday"],
      "t:11: metric 'x': 'yesterday' is not a valid timestamp value of 'ts'"
    ),
    ([:], ["metric x = count where s = c"], "t:11: metric 'x': 'c' is not an allowed value of 's'"),
    (
      [:], ["metric x = count where n != 3"], "t:11: metric 'x': '3' is not an allowed value of 'n'"
    ),
    ([:], ["ratio m = m / m"], "t:11: gold 'g': the name 'm' is used twice"),
    ([:], ["column x string currency s"], "t:11: column 'x': 'currency' needs a numeric column"),
    (
      [:], ["column x int32 currency"],
      "t:11: column 'x': 'currency' needs the name of the currency column"
    ),
    (
      [:], ["column x int32 currency nope"],
      "t:11: column 'x': currency column 'nope' is not declared"
    ),
    (
      [:], ["column x int32 currency n"],
      "t:11: column 'x': currency column 'n' must be a string column, not int32"
    ),
    ([:], ["where s = a", "where s = b"], "t:12: gold 'g': a second 'where' line"),
    ([:], ["where s"], "t:11: gold 'g': a condition is 'COLUMN = VALUE' or 'COLUMN != VALUE'"),
    ([:], ["where nope = 1"], "t:11: gold 'g': filter column 'nope' is not declared"),
    ([:], ["where s = c"], "t:11: gold 'g': 'c' is not an allowed value of 's'"),
    (
      [:], ["column x int32 currency s", "metric x_sum = sum(x)"],
      "t:12: gold 'g': metric 'x_sum' (sum of money column 'x') would mix currencies; add 's' to the table's group_by (or 'where s = CODE')"
    ),
    (
      [:], ["column x int32 currency s", "metric x_min = min(x) where s != a"],
      "t:12: gold 'g': metric 'x_min' (min of money column 'x') would mix currencies; add 's' to the table's group_by (or 'where s = CODE')"
    ),
    ([:], ["ratio r = m / nope"], "t:11: ratio 'r': 'nope' is not a metric of 'g'"),
  ]

  @Test("every parser error names the file, the line and the problem", arguments: errorCases)
  func errors(replace: [Int: String], append: [String], expected: String) {
    let text = Self.text(replace, append)
    #expect(throws: (any Error).self) { try ContractParser.parse(text, file: "t") }
    do {
      _ = try ContractParser.parse(text, file: "t")
    } catch {
      #expect(error.description == expected)
      #expect(error.category == .usage)
    }
  }

  @Test("the base contract of the error cases is valid")
  func baseIsValid() throws {
    let c = try ContractParser.parse(Self.text([:], []), file: "t")
    #expect(c.gold == [GoldTable(name: "g", grain: .day, metrics: [GoldMetric("m", .count)])])
  }

  @Test("a missing file is no input (66), a bad one usage (64)")
  func loading() throws {
    #expect(throws: ContractError.self) { try Contract.load(path: "/nonexistent/x.contract") }
    do {
      _ = try Contract.load(path: "/nonexistent/x.contract")
    } catch {
      #expect(error.category == .noInput)
      #expect(error.description.hasPrefix("/nonexistent/x.contract: cannot read the contract"))
    }
    #expect(try Contract.resolve("iot").name == "iot")
  }
}
