// LakeStages/Gen/IoT.swift
//
// Device telemetry: each device carries three sensors whose values drift as slow random walks
// around a per-device baseline, with Gaussian-like noise and rare spikes (a faulty reading several
// standard deviations out). Batteries drain with event time and are recharged when low.

import LakeFormats

enum Sensor: Int, CaseIterable {
  case temperature, humidity, pressure

  var name: StaticString {
    switch self {
    case .temperature: "temperature"
    case .humidity: "humidity"
    case .pressure: "pressure"
    }
  }

  var unit: StaticString {
    switch self {
    case .temperature: "C"
    case .humidity: "%"
    case .pressure: "hPa"
    }
  }

  /// Typical level, spread of baselines across devices, and noise of one reading.
  var shape: (level: Double, spread: Double, noise: Double, low: Double, high: Double) {
    switch self {
    case .temperature: (21, 4, 0.15, -40, 85)
    case .humidity: (45, 10, 0.8, 0, 100)
    case .pressure: (1013, 8, 0.3, 870, 1085)
    }
  }
}

/// The iot event model.
public struct IoTModel: EventModel {
  public static let fields: [FieldSpec] = [
    FieldSpec("device_id", .string, required: true),
    FieldSpec("sensor", .enumeration, required: true),
    FieldSpec("value", .number, required: true),
    FieldSpec("unit", .enumeration, required: true),
    FieldSpec("battery", .number, required: true),
    FieldSpec("ts", .timestamp, required: true),
  ]
  public static let maxLineLength = 256

  var rng: Random
  /// Current value per device and sensor (device-major).
  var values: [Double]
  /// Slow drift per device and sensor, per reading.
  var drift: [Double]
  /// Battery percent at `startMicros` and drain per hour, per device.
  var battery: [Double]
  var drain: [Double]
  let startMicros: Int64
  let sensors = Sensor.allCases.count

  /// Creates the model from the run's settings.
  public init(config: GenConfig, startMicros: Int64) {
    rng = Random(seed: config.seed ^ 0x107)
    let n = max(config.devices, 1)
    self.startMicros = startMicros
    values = []
    drift = []
    battery = []
    drain = []
    values.reserveCapacity(n * sensors)
    for _ in 0..<n {
      for sensor in Sensor.allCases {
        let s = sensor.shape
        values.append(s.level + s.spread * rng.normalish())
        drift.append(s.noise * 0.02 * rng.normalish())
      }
      battery.append(40 + 60 * rng.uniform())
      drain.append(0.05 + 0.4 * rng.uniform())
    }
  }

  public mutating func writeEvent(at micros: Int64, into w: inout JSONWriter) {
    let device = rng.below(battery.count)
    let sensor = Sensor(rawValue: rng.below(sensors))!
    let i = device * sensors + sensor.rawValue
    let s = sensor.shape
    var v = values[i] + drift[i] + s.noise * 0.3 * rng.normalish()
    // Mean reversion keeps a drifting sensor plausible over long runs.
    let centre = s.level
    v += (centre - v) * 0.0005
    v = min(max(v, s.low), s.high)
    values[i] = v
    var reading = v + s.noise * rng.normalish()
    if rng.chance(0.002) {
      reading += (rng.chance(0.5) ? 1 : -1) * s.noise * (8 + 8 * rng.uniform())
    }
    let hours = Double(max(micros - startMicros, 0)) / 3_600_000_000
    let level = battery[device] - drain[device] * hours
    // Recharged to 100 % whenever it would fall below 5 %.
    let span = 95.0
    let charge = level >= 5 ? level : 100 - (5 - level).truncatingRemainder(dividingBy: span)

    w.raw("{\"device_id\":\"dev-")
    fixed5(&w, Int32(device + 1))
    w.raw("\",\"sensor\":")
    w.plainString(sensor.name)
    w.raw(",\"value\":")
    w.decimal(unscaled: Int64((reading * 100).rounded()), scale: 2)
    w.raw(",\"unit\":")
    w.plainString(sensor.unit)
    w.raw(",\"battery\":")
    w.int(Int64(charge.rounded(.down)))
    w.raw(",\"ts\":")
    w.timestamp(micros: micros, fractionDigits: 3)
    w.raw("}\n")
  }
}
