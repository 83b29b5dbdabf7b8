// LakeTestSupport/FuzzFixtures.swift
//
// The regression inputs the fuzzers of Fuzz/ found (fixtures/fuzz/<target>/), for the unit tests
// that run each through the same entry point as its fuzz target.

import Foundation

/// The files of fixtures/fuzz/.
public enum FuzzFixtures {
  /// Every regression input of `target` (ndjson, parquet, delta-log, contract), sorted by name.
  ///
  /// README files are left out; a missing directory means no regressions yet.
  public static func inputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
    let dir = TestTools.repositoryRoot().appendingPathComponent("fixtures/fuzz/\(target)")
    guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
      .filter { !$0.hasPrefix("README") && !$0.hasPrefix(".") }
      .map { name in
        (name, [UInt8](try Data(contentsOf: dir.appendingPathComponent(name))))
      }
  }
}
