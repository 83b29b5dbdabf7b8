// LakeFormats/Time/RFC3339.swift
//
// RFC 3339 timestamps on bytes, to and from microseconds since the Unix epoch (UTC).
//
//   date-time  = full-date "T" full-time        ("t", " " accepted too)
//   full-date  = date-fullyear "-" date-month "-" date-mday
//   full-time  = partial-time time-offset
//   time-offset = "Z" / ("+" / "-") time-hour ":" time-minute     ("z" accepted)
//   partial-time = time-hour ":" time-minute ":" time-second [time-secfrac]
//
// Fractions of 1 to 9 digits are accepted; digits past the microsecond are truncated. Leap
// second 60 is rejected (we have no leap-second table). The writer always emits UTC with "Z".

/// Formatting and parsing of RFC 3339 timestamps in microseconds since the epoch.
public enum RFC3339 {
  /// The longest text `format` writes: "-292277-01-01T00:00:00.000000Z" and shorter.
  public static let maxFormattedLength = 32

  /// Writes `micros` as `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z` at `out`; returns the byte count.
  ///
  /// - Parameter fractionDigits: 0, 3 (milliseconds) or 6 (microseconds).
  @inlinable
  public static func format(
    micros: Int64, fractionDigits: Int = 6, into out: UnsafeMutablePointer<UInt8>
  ) -> Int {
    let (days, inDay) = floorDivMod(micros, 86_400_000_000)
    let date = CivilDate(daysSinceEpoch: days)
    var p = out
    p += writeYear(date.year, p)
    p[0] = 0x2D
    write2(date.month, p + 1)
    p[3] = 0x2D
    write2(date.day, p + 4)
    p[6] = 0x54  // T
    let secs = Int(inDay / 1_000_000)
    write2(secs / 3600, p + 7)
    p[9] = 0x3A
    write2((secs / 60) % 60, p + 10)
    p[12] = 0x3A
    write2(secs % 60, p + 13)
    p += 15
    let frac = Int(inDay % 1_000_000)
    if fractionDigits == 3 {
      p[0] = 0x2E
      let ms = frac / 1000
      p[1] = UInt8(truncatingIfNeeded: 0x30 + ms / 100)
      write2(ms % 100, p + 2)
      p += 4
    } else if fractionDigits == 6 {
      p[0] = 0x2E
      p[1] = UInt8(truncatingIfNeeded: 0x30 + frac / 100_000)
      write2((frac / 1000) % 100, p + 2)
      p[4] = UInt8(truncatingIfNeeded: 0x30 + (frac / 100) % 10)
      write2(frac % 100, p + 5)
      p += 7
    }
    p[0] = 0x5A  // Z
    return p + 1 - out
  }

  /// Formats `micros` as a `String` (for messages, partition values and tests; not for hot paths).
  public static func string(micros: Int64, fractionDigits: Int = 6) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxFormattedLength) { buf in
      let n = format(micros: micros, fractionDigits: fractionDigits, into: buf.baseAddress!)
      return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
    }
  }

  @usableFromInline
  static func write2(_ v: Int, _ p: UnsafeMutablePointer<UInt8>) {
    p[0] = UInt8(truncatingIfNeeded: 0x30 + v / 10)
    p[1] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
  }

  @usableFromInline
  static func writeYear(_ year: Int64, _ p: UnsafeMutablePointer<UInt8>) -> Int {
    if year >= 0 && year <= 9999 {
      let y = Int(year)
      write2(y / 100, p)
      write2(y % 100, p + 2)
      return 4
    }
    // Outside 0000…9999: sign and at least four digits (ISO 8601 expanded form).
    var digits: [UInt8] = []
    var v = year.magnitude
    repeat {
      digits.append(UInt8(0x30 + v % 10))
      v /= 10
    } while v > 0
    while digits.count < 4 { digits.append(0x30) }
    p[0] = year < 0 ? 0x2D : 0x2B
    for (i, d) in digits.reversed().enumerated() { p[1 + i] = d }
    return 1 + digits.count
  }

  /// Parses an RFC 3339 timestamp with any offset into microseconds since the epoch (UTC).
  ///
  /// - Returns: nil when `text` is not a valid timestamp (wrong shape, month 13, February 30,
  ///   hour 24, offset out of range, trailing bytes).
  @inlinable
  public static func parse(_ text: UnsafeRawBufferPointer) -> Int64? {
    let n = text.count
    guard n >= 20, let b = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
      return nil
    }
    @inline(__always) func digit(_ i: Int) -> Int? {
      let d = Int(b[i]) &- 0x30
      return d >= 0 && d <= 9 ? d : nil
    }
    @inline(__always) func two(_ i: Int) -> Int? {
      guard let a = digit(i), let c = digit(i + 1) else { return nil }
      return a * 10 + c
    }
    guard let y1 = two(0), let y2 = two(2), b[4] == 0x2D, let month = two(5), b[7] == 0x2D,
      let day = two(8), b[10] == 0x54 || b[10] == 0x74 || b[10] == 0x20,
      let hour = two(11), b[13] == 0x3A, let minute = two(14), b[16] == 0x3A,
      let second = two(17)
    else { return nil }
    let year = Int64(y1 * 100 + y2)
    guard month >= 1, month <= 12, day >= 1,
      day <= CivilDate.daysInMonth(year: year, month: month),
      hour <= 23, minute <= 59, second <= 59
    else { return nil }
    var i = 19
    var fraction: Int64 = 0
    if b[i] == 0x2E {
      i += 1
      let start = i
      var scale: Int64 = 100_000
      while i < n, let d = digit(i) {
        if i - start < 6 {
          fraction += Int64(d) * scale
          scale /= 10
        }
        i += 1
      }
      let count = i - start
      guard count >= 1, count <= 9 else { return nil }
    }
    guard i < n else { return nil }
    var offsetSeconds = 0
    switch b[i] {
    case 0x5A, 0x7A:  // Z z
      i += 1
    case 0x2B, 0x2D:  // + -
      guard i + 6 <= n, let oh = two(i + 1), b[i + 3] == 0x3A, let om = two(i + 4),
        oh <= 23, om <= 59
      else { return nil }
      offsetSeconds = (oh * 3600 + om * 60) * (b[i] == 0x2D ? -1 : 1)
      i += 6
    default:
      return nil
    }
    guard i == n else { return nil }
    let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
    let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
    return seconds * 1_000_000 + fraction
  }

  /// Parses a timestamp from a `String` (flags and tests).
  public static func parse(_ text: String) -> Int64? {
    var t = text
    return t.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
  }
}
