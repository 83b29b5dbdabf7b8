// LakeCLI/ArgumentTypes.swift
//
// Flag value types shared by the tools: durations ("6h", "1h30m", "500ms"), timestamps
// (RFC 3339 or a plain date), fractions (0…1) and burst schedules ("RATE:SECONDS:EVERY").

import ArgumentParser
import LakeFormats
import LakeStages
import LakeTable

/// A span of time, written as a number with a unit (`ms`, `s`, `m`, `h`, `d`, `w`), units
/// concatenated (`1h30m`), or a bare number of seconds.
public struct DurationArgument: ExpressibleByArgument, Equatable, Sendable {
  /// The span in microseconds.
  public var micros: Int64

  public init(micros: Int64) { self.micros = micros }

  public init?(argument: String) {
    guard let v = Self.parse(argument) else { return nil }
    micros = v
  }

  /// Parses a duration into microseconds; nil when malformed, negative or too large.
  public static func parse(_ text: String) -> Int64? {
    let s = Array(text.utf8)
    guard !s.isEmpty else { return nil }
    var i = 0
    var total: Double = 0
    while i < s.count {
      let start = i
      while i < s.count, (0x30...0x39).contains(s[i]) || s[i] == 0x2E { i += 1 }
      guard i > start, let number = Double(String(decoding: s[start..<i], as: UTF8.self)) else {
        return nil
      }
      let unitStart = i
      while i < s.count, (0x61...0x7A).contains(s[i]) { i += 1 }
      let unit = String(decoding: s[unitStart..<i], as: UTF8.self)
      let scale: Double
      switch unit {
      case "us": scale = 1
      case "ms": scale = 1e3
      case "s", "": scale = 1e6
      case "m", "min": scale = 60e6
      case "h": scale = 3600e6
      case "d": scale = 86_400e6
      case "w": scale = 604_800e6
      default: return nil
      }
      // A bare number of seconds must be the whole text ("10", not "10h10").
      if unit.isEmpty && (start > 0 || i < s.count) { return nil }
      total += number * scale
    }
    guard total.isFinite, total >= 0, total < 9e18 else { return nil }
    return Int64(total)
  }

  public static var defaultCompletionKind: CompletionKind { .default }
}

/// A point in time: RFC 3339 with any offset (`2026-01-01T08:00:00+01:00`) or a date
/// (`2026-01-01`, meaning midnight UTC).
public struct TimestampArgument: ExpressibleByArgument, Equatable, Sendable {
  /// Microseconds since the epoch.
  public var micros: Int64

  public init?(argument: String) {
    if let v = RFC3339.parse(argument) {
      micros = v
    } else if argument.utf8.count == 10, let v = RFC3339.parse(argument + "T00:00:00Z") {
      micros = v
    } else {
      return nil
    }
  }
}

/// A fraction between 0 and 1 inclusive (`0.01`), or a percentage (`1%`).
public struct FractionArgument: ExpressibleByArgument, Equatable, Sendable {
  public var value: Double

  public init?(argument: String) {
    var text = argument
    var scale = 1.0
    if text.hasSuffix("%") {
      text.removeLast()
      scale = 0.01
    }
    guard let v = Double(text), v.isFinite else { return nil }
    let f = v * scale
    guard f >= 0, f <= 1 else { return nil }
    value = f
  }
}

/// A burst schedule `RATE:SECONDS:EVERY`.
///
/// Every EVERY seconds, SECONDS long at RATE events per second. SECONDS and EVERY take duration units too (`50000:5s:1m`).
public struct BurstArgument: ExpressibleByArgument, Equatable, Sendable {
  public var burst: Burst

  public init?(argument: String) {
    let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3, let rate = Double(parts[0]), rate > 0, rate.isFinite,
      let seconds = DurationArgument.parse(parts[1]),
      let every = DurationArgument.parse(parts[2]), seconds > 0, every > seconds
    else { return nil }
    burst = Burst(rate: rate, seconds: Double(seconds) / 1e6, every: Double(every) / 1e6)
  }
}

/// `--as-of`: a table version (`12`) or a point in time (RFC 3339 or a date), for time travel.
public struct AsOfArgument: ExpressibleByArgument, Equatable, Sendable {
  /// The version or time (ms since the epoch) to read.
  public var travel: TimeTravel

  public init?(argument: String) {
    if let v = Int64(argument), v >= 0 {
      travel = .version(v)
    } else if let t = TimestampArgument(argument: argument) {
      travel = .timestamp(t.micros / 1000)
    } else {
      return nil
    }
  }
}

/// A number of bytes, bare or with a unit: `K`/`KiB`, `M`/`MiB`, `G`/`GiB` (powers of 1024) or
/// `KB`, `MB`, `GB` (powers of 1000), such as `16MiB` or `500000`.
public struct ByteCountArgument: ExpressibleByArgument, Equatable, Sendable {
  public var bytes: Int

  public init(bytes: Int) { self.bytes = bytes }

  public init?(argument: String) {
    let digits = argument.prefix { $0.isASCII && $0.isNumber }
    let units: [String: Int] = [
      "": 1, "B": 1, "K": 1 << 10, "KiB": 1 << 10, "KB": 1000, "M": 1 << 20, "MiB": 1 << 20,
      "MB": 1_000_000, "G": 1 << 30, "GiB": 1 << 30, "GB": 1_000_000_000,
    ]
    guard let n = Int(digits), n > 0, let scale = units[String(argument.dropFirst(digits.count))]
    else { return nil }
    let (product, overflow) = n.multipliedReportingOverflow(by: scale)
    guard !overflow else { return nil }
    bytes = product
  }

  public var defaultValueDescription: String {
    bytes % (1 << 20) == 0 ? "\(bytes >> 20)MiB" : String(bytes)
  }
}
