// LakeStages/Gold/GoldStream.swift
//
// lh-gold --stream: silver rows (NDJSON or Parquet) on stdin → one gold table's tumbling windows
// as NDJSON on stdout.
//
// The watermark is the largest event time seen minus `--watermark`. A window (one bucket of the
// table's grain) is emitted once, when the watermark passes its end: its rows (one per group,
// the gold table's columns) go out in bucket order. With `--emit update`, every open window's
// current rows also go out every `--update-every` seconds, marked `"final":false` (final ones
// `"final":true`). A row whose window was already emitted is late: it is not counted in the
// window; instead a record `{"<bucket column>":…,"late_rows":N}` goes out with the next
// emission, so for a count of every row, batch = stream + late_rows, window by window. End of
// input (or SIGINT/SIGTERM) emits every open window. Memory: the open windows' groups. With
// `--into LAKE`, final windows are appended to `LAKE/gold/<name>_live` too (a commit at least
// every 10 s and at the end), apart from the batch table, whose days lh-gold recomputes.

import LakeContracts
import LakeFormats
import LakeIO
import LakeTable

/// What a gold stream is asked to do.
public struct GoldStreamConfig: Sendable {
  public var contract: Contract
  /// The gold table computed.
  public var table: GoldTable
  public var zone = "UTC"
  /// How far behind the newest event time a window closes (µs).
  public var watermark: Int64 = 120_000_000
  /// Also emit open windows every `updateEvery` seconds.
  public var updates = false
  public var updateEvery = 5.0
  /// The input file; nil means stdin.
  public var input: String?
  /// With a lake, final windows are also appended to its table `gold/<name>_live` (kept apart
  /// from the batch table, whose days lh-gold recomputes), committed at least every
  /// `commitEverySeconds` and at the end.
  public var into: LakeLayout?
  public var commitEverySeconds = 10.0
  public var engine = "lh-gold"
  public var maxLineBytes = LineReader.defaultMaxLineBytes

  public init(contract: Contract, table: GoldTable) {
    self.contract = contract
    self.table = table
  }
}

/// What a gold stream did.
public struct GoldStreamSummary: Sendable, Equatable {
  public var rows = 0
  public var windows = 0
  public var lateRows = 0
  public var updates = 0
  public var interrupted = false
  public init() {}
}

