// swift-tools-version: 6.1
//
// The lh side of `make bench`, kept out of the product package (style.md §1): not installed,
// no man page; its shell completions are generated with the tools' (scripts/completions.sh).
import Foundation
import PackageDescription

// The root package's identity is the name of the directory it was cloned into.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
  name: "lh-benchmarks",
  dependencies: [
    .package(path: root.path),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    .executableTarget(
      name: "lh-bench",
      dependencies: [
        .product(name: "LakeKit", package: root.lastPathComponent.lowercased()),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ])
  ],
  swiftLanguageModes: [.v6]
)
