// LakeStages/Gen/Generator.swift
//
// The lh-gen stage: drives an event model along an event-time line, injects faults, paces the
// output to wall time when asked, and writes NDJSON lines into an `OutputBuffer`.
//
// Event time (batch mode): events arrive as a Poisson process whose intensity follows a daily
// cycle, λ(t) = 1 + 0.5·cos(2π(t − 20:00 UTC)/24 h): busiest at 20:00 UTC, quietest at 08:00.
// Gaps are scaled so that `count` events span about `duration`. In follow mode, event time is
// the wall clock at the moment the line is written.
//
// Pacing (`rate`, `burst`): line k (from 0) is due at the wall time where the cumulative schedule
// C(t) = rate·t + (burstRate − rate)·(time spent in bursts by t) reaches k; the stage writes every
// line that is due, flushes, and sleeps until the next one is due.
//
// Memory is flat: the model's sessions or devices, one output buffer, and a ring of recent
// lines for `--duplicates`, whatever `count` is.

import LakeFormats
import LakeIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one run emitted.
public struct GenSummary: Equatable, Sendable {
  /// Every line written.
  public var lines = 0
  /// Valid events written the first time (duplicates and malformed lines excluded).
  public var events = 0
  /// Events among `events` whose event time lags.
  public var late = 0
  /// Lines that re-send an earlier event.
  public var duplicates = 0
  /// Malformed lines by kind (indexed by `MalformedKind.rawValue`).
  public var malformed = [Int](repeating: 0, count: MalformedKind.allCases.count)
  /// True when a signal stopped the run early.
  public var interrupted = false

  public init() {}

  /// All malformed lines.
  public var malformedTotal: Int { malformed.reduce(0, +) }

  /// The one-line report printed on stderr at the end.
  public var report: String {
    let kinds = MalformedKind.allCases.map { "\(malformed[$0.rawValue]) \($0.name)" }
      .joined(separator: ", ")
    return
      "\(lines) lines: \(events) events (\(late) late), \(duplicates) duplicates, "
      + "\(malformedTotal) malformed (\(kinds))"
  }
}

/// The lh-gen stage.
public enum GenStage {
  /// Writes events for `config` to `output` until the count is reached or a signal arrives.
  ///
  /// - Parameters:
  ///   - flushEachBatch: flush after every batch (a terminal, or paced output a reader waits for).
  ///   - progress: called every few thousand lines with the running summary.
  /// - Throws: `SystemError` when writing fails (EPIPE when the reader went away).
  public static func run(
    config: GenConfig, output: OutputBuffer, flushEachBatch: Bool = false,
    progress: (GenSummary) -> Void = { _ in }
  ) throws -> GenSummary {
    let start = config.follow ? SystemClock.wallMicroseconds() : config.startMicros
    switch config.dataset {
    case .clickstream:
      var m = ClickstreamModel(config: config, startMicros: start)
      return try drive(
        &m, config: config, start: start, output: output, flushEachBatch: flushEachBatch,
        progress: progress)
    case .iot:
      var m = IoTModel(config: config, startMicros: start)
      return try drive(
        &m, config: config, start: start, output: output, flushEachBatch: flushEachBatch,
        progress: progress)
    case .sales:
      var m = SalesModel(config: config, startMicros: start)
      return try drive(
        &m, config: config, start: start, output: output, flushEachBatch: flushEachBatch,
        progress: progress)
    }
  }

