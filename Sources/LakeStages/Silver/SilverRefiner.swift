// LakeStages/Silver/SilverRefiner.swift
//
// The bronze rows of one lh-silver run, validated on `threads` cores, deduplicated in bronze
// order, handed to the writers in bronze order.
//
//   reader (caller's thread): bronze row group ─▶ batch (2, reused: one read ahead)
//     └─ segments of `segmentRows` rows, numbered in bronze order ─▶ queue
//   validator lanes (`threads`), each taking the next segment:
//     1. validate every line: good rows to the lane's own columns (+ key hash and event day),
//        bad ones to its own reject rows                                            (parallel)
//     2. turn of segment s: each key hash into its day's key set, in row order;
//        those already there are the duplicates                                     (in order)
//     3. remove the duplicates from the lane's columns                              (parallel)
//     4. turn of segment s: columns to the silver/events writer, rejects to
//        silver/rejects' chunk                                                       (in order)
//
// Determinism. Segments are cut the same way whatever the thread count, step 2 sees every key in
// bronze order (so the first occurrence of a key wins, as on one thread), and step 4 appends in
// bronze order: the rows, the rejects and the counts are those of a single-threaded run. With
// one thread everything runs on the caller's thread, in the same four steps.
//
// Memory: two bronze row groups (the one being validated and the one read ahead), one segment's
// columns per lane, the writers' queues and open row groups, and the key sets.

import LakeContracts
import LakeFormats
import LakeIO
import LakeTable

/// One bronze row group in memory and what its rows are for.
final class BronzeBatch: @unchecked Sendable {
  /// line, line_bytes, source, line_number, ingested_at.
  var columns: [ColumnBuffer] = []
  var version: Int64 = 0
  var ingestDay: Int32 = 0
  var forEvents = false
  var forRejects = false
  /// Segments not yet validated (guarded by the refiner's monitor).
  var pending = 0
}

/// A run of rows of a batch, the unit of work of a lane.
struct BronzeSegment {
  let batch: BronzeBatch
  let rows: Range<Int>
  /// Its position in bronze order.
  let number: Int
}

/// A validator and the output of the segment it holds.
final class SilverLane: @unchecked Sendable {
  let validator: ContractValidator
  let keyColumns: [Int]
  let timeColumn: Int
  /// Whether good rows are built into columns (not in a dry run).
  let buildEvents: Bool
  let buildRejects: Bool

  /// The segment's good rows: the contract's columns and `_extra`, lineage, event date.
  var columns: [ColumnBuffer]
  var lineage: [ColumnBuffer]
  var eventDates: ColumnBuffer
  /// Per good row: its key hash and event day (only when the segment is for silver/events).
  var hashes: [UInt64] = []
  var days: [Int32] = []
  /// Good rows, and rejects, of the segment.
  var accepted = 0
  var rejects = 0
  /// The segment's reject rows, laid out as silver/rejects.
  var rejected: [ColumnBuffer]
  /// Rows of `columns` found to be duplicates.
  var duplicates: [Int] = []
  var segment: BronzeSegment?
  /// The segment's batch's facts, copied: the reader reuses the batch once it is validated.
  var rows = 0
  var version: Int64 = 0
  var ingestDay: Int32 = 0
  var forEvents = false
  var forRejects = false

  init(contract: Contract, capacity: Int, buildEvents: Bool, buildRejects: Bool) {
    validator = ContractValidator(contract: contract)
    keyColumns = contract.keyIndexes
    timeColumn = contract.eventTimeIndex
    self.buildEvents = buildEvents
    self.buildRejects = buildRejects
    columns = validator.makeColumns(capacity: buildEvents ? capacity : 0)
    lineage = SilverSchema.lineage.map {
      ColumnBuffer(type: $0.type, capacity: buildEvents ? capacity : 0)
    }
    eventDates = ColumnBuffer(type: .date, capacity: buildEvents ? capacity : 0)
    rejected = SilverSchema.rejects.columns.map { ColumnBuffer(type: $0.type) }
    hashes.reserveCapacity(capacity)
    days.reserveCapacity(capacity)
  }

