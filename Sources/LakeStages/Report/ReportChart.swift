// LakeStages/Report/ReportChart.swift
//
// Charts of a time series: one value per time bucket (the chart's value column summed over
// the rows of a bucket, so a table grouped by source charts all sources together). Drawn as
//
//   terminal   vertical bars eight rows high, eighth blocks (▁▂▃▄▅▆▇█) for the tops, the
//              maximum and 0 on the y axis, the first and last bucket under the x axis;
//              `#` bars and `+-|` axes in ASCII
//   SVG        one <rect> per bar, axes and the same labels, for the HTML report
//
// More buckets than columns: each column is the mean of the buckets it covers, so the scale
// stays "per bucket". Negative values are drawn as 0 (the KPIs are counts and sums).
// Memory: one entry per distinct bucket, never per row.

/// A time series being collected: bucket (µs) → summed value.
public struct ReportSeries: Sendable {
  public var values: [Int64: Double] = [:]
  public var timeIsDate = false

  public init(timeIsDate: Bool = false) { self.timeIsDate = timeIsDate }

  /// Adds `value` to the bucket at `micros`.
  public mutating func add(_ micros: Int64, _ value: Double) {
    values[micros, default: 0] += value
  }

  /// The buckets in time order.
  public var points: [(time: Int64, value: Double)] {
    values.sorted { $0.key < $1.key }.map { (time: $0.key, value: $0.value) }
  }

  /// `values` folded into at most `columns` means, in order.
  static func fold(_ points: [(time: Int64, value: Double)], into columns: Int) -> [Double] {
    guard points.count > columns, columns > 0 else { return points.map { max(0, $0.value) } }
    var out: [Double] = []
    out.reserveCapacity(columns)
    for c in 0..<columns {
      let lo = c * points.count / columns
      let hi = max(lo + 1, (c + 1) * points.count / columns)
      var sum = 0.0
      for i in lo..<hi { sum += points[i].value }
      out.append(max(0, sum / Double(hi - lo)))
    }
    return out
  }

  /// A bucket's label: the date, or the UTC minute.
  func label(_ micros: Int64) -> String {
    if timeIsDate { return ReportCell.dateText(Int32(micros / 86_400_000_000)) }
    let t = ReportCell.timestampText(micros)
    // 2026-01-01T00:05:00Z → 2026-01-01 00:05
    return String(t.prefix(10)) + " " + String(t.dropFirst(11).prefix(5))
  }

  static func axisNumber(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 9e15 { return ReportCell.integer(Int64(v)).pretty }
    return ReportCell.real(v).pretty
  }

