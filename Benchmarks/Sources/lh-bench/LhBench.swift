// lh-bench: the lh side of `make bench` (not installed, not a product tool).
//
//   lh-bench write CONTRACT IN.ndjson OUT.parquet [ZSTD_LEVEL]
//       loads IN into typed columns (timed as "load"), then writes them as Parquet ("write")
//   lh-bench read IN.parquet
//       reads every row group and column into memory ("read")
//   lh-bench validate CONTRACT IN.ndjson [REPEAT]
//       reads IN into memory (untimed), then checks every line against the contract (a built-in
//       name or a file) into typed columns, in batches of 65,536 rows, REPEAT times (default 3);
//       prints the best pass as "validate" seconds and "mb_per_s" of JSON per core
//
// Prints one JSON object with the timings in seconds, rows and output bytes; bench/run.sh
// runs the same workloads through DuckDB, pyarrow and Polars and prints the ratios.

import ArgumentParser
import LakeContracts
import LakeFormats
import LakeIO
import LakeStages

#if canImport(Glibc)
import Glibc
#endif

/// The benchmark's lh side, one subcommand per workload.
@main
struct LhBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lh-bench",
    abstract: "The lh side of make bench: time one workload, print its timings as JSON.",
    subcommands: [Write.self, Read.self, Validate.self])

  /// Runs a workload; a failure is one line on stderr and status 65.
  static func run(_ body: () throws -> Void) throws {
    do { try body() } catch let e as LakeError {
      Diagnostic.print("lh-bench: \(e)")
      throw ExitCode(65)
    }
  }

  struct Write: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Load NDJSON into typed columns (\"load\"), then write them as Parquet (\"write\")."
    )
    @Argument(help: "The dataset: clickstream, iot or sales.") var contract: String
    @Argument(help: "The NDJSON input.", completion: .file()) var input: String
    @Argument(help: "The Parquet output.", completion: .file()) var output: String
    @Argument(help: "The zstd level.") var level: Int32 = 3
    func run() throws {
      try LhBenchCommand.run {
        try LhBench.write(contract: contract, input: input, output: output, level: level)
      }
    }
  }

  struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Read every row group and column of a Parquet file (\"read\").")
    @Argument(help: "The Parquet input.", completion: .file()) var input: String
    func run() throws { try LhBenchCommand.run { try LhBench.read(input) } }
  }

  struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check every line of NDJSON against a contract; the best of REPEAT passes.")
    @Argument(help: "A built-in contract name or a contract file.") var contract: String
    @Argument(help: "The NDJSON input.", completion: .file()) var input: String
    @Argument(help: "Passes over the input.") var `repeat` = 3
    func run() throws {
      try LhBenchCommand.run {
        try LhBench.validate(contract: contract, input: input, repeat: self.repeat)
      }
    }
  }
}

/// The workloads.
enum LhBench {
  static func now() -> Double { Double(SystemClock.monotonicNanoseconds()) / 1e9 }

  static func write(contract: String, input: String, output: String, level: Int32) throws {
    guard let dataset = Dataset(rawValue: contract) else {
      throw LakeFailure(.usage, "unknown contract \(contract)")
    }
    let t0 = now()
    var decoder = NDJSONRowDecoder(schema: dataset.schema)
    var columns = decoder.makeColumns()
    let fd = try FileDescriptor.open(readingFrom: input)
    var buffer = [UInt8](repeating: 0, count: 1 << 22)
    var carry: [UInt8] = []
    while true {
      let n = try buffer.withUnsafeMutableBytes { try fd.read(into: $0) }
      if n == 0 { break }
      try buffer.withUnsafeBytes { raw in
        var start = 0
        while start < n {
          guard let nl = memchr(raw.baseAddress! + start, 0x0A, n - start) else {
            carry.append(contentsOf: raw[start..<n])
            return
          }
          let end = raw.baseAddress!.distance(to: UnsafeRawPointer(nl))
          if carry.isEmpty {
            try decoder.decode(UnsafeRawBufferPointer(rebasing: raw[start..<end]), into: &columns)
          } else {
            carry.append(contentsOf: raw[start..<end])
            try carry.withUnsafeBytes { try decoder.decode($0, into: &columns) }
            carry.removeAll(keepingCapacity: true)
          }
          start = end + 1
        }
      }
    }
    try fd.close()
    let t1 = now()
    var options = ParquetWriteOptions()
    options.compressionLevel = level
    let writer = try ParquetFileWriter(path: output, schema: dataset.schema, options: options)
    try writer.write(columns)
    let t2 = now()
    let summary = try writer.close()
    let t3 = now()
    // "write" includes close: footer, fsync of the file, rename, fsync of the directory (lh's
    // durability contract; pyarrow, DuckDB and Polars do not fsync). "sync" is that last part.
    print(
      "{\"load\":\(t1 - t0),\"write\":\(t3 - t1),\"sync\":\(t3 - t2),\"rows\":\(summary.rows),\"bytes\":\(summary.bytes)}"
    )
  }

  static func read(_ path: String) throws {
    let t0 = now()
    let reader = try ParquetFileReader(path: path)
    var rows = 0
    var checksum = 0
    // One row group at a time, into the same buffers (what a streaming reader does).
    var columns: [ColumnBuffer] = []
    for g in 0..<reader.rowGroupCount {
      try reader.readRowGroup(g, into: &columns)
      rows += columns.first?.count ?? 0
      for c in columns { checksum &+= c.int64s.count &+ c.data.count &+ c.nullCount }
    }
    let t1 = now()
    print("{\"read\":\(t1 - t0),\"rows\":\(rows),\"checksum\":\(checksum)}")
  }
}

extension LhBench {
  static func validate(contract name: String, input: String, repeat passes: Int) throws {
    let contract = try Contract.resolve(name)
    var bytes: [UInt8] = []
    let fd = try FileDescriptor.open(readingFrom: input)
    var chunk = [UInt8](repeating: 0, count: 1 << 22)
    while true {
      let n = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
      if n == 0 { break }
      bytes.append(contentsOf: chunk[0..<n])
    }
    try fd.close()
    var best = Double.infinity
    var rows = 0
    var rejects = 0
    for _ in 0..<max(passes, 1) {
      let validator = ContractValidator(contract: contract)
      let batch = 65_536
      var columns = validator.makeColumns(capacity: batch)
      var inBatch = 0
      let t0 = now()
      bytes.withUnsafeBytes { raw in
        let base = raw.baseAddress!
        var start = 0
        while start < raw.count {
          let rest = raw.count - start
          let end = memchr(base + start, 0x0A, rest).map { base.distance(to: UnsafeRawPointer($0)) }
          let stop = end ?? raw.count
          let line = UnsafeRawBufferPointer(rebasing: raw[start..<stop])
          if validator.validate(line, into: &columns) == nil { inBatch += 1 }
          if inBatch == batch {
            for i in columns.indices { columns[i].removeAll() }
            inBatch = 0
          }
          start = stop + 1
        }
      }
      best = min(best, now() - t0)
      rows = validator.accepted
      rejects = validator.rejected
    }
    let mb = Double(bytes.count) / 1e6
    print(
      "{\"validate\":\(best),\"bytes\":\(bytes.count),\"rows\":\(rows),\"rejects\":\(rejects),"
        + "\"mb_per_s\":\((mb / best).rounded())}")
  }
}

enum Diagnostic {
  static func print(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    bytes.withUnsafeMutableBytes {
      try? FileDescriptor.standardError.writeAll(UnsafeRawBufferPointer($0))
    }
  }
}
