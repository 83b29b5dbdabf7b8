// swift-tools-version: 6.1
//
// The lh side of `make bench`, kept out of the product package (style.md §1): not a tool, not
// installed, no man page or completions.
import Foundation
import PackageDescription

// The root package's identity is the name of the directory it was cloned into.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
  name: "lh-benchmarks",
  dependencies: [.package(path: root.path)],
  targets: [
    .executableTarget(
      name: "lh-bench",
      dependencies: [.product(name: "LakeKit", package: root.lastPathComponent.lowercased())])
  ],
  swiftLanguageModes: [.v6]
)
