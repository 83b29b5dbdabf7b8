import LakeIO
import LakeTable
import LakeTestSupport
import Testing

/// The inputs fuzz-delta-log found, through the same call as Fuzz/Sources/fuzz-delta-log.
@Suite("fuzz regressions: Delta log")
struct DeltaLogFuzzRegressionTests {
  @Test("each input of fixtures/fuzz/delta-log decodes or fails as a one-line data error")
  func deltaLog() throws {
    let inputs = try FuzzFixtures.inputs("delta-log")
    #expect(!inputs.isEmpty)
    for (name, bytes) in inputs {
      do {
        _ = try DeltaLogCodec.decode(bytes, table: "fuzz", version: 0)
      } catch let e as LakeError {
        #expect(e.category == .data, "\(name): \(e)")
        #expect(!e.description.contains("\n"), "\(name): \(e)")
      }
    }
  }
}
