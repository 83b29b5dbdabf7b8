// LakeTable/Delta/DeltaDataWriter.swift
//
// The data files of one commit, written as rows arrive: a caller appends chunks of rows (every
// column of the table's schema, partition columns included), then `finish` closes the files and
// returns their `add` actions for the commit. Memory is bounded by the chunks in flight and the
// open row groups, not by the size of the commit nor by the number of partitions it touches: the
// column writers of a lane's open files together hold at most `maxBufferedBytes` (when a chunk
// takes them over, the fullest row groups are written out early and their writers' buffers
// freed), and its files share one set of page buffers and one zstd context. Rows in event order reach their partition's file in runs, written straight from the
// chunk; rows whose partitions alternate are gathered per file first.
//
// With `threads` > 1 the chunks are encoded and compressed on that many worker threads ("lanes")
// while the caller goes on producing the next chunk. Each lane writes its own files (one per
// partition it has seen), so a commit of a single partition written by two lanes has two files;
// `finish` closes every lane's files in parallel (their fsyncs overlap). With `threads` == 1 all
// work happens on the caller's thread.
//
//   caller ── append(chunk) ──▶ [queue, bounded] ──▶ lane 0: split by partition → Parquet files
//         ◀── takeChunk() ──── [free chunks]    ──▶ lane 1: …
//   finish(): wait for the queue to drain, every lane closes its files → [DeltaAdd]

import LakeFormats
import LakeIO

/// Writes the data files of one commit into a Delta table.
public final class DeltaDataWriter {
  let table: String
  let schema: TableSchema
  let partitionIndices: [Int]
  let dataIndices: [Int]
  let dataSchema: TableSchema
  let options: ParquetWriteOptions
  let shared: Shared
  var workers: [WorkerThread] = []
  /// The lane used when there are no worker threads.
  let inline: Lane?

  /// A writer for the table at `table` with `schema` and `partitionColumns`, using `threads`
  /// worker threads (1: none, the caller's thread does the work).
  ///
  /// - Parameter maxBufferedBytes: The most the column writers of all open files hold together
  ///   (pages, staged values, dictionaries), per thread (default: twice
  ///   `options.maxRowGroupBytes`). Over it, the fullest are written
  ///   out early, as smaller row groups of the same files.
  public init(
    table: String, schema: TableSchema, partitionColumns: [String],
    options: ParquetWriteOptions = .init(), threads: Int = 1, maxBufferedBytes: Int? = nil
  ) throws {
    self.table = table
    self.schema = schema
    self.options = options
    let partitionIndices = try partitionColumns.map { name in
      guard let i = schema.index(of: name) else {
        throw LakeFailure(.data, "partition column '\(name)' is not in the schema")
      }
      return i
    }
    self.partitionIndices = partitionIndices
    let dataIndices = schema.columns.indices.filter { !partitionIndices.contains($0) }
    self.dataIndices = dataIndices
    dataSchema = TableSchema(dataIndices.map { schema.columns[$0] })
    let lanes = max(1, threads)
    shared = Shared(lanes: lanes > 1 ? lanes : 0)
    let layout = Layout(
      table: table, schema: schema, partitionIndices: partitionIndices, dataIndices: dataIndices,
      dataSchema: dataSchema, options: options,
      maxBufferedBytes: maxBufferedBytes ?? 2 * options.maxRowGroupBytes)
    if lanes == 1 {
      inline = Lane(number: 0, layout: layout)
    } else {
      inline = nil
      shared.lanes = (0..<lanes).map { Lane(number: $0, layout: layout) }
      for lane in shared.lanes {
        let shared = self.shared
        workers.append(try WorkerThread.start { shared.work(lane) })
      }
    }
  }

  /// A writer for the files of the next commit to the table of `snapshot`.
  public convenience init(
    snapshot: Snapshot, options: ParquetWriteOptions = .init(), threads: Int = 1
  ) throws {
    try self.init(
      table: snapshot.table, schema: snapshot.schema,
      partitionColumns: snapshot.metadata.partitionColumns, options: options, threads: threads)
  }

  deinit {
    shared.monitor.withLock {
      shared.stopping = true
      shared.monitor.broadcast()
    }
    for t in workers { t.join() }
    inline?.abort()
    for lane in shared.lanes { lane.abort() }
  }

