// LakeStages/Silver/SilverStream.swift
//
// lh-silver --stream (issue 5): the speed layer's refinement, stdin to stdout.
//
//   stdin ─ sniff ─┬─ NDJSON (plain, zstd, gzip) ─▶ lines
//                  └─ Parquet: a `line` column (a bronze data file) ─▶ lines
//                              other columns (typed events, e.g. lh-gen --format parquet)
//                              ─▶ each row as a JSON object line
//   line ─▶ ContractValidator ─┬─ reject ─▶ --rejects FILE: {"reason","field","message",
//                              │            "line_number","line"} (or dropped, counted)
//                              └─ key seen within the window? ─ yes: duplicate, dropped
//                                                               no: stdout, contract column order
//
// Deduplication keeps the key hashes of rows whose event time is within `--dedupe-window` of the
// watermark (the latest event time seen), in buckets of a sixteenth of the window; buckets that
// fall out of the window are dropped, so memory is bounded by the rows of one window. A row whose
// event time is already older than the window is still checked against what is kept but not
// remembered. Output is flushed whenever input pauses (the reader waits at most 200 ms) and at
// least every 250 ms while input flows, so a live pipeline sees rows within a second.

import LakeContracts
import LakeFormats
import LakeIO

#if canImport(Glibc)
import Glibc
#endif

/// What one `lh-silver --stream` run is asked to do.
public struct SilverStreamConfig: Sendable {
  public var contract: Contract
  /// Duplicates are dropped within this much event time (µs).
  public var dedupeWindowMicros: Int64 = 600_000_000
  /// NDJSON file for rejects; nil: rejects are only counted.
  public var rejectsPath: String?
  /// Input file; nil: stdin.
  public var input: String?
  public var maxLineBytes = LineReader.defaultMaxLineBytes

  public init(contract: Contract) { self.contract = contract }
}

/// What a stream run did.
public struct SilverStreamSummary: Sendable {
  public var lines = 0
  public var rows = 0
  public var rejects = 0
  public var duplicates = 0
  public var rejectReasons: [(reason: String, count: Int)] = []
  public var unknownKeys: [(key: String, count: Int)] = []
  /// Keys remembered at the end, and the most at once.
  public var keysHeld = 0
  public var maxKeysHeld = 0
  public var interrupted = false

  public init() {}
}

/// Keys seen within a window of event time.
struct WindowedKeys {
  let window: Int64
  let bucketMicros: Int64
  var watermark = Int64.min
  /// Key hash → its event time.
  var times: [UInt64: Int64] = [:]
  /// Bucket number → the hashes whose time falls in it.
  var buckets: [Int64: [UInt64]] = [:]
  var oldest = Int64.max

  init(window: Int64) {
    self.window = max(window, 1)
    bucketMicros = max(self.window / 16, 1000)
  }

  /// Records a key at `time`; false when it was seen within the window (a duplicate).
  mutating func insert(_ hash: UInt64, time: Int64) -> Bool {
    if times[hash] != nil { return false }
    if time > watermark {
      watermark = time
      evict()
    }
    guard time >= watermark &- window else { return true }
    times[hash] = time
    let bucket = floorDiv(time, bucketMicros)
    buckets[bucket, default: []].append(hash)
    oldest = min(oldest, bucket)
    return true
  }

  mutating func evict() {
    let limit = floorDiv(watermark &- window, bucketMicros)
    guard oldest < limit else { return }
    for bucket in buckets.keys where bucket < limit {
      for h in buckets[bucket] ?? [] { times[h] = nil }
      buckets[bucket] = nil
    }
    oldest = buckets.keys.min() ?? .max
  }

  func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return a % b < 0 ? q - 1 : q
  }
}

