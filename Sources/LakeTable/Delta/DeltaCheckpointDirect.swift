// LakeTable/Delta/DeltaCheckpointDirect.swift
//
// The fast way through a checkpoint's bulk (issue 15, "costs that stay flat"): the `add`,
// `remove` and `txn` columns decoded from their leaves' levels and values straight into
// DeltaAdd / DeltaRemove / DeltaTxn, without a NestedValue tree per row:
//
//   leaf chunks of one row group (ParquetNestedFile.leafChunks: levels + present values, a
//   dictionary decoded once per chunk)
//     scalar leaf  (path, size, modificationTime, dataChange, stats, appId, …)  one entry per row;
//                  the action is null where its definition level is below the struct's, the field
//                  null where it is below the leaf's maximum
//     string map   (partitionValues)  a row's entries run while the repetition level is 1;
//                  null map / empty map / entries by the map's and key_value's definition levels
//   ─▶ one String per path and stats value; partitionValues dictionaries shared by every file of
//      a partition (a cache keyed by the entries' bytes), so a partition's values are held once
//
// Only the shapes Delta writers use are taken this way (a struct of leaves and string maps, the
// leaf types the protocol gives); a column of another shape goes through the generic nested
// reader (`DeltaCheckpointCodec.Readers`), which every other column (metaData, protocol, sidecar,
// …) takes too. Every level and value index is checked: a corrupt file is an error, never a trap.

import LakeFormats
import LakeIO

/// A leaf's chunk with a cursor over its present values.
struct DirectLeaf {
  let definition: [UInt16]
  let repetition: [UInt16]
  let values: ColumnBuffer
  let top: UInt16
  /// The lowest definition level an entry read may have (that of the record it is a field of).
  let floor: UInt16
  /// The index of the next present value.
  var next = 0

  init(_ chunk: NestedLeafChunk, floor: UInt16 = 0) {
    definition = chunk.definition
    repetition = chunk.repetition
    values = chunk.values
    top = UInt16(truncatingIfNeeded: chunk.maxDefinition)
    self.floor = floor
  }

  var entries: Int { definition.count }

  /// The index of entry `e`'s value in `values`, or nil when the entry has none (null).
  @inline(__always)
  mutating func value(at e: Int) throws -> Int? {
    guard e < definition.count else {
      throw ParquetError.corrupt("a nested column's levels end early")
    }
    let d = definition[e]
    guard d >= floor else {
      throw ParquetError.corrupt("a nested column's levels disagree between its leaves")
    }
    guard d == top else { return nil }
    let i = next
    guard i < values.count else {
      throw ParquetError.corrupt("a nested column has fewer values than its levels")
    }
    next = i + 1
    return i
  }

  func int(_ i: Int) -> Int64 {
    values.type.storage == .int32 ? Int64(values.int32s[i]) : values.int64s[i]
  }

  func bool(_ i: Int) -> Bool { values.booleans[i] }

  func string(_ i: Int) -> String {
    values.data.withUnsafeBufferPointer {
      String(
        decoding: UnsafeBufferPointer(
          rebasing: $0[Int(values.offsets[i])..<Int(values.offsets[i + 1])]), as: UTF8.self)
    }
  }

  /// Appends value `i`'s length and bytes to `out` (a cache key).
  func appendKey(_ i: Int, to out: inout [UInt8]) {
    let start = Int(values.offsets[i])
    let end = Int(values.offsets[i + 1])
    appendLittleEndian(UInt32(end - start), to: &out)
    out.append(contentsOf: values.data[start..<end])
  }
}

/// The kinds of value a direct leaf may hold.
enum DirectKind {
  case string, integer, boolean

  func accepts(_ storage: ColumnStorageKind) -> Bool {
    switch self {
    case .string: storage == .bytes
    case .integer: storage == .int32 || storage == .int64
    case .boolean: storage == .boolean
    }
  }
}

/// The shared partitionValues dictionaries of one checkpoint file.
struct PartitionValuesCache {
  /// A row's entries as bytes (hashed in one go, not byte by byte as `[UInt8]` is).
  struct Key: Hashable {
    var bytes: [UInt8]

