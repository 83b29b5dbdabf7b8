import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

/// The inputs fuzz-parquet found, through the same calls as Fuzz/Sources/fuzz-parquet.
@Suite("fuzz regressions: Parquet")
struct ParquetFuzzRegressionTests {
  /// Inputs that must fail, and a part of their error (the others may also succeed).
  static let mustFail: [String: String] = [
    "zstd_page_claims_900mib_from_4_bytes.parquet": "page claims 943718400 uncompressed bytes",
    "zstd_page_claims_200mib_from_4_bytes.parquet": "from 4 ZSTD bytes",
    "zstd_page_of_300mib_zeros.parquet": "(at most 268435456)",
  ]

  @Test("each input of fixtures/fuzz/parquet is read or fails as one-line data error")
  func parquet() throws {
    let inputs = try FuzzFixtures.inputs("parquet")
    #expect(Set(Self.mustFail.keys).isSubset(of: inputs.map(\.name)))
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
        #expect(Self.mustFail[name] == nil, "\(name) was read without an error")
      } catch let e as LakeError {
        #expect(e.category == .data, "\(name): \(e)")
        #expect(!e.description.contains("\n"), "\(name): \(e)")
        if let part = Self.mustFail[name] {
          #expect(e.description.contains(part), "\(name): \(e)")
        }
      }
    }
  }
}
