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
//   lh-bench checkpoint ADDS DIR [REPEAT]
//       makes ADDS add actions like lh-bronze's (partitioned by day, ~100-byte paths, stats),
//       encodes them as a checkpoint file in DIR ("write", bytes only) and reads the file back
//       into DeltaAdds ("read"); the best of REPEAT passes (default 3), with the file's bytes and
//       the process's peak RSS (KiB)
//   lh-bench checkpoint-table TABLE
//       writes the checkpoint of TABLE's latest version with lh's writer ("write", the snapshot
//       it reads included), then reads a snapshot of the table from it ("snapshot")
//
// Prints one JSON object with the timings in seconds, rows and output bytes; bench/run.sh
// runs the same workloads through DuckDB, pyarrow and Polars and prints the ratios.

import ArgumentParser
import LakeContracts
import LakeFormats
import LakeIO
import LakeStages
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// The benchmark's lh side, one subcommand per workload.
@main
struct LhBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lh-bench",
    abstract: "The lh side of make bench: time one workload, print its timings as JSON.",
    subcommands: [
      Write.self, Read.self, Validate.self, Checkpoint.self, CheckpointTable.self,
    ])

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

  struct Checkpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Encode ADDS add actions as a checkpoint (\"write\") and read it back (\"read\")."
    )
    @Argument(help: "How many add actions.") var adds: Int
    @Argument(help: "A directory for the checkpoint file.", completion: .directory)
    var directory: String
    @Argument(help: "Passes; the best is printed.") var `repeat` = 3
    func run() throws {
      try LhBenchCommand.run {
        try LhBench.checkpoint(adds: adds, directory: directory, repeat: self.repeat)
      }
    }
  }

  struct CheckpointTable: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "checkpoint-table",
      abstract:
        "Write the checkpoint of a table's latest version (\"write\"), then read a snapshot (\"snapshot\")."
    )
    @Argument(help: "The Delta table.", completion: .directory) var table: String
    func run() throws { try LhBenchCommand.run { try LhBench.checkpointTable(table) } }
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

extension LhBench {
  /// Peak resident set of this process, in KiB.
  static func peakKiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
  }

  /// Add `i` of a synthetic bronze table: lh-bronze's path and stats shapes, 28 days.
  static func syntheticAdd(_ i: Int) -> DeltaAdd {
    let day =
      "2026-\(i / 28 % 12 < 9 ? "0" : "")\(1 + i / 28 % 12)-\(i % 28 < 9 ? "0" : "")\(1 + i % 28)"
    let id = String(UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15, radix: 16)
    let lines = 1000 + i % 7
    return DeltaAdd(
      path: "ingest_date=\(day)/part-\(i % 100_000)-\(id)-c000.zstd.parquet",
      partitionValues: ["ingest_date": day], size: Int64(100_000 + i % 9973),
      modificationTime: 1_795_300_000_000 + Int64(i), dataChange: true,
      stats:
        #"{"numRecords":\#(lines),"minValues":{"line":1,"ingested_at":"2026-01-01T00:00:00.000Z","source":"spool/a.ndjson"},"maxValues":{"line":\#(lines),"ingested_at":"2026-01-01T00:00:09.999Z","source":"spool/z.ndjson"},"nullCount":{"line":0,"ingested_at":0,"source":0,"raw":0}}"#
    )
  }

  static func checkpoint(adds count: Int, directory: String, repeat passes: Int) throws {
    var actions: [DeltaAction] = [
      .protocol(DeltaProtocol()),
      .metaData(
        DeltaMetadata(
          id: "bench", schemaString: #"{"type":"struct","fields":[]}"#,
          partitionColumns: ["ingest_date"], createdTime: 1)),
      .txn(DeltaTxn(appId: "lh-bronze:file:0:lines", version: 7, lastUpdated: nil)),
    ]
    actions.reserveCapacity(count + 3)
    for i in 0..<count { actions.append(.add(syntheticAdd(i))) }
    let path = directory + "/lh-bench.checkpoint.parquet"
    var write = Double.infinity
    var read = Double.infinity
    var size = 0
    var files = 0
    for _ in 0..<max(passes, 1) {
      let t0 = now()
      let bytes = try DeltaCheckpointCodec.encode(actions)
      write = min(write, now() - t0)
      size = bytes.count
      let fd = try FileDescriptor.create(writingTo: path, exclusive: false)
      try bytes.withUnsafeBytes { try fd.writeAll($0) }
      try fd.close()
      let t1 = now()
      var adds: [DeltaAdd] = []
      try DeltaCheckpointCodec.forEachAction(file: path, table: directory) {
        if case .add(let a) = $0 { adds.append(a) }
      }
      read = min(read, now() - t1)
      files = adds.count
    }
    print(
      "{\"write\":\(write),\"read\":\(read),\"adds\":\(files),\"bytes\":\(size),"
        + "\"peak_kib\":\(peakKiB())}")
  }

  static func checkpointTable(_ table: String) throws {
    guard let version = try DeltaLog.latestVersion(table: table) else {
      throw LakeFailure(.noInput, "\(table): not a Delta table")
    }
    let t0 = now()
    let hint = try DeltaCheckpoint.write(table: table, version: version)
    let t1 = now()
    let snapshot = try DeltaLog.snapshot(table: table)
    let t2 = now()
    print(
      "{\"write\":\(t1 - t0),\"snapshot\":\(t2 - t1),\"version\":\(version),"
        + "\"files\":\(snapshot.files.count),\"bytes\":\(hint?.sizeInBytes ?? 0),"
        + "\"peak_kib\":\(peakKiB())}")
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
