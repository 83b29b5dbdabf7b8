// LakeIO/Threads.swift
//
// The little a stage needs to use more than one core: a monitor (a mutex with a condition
// variable) and worker threads that keep out of signal handling (SIGINT/SIGTERM stay with the
// main thread, which polls `Interrupt` and commits what it holds). No Foundation.

import CMalloc

#if canImport(Glibc)
import Glibc
#endif

/// Makes large allocations (1 MiB and more: chunks, pages, row groups) come from and go back to
/// the system; call once at start-up.
///
/// glibc's sliding mmap threshold would otherwise keep freed large buffers in per-thread arenas,
/// so peak memory would grow with the number of threads (measured: lh-bronze on 2 threads,
/// 190 → 140 MiB, same speed).
public func returnLargeAllocationsToSystem() {
  _ = mallopt(M_MMAP_THRESHOLD, 1 << 20)
}

/// A mutex with one condition variable.
public final class Monitor: @unchecked Sendable {
  let mutex: UnsafeMutablePointer<pthread_mutex_t>
  let condition: UnsafeMutablePointer<pthread_cond_t>

  /// A new, unlocked monitor.
  public init() {
    mutex = .allocate(capacity: 1)
    condition = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
    condition.deallocate()
  }

  /// Runs `body` holding the lock.
  public func withLock<T>(_ body: () throws -> T) rethrows -> T {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// Releases the lock until `broadcast`, then takes it again; call only holding the lock, in a
  /// loop over the awaited condition (wake-ups may be spurious).
  public func wait() {
    pthread_cond_wait(condition, mutex)
  }

  /// Wakes every waiter; call holding the lock.
  public func broadcast() {
    pthread_cond_broadcast(condition)
  }
}

/// A started thread, to be joined.
public struct WorkerThread: @unchecked Sendable {
  let thread: pthread_t

  final class Body {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
  }

  /// Starts `body` on a new thread with every signal blocked.
  public static func start(_ body: @escaping @Sendable () -> Void) throws -> WorkerThread {
    let box = Unmanaged.passRetained(Body(body)).toOpaque()
    var thread = pthread_t()
    // The new thread inherits the signal mask: block everything around its creation.
    var all = sigset_t()
    var previous = sigset_t()
    sigfillset(&all)
    pthread_sigmask(SIG_BLOCK, &all, &previous)
    let status = pthread_create(
      &thread, nil,
      { argument in
        Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue().run()
        return nil
      }, box)
    pthread_sigmask(SIG_SETMASK, &previous, nil)
    guard status == 0 else {
      Unmanaged<Body>.fromOpaque(box).release()
      throw SystemError("pthread_create", errno: status, category: .software)
    }
    return WorkerThread(thread: thread)
  }

  /// Waits for the thread to end.
  public func join() {
    pthread_join(thread, nil)
  }
}

/// The number of processors online (at least 1).
public var availableProcessors: Int {
  max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}

/// Runs `body(i)` for every `i` in `0..<count` on up to `threads` threads (the caller's among
/// them) and returns when all are done; the first error thrown is rethrown.
///
/// For coarse work (a table's aggregation over a batch): it starts threads per call.
public func parallelFor(
  _ count: Int, threads: Int, _ body: @escaping @Sendable (Int) throws -> Void
) throws {
  let lanes = max(1, min(threads, count))
  guard lanes > 1 else {
    for i in 0..<count { try body(i) }
    return
  }
  final class State: @unchecked Sendable {
    let monitor = Monitor()
    var next = 0
    var failure: (any Error)?
  }
  let state = State()
  let count = count
  let work: @Sendable () -> Void = {
    while true {
      let i: Int? = state.monitor.withLock {
        guard state.failure == nil, state.next < count else { return nil }
        defer { state.next += 1 }
        return state.next
      }
      guard let i else { return }
      do { try body(i) } catch {
        state.monitor.withLock { if state.failure == nil { state.failure = error } }
      }
    }
  }
  var started: [WorkerThread] = []
  for _ in 1..<lanes {
    if let t = try? WorkerThread.start(work) { started.append(t) }
  }
  work()
  for t in started { t.join() }
  if let failure = state.failure { throw failure }
}

/// Threads kept for many `run` calls.
///
/// `parallelFor` without starting and joining threads per call (a stage that folds thousands
/// of small batches). Call `stop` when done: the threads hold the pool until then.
public final class WorkerPool: @unchecked Sendable {
  let monitor = Monitor()
  var body: (@Sendable (Int) throws -> Void)?
  var count = 0
  var next = 0
  var finished = 0
  var failure: (any Error)?
  var stopping = false
  var workers: [WorkerThread] = []

  /// A pool running work on up to `threads` threads, the caller's among them (so `threads` - 1
  /// are started; none when `threads` is 1).
  public init(threads: Int) {
    for _ in 1..<max(1, threads) {
      guard let t = try? WorkerThread.start({ [self] in self.serve() }) else { break }
      workers.append(t)
    }
  }

  /// Runs `body(i)` for every `i` in `0..<count` on the pool's threads and the caller's and
  /// returns when all are done; the first error thrown is rethrown (items not started then
  /// are skipped).
  public func run(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
    if workers.isEmpty || count <= 1 {
      for i in 0..<count { try body(i) }
      return
    }
    monitor.withLock {
      self.body = body
      self.count = count
      next = 0
      finished = 0
      self.failure = nil
      monitor.broadcast()
    }
    drain()
    let failed: (any Error)? = monitor.withLock {
      while finished < next { monitor.wait() }
      self.body = nil
      self.count = 0
      return failure
    }
    if let failed { throw failed }
  }

  /// Ends the pool's threads (after the work in progress).
  public func stop() {
    monitor.withLock {
      stopping = true
      monitor.broadcast()
    }
    for t in workers { t.join() }
    workers = []
  }

  /// Takes and runs items until none is left.
  func drain() {
    while true {
      let job: (Int, @Sendable (Int) throws -> Void)? = monitor.withLock {
        guard let body, failure == nil, next < count else { return nil }
        defer { next += 1 }
        return (next, body)
      }
      guard let (i, body) = job else { return }
      var error: (any Error)?
      do { try body(i) } catch let e { error = e }
      monitor.withLock {
        if let error, failure == nil { failure = error }
        finished += 1
        monitor.broadcast()
      }
    }
  }

  /// A worker thread: waits for items, runs them, until stopped.
  func serve() {
    while true {
      let stop: Bool = monitor.withLock {
        while !stopping && !(body != nil && failure == nil && next < count) { monitor.wait() }
        return stopping
      }
      if stop { return }
      drain()
    }
  }
}
