// LakeCLI/Progress.swift
//
// A progress line on stderr, only when stderr is a terminal and `--quiet` is off (tests never
// run on a terminal, so their output stays stable). Redrawn at most four times a second with a
// carriage return, and erased when the work ends.

import LakeIO

/// A throttled, erasable progress line on stderr.
public final class Progress {
  let enabled: Bool
  let tool: String
  var lastDraw: Int64 = 0
  let started = SystemClock.monotonicNanoseconds()
  var drawn = false

  /// Creates a progress line that shows only if stderr is a terminal and not `quiet`.
  public init(tool: String, quiet: Bool) {
    self.tool = tool
    enabled = !quiet && FileDescriptor.standardError.isTerminal
  }

  /// Seconds since the progress line was created.
  public var elapsedSeconds: Double {
    Double(SystemClock.monotonicNanoseconds() - started) / 1e9
  }

  /// Redraws the line with `text` if a quarter second has passed since the last draw.
  public func update(_ text: @autoclosure () -> String) {
    guard enabled else { return }
    let now = SystemClock.monotonicNanoseconds()
    guard now - lastDraw >= 250_000_000 else { return }
    lastDraw = now
    drawn = true
    write("\r\u{1B}[2K\(tool): \(text())")
  }

  /// Erases the line.
  public func finish() {
    guard enabled, drawn else { return }
    write("\r\u{1B}[2K")
    drawn = false
  }

  func write(_ s: String) {
    var bytes = Array(s.utf8)
    bytes.withUnsafeMutableBytes {
      try? FileDescriptor.standardError.writeAll(UnsafeRawBufferPointer($0))
    }
  }

  /// Formats a count with a metric suffix: 1234567 → "1.2M".
  public static func compact(_ value: Double) -> String {
    let units: [(Double, String)] = [(1e9, "G"), (1e6, "M"), (1e3, "k")]
    for (scale, suffix) in units where value >= scale {
      let v = value / scale
      let tenths = Int((v * 10).rounded())
      return "\(tenths / 10).\(tenths % 10)\(suffix)"
    }
    return "\(Int(value))"
  }
}