  /// The bar chart as terminal lines, `width` columns wide.
  public func terminalLines(width: Int, height: Int = 8, ascii: Bool, color: Bool) -> [String] {
    let points = self.points
    guard !points.isEmpty else { return [] }
    let top = points.map(\.value).max() ?? 0
    let topLabel = Self.axisNumber(max(0, top))
    let labelWidth = max(topLabel.count, 1)
    let plotWidth = max(8, width - labelWidth - 2)
    let columns = Self.fold(points, into: plotWidth)
    let barWidth = max(1, min(6, plotWidth / max(1, columns.count)))
    let gap = barWidth >= 3 ? 1 : 0
    let blocks: [Character] =
      ascii
      ? [" ", ".", ".", ".", "#", "#", "#", "#", "#"]
      : [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    let (on, off) = color ? ("\u{1B}[36m", "\u{1B}[0m") : ("", "")
    let eighths = columns.map { top > 0 ? Int(($0 / top * Double(height * 8)).rounded()) : 0 }
    var lines: [String] = []
    for row in 0..<height {
      let level = (height - 1 - row) * 8
      var label = row == 0 ? topLabel : (row == height - 1 ? "0" : "")
      label = String(repeating: " ", count: labelWidth - label.count) + label
      var bars = ""
      for e in eighths {
        let cell = e >= level + 8 ? blocks[8] : (e > level ? blocks[e - level] : blocks[0])
        bars += String(repeating: cell, count: barWidth - gap) + String(repeating: " ", count: gap)
      }
      while bars.last == " " { bars.removeLast() }
      lines.append(label + (ascii ? " |" : " ┤") + (bars.isEmpty ? "" : on + bars + off))
    }
    let drawn = min(plotWidth, eighths.count * barWidth)
    lines.append(
      String(repeating: " ", count: labelWidth) + (ascii ? " +" : " └")
        + String(repeating: ascii ? "-" : "─", count: drawn))
    let first = label(points[0].time)
    var axis = String(repeating: " ", count: labelWidth + 2) + first
    if points.count > 1 {
      let last = label(points[points.count - 1].time)
      let pad = labelWidth + 2 + drawn - axis.count - last.count
      axis += String(repeating: " ", count: max(2, pad)) + last
    }
    lines.append(axis)
    return lines
  }

  /// The bar chart as an inline SVG element (no scripts, no external references).
  public func svg(title: String, valueName: String) -> String {
    let points = self.points
    let width = 720.0
    let height = 240.0
    let left = 72.0
    let right = 12.0
    let topMargin = 12.0
    let bottom = 36.0
    let plotW = width - left - right
    let plotH = height - topMargin - bottom
    let columns = Self.fold(points, into: Int(plotW / 2))
    let top = max(columns.max() ?? 0, 0)
    var s =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\">"
    s += "<title>\(HTMLText.escape(title))</title>"
    s += "<g fill=\"#3b7dd8\">"
    let step = columns.isEmpty ? 0 : plotW / Double(columns.count)
    for (i, v) in columns.enumerated() {
      let h = top > 0 ? v / top * plotH : 0
      let x = left + Double(i) * step
      s +=
        "<rect x=\"\(Self.fixed(x))\" y=\"\(Self.fixed(topMargin + plotH - h))\" width=\"\(Self.fixed(max(0.5, step * 0.85)))\" height=\"\(Self.fixed(h))\"/>"
    }
    s += "</g>"
    let base = topMargin + plotH
    s +=
      "<path d=\"M\(Self.fixed(left)) \(Self.fixed(topMargin))V\(Self.fixed(base))H\(Self.fixed(width - right))\" stroke=\"#444\" fill=\"none\"/>"
    s += "<g font-family=\"sans-serif\" font-size=\"12\" fill=\"#333\">"
    s +=
      "<text x=\"\(Self.fixed(left - 6))\" y=\"\(Self.fixed(topMargin + 10))\" text-anchor=\"end\">\(HTMLText.escape(Self.axisNumber(top)))</text>"
    s +=
      "<text x=\"\(Self.fixed(left - 6))\" y=\"\(Self.fixed(base))\" text-anchor=\"end\">0</text>"
    if let first = points.first {
      s +=
        "<text x=\"\(Self.fixed(left))\" y=\"\(Self.fixed(base + 18))\">\(HTMLText.escape(label(first.time)))</text>"
    }
    if points.count > 1, let last = points.last {
      s +=
        "<text x=\"\(Self.fixed(width - right))\" y=\"\(Self.fixed(base + 18))\" text-anchor=\"end\">\(HTMLText.escape(label(last.time)))</text>"
    }
    s +=
      "<text x=\"\(Self.fixed(left + plotW / 2))\" y=\"\(Self.fixed(base + 32))\" text-anchor=\"middle\">\(HTMLText.escape(valueName))</text>"
    s += "</g></svg>"
    return s
  }

  /// A coordinate with at most one decimal.
  static func fixed(_ v: Double) -> String {
    let tenths = Int64((v * 10).rounded())
    return tenths % 10 == 0
      ? String(tenths / 10) : ReportCell.decimalText(tenths, scale: 1, grouped: false)
  }
}

/// Escaping text for HTML and XML (the report is well-formed XML as well as HTML).
public enum HTMLText {
  /// `&`, `<`, `>`, `"` and `'` as character references.
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default:
        // Control characters are not allowed in XML 1.0: shown as U+FFFD.
        if c.value < 0x20 && c != "\n" && c != "\t" {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(c)
        }
      }
    }
    return out
  }
}