    func hash(into hasher: inout Hasher) {
      bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
  }

  var cache: [Key: [String: String?]] = [:]
  var scratch = Key(bytes: [])
  /// Distinct partitions kept at most (the cache starts over past this).
  static let limit = 1 << 16
}

/// A string→string map field (partitionValues) of an action column.
struct DirectStringMap {
  var key: DirectLeaf
  var value: DirectLeaf
  /// The entry at the start of the next row.
  var entry = 0
  /// Below this definition level the map is null; below `entryDefinition`, empty.
  let mapDefinition: UInt16
  let entryDefinition: UInt16
  let name: String

  /// Moves past one row's entries (a row whose action is null).
  mutating func skipRow() throws {
    try startRow()
    repeat {
      _ = try key.value(at: entry)
      _ = try value.value(at: entry)
      entry += 1
    } while entry < key.entries && key.repetition[entry] != 0
  }

  func startRow() throws {
    guard entry < key.entries, entry < value.entries else {
      throw ParquetError.corrupt("a nested column's levels end early")
    }
    guard key.repetition[entry] == 0, value.repetition[entry] == 0 else {
      throw ParquetError.corrupt("a row of '\(name)' does not start a record")
    }
  }

  /// The map of the next row (nil when null), through `cache`.
  mutating func read(_ cache: inout PartitionValuesCache) throws -> [String: String?]? {
    try startRow()
    let d = key.definition[entry]
    if d < mapDefinition {
      entry += 1
      return nil
    }
    if d < entryDefinition {
      entry += 1
      return [:]
    }
    let first = entry
    let firstKey = key.next
    let firstValue = value.next
    cache.scratch.bytes.removeAll(keepingCapacity: true)
    repeat {
      guard entry < value.entries, key.repetition[entry] == value.repetition[entry],
        entry == first || key.definition[entry] >= entryDefinition,
        value.definition[entry] >= entryDefinition
      else { throw ParquetError.corrupt("the key and value levels of '\(name)' disagree") }
      guard let k = try key.value(at: entry) else {
        throw LakeFailure(.data, "'\(name)' has a key that is not a string")
      }
      key.appendKey(k, to: &cache.scratch.bytes)
      if let v = try value.value(at: entry) {
        cache.scratch.bytes.append(1)
        value.appendKey(v, to: &cache.scratch.bytes)
      } else {
        cache.scratch.bytes.append(0)
      }
      entry += 1
    } while entry < key.entries && key.repetition[entry] != 0
    if let hit = cache.cache[cache.scratch] { return hit }
    // A partition not seen yet: its strings, from the row's entries again.
    var out: [String: String?] = [:]
    out.reserveCapacity(entry - first)
    var v = firstValue
    for (j, e) in (first..<entry).enumerated() {
      if value.definition[e] == value.top {
        out[key.string(firstKey + j)] = .some(value.string(v))
        v += 1
      } else {
        out[key.string(firstKey + j)] = .some(nil)
      }
    }
    if cache.cache.count >= PartitionValuesCache.limit { cache.cache.removeAll() }
    cache.cache[cache.scratch] = out
    return out
  }
}

/// One action column (add, remove or txn) of a row group, read directly.
struct DirectColumn {
  /// The definition level at which the action is present.
  let present: UInt16
  /// Scalar leaves by field (nil: the file has no such field).
  var leaves: [DirectLeaf?]
  /// The partitionValues map, for add and remove.
  var partitionValues: DirectStringMap?
  /// The leaf whose definition level tells whether the action is present.
  let probe: Int

  /// The value index of field `f` at row `r` (nil when null or absent).
  @inline(__always)
  mutating func index(_ f: Int, _ r: Int) throws -> Int? {
    guard leaves[f] != nil else { return nil }
    return try leaves[f]!.value(at: r)
  }

  mutating func string(_ f: Int, _ r: Int) throws -> String? {
    try index(f, r).map { leaves[f]!.string($0) }
  }

  mutating func int(_ f: Int, _ r: Int) throws -> Int64? {
    try index(f, r).map { leaves[f]!.int($0) }
  }

