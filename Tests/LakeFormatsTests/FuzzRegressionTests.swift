import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

/// The inputs fuzz-parquet found, through the same calls as Fuzz/Sources/fuzz-parquet.
@Suite("fuzz regressions: Parquet")
struct ParquetFuzzRegressionTests {
  @Test("each input of fixtures/fuzz/parquet is read or fails as one-line data error")
  func parquet() throws {
    let inputs = try FuzzFixtures.inputs("parquet")
    #expect(!inputs.isEmpty)
    for (name, bytes) in inputs {
      do {
        let reader = try ParquetFileReader(bytes: bytes, name: name)
        _ = reader.schema
        for group in 0..<reader.rowGroupCount {
          for column in reader.leaves.indices {
            _ = reader.statistics(rowGroup: group, column: column)
          }
          _ = try reader.readRowGroup(group)
        }
      } catch let e as LakeError {
        #expect(e.category == .data, "\(name): \(e)")
        #expect(!e.description.contains("\n"), "\(name): \(e)")
      }
    }
  }
}