  /// An empty chunk (one buffer per schema column) to fill and hand to `append`.
  public func emptyChunk() -> [ColumnBuffer] {
    schema.columns.map { ColumnBuffer(type: $0.type) }
  }

  /// Appends rows: one buffer per schema column, in schema order, all of one row count.
  ///
  /// The writer takes `chunk` and leaves an empty one in its place (reusing the storage of a
  /// chunk already written, so a steady stream allocates nothing).
  ///
  /// With worker threads this returns once the chunk is queued (waiting while the queue is
  /// full); an error of a lane surfaces here or in `finish`.
  public func append(_ chunk: inout [ColumnBuffer]) throws {
    guard chunk.count == schema.columns.count else {
      throw LakeFailure(
        .software,
        "\(table): a chunk has \(chunk.count) columns, the schema \(schema.columns.count)")
    }
    guard (chunk.first?.count ?? 0) > 0 else { return }
    if let inline {
      try inline.write(chunk)
      for c in chunk.indices { chunk[c].removeAll() }
      return
    }
    let taken = chunk
    chunk = []
    try shared.monitor.withLock {
      while shared.queue.count - shared.head >= shared.lanes.count && shared.failure == nil {
        shared.monitor.wait()
      }
      if let failure = shared.failure { throw failure }
      shared.queue.append(taken)
      chunk = shared.free.popLast() ?? []
      shared.monitor.broadcast()
    }
    if chunk.isEmpty { chunk = emptyChunk() }
  }

  /// Bytes the column writers of the open files hold, over every thread's files.
  ///
  /// For tests; with worker threads, call it when no chunk is in flight.
  var bufferedBytes: Int {
    if let inline { return inline.buffered }
    return shared.monitor.withLock { shared.lanes.reduce(0) { $0 + $1.buffered } }
  }

  /// Closes every file written; returns their `add` actions (not yet committed).
  ///
  /// The writer can then take the chunks of the next commit.
  public func finish() throws -> [DeltaAdd] {
    if let inline { return try inline.close() }
    return try shared.monitor.withLock {
      while shared.head < shared.queue.count && shared.failure == nil { shared.monitor.wait() }
      shared.sealed = 0
      shared.adds = []
      for i in shared.sealRequested.indices { shared.sealRequested[i] = true }
      shared.monitor.broadcast()
      while shared.sealed < shared.lanes.count { shared.monitor.wait() }
      if let failure = shared.failure { throw failure }
      return shared.adds.sorted { $0.path < $1.path }
    }
  }

  /// Removes the files written so far (none of them is committed).
  public func abort() {
    if let inline {
      inline.abort()
      return
    }
    shared.monitor.withLock {
      while shared.busy > 0 { shared.monitor.wait() }
      shared.queue.removeAll()
      shared.head = 0
      for lane in shared.lanes { lane.abort() }
    }
  }

  /// Where files go and which columns they hold.
  struct Layout: @unchecked Sendable {
    let table: String
    let schema: TableSchema
    let partitionIndices: [Int]
    let dataIndices: [Int]
    let dataSchema: TableSchema
    let options: ParquetWriteOptions
    /// The most the column writers of a lane's open files hold together.
    let maxBufferedBytes: Int
  }

  /// The state the caller and the lanes share, guarded by `monitor`.
  final class Shared: @unchecked Sendable {
    let monitor = Monitor()
    /// Chunks queued; those before `head` are taken.
    var queue: [[ColumnBuffer]] = []
    var head = 0
    var busy = 0
    var free: [[ColumnBuffer]] = []
    var lanes: [Lane] = []
    var sealRequested: [Bool]
    var sealed = 0
    var adds: [DeltaAdd] = []
    var failure: (any Error)?
    var stopping = false

    init(lanes: Int) {
      sealRequested = [Bool](repeating: false, count: lanes)
    }

