// LakeContracts/ContractParser.swift
//
// Reads the contract text format (docs/contracts.md). One directive per line; `#` starts a
// comment line; indentation is for the eye only (the lines after `gold NAME` belong to that
// table until the next `gold`). Lists are separated by commas; no quoting anywhere, so a value
// is everything between commas, spaces around it trimmed.
//
//   contract   NAME
//   key        COLUMN [, COLUMN]...
//   event_time COLUMN
//   column     NAME TYPE [required | optional] [min N] [max N] [max_length N] [accept_strings]
//                        [currency COLUMN] [values V [, V]...]     (values takes the rest)
//   gold       NAME
//     grain    minute | hour | day
//     group_by COLUMN [, COLUMN]...
//     where    C = V | C != V [and ...]                          (rows the table counts at all)
//     metric   NAME = count | count_distinct(C) | sum(C) | sum(C * C) | min(C) | max(C) | avg(C)
//                     | avg(C * C)   [where C = V | C != V [and ...]]
//     ratio    NAME = METRIC / METRIC
//
// Every error is a ``ContractError`` naming the file and line. Checks that involve several lines
// (the key names a declared, required column; a metric's column exists and is numeric; a filter
// value is one of the column's allowed values; ...) run after the whole file is read and point at
// the line that refers to the missing or wrong thing.
//
// Money: `currency C` on a numeric column names the string column holding each row's currency.
// A metric that sums, averages or takes the minimum or maximum of such a column (alone or in a
// product) must not mix currencies: its table groups by C, or the table's or the metric's
// `where` fixes C to one value. A money column without `currency` is single-currency.

/// Parses contract text into a ``Contract``.
public enum ContractParser {
  /// Parses `text`, naming `file` in errors.
  ///
  /// - Parameters:
  ///   - text: The whole contract file.
  ///   - file: The file name as the user gave it, for messages.
  /// - Returns: A contract whose references all resolve.
  /// - Throws: ``ContractError`` (category `.usage`) at the first problem.
  public static func parse(_ text: String, file: String) throws(ContractError) -> Contract {
    var reader = Reader(file: file)
    var lineNumber = 0
    // "\r\n" is one Character in Swift, so it is a separator of its own.
    let lines = text.split(
      omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    for line in lines {
      lineNumber += 1
      try reader.read(line, at: lineNumber)
    }
    return try reader.finish()
  }
}

/// A value and the line it came from.
private struct Located<Value> {
  var value: Value
  var line: Int
}

private struct DraftGold {
  var name: String
  var line: Int
  var grain: Located<GoldGrain>?
  var groupBy: Located<[String]>?
  var filter: Located<[GoldCondition]>?
  var metrics: [Located<GoldMetric>] = []
  var ratios: [Located<GoldRatio>] = []
}

private struct Reader {
  let file: String
  var name: Located<String>?
  var key: Located<[String]>?
  var eventTime: Located<String>?
  var columns: [Located<ContractColumn>] = []
  var gold: [DraftGold] = []
  var line = 0

  init(file: String) { self.file = file }

  func fail(_ message: String, at line: Int? = nil) -> ContractError {
    ContractError(file: file, line: line ?? self.line, message: message)
  }

  func failFile(_ message: String) -> ContractError {
    ContractError(file: file, line: nil, message: message)
  }

  static func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" }

  static func trim(_ s: Substring) -> Substring {
    var s = s
    while let f = s.first, isSpace(f) { s = s.dropFirst() }
    while let l = s.last, isSpace(l) { s = s.dropLast() }
    return s
  }

  static func words(_ s: Substring) -> [Substring] {
    s.split(whereSeparator: { isSpace($0) })
  }

  /// Splits a comma-separated list; every item must be non-empty.
  func list(_ s: Substring, what: String) throws(ContractError) -> [Substring] {
    let items = s.split(separator: ",", omittingEmptySubsequences: false).map(Reader.trim)
    guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
      throw fail("empty item in the list of \(what)")
    }
    return items
  }