  /// Step 1: validates the segment's lines into the lane's buffers.
  ///
  /// The buffers are moved out into locals for the loop and back after it: a class property
  /// appended per row pays a dynamic exclusivity check per access.
  func validate(_ segment: BronzeSegment) {
    self.segment = segment
    var columns = self.columns
    var lineage = self.lineage
    var eventDates = self.eventDates
    var hashes = self.hashes
    var days = self.days
    self.columns = []
    self.lineage = []
    self.eventDates = ColumnBuffer(type: .date)
    self.hashes = []
    self.days = []
    for c in columns.indices { columns[c].removeAll() }
    for c in lineage.indices { lineage[c].removeAll() }
    eventDates.removeAll()
    for c in rejected.indices { rejected[c].removeAll() }
    hashes.removeAll(keepingCapacity: true)
    days.removeAll(keepingCapacity: true)
    duplicates.removeAll(keepingCapacity: true)
    var accepted = 0
    var rejects = 0
    let batch = segment.batch
    rows = segment.rows.count
    version = batch.version
    ingestDay = batch.ingestDay
    forEvents = batch.forEvents
    forRejects = batch.forRejects
    let forEvents = forEvents
    let keepRows = forEvents && buildEvents
    let keepRejects = forRejects && buildRejects
    let version = version
    let validator = validator
    let keyColumns = keyColumns
    let timeColumn = timeColumn
    let b = batch.columns
    // Both line columns' bytes and offsets, and the lineage columns, once for the whole segment.
    b[0].data.withUnsafeBytes { text in
      b[1].data.withUnsafeBytes { binary in
        b[0].offsets.withUnsafeBufferPointer { textOffsets in
          b[1].offsets.withUnsafeBufferPointer { binaryOffsets in
            b[3].int64s.withUnsafeBufferPointer { lineNumbers in
              b[4].int64s.withUnsafeBufferPointer { ingestedAt in
                for r in segment.rows {
                  let isText = b[0].isValid(r)
                  let bytes =
                    isText
                    ? UnsafeRawBufferPointer(
                      rebasing: text[Int(textOffsets[r])..<Int(textOffsets[r + 1])])
                    : UnsafeRawBufferPointer(
                      rebasing: binary[Int(binaryOffsets[r])..<Int(binaryOffsets[r + 1])])
                  if let reject = validator.stage(bytes) {
                    rejects += 1
                    if keepRejects { addReject(reject, row: r, isText: isText, batch: b) }
                    continue
                  }
                  accepted += 1
                  guard forEvents else { continue }
                  let day = Contract.eventDate(micros: validator.stagedInt64(timeColumn))
                  hashes.append(validator.stagedKeyHash(keyColumns, line: bytes))
                  days.append(day)
                  guard keepRows else { continue }
                  validator.append(bytes, into: &columns)
                  lineage[0].append(version)
                  lineage[1].append(from: b[2], row: r)
                  lineage[2].append(lineNumbers[r])
                  lineage[3].append(ingestedAt[r])
                  eventDates.append(day)
                }
              }
            }
          }
        }
      }
    }
    self.columns = columns
    self.lineage = lineage
    self.eventDates = eventDates
    self.hashes = hashes
    self.days = days
    self.accepted = accepted
    self.rejects = rejects
  }

  func addReject(_ reject: ContractReject, row r: Int, isText: Bool, batch b: [ColumnBuffer]) {
    if isText {
      rejected[0].append(from: b[0], row: r)
      rejected[1].appendNull()
    } else {
      rejected[0].appendNull()
      rejected[1].append(from: b[1], row: r)
    }
    rejected[2].append(string: reject.reason.rawValue)
    if let field = reject.field {
      rejected[3].append(string: field)
    } else {
      rejected[3].appendNull()
    }
    rejected[4].append(string: reject.message)
    rejected[5].append(from: b[2], row: r)
    rejected[6].append(b[3].int64s[r])
    rejected[7].append(b[4].int64s[r])
    rejected[8].append(version)
    rejected[9].append(ingestDay)
  }

  /// Step 3: removes the rows found to be duplicates, and takes back their unknown-key counts.
  func removeDuplicates() {
    guard !duplicates.isEmpty, buildEvents, forEvents else { return }
    let extra = columns[validator.extraColumn]
    if extra.count > extra.nullCount {
      extra.data.withUnsafeBytes { data in
        for r in duplicates where extra.isValid(r) {
          validator.uncount(
            extra: UnsafeRawBufferPointer(
              rebasing: data[Int(extra.offsets[r])..<Int(extra.offsets[r + 1])]))
        }
      }
    }
    for c in columns.indices { columns[c].removeRows(duplicates) }
    for c in lineage.indices { lineage[c].removeRows(duplicates) }
    eventDates.removeRows(duplicates)
  }
}

/// What the lanes share: the key sets and counts (step 2), the writers (step 4), and the queue.
final class SilverRefiner: @unchecked Sendable {
  let contract: Contract
  let eventWriter: DeltaDataWriter?
  let rejectWriter: DeltaDataWriter?
  let chunkRows: Int
  let contractColumns: Int
  /// The duplicate check of a day: the keys silver holds (step 2, on first use of the day;
  /// SilverKeyIndex.swift).
  let loadDay: (Int32) throws -> SilverDayKeys

