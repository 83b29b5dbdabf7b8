// LakeStages/Bronze/BronzeStage.swift
//
// lh-bronze: raw landing that never loses a line. Every input line becomes one row of
// LAKE/bronze/events, byte-exact, with where it came from:
//
//   line           string    the line, when it is valid UTF-8 (the ordinary case, readable as text)
//   line_bytes     binary    the exact bytes, only when the line is not valid UTF-8
//   source         string    the file as named, or "stdin"
//   source_digest  string    128-bit content digest of the file's bytes (null for stdin)
//   line_number    int64     1-based line number within the source
//   ingested_at    timestamp when lh-bronze read the line (UTC)
//   ingest_date    date      its UTC date: the partition column
//
// Lines are "\n"-terminated; a "\r" before it is kept (byte-exact); a last line without "\n" is a
// line. Compressed files (zstd, gzip) are detected by content and land decompressed.
//
// Exactly once for files: each commit carries, per file, a txn `lh-bronze:content:<digest>` whose
// version is how many of its lines are landed. A file seen again (same bytes, any name) skips the
// lines already landed: a fully landed file is skipped, an interrupted one resumes. Runs landing
// files take the table's lock (TableLock), so a second run waits and then skips what the first
// landed; a writer that is not lh landing the same file at once conflicts on that txn, and the
// loser exits 75 and lands nothing.
// Commits happen every `commitEveryRows` rows or `commitEverySeconds` seconds (also while a
// stream is quiet), at the end, and on SIGINT/SIGTERM; a kill -9 loses at most the batch not
// yet committed, whose data files are unreferenced (vacuum removes them).

import LakeFormats
import LakeIO
import LakeTable

/// What one lh-bronze run is asked to do.
public struct BronzeConfig: Sendable {
  public var lake: LakeLayout
  /// Files to land; nil means stdin.
  public var inputs: [String?]
  public var commitEveryRows = 1_000_000
  public var commitEverySeconds = 30.0
  /// Worker threads that encode and compress (default: one per processor).
  public var threads = availableProcessors
  /// Rows go to the writer in chunks of at most this many line bytes or rows.
  public var chunkBytes = 4 << 20
  public var chunkRows = 65_536
  public var dryRun = false
  public var maxLineBytes = LineReader.defaultMaxLineBytes
  /// How long to wait for another run landing files (see `run`).
  public var lockWait = LockWait.default
  /// "lh-bronze/0.1.0", written as engineInfo.
  public var engine: String
  /// Data file options (zstd level).
  ///
  /// Row groups are bounded at 8 MiB (about 230,000 lines of 290 bytes) so that a lane's open
  /// file, and a reader of one row group (lh-silver), hold little in memory; pages
  /// hold up to 4 MiB, since raw lines compress faster and smaller in larger frames (zstd level
  /// 3 on NDJSON: 365 MB/s and ×5.6 in 1 MiB frames, 427 MB/s and ×6.1 in 4 MiB ones).
  public var parquet: ParquetWriteOptions = {
    var o = ParquetWriteOptions()
    o.maxRowGroupBytes = 8 << 20
    o.maxPageBytes = 4 << 20
    o.maxPageRows = 200_000
    return o
  }()

  public init(lake: LakeLayout, inputs: [String?], engine: String) {
    self.lake = lake
    self.inputs = inputs
    self.engine = engine
  }
}

/// What one run did.
public struct BronzeSummary: Sendable, Equatable {
  public var linesLanded = 0
  /// Bytes of the lines landed (without their newlines).
  public var bytesLanded = 0
  /// Sources read (files and stdin).
  public var sources = 0
  /// Data files written.
  public var dataFiles = 0
  public var commits = 0
  public var lastVersion: Int64?
  /// Files skipped because every line was landed before.
  public var filesSkipped = 0
  /// Lines of files landed before (skipped now).
  public var linesAlreadyLanded = 0
  public var interrupted = false

  public init() {}
}

