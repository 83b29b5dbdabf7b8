// LakeStages/Gold/GoldAggregator.swift
//
// One gold table computed from silver rows: rows are grouped by time bucket (a UTC minute, a
// local hour, a local day) and the table's group-by columns; each group gets the table's metrics
// and ratios. Batch and stream both feed batches of columns and read the result.
//
// Per batch: every row's group key (bucket, then each group-by value, tagged and length-prefixed)
// is built in one reused buffer and interned to a group id; each distinct filter becomes one
// mask; each metric then folds its operand into per-group arrays. count_distinct interns values
// (strings by bytes, numbers by bits) and keeps the set of (group, value) pairs: exact, and
// bounded by the distinct pairs, not the rows. Sums of integers and decimals are exact (Int64,
// overflow is an error); products of decimals add scales, as SQL does.
//
// A table's own `where` drops the rows failing it before grouping (SQL's WHERE).
//
// Output columns: the bucket (`event_date` date for days, `window_start` timestamp else), the
// group-by columns, metrics (count and count_distinct int64 never null; sum, min, max, avg null
// when no row counted, as in SQL), ratios (double, null when the denominator is 0 or null).
// Rows come out sorted by bucket, then group values.

import LakeContracts
import LakeFormats
import LakeIO

/// Computes one gold table from batches of silver rows.
public final class GoldAggregator {
  public let table: GoldTable
  /// The gold table's columns.
  public let schema: TableSchema
  let clock: ZoneClock
  let timeColumn: Int
  let groupColumns: [Int]
  let groupTypes: [ColumnType]
  /// Shared interning of values and buckets (owned here unless given).
  let context: GoldContext
  let ownsContext: Bool
  /// Groups, level by level: bucket id → first level (an array), then per group-by column a
  /// dictionary.
  ///
  /// Each dictionary maps (previous level, value id) to the next level; the last level's ids
  /// are the groups. Each group's bucket and value ids are kept for the output.
  var firstLevel: [Int32] = []
  var firstCount = 0
  var levels: [FixedDictionary]
  /// The first group-by level's direct index while its key space is small (no hashing per row).
  ///
  /// Entry `first-level id * directStride + value slot` (slot 0 for null, value id + 1
  /// else) holds the level's id + 1, 0 when not seen yet. `directStride` 0: not used; with
  /// `directOff`, not used until `reset` (the key space outgrew `directLimit`).
  var direct: [Int32] = []
  var directStride = 0
  var directOff = false
  /// The first group-by level's largest value id + 1 from merged states (the direct index's
  /// stride must exceed it too).
  var mergedTop = 0
  /// The most entries the direct index may hold (4 MiB).
  static let directLimit = 1 << 20
  var groupBucket: [UInt32] = []
  var groupValues: [UInt32] = []
  var groupCount = 0
  var metrics: [MetricState]
  let filters: [[Condition]]
  /// The table's own `where`: rows failing it are not counted at all.
  let tableFilter: [Condition]
  var tableMask: [Bool] = []
  /// Per metric: which entry of `filters` applies (nil: every row).
  let metricFilter: [Int?]
  let ratios: [(numerator: Int, denominator: Int)]
  var groupOfRow: [UInt32] = []
  var masks: [[Bool]] = []

