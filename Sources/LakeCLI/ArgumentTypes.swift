// LakeCLI/ArgumentTypes.swift
//
// Flag value types shared by the tools: durations ("6h", "1h30m", "500ms"), timestamps
// (RFC 3339 or a plain date), fractions (0…1) and burst schedules ("RATE:SECONDS:EVERY").

import ArgumentParser
import LakeFormats
import LakeStages
import LakeTable

/// Why a flag's text is not a value of its type, shown after ArgumentParser's "the value 'X'
/// is invalid for '--flag'": one clause, lower case, no trailing period.
public struct InvalidArgument: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// A flag value type that can say why a text is not one of its values.
///
/// Declare its options with `transform: T.checked` so that a bad value is reported with the
/// reason, and with `parsing: .unconditional` so that a value starting with `-` (`-1`, `-5m`)
/// is read as the value (and then refused with its reason) instead of taken for a flag. Its
/// `defaultValueDescription` is the value as a user would type it (`10m`, `0.05`, `16MiB`).
public protocol CheckedArgument: ExpressibleByArgument, CustomStringConvertible {
  /// The value `text` stands for.
  ///
  /// - Throws: ``InvalidArgument`` saying why it is not one.
  static func checked(_ text: String) throws -> Self
}

extension CheckedArgument {
  public init?(argument: String) {
    guard let value = try? Self.checked(argument) else { return nil }
    self = value
  }

  public var defaultValueDescription: String { description }
}

/// A number as a user would type it: `5`, not `5.0`.
func plainNumber(_ value: Double) -> String {
  if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
  return String(value)
}

/// A span of time, written as a number with a unit (`ms`, `s`, `m`, `h`, `d`, `w`), units
/// concatenated (`1h30m`), or a bare number of seconds.
public struct DurationArgument: CheckedArgument, Equatable, Sendable {
  /// The span in microseconds.
  public var micros: Int64

  public init(micros: Int64) { self.micros = micros }

  public static func checked(_ text: String) throws -> DurationArgument {
    if let v = parse(text) { return DurationArgument(micros: v) }
    if text.hasPrefix("-") { throw InvalidArgument("a duration cannot be negative") }
    throw InvalidArgument(
      "a duration is a number and a unit (us, ms, s, m, h, d, w), such as 500ms, 90s, 10m or 1h30m")
  }

