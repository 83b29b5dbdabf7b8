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

import LakeContracts
import LakeFormats
import LakeIO
import LakeStages

#if canImport(Glibc)
import Glibc
#endif

@main
struct LhBench {
  static func now() -> Double { Double(SystemClock.monotonicNanoseconds()) / 1e9 }

  static func main() {
    let args = CommandLine.arguments
    do {
      switch args.count > 1 ? args[1] : "" {
      case "write" where args.count >= 5:
        try write(
          contract: args[2], input: args[3], output: args[4],
          level: args.count > 5 ? Int32(args[5]) ?? 3 : 3)
      case "read" where args.count == 3:
        try read(args[2])
      case "validate" where args.count == 4 || args.count == 5:
        try validate(
          contract: args[2], input: args[3], repeat: args.count == 5 ? Int(args[4]) ?? 3 : 3)
      default:
        Diagnostic.print(
          "usage: lh-bench write CONTRACT IN.ndjson OUT.parquet [LEVEL] | lh-bench read IN.parquet"
            + " | lh-bench validate CONTRACT IN.ndjson [REPEAT]")
        exit(64)
      }
    } catch {
      Diagnostic.print("lh-bench: \(error)")
      exit(65)
    }
  }

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
