// LakeStages/Gold/ZoneClock.swift
//
// Local days and hours of UTC instants in a time zone (gold `--tz`): the zone's offset from UTC
// at an instant, with its daylight-saving changes. The zone rules come from the system's tz
// database through Foundation, asked once per UTC day seen; per row the answer is a cached
// comparison (rows of one silver partition share a UTC day).

import Foundation
import LakeIO

/// Offsets of one time zone, cached per UTC day.
public final class ZoneClock {
  /// The zone's name as given (`UTC`, `Europe/Berlin`).
  public let name: String
  let zone: TimeZone?
  /// The UTC day of the cached entry, its offset from the day's start, and the instant (µs) of a
  /// change within that day with the offset after it.
  var cachedDay = Int64.min
  var offsetBefore: Int64 = 0
  var change = Int64.max
  var offsetAfter: Int64 = 0

  static let microsPerDay: Int64 = 86_400_000_000

  /// The clock of zone `name` (an IANA name such as `Europe/Berlin`, or `UTC`).
  public init(_ name: String) throws {
    self.name = name
    if name == "UTC" || name == "Z" || name == "Etc/UTC" {
      zone = nil
    } else {
      guard let z = TimeZone(identifier: name) else {
        throw LakeFailure(
          .usage, "unknown time zone '\(name)' (use an IANA name such as Europe/Berlin)")
      }
      zone = z
    }
  }

  /// True for UTC (no offsets).
  public var isUTC: Bool { zone == nil }

  /// The zone's offset from UTC at `micros` (µs since the epoch), in µs.
  @inline(__always)
  public func offset(at micros: Int64) -> Int64 {
    guard zone != nil else { return 0 }
    let day = floorDivide(micros, Self.microsPerDay)
    if day != cachedDay { load(day: day) }
    return micros < change ? offsetBefore : offsetAfter
  }

  /// The local date (days since 1970-01-01) of `micros`.
  @inline(__always)
  public func localDay(_ micros: Int64) -> Int64 {
    floorDivide(micros + offset(at: micros), Self.microsPerDay)
  }

  /// The instant (µs, UTC) at which the local bucket of `length` µs (an hour or a minute)
  /// holding `micros` starts.
  @inline(__always)
  public func bucketStart(_ micros: Int64, length: Int64) -> Int64 {
    let off = offset(at: micros)
    return floorDivide(micros + off, length) * length - off
  }

  func load(day: Int64) {
    guard let zone else { return }
    let start = Date(timeIntervalSince1970: Double(day * 86_400))
    cachedDay = day
    offsetBefore = Int64(zone.secondsFromGMT(for: start)) * 1_000_000
    change = Int64.max
    offsetAfter = offsetBefore
    if let next = zone.nextDaylightSavingTimeTransition(after: start) {
      let at = Int64((next.timeIntervalSince1970 * 1_000_000).rounded())
      if at < (day + 1) * Self.microsPerDay {
        change = at
        offsetAfter = Int64(zone.secondsFromGMT(for: next)) * 1_000_000
      }
    }
  }
}

/// `a / b` rounded towards minus infinity.
@inline(__always)
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
  let q = a / b
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
