import Foundation
import LakeFormats
import Testing

@Suite("RFC 3339 timestamps")
struct RFC3339Tests {
  @Test(
    "parses known instants",
    arguments: [
      ("1970-01-01T00:00:00Z", Int64(0)),
      ("1970-01-01T00:00:00.000001Z", 1),
      ("2026-01-01T00:00:00Z", 1_767_225_600_000_000),
      ("2026-01-01T01:00:00+01:00", 1_767_225_600_000_000),
      ("2025-12-31T19:30:00-04:30", 1_767_225_600_000_000),
      ("1969-12-31T23:59:59.999Z", -1000),
      ("1900-03-01T00:00:00Z", -2_203_891_200_000_000),
      ("2000-02-29T12:00:00.5Z", 951_825_600_500_000),
      ("2024-06-30t10:00:00z", 1_719_741_600_000_000),
      ("2024-06-30 10:00:00.123456789Z", 1_719_741_600_123_456),
    ])
  func parsesKnown(text: String, micros: Int64) {
    #expect(RFC3339.parse(text) == micros)
  }

  @Test(
    "rejects malformed text",
    arguments: [
      "", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
      "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z",
      "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567890Z", "2026-01-01T00:00:00+1:00",
      "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00Zjunk", "2026/01/01T00:00:00Z",
      "２026-01-01T00:00:00Z",
    ])
  func rejectsMalformed(text: String) {
    #expect(RFC3339.parse(text) == nil)
  }

  @Test("formats with 0, 3 and 6 fraction digits")
  func formats() {
    #expect(RFC3339.string(micros: 0, fractionDigits: 0) == "1970-01-01T00:00:00Z")
    #expect(RFC3339.string(micros: -1, fractionDigits: 6) == "1969-12-31T23:59:59.999999Z")
    #expect(
      RFC3339.string(micros: 1_767_225_600_123_456, fractionDigits: 3) == "2026-01-01T00:00:00.123Z"
    )
    #expect(RFC3339.string(micros: 951_825_600_500_000) == "2000-02-29T12:00:00.500000Z")
    #expect(
      RFC3339.string(micros: -62_135_596_800_000_000, fractionDigits: 0) == "0001-01-01T00:00:00Z")
  }

  @Test("format and parse agree with Foundation over random instants")
  func roundTripsAgainstFoundation() throws {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    var state: UInt64 = 12345
    for _ in 0..<5_000 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      // Seconds between 1601 and 2400.
      let seconds = Int64(state >> 30) % 25_000_000_000 - 11_600_000_000
      let micros = seconds * 1_000_000 + Int64(state % 1_000_000)
      let text = RFC3339.string(micros: micros, fractionDigits: 6)
      #expect(RFC3339.parse(text) == micros)
      let whole = RFC3339.string(micros: seconds * 1_000_000, fractionDigits: 0)
      let date = try #require(formatter.date(from: whole), "Foundation rejects \(whole)")
      #expect(Int64(date.timeIntervalSince1970) == seconds, "\(whole)")
    }
  }

  @Test("civil dates round-trip over four centuries")
  func civilRoundTrip() {
    var expected = CivilDate(year: 1800, month: 1, day: 1)
    var days = expected.daysSinceEpoch
    for _ in 0..<(400 * 366) {
      #expect(CivilDate(daysSinceEpoch: days) == expected)
      #expect(expected.daysSinceEpoch == days)
      days += 1
      expected.day += 1
      if expected.day > CivilDate.daysInMonth(year: expected.year, month: expected.month) {
        expected.day = 1
        expected.month += 1
        if expected.month > 12 {
          expected.month = 1
          expected.year += 1
        }
      }
    }
  }
}