/// The lh-bronze stage.
public enum BronzeStage {
  /// The bronze table's columns.
  public static let schema = TableSchema([
    ColumnSpec("line", .string), ColumnSpec("line_bytes", .binary),
    ColumnSpec("source", .string, nullable: false),
    ColumnSpec("source_digest", .string), ColumnSpec("line_number", .int64, nullable: false),
    ColumnSpec("ingested_at", .timestamp, nullable: false),
    ColumnSpec("ingest_date", .date, nullable: false),
  ])

  static func appId(_ sha: String) -> String { "lh-bronze:content:" + sha }

  /// The bronze table's lock (`TableLock`).
  static let lockName = "bronze/events"

  /// Lands the inputs.
  ///
  /// `tee`, when given, receives every line landed, unchanged; `waiting` hears that the run
  /// waits for another one's lock; `note` gets one-line reports (dry-run plans, skipped files).
  public static func run(
    _ config: BronzeConfig, tee: OutputBuffer?, waiting: (String) -> Void = { _ in },
    note: (String) -> Void
  ) throws -> BronzeSummary {
    let table = config.lake.bronzeEvents
    var summary = BronzeSummary()
    // A run landing files holds the table's lock from before it reads what is landed until its
    // last commit, so a second run waits, then finds those files landed and skips them. A run
    // reading only stdin takes no lock: its lines have no identity to check, its commits only
    // add files and so never conflict, and a stream that never ends would block every other
    // run.
    let lock =
      config.dryRun || !config.inputs.contains(where: { $0 != nil })
      ? TableLock.none()
      : try TableLock.acquire(
        [lockName], in: config.lake, wait: config.lockWait, createLake: true, waiting: waiting)
    defer { lock.release() }
    let existing =
      try DeltaLog.versions(table: table).isEmpty ? nil : try DeltaLog.snapshot(table: table)
    if let existing {
      guard existing.schema == schema, existing.metadata.partitionColumns == ["ingest_date"] else {
        throw LakeFailure(
          .data, "\(table): not a bronze table (its schema differs from lh-bronze's)")
      }
      try DeltaLog.checkWritable(existing.protocol, table: table)
    }
    // The txn view (landed lines per file) and the version it reflects; refreshed before each
    // file from the commits since, so a file another run landed meanwhile is seen.
    var landed = existing?.transactions ?? [:]
    var viewVersion = existing?.version ?? -1
    var base: [String: Int64] = [:]
    var ownVersions = Set<Int64>()
    func refreshView() throws {
      guard let latest = try DeltaLog.versions(table: table).last, latest > viewVersion else {
        return
      }
      for v in (viewVersion + 1)...latest {
        try DeltaLog.forEachAction(table: table, version: v) {
          if case .txn(let t) = $0 { landed[t.appId] = t.version }
        }
      }
      viewVersion = latest
    }
    var snapshot: Snapshot? = existing
    var readVersion = existing?.version ?? -1
    // Rows go in chunks to a writer that encodes and compresses them on `threads` lanes while
    // this thread reads on; a commit closes the files written since the last one.
    var writer: DeltaDataWriter?
    var batchRows = 0
    var progress: [String: Int64] = [:]
    var lastCommit = SystemClock.monotonicNanoseconds()

    func openWriter() throws -> DeltaDataWriter {
      if let writer { return writer }
      // Files are written before the table exists; it is created by the first commit, so a run
      // that fails before committing leaves no table behind.
      let w = try DeltaDataWriter(
        table: table, schema: schema, partitionColumns: ["ingest_date"],
        options: config.parquet, threads: config.threads)
      writer = w
      return w
    }

    func commit() throws {
      guard batchRows > 0 || !progress.isEmpty else { return }
      let adds: [DeltaAdd]
      if let writer {
        do { adds = try writer.finish() } catch {
          writer.abort()
          throw error
        }
      } else {
        adds = []
      }
      var info = DeltaCommitInfo(
        timestamp: DeltaTable.nowMillis(), operation: "WRITE",
        operationParameters: ["mode": "Append"],
        engineInfo: config.engine)
      info.extra = [("lhBronze", "{\"lines\":\(batchRows)}")]
      let txns = progress.keys.sorted().map {
        DeltaAction.txn(
          DeltaTxn(appId: appId($0), version: progress[$0]!, lastUpdated: info.timestamp))
      }
      let since = progress.keys.compactMap { base[$0] }.min()
      if snapshot == nil {
        snapshot = try DeltaTable.openOrCreate(
          at: table, schema: schema, partitionColumns: ["ingest_date"], engine: config.engine)
        readVersion = snapshot!.version
      }
      readVersion = try DeltaTable.commit(
        table: table, readVersion: readVersion,
        actions: [.commitInfo(info)] + adds.map { .add($0) } + txns,
        conflictsSince: since, ownVersions: ownVersions)
      ownVersions.insert(readVersion)
      summary.commits += 1
      summary.linesLanded += batchRows
      summary.dataFiles += adds.count
      summary.lastVersion = readVersion
      batchRows = 0
      progress.removeAll()
      lastCommit = SystemClock.monotonicNanoseconds()
    }

    func due(rows: Int) -> Bool {
      rows >= config.commitEveryRows
        || Double(SystemClock.monotonicNanoseconds() - lastCommit) / 1e9
          >= config.commitEverySeconds
    }

    for input in config.inputs {
      let name = input ?? "stdin"
      var sha: String?
      if let path = input {
        sha = try hashFile(path)
      }
      if sha != nil { try refreshView() }
      let skip = sha.map { landed[appId($0)] ?? 0 } ?? 0
      if let sha { base[sha] = viewVersion }
      summary.sources += 1
      let source = try ByteSource(path: input)
      let format = InputFormat.sniff(try source.peek(4))
      guard case .ndjson(let compression) = format else {
        throw LakeFailure(
          .data, "\(name): is \(format); lh-bronze lands NDJSON lines (plain, zstd or gzip)")
      }
      let reader = try LineReader(
        source: source, compression: compression, maxLineBytes: config.maxLineBytes)
      reader.keepCarriageReturn = true
      // The per-line state lives in one struct: the line loop touches a single captured
      // variable (captured variables are checked for exclusivity at run time).
      var chunk = Chunk(source: name, digest: sha)
      chunk.rowLimit = max(1, min(config.chunkRows, config.commitEveryRows - batchRows))
      if !config.dryRun { chunk.columns = try openWriter().emptyChunk() }

      // Hands the chunk's rows to the writer; its lines count as landed once committed.
      func flush() throws {
        guard chunk.rows > 0 else { return }
        let w = try openWriter()
        chunk.seal()
        try w.append(&chunk.columns)
        batchRows += chunk.rows
        chunk.reset()
        // The next chunk ends where the commit is due, so a commit holds `commitEveryRows` rows.
        chunk.rowLimit = max(1, min(config.chunkRows, config.commitEveryRows - batchRows))
        if let sha { progress[sha] = chunk.landedUpTo }
      }
      // A quiet stream still commits on time.
      func idle() throws {
        if !config.dryRun && batchRows + chunk.rows > 0 && due(rows: batchRows + chunk.rows) {
          try flush()
          try commit()
        }
      }
      // New input arrived: its lines are stamped with the time it was read; a new UTC day
      // starts a new chunk (one partition per chunk); a commit may be due.
      func didRead() throws {
        guard !config.dryRun else { return }
        chunk.now = SystemClock.wallMicroseconds()
        let day = Int32(truncatingIfNeeded: chunk.now / 86_400_000_000)
        if day != chunk.day {
          try flush()
          chunk.day = day
        }
        if due(rows: batchRows + chunk.rows) && batchRows + chunk.rows > 0 {
          try flush()
          try commit()
        }
      }
      let chunkBytes = config.chunkBytes
      let dryRun = config.dryRun
      try reader.forEachLine(idle: idle, didRead: didRead) { line, number in
        if Int64(number) <= skip {
          chunk.lines = number
          return true
        }
        if let tee {
          try tee.write(line)
          // The newline written in place (a pointer to a temporary array would dangle).
          try tee.reserve(1).pointee = 0x0A
          tee.commit(1)
        }
        if chunk.take(line, number: number, dryRun: dryRun, bytes: chunkBytes) {
          try flush()
          if due(rows: batchRows) {
            try commit()
          }
        }
        return Interrupt.requested == 0
      }
      let lines = chunk.lines
      let newLines = chunk.newLines
      summary.bytesLanded += chunk.sourceBytes
      if !config.dryRun { try flush() }
      if let tee { try tee.flush() }
      summary.linesAlreadyLanded += min(lines, Int(skip))
      if sha != nil && newLines == 0 && lines > 0 {
        summary.filesSkipped += 1
        note("\(name): already landed (\(lines) lines), skipped")
      } else if config.dryRun {
        note(
          "\(name): would land \(newLines) lines" + (skip > 0 ? " (\(skip) already landed)" : ""))
      }
      if reader.interrupted || Interrupt.requested != 0 {
        summary.interrupted = true
        break
      }
    }
    if !config.dryRun { try commit() }
    return summary
  }