  /// An aggregator of `table` over rows of `input` (silver's columns, by name); `context` is
  /// shared by the aggregators fed the same batches (its owner calls `begin` per batch).
  public init(
    table: GoldTable, contract: Contract, input: TableSchema, clock: ZoneClock,
    context: GoldContext? = nil
  ) throws {
    self.table = table
    self.clock = clock
    func column(_ name: String) throws -> Int {
      guard let i = input.index(of: name) else {
        throw LakeFailure(.data, "gold table '\(table.name)': the input has no column '\(name)'")
      }
      return i
    }
    timeColumn = try column(contract.eventTime)
    groupColumns = try table.groupBy.map(column)
    groupTypes = groupColumns.map { input.columns[$0].type }
    levels = groupColumns.map { _ in FixedDictionary() }
    let time = timeColumn
    self.context = context ?? GoldContext(clock: clock, timeColumn: time)
    ownsContext = context == nil
    var filterList: [[Condition]] = []
    var filterOf: [Int?] = []
    var states: [MetricState] = []
    for m in table.metrics {
      states.append(try MetricState(metric: m, input: input, column: column))
      if m.filter.isEmpty {
        filterOf.append(nil)
      } else {
        let conditions = try m.filter.map { try Condition($0, input: input, column: column) }
        if let i = filterList.firstIndex(of: conditions) {
          filterOf.append(i)
        } else {
          filterOf.append(filterList.count)
          filterList.append(conditions)
        }
      }
    }
    metrics = states
    tableFilter = try table.filter.map { try Condition($0, input: input, column: column) }
    filters = filterList
    metricFilter = filterOf
    masks = filterList.map { _ in [] }
    ratios = try table.ratios.map { r in
      guard let n = table.metrics.firstIndex(where: { $0.name == r.numerator }),
        let d = table.metrics.firstIndex(where: { $0.name == r.denominator })
      else {
        throw LakeFailure(.data, "gold table '\(table.name)': ratio '\(r.name)' names no metric")
      }
      return (n, d)
    }
    var columns = [
      ColumnSpec(
        table.grain.bucketColumn, table.grain == .day ? .date : .timestamp, nullable: false)
    ]
    for (k, name) in table.groupBy.enumerated() {
      columns.append(ColumnSpec(name, groupTypes[k]))
    }
    for (k, m) in table.metrics.enumerated() {
      columns.append(ColumnSpec(m.name, states[k].outputType, nullable: !states[k].neverNull))
    }
    for r in table.ratios { columns.append(ColumnSpec(r.name, .double)) }
    schema = TableSchema(columns)
  }

  /// Interns the current batch's values and buckets this table uses, so that `add` only reads
  /// the shared context (tables can then be folded on several threads).
  public func prepare() {
    _ = context.bucketIds(table.grain)
    for c in groupColumns { _ = context.valueIds(c) }
    for m in metrics where m.kind == .distinct { _ = context.valueIds(m.first!) }
    if !tableFilter.isEmpty { _ = context.mask(tableFilter) }
    for f in filters { _ = context.mask(f) }
  }

  /// Folds a batch of rows (columns of the input schema) into the groups; with `keep`, only
  /// the rows it marks true.
  public func add(_ batch: [ColumnBuffer], rows keep: [Bool]? = nil) throws {
    let rows = batch[timeColumn].count
    guard rows > 0 else { return }
    if ownsContext { context.begin(batch) }
    if tableFilter.isEmpty {
      assignGroups(rows: rows, keep: keep)
    } else {
      tableMask = context.mask(tableFilter)
      if let keep {
        for r in 0..<rows where !keep[r] { tableMask[r] = false }
      }
      assignGroups(rows: rows, keep: tableMask)
    }
    for (f, conditions) in filters.enumerated() { masks[f] = context.mask(conditions) }
    for k in metrics.indices {
      metrics[k].grow(to: groupCount)
      let mask: [Bool]? = metricFilter[k].map { masks[$0] }
      let ids = metrics[k].kind == .distinct ? context.valueIds(metrics[k].first!) : []
      try metrics[k].fold(batch, groups: groupOfRow, mask: mask, valueIds: ids, table: table.name)
    }
  }

  func assignGroups(rows: Int, keep: [Bool]?) {
    groupOfRow.removeAll(keepingCapacity: true)
    groupOfRow.append(contentsOf: repeatElement(skippedRow, count: rows))
    let buckets = context.bucketIds(table.grain)
    let values = groupColumns.map { context.valueIds($0) }
    let width = groupColumns.count
    // Bucket ids, hence first-level ids, are below the buckets interned so far: the arrays
    // indexed by them are sized once per batch, and the loop works on local copies (no
    // exclusivity check per row on this object's properties).
    let bucketCount = context.buckets[table.grain]?.count ?? 0
    if firstLevel.count < bucketCount {
      firstLevel.append(contentsOf: repeatElement(-1, count: bucketCount - firstLevel.count))
    }
    if width > 0 && !directOff {
      prepareDirect(values[0], rows: rows, keep: keep, firstBound: bucketCount)
    }
    let stride = directStride
    let levels = self.levels
    var first = firstLevel
    firstLevel = []
    var table = direct
    direct = []
    var firstCount = self.firstCount
    var groupBucket = self.groupBucket
    self.groupBucket = []
    var groupValues = self.groupValues
    self.groupValues = []
    groupOfRow.withUnsafeMutableBufferPointer { out in
      first.withUnsafeMutableBufferPointer { first in
        table.withUnsafeMutableBufferPointer { table in
          for r in 0..<rows {
            if let keep, !keep[r] { continue }
            let b = Int(buckets[r])
            var g = first[b]
            if g < 0 {
              g = Int32(firstCount)
              first[b] = g
              firstCount += 1
              if width == 0 { groupBucket.append(UInt32(b)) }
            }
            var id = UInt32(g)
            for j in 0..<width {
              let v = values[j][r]
              var at = -1
              if j == 0 && stride > 0 {
                at = Int(id) &* stride &+ (v == GoldContext.nullId ? 0 : Int(v) &+ 1)
                let known = table[at]
                if known > 0 {
                  id = UInt32(known - 1)
                  continue
                }
              }
              let level = levels[j]
              let before = level.count
              id = level.index(of: UInt64(id) << 32 | UInt64(v))
              if at >= 0 { table[at] = Int32(id) + 1 }
              if j == width - 1 && Int(id) == before {
                groupBucket.append(UInt32(b))
                for k in 0..<width { groupValues.append(values[k][r]) }
              }
            }
            out[r] = id
          }
        }
      }
    }
    firstLevel = first
    direct = table
    self.firstCount = firstCount
    self.groupBucket = groupBucket
    self.groupValues = groupValues
    groupCount = groupBucket.count
  }