  // Step 2 state, touched only by the lane whose turn it is.
  var keySets: [Int32: SilverDayKeys] = [:]
  var eventCounts = SilverCounts()
  var rejectCounts = SilverCounts()
  var daysChecked = 0
  // Step 4 state, likewise.
  var rejected = SilverSchema.rejects.columns.map { ColumnBuffer(type: $0.type) }
  var chunk: [ColumnBuffer] = []
  /// The lanes of the run (their validators hold the reject and unknown-key counts).
  var lanes: [SilverLane] = []

  // Guarded by `monitor`.
  let monitor = Monitor()
  var queue: [BronzeSegment] = []
  var head = 0
  var readingDone = false
  var dedupeTurn = 0
  var writeTurn = 0
  var failure: (any Error)?
  var stopping = false

  init(
    contract: Contract, eventWriter: DeltaDataWriter?, rejectWriter: DeltaDataWriter?,
    chunkRows: Int, loadDay: @escaping (Int32) throws -> SilverDayKeys
  ) {
    self.contract = contract
    self.eventWriter = eventWriter
    self.rejectWriter = rejectWriter
    self.chunkRows = chunkRows
    self.contractColumns = contract.columns.count + 1
    self.loadDay = loadDay
  }

  /// Step 2: counts the lane's segment and finds its duplicates, in bronze order.
  func dedupe(_ lane: SilverLane) throws {
    let rows = lane.rows
    if lane.forEvents {
      eventCounts.bronzeRows += rows
      eventCounts.rejects += lane.rejects
    }
    if lane.forRejects {
      rejectCounts.bronzeRows += rows
      rejectCounts.rejects += lane.rejects
    }
    guard lane.forEvents else {
      rejectCounts.acceptedEarlier += lane.accepted
      return
    }
    var set: SilverDayKeys? = nil
    var setDay: Int32 = 0
    for i in 0..<lane.hashes.count {
      let day = lane.days[i]
      if set == nil || day != setDay {
        set = try keySet(day)
        setDay = day
      }
      if try !set!.insert(lane.hashes[i]) { lane.duplicates.append(i) }
    }
    let duplicates = lane.duplicates.count
    eventCounts.duplicates += duplicates
    eventCounts.silverRows += lane.accepted - duplicates
    if lane.forRejects {
      rejectCounts.duplicates += duplicates
      rejectCounts.silverRows += lane.accepted - duplicates
    }
  }

  func keySet(_ day: Int32) throws -> SilverDayKeys {
    if let set = keySets[day] { return set }
    let set = try loadDay(day)
    keySets[day] = set
    daysChecked += 1
    return set
  }

  /// Step 4: the lane's rows to the writers, in bronze order.
  func write(_ lane: SilverLane) throws {
    if let eventWriter, lane.columns[0].count > 0 {
      chunk.removeAll(keepingCapacity: true)
      chunk += lane.columns
      lane.columns = []
      chunk += lane.lineage
      lane.lineage = []
      chunk.append(lane.eventDates)
      lane.eventDates = ColumnBuffer(type: .date)
      // The writer takes the chunk and leaves reused buffers in its place.
      try eventWriter.append(&chunk)
      lane.columns = Array(chunk[0..<contractColumns])
      lane.lineage = Array(
        chunk[contractColumns..<(contractColumns + SilverSchema.lineage.count)])
      lane.eventDates = chunk[chunk.count - 1]
      chunk.removeAll(keepingCapacity: true)
    }
    if rejectWriter != nil, lane.rejected[2].count > 0 {
      for c in rejected.indices { rejected[c].append(contentsOf: lane.rejected[c]) }
      if rejected[2].count >= chunkRows { try flushRejects() }
    }
  }

  func flushRejects() throws {
    guard let rejectWriter, rejected[2].count > 0 else { return }
    try rejectWriter.append(&rejected)
  }

  /// Records the first failure and wakes everyone (call holding the lock).
  func fail(_ error: any Error) {
    if failure == nil { failure = error }
    monitor.broadcast()
  }