  func columnNames(_ s: Substring, what: String) throws(ContractError) -> [String] {
    var out: [String] = []
    for item in try list(s, what: what) {
      guard ContractText.isColumnName(item) else { throw fail("'\(item)' is not a column name") }
      guard !out.contains(String(item)) else { throw fail("'\(item)' is listed twice in \(what)") }
      out.append(String(item))
    }
    return out
  }

  mutating func read(_ raw: Substring, at lineNumber: Int) throws(ContractError) {
    line = lineNumber
    let text = Reader.trim(raw)
    if text.isEmpty || text.first == "#" { return }
    let directiveEnd = text.firstIndex(where: Reader.isSpace) ?? text.endIndex
    let directive = text[..<directiveEnd]
    let rest = Reader.trim(text[directiveEnd...])
    func single(_ what: String) throws(ContractError) -> Substring {
      let w = Reader.words(rest)
      guard w.count == 1 else {
        throw fail(
          w.isEmpty ? "'\(directive)' needs \(what)" : "'\(directive)' takes only \(what)")
      }
      return w[0]
    }
    switch directive {
    case "contract":
      guard name == nil else { throw fail("a second 'contract' line") }
      let n = try single("a name")
      guard ContractText.isTableName(n) else {
        throw fail("contract name '\(n)' must be lower-case letters, digits and '_'")
      }
      name = Located(value: String(n), line: line)
    case "key":
      guard key == nil else { throw fail("a second 'key' line") }
      guard !rest.isEmpty else { throw fail("'key' needs at least one column") }
      key = Located(value: try columnNames(rest, what: "the key"), line: line)
    case "event_time":
      guard eventTime == nil else { throw fail("a second 'event_time' line") }
      let c = try single("a column")
      guard ContractText.isColumnName(c) else { throw fail("'\(c)' is not a column name") }
      eventTime = Located(value: String(c), line: line)
    case "column":
      columns.append(Located(value: try column(rest), line: line))
    case "gold":
      let n = try single("a name")
      guard ContractText.isTableName(n) else {
        throw fail("gold table name '\(n)' must be lower-case letters, digits and '_'")
      }
      guard !gold.contains(where: { $0.name == n }) else {
        throw fail("a second gold table '\(n)'")
      }
      gold.append(DraftGold(name: String(n), line: line))
    case "grain", "group_by", "where", "metric", "ratio":
      guard var table = gold.popLast() else {
        throw fail("'\(directive)' outside a gold table (put it after a 'gold NAME' line)")
      }
      try goldLine(String(directive), rest, into: &table)
      gold.append(table)
    default:
      throw fail("unknown directive '\(directive)'")
    }
  }

