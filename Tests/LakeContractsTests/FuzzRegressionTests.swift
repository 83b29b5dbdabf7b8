import LakeContracts
import LakeTestSupport
import Testing

/// The inputs fuzz-contract found, through the same call as Fuzz/Sources/fuzz-contract.
@Suite("fuzz regressions: contracts")
struct ContractFuzzRegressionTests {
  @Test("each input of fixtures/fuzz/contract parses or fails as a one-line usage error")
  func contract() throws {
    let inputs = try FuzzFixtures.inputs("contract")
    #expect(!inputs.isEmpty)
    for (name, bytes) in inputs {
      do {
        _ = try ContractParser.parse(String(decoding: bytes, as: UTF8.self), file: name)
      } catch {
        #expect(error.category == .usage, "\(name): \(error)")
        #expect(!error.description.contains("\n"), "\(name): \(error)")
      }
    }
  }
}
