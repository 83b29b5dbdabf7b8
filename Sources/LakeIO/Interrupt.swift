// LakeIO/Interrupt.swift
//
// A process-wide flag set by the SIGINT/SIGTERM handler that LakeCLI installs. Long-running stages
// poll it between batches, finish what they hold (a whole line, a whole commit) and return, so a
// signal never leaves half an output behind.

import Synchronization

/// The pending stop request, if a signal asked the process to stop.
public enum Interrupt {
  static let signal = Atomic<Int32>(0)

  /// The signal number that asked us to stop, or 0.
  @inlinable
  public static var requested: Int32 { _load() }

  @usableFromInline
  static func _load() -> Int32 { signal.load(ordering: .relaxed) }

  /// Records a stop request; safe to call from a signal handler.
  public static func request(_ signalNumber: Int32) {
    signal.store(signalNumber, ordering: .relaxed)
  }

  /// Clears the request (tests).
  public static func reset() { signal.store(0, ordering: .relaxed) }
}
