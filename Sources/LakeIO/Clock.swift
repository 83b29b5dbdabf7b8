// LakeIO/Clock.swift
//
// Monotonic and wall clocks in integer units (never `Date`, which is Double seconds), and a sleep
// that resumes after signals.

// libarchive's headers pull in <time.h>, so `timespec` is also declared by CArchive, and the
// @inlinable functions below must see that module too (release builds refuse them otherwise).
import CArchive

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Clock readings for pacing and timestamps.
public enum SystemClock {
  /// Nanoseconds on the monotonic clock, for measuring intervals.
  ///
  /// The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
  @inlinable
  public static func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
  }

  /// Microseconds since the Unix epoch on the wall clock.
  ///
  /// The corresponding C function is `clock_gettime(CLOCK_REALTIME)`.
  @inlinable
  public static func wallMicroseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) &* 1_000_000 &+ Int64(ts.tv_nsec) / 1000
  }

  /// Sleeps for `nanoseconds`; an interrupting signal ends the sleep early.
  ///
  /// The corresponding C function is `nanosleep`.
  public static func sleep(nanoseconds: Int64) {
    guard nanoseconds > 0 else { return }
    var req = timespec(
      tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
    var rem = timespec()
    _ = nanosleep(&req, &rem)
  }
}