  func column(_ rest: Substring) throws(ContractError) -> ContractColumn {
    let w = Reader.words(rest)
    guard w.count >= 2 else { throw fail("'column' needs a name and a type") }
    let name = w[0]
    guard ContractText.isColumnName(name) else {
      throw fail(
        "'\(name)' is not a column name (a letter, then letters, digits and '_')")
    }
    guard name != Contract.eventDateColumn else {
      throw fail("column name '\(name)' is reserved for the partition column")
    }
    // A decimal type may be written with spaces: decimal(12, 2).
    var typeText = String(w[1])
    var next = 2
    if typeText.hasPrefix("decimal(") {
      while !typeText.contains(")") && next < w.count {
        typeText += w[next]
        next += 1
      }
    }
    guard let type = ContractText.parseType(typeText) else {
      throw fail(
        "column '\(name)': unknown type '\(typeText)' (string, int32, int64, double, "
          + "decimal(p,s) with p ≤ 18, boolean, timestamp, date)")
    }
    var c = ContractColumn(String(name), type)
    var sawPresence = false
    var seen: Set<Substring> = []
    func numericBound(_ i: Int) throws(ContractError) -> ContractBound {
      guard c.isNumeric else { throw fail("column '\(name)': '\(w[i])' needs a numeric column") }
      guard i + 1 < w.count else { throw fail("column '\(name)': '\(w[i])' needs a number") }
      guard let b = ContractText.parseBound(w[i + 1], for: type) else {
        throw fail(
          "column '\(name)': '\(w[i + 1])' is not a valid \(ContractText.typeName(type))")
      }
      return b
    }
    while next < w.count {
      let attr = w[next]
      if attr != "values" {
        guard !seen.contains(attr) else { throw fail("column '\(name)': '\(attr)' given twice") }
        seen.insert(attr)
      }
      switch attr {
      case "required", "optional":
        guard !sawPresence else {
          throw fail("column '\(name)': give either 'required' or 'optional', once")
        }
        sawPresence = true
        c.required = attr == "required"
        next += 1
      case "min":
        c.minimum = try numericBound(next)
        next += 2
      case "max":
        c.maximum = try numericBound(next)
        next += 2
      case "max_length":
        guard type == .string else {
          throw fail("column '\(name)': 'max_length' needs a string column")
        }
        guard next + 1 < w.count, let n = Int(w[next + 1]), n >= 1 else {
          throw fail("column '\(name)': 'max_length' needs a positive whole number")
        }
        c.maxLength = n
        next += 2
      case "currency":
        guard c.isNumeric else {
          throw fail("column '\(name)': 'currency' needs a numeric column")
        }
        guard next + 1 < w.count, ContractText.isColumnName(w[next + 1]) else {
          throw fail("column '\(name)': 'currency' needs the name of the currency column")
        }
        c.currency = String(w[next + 1])
        next += 2
      case "accept_strings":
        guard c.isNumeric else {
          throw fail("column '\(name)': 'accept_strings' needs a numeric column")
        }
        c.acceptsStrings = true
        next += 1
      case "values":
        guard type == .string || type == .int32 || type == .int64 else {
          throw fail("column '\(name)': 'values' needs a string or integer column")
        }
        let after = Reader.trim(rest[w[next].endIndex...])
        guard !after.isEmpty else { throw fail("column '\(name)': 'values' needs a list") }
        var values: [String] = []
        for v in try list(after, what: "values of '\(name)'") {
          let text = String(v)
          if type != .string {
            guard case .integer(let n)? = ContractText.parseBound(v, for: type) else {
              throw fail("column '\(name)': value '\(v)' is not a valid \(type)")
            }
            guard String(n) == text else {
              throw fail("column '\(name)': write value '\(v)' as \(n)")
            }
          }
          guard !values.contains(text) else {
            throw fail("column '\(name)': value '\(v)' is listed twice")
          }
          values.append(text)
        }
        c.allowedValues = values
        next = w.count
      default:
        throw fail("column '\(name)': unknown attribute '\(attr)'")
      }
    }
    if let lo = c.minimum, let hi = c.maximum, !ContractBound.lessOrEqual(lo, hi) {
      throw fail("column '\(name)': min is above max")
    }
    if let n = c.maxLength, let long = c.allowedValues.first(where: { $0.unicodeScalars.count > n })
    {
      throw fail("column '\(name)': value '\(long)' is longer than max_length \(n)")
    }
    return c
  }

