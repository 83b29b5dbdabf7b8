// LakeTable/Delta/DeltaStats.swift
//
// The `stats` of an `add` action (formats.md §9; PROTOCOL.md "Per-file Statistics"): a JSON
// string {"numRecords":N,"minValues":{…},"maxValues":{…},"nullCount":{…}}. Peers skip files by
// these, so they must be exact or absent: numbers as JSON numbers (decimals with their scale),
// dates "YYYY-MM-DD", timestamps ISO UTC truncated to milliseconds as delta-rs writes them,
// timestamp_ntz "YYYY-MM-DD HH:MM:SS.mmm" (no zone, as delta-rs writes them), decimals up to 38
// digits. Left out of min/max: partition columns (not in the files), booleans and binary,
// columns without a non-null value, float columns holding NaN, strings longer than 32
// characters; nested (json) columns are left out of the stats altogether (Delta's stats for
// them are nested objects).

import LakeFormats

/// Builds `add.stats`, and reads what lh needs back from them.
public enum DeltaStats {
  /// The minimum of timestamp column `column` in `stats` (µs), nil when the stats lack it.
  public static func minTimestamp(_ column: String, stats: String?) -> Int64? {
    guard let stats, let view = try? JSONObjectView(Array(stats.utf8)),
      let mins = try? view.object("minValues"), let text = try? mins.string(column)
    else { return nil }
    return RFC3339.parse(text)
  }

  /// The stats JSON for a file of `rows` rows whose columns are `schema` with `statistics`.
  public static func json(rows: Int, schema: TableSchema, statistics: [ColumnStatistics]) -> String
  {
    var j = JSONBuilder()
    j.beginObject()
    j.key("numRecords")
    j.int(Int64(rows))
    for (name, pickMax) in [("minValues", false), ("maxValues", true)] {
      j.key(name)
      j.beginObject()
      for (c, spec) in schema.columns.enumerated() {
        let s = statistics[c]
        guard s.nanCount == 0, let v = pickMax ? s.max : s.min else { continue }
        switch (spec.type, v) {
        case (.int32, .int(let x)), (.int64, .int(let x)):
          j.key(spec.name)
          j.int(x)
        case (.decimal(_, let scale), .int(let x)):
          j.key(spec.name)
          j.raw(Array(JSONDecimal.text(Int128(x), scale: scale).utf8))
        case (.decimal(_, let scale), .int128(let x)):
          j.key(spec.name)
          j.raw(Array(JSONDecimal.text(x, scale: scale).utf8))
        case (.date, .int(let days)):
          j.key(spec.name)
          j.string(dateText(days))
        case (.timestamp, .int(let micros)):
          j.key(spec.name)
          let ms = micros >= 0 ? micros / 1000 : (micros - 999) / 1000
          j.string(RFC3339.string(micros: ms * 1000, fractionDigits: 3))
        case (.timestampNtz, .int(let micros)):
          j.key(spec.name)
          j.string(ntzText(micros))
        case (.double, .double(let x)), (.float, .double(let x)):
          guard x.isFinite else { continue }
          j.key(spec.name)
          j.raw(Array("\(x)".utf8))
        case (.string, .bytes(let b)):
          guard let text = String(validating: b, as: UTF8.self), text.count <= 32 else { continue }
          j.key(spec.name)
          j.string(bytes: b)
        default:
          continue
        }
      }
      j.endObject()
    }
    j.key("nullCount")
    j.beginObject()
    for (c, spec) in schema.columns.enumerated() where spec.type != .json {
      j.key(spec.name)
      j.int(Int64(statistics[c].nullCount))
    }
    j.endObject()
    j.endObject()
    return j.text
  }

  /// A timestamp_ntz statistic: `YYYY-MM-DD HH:MM:SS.mmm`, truncated down to milliseconds.
  public static func ntzText(_ micros: Int64) -> String {
    let ms = micros >= 0 ? micros / 1000 : (micros - 999) / 1000
    let iso = RFC3339.string(micros: ms * 1000, fractionDigits: 3)
    return String(iso.dropLast().map { $0 == "T" ? " " : $0 })
  }

  public static func dateText(_ days: Int64) -> String {
    let d = CivilDate(daysSinceEpoch: days)
    func pad(_ v: Int, _ n: Int) -> String {
      String(repeating: "0", count: max(0, n - String(v).count)) + String(v)
    }
    return "\(pad(Int(d.year), 4))-\(pad(d.month, 2))-\(pad(d.day, 2))"
  }
}

/// Decimal text for statistics and partition values.
enum JSONDecimal {
  static func text(_ unscaled: Int64, scale: Int) -> String { text(Int128(unscaled), scale: scale) }

  static func text(_ unscaled: Int128, scale: Int) -> String {
    guard scale > 0 else { return String(unscaled) }
    var digits = String(unscaled.magnitude)
    while digits.count <= scale { digits = "0" + digits }
    digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
    return (unscaled < 0 ? "-" : "") + digits
  }
}
