import Foundation
import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

/// Reads every row group of `bytes`; returns the error thrown, if any.
func readAll(_ bytes: [UInt8], name: String = "mem.parquet") -> Error? {
  do {
    let reader = try ParquetFileReader(bytes: bytes, name: name)
    for g in 0..<reader.rowGroupCount { _ = try reader.readRowGroup(g) }
    return nil
  } catch {
    return error
  }
}

@Suite("Corrupt and truncated Parquet never crashes")
struct CorruptFileTests {
  static let bad = TestTools.repositoryRoot().appendingPathComponent("fixtures/bad")

  /// Every file in fixtures/bad/ and the text its error must contain.
  static let knownFiles: [String: String] = [
    "empty.parquet": "too short",
    "only_magic.parquet": "too short",
    "bad_magic_head.parquet": "no PAR1 magic at the start",
    "bad_magic_tail.parquet": "no PAR1 magic at the end",
    "truncated_half.parquet": "no PAR1 magic at the end",
    "truncated_tail.parquet": "no PAR1 magic at the end",
    "footer_length_huge.parquet": "footer length",
    "footer_length_zero.parquet": "footer length 0",
    "footer_garbage.parquet": "thrift",
    "page_header_garbage.parquet": "column '",
    "page_body_zeroed.parquet": "column '",
  ]

  @Test("every file in fixtures/bad has a case")
  func everyBadFileIsListed() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.bad.path).filter {
      $0.hasSuffix(".parquet")
    }
    #expect(Set(files) == Set(Self.knownFiles.keys))
  }

  @Test("each bad file fails as a data error naming the file", arguments: knownFiles.keys.sorted())
  func badFile(name: String) throws {
    let path = Self.bad.appendingPathComponent(name).path
    do {
      let reader = try ParquetFileReader(path: path)
      for g in 0..<reader.rowGroupCount { _ = try reader.readRowGroup(g) }
      Issue.record("\(name) was read without an error")
    } catch let e as LakeError {
      #expect(e.category == .data, "\(e)")
      #expect(e.description.hasPrefix(path + ": "), "\(e)")
      #expect(e.description.contains(Self.knownFiles[name]!), "\(e)")
      #expect(!e.description.contains("\n"))
    }
  }

  static var baseFiles: [String] {
    [
      "pyarrow_default", "pyarrow_v2_pages", "pyarrow_dict_fallback", "duckdb_default",
      "polars_default",
      "pyarrow_delta_byte_array", "pyarrow_codec_gzip", "pyarrow_int96", "pyarrow_decimal_flba",
    ]
  }

  @Test(
    "seeded byte flips and truncations end in success or a data error",
    arguments: ["lh"] + baseFiles)
  func mutations(base: String) throws {
    let original: [UInt8]
    if base == "lh" {
      let dir = try TestTools.temporaryDirectory()
      let path = dir.appendingPathComponent("lh.parquet").path
      var options = ParquetWriteOptions()
      options.maxRowGroupRows = 400
      options.maxPageRows = 150
      let writer = try ParquetFileWriter(path: path, schema: allTypesSchema, options: options)
      try writer.write(makeAllTypesBatch(rows: 1000))
      try writer.close()
      original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } else {
      let url = TestTools.repositoryRoot().appendingPathComponent(
        "fixtures/parquet/peers/\(base).parquet")
      original = [UInt8](try Data(contentsOf: url))
    }
    #expect(readAll(original) == nil, "the unmodified file must read")
    var state: UInt64 = 0x5EED ^ UInt64(original.count)
    func next() -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(state >> 33)
    }
    var failures = 0
    func check(_ bytes: [UInt8], _ what: String) {
      guard let error = readAll(bytes) else { return }
      let ok = (error as? LakeError)?.category == .data
      if !ok && failures < 5 {
        failures += 1
        Issue.record("\(base) \(what): \(type(of: error)) \(error)")
      }
    }
    let footerStart = max(0, original.count - 8 - 400)
    for i in 0..<400 {
      var mutated = original
      // Half the flips land in the footer and page headers' neighbourhood, half anywhere.
      let at =
        i % 2 == 0 ? footerStart + next() % (original.count - footerStart) : next() % original.count
      mutated[at] ^= UInt8(1 + next() % 255)
      check(mutated, "flip at \(at)")
    }
    for _ in 0..<60 {
      let cut = next() % original.count
      check(Array(original[..<cut]), "truncated at \(cut)")
    }
  }
}