  /// Sizes the first level's direct index for this batch.
  ///
  /// Its stride (a power of two) must exceed every value slot of `values`, and it must hold `firstBound` first-level ids; a
  /// wider stride rebuilds it from the level's dictionary. Past `directLimit` entries the
  /// dictionary is used alone.
  func prepareDirect(_ values: [UInt32], rows: Int, keep: [Bool]?, firstBound: Int) {
    var top = mergedTop
    values.withUnsafeBufferPointer { v in
      for r in 0..<rows where (keep == nil || keep![r]) && v[r] != GoldContext.nullId {
        top = max(top, Int(v[r]) + 1)
      }
    }
    var stride = max(directStride, 8)
    while stride <= top { stride *= 2 }
    let size = stride * max(firstBound, 1)
    if size > Self.directLimit {
      directOff = true
      directStride = 0
      direct = []
      return
    }
    if stride != directStride {
      directStride = stride
      direct.removeAll(keepingCapacity: true)
      direct.append(contentsOf: repeatElement(0, count: size))
      for (i, key) in levels[0].values.enumerated() {
        let v = UInt32(truncatingIfNeeded: key)
        direct[Int(key >> 32) * stride + (v == GoldContext.nullId ? 0 : Int(v) + 1)] = Int32(i) + 1
      }
    } else if direct.count < size {
      direct.append(contentsOf: repeatElement(0, count: size - direct.count))
    }
  }

  /// The result so far, one row per group, sorted by bucket then group values.
  public func result() -> [ColumnBuffer] {
    var out = schema.columns.map { ColumnBuffer(type: $0.type, capacity: groupCount) }
    result(into: &out)
    return out
  }

