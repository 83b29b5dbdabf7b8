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
// `finish` closes every lane's files, then fsyncs every file written and its directories
// together on several threads (`syncFiles`: their fsyncs overlap, one wait instead of one per file). With `threads` == 1 all
// work happens on the caller's thread.
//
//   caller ── append(chunk) ──▶ [queue, bounded] ──▶ lane 0: split by partition → Parquet files
//         ◀── takeChunk() ──── [free chunks]    ──▶ lane 1: …
//   finish(): wait for the queue to drain, every lane closes its files → [DeltaAdd]

import LakeFormats
import LakeIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
  /// - Parameter maxOpenFiles: The most files a thread keeps open at once (default:
  ///   `DeltaDataWriter.defaultOpenFiles(threads:)`, from the process's descriptor limit). A
  ///   partition that needs a file when that many are open finishes the least recently written
  ///   one (a complete file, committed with the others); its later rows go to a new file.
  public init(
    table: String, schema: TableSchema, partitionColumns: [String],
    options: ParquetWriteOptions = .init(), threads: Int = 1, maxBufferedBytes: Int? = nil,
    maxOpenFiles: Int? = nil
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
      maxBufferedBytes: maxBufferedBytes ?? 2 * options.maxRowGroupBytes,
      maxOpenFiles: max(1, maxOpenFiles ?? Self.defaultOpenFiles(threads: lanes)))
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

  /// The files a writer thread keeps open by default.
  ///
  /// A quarter of the process's soft limit on descriptors (`RLIMIT_NOFILE`, less 64 kept for
  /// everything else) shared by `threads` threads, between 4 and 128 (128 when unlimited). So
  /// under `ulimit -n 256` two threads keep 24 each, under 1024 two threads keep 120 each, and a
  /// process may run a few writers at once.
  public static func defaultOpenFiles(threads: Int) -> Int {
    var limit = rlimit()
    #if os(Linux)
    let resource = Int32(RLIMIT_NOFILE.rawValue)
    #else
    let resource = RLIMIT_NOFILE
    #endif
    guard getrlimit(resource, &limit) == 0 else { return 128 }
    let soft = Int(clamping: limit.rlim_cur)  // RLIM_INFINITY: past Int.max, so 128
    return min(128, max(4, (soft - 64) / 4 / max(1, threads)))
  }

  /// Files open now, over every thread's files.
  ///
  /// For tests; with worker threads, call it when no chunk is in flight.
  var openFiles: Int {
    if let inline { return inline.files.count }
    return shared.monitor.withLock { shared.lanes.reduce(0) { $0 + $1.files.count } }
  }

  /// The most files open at once so far, over every thread (each thread's own highest, summed).
  var mostOpenFiles: Int {
    if let inline { return inline.mostOpen }
    return shared.monitor.withLock { shared.lanes.reduce(0) { $0 + $1.mostOpen } }
  }

  /// Bytes the column writers of the open files hold, over every thread's files.
  ///
  /// For tests; with worker threads, call it when no chunk is in flight.
  var bufferedBytes: Int {
    if let inline { return inline.buffered }
    return shared.monitor.withLock { shared.lanes.reduce(0) { $0 + $1.buffered } }
  }

  /// Closes every file written and makes them durable (each file and the directories up to
  /// the table's, synced together on several threads); returns their `add` actions (not yet
  /// committed).
  ///
  /// The writer can then take the chunks of the next commit.
  public func finish() throws -> [DeltaAdd] {
    let adds = try closeFiles()
    do {
      try syncFiles(
        try adds.map { table + "/" + (try PartitionPath.uriDecode($0.path)) }, root: table)
    } catch {
      for add in adds {
        if let relative = try? PartitionPath.uriDecode(add.path) { unlink(table + "/" + relative) }
      }
      throw error
    }
    return adds
  }

  /// Closes every lane's files (renamed into place, not yet synced); their `add` actions.
  func closeFiles() throws -> [DeltaAdd] {
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
    /// The most files a lane keeps open at once.
    let maxOpenFiles: Int
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

  /// One lane: its open files, one per partition, at most `layout.maxOpenFiles`.
  ///
  /// Memory: the column writers of all its files together hold at most `layout.maxBufferedBytes`
  /// (when a chunk takes them over, the fullest row groups are written out, and their writers'
  /// buffers freed, until they hold at most half of it); the files share one set of page
  /// buffers and one zstd context (`scratch`). So a commit that touches many partitions holds
  /// about what one of a single partition does, whatever the number of files.
  ///
  /// Descriptors: when a partition needs a file and `layout.maxOpenFiles` are open, the least
  /// recently written file is finished (footer, renamed into place; synced with the others by
  /// `finish`) and its `add` kept for `close`; a later row of its partition opens a new file. Rows in event order finish each
  /// day's file once, after its last row.
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
    /// Rows gathered per partition for a chunk whose partitions alternate row by row.
    var part: [ColumnBuffer] = []
    var rowsOf: [Slot: [Int32]] = [:]
    /// Files finished early (to keep at most `layout.maxOpenFiles` open): their `add` actions.
    var finished: [DeltaAdd] = []
    /// Counts writes, to find the least recently written file.
    var clock = 0
    /// The most files open at once.
    var mostOpen = 0

    /// A partition of a chunk's row: its single int32-backed value, or its values as text.
    enum Slot: Hashable {
      case int32(Int32)
      case key([String?])
    }

    final class OpenFile {
      let writer: ParquetFileWriter
      let relative: String
      let key: [String?]
      /// Its partition's int32 value, when routed by it (`byInt32`).
      var int32: Int32?
      /// `writer.heldBytes` when last measured.
      var buffered = 0
      /// `clock` when last written.
      var used = 0

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
      // Runs of consecutive rows of one partition. A run's file is found only when it is
      // written, so a file finished to make room is never written after.
      var runs: [(start: Int, slot: Slot)] = []
      if p.count == 1, chunk[p[0]].type.storage == .int32, chunk[p[0]].validity.isEmpty {
        chunk[p[0]].int32s.withUnsafeBufferPointer { v in
          var current = v[0]
          runs.append((0, .int32(current)))
          for r in 1..<rows where v[r] != current {
            current = v[r]
            runs.append((r, .int32(current)))
          }
        }
      } else {
        runs.append((0, .key(try key(chunk, row: 0))))
        for r in 1..<rows where !p.allSatisfy({ sameValue(chunk[$0], r - 1, r) }) {
          runs.append((r, .key(try key(chunk, row: r))))
        }
      }
      if runs.count == 1 || runs.count * 32 <= rows {
        // Long runs (rows in event order): each written straight from the chunk.
        for (i, run) in runs.enumerated() {
          let end = i + 1 < runs.count ? runs[i + 1].start : rows
          let open = try file(run.slot, chunk: chunk, row: run.start)
          try open.writer.write(data, rows: run.start..<end)
          try measure(open)
        }
      } else {
        // Partitions alternating: each partition's rows gathered, in order of first appearance.
        var touched: [(slot: Slot, row: Int)] = []
        for (i, run) in runs.enumerated() {
          let end = i + 1 < runs.count ? runs[i + 1].start : rows
          if rowsOf[run.slot] == nil {
            touched.append((run.slot, run.start))
            rowsOf[run.slot] = []
          }
          for r in run.start..<end { rowsOf[run.slot]!.append(Int32(truncatingIfNeeded: r)) }
        }
        if part.isEmpty {
          part = layout.dataIndices.map { ColumnBuffer(type: layout.schema.columns[$0].type) }
        }
        for (slot, row) in touched {
          let members = rowsOf.removeValue(forKey: slot) ?? []
          members.withUnsafeBufferPointer { m in
            for k in part.indices { part[k].append(from: data[k], rows: m) }
          }
          let open = try file(slot, chunk: chunk, row: row)
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

    /// The file of `slot`'s partition (row `row` of `chunk`), opened if need be; marked written.
    func file(_ slot: Slot, chunk: [ColumnBuffer], row: Int) throws -> OpenFile {
      switch slot {
      case .int32(let value):
        if let open = byInt32[value] {
          clock += 1
          open.used = clock
          return open
        }
        let open = try file(for: try key(chunk, row: row))
        open.int32 = value
        byInt32[value] = open
        return open
      case .key(let key):
        return try file(for: key)
      }
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

    /// The open file of the partition `key`, opened if need be (finishing the least recently
    /// written file when `layout.maxOpenFiles` are open); marked written.
    func file(for key: [String?]) throws -> OpenFile {
      clock += 1
      if let open = files[key] {
        open.used = clock
        return open
      }
      if files.count >= layout.maxOpenFiles,
        let oldest = files.values.min(by: { $0.used < $1.used })
      {
        try finish(oldest)
      }
      var dir = ""
      for (i, p) in layout.partitionIndices.enumerated() {
        dir += PartitionPath.segment(column: layout.schema.columns[p].name, value: key[i]) + "/"
      }
      try DeltaTable.makeDirectories(layout.table + "/" + dir)
      let part = String(number)
      let relative =
        dir + "part-" + String(repeating: "0", count: max(0, 5 - part.count)) + part + "-"
        + DeltaTable.uuid() + "-c000.zstd.parquet"
      let writer = try ParquetFileWriter(
        path: layout.table + "/" + relative, schema: layout.dataSchema,
        options: layout.options, scratch: scratch)
      // Synced all at once by `finish`, before the commit refers to them.
      writer.deferSync = true
      let open = OpenFile(writer: writer, relative: relative, key: key)
      open.used = clock
      files[key] = open
      order.append(key)
      mostOpen = max(mostOpen, files.count)
      return open
    }

    /// Closes `open` now (renamed into place; synced by the writer's `finish`), keeping its
    /// `add` for `close`.
    func finish(_ open: OpenFile) throws {
      files[open.key] = nil
      if let value = open.int32 { byInt32[value] = nil }
      if let i = order.firstIndex(of: open.key) { order.remove(at: i) }
      buffered -= open.buffered
      finished.append(try add(open, open.writer.close()))
    }

    /// The `add` action of `open`, closed with `summary`.
    func add(_ open: OpenFile, _ summary: ParquetFileSummary) -> DeltaAdd {
      var values: [String: String?] = [:]
      for (i, p) in layout.partitionIndices.enumerated() {
        values[layout.schema.columns[p].name] = open.key[i]
      }
      return DeltaAdd(
        path: PartitionPath.uriEncode(open.relative), partitionValues: values,
        size: Int64(summary.bytes), modificationTime: DeltaTable.nowMillis(),
        dataChange: true,
        stats: DeltaStats.json(
          rows: summary.rows, schema: layout.dataSchema, statistics: summary.statistics))
    }

    /// Forgets the lane's files (closed or dropped).
    func forget() {
      files.removeAll()
      order.removeAll()
      byInt32.removeAll()
      finished.removeAll()
      buffered = 0
    }

    /// Closes the lane's files (renamed into place, synced by the writer's `finish`); their
    /// `add` actions, with those of the files finished early.
    func close() throws -> [DeltaAdd] {
      defer { forget() }
      var adds = finished
      for key in order {
        let open = files[key]!
        adds.append(add(open, try open.writer.close()))
      }
      return adds
    }

    /// Drops the lane's unfinished files and removes those finished early (none is committed).
    func abort() {
      for open in files.values { open.writer.abort() }
      for add in finished {
        if let relative = try? PartitionPath.uriDecode(add.path) {
          unlink(layout.table + "/" + relative)
        }
      }
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
