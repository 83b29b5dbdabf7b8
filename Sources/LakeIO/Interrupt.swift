// LakeIO/Interrupt.swift
//
// A process-wide flag set by the SIGINT/SIGTERM/SIGHUP handler that LakeCLI installs. Long-running stages
// poll it between batches, finish what they hold (a whole line, a whole commit) and return, so a
// signal never leaves half an output behind.

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// Bytes that must reach stdout even when a second signal ends the process at once.
///
/// `lh-report --follow` sets the sequence that restores the terminal (attributes reset,
/// cursor shown, alternate screen left) while it owns the screen. The first SIGINT, SIGTERM or
/// SIGHUP asks for a clean stop, which restores the terminal itself; a second one ends the
/// process from the signal handler, which writes these bytes first (issue 7). Storage is
/// allocated once and never freed, so the handler only loads an atomic length and calls
/// write(2), both async-signal-safe.
public enum ExitSequence {
  /// The longest sequence kept.
  public static let capacity = 64
  nonisolated(unsafe) static let storage = UnsafeMutablePointer<UInt8>.allocate(
    capacity: capacity)
  static let length = Atomic<Int>(0)

  /// Sets the bytes to write (at most `capacity`; longer ones are cut).
  public static func set(_ bytes: [UInt8]) {
    length.store(0, ordering: .sequentiallyConsistent)
    let n = min(bytes.count, capacity)
    for i in 0..<n { storage[i] = bytes[i] }
    length.store(n, ordering: .sequentiallyConsistent)
  }

  /// Forgets the sequence (the caller has written it itself).
  public static func clear() { length.store(0, ordering: .sequentiallyConsistent) }

  /// The bytes currently set (tests).
  public static var current: [UInt8] {
    Array(
      UnsafeBufferPointer(start: storage, count: length.load(ordering: .sequentiallyConsistent)))
  }

  /// Writes the sequence to stdout, once; called from a signal handler just before `_exit`.
  ///
  /// The corresponding C function is `write`.
  public static func writeFromSignalHandler() {
    let n = length.exchange(0, ordering: .sequentiallyConsistent)
    var done = 0
    while done < n {
      let r = write(1, storage + done, n - done)
      if r > 0 {
        done += r
      } else if r < 0 && errno == EINTR {
        continue
      } else {
        return
      }
    }
  }
}