  mutating func bool(_ f: Int, _ r: Int) throws -> Bool? {
    try index(f, r).map { leaves[f]!.bool($0) }
  }

  /// Whether row `r` holds this action; when it does not, its map moves past the row.
  mutating func isPresent(_ r: Int) throws -> Bool {
    let d = leaves[probe]!.definition
    guard r < d.count else { throw ParquetError.corrupt("a nested column's levels end early") }
    if d[r] >= present { return true }
    for case let leaf? in leaves where leaf.definition[r] >= present {
      throw ParquetError.corrupt("a nested column's levels disagree between its leaves")
    }
    try partitionValues?.skipRow()
    return false
  }
}

/// How one action column is read directly: its scalar fields (name, kind) and whether it has a
/// partitionValues map.
struct DirectPlan {
  let column: String
  let fields: [(String, DirectKind)]
  let hasPartitionValues: Bool

  static let add = DirectPlan(
    column: "add",
    fields: [
      ("path", .string), ("size", .integer), ("modificationTime", .integer),
      ("dataChange", .boolean), ("stats", .string),
    ], hasPartitionValues: true)
  static let remove = DirectPlan(
    column: "remove",
    fields: [
      ("path", .string), ("deletionTimestamp", .integer), ("dataChange", .boolean),
      ("size", .integer),
    ], hasPartitionValues: true)
  static let txn = DirectPlan(
    column: "txn", fields: [("appId", .string), ("version", .integer), ("lastUpdated", .integer)],
    hasPartitionValues: false)

  /// Whether `file`'s column has a shape this plan reads: a nullable struct whose fields named
  /// here are leaves of the kinds given (the first one present), partitionValues a string map,
  /// and nothing else in it that the action needs.
  func applies(to file: ParquetNestedFile) -> Bool {
    guard let top = file.fields.first(where: { $0.name == column }),
      case .record(let members) = top.type, file.definitionLevel([column]) != nil
    else { return false }
    let byName = Dictionary(members.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
    guard case .leaf? = byName[fields[0].0] else { return false }
    for (name, kind) in fields {
      guard let t = byName[name] else { continue }
      guard case .leaf(let type) = t, kind.accepts(type.storage) else { return false }
    }
    if hasPartitionValues, let t = byName["partitionValues"] {
      guard case .map(let k, let v) = t, case .leaf(let kt) = k.type, kt.storage == .bytes,
        case .leaf(let vt) = v.type, vt.storage == .bytes,
        file.mapLeafPaths([column, "partitionValues"]) != nil
      else { return false }
    }
    return true
  }

  /// The column's leaves in row group `group` (after `applies(to:)` held).
  func read(_ file: ParquetNestedFile, rowGroup group: Int) throws -> DirectColumn {
    var paths = fields.map { [column, $0.0] }
    let map = hasPartitionValues ? file.mapLeafPaths([column, "partitionValues"]) : nil
    if let map { paths += [map.key, map.value] }
    let chunks = try file.leafChunks(rowGroup: group, paths: paths)
    let rows = Int(file.metadata.rowGroups[group].numRows)
    let present = UInt16(file.definitionLevel([column]) ?? 0)
    var leaves: [DirectLeaf?] = []
    for chunk in chunks.prefix(fields.count) {
      guard let chunk else {
        leaves.append(nil)
        continue
      }
      guard chunk.maxRepetition == 0, chunk.definition.count == rows else {
        throw ParquetError.corrupt(
          "a '\(column)' field has \(chunk.definition.count) entries for \(rows) rows")
      }
      leaves.append(DirectLeaf(chunk, floor: present))
    }
    var pv: DirectStringMap?
    if map != nil, let k = chunks[fields.count], let v = chunks[fields.count + 1] {
      guard k.maxRepetition == 1, v.maxRepetition == 1,
        let md = file.definitionLevel([column, "partitionValues"]),
        let ed = file.definitionLevel(Array(map!.key.dropLast()))
      else { throw ParquetError.corrupt("'\(column).partitionValues' is not a map of its own") }
      pv = DirectStringMap(
        key: DirectLeaf(k), value: DirectLeaf(v), mapDefinition: UInt16(md),
        entryDefinition: UInt16(ed), name: "partitionValues")
    }
    return DirectColumn(present: present, leaves: leaves, partitionValues: pv, probe: 0)
  }
}

extension DirectColumn {
  /// The add at row `r`, or nil when the row holds none.
  mutating func add(_ r: Int, _ cache: inout PartitionValuesCache) throws -> DeltaAdd? {
    guard try isPresent(r) else { return nil }
    guard let path = try string(0, r) else { throw LakeFailure(.data, "add without 'path'") }
    let pv = try partitionValues?.read(&cache)
    guard let size = try int(1, r) else { throw LakeFailure(.data, "add without 'size'") }
    return DeltaAdd(
      path: path, partitionValues: pv ?? [:], size: size,
      modificationTime: try int(2, r) ?? 0, dataChange: try bool(3, r) ?? false,
      stats: try string(4, r))
  }

