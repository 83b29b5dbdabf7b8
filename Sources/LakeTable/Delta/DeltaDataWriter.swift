// LakeTable/Delta/DeltaDataWriter.swift
//
// The data files of one commit, written as rows arrive: a caller appends chunks of rows (every
// column of the table's schema, partition columns included), then `finish` closes the files and
// returns their `add` actions for the commit. Memory is bounded by the chunks in flight and the
// open row groups, not by the size of the commit.
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
  public init(
    table: String, schema: TableSchema, partitionColumns: [String],
    options: ParquetWriteOptions = .init(), threads: Int = 1
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
      dataSchema: dataSchema, options: options)
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
  final class Lane: @unchecked Sendable {
    let number: Int
    let layout: Layout
    var files: [[String?]: OpenFile] = [:]
    var order: [[String?]] = []

    struct OpenFile {
      let writer: ParquetFileWriter
      let relative: String
    }

    init(number: Int, layout: Layout) {
      self.number = number
      self.layout = layout
    }

    /// Writes a chunk's rows into the files of their partitions.
    func write(_ chunk: [ColumnBuffer]) throws {
      let rows = chunk[0].count
      let p = layout.partitionIndices
      if p.isEmpty || (1..<rows).allSatisfy({ r in p.allSatisfy { sameValue(chunk[$0], 0, r) } }) {
        let key = try p.map { try DeltaTable.partitionValue(chunk[$0], row: 0) }
        try file(for: key).writer.write(layout.dataIndices.map { chunk[$0] })
        return
      }
      // Rows of several partitions: group them, in order of first appearance.
      var groups: [[String?]: [Int]] = [:]
      var keys: [[String?]] = []
      for r in 0..<rows {
        let key = try p.map { try DeltaTable.partitionValue(chunk[$0], row: r) }
        if groups[key] == nil { keys.append(key) }
        groups[key, default: []].append(r)
      }
      for key in keys {
        let members = groups[key]!
        var part = layout.dataIndices.map {
          ColumnBuffer(type: layout.schema.columns[$0].type, capacity: members.count)
        }
        for (k, c) in layout.dataIndices.enumerated() {
          for r in members { part[k].append(from: chunk[c], row: r) }
        }
        try file(for: key).writer.write(part)
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
          options: layout.options),
        relative: relative)
      files[key] = open
      order.append(key)
      return open
    }

    /// Closes the lane's files (fsync, rename into place); their `add` actions.
    func close() throws -> [DeltaAdd] {
      defer {
        files.removeAll()
        order.removeAll()
      }
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
      files.removeAll()
      order.removeAll()
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
