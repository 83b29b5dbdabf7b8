// LakeFormats/Time/CivilTime.swift
//
// Days since 1970-01-01 to and from proleptic Gregorian dates (Howard Hinnant's `days_from_civil`
// and `civil_from_days`), exact for every Int64 day count a timestamp can reach. Integer only: no
// `Date`, no `Calendar`, no allocation.

/// A proleptic Gregorian calendar date.
public struct CivilDate: Equatable, Sendable {
  public var year: Int64
  /// The month, 1…12.
  public var month: Int
  /// The day of the month, 1…31.
  public var day: Int

  public init(year: Int64, month: Int, day: Int) {
    self.year = year
    self.month = month
    self.day = day
  }

  /// The date `days` days after 1970-01-01 (negative: before).
  @inlinable
  public init(daysSinceEpoch days: Int64) {
    let z = days &+ 719_468
    let era = (z >= 0 ? z : z &- 146_096) / 146_097
    let doe = z &- era &* 146_097
    let yoe = (doe &- doe / 1460 &+ doe / 36_524 &- doe / 146_096) / 365
    let doy = doe &- (365 &* yoe &+ yoe / 4 &- yoe / 100)
    let mp = (5 &* doy &+ 2) / 153
    let d = doy &- (153 &* mp &+ 2) / 5 &+ 1
    let m = mp < 10 ? mp &+ 3 : mp &- 9
    year = yoe &+ era &* 400 &+ (m <= 2 ? 1 : 0)
    month = Int(m)
    day = Int(d)
  }

  /// Days since 1970-01-01.
  @inlinable
  public var daysSinceEpoch: Int64 {
    let y = month <= 2 ? year &- 1 : year
    let era = (y >= 0 ? y : y &- 399) / 400
    let yoe = y &- era &* 400
    let m = Int64(month)
    let doy = (153 &* (m > 2 ? m &- 3 : m &+ 9) &+ 2) / 5 &+ Int64(day) &- 1
    let doe = yoe &* 365 &+ yoe / 4 &- yoe / 100 &+ doy
    return era &* 146_097 &+ doe &- 719_468
  }

  /// The number of days in `month` of `year`.
  @inlinable
  public static func daysInMonth(year: Int64, month: Int) -> Int {
    switch month {
    case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }
}

/// Floor division and modulo for time arithmetic on negative values.
@inlinable
func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
  let q = a / b
  let r = a % b
  return r < 0 ? (q - 1, r + b) : (q, r)
}
