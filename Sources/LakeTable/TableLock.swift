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
// files stay, always empty (removing one would let a later run lock a file a waiting run no
// longer sees); they are opened read-only and never written, so a full disk cannot fail a run
// through them once they exist. Who holds a lock is read from /proc/locks (the kernel's list,
// by device and inode), for the message a run that does not wait prints. Several tables are
// always locked in sorted order, so two runs never deadlock.

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
    let fd = open(file, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o666)
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
      let who = holder.map { "another run (pid \($0))" } ?? "another run"
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
    held.append((table, fd))
  }

  /// The pid of the process holding a flock on the file open as `fd`, from /proc/locks
  /// (`1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF`: the pid, then the device in hex and
  /// the inode); nil when it cannot be told.
  static func holder(_ fd: Int32) -> Int32? {
    var st = stat()
    guard fstat(fd, &st) == 0 else { return nil }
    let dev = UInt64(st.st_dev)
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
    let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
    func hex(_ v: UInt64) -> String {
      let s = String(v, radix: 16)
      return s.count < 2 ? "0" + s : s
    }
    let file = hex(major) + ":" + hex(minor) + ":" + String(st.st_ino)
    let locks = open("/proc/locks", O_RDONLY | O_CLOEXEC)
    guard locks >= 0 else { return nil }
    defer { close(locks) }
    var text: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while text.count < 1 << 24 {
      let n = buffer.withUnsafeMutableBytes { read(locks, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      text += buffer[0..<n]
    }
    for line in text.split(separator: 0x0A) {
      let fields = line.split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
      // Waiters are listed too, marked "->": not holders.
      guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == file,
        let pid = Int32(fields[4]), pid > 0, pid != getpid()
      else { continue }
      return pid
    }
    return nil
  }

  /// `1s`, `10m`, `1.5s`: a wait as the flag gives it.
  static func durationText(_ micros: Int64) -> String {
    if micros % 60_000_000 == 0 && micros > 0 { return "\(micros / 60_000_000)m" }
    if micros % 1_000_000 == 0 { return "\(micros / 1_000_000)s" }
    return "\(Double(micros) / 1e6)s"
  }

  /// The tables held, sorted.
  public var tables: [String] { held.map(\.table) }

  /// Lets go of every lock.
  public func release() {
    for (_, fd) in held.reversed() { close(fd) }
    held.removeAll()
  }

  deinit { release() }
}