    /// A lane's thread: takes queued chunks, closes its files when asked, until stopped.
    func work(_ lane: Lane) {
      work: while true {
        var job: [ColumnBuffer]? = nil
        var seal = false
        monitor.withLock {
          while true {
            if head < queue.count {
              job = queue[head]
              queue[head] = []
              head += 1
              if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
              }
              busy += 1
              monitor.broadcast()  // room in the queue
              return
            }
            if sealRequested[lane.number] {
              sealRequested[lane.number] = false
              seal = true
              return
            }
            if stopping { return }
            monitor.wait()
          }
        }
        if var chunk = job.take() {
          var error: (any Error)?
          if monitor.withLock({ failure == nil }) {
            do { try lane.write(chunk) } catch let e { error = e }
          }
          for c in chunk.indices { chunk[c].removeAll() }
          monitor.withLock {
            if let error, failure == nil { failure = error }
            busy -= 1
            if free.count < 2 { free.append(chunk) }
            monitor.broadcast()
          }
        } else if seal {
          var closed: [DeltaAdd] = []
          var error: (any Error)?
          do { closed = try lane.close() } catch let e { error = e }
          monitor.withLock {
            if let error, failure == nil { failure = error }
            adds += closed
            sealed += 1
            monitor.broadcast()
          }
        } else {
          break work
        }
      }
    }
  }

  /// One lane: its open files, one per partition.
  ///
  /// Memory: the column writers of all its files together hold at most `layout.maxBufferedBytes`
  /// (when a chunk takes them over, the fullest row groups are written out, and their writers'
  /// buffers freed, until they hold at most half of it); the files share one set of page
  /// buffers and one zstd context (`scratch`). So a commit that touches many partitions holds
  /// about what one of a single partition does, whatever the number of files.
  final class Lane: @unchecked Sendable {
    let number: Int
    let layout: Layout
    var files: [[String?]: OpenFile] = [:]
    var order: [[String?]] = []
    let scratch = ParquetWriterScratch()
    /// Bytes the writers of `files` hold (the sum of their `buffered`).
    var buffered = 0
    /// Files by the value of a single int32-backed partition column (a date), when that is the
    /// layout: rows are routed without building their partition's text.
    var byInt32: [Int32: OpenFile] = [:]
    /// Rows gathered per file for a chunk whose partitions alternate row by row.
    var part: [ColumnBuffer] = []
    var rowsOf: [ObjectIdentifier: [Int32]] = [:]

    final class OpenFile {
      let writer: ParquetFileWriter
      let relative: String
      let key: [String?]
      /// `writer.heldBytes` when last measured.
      var buffered = 0

      init(writer: ParquetFileWriter, relative: String, key: [String?]) {
        self.writer = writer
        self.relative = relative
        self.key = key
      }
    }

    init(number: Int, layout: Layout) {
      self.number = number
      self.layout = layout
    }

    /// Writes a chunk's rows into the files of their partitions.
    func write(_ chunk: [ColumnBuffer]) throws {
      let rows = chunk[0].count
      guard rows > 0 else { return }
      let p = layout.partitionIndices
      let data = layout.dataIndices.map { chunk[$0] }
      // Runs of consecutive rows of one partition, each with its file.
      var runs: [(start: Int, file: OpenFile)] = []
      if p.count == 1, chunk[p[0]].type.storage == .int32, chunk[p[0]].validity.isEmpty {
        try chunk[p[0]].int32s.withUnsafeBufferPointer { v in
          var current = v[0]
          runs.append((0, try file(int32: current, chunk: chunk, row: 0)))
          for r in 1..<rows where v[r] != current {
            current = v[r]
            runs.append((r, try file(int32: current, chunk: chunk, row: r)))
          }
        }
      } else {
        runs.append((0, try file(for: try key(chunk, row: 0))))
        for r in 1..<rows where !p.allSatisfy({ sameValue(chunk[$0], r - 1, r) }) {
          runs.append((r, try file(for: try key(chunk, row: r))))
        }
      }
      if runs.count == 1 || runs.count * 32 <= rows {
        // Long runs (rows in event order): each written straight from the chunk.
        for (i, run) in runs.enumerated() {
          let end = i + 1 < runs.count ? runs[i + 1].start : rows
          try run.file.writer.write(data, rows: run.start..<end)
          try measure(run.file)
        }
      } else {
        // Partitions alternating: each file's rows gathered, in order of first appearance.
        var touched: [OpenFile] = []
        for (i, run) in runs.enumerated() {
          let end = i + 1 < runs.count ? runs[i + 1].start : rows
          let id = ObjectIdentifier(run.file)
          if rowsOf[id] == nil {
            touched.append(run.file)
            rowsOf[id] = []
          }
          for r in run.start..<end { rowsOf[id]!.append(Int32(truncatingIfNeeded: r)) }
        }
        if part.isEmpty {
          part = layout.dataIndices.map { ColumnBuffer(type: layout.schema.columns[$0].type) }
        }
        for open in touched {
          let members = rowsOf.removeValue(forKey: ObjectIdentifier(open)) ?? []
          members.withUnsafeBufferPointer { m in
            for k in part.indices { part[k].append(from: data[k], rows: m) }
          }
          try open.writer.write(part)
          for k in part.indices { part[k].removeAll() }
          try measure(open)
        }
      }
      try balance()
    }

    /// The partition values of row `r`.
    func key(_ chunk: [ColumnBuffer], row r: Int) throws -> [String?] {
      try layout.partitionIndices.map { try DeltaTable.partitionValue(chunk[$0], row: r) }
    }

    /// The file of the partition whose single int32-backed column holds `value`.
    func file(int32 value: Int32, chunk: [ColumnBuffer], row: Int) throws -> OpenFile {
      if let open = byInt32[value] { return open }
      let open = try file(for: try key(chunk, row: row))
      byInt32[value] = open
      return open
    }

    /// Records what `open`'s writer holds now.
    func measure(_ open: OpenFile) throws {
      let now = open.writer.heldBytes
      buffered += now - open.buffered
      open.buffered = now
    }

    /// Keeps the writers under the budget: over it, the fullest row groups are written out (their
    /// writers' buffers freed) until they hold at most half of it.
    func balance() throws {
      guard buffered > layout.maxBufferedBytes else { return }
      var fullest = order.compactMap { files[$0] }.filter { $0.buffered > 0 }
      fullest.sort { $0.buffered > $1.buffered }
      for open in fullest where buffered > layout.maxBufferedBytes / 2 {
        try open.writer.endRowGroup(release: true)
        try measure(open)
      }
    }

    func file(for key: [String?]) throws -> OpenFile {
      if let open = files[key] { return open }
      var dir = ""
      for (i, p) in layout.partitionIndices.enumerated() {
        dir += PartitionPath.segment(column: layout.schema.columns[p].name, value: key[i]) + "/"
      }
      try DeltaTable.makeDirectories(layout.table + "/" + dir)
      let part = String(number)
      let relative =
        dir + "part-" + String(repeating: "0", count: max(0, 5 - part.count)) + part + "-"
        + DeltaTable.uuid() + "-c000.zstd.parquet"
      let open = OpenFile(
        writer: try ParquetFileWriter(
          path: layout.table + "/" + relative, schema: layout.dataSchema,
          options: layout.options, scratch: scratch),
        relative: relative, key: key)
      files[key] = open
      order.append(key)
      return open
    }

    /// Forgets the lane's files (closed or dropped).
    func forget() {
      files.removeAll()
      order.removeAll()
      byInt32.removeAll()
      buffered = 0
    }

    /// Closes the lane's files (fsync, rename into place); their `add` actions.
    func close() throws -> [DeltaAdd] {
      defer { forget() }
      var adds: [DeltaAdd] = []
      for key in order {
        let open = files[key]!
        let summary = try open.writer.close()
        var values: [String: String?] = [:]
        for (i, p) in layout.partitionIndices.enumerated() {
          values[layout.schema.columns[p].name] = key[i]
        }
        adds.append(
          DeltaAdd(
            path: PartitionPath.uriEncode(open.relative), partitionValues: values,
            size: Int64(summary.bytes), modificationTime: DeltaTable.nowMillis(),
            dataChange: true,
            stats: DeltaStats.json(
              rows: summary.rows, schema: layout.dataSchema, statistics: summary.statistics)))
      }
      return adds
    }

    /// Drops the lane's unfinished files.
    func abort() {
      for open in files.values { open.writer.abort() }
      forget()
    }
  }
}

/// True when rows `a` and `b` of `column` hold the same value (or are both null).
func sameValue(_ column: ColumnBuffer, _ a: Int, _ b: Int) -> Bool {
  let va = column.isValid(a)
  guard va == column.isValid(b) else { return false }
  guard va else { return true }
  switch column.type.storage {
  case .boolean: return column.booleans[a] == column.booleans[b]
  case .int32: return column.int32s[a] == column.int32s[b]
  case .int64: return column.int64s[a] == column.int64s[b]
  case .int128: return column.int128s[a] == column.int128s[b]
  case .float: return column.floats[a].bitPattern == column.floats[b].bitPattern
  case .double: return column.doubles[a].bitPattern == column.doubles[b].bitPattern
  case .bytes: return column.bytes(at: a).elementsEqual(column.bytes(at: b))
  }
}