  /// Rows of one source and one ingest day on their way to the writer.
  ///
  /// The per-row columns
  /// (line, line number, time) are appended as lines arrive; the columns that hold one value
  /// for the whole chunk (source, digest, date) and the rare `line_bytes` are filled at `seal`.
  struct Chunk {
    var columns: [ColumnBuffer] = []
    let source: [UInt8]
    let digest: [UInt8]?
    var day: Int32 = .min
    /// When the current input was read (µs since the epoch).
    var now = SystemClock.wallMicroseconds()
    var rows = 0
    var lineBytes = 0
    /// Rows after which the chunk goes to the writer (a chunk never crosses a commit).
    var rowLimit = 65_536
    /// Over the whole source: the last line number seen, lines taken (not skipped), their bytes,
    /// and the number of the last line taken.
    var lines = 0
    var newLines = 0
    var sourceBytes = 0
    var landedUpTo: Int64 = 0
    /// Lines that are not UTF-8: (row, bytes) kept in `invalid`.
    var invalidRows: [Int] = []
    var invalid = ColumnBuffer(type: .binary)

    init(source: String, digest: String?) {
      self.source = Array(source.utf8)
      self.digest = digest.map { Array($0.utf8) }
    }

    /// Takes line `number`; true when the chunk is full (`bytes` of lines or `rowLimit` rows).
    mutating func take(
      _ line: UnsafeRawBufferPointer, number: Int, dryRun: Bool, bytes: Int
    ) -> Bool {
      lines = number
      newLines += 1
      if dryRun { return false }
      sourceBytes += line.count
      landedUpTo = Int64(number)
      append(line, number: number, at: now)
      return lineBytes >= bytes || rows >= rowLimit
    }