  /// Appends the result so far to `out` (at least one buffer per column of `schema`, in its
  /// order; further buffers are left alone), one row per group, sorted by bucket then group
  /// values.
  ///
  /// The sort compares integers: each group's bucket, then per group-by column the rank of its
  /// value among the distinct values the groups hold (only those are decoded and compared).
  public func result(into out: inout [ColumnBuffer]) {
    let width = groupColumns.count
    let n = groupCount
    var buckets: [Int64] = []
    buckets.reserveCapacity(n)
    for g in 0..<n { buckets.append(context.bucket(table.grain, groupBucket[g])) }
    // Per column: its distinct values in order (equal values share a rank), and each group's
    // rank.
    var ranks = [UInt32](repeating: 0, count: n * width)
    var sortedValues: [[KeyValue]] = []
    for j in 0..<width {
      var rankOf: [UInt32] = []
      var ids: [UInt32] = []
      for g in 0..<n {
        let id = groupValues[g * width + j]
        if id == GoldContext.nullId { continue }
        let i = Int(id)
        if rankOf.count <= i {
          rankOf.append(contentsOf: repeatElement(UInt32.max, count: i + 1 - rankOf.count))
        }
        if rankOf[i] == UInt32.max {
          rankOf[i] = 0
          ids.append(id)
        }
      }
      let decoded = ids.map { context.value(groupColumns[j], $0, type: groupTypes[j]) }
      let order: [Int]
      if case .bytes(let d)? = context.columns[groupColumns[j]] {
        // Strings: the interned bytes compared in place (unsigned, a prefix first).
        order = decoded.indices.sorted { x, y in
          let a = d.entry(Int(ids[x]))
          let b = d.entry(Int(ids[y]))
          let n = min(a.count, b.count)
          let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
          return c != 0 ? c < 0 : a.count < b.count
        }
      } else {
        order = decoded.indices.sorted { decoded[$0] < decoded[$1] }
      }
      var values: [KeyValue] = []
      values.reserveCapacity(order.count + 1)
      // Rank 0 is null (nulls sort first); equal values (0.0 and -0.0) share a rank.
      values.append(.null)
      var rank: UInt32 = 0
      var previous: KeyValue?
      for k in order {
        let v = decoded[k]
        if previous == nil || previous! < v || v < previous! {
          rank += 1
          values.append(v)
          previous = v
        }
        rankOf[Int(ids[k])] = rank
      }
      for g in 0..<n {
        let id = groupValues[g * width + j]
        ranks[g * width + j] = id == GoldContext.nullId ? 0 : rankOf[Int(id)]
      }
      sortedValues.append(values)
    }
    let order: [Int] = buckets.withUnsafeBufferPointer { b in
      ranks.withUnsafeBufferPointer { k in
        (0..<n).sorted { x, y in
          if b[x] != b[y] { return b[x] < b[y] }
          var i = x &* width
          var j = y &* width
          for _ in 0..<width {
            if k[i] != k[j] { return k[i] < k[j] }
            i &+= 1
            j &+= 1
          }
          return false
        }
      }
    }
    for c in 0..<schema.columns.count { out[c].reserve(out[c].count + n) }
    if table.grain == .day {
      for g in order { out[0].append(Int32(truncatingIfNeeded: buckets[g])) }
    } else {
      for g in order { out[0].append(buckets[g]) }
    }
    for j in 0..<width {
      let values = sortedValues[j]
      for g in order { values[Int(ranks[g * width + j])].append(to: &out[1 + j]) }
    }
    // Each metric's state is read in place, column by column (not copied per group).
    let base = 1 + width
    metrics.withUnsafeBufferPointer { metrics in
      for k in metrics.indices {
        for g in order { metrics[k].output(group: g, into: &out[base + k]) }
      }
      for (k, r) in ratios.enumerated() {
        let column = base + metrics.count + k
        for g in order {
          let n = metrics[r.numerator].asDouble(group: g)
          let d = metrics[r.denominator].asDouble(group: g)
          if let n, let d, d != 0 {
            out[column].append(n / d)
          } else {
            out[column].appendNull()
          }
        }
      }
    }
  }

  /// Forgets every group (the next partition or window starts empty); a context this
  /// aggregator owns is reset too, a shared one by its owner.
  public func reset() {
    firstLevel.removeAll(keepingCapacity: true)
    firstCount = 0
    for l in levels { l.removeAll() }
    direct.removeAll(keepingCapacity: true)
    directStride = 0
    directOff = false
    mergedTop = 0
    groupBucket.removeAll(keepingCapacity: true)
    groupValues.removeAll(keepingCapacity: true)
    groupCount = 0
    for k in metrics.indices { metrics[k].reset() }
    if ownsContext { context.reset() }
  }
}

// MARK: Saved state (GoldDayState.swift)

extension GoldAggregator {
  /// Each metric's kind and domain (what a saved state's partials must be).
  var metricKinds: [(MetricState.Kind, MetricState.Domain)] { metrics.map { ($0.kind, $0.domain) } }

  /// The groups and each metric's partials so far, values as values; nil when a value cannot
  /// be read back (not expected).
  func saved() -> GoldDayAggregate? {
    let width = groupColumns.count
    var out = GoldDayAggregate()
    out.groups.reserveCapacity(groupCount)
    for g in 0..<groupCount {
      var values: [GoldRawValue] = []
      for j in 0..<width {
        guard let v = context.raw(groupColumns[j], groupValues[g * width + j]) else { return nil }
        values.append(v)
      }
      out.groups.append((context.bucket(table.grain, groupBucket[g]), values))
    }
    for k in metrics.indices {
      metrics[k].grow(to: groupCount)
      let m = metrics[k]
      var p = GoldMetricPartial()
      p.counts = Array(m.counts.prefix(groupCount))
      p.ints = Array(m.ints.prefix(groupCount))
      p.doubles = Array(m.doubles.prefix(groupCount))
      p.bytes = Array(m.byteValues.prefix(groupCount))
      if let pairs = m.pairs {
        var failed = false
        pairs.forEachPair { g, v in
          guard let value = context.raw(m.first!, v) else {
            failed = true
            return
          }
          p.pairs.append((g, value))
        }
        if failed { return nil }
      }
      out.metrics.append(p)
    }
    return out
  }