  func goldLine(_ directive: String, _ rest: Substring, into table: inout DraftGold)
    throws(ContractError)
  {
    switch directive {
    case "grain":
      guard table.grain == nil else { throw fail("gold '\(table.name)': a second 'grain' line") }
      let w = Reader.words(rest)
      guard w.count == 1, let g = GoldGrain(rawValue: String(w[0])) else {
        throw fail("gold '\(table.name)': grain must be minute, hour or day")
      }
      table.grain = Located(value: g, line: line)
    case "group_by":
      guard table.groupBy == nil else {
        throw fail("gold '\(table.name)': a second 'group_by' line")
      }
      guard !rest.isEmpty else { throw fail("gold '\(table.name)': 'group_by' needs columns") }
      table.groupBy = Located(value: try columnNames(rest, what: "group_by"), line: line)
    case "where":
      guard table.filter == nil else { throw fail("gold '\(table.name)': a second 'where' line") }
      table.filter = Located(
        value: try conditions(rest, what: "gold '\(table.name)'"), line: line)
    case "metric":
      table.metrics.append(Located(value: try metric(rest, table: table.name), line: line))
    default:  // ratio
      table.ratios.append(Located(value: try ratio(rest, table: table.name), line: line))
    }
  }

  /// `NAME = rest`: the name and the text after `=`.
  func definition(_ rest: Substring, what: String, table: String) throws(ContractError)
    -> (String, Substring)
  {
    guard let eq = rest.firstIndex(of: "=") else {
      throw fail("gold '\(table)': write '\(what) NAME = ...'")
    }
    let name = Reader.trim(rest[..<eq])
    guard ContractText.isTableName(name) else {
      throw fail(
        "gold '\(table)': \(what) name '\(name)' must be lower-case letters, digits and '_'")
    }
    return (String(name), Reader.trim(rest[rest.index(after: eq)...]))
  }

  func metric(_ rest: Substring, table: String) throws(ContractError) -> GoldMetric {
    let (name, body) = try definition(rest, what: "metric", table: table)
    let words = Reader.words(body)
    let whereAt = words.firstIndex(of: "where")
    let expressionEnd = whereAt.map { words[$0].startIndex } ?? body.endIndex
    let expression = String(body[..<expressionEnd].filter { !Reader.isSpace($0) })
    var metric: GoldMetric
    if expression == "count" {
      metric = GoldMetric(name, .count)
    } else {
      guard let open = expression.firstIndex(of: "("), expression.last == ")",
        let aggregate = GoldAggregate(rawValue: String(expression[..<open])), aggregate != .count
      else {
        throw fail(
          "metric '\(name)': expected count, count_distinct(COLUMN), sum(COLUMN), "
            + "min(COLUMN), max(COLUMN) or avg(COLUMN), not '\(expression)'")
      }
      let inner = expression[
        expression.index(after: open)..<expression.index(before: expression.endIndex)]
      let factors = inner.split(separator: "*", omittingEmptySubsequences: false)
      guard factors.count <= 2, factors.allSatisfy(ContractText.isColumnName) else {
        throw fail("metric '\(name)': '\(inner)' is not a column or COLUMN * COLUMN")
      }
      if factors.count == 2 && aggregate != .sum && aggregate != .avg {
        throw fail("metric '\(name)': a product of columns needs sum or avg")
      }
      metric = GoldMetric(
        name, aggregate,
        GoldOperand(String(factors[0]), times: factors.count == 2 ? String(factors[1]) : nil))
    }
    if let whereAt {
      metric.filter = try conditions(body[words[whereAt].endIndex...], what: "metric '\(name)'")
    }
    return metric
  }

  /// `C = V [and C != V]...`; `what` names the metric or table in errors.
  func conditions(_ text: Substring, what: String) throws(ContractError) -> [GoldCondition] {
    var out: [GoldCondition] = []
    var parts: [Substring] = []
    var start = text.startIndex
    for w in Reader.words(text) where w == "and" {
      parts.append(text[start..<w.startIndex])
      start = w.endIndex
    }
    parts.append(text[start...])
    for part in parts {
      guard let eq = part.firstIndex(of: "=") else {
        throw fail("\(what): a condition is 'COLUMN = VALUE' or 'COLUMN != VALUE'")
      }
      var columnEnd = eq
      var negated = false
      if eq > part.startIndex && part[part.index(before: eq)] == "!" {
        columnEnd = part.index(before: eq)
        negated = true
      }
      let column = Reader.trim(part[..<columnEnd])
      let value = Reader.trim(part[part.index(after: eq)...])
      guard ContractText.isColumnName(column), !value.isEmpty else {
        throw fail("\(what): a condition is 'COLUMN = VALUE' or 'COLUMN != VALUE'")
      }
      out.append(GoldCondition(String(column), equals: String(value), negated: negated))
    }
    return out
  }