  static func drive<M: EventModel>(
    _ model: inout M, config: GenConfig, start: Int64, output: OutputBuffer,
    flushEachBatch: Bool, progress: (GenSummary) -> Void
  ) throws -> GenSummary {
    var summary = GenSummary()
    let target = config.count ?? Int.max
    var faultRng = Random(seed: mix64(config.seed ^ 0xFA017))
    // Its own stream, so that injecting faults leaves the event-time line as it was.
    var timeRng = Random(seed: mix64(config.seed ^ 0x71AE))
    let faults = config.faults
    let injecting = faults.late > 0 || faults.duplicates > 0 || faults.malformed > 0
    let lineMax = M.maxLineLength
    var ring = DuplicateRing(slots: faults.duplicates > 0 ? 1024 : 0, lineMax: lineMax)

    // Event-time line (batch mode).
    var clockMicros = Double(start)
    let meanGap = Double(config.durationMicros) / Double(max(config.count ?? 1, 1))
    let dayMicros: Int64 = 86_400_000_000
    let peak = 20.0 * 3_600_000_000
    let twoPi = 2 * Double.pi

    // Pacing.
    let paced = config.rate != nil || config.follow
    let baseRate = config.rate ?? 1_000
    let t0 = SystemClock.monotonicNanoseconds()
    let batch = 4096

    while summary.lines < target {
      if Interrupt.requested != 0 {
        summary.interrupted = true
        break
      }
      var batchEnd = min(target, summary.lines + batch)
      if paced {
        let elapsed = Double(SystemClock.monotonicNanoseconds() - t0) / 1e9
        let due = Int(scheduledLines(after: elapsed, rate: baseRate, burst: config.burst)) + 1
        if summary.lines >= due {
          try output.flush()
          let rateNow = currentRate(elapsed, base: baseRate, burst: config.burst)
          let wait =
            (Double(summary.lines + 1)
              - scheduledLines(after: elapsed, rate: baseRate, burst: config.burst))
            / rateNow
          SystemClock.sleep(nanoseconds: Int64(min(max(wait, 0.0002), 0.05) * 1e9))
          continue
        }
        batchEnd = min(batchEnd, due)
      }
      while summary.lines < batchEnd {
        let eventMicros: Int64
        if config.follow {
          eventMicros = SystemClock.wallMicroseconds()
        } else {
          // Position in the day relative to the peak, in [0, 1) (integer modulo: no fmod).
          let sincePeak = Int64(clockMicros - peak) % dayMicros
          let phase = Double(sincePeak < 0 ? sincePeak + dayMicros : sincePeak) / Double(dayMicros)
          let intensity = 1 + 0.5 * cos(twoPi * phase)
          clockMicros += meanGap * timeRng.exponential() / intensity
          eventMicros = Int64(clockMicros)
        }
        // Reserve first: it may flush, and the mark must be taken after that.
        let p = try output.reserve(lineMax)
        let mark = output.pending
        if !injecting {
          var w = JSONWriter(p)
          model.writeEvent(at: eventMicros, into: &w)
          output.commit(w.count(from: p))
          summary.lines += 1
          summary.events += 1
          continue
        }
        let r = faultRng.uniform()
        if r < faults.duplicates && !ring.isEmpty {
          let n = ring.copyRandomLine(to: p, using: &faultRng)
          output.commit(n)
          summary.duplicates += 1
        } else if r < faults.duplicates + faults.malformed {
          var w = JSONWriter(p)
          model.writeEvent(at: eventMicros, into: &w)
          output.commit(w.count(from: p))
          let line = Array(output.bytes(since: mark))
          output.truncate(to: mark)
          let kind = MalformedKind(rawValue: faultRng.below(MalformedKind.allCases.count))!
          let broken = Faults.malform(line, kind: kind, specs: M.fields, rng: &faultRng)
          try broken.withUnsafeBytes { try output.write($0) }
          summary.malformed[kind.rawValue] += 1
        } else {
          var at = eventMicros
          let late = faults.late > 0 && faultRng.chance(faults.late)
          if late {
            at -= 1 + Int64(faultRng.uniform() * Double(faults.lateByMicros))
            summary.late += 1
          }
          var w = JSONWriter(p)
          model.writeEvent(at: at, into: &w)
          output.commit(w.count(from: p))
          summary.events += 1
          ring.remember(output.bytes(since: mark))
        }
        summary.lines += 1
      }
      if flushEachBatch || paced { try output.flush() }
      progress(summary)
    }
    try output.flush()
    return summary
  }

  /// Lines due by `elapsed` seconds: C(t) = base·t + (burst − base)·(seconds spent bursting).
  ///
  /// Bursts run for `seconds` at the start of every period of `every` seconds, from the second
  /// period on (so a run starts at the base rate).
  public static func scheduledLines(after elapsed: Double, rate base: Double, burst: Burst?)
    -> Double
  {
    guard let b = burst, b.every > 0 else { return base * elapsed }
    let period = (elapsed / b.every).rounded(.down)
    let within = elapsed - period * b.every
    let bursting = max(period - 1, 0) * b.seconds + (period >= 1 ? min(within, b.seconds) : 0)
    return base * elapsed + (b.rate - base) * bursting
  }

  /// The rate in force at `elapsed` seconds.
  static func currentRate(_ elapsed: Double, base: Double, burst: Burst?) -> Double {
    guard let b = burst, b.every > 0 else { return base }
    let period = (elapsed / b.every).rounded(.down)
    let within = elapsed - period * b.every
    return period >= 1 && within < b.seconds ? b.rate : base
  }
}

/// The last few valid lines, for re-sending one verbatim.
struct DuplicateRing {
  var storage: [UInt8]
  var lengths: [Int]
  let lineMax: Int
  var next = 0
  var filled = 0

  init(slots: Int, lineMax: Int) {
    self.lineMax = lineMax
    storage = [UInt8](repeating: 0, count: slots * lineMax)
    lengths = [Int](repeating: 0, count: slots)
  }

  var isEmpty: Bool { filled == 0 }

  mutating func remember(_ line: UnsafeRawBufferPointer) {
    guard !lengths.isEmpty, line.count <= lineMax else { return }
    let at = next * lineMax
    storage.withUnsafeMutableBytes { dst in
      (dst.baseAddress! + at).copyMemory(from: line.baseAddress!, byteCount: line.count)
    }
    lengths[next] = line.count
    next = (next + 1) % lengths.count
    filled = min(filled + 1, lengths.count)
  }

  /// Copies a random remembered line to `destination` (room for `lineMax` bytes); returns its
  /// length.
  func copyRandomLine(to destination: UnsafeMutablePointer<UInt8>, using rng: inout Random) -> Int {
    let i = rng.below(filled)
    let n = lengths[i]
    storage.withUnsafeBufferPointer { src in
      destination.update(from: src.baseAddress! + i * lineMax, count: n)
    }
    return n
  }
}