extension SilverStage {
  /// Refines a stream: rows to `output`, rejects to the rejects file, duplicates dropped.
  public static func stream(_ config: SilverStreamConfig, output: OutputBuffer) throws
    -> SilverStreamSummary
  {
    let contract = config.contract
    let validator = ContractValidator(contract: contract)
    let keyColumns = contract.keyIndexes
    let timeColumn = contract.eventTimeIndex
    let rowWriter = RowJSONWriter(
      schema: validator.schema, written: Array(contract.columns.indices),
      splice: validator.extraColumn)
    var summary = SilverStreamSummary()
    var keys = WindowedKeys(window: config.dedupeWindowMicros)
    var columns = validator.makeColumns(capacity: 1024)
    // The rejects file is an OutputTarget written in place: a stream has no end to publish a
    // whole file at, so a regular file fills as rejects come (flushed with the rows), and a
    // kill -9 keeps what was flushed; a FIFO or /dev/stderr is written through.
    if let path = config.rejectsPath, try OutputTarget.classify(path).isStandardOutput {
      throw LakeFailure(
        .usage,
        "--rejects \(path): standard output carries the clean rows; name a file, a FIFO or /dev/stderr"
      )
    }
    let rejectsFile = try config.rejectsPath.map { try OutputTarget.open($0, inPlace: true) }
    let rejectsOut = rejectsFile.map { OutputBuffer(destination: $0.descriptor, capacity: 1 << 16) }
    var lastFlush = SystemClock.monotonicNanoseconds()

    func flush() throws {
      try output.flush()
      try rejectsOut?.flush()
      lastFlush = SystemClock.monotonicNanoseconds()
    }

    func handle(_ line: UnsafeRawBufferPointer, number: Int) throws {
      summary.lines += 1
      if let reject = validator.stage(line) {
        summary.rejects += 1
        if let rejectsOut { try writeReject(reject, line: line, number: number, to: rejectsOut) }
        return
      }
      let hash = validator.stagedKeyHash(keyColumns, line: line)
      guard keys.insert(hash, time: validator.stagedInt64(timeColumn)) else {
        summary.duplicates += 1
        return
      }
      validator.append(line, into: &columns)
      try rowWriter.write(columns, row: columns[0].count - 1, to: output)
      summary.rows += 1
      summary.maxKeysHeld = max(summary.maxKeysHeld, keys.times.count)
      if columns[0].count >= 1024 {
        for c in columns.indices { columns[c].removeAll() }
      }
    }

    let source = try ByteSource(path: config.input)
    let format = InputFormat.sniff(try source.peek(4))
    switch format {
    case .ndjson(let compression):
      let reader = try LineReader(
        source: source, compression: compression, maxLineBytes: config.maxLineBytes)
      reader.idleMilliseconds = 200
      // Rows reach stdout when input pauses, and at least every 250 ms while it flows.
      func flushIfDue() throws {
        if SystemClock.monotonicNanoseconds() - lastFlush > 250_000_000 { try flush() }
      }
      try reader.forEachLine(idle: flush, didRead: flushIfDue) { line, number in
        try handle(line, number: number)
        return Interrupt.requested == 0
      }
      summary.interrupted = reader.interrupted || Interrupt.requested != 0
    case .parquet:
      let parquet = try openParquet(source)
      let leaves = parquet.schema
      let lineColumn = leaves.index(of: "line").flatMap {
        leaves.columns[$0].type == .string ? $0 : nil
      }
      let bytesColumn = leaves.index(of: "line_bytes").flatMap {
        leaves.columns[$0].type == .binary ? $0 : nil
      }
      // A naive timestamp column (pandas' default) is written as UTC, as contracts expect.
      let rowText = RowJSONWriter(
        schema: TableSchema(
          leaves.columns.map { $0.type == .timestampNtz ? ColumnSpec($0.name, .timestamp) : $0 }))
      let scratch = OutputBuffer(capacity: 1 << 16) { _ in }
      var number = 0
      groups: for g in 0..<parquet.rowGroupCount {
        let b = try parquet.readRowGroup(g)
        for r in 0..<(b.first?.count ?? 0) {
          number += 1
          if let lineColumn {
            // A bronze data file: its lines.
            let c = b[lineColumn].isValid(r) || bytesColumn == nil ? lineColumn : bytesColumn!
            try b[c].data.withUnsafeBytes { raw in
              try handle(
                UnsafeRawBufferPointer(
                  rebasing: raw[Int(b[c].offsets[r])..<Int(b[c].offsets[r + 1])]), number: number)
            }
          } else {
            // Typed rows: each as the JSON object it stands for.
            scratch.truncate(to: 0)
            try rowText.write(b, row: r, to: scratch)
            let text = scratch.bytes(since: 0)
            try handle(UnsafeRawBufferPointer(rebasing: text.dropLast()), number: number)
          }
          if Interrupt.requested != 0 {
            summary.interrupted = true
            break groups
          }
        }
        try flush()
      }
    }
    try flush()
    try rejectsFile?.commit()
    summary.rejectReasons = validator.rejectCounts.map { ($0.key.rawValue, $0.value) }
      .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    summary.unknownKeys = validator.unknownKeyCounts
    summary.keysHeld = keys.times.count
    return summary
  }

  /// `{"reason":…,"field":…,"message":…,"line_number":N,"line":…}`; a line that is not UTF-8 is
  /// written with U+FFFD for its bad bytes and `"line_utf8":false`.
  static func writeReject(
    _ reject: ContractReject, line: UnsafeRawBufferPointer, number: Int, to out: OutputBuffer
  ) throws {
    var text = "{\"reason\":\"\(reject.reason.rawValue)\",\"field\":"
    if let field = reject.field {
      text += "\"\(field)\""
    } else {
      text += "null"
    }
    try out.write(text)
    let message = Array(reject.message.utf8)
    let valid = UTF8Validation.isValid(line)
    let lossy = valid ? [] : Array(String(decoding: line, as: UTF8.self).utf8)
    let body = valid ? line.count : lossy.count
    let start = try out.reserve(6 * (message.count + body) + 96)
    var w = JSONWriter(start)
    w.raw(",\"message\":")
    message.withUnsafeBytes { w.string($0) }
    w.raw(",\"line_number\":")
    w.int(Int64(number))
    w.raw(",\"line\":")
    if valid {
      w.string(line)
    } else {
      lossy.withUnsafeBytes { w.string($0) }
      w.raw(",\"line_utf8\":false")
    }
    w.raw("}\n")
    out.commit(w.count(from: start))
  }

  /// A Parquet reader for a stream: the file itself, or stdin spooled to an unlinked
  /// temporary file (Parquet needs its footer).
  static func openParquet(_ source: ByteSource) throws -> ParquetFileReader {
    try RowReader.openParquet(source)
  }
}