  /// Whether a saved aggregate fits this table (its shape and value kinds).
  func accepts(_ s: GoldDayAggregate) -> Bool {
    let width = groupColumns.count
    let n = s.groups.count
    func fits(_ v: GoldRawValue, bytes: Bool) -> Bool {
      switch v {
      case .null: true
      case .bits: !bytes
      case .bytes: bytes
      }
    }
    guard s.metrics.count == metrics.count else { return false }
    for g in s.groups {
      guard g.values.count == width else { return false }
      for j in 0..<width where !fits(g.values[j], bytes: groupTypes[j].storage == .bytes) {
        return false
      }
    }
    for (k, m) in metrics.enumerated() {
      let p = s.metrics[k]
      guard p.counts.count == n else { return false }
      switch (m.kind, m.domain) {
      case (.count, _): break
      case (.distinct, _):
        guard p.pairs.allSatisfy({ Int($0.group) < n && fits($0.value, bytes: m.bytesDomain) })
        else { return false }
      case (_, .integral): guard p.ints.count == n else { return false }
      case (_, .double): guard p.doubles.count == n else { return false }
      case (_, .bytes): guard p.bytes.count == n else { return false }
      }
    }
    return true
  }

  /// Merges a saved aggregate into the groups (values interned through the context); false,
  /// with nothing changed, when it does not fit this table (`accepts`).
  func merge(_ s: GoldDayAggregate) throws -> Bool {
    guard accepts(s) else { return false }
    let width = groupColumns.count
    let n = s.groups.count
    var map: [UInt32] = []
    map.reserveCapacity(n)
    var ids = [UInt32](repeating: 0, count: width)
    for g in s.groups {
      let b = context.internBucket(table.grain, g.bucket)
      for j in 0..<width {
        ids[j] = context.intern(
          groupColumns[j], g.values[j], bytes: groupTypes[j].storage == .bytes)!
      }
      if width > 0 && ids[0] != GoldContext.nullId {
        mergedTop = max(mergedTop, Int(ids[0]) + 1)
      }
      map.append(groupId(bucket: b, values: ids))
    }
    for k in metrics.indices {
      metrics[k].grow(to: groupCount)
      let column = metrics[k].first
      let isBytes = metrics[k].bytesDomain
      try metrics[k].merge(
        s.metrics[k], groups: map,
        valueId: { self.context.intern(column!, $0, bytes: isBytes)! }, table: table.name)
    }
    return true
  }

  /// The group of bucket id `b` and value ids `values` (created when new), as `assignGroups`
  /// finds it for a row.
  func groupId(bucket b: UInt32, values: [UInt32]) -> UInt32 {
    let width = groupColumns.count
    let bi = Int(b)
    if firstLevel.count <= bi {
      firstLevel.append(contentsOf: repeatElement(-1, count: bi + 1 - firstLevel.count))
    }
    var g = firstLevel[bi]
    if g < 0 {
      g = Int32(firstCount)
      firstLevel[bi] = g
      firstCount += 1
      if width == 0 { groupBucket.append(b) }
    }
    var id = UInt32(g)
    for j in 0..<width {
      let before = levels[j].count
      id = levels[j].index(of: UInt64(id) << 32 | UInt64(values[j]))
      if j == width - 1 && Int(id) == before {
        groupBucket.append(b)
        groupValues.append(contentsOf: values)
      }
    }
    groupCount = groupBucket.count
    return id
  }
}

// MARK: Group keys

/// The group id of a row left out of the aggregation.
let skippedRow = UInt32.max

/// A group-by value, for sorting and output.
enum KeyValue: Equatable, Comparable {
  case null
  case int(Int64)
  case double(Double)
  case bytes([UInt8])

  /// Nulls sort first, as DuckDB's NULLS FIRST; bytes compare as unsigned bytes (UTF-8 order).
  static func < (a: KeyValue, b: KeyValue) -> Bool {
    switch (a, b) {
    case (.null, .null): false
    case (.null, _): true
    case (_, .null): false
    case (.int(let x), .int(let y)): x < y
    case (.double(let x), .double(let y)): x < y
    case (.bytes(let x), .bytes(let y)): x.lexicographicallyPrecedes(y)
    default: false
    }
  }