    mutating func append(_ line: UnsafeRawBufferPointer, number: Int, at time: Int64) {
      if UTF8Validation.isValid(line) {
        columns[0].append(bytes: line)
      } else {
        columns[0].appendNull()
        invalidRows.append(rows)
        invalid.append(bytes: line)
      }
      columns[4].append(Int64(number))
      columns[5].append(time)
      rows += 1
      lineBytes += line.count
    }

    /// Fills the columns that are the same on every row, and `line_bytes`.
    mutating func seal() {
      var next = 0
      for (k, row) in invalidRows.enumerated() {
        columns[1].appendNulls(row - next)
        columns[1].append(from: invalid, row: k)
        next = row + 1
      }
      columns[1].appendNulls(rows - next)
      source.withUnsafeBytes { columns[2].append(bytes: $0, repeating: rows) }
      if let digest {
        digest.withUnsafeBytes { columns[3].append(bytes: $0, repeating: rows) }
      } else {
        columns[3].appendNulls(rows)
      }
      columns[6].append(day, repeating: rows)
    }

    mutating func reset() {
      rows = 0
      lineBytes = 0
      invalidRows.removeAll()
      invalid.removeAll()
    }
  }

  /// The content digest of a file's bytes.
  static func hashFile(_ path: String) throws -> String {
    let source = try ByteSource(path: path)  // refuses a directory with a clear error
    var h = ContentDigest()
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
      if n == 0 { break }
      buffer.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
    return h.finalize()
  }
}
