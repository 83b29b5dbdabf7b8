// swift-tools-version: 6.1
//
// libFuzzer targets for lh's parsers of untrusted bytes, kept out of the product package like
// Benchmarks/: not tools, not installed. Build and run them with `make fuzz` (scripts/fuzz.sh);
// each executable's entry point is `LLVMFuzzerTestOneInput`, run by libFuzzer's driver from
// main.swift (Sources/FuzzDriver/include/FuzzDriver.h says why).
import Foundation
import PackageDescription

// The root package's identity is the name of the directory it was cloned into.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let lakeKit = Target.Dependency.product(
  name: "LakeKit", package: root.lastPathComponent.lowercased())

let package = Package(
  name: "lh-fuzz",
  dependencies: [.package(path: root.path)],
  targets: [.target(name: "FuzzDriver")]
    + ["fuzz-ndjson", "fuzz-parquet", "fuzz-delta-log", "fuzz-contract"].map {
      .executableTarget(name: $0, dependencies: [lakeKit, "FuzzDriver"])
    },
  swiftLanguageModes: [.v6]
)
