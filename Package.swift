// swift-tools-version: 6.1
//
// lh — a lakehouse built from Unix pipes.
//
// Dependencies point one way (see docs/architecture.md):
//   C* ← LakeIO ← LakeFormats ← LakeTable ← LakeStages ← LakeCLI ← lh-*
// Only LakeIO imports the C modules; only LakeCLI and the executables import ArgumentParser.
import PackageDescription

let package = Package(
  name: "lh",
  products: [
    .executable(name: "lh-gen", targets: ["lh-gen"]),
    .executable(name: "lh-bronze", targets: ["lh-bronze"]),
    .executable(name: "lh-silver", targets: ["lh-silver"]),
    .executable(name: "lh-gold", targets: ["lh-gold"]),
    .executable(name: "lh-pack", targets: ["lh-pack"]),
    .executable(name: "lh-report", targets: ["lh-report"]),
    // The library, for the benchmark package in Benchmarks/.
    .library(
      name: "LakeKit",
      targets: ["LakeIO", "LakeFormats", "LakeTable", "LakeContracts", "LakeStages"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // System libraries (module map and shim header only).
    .systemLibrary(
      name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
    .systemLibrary(
      name: "CArchive", pkgConfig: "libarchive",
      providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]),
    .systemLibrary(
      name: "CSnappy", providers: [.apt(["libsnappy-dev"]), .brew(["snappy"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CMalloc"),
    .systemLibrary(name: "CSHA"),

    // The library, split by concern.
    .target(
      name: "LakeIO", dependencies: ["CZstd", "CArchive", "CSnappy", "CZlib", "CMalloc", "CSHA"]),
    .target(name: "LakeFormats", dependencies: ["LakeIO"]),
    .target(name: "LakeTable", dependencies: ["LakeIO", "LakeFormats"]),
    .target(name: "LakeContracts", dependencies: ["LakeIO", "LakeFormats"]),
    .target(
      name: "LakeStages", dependencies: ["LakeIO", "LakeFormats", "LakeTable", "LakeContracts"]),
    .target(
      name: "LakeCLI",
      dependencies: [
        "LakeIO", "LakeFormats", "LakeTable", "LakeStages",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .target(name: "LakeTestSupport", dependencies: ["LakeIO", "LakeFormats"]),

    // One thin executable per tool.
    .executableTarget(
      name: "lh-gen",
      dependencies: [
        "LakeCLI", "LakeStages", "LakeFormats",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .executableTarget(
      name: "lh-bronze",
      dependencies: [
        "LakeCLI", "LakeStages", "LakeTable", "LakeIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .executableTarget(
      name: "lh-silver",
      dependencies: [
        "LakeCLI", "LakeStages", "LakeTable", "LakeContracts", "LakeIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .executableTarget(
      name: "lh-gold",
      dependencies: [
        "LakeCLI", "LakeStages", "LakeTable", "LakeContracts", "LakeFormats", "LakeIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .executableTarget(
      name: "lh-pack",
      dependencies: [
        "LakeCLI", "LakeStages", "LakeTable", "LakeFormats", "LakeIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .executableTarget(
      name: "lh-report",
      dependencies: [
        "LakeCLI", "LakeStages", "LakeTable", "LakeContracts", "LakeIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // Unit tests per module, end-to-end tests over the built tools.
    .testTarget(name: "LakeIOTests", dependencies: ["LakeIO", "LakeTestSupport"]),
    .testTarget(name: "LakeFormatsTests", dependencies: ["LakeFormats", "LakeTestSupport"]),
    .testTarget(name: "LakeTableTests", dependencies: ["LakeTable", "LakeTestSupport"]),
    .testTarget(
      name: "LakeContractsTests",
      dependencies: ["LakeContracts", "LakeStages", "LakeFormats", "LakeTestSupport"]),
    .testTarget(
      name: "LakeStagesTests",
      dependencies: ["LakeStages", "LakeContracts", "LakeTable", "LakeTestSupport"]),
    .testTarget(name: "LakeCLITests", dependencies: ["LakeCLI", "LakeTestSupport"]),
    .testTarget(
      name: "EndToEndTests",
      dependencies: ["LakeTestSupport", "LakeFormats", "LakeTable", "LakeContracts", "LakeStages"],
      resources: []),
  ],
  swiftLanguageModes: [.v6]
)