  /// The remove at row `r`, or nil when the row holds none.
  mutating func remove(_ r: Int, _ cache: inout PartitionValuesCache) throws -> DeltaRemove? {
    guard try isPresent(r) else { return nil }
    guard let path = try string(0, r) else { throw LakeFailure(.data, "remove without 'path'") }
    let pv = try partitionValues?.read(&cache)
    return DeltaRemove(
      path: path, deletionTimestamp: try int(1, r), dataChange: try bool(2, r) ?? false,
      partitionValues: pv, size: try int(3, r))
  }

  /// The txn at row `r`, or nil when the row holds none.
  mutating func txn(_ r: Int) throws -> DeltaTxn? {
    guard try isPresent(r) else { return nil }
    guard let app = try string(0, r) else { throw LakeFailure(.data, "txn without 'appId'") }
    guard let version = try int(1, r) else { throw LakeFailure(.data, "txn without 'version'") }
    return DeltaTxn(appId: app, version: version, lastUpdated: try int(2, r))
  }
}

/// Writing a checkpoint's rows straight into its leaves' streams.
///
/// The action's own column gets its values, the other four a null entry each, added as one run when the next action of
/// theirs (or the row group's end) comes. Every field is nullable, so a field's null sits one
/// definition level below its value, a null map or list two below its entries' level (one below
/// for an empty one).
struct CheckpointLeaves {
  var columns: ParquetNestedColumns
  /// The leaves of each top-level column (txn, add, remove, metaData, protocol).
  let ranges: [Range<Int>]
  /// Each leaf's maximum definition level.
  let maxima: [Int]
  /// Null rows owed to each top-level column.
  var owed = [Int](repeating: 0, count: 5)
  var row = 0

  init(_ columns: ParquetNestedColumns, features: Bool) throws {
    self.columns = columns
    let leaves = columns.leaves
    maxima = leaves.map(\.maxDefinition)
    self.ranges = columns.fields.map { f in
      let first = leaves.firstIndex { $0.path.first == f.name } ?? leaves.count
      var end = first
      while end < leaves.count && leaves[end].path.first == f.name { end += 1 }
      return first..<end
    }
  }

  /// Starts a row of top-level column `c`: the null rows it owes first, one owed by the others.
  mutating func begin(_ c: Int) {
    pay(c)
    for i in owed.indices where i != c { owed[i] += 1 }
  }

  mutating func pay(_ c: Int) {
    guard owed[c] > 0 else { return }
    for leaf in ranges[c] { columns.appendNull(leaf, definition: 0, count: owed[c]) }
    owed[c] = 0
  }

  mutating func endRowGroup(rows: Int) throws {
    for c in owed.indices { pay(c) }
    try columns.endRowGroup(rows: rows)
  }

  func max(_ leaf: Int) -> Int { maxima[leaf] }

  mutating func string(_ leaf: Int, _ v: String?) throws {
    if let v {
      try columns.append(leaf, string: v, definition: max(leaf))
    } else {
      columns.appendNull(leaf, definition: max(leaf) - 1)
    }
  }

