import Testing

@testable import LakeStages

@Suite("count_distinct pairs")
struct DistinctSetTests {
  @Test("pairs of many groups (bitmaps and per-group tables) match a plain set, across days")
  func matchesSet() {
    let set = DistinctSet()
    var generator = SystemRandomNumberGenerator()
    for day in 0..<3 {
      var reference = Set<UInt64>()
      // Minute-like groups in time order with stragglers, values dense ids with repeats; one
      // large group (a busy minute) grows its table many times.
      for r in 0..<60_000 {
        var group = UInt32(r / 40)
        if r % 97 == 0 { group = UInt32.random(in: 0..<1500, using: &generator) }
        if r % 5 == 0 { group = 700 }
        let value = UInt32.random(in: 0..<(day == 1 ? 50 : 20_000), using: &generator)
        let key = UInt64(group) << 32 | UInt64(value)
        #expect(set.insert(group: group, value: value) == reference.insert(key).inserted)
      }
      let pastBitmaps = reference.filter { $0 >> 32 >= UInt64(DistinctSet.bitmapGroups) }
      #expect(set.count == pastBitmaps.count)
      set.removeAll()
      #expect(set.count == 0)
    }
  }
}
