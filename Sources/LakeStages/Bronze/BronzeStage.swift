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
// lines already landed: a fully landed file is skipped, an interrupted one resumes. Two runs
// landing the same file at once conflict on that txn; the loser exits 75 and lands nothing.
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
  public var commitEveryRows = 250_000
  public var commitEverySeconds = 30.0
  public var dryRun = false
  public var maxLineBytes = 64 << 20
  /// "lh-bronze/0.1.0", written as engineInfo.
  public var engine: String
  /// Data file options (zstd level).
  public var parquet = ParquetWriteOptions()

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

  /// Lands the inputs.
  ///
  /// `tee`, when given, receives every line landed, unchanged; `note` gets one-line reports
  /// (dry-run plans, skipped files).
  public static func run(
    _ config: BronzeConfig, tee: OutputBuffer?, note: (String) -> Void
  ) throws -> BronzeSummary {
    let table = config.lake.bronzeEvents
    var summary = BronzeSummary()
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
        for case .txn(let t) in try DeltaLog.readCommit(table: table, version: v) {
          landed[t.appId] = t.version
        }
      }
      viewVersion = latest
    }
    var snapshot: Snapshot? = existing
    var readVersion = existing?.version ?? -1
    var batch = schema.columns.map { ColumnBuffer(type: $0.type, capacity: 4096) }
    var progress: [String: Int64] = [:]
    var lastCommit = SystemClock.monotonicNanoseconds()

    func commit() throws {
      let rows = batch[0].count
      guard rows > 0 || !progress.isEmpty else { return }
      if snapshot == nil {
        snapshot = try DeltaTable.openOrCreate(
          at: table, schema: schema, partitionColumns: ["ingest_date"], engine: config.engine)
        readVersion = snapshot!.version
      }
      let adds = try DeltaTable.writeFiles(snapshot!, columns: batch, options: config.parquet)
      var info = DeltaCommitInfo(
        timestamp: DeltaTable.nowMillis(), operation: "WRITE",
        operationParameters: ["mode": "Append"],
        engineInfo: config.engine)
      info.extra = [("lhBronze", "{\"lines\":\(rows)}")]
      let txns = progress.keys.sorted().map {
        DeltaAction.txn(
          DeltaTxn(appId: appId($0), version: progress[$0]!, lastUpdated: info.timestamp))
      }
      let since = progress.keys.compactMap { base[$0] }.min()
      readVersion = try DeltaTable.commit(
        table: table, readVersion: readVersion,
        actions: [.commitInfo(info)] + adds.map { .add($0) } + txns,
        conflictsSince: since, ownVersions: ownVersions)
      ownVersions.insert(readVersion)
      summary.commits += 1
      summary.linesLanded += rows
      summary.dataFiles += adds.count
      summary.lastVersion = readVersion
      for c in batch.indices { batch[c].removeAll() }
      progress.removeAll()
      lastCommit = SystemClock.monotonicNanoseconds()
    }

    func due() -> Bool {
      batch[0].count >= config.commitEveryRows
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
      if !config.dryRun {
        reader.onIdle = {
          if batch[0].count > 0 && due() { try commit() }
        }
      }
      var lines = 0
      var newLines = 0
      let sourceBytes = Array(name.utf8)
      let shaBytes = sha.map { Array($0.utf8) }
      try reader.forEachLine { line, number in
        lines = number
        if Int64(number) <= skip { return true }
        newLines += 1
        if config.dryRun { return true }
        summary.bytesLanded += line.count
        if let tee {
          try tee.write(line)
          try tee.write(UnsafeRawBufferPointer(start: [UInt8(0x0A)], count: 1))
        }
        if UTF8Validation.isValid(line) {
          batch[0].append(bytes: line)
          batch[1].appendNull()
        } else {
          batch[0].appendNull()
          batch[1].append(bytes: line)
        }
        sourceBytes.withUnsafeBytes { batch[2].append(bytes: $0) }
        if let shaBytes {
          shaBytes.withUnsafeBytes { batch[3].append(bytes: $0) }
        } else {
          batch[3].appendNull()
        }
        batch[4].append(Int64(number))
        let now = SystemClock.wallMicroseconds()
        batch[5].append(now)
        batch[6].append(Int32(truncatingIfNeeded: now / 86_400_000_000))
        if let sha { progress[sha] = Int64(number) }
        if due() { try commit() }
        return Interrupt.requested == 0
      }
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