/// The gold stream.
public enum GoldStream {
  /// Runs the stream until the input ends (or a stop is requested).
  public static func run(_ config: GoldStreamConfig, output: OutputBuffer) throws
    -> GoldStreamSummary
  {
    let schema = config.contract.schema
    let clock = try ZoneClock(config.zone)
    let grain = config.table.grain
    let timeColumn = config.contract.eventTimeIndex
    // A probe aggregator gives the output schema.
    let probe = try GoldAggregator(
      table: config.table, contract: config.contract, input: schema, clock: clock)
    // Rows as the gold table's columns, plus `final` in update mode; late counts per window.
    let writer = RowJSONWriter(
      schema: TableSchema(
        probe.schema.columns + (config.updates ? [ColumnSpec("final", .boolean)] : [])))
    let lateSchema = TableSchema([
      probe.schema.columns[0], ColumnSpec("late_rows", .int64, nullable: false),
    ])
    let lateWriter = RowJSONWriter(schema: lateSchema)
    var open: [Int64: GoldAggregator] = [:]
    var late: [Int64: Int] = [:]
    var watermark = Int64.min
    var summary = GoldStreamSummary()
    var lastUpdate = SystemClock.monotonicNanoseconds()

    // The live table: final windows appended, partitioned by the bucket's local date.
    let liveSchema =
      grain == .day
      ? probe.schema
      : TableSchema(
        probe.schema.columns + [ColumnSpec(Contract.eventDateColumn, .date, nullable: false)])
    let livePath = try config.into.map { try $0.gold(config.table.name + "_live") }
    var live: DeltaDataWriter?
    var liveRows = 0
    var lastCommit = SystemClock.monotonicNanoseconds()
    func commitLive(force: Bool) throws {
      guard let livePath, let w = live, liveRows > 0 else { return }
      guard
        force
          || Double(SystemClock.monotonicNanoseconds() - lastCommit) / 1e9
            >= config.commitEverySeconds
      else { return }
      let adds = try w.finish()
      let snapshot = try DeltaTable.openOrCreate(
        at: livePath, schema: liveSchema, partitionColumns: [Contract.eventDateColumn],
        engine: config.engine)
      guard snapshot.schema == liveSchema else {
        w.abort()
        throw LakeFailure(
          .data, "\(livePath): its columns differ from gold table '\(config.table.name)'")
      }
      var info = DeltaCommitInfo(
        timestamp: DeltaTable.nowMillis(), operation: "STREAMING UPDATE",
        operationParameters: ["mode": "Append"], engineInfo: config.engine)
      info.extra = [("lhGoldStream", "{\"rows\":\(liveRows)}")]
      _ = try DeltaTable.commit(
        table: livePath, readVersion: snapshot.version,
        actions: [.commitInfo(info)] + adds.map { .add($0) })
      liveRows = 0
      lastCommit = SystemClock.monotonicNanoseconds()
    }

    func bucket(_ micros: Int64) -> Int64 {
      switch grain {
      case .day: clock.localDay(micros)
      case .hour: clock.bucketStart(micros, length: GoldGrain.hour.micros)
      case .minute: floorDivide(micros, GoldGrain.minute.micros) * GoldGrain.minute.micros
      }
    }
    /// The instant a window ends.
    func end(_ b: Int64) -> Int64 {
      switch grain {
      case .minute: return b + GoldGrain.minute.micros
      case .hour: return b + GoldGrain.hour.micros
      case .day:
        let next = (b + 1) * 86_400_000_000
        return next - clock.offset(at: next - clock.offset(at: next))
      }
    }
    func emit(_ b: Int64, final: Bool) throws {
      guard let agg = open[b] else { return }
      var rows = agg.result()
      let n = rows.first?.count ?? 0
      if config.updates {
        var marks = ColumnBuffer(type: .boolean, capacity: n)
        for _ in 0..<n { marks.append(final) }
        rows.append(marks)
      }
      for r in 0..<n { try writer.write(rows, row: r, to: output) }
      if final {
        open[b] = nil
        summary.windows += 1
        if let livePath, n > 0 {
          if config.updates { rows.removeLast() }
          if grain != .day {
            var dates = ColumnBuffer(type: .date, capacity: n)
            dates.append(
              Int32(truncatingIfNeeded: clock.localDay(b)), repeating: n)
            rows.append(dates)
          }
          if live == nil {
            live = try DeltaDataWriter(
              table: livePath, schema: liveSchema, partitionColumns: [Contract.eventDateColumn])
          }
          try live!.append(&rows)
          liveRows += n
        }
      }
    }
    func emitLate() throws {
      guard !late.isEmpty else { return }
      var columns = lateSchema.columns.map { ColumnBuffer(type: $0.type) }
      for b in late.keys.sorted() {
        if grain == .day {
          columns[0].append(Int32(truncatingIfNeeded: b))
        } else {
          columns[0].append(b)
        }
        columns[1].append(Int64(late[b]!))
      }
      for r in 0..<columns[0].count { try lateWriter.write(columns, row: r, to: output) }
      late.removeAll()
    }
    /// Emits the windows the watermark passed, and the late counts.
    func advance(to mark: Int64) throws {
      for b in open.keys.sorted() where end(b) <= mark { try emit(b, final: true) }
      try emitLate()
      try commitLive(force: false)
      if config.updates
        && Double(SystemClock.monotonicNanoseconds() - lastUpdate) / 1e9 >= config.updateEvery
      {
        for b in open.keys.sorted() { try emit(b, final: false) }
        summary.updates += 1
        lastUpdate = SystemClock.monotonicNanoseconds()
      }
      try output.flush()
    }
    var keep: [Bool] = []
    func add(_ batch: [ColumnBuffer]) throws {
      let times = batch[timeColumn]
      let rows = times.count
      guard rows > 0 else { return }
      summary.rows += rows
      var buckets: [Int64] = []
      buckets.reserveCapacity(rows)
      var newest = watermark == Int64.min ? Int64.min : watermark + config.watermark
      for r in 0..<rows {
        let t = times.int64s[r]
        buckets.append(bucket(t))
        newest = max(newest, t)
      }
      for b in Set(buckets).sorted() {
        keep.removeAll(keepingCapacity: true)
        var n = 0
        for r in 0..<rows {
          let mine = buckets[r] == b
          keep.append(mine)
          if mine { n += 1 }
        }
        if watermark != Int64.min && end(b) <= watermark && open[b] == nil {
          late[b, default: 0] += n
          summary.lateRows += n
          continue
        }
        let agg =
          try open[b]
          ?? GoldAggregator(
            table: config.table, contract: config.contract, input: schema, clock: clock)
        open[b] = agg
        try agg.add(batch, rows: n == rows ? nil : keep)
      }
      watermark = max(watermark, newest &- config.watermark)
      try advance(to: watermark)
    }

    let source = try ByteSource(path: config.input)
    let format = InputFormat.sniff(try source.peek(4))
    switch format {
    case .ndjson(let compression):
      let reader = try LineReader(
        source: source, compression: compression, maxLineBytes: config.maxLineBytes)
      reader.idleMilliseconds = 200
      var decoder = NDJSONRowDecoder(schema: schema)
      var columns = decoder.makeColumns(capacity: 4096)
      func flush() throws {
        if columns[0].count > 0 {
          try add(columns)
          for c in columns.indices { columns[c].removeAll() }
        } else {
          try advance(to: watermark)
        }
      }
      try reader.forEachLine(idle: flush) { line, number in
        do {
          try decoder.decode(line, into: &columns)
        } catch let e as LakeError {
          throw LakeFailure(.data, "\(source.name):\(number): \(e)")
        }
        if columns[0].count >= 4096 { try flush() }
        return Interrupt.requested == 0
      }
      try flush()
      summary.interrupted = reader.interrupted || Interrupt.requested != 0
    case .parquet:
      let rows = try RowReader(path: config.input, schema: schema)
      while let batch = try rows.nextBatch() {
        try add(batch)
        if Interrupt.requested != 0 {
          summary.interrupted = true
          break
        }
      }
    }
    // End of input: every open window is final.
    for b in open.keys.sorted() { try emit(b, final: true) }
    try emitLate()
    try output.flush()
    try commitLive(force: true)
    return summary
  }
}
