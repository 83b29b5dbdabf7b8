// LakeStages/Gen/GenConfig.swift
//
// The resolved settings of one lh-gen run: what the CLI's flags turn into (ripgrep's split between
// raw flags and resolved settings).

/// The built-in datasets lh-gen can produce (the contracts of design.md).
public enum Dataset: String, CaseIterable, Sendable {
  case clickstream, iot, sales
}

/// Periodic bursts for load tests: every `every` seconds, `seconds` long at `rate` events/s.
public struct Burst: Equatable, Sendable {
  public var rate: Double
  public var seconds: Double
  public var every: Double

  public init(rate: Double, seconds: Double, every: Double) {
    self.rate = rate
    self.seconds = seconds
    self.every = every
  }
}

/// Fractions of output lines that carry each injected fault.
public struct FaultRates: Equatable, Sendable {
  /// Events whose event time lags by up to `lateBy` microseconds.
  public var late: Double = 0
  /// The bound of the lag of a late event.
  public var lateByMicros: Int64 = 600_000_000
  /// Lines that re-send an earlier event verbatim.
  public var duplicates: Double = 0
  /// Lines that are broken on purpose.
  public var malformed: Double = 0

  public init() {}
}

/// Everything one generator run needs.
public struct GenConfig: Sendable {
  public var dataset: Dataset = .clickstream
  /// Lines to emit; nil means no bound (only with `follow`).
  public var count: Int? = 100_000
  /// Event-time span of a batch run, in microseconds.
  public var durationMicros: Int64 = 86_400_000_000
  /// First event time of a batch run (µs since the epoch).
  public var startMicros: Int64 = 1_767_225_600_000_000  // 2026-01-01T00:00:00Z
  /// Never stop (unless `count` is set); event time is wall time.
  public var follow = false
  /// Paced output rate in events per second (wall time); nil means as fast as possible.
  public var rate: Double? = nil
  /// Bursts on top of `rate`.
  public var burst: Burst? = nil
  public var seed: UInt64 = 1
  /// Users at the start (clickstream).
  public var users = 10_000
  /// Growth of the user base per day of event time, as a fraction (0.05 = 5 % a day).
  public var userGrowthPerDay = 0.05
  /// Devices (iot).
  public var devices = 500
  /// Stores (sales).
  public var stores = 40
  public var faults = FaultRates()

  public init() {}

  /// The nominal event-time rate in events per second, which sizes concurrent sessions.
  public var eventTimeRate: Double {
    if follow { return rate ?? 1 }
    let n = Double(count ?? 100_000)
    return n / max(Double(durationMicros) / 1e6, 1e-6)
  }
}
