// LakeContracts/Contract+Render.swift
//
// The printer: a contract as text in the format ContractParser reads (docs/contracts.md), in a
// canonical layout (header, key, event time, aligned columns, gold tables), so that
// `parse(render(c)) == c`. `--print-contract NAME` prints a built-in contract this way.

extension Contract {
  /// The contract as contract-file text that parses back to an equal contract.
  public func render() -> String {
    var out = "# lh contract '\(name)'. Edit it and pass the file with --contract FILE;\n"
    out += "# the format is described in docs/contracts.md.\n"
    out += "contract \(name)\n"
    out += "key \(key.joined(separator: ", "))\n"
    out += "event_time \(eventTime)\n\n"
    let nameWidth = columns.map(\.name.count).max() ?? 0
    let typeWidth = columns.map { ContractText.typeName($0.type).count }.max() ?? 0
    for c in columns {
      var line = "column " + Self.pad(c.name, nameWidth) + " "
      line += Self.pad(ContractText.typeName(c.type), typeWidth) + " "
      line += c.required ? "required" : "optional"
      if let b = c.minimum { line += " min " + ContractText.boundText(b, type: c.type) }
      if let b = c.maximum { line += " max " + ContractText.boundText(b, type: c.type) }
      if let n = c.maxLength { line += " max_length \(n)" }
      if c.acceptsStrings { line += " accept_strings" }
      if let cur = c.currency { line += " currency \(cur)" }
      if !c.allowedValues.isEmpty { line += " values " + c.allowedValues.joined(separator: ", ") }
      out += line + "\n"
    }
    for g in gold {
      out += "\ngold \(g.name)\n"
      out += "  grain \(g.grain.rawValue)\n"
      if !g.groupBy.isEmpty { out += "  group_by \(g.groupBy.joined(separator: ", "))\n" }
      if !g.filter.isEmpty { out += "  where " + Self.conditions(g.filter) + "\n" }
      for m in g.metrics {
        var line = "  metric \(m.name) = \(m.aggregate.rawValue)"
        if let o = m.operand {
          line += "(" + o.column + (o.times.map { " * " + $0 } ?? "") + ")"
        }
        if !m.filter.isEmpty { line += " where " + Self.conditions(m.filter) }
        out += line + "\n"
      }
      for r in g.ratios {
        out += "  ratio \(r.name) = \(r.numerator) / \(r.denominator)\n"
      }
    }
    return out
  }

  static func conditions(_ filter: [GoldCondition]) -> String {
    filter.map { "\($0.column) \($0.negated ? "!=" : "=") \($0.value)" }
      .joined(separator: " and ")
  }

  static func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
  }
}
