// LakeStages/Bronze/BronzeStage.swift
//
// lh-bronze: raw landing that never loses a line. Every input line becomes one row of
// LAKE/bronze/events, byte-exact, with where it came from:
//
//   line           string    the line, when it is valid UTF-8 (the ordinary case, readable as text)
//   line_bytes     binary    the exact bytes, only when the line is not valid UTF-8
//   source         string    the file as named, or "stdin"
//   source_digest  string    the file's identity (see BronzeInputs.swift; null for stdin)
//   line_number    int64     1-based line number within the source
//   ingested_at    timestamp when lh-bronze read the line (UTC)
//   ingest_date    date      its UTC date: the partition column
//
// Lines are "\n"-terminated; a "\r" before it is kept (byte-exact). Compressed files (zstd, gzip)
// are detected by content and land decompressed.
//
// Files may still be growing (a spool): only whole lines land. A last line without "\n" (or the
// rest of a cut compressed frame) is held back until the file has not changed for `settle`
// seconds, or the run says the input is final; a complete compressed file is final; stdin, a
// FIFO or a device is final at its end.
//
// Exactly once for files: each commit carries, per file, txns recording its landed prefix
// (lines, bytes, digest; BronzeInputs.swift). A file seen again (same first bytes, any name)
// resumes after its last landed line: a fully landed file is skipped, a grown one lands what was
// added. Runs landing files take the table's lock (TableLock), so a second run waits and then
// skips what the first landed; a writer that is not lh landing the same file at once conflicts
// on those txns, and the loser exits 75 and lands nothing of its batch. Commits happen every `commitEveryRows` rows or
// `commitEverySeconds` seconds (also while a stream is quiet), at the end, and on
// SIGINT/SIGTERM; a kill -9 loses at most the batch not yet committed, whose data files are
// unreferenced (vacuum removes them).
//
// --tee copies every line landed to stdout; when its reader goes away (EPIPE), landing goes on,
// and the run says at which line the copy stopped.

