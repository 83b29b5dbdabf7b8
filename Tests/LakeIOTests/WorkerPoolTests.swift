import LakeIO
import Testing

@Suite("Worker pool")
struct WorkerPoolTests {
  final class Counts: @unchecked Sendable {
    let monitor = Monitor()
    var hits: [Int]
    init(_ n: Int) { hits = [Int](repeating: 0, count: n) }
    func hit(_ i: Int) { monitor.withLock { hits[i] += 1 } }
  }

  struct Failed: Error, Equatable { let item: Int }

  @Test("runs every item once per call, call after call, on the same threads")
  func runs() throws {
    let pool = WorkerPool(threads: 3)
    defer { pool.stop() }
    for count in [0, 1, 2, 7, 64] {
      for _ in 0..<50 {
        let counts = Counts(count)
        try pool.run(count) { i in counts.hit(i) }
        #expect(counts.hits.allSatisfy { $0 == 1 })
      }
    }
  }

  @Test("an item's error is rethrown, and the pool still runs the next call")
  func failure() throws {
    let pool = WorkerPool(threads: 2)
    defer { pool.stop() }
    #expect(throws: Failed(item: 3)) {
      try pool.run(8) { i in if i == 3 { throw Failed(item: 3) } }
    }
    let counts = Counts(5)
    try pool.run(5) { i in counts.hit(i) }
    #expect(counts.hits == [1, 1, 1, 1, 1])
    // One thread: the caller's alone.
    let single = WorkerPool(threads: 1)
    defer { single.stop() }
    let more = Counts(4)
    try single.run(4) { i in more.hit(i) }
    #expect(more.hits == [1, 1, 1, 1])
  }
}