  mutating func int(_ leaf: Int, _ v: Int64?) throws {
    if let v {
      try columns.append(leaf, int: v, definition: max(leaf))
    } else {
      columns.appendNull(leaf, definition: max(leaf) - 1)
    }
  }

  mutating func bool(_ leaf: Int, _ v: Bool?) throws {
    if let v {
      try columns.append(leaf, bool: v, definition: max(leaf))
    } else {
      columns.appendNull(leaf, definition: max(leaf) - 1)
    }
  }

  /// A map<string, string> at leaves `key` and `key + 1`, entries in key order.
  mutating func map(_ key: Int, _ m: [String: String?]?) throws {
    let value = key + 1
    // The key is required: its maximum is the entries' level.
    let entries = max(key)
    guard let m else {
      columns.appendNull(key, definition: entries - 2)
      columns.appendNull(value, definition: entries - 2)
      return
    }
    if m.isEmpty {
      columns.appendNull(key, definition: entries - 1)
      columns.appendNull(value, definition: entries - 1)
      return
    }
    func entry(_ k: String, _ v: String?, _ r: Int) throws {
      try columns.append(key, string: k, repetition: r, definition: entries)
      if let v {
        try columns.append(value, string: v, repetition: r, definition: max(value))
      } else {
        columns.appendNull(value, repetition: r, definition: entries)
      }
    }
    if m.count == 1, let (k, v) = m.first {
      try entry(k, v, 0)
      return
    }
    for (j, k) in m.keys.sorted().enumerated() { try entry(k, m[k] ?? nil, j == 0 ? 0 : 1) }
  }

  /// A list<string> at leaf `element`.
  mutating func list(_ element: Int, _ items: [String]?) throws {
    // The element is nullable: its entries' level is one below its maximum.
    let entries = max(element) - 1
    guard let items else {
      columns.appendNull(element, definition: entries - 2)
      return
    }
    if items.isEmpty {
      columns.appendNull(element, definition: entries - 1)
      return
    }
    for (j, item) in items.enumerated() {
      try columns.append(element, string: item, repetition: j == 0 ? 0 : 1, definition: entries + 1)
    }
  }

  // Leaves in `DeltaCheckpointCodec.fields` order.

  mutating func txn(_ t: DeltaTxn) throws {
    begin(0)
    let l = ranges[0].lowerBound
    try string(l, t.appId)
    try int(l + 1, t.version)
    try int(l + 2, t.lastUpdated)
  }

  mutating func add(_ a: DeltaAdd) throws {
    begin(1)
    let l = ranges[1].lowerBound
    try string(l, a.path)
    try map(l + 1, a.partitionValues)
    try int(l + 3, a.size)
    try int(l + 4, a.modificationTime)
    try bool(l + 5, a.dataChange)
    try string(l + 6, a.stats)
    try map(l + 7, nil)
  }

  mutating func remove(_ r: DeltaRemove) throws {
    begin(2)
    let l = ranges[2].lowerBound
    try string(l, r.path)
    try int(l + 1, r.deletionTimestamp)
    try bool(l + 2, r.dataChange)
    try bool(l + 3, r.partitionValues != nil && r.size != nil)
    try map(l + 4, r.partitionValues)
    try int(l + 6, r.size)
  }

  mutating func metaData(_ m: DeltaMetadata) throws {
    begin(3)
    let l = ranges[3].lowerBound
    try string(l, m.id)
    try string(l + 1, m.name)
    try string(l + 2, m.description)
    try string(l + 3, m.provider)
    try map(l + 4, [:])
    try string(l + 6, m.schemaString)
    try list(l + 7, m.partitionColumns)
    try map(l + 8, m.configuration.mapValues { Optional($0) })
    try int(l + 10, m.createdTime)
  }

  mutating func `protocol`(_ p: DeltaProtocol) throws {
    begin(4)
    let l = ranges[4].lowerBound
    try int(l, Int64(p.minReaderVersion))
    try int(l + 1, Int64(p.minWriterVersion))
    if ranges[4].count > 2 {
      try list(l + 2, p.readerFeatures)
      try list(l + 3, p.writerFeatures)
    }
  }
}