  func ratio(_ rest: Substring, table: String) throws(ContractError) -> GoldRatio {
    let (name, body) = try definition(rest, what: "ratio", table: table)
    let parts = body.split(separator: "/", omittingEmptySubsequences: false).map(Reader.trim)
    guard parts.count == 2, ContractText.isTableName(parts[0]),
      ContractText.isTableName(parts[1])
    else { throw fail("ratio '\(name)': write 'ratio NAME = METRIC / METRIC'") }
    return GoldRatio(name, String(parts[0]), String(parts[1]))
  }

  // MARK: - Checks across lines

  func finish() throws(ContractError) -> Contract {
    guard let name else { throw failFile("no 'contract NAME' line") }
    guard !columns.isEmpty else { throw failFile("no 'column' lines") }
    guard let key else { throw failFile("no 'key' line") }
    guard let eventTime else { throw failFile("no 'event_time' line") }
    var byName: [String: ContractColumn] = [:]
    for c in columns {
      guard byName[c.value.name] == nil else {
        throw fail("a second column '\(c.value.name)'", at: c.line)
      }
      byName[c.value.name] = c.value
    }
    for c in columns {
      guard let cur = c.value.currency else { continue }
      guard let target = byName[cur] else {
        throw fail(
          "column '\(c.value.name)': currency column '\(cur)' is not declared", at: c.line)
      }
      guard target.type == .string else {
        throw fail(
          "column '\(c.value.name)': currency column '\(cur)' must be a string column, not "
            + ContractText.typeName(target.type), at: c.line)
      }
    }
    for k in key.value {
      guard let c = byName[k] else { throw fail("key column '\(k)' is not declared", at: key.line) }
      guard c.required else { throw fail("key column '\(k)' must be required", at: key.line) }
      guard c.type != .double else {
        throw fail("key column '\(k)' cannot be a double", at: key.line)
      }
    }
    guard let t = byName[eventTime.value] else {
      throw fail("event_time column '\(eventTime.value)' is not declared", at: eventTime.line)
    }
    guard t.type == .timestamp, t.required else {
      throw fail(
        "event_time column '\(eventTime.value)' must be a required timestamp", at: eventTime.line)
    }
    var tables: [GoldTable] = []
    for g in gold {
      tables.append(try check(g, columns: byName))
    }
    return Contract(
      name: name.value, columns: columns.map(\.value), key: key.value,
      eventTime: eventTime.value, gold: tables)
  }