  /// A lane's thread: segments from the queue through steps 1–4 until the queue is done.
  func work(_ lane: SilverLane) {
    while true {
      let next: BronzeSegment? = monitor.withLock {
        while head == queue.count && !readingDone && failure == nil && !stopping {
          monitor.wait()
        }
        guard head < queue.count, failure == nil, !stopping else { return nil }
        let s = queue[head]
        head += 1
        if head == queue.count {
          queue.removeAll(keepingCapacity: true)
          head = 0
        }
        monitor.broadcast()
        return s
      }
      guard let segment = next else { return }
      lane.validate(segment)
      guard
        monitor.withLock({
          segment.batch.pending -= 1
          monitor.broadcast()
          while dedupeTurn != segment.number && failure == nil && !stopping { monitor.wait() }
          return failure == nil && !stopping
        })
      else { return }
      do { try dedupe(lane) } catch {
        monitor.withLock { fail(error) }
        return
      }
      monitor.withLock {
        dedupeTurn += 1
        monitor.broadcast()
      }
      lane.removeDuplicates()
      guard
        monitor.withLock({
          while writeTurn != segment.number && failure == nil && !stopping { monitor.wait() }
          return failure == nil && !stopping
        })
      else { return }
      do { try write(lane) } catch {
        monitor.withLock { fail(error) }
        return
      }
      monitor.withLock {
        writeTurn += 1
        monitor.broadcast()
      }
    }
  }
}

extension SilverStage {
  /// Rows per segment: the unit a lane validates (about a writer chunk).
  static let segmentRows = 16_384

  /// Reads, validates, deduplicates and writes the rows of `files`; false when interrupted.
  ///
  /// - Parameters:
  ///   - files: The bronze files to read, in bronze order, with their version.
  ///   - doneEvents: The last bronze version silver/events holds; likewise `doneRejects`.
  static func refine(
    files: [(version: Int64, add: DeltaAdd)], lake: LakeLayout, refiner: SilverRefiner,
    doneEvents: Int64, doneRejects: Int64, threads: Int
  ) throws -> Bool {
    let lanes = (0..<max(1, threads)).map { _ in
      SilverLane(
        contract: refiner.contract, capacity: segmentRows,
        buildEvents: refiner.eventWriter != nil, buildRejects: refiner.rejectWriter != nil)
    }
    refiner.lanes = lanes
    // One batch with one thread; two (one read ahead) with more.
    let batches = (0..<(threads > 1 ? 2 : 1)).map { _ in BronzeBatch() }
    var workers: [WorkerThread] = []
    if threads > 1 {
      for lane in lanes {
        workers.append(try WorkerThread.start { refiner.work(lane) })
      }
    }
    func stop() {
      refiner.monitor.withLock {
        refiner.stopping = true
        refiner.monitor.broadcast()
      }
      for t in workers { t.join() }
      workers = []
    }
    var number = 0
    var next = 0
    do {
      for (version, add) in files {
        let path = lake.bronzeEvents + "/" + (try PartitionPath.uriDecode(add.path))
        let reader = try ParquetFileReader(path: path)
        let wanted = try bronzeColumns.map { name in
          guard let i = reader.leaves.firstIndex(where: { $0.spec.name == name }) else {
            throw LakeFailure(.data, "\(path): bronze file without a '\(name)' column")
          }
          return i
        }
        let ingestDay: Int32
        if let text = add.partitionValues["ingest_date"] ?? nil, let d = parseDay(text) {
          ingestDay = d
        } else {
          throw LakeFailure(.data, "\(path): bronze file without an ingest_date partition value")
        }
        for g in 0..<reader.rowGroupCount {
          if Interrupt.requested != 0 {
            stop()
            return false
          }
          let batch = batches[next]
          next = (next + 1) % batches.count
          // Wait until the lanes are done with the batch's rows, then read into its buffers.
          try refiner.monitor.withLock {
            while batch.pending > 0 && refiner.failure == nil { refiner.monitor.wait() }
            if let failure = refiner.failure { throw failure }
          }
          try reader.readRowGroup(g, columns: wanted, into: &batch.columns)
          batch.version = version
          batch.ingestDay = ingestDay
          batch.forEvents = version > doneEvents
          batch.forRejects = version > doneRejects
          let rows = batch.columns[0].count
          var segments: [BronzeSegment] = []
          var start = 0
          while start < rows {
            let end = min(rows, start + segmentRows)
            segments.append(BronzeSegment(batch: batch, rows: start..<end, number: number))
            number += 1
            start = end
          }
          if threads > 1 {
            refiner.monitor.withLock {
              batch.pending = segments.count
              refiner.queue += segments
              refiner.monitor.broadcast()
            }
          } else {
            let lane = lanes[0]
            for segment in segments {
              lane.validate(segment)
              try refiner.dedupe(lane)
              lane.removeDuplicates()
              try refiner.write(lane)
            }
          }
        }
      }
      if threads > 1 {
        try refiner.monitor.withLock {
          refiner.readingDone = true
          refiner.monitor.broadcast()
          while refiner.writeTurn < number && refiner.failure == nil { refiner.monitor.wait() }
          if let failure = refiner.failure { throw failure }
        }
        stop()
      }
      try refiner.flushRejects()
    } catch {
      stop()
      throw error
    }
    return true
  }
}
