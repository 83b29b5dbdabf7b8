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

@Suite("Flag values print as a user types them, and say why a text is not one")
struct ArgumentDescriptionTests {
  @Test("defaults as typed")
  func descriptions() {
    #expect(DurationArgument(micros: 600_000_000).defaultValueDescription == "10m")
    #expect(DurationArgument(micros: 5_400_000_000).defaultValueDescription == "1h30m")
    #expect(DurationArgument(micros: 7 * 86_400_000_000).defaultValueDescription == "7d")
    #expect(DurationArgument(micros: 500_000).defaultValueDescription == "500ms")
    #expect(DurationArgument(micros: 0).defaultValueDescription == "0s")
    #expect(FractionArgument(value: 0.05).defaultValueDescription == "0.05")
    #expect(FractionArgument(value: 1).defaultValueDescription == "1")
    #expect(ByteCountArgument(bytes: 16 << 20).defaultValueDescription == "16MiB")
    #expect(ByteCountArgument(bytes: 1 << 30).defaultValueDescription == "1GiB")
    #expect(ByteCountArgument(bytes: 1500).defaultValueDescription == "1500")
    #expect(
      TimestampArgument(argument: "2026-01-01")?.defaultValueDescription == "2026-01-01T00:00:00Z")
    #expect(AsOfArgument(argument: "12")?.defaultValueDescription == "12")
    #expect(BurstArgument(argument: "20000:5:60")?.defaultValueDescription == "20000:5s:1m")
    #expect(CommitTrigger(argument: "100000")?.defaultValueDescription == "100000")
    #expect(CommitTrigger(argument: "30s")?.defaultValueDescription == "30s")
  }

  @Test("each round-trips: its description parses back to the same value")
  func roundTrip() {
    for micros: Int64 in [1, 999, 600_000_000, 5_400_000_000, 90_061_001_001] {
      let d = DurationArgument(micros: micros)
      #expect(DurationArgument(argument: d.defaultValueDescription) == d)
    }
    for bytes in [1, 1024, 16 << 20, 3 << 30, 1_000_000] {
      let b = ByteCountArgument(bytes: bytes)
      #expect(ByteCountArgument(argument: b.defaultValueDescription) == b)
    }
  }

  @Test("reasons")
  func reasons() {
    func reason(_ body: () throws -> Void) -> String {
      do {
        try body()
        return ""
      } catch { return "\(error)" }
    }
    #expect(reason { _ = try AsOfArgument.checked("-1") } == "a table version is 0 or more")
    #expect(reason { _ = try DurationArgument.checked("-5m") } == "a duration cannot be negative")
    #expect(reason { _ = try DurationArgument.checked("soon") }.hasPrefix("a duration is a number"))
    #expect(reason { _ = try FractionArgument.checked("2") }.hasPrefix("a fraction is between"))
    #expect(reason { _ = try ByteCountArgument.checked("0") }.hasPrefix("a size is"))
    #expect(reason { _ = try BurstArgument.checked("1:60:5") }.contains("shorter than"))
    #expect(reason { _ = try TimestampArgument.checked("noon") }.hasPrefix("a time is RFC 3339"))
  }
}
