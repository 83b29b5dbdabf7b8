// LakeTable/TableLock.swift
//
// One writer per table at a time (issue 14, item 6). Every lh stage that writes a table holds an
// exclusive flock(2) on that table's lock file for as long as it reads the table's progress,
// writes and commits:
//
//   LAKE/.lh/locks/bronze/events.lock      (the table's path in the lake, plus ".lock")
//   LAKE/.lh/locks/silver/events.lock
//   LAKE/.lh/locks/gold/kpi_minute.lock
//
// Where. The lock files live under the lake's root, outside every table, in a directory whose
// name starts with a dot: Spark, delta-rs, DuckDB and Polars only list files inside a table's
// directory, and lh-pack skips dot-directories when it looks for tables, so no reader ever
// sees them as data or log entries. Table names are a-z, 0-9 and `_`, so `<name>.lock` never
// collides with a table directory of the same mirror tree.
//
// Why flock. The kernel drops the lock when its holder exits, however it exits (kill -9
// included), so a crashed run never blocks the next one; nothing has to be cleaned up. The
// files stay (removing one would let a later run lock a file a waiting run no longer sees):
// empty while nobody writes, the holder's pid while a run holds it (for the message a waiting
// run prints). Several tables are always locked in sorted order, so two runs never deadlock.

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// How long a writer waits for a table another lh run is writing.
public enum LockWait: Sendable, Equatable {
  /// Give up at once (status 75).
  case noWait
  /// Wait up to this many microseconds, then give up (status 75).
  case upTo(micros: Int64)

  /// Ten minutes: longer than a cron minute's work usually takes, short enough that cron
  /// reports a run that hangs.
  public static let defaultMicros: Int64 = 600_000_000
  public static let `default` = LockWait.upTo(micros: defaultMicros)
}

/// Thrown when a signal (SIGINT, SIGTERM, SIGHUP) stops a run while it waits.
///
/// The tool exits 128 + the signal, as after any interrupted run. Nothing was written.
public struct StoppedWaiting: Error, Equatable {
  public let signal: Int32
  public init(signal: Int32) { self.signal = signal }
}

/// The exclusive locks of one or more tables of a lake, held until `release()` (or deinit).
public final class TableLock {
  /// The lock directory, relative to the lake's root.
  public static let directory = ".lh/locks"

  /// The lock file of `table` (its path relative to the lake).
  public static func path(of table: String, in lake: LakeLayout) -> String {
    lake.root + "/" + directory + "/" + table + ".lock"
  }

  private var held: [(table: String, fd: Int32)] = []
  /// Whether another run held one of the tables, so that this one waited.
  public private(set) var waited = false

  private init() {}

  /// A lock that holds nothing (a dry run, a lake that does not exist).
  public static func none() -> TableLock { TableLock() }

  /// Takes the lock of each of `tables` (paths relative to the lake), in sorted order.
  ///
  /// - Parameters:
  ///   - createLake: make the lake's root if it is missing (lh-bronze, restore); otherwise a
  ///     lake that does not exist yet is not locked (the stage reports it missing).
  ///   - waiting: called once per table that another run holds, before waiting for it.
  /// - Throws: `LakeFailure(.tempFail)` when a table is held and `wait` is `.noWait` or runs
  ///   out; `StoppedWaiting` on SIGINT/SIGTERM while waiting; `.cannotCreate` when the lock
  ///   file cannot be made.
  public static func acquire(
    _ tables: [String], in lake: LakeLayout, wait: LockWait, createLake: Bool = false,
    waiting: (String) -> Void = { _ in }
  ) throws -> TableLock {
    let lock = TableLock()
    var st = stat()
    guard createLake || (stat(lake.root, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR) else {
      return lock
    }
    let start = SystemClock.monotonicNanoseconds()
    do {
      for table in Set(tables).sorted() {
        try lock.take(table, in: lake, wait: wait, start: start, waiting: waiting)
      }
    } catch {
      lock.release()
      throw error
    }
    return lock
  }

  private func take(
    _ table: String, in lake: LakeLayout, wait: LockWait, start: Int64,
    waiting: (String) -> Void
  ) throws {
    let file = Self.path(of: table, in: lake)
    let slash = file.lastIndex(of: "/")!
    try DeltaTable.makeDirectories(String(file[..<slash]))
    let fd = open(file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o666)
    guard fd >= 0 else {
      throw SystemError("open", path: file, errno: errno, category: .cannotCreate)
    }
    var pause: UInt32 = 5_000  // µs, doubling up to 200 ms
    var told = false
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let e = errno
      guard e == EWOULDBLOCK || e == EINTR else {
        close(fd)
        throw SystemError("flock", path: file, errno: e, category: .cannotCreate)
      }
      if e == EINTR { continue }
      let holder = Self.holder(fd)
      let who = holder.map { "another lh run (pid \($0))" } ?? "another lh run"
      let name = lake.root + "/" + table
      switch wait {
      case .noWait:
        close(fd)
        throw LakeFailure(
          .tempFail, "\(name) is being written by \(who); not waiting (--no-wait)")
      case .upTo(let micros):
        let waited = (SystemClock.monotonicNanoseconds() - start) / 1000
        if waited >= micros {
          close(fd)
          throw LakeFailure(
            .tempFail,
            "\(name) is still being written by \(who) after waiting \(Self.durationText(micros)); try again later or raise --wait"
          )
        }
        if !told {
          waiting("waiting for \(name), which \(who) is writing")
          told = true
          self.waited = true
        }
        if Interrupt.requested != 0 {
          close(fd)
          throw StoppedWaiting(signal: Interrupt.requested)
        }
        usleep(UInt32(min(Int64(pause), max(micros - waited, 1))))
        pause = min(pause * 2, 200_000)
      }
    }
    // Ours: record who holds it.
    let pid = Array("\(getpid())\n".utf8)
    _ = ftruncate(fd, 0)
    _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    held.append((table, fd))
  }

  /// The pid the lock file names, when that process is alive.
  static func holder(_ fd: Int32) -> Int32? {
    var buffer = [UInt8](repeating: 0, count: 16)
    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
    guard n > 0,
      let pid = Int32(
        String(decoding: buffer[0..<n], as: UTF8.self).prefix { $0 >= "0" && $0 <= "9" }),
      pid > 0, pid != getpid()
    else { return nil }
    return kill(pid, 0) == 0 || errno == EPERM ? pid : nil
  }

  /// `1s`, `10m`, `1.5s`: a wait as the flag gives it.
  static func durationText(_ micros: Int64) -> String {
    if micros % 60_000_000 == 0 && micros > 0 { return "\(micros / 60_000_000)m" }
    if micros % 1_000_000 == 0 { return "\(micros / 1_000_000)s" }
    return "\(Double(micros) / 1e6)s"
  }

  /// The tables held, sorted.
  public var tables: [String] { held.map(\.table) }

  /// Empties the lock files (no holder) and lets go of every lock.
  public func release() {
    for (_, fd) in held.reversed() {
      _ = ftruncate(fd, 0)
      close(fd)
    }
    held.removeAll()
  }

  deinit { release() }
}
