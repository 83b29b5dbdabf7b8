import LakeCLI
import LakeIO
import Testing

@Suite("Shared flag value types and exit statuses")
struct ArgumentTypeTests {
  @Test(
    "durations",
    arguments: [
      ("6h", Int64(21_600_000_000)), ("90m", 5_400_000_000), ("1h30m", 5_400_000_000),
      ("500ms", 500_000), ("2d", 172_800_000_000), ("10", 10_000_000), ("1.5s", 1_500_000),
      ("1w", 604_800_000_000), ("0s", 0),
    ])
  func durations(text: String, micros: Int64) {
    #expect(DurationArgument(argument: text)?.micros == micros)
  }

  @Test("bad durations", arguments: ["", "h", "6x", "-1h", "1h-", "5 m", "1e400s", "10h10"])
  func badDurations(text: String) {
    #expect(DurationArgument(argument: text) == nil)
  }

  @Test("timestamps: RFC 3339 with offsets, or a date")
  func timestamps() {
    #expect(TimestampArgument(argument: "2026-01-01")?.micros == 1_767_225_600_000_000)
    #expect(
      TimestampArgument(argument: "2026-01-01T01:00:00+01:00")?.micros == 1_767_225_600_000_000)
    #expect(TimestampArgument(argument: "2026-01-32") == nil)
    #expect(TimestampArgument(argument: "yesterday") == nil)
  }

  @Test("fractions and percentages")
  func fractions() {
    #expect(FractionArgument(argument: "0.25")?.value == 0.25)
    #expect(FractionArgument(argument: "2%")?.value == 0.02)
    #expect(FractionArgument(argument: "1")?.value == 1)
    #expect(FractionArgument(argument: "1.01") == nil)
    #expect(FractionArgument(argument: "-0.1") == nil)
    #expect(FractionArgument(argument: "nan") == nil)
  }

  @Test("bursts")
  func bursts() {
    let b = BurstArgument(argument: "50000:5:60")?.burst
    #expect(b?.rate == 50_000 && b?.seconds == 5 && b?.every == 60)
    #expect(BurstArgument(argument: "100:500ms:1m")?.burst.seconds == 0.5)
    #expect(BurstArgument(argument: "100:60:5") == nil)  // longer than its period
    #expect(BurstArgument(argument: "100:5") == nil)
    #expect(BurstArgument(argument: "0:5:60") == nil)
  }

  @Test("every error category has its sysexits status")
  func statuses() {
    #expect(ExitStatus.status(for: .usage) == 64)
    #expect(ExitStatus.status(for: .data) == 65)
    #expect(ExitStatus.status(for: .noInput) == 66)
    #expect(ExitStatus.status(for: .software) == 70)
    #expect(ExitStatus.status(for: .cannotCreate) == 73)
    #expect(ExitStatus.status(for: .io) == 74)
    #expect(ExitStatus.status(for: .tempFail) == 75)
  }
}