  func append(to column: inout ColumnBuffer) {
    switch self {
    case .null: column.appendNull()
    case .int(let v):
      switch column.type.storage {
      case .boolean: column.append(v != 0)
      case .int32: column.append(Int32(truncatingIfNeeded: v))
      case .int128: column.append(Int128(v))
      default: column.append(v)
      }
    case .double(let v):
      if column.type.storage == .float { column.append(Float(v)) } else { column.append(v) }
    case .bytes(let b): column.append(bytes: b)
    }
  }
}

// MARK: Filters

/// One compiled filter condition: `column = value` or `column != value`; a null never matches.
struct Condition: Equatable {
  let column: Int
  let negated: Bool
  let bits: Int64
  let double: Double
  let bytes: [UInt8]

  init(
    _ c: GoldCondition, input: TableSchema, column: (String) throws -> Int
  ) throws {
    self.column = try column(c.column)
    negated = c.negated
    let type = input.columns[self.column].type
    var bits: Int64 = 0
    var double = 0.0
    var bytes: [UInt8] = []
    var text = c.value
    let ok: Bool = text.withUTF8 { raw in
      let token = UnsafeRawBufferPointer(raw)
      switch type {
      case .string, .binary:
        bytes = Array(token)
        return true
      case .boolean:
        bits = c.value == "true" ? 1 : 0
        return c.value == "true" || c.value == "false"
      case .int32, .int64:
        guard let v = JSONValue.int64(token) else { return false }
        bits = v
        return true
      case .decimal(let p, let s):
        guard let v = JSONValue.decimal(token, precision: p, scale: s) else { return false }
        bits = v
        return true
      case .double, .float:
        guard let v = JSONValue.double(token) else { return false }
        double = v
        return true
      case .date:
        guard let v = DateText.parse(token) else { return false }
        bits = Int64(v)
        return true
      case .timestamp:
        guard let v = RFC3339.parse(token) else { return false }
        bits = v
        return true
      case .timestampNtz:
        guard let v = RFC3339.parse(c.value + "Z") else { return false }
        bits = v
        return true
      case .json:
        // Nested values are not filtered on.
        return false
      }
    }
    guard ok else {
      throw LakeFailure(
        .data, "filter \(c.column) = \(c.value): not a value of a \(type) column")
    }
    self.bits = bits
    self.double = double
    self.bytes = bytes
  }

  /// Clears `mask[r]` for the rows that fail the condition.
  func apply(_ values: ColumnBuffer, to mask: UnsafeMutableBufferPointer<Bool>) {
    let hasNulls = !values.validity.isEmpty
    switch values.type.storage {
    case .bytes:
      bytes.withUnsafeBytes { want in
        values.data.withUnsafeBytes { data in
          values.offsets.withUnsafeBufferPointer { offsets in
            for r in 0..<mask.count where mask[r] {
              if hasNulls && !values.validity[r] {
                mask[r] = false
                continue
              }
              let s = Int(offsets[r])
              let n = Int(offsets[r + 1]) - s
              let equal =
                n == want.count
                && (n == 0 || memcmp(data.baseAddress! + s, want.baseAddress!, n) == 0)
              if equal == negated { mask[r] = false }
            }
          }
        }
      }
    case .int32:
      for r in 0..<mask.count where mask[r] {
        if hasNulls && !values.validity[r] {
          mask[r] = false
        } else if (Int64(values.int32s[r]) == bits) == negated {
          mask[r] = false
        }
      }
    case .int64:
      for r in 0..<mask.count where mask[r] {
        if hasNulls && !values.validity[r] {
          mask[r] = false
        } else if (values.int64s[r] == bits) == negated {
          mask[r] = false
        }
      }
    case .boolean:
      for r in 0..<mask.count where mask[r] {
        if hasNulls && !values.validity[r] {
          mask[r] = false
        } else if (values.booleans[r] == (bits == 1)) == negated {
          mask[r] = false
        }
      }
    case .double:
      for r in 0..<mask.count where mask[r] {
        if hasNulls && !values.validity[r] {
          mask[r] = false
        } else if (values.doubles[r] == double) == negated {
          mask[r] = false
        }
      }
    case .float, .int128:
      for r in 0..<mask.count where mask[r] { mask[r] = false }
    }
  }
}

#if canImport(Glibc)
import Glibc
#endif
