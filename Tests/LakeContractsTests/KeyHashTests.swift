import LakeContracts
import LakeFormats
import Testing

@Suite("key hashes for deduplication")
struct KeyHashTests {
  let contract = Contract(
    name: "k",
    columns: [
      ContractColumn("id", .string, required: true), ContractColumn("n", .int32),
      ContractColumn("ts", .timestamp, required: true),
    ], key: ["id", "ts"], eventTime: "ts")

  func staged(_ validator: ContractValidator, _ text: String) -> UInt64? {
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { line in
      guard validator.stage(line) == nil else { return nil }
      return validator.stagedKeyHash(contract.keyIndexes, line: line)
    }
  }

  @Test(
    "a staged key hashes like the same key read back from columns; escapes and offsets normalised")
  func stagedEqualsRow() throws {
    let validator = ContractValidator(contract: contract)
    let a = try #require(staged(validator, #"{"id":"a\u00e9","ts":"2026-01-01T01:00:00+01:00"}"#))
    let b = try #require(staged(validator, #"{"n":3,"ts":"2026-01-01T00:00:00Z","id":"aé"}"#))
    let c = try #require(staged(validator, #"{"id":"aé","ts":"2026-01-01T00:00:00.001Z"}"#))
    #expect(a == b)
    #expect(a != c)
    var columns = validator.makeColumns()
    let line = Array(#"{"id":"aé","ts":"2026-01-01T00:00:00Z"}"#.utf8)
    line.withUnsafeBytes { _ = validator.validate($0, into: &columns) }
    #expect(KeyHash.row(0, of: columns, columns: contract.keyIndexes) == a)
    #expect(validator.accepted == 1, "staging alone does not count a row")
  }

  @Test("the hash set: inserts, finds, grows, never confuses distinct keys of a day")
  func hashSet() {
    let set = KeyHashSet(capacity: 4)
    var hashes: Set<UInt64> = []
    for i in 0..<100_000 {
      var h = KeyHash()
      let text = Array("event-\(i)".utf8)
      text.withUnsafeBytes { h.add(bytes: $0) }
      hashes.insert(h.value)
      #expect(set.insert(h.value))
    }
    #expect(hashes.count == 100_000)
    #expect(set.count == 100_000)
    for h in hashes.prefix(1000) {
      #expect(set.contains(h))
      #expect(!set.insert(h))
    }
    #expect(set.bytes <= 100_000 * 24)
  }
}