import LakeFormats
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

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
  /// The inputs are complete: an unfinished last line lands now, whatever the file's age.
  public var final = false
  /// A file that has not changed for this long is complete: its unfinished last line lands.
  public var settleSeconds = 10.0
  public var maxLineBytes = LineReader.defaultMaxLineBytes
  /// How long to wait for another run landing files (see `run`).
  public var lockWait = LockWait.default
  /// "lh-bronze/0.1.0", written as engineInfo.
  public var engine: String
  /// Data file options (zstd level).
  ///
  /// Row groups are bounded at 5 MiB of compressed pages and staged values (40,000 to 65,000 lines
  /// of 220 bytes) so that a lane's open file, and a reader of one row group
  /// (lh-silver), hold little in memory; pages
  /// hold up to 4 MiB, since raw lines compress faster and smaller in larger frames (zstd level
  /// 3 on NDJSON: 365 MB/s and ×5.6 in 1 MiB frames, 427 MB/s and ×6.1 in 4 MiB ones).
  public var parquet: ParquetWriteOptions = {
    var o = ParquetWriteOptions()
    o.maxRowGroupBytes = 5 << 20
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
  /// Files with an unfinished last line held back (the next run lands it once the file has
  /// settled), and files held back whole (their first line unfinished, or maybe a copy still
  /// being made).
  public var linesHeldBack = 0
  public var filesHeldBack = 0
  /// Where the --tee reader went away ("source:line"), if it did.
  public var teeStoppedAt: String?

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

  /// The txn of a file landed whole by lh-bronze 0.1 (its content digest): still recognised.
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
      try DeltaLog.snapshotIfPresent(table: table)
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
    // Files landed by lh-bronze before 0.2 carry txn `lh-bronze:content:<digest of the file>`.
    let legacyPresent = landed.keys.contains { $0.hasPrefix("lh-bronze:content:") }
    var viewVersion = existing?.version ?? -1
    var base: [String: Int64] = [:]
    var ownVersions = Set<Int64>()
    // The commits after the view are read one by one until the next is absent (no listing of
    // the log, whose length grows with the table's age).
    func refreshView() throws {
      while let actions = try LogTotals.commit(table, viewVersion + 1) {
        for case .txn(let t) in actions { landed[t.appId] = t.version }
        viewVersion += 1
      }
    }
    var snapshot: Snapshot? = existing
    var readVersion = existing?.version ?? -1
    // Files seen fully landed and unchanged (BronzeSeenFiles.swift), and the files this run
    // found or made fully landed, recorded after the last commit.
    var seen = config.dryRun ? BronzeSeenFiles() : BronzeSeenFiles.load(table: table)
    let runStart = SystemClock.wallMicroseconds() * 1000
    var seenNow: [(stamp: FileStamp, id: String)] = []
    // Rows go in chunks to a writer that encodes and compresses them on `threads` lanes while
    // this thread reads on; a commit closes the files written since the last one.
    var writer: DeltaDataWriter?
    var batchRows = 0
    var progress: [String: LandedPrefix] = [:]
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
      let txns = progress.keys.sorted().flatMap { id in
        let p = progress[id]!
        return [("lines", p.lines), ("bytes", p.bytes), ("digest", p.digest)].map {
          DeltaAction.txn(
            DeltaTxn(appId: fileAppId(id, $0.0), version: $0.1, lastUpdated: info.timestamp))
        }
      }
      let since = progress.keys.compactMap { base[$0] }.min()
      if snapshot == nil {
        snapshot = try DeltaTable.openOrCreate(
          at: table, schema: schema, partitionColumns: ["ingest_date"], engine: config.engine)
        readVersion = snapshot!.version
      }
      // The running total of rows landed (LogTotals), as of the version read; a log it cannot
      // read leaves the total out rather than failing the landing.
      let rows = LogTotals.landedRows(adds.map { .add($0) })
      info.extra = [
        (
          LogTotals.bronzeKey,
          (try? LogTotals.bronzeInfo(
            table: table, readVersion: readVersion, lines: batchRows, rows: rows))
            ?? "{\"lines\":\(batchRows)}"
        )
      ]
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

    // --tee: every line landed goes to stdout too, until its reader goes away; landing goes on.
    var tee = tee
    var teeUnflushedFrom: (String, Int)?
    func teeStopped(at line: (String, Int)) {
      tee = nil
      teeUnflushedFrom = nil
      summary.teeStoppedAt = "\(line.0):\(line.1)"
      note(
        "stdout: the --tee reader went away at \(line.0) line \(line.1); that line and the "
          + "following ones are landed but not copied")
    }
    func teeFlush() throws {
      guard let t = tee else { return }
      do {
        try t.flush()
        teeUnflushedFrom = nil
      } catch let e as SystemError where e.isBrokenPipe {
        teeStopped(at: teeUnflushedFrom ?? ("?", 0))
      }
    }

    for (input, listed) in expandInputs(config.inputs, note: note) {
      let name = input ?? "stdin"
      let source: ByteSource
      do {
        source = try ByteSource(path: input)
      } catch let e as SystemError where listed && e.errno == ENOENT {
        continue  // renamed or removed since the directory was read
      }
      let format = InputFormat.sniff(try source.peek(4))
      guard case .ndjson(let compression) = format else {
        throw LakeFailure(
          .data, "\(name): is \(format); lh-bronze lands NDJSON lines (plain, zstd or gzip)")
      }
      summary.sources += 1
      // A regular file has an identity and may still be growing; stdin, a FIFO or a device is
      // a stream, read once to its end, which is final.
      let isFile = input != nil && source.isRegularFile
      var plan = FilePlan()
      let stamp = isFile ? source.fileStamp() : nil
      if let stamp, let entry = seen.lookup(stamp) {
        try refreshView()
        if let p = progress[entry.id] ?? landedPrefix(landed, entry.id), p.bytes == stamp.size,
          p.digest == entry.digest
        {
          summary.linesAlreadyLanded += Int(p.lines)
          summary.filesSkipped += 1
          note("\(name): already landed (\(p.lines) lines), skipped (unchanged: not read again)")
          seenNow.append((stamp, entry.id))
          continue
        }
      }
      if let path = input, isFile {
        try refreshView()
        guard
          let p = try planFile(
            path: path, source: source, compression: compression, config: config,
            state: { id in
              if let p = progress[id] { return p }
              return landedPrefix(landed, id)
            }, legacy: legacyPresent ? { landed[appId($0)] } : nil, note: note)
        else {
          summary.filesHeldBack += 1
          continue
        }
        plan = p
        base[p.id] = viewVersion
      }
      let reader = try LineReader(
        source: source, compression: compression, maxLineBytes: config.maxLineBytes)
      reader.keepCarriageReturn = true
      if isFile {
        reader.holdsBackUnfinishedEnd = true
        // The identity was read through duplicates of the descriptor: start from a known place.
        try source.seek(to: compression == .none ? plan.resume.bytes : 0)
        if compression == .none {
          reader.trackPrefix(
            from: plan.digest, offset: plan.resume.bytes, lines: Int(plan.resume.lines))
        } else {
          reader.trackPrefix(from: ContentDigest(), offset: 0, lines: 0)
        }
      }
      let slot: String? = isFile ? plan.id : nil
      let skip = plan.skipLines
      // The per-line state lives in one struct: the line loop touches a single captured
      // variable (captured variables are checked for exclusivity at run time).
      var chunk = Chunk(source: name, digest: slot)
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
        if let slot, let prefix = reader.trackedPrefix() {
          progress[slot] = LandedPrefix(
            lines: chunk.landedUpTo, bytes: prefix.bytes, digest: digest64(prefix.digest))
        }
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
      func take(_ line: UnsafeRawBufferPointer, _ number: Int) throws -> Bool {
        if number <= skip {
          chunk.lines = number
          return true
        }
        if let t = tee {
          do {
            let flushed = t.bytesFlushed
            if teeUnflushedFrom == nil { teeUnflushedFrom = (name, number) }
            try t.write(line)
            // The newline written in place (a pointer to a temporary array would dangle).
            try t.reserve(1).pointee = 0x0A
            t.commit(1)
            // A flush on the way sent every line before this one.
            if t.bytesFlushed != flushed { teeUnflushedFrom = (name, number) }
          } catch let e as SystemError where e.isBrokenPipe {
            teeStopped(at: teeUnflushedFrom ?? (name, number))
          }
        }
        if chunk.take(line, number: number, dryRun: dryRun, bytes: chunkBytes) {
          try flush()
          if due(rows: batchRows) {
            try commit()
          }
        }
        return Interrupt.requested == 0
      }
      try reader.forEachLine(idle: idle, didRead: didRead, take)
      // The end of a file: an unfinished last line (or the rest of a cut compressed frame) is
      // held back until the file has settled, unless the input is final.
      var heldBack = false
      if isFile && !reader.interrupted && Interrupt.requested == 0
        && (reader.heldBackBytes > 0 || reader.truncated)
      {
        let read = (compression == .none ? plan.resume.bytes : 0) + reader.bytesRead
        // A complete compressed file is final; so is a file that stopped changing.
        if (compression != .none && !reader.truncated)
          || isSettled(source, read: read, config: config)
        {
          try reader.deliverHeldBack(take)
        } else {
          heldBack = true
          summary.linesHeldBack += 1
        }
      }
      let lines = chunk.lines
      let newLines = chunk.newLines
      summary.bytesLanded += chunk.sourceBytes
      if !config.dryRun { try flush() }
      if let slot, plan.recordAnyway, newLines == 0, lines >= skip,
        let prefix = reader.trackedPrefix()
      {
        // A file landed by an older lh-bronze: its progress is recorded the new way.
        progress[slot] = LandedPrefix(
          lines: Int64(skip), bytes: prefix.bytes, digest: digest64(prefix.digest))
      }
      try teeFlush()
      let before = Int(plan.resume.lines) + skip
      summary.linesAlreadyLanded += before
      if isFile && newLines == 0 && !heldBack && before > 0 {
        summary.filesSkipped += 1
        note("\(name): already landed (\(before) lines), skipped")
      } else if config.dryRun {
        note(
          "\(name): would land \(newLines) lines"
            + (before > 0 ? " (\(before) already landed)" : "")
            + (heldBack ? "; its unfinished last line waits" : ""))
      }
      if heldBack {
        note(
          "\(name): last line unfinished (\(reader.truncated ? "compressed input cut short" : "\(reader.heldBackBytes) bytes without a newline")); "
            + "held back until the file has not changed for \(formatSeconds(config.settleSeconds))")
      }
      if let stamp, !heldBack, !reader.interrupted, Interrupt.requested == 0 {
        seenNow.append((stamp, plan.id))
      }
      if reader.interrupted || Interrupt.requested != 0 {
        summary.interrupted = true
        break
      }
    }
    if !config.dryRun {
      try commit()
      // What the log now says is landed of each file found, against the size it had.
      if !seenNow.isEmpty || !seen.entries.isEmpty {
        try refreshView()
        let now = DeltaTable.nowMillis()
        for (stamp, id) in seenNow {
          if let p = landedPrefix(landed, id), p.bytes == stamp.size {
            seen.record(stamp, id: id, digest: p.digest, nowMillis: now, runStartNanos: runStart)
          }
        }
        seen.expire(nowMillis: now)
        seen.save(table: table)
      }
    }
    return summary
  }

  /// Where to start reading a file, and under which identity.
  struct FilePlan {
    /// The file's identity (see BronzeInputs.swift).
    var id = ""
    /// What was landed of it before (read from there on, plain files).
    var resume = LandedPrefix(lines: 0, bytes: 0, digest: 0)
    /// The digest of its first `resume.bytes` bytes.
    var digest = ContentDigest()
    /// Lines to pass over before landing (compressed files, and files landed by an older
    /// lh-bronze).
    var skipLines = 0
    /// Record the file's progress even if no line is new (a file landed by an older lh-bronze).
    var recordAnyway = false
  }

  /// The landed prefix of file `id` recorded in `txns`.
  static func landedPrefix(_ txns: [String: Int64], _ id: String) -> LandedPrefix? {
    guard let lines = txns[fileAppId(id, "lines")], let bytes = txns[fileAppId(id, "bytes")],
      let digest = txns[fileAppId(id, "digest")]
    else { return nil }
    return LandedPrefix(lines: lines, bytes: bytes, digest: digest)
  }

  /// True when the input is final, or file `source` has not changed for the settle time and
  /// holds no more than the `read` bytes read of it.
  static func isSettled(_ source: ByteSource, read: Int64, config: BronzeConfig) -> Bool {
    if config.final { return true }
    guard let status = source.status(), status.size <= read else { return false }
    let age = SystemClock.wallMicroseconds() * 1000 - status.modifiedNanos
    return Double(age) / 1e9 >= config.settleSeconds
  }

  static func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? "\(Int(s))s" : "\(Int((s * 1000).rounded()))ms"
  }

  /// Decides how to land file `path`: its identity, and what of it was landed before; nil when
  /// nothing of it can be landed yet (its first line is unfinished, or it may be a copy of a
  /// landed file still being made).
  ///
  /// `state` gives what is known to be landed of an identity (committed, or landed by this run).
  static func planFile(
    path: String, source: ByteSource, compression: InputCompression, config: BronzeConfig,
    state: (String) -> LandedPrefix?, legacy: ((String) -> Int64?)?, note: (String) -> Void
  ) throws -> FilePlan? {
    // The identity: the digest of the first line.
    let probeSource = try source.duplicate()
    try probeSource.seek(to: 0)
    let probe = try LineReader(
      source: probeSource, compression: compression,
      maxLineBytes: config.maxLineBytes)
    probe.keepCarriageReturn = true
    probe.holdsBackUnfinishedEnd = true
    var first: [UInt8]?
    try probe.forEachLine { line, _ in
      first = Array(line) + [0x0A]
      return false
    }
    if first == nil {
      if probe.heldBackBytes == 0 && !probe.truncated { return FilePlan(id: "") }  // empty
      let complete = compression != .none && !probe.truncated
      guard complete || isSettled(source, read: probe.bytesRead, config: config) else {
        note(
          "\(path): first line unfinished; held back until the file has not changed for "
            + formatSeconds(config.settleSeconds))
        return nil
      }
      try probe.deliverHeldBack { line, _ in
        first = Array(line)
        return false
      }
    }
    // A compressed file is another file than the plain one of the same lines: its bytes differ.
    var h = ContentDigest()
    let marker: [UInt8] =
      switch compression {
      case .none: []
      case .zstd: Array("zstd:".utf8)
      case .gzip: Array("gzip:".utf8)
      }
    marker.withUnsafeBytes { h.update($0) }
    first!.withUnsafeBytes { h.update($0) }
    let key = h.finalize()

    // Files with that first line landed before, and which of them this one is.
    var slots: [(id: String, prefix: LandedPrefix)] = []
    while true {
      let id = slots.isEmpty ? key : "\(key).\(slots.count)"
      guard let p = state(id) else { break }
      slots.append((id, p))
    }
    let size = source.status()?.size ?? 0
    let lengths = Set(slots.map(\.prefix.bytes).filter { $0 <= size }).sorted()
    let digests = try prefixDigests(
      source, lengths: lengths, whole: slots.isEmpty && legacy != nil)
    var plan = FilePlan(id: slots.isEmpty ? key : "\(key).\(slots.count)")
    var best: (id: String, prefix: LandedPrefix)?
    for s in slots {
      if let d = digests.at[s.prefix.bytes], digest64(d) == s.prefix.digest,
        s.prefix.bytes >= best?.prefix.bytes ?? -1
      {
        best = s
      }
    }
    if let best {
      plan.id = best.id
      plan.resume = best.prefix
      if compression == .none {
        plan.digest = digests.at[best.prefix.bytes]!
      } else {
        // Decoded again from the start; the first lines are passed over.
        plan.resume = LandedPrefix(lines: 0, bytes: 0, digest: 0)
        plan.skipLines = Int(best.prefix.lines)
      }
      return plan
    }
    if let whole = digests.whole, let lines = legacy?(whole) {
      // Landed whole by an lh-bronze before 0.2 (txn lh-bronze:content:<digest>).
      plan.skipLines = Int(lines)
      plan.recordAnyway = true
      return plan
    }
    if let longer = slots.first(where: { $0.prefix.bytes > size }),
      !isSettled(source, read: size, config: config)
    {
      note(
        "\(path): starts like a file landed before but is shorter than its landed "
          + "\(longer.prefix.lines) lines; held back until it has not changed for "
          + "\(formatSeconds(config.settleSeconds)) (a copy still being made?)")
      return nil
    }
    if let other = slots.first {
      note(
        "\(path): rewritten, not appended: it starts like a file landed before "
          + "(\(other.prefix.lines) lines) but differs within them; landed as a new file")
    }
    return plan
  }

  /// Rows of one source and one ingest day on their way to the writer.
  ///
  /// Only the lines are copied as they arrive; everything else is filled at `seal`, once per
  /// chunk: the line numbers (consecutive within a chunk: the first one and the count say them
  /// all), the times (one run per read), the columns that hold one value for the whole chunk
  /// (source, digest, date), and the UTF-8 check, which passes over an all-ASCII chunk at
  /// memory speed and validates line by line only the lines holding other bytes; the rare lines
  /// that are not UTF-8 move from `line` to `line_bytes`.
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
    /// The number of the chunk's first row; later rows follow it one by one, unless
    /// `numbersListed` (then `columns[4]` holds every row's number as it came).
    var firstNumber = 0
    var numbersListed = false
    /// The rows' times: from row `timeRuns[k].row` on, `timeRuns[k].time`.
    var timeRuns: [(row: Int, time: Int64)] = []
    var runTime: Int64 = .min

    init(source: String, digest: String?) {
      self.source = Array(source.utf8)
      self.digest = digest.map { Array($0.utf8) }
    }

    /// Takes line `number`; true when the chunk is full (`bytes` of lines or `rowLimit` rows).
    @inline(__always)
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

    @inline(__always)
    mutating func append(_ line: UnsafeRawBufferPointer, number: Int, at time: Int64) {
      if rows == 0 {
        firstNumber = number
      } else if number != firstNumber &+ rows || numbersListed {
        listNumber(number)
      }
      if time != runTime || rows == 0 {
        timeRuns.append((rows, time))
        runTime = time
      }
      columns[0].append(bytes: line)
      rows += 1
      lineBytes += line.count
    }

    /// A line number out of sequence (not expected: the reader numbers lines one by one): the
    /// numbers are listed row by row from here on.
    mutating func listNumber(_ number: Int) {
      if !numbersListed {
        numbersListed = true
        for r in 0..<rows { columns[4].append(Int64(firstNumber + r)) }
      }
      columns[4].append(Int64(number))
    }

    /// Fills the columns not filled line by line, and moves lines that are not UTF-8 to
    /// `line_bytes`.
    mutating func seal() {
      let invalidRows = Self.invalidUTF8Rows(columns[0])
      if invalidRows.isEmpty {
        columns[1].appendNulls(rows)
      } else {
        let text = columns[0]
        var valid = ColumnBuffer(type: text.type)
        valid.reserve(rows)
        var next = 0
        text.data.withUnsafeBytes { data in
          func bytes(_ r: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(
              rebasing: data[Int(text.offsets[r])..<Int(text.offsets[r + 1])])
          }
          for bad in invalidRows {
            for r in next..<bad { valid.append(bytes: bytes(r)) }
            valid.appendNull()
            columns[1].appendNulls(bad - next)
            columns[1].append(bytes: bytes(bad))
            next = bad + 1
          }
          for r in next..<rows { valid.append(bytes: bytes(r)) }
          columns[1].appendNulls(rows - next)
        }
        columns[0] = valid
      }
      if !numbersListed { columns[4].append(countingFrom: Int64(firstNumber), rows) }
      for (k, run) in timeRuns.enumerated() {
        let end = k + 1 < timeRuns.count ? timeRuns[k + 1].row : rows
        columns[5].append(run.time, repeating: end - run.row)
      }
      source.withUnsafeBytes { columns[2].append(bytes: $0, repeating: rows) }
      if let digest {
        digest.withUnsafeBytes { columns[3].append(bytes: $0, repeating: rows) }
      } else {
        columns[3].appendNulls(rows)
      }
      columns[6].append(day, repeating: rows)
    }

    /// The rows of `lines` (a string column without nulls) that are not UTF-8, in order.
    static func invalidUTF8Rows(_ lines: ColumnBuffer) -> [Int] {
      lines.data.withUnsafeBytes { data -> [Int] in
        guard !isASCII(data) else { return [] }
        var bad: [Int] = []
        lines.offsets.withUnsafeBufferPointer { offsets in
          for r in 0..<(offsets.count - 1) {
            let line = UnsafeRawBufferPointer(
              rebasing: data[Int(offsets[r])..<Int(offsets[r + 1])])
            if !isASCII(line) && !UTF8Validation.isValid(line) { bad.append(r) }
          }
        }
        return bad
      }
    }

    /// True when every byte is below 0x80 (64 bytes a step).
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
      guard let p = bytes.baseAddress else { return true }
      let n = bytes.count
      var i = 0
      while i + 64 <= n {
        var acc: UInt64 = 0
        for k in stride(from: 0, to: 64, by: 8) {
          acc |= p.loadUnaligned(fromByteOffset: i + k, as: UInt64.self)
        }
        if acc & 0x8080_8080_8080_8080 != 0 { return false }
        i += 64
      }
      var acc: UInt8 = 0
      while i < n {
        acc |= p.load(fromByteOffset: i, as: UInt8.self)
        i += 1
      }
      return acc & 0x80 == 0
    }

    mutating func reset() {
      rows = 0
      lineBytes = 0
      numbersListed = false
      timeRuns.removeAll(keepingCapacity: true)
      runTime = .min
    }
  }
}
