import LakeFormats
import LakeIO
import LakeStages
import LakeTestSupport
import Testing

/// The inputs fuzz-ndjson found, through the same calls as Fuzz/Sources/fuzz-ndjson.
@Suite("fuzz regressions: NDJSON")
struct NDJSONFuzzRegressionTests {
  @Test("each line of fixtures/fuzz/ndjson is scanned and decoded or fails as a one-line error")
  func ndjson() throws {
    let inputs = try FuzzFixtures.inputs("ndjson")
    #expect(!inputs.isEmpty)
    for (name, bytes) in inputs {
      var scanner = NDJSONScanner()
      var fields: [JSONField] = []
      var decoders = Dataset.allCases.map { NDJSONRowDecoder(schema: $0.schema) }
      var columns = decoders.map { $0.makeColumns() }
      for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
        Array(line).withUnsafeBytes { raw in
          do {
            try scanner.scan(raw, into: &fields)
          } catch {
            #expect(!"\(error)".contains("\n"), "\(name): \(error)")
          }
          for d in decoders.indices {
            do {
              try decoders[d].decode(raw, into: &columns[d])
            } catch let e as LakeError {
              #expect(e.category == .data, "\(name): \(e)")
              #expect(!e.description.contains("\n"), "\(name): \(e)")
            } catch {
              Issue.record("\(name): not a LakeError: \(error)")
            }
          }
        }
      }
    }
  }
}