  /// The span as a user would type it: `10m`, `1h30m`, `7d`, `500ms`, `0s`.
  public var description: String {
    guard micros > 0 else { return "0s" }
    var left = micros
    var out = ""
    let units: [(Int64, String)] = [
      (86_400_000_000, "d"), (3_600_000_000, "h"), (60_000_000, "m"), (1_000_000, "s"),
      (1000, "ms"), (1, "us"),
    ]
    for (scale, unit) in units where left >= scale {
      out += "\(left / scale)\(unit)"
      left %= scale
    }
    return out
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
public struct TimestampArgument: CheckedArgument, Equatable, Sendable {
  /// Microseconds since the epoch.
  public var micros: Int64

  public init(micros: Int64) { self.micros = micros }

  public static func checked(_ text: String) throws -> TimestampArgument {
    if let v = RFC3339.parse(text) {
      return TimestampArgument(micros: v)
    } else if text.utf8.count == 10, let v = RFC3339.parse(text + "T00:00:00Z") {
      return TimestampArgument(micros: v)
    }
    throw InvalidArgument("a time is RFC 3339 (2026-01-01T08:00:00Z) or a date (2026-01-01)")
  }

  /// The time in RFC 3339, UTC, without zero fractions (`2026-01-01T00:00:00Z`).
  public var description: String {
    RFC3339.string(micros: micros, fractionDigits: micros % 1_000_000 == 0 ? 0 : 6)
  }
}

/// A fraction between 0 and 1 inclusive (`0.01`), or a percentage (`1%`).
public struct FractionArgument: CheckedArgument, Equatable, Sendable {
  public var value: Double

  public init(value: Double) { self.value = value }

  public static func checked(_ argument: String) throws -> FractionArgument {
    var text = argument
    var scale = 1.0
    if text.hasSuffix("%") {
      text.removeLast()
      scale = 0.01
    }
    guard let v = Double(text), v.isFinite else {
      throw InvalidArgument("a fraction is a number from 0 to 1, or a percentage such as 5%")
    }
    let f = v * scale
    guard f >= 0, f <= 1 else {
      throw InvalidArgument("a fraction is between 0 and 1 (0% and 100%)")
    }
    return FractionArgument(value: f)
  }

  /// The fraction as a decimal number (`0.05`).
  public var description: String { plainNumber(value) }
}

/// A burst schedule `RATE:SECONDS:EVERY`.
///
/// Every EVERY seconds, SECONDS long at RATE events per second. SECONDS and EVERY take duration units too (`50000:5s:1m`).
public struct BurstArgument: CheckedArgument, Equatable, Sendable {
  public var burst: Burst

  public init(burst: Burst) { self.burst = burst }

  public static func checked(_ argument: String) throws -> BurstArgument {
    let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3, let rate = Double(parts[0]), rate > 0, rate.isFinite,
      let seconds = DurationArgument.parse(parts[1]),
      let every = DurationArgument.parse(parts[2]), seconds > 0
    else {
      throw InvalidArgument(
        "a burst is RATE:SECONDS:EVERY, such as 20000:5:60 (events per second above 0, then two durations)"
      )
    }
    guard every > seconds else {
      throw InvalidArgument("a burst's SECONDS must be shorter than its EVERY")
    }
    return BurstArgument(
      burst: Burst(rate: rate, seconds: Double(seconds) / 1e6, every: Double(every) / 1e6))
  }

  /// `RATE:SECONDS:EVERY`, the durations with units (`20000:5s:1m`).
  public var description: String {
    "\(plainNumber(burst.rate)):\(DurationArgument(micros: Int64(burst.seconds * 1e6))):"
      + "\(DurationArgument(micros: Int64(burst.every * 1e6)))"
  }
}

/// `--as-of`: a table version (`12`) or a point in time (RFC 3339 or a date), for time travel.
public struct AsOfArgument: CheckedArgument, Equatable, Sendable {
  /// The version or time (ms since the epoch) to read.
  public var travel: TimeTravel

  public init(travel: TimeTravel) { self.travel = travel }

  public static func checked(_ argument: String) throws -> AsOfArgument {
    if let v = Int64(argument) {
      guard v >= 0 else { throw InvalidArgument("a table version is 0 or more") }
      return AsOfArgument(travel: .version(v))
    } else if let t = TimestampArgument(argument: argument) {
      return AsOfArgument(travel: .timestamp(t.micros / 1000))
    }
    throw InvalidArgument(
      "give a table version (0, 1, ...) or a time (RFC 3339 such as 2026-01-01T08:00:00Z, or a date 2026-01-01)"
    )
  }

  /// The version, or the time in RFC 3339.
  public var description: String {
    switch travel {
    case .latest: "latest"
    case .version(let v): String(v)
    case .timestamp(let ms): TimestampArgument(micros: ms * 1000).description
    }
  }
}

/// A number of bytes, bare or with a unit: `K`/`KiB`, `M`/`MiB`, `G`/`GiB` (powers of 1024) or
/// `KB`, `MB`, `GB` (powers of 1000), such as `16MiB` or `500000`.
public struct ByteCountArgument: CheckedArgument, Equatable, Sendable {
  public var bytes: Int

  public init(bytes: Int) { self.bytes = bytes }

  public static func checked(_ argument: String) throws -> ByteCountArgument {
    let digits = argument.prefix { $0.isASCII && $0.isNumber }
    let units: [String: Int] = [
      "": 1, "B": 1, "K": 1 << 10, "KiB": 1 << 10, "KB": 1000, "M": 1 << 20, "MiB": 1 << 20,
      "MB": 1_000_000, "G": 1 << 30, "GiB": 1 << 30, "GB": 1_000_000_000,
    ]
    guard let n = Int(digits), n > 0, let scale = units[String(argument.dropFirst(digits.count))]
    else {
      throw InvalidArgument(
        "a size is a whole number above 0 with an optional unit (K, KiB, KB, M, MiB, MB, G, GiB, GB), such as 16MiB"
      )
    }
    let (product, overflow) = n.multipliedReportingOverflow(by: scale)
    guard !overflow else { throw InvalidArgument("too large") }
    return ByteCountArgument(bytes: product)
  }

  /// The size in the largest binary unit that divides it (`16MiB`, `1GiB`, `1500`).
  public var description: String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")]
    where bytes > 0 && bytes % (1 << shift) == 0 {
      return "\(bytes >> shift)\(unit)"
    }
    return String(bytes)
  }
}

extension ArgumentHelp {
  /// Help for an option whose value is declared with a `transform:` (which ArgumentParser does
  /// not describe): `abstract` followed by "(default: VALUE)" with the value as typed.
  public static func text(
    _ abstract: String, default value: some CheckedArgument, valueName: String? = nil
  ) -> ArgumentHelp {
    ArgumentHelp("\(abstract) (default: \(value.defaultValueDescription))", valueName: valueName)
  }
}