  func check(_ g: DraftGold, columns: [String: ContractColumn]) throws(ContractError) -> GoldTable {
    guard let grain = g.grain else {
      throw fail("gold '\(g.name)' has no 'grain' line", at: g.line)
    }
    guard !g.metrics.isEmpty else {
      throw fail("gold '\(g.name)' has no 'metric' line", at: g.line)
    }
    var names: Set<String> = [grain.value.bucketColumn]
    for c in g.groupBy?.value ?? [] {
      guard columns[c] != nil else {
        throw fail("gold '\(g.name)': group_by column '\(c)' is not declared", at: g.groupBy?.line)
      }
      guard names.insert(c).inserted else {
        throw fail("gold '\(g.name)': '\(c)' clashes with the bucket column", at: g.groupBy?.line)
      }
    }
    if let filter = g.filter {
      try check(filter.value, what: "gold '\(g.name)'", columns: columns, at: filter.line)
    }
    for m in g.metrics {
      let metric = m.value
      guard names.insert(metric.name).inserted else {
        throw fail("gold '\(g.name)': the name '\(metric.name)' is used twice", at: m.line)
      }
      if let operand = metric.operand {
        for col in [operand.column] + (operand.times.map { [$0] } ?? []) {
          guard let c = columns[col] else {
            throw fail("metric '\(metric.name)': column '\(col)' is not declared", at: m.line)
          }
          switch metric.aggregate {
          case .sum, .avg:
            guard c.isNumeric else {
              throw fail(
                "metric '\(metric.name)': \(metric.aggregate.rawValue) needs a numeric column, "
                  + "'\(col)' is \(ContractText.typeName(c.type))", at: m.line)
            }
          case .min, .max:
            guard c.isNumeric || c.type == .timestamp || c.type == .date else {
              throw fail(
                "metric '\(metric.name)': \(metric.aggregate.rawValue) needs a numeric, "
                  + "timestamp or date column, '\(col)' is \(ContractText.typeName(c.type))",
                at: m.line)
            }
          default: break
          }
        }
      }
      try check(metric.filter, what: "metric '\(metric.name)'", columns: columns, at: m.line)
      // Money is never summed across currencies.
      if let operand = metric.operand, metric.aggregate != .countDistinct {
        for col in [operand.column] + (operand.times.map { [$0] } ?? []) {
          guard let currency = columns[col]?.currency else { continue }
          let fixed = (g.filter?.value ?? []) + metric.filter
          guard
            !(g.groupBy?.value ?? []).contains(currency),
            !fixed.contains(where: { $0.column == currency && !$0.negated })
          else { continue }
          throw fail(
            "gold '\(g.name)': metric '\(metric.name)' (\(metric.aggregate.rawValue) of money column "
              + "'\(col)') would mix currencies; add '\(currency)' to the table's group_by "
              + "(or 'where \(currency) = CODE')", at: m.line)
        }
      }
    }
    for r in g.ratios {
      guard names.insert(r.value.name).inserted else {
        throw fail("gold '\(g.name)': the name '\(r.value.name)' is used twice", at: r.line)
      }
      for part in [r.value.numerator, r.value.denominator]
      where !g.metrics.contains(where: { $0.value.name == part }) {
        throw fail("ratio '\(r.value.name)': '\(part)' is not a metric of '\(g.name)'", at: r.line)
      }
    }
    return GoldTable(
      name: g.name, grain: grain.value, groupBy: g.groupBy?.value ?? [],
      metrics: g.metrics.map(\.value), ratios: g.ratios.map(\.value),
      filter: g.filter?.value ?? [])
  }

  /// Each condition names a declared column and a valid (and allowed) value of it.
  func check(
    _ filter: [GoldCondition], what: String, columns: [String: ContractColumn], at line: Int
  ) throws(ContractError) {
    for condition in filter {
      guard let c = columns[condition.column] else {
        throw fail("\(what): filter column '\(condition.column)' is not declared", at: line)
      }
      guard ContractText.isLiteral(condition.value, of: c.type) else {
        throw fail(
          "\(what): '\(condition.value)' is not a valid "
            + "\(ContractText.typeName(c.type)) value of '\(c.name)'", at: line)
      }
      guard c.allowedValues.isEmpty || c.allowedValues.contains(condition.value) else {
        throw fail(
          "\(what): '\(condition.value)' is not an allowed value of '\(c.name)'", at: line)
      }
    }
  }
}

extension ContractBound {
  /// Whether `a ≤ b` (bounds of one column, hence of one kind).
  static func lessOrEqual(_ a: ContractBound, _ b: ContractBound) -> Bool {
    switch (a, b) {
    case (.integer(let x), .integer(let y)): x <= y
    case (.double(let x), .double(let y)): x <= y
    case (.decimal(let x), .decimal(let y)): x <= y
    default: true
    }
  }
}
