// LakeStages/Gold/GoldContext.swift
//
// The work gold tables share over one batch of silver rows: each column they group by or count
// distinct values of is interned once (values → dense ids, exact: strings by bytes, numbers by
// bits), and each grain's time buckets once, whatever the number of tables that use them. The
// interners live until `reset` (a new day, a new window), so ids are stable across batches.

import LakeContracts
import LakeFormats
import LakeIO

/// Values and buckets of a batch, interned once for every gold table.
public final class GoldContext {
  /// The id of a null value.
  static let nullId = UInt32.max

  let clock: ZoneClock
  let timeColumn: Int
  var columns: [Int: Interner] = [:]
  /// Per column, its ids in this batch; `current` says which are this batch's (the arrays
  /// are kept and overwritten from batch to batch: no fresh pages per batch).
  var ids: [Int: [UInt32]] = [:]
  var current = Set<Int>()
  var buckets: [GoldGrain: FixedDictionary] = [:]
  var bucketIds: [GoldGrain: [UInt32]] = [:]
  var currentBuckets = Set<GoldGrain>()
  var batch: [ColumnBuffer] = []
  /// Filters evaluated over this batch (each distinct list of conditions once for all tables).
  var maskConditions: [[Condition]] = []
  var maskValues: [[Bool]] = []
  /// The rows of the batch the tables fold (nil: every row); the others are not interned.
  var rows: [Bool]?
  /// Per column read with Parquet dictionary codes: the dictionary last seen and each of its
  /// entries' value id (`unmapped` until a row uses it), so that a value is interned once per
  /// column chunk rather than once per row.
  var codeMaps: [Int: (dictionary: ColumnDictionary, ids: [UInt32])] = [:]
  static let unmapped = UInt32.max - 1

  /// The values of one column, interned.
  enum Interner {
    case bytes(ByteDictionary)
    case bits(FixedDictionary)
  }

  /// A context for rows whose event time is column `timeColumn`, cut by `clock`.
  public init(clock: ZoneClock, timeColumn: Int) {
    self.clock = clock
    self.timeColumn = timeColumn
  }

  /// Starts a new batch of which only `rows` (nil: every row) are folded: ids are computed on
  /// first use, for those rows only.
  public func begin(_ batch: [ColumnBuffer], rows: [Bool]? = nil) {
    self.batch = batch
    self.rows = rows
    current.removeAll(keepingCapacity: true)
    currentBuckets.removeAll(keepingCapacity: true)
    maskConditions.removeAll(keepingCapacity: true)
    maskValues.removeAll(keepingCapacity: true)
  }

  /// Ends the batch: lets go of its columns, so that the reader can reuse their storage for
  /// the next one (ids, buckets and masks are kept until the next `begin`).
  public func end() {
    batch = []
  }

  /// The rows of this batch meeting every one of `conditions` (computed on first use).
  func mask(_ conditions: [Condition]) -> [Bool] {
    if let i = maskConditions.firstIndex(of: conditions) { return maskValues[i] }
    var mask = [Bool](repeating: true, count: batch.first?.count ?? 0)
    mask.withUnsafeMutableBufferPointer { mask in
      for c in conditions { c.apply(batch[c.column], to: mask) }
    }
    maskConditions.append(conditions)
    maskValues.append(mask)
    return mask
  }

  /// Forgets every interned value and bucket (a new day or window).
  public func reset() {
    for i in columns.values {
      switch i {
      case .bytes(let d): d.removeAll()
      case .bits(let d): d.removeAll()
      }
    }
    for d in buckets.values { d.removeAll() }
    codeMaps.removeAll()
    current.removeAll(keepingCapacity: true)
    currentBuckets.removeAll(keepingCapacity: true)
  }

  /// The id of each row's value of column `c` in this batch (`nullId` for null).
  func valueIds(_ c: Int) -> [UInt32] {
    if current.contains(c) { return ids[c]! }
    let column = batch[c]
    let interner: Interner
    if let existing = columns[c] {
      interner = existing
    } else {
      interner = column.type.storage == .bytes ? .bytes(ByteDictionary()) : .bits(FixedDictionary())
      columns[c] = interner
    }
    let rows = column.count
    var out = ids.removeValue(forKey: c) ?? []
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: repeatElement(Self.nullId, count: rows))
    let hasNulls = !column.validity.isEmpty
    // Rows left out are interned as null (their ids are never read).
    var validity = column.validity
    if let keep = self.rows {
      if !hasNulls {
        validity = keep
      } else {
        for r in 0..<rows where !keep[r] { validity[r] = false }
      }
    }
    let masked = hasNulls || self.rows != nil
    if column.dictionaryCodesValid, let dictionary = column.dictionary {
      var map = codeMaps.removeValue(forKey: c)
      if map == nil || map!.dictionary !== dictionary {
        var ids = map?.ids ?? []
        ids.removeAll(keepingCapacity: true)
        ids.append(contentsOf: repeatElement(Self.unmapped, count: dictionary.values.count))
        map = (dictionary, ids)
      }
      var codeIds = map!.ids
      map!.ids = []
      let values = dictionary.values
      out.withUnsafeMutableBufferPointer { out in
        codeIds.withUnsafeMutableBufferPointer { codeIds in
          column.dictionaryCodes.withUnsafeBufferPointer { codes in
            for r in 0..<rows where !masked || validity[r] {
              let code = Int(codes[r])
              var id = codeIds[code]
              if id == Self.unmapped {
                id = Self.intern(values, code, interner)
                codeIds[code] = id
              }
              out[r] = id
            }
          }
        }
      }
      codeMaps[c] = (dictionary, codeIds)
      ids[c] = out
      current.insert(c)
      return out
    }
    out.withUnsafeMutableBufferPointer { out in
      switch interner {
      case .bytes(let d):
        column.data.withUnsafeBytes { data in
          column.offsets.withUnsafeBufferPointer { offsets in
            for r in 0..<rows where !masked || validity[r] {
              let s = Int(offsets[r])
              out[r] = d.index(of: UnsafeRawBufferPointer(rebasing: data[s..<Int(offsets[r + 1])]))
            }
          }
        }
      case .bits(let d):
        switch column.type.storage {
        case .int64:
          column.int64s.withUnsafeBufferPointer { v in
            for r in 0..<rows where !masked || validity[r] {
              out[r] = d.index(of: UInt64(bitPattern: v[r]))
            }
          }
        case .int32:
          column.int32s.withUnsafeBufferPointer { v in
            for r in 0..<rows where !masked || validity[r] {
              out[r] = d.index(of: UInt64(UInt32(bitPattern: v[r])))
            }
          }
        case .double:
          for r in 0..<rows where !masked || validity[r] {
            out[r] = d.index(of: column.doubles[r].bitPattern)
          }
        case .float:
          for r in 0..<rows where !masked || validity[r] {
            out[r] = d.index(of: UInt64(column.floats[r].bitPattern))
          }
        case .boolean:
          for r in 0..<rows where !masked || validity[r] {
            out[r] = d.index(of: column.booleans[r] ? 1 : 0)
          }
        case .int128:
          for r in 0..<rows where !masked || validity[r] {
            out[r] = d.index(of: UInt64(truncatingIfNeeded: column.int128s[r]))
          }
        case .bytes:
          break
        }
      }
    }
    ids[c] = out
    current.insert(c)
    return out
  }

  /// The id of entry `i` of `values` (a column's values, no nulls) in `interner`, as
  /// `valueIds` interns it row by row.
  static func intern(_ values: ColumnBuffer, _ i: Int, _ interner: Interner) -> UInt32 {
    switch interner {
    case .bytes(let d):
      return values.data.withUnsafeBytes { data in
        let s = Int(values.offsets[i])
        return d.index(of: UnsafeRawBufferPointer(rebasing: data[s..<Int(values.offsets[i + 1])]))
      }
    case .bits(let d):
      switch values.type.storage {
      case .int64: return d.index(of: UInt64(bitPattern: values.int64s[i]))
      case .int32: return d.index(of: UInt64(UInt32(bitPattern: values.int32s[i])))
      case .double: return d.index(of: values.doubles[i].bitPattern)
      case .float: return d.index(of: UInt64(values.floats[i].bitPattern))
      case .boolean: return d.index(of: values.booleans[i] ? 1 : 0)
      case .int128: return d.index(of: UInt64(truncatingIfNeeded: values.int128s[i]))
      case .bytes: return GoldContext.nullId
      }
    }
  }

  /// The id of each row's time bucket of `grain` in this batch.
  func bucketIds(_ grain: GoldGrain) -> [UInt32] {
    if currentBuckets.contains(grain) { return bucketIds[grain]! }
    let d: FixedDictionary
    if let existing = buckets[grain] {
      d = existing
    } else {
      d = FixedDictionary()
      buckets[grain] = d
    }
    let times = batch[timeColumn]
    let rows = times.count
    var out = bucketIds.removeValue(forKey: grain) ?? []
    out.removeAll(keepingCapacity: true)
    out.append(contentsOf: repeatElement(0, count: rows))
    let clock = self.clock
    let keep = self.rows
    times.int64s.withUnsafeBufferPointer { t in
      out.withUnsafeMutableBufferPointer { out in
        // Rows usually come in time order: reuse the last bucket's id while it holds.
        var lastStart = Int64.max
        var lastEnd = Int64.min
        var lastId: UInt32 = 0
        for r in 0..<rows where keep == nil || keep![r] {
          let micros = t[r]
          if micros >= lastStart && micros < lastEnd {
            out[r] = lastId
            continue
          }
          let b: Int64
          switch grain {
          case .day: b = clock.localDay(micros)
          case .hour: b = clock.bucketStart(micros, length: GoldGrain.hour.micros)
          case .minute: b = floorDivide(micros, GoldGrain.minute.micros) * GoldGrain.minute.micros
          }
          lastId = d.index(of: UInt64(bitPattern: b))
          out[r] = lastId
          if grain == .minute {
            lastStart = b
            lastEnd = b + GoldGrain.minute.micros
          } else {
            lastStart = Int64.max
            lastEnd = Int64.min
          }
        }
      }
    }
    bucketIds[grain] = out
    currentBuckets.insert(grain)
    return out
  }

  /// The bucket value (a local day, or the start instant) of a bucket id.
  func bucket(_ grain: GoldGrain, _ id: UInt32) -> Int64 {
    Int64(bitPattern: buckets[grain]!.values[Int(id)])
  }

  /// The value of column `c` (of `type`) with id `id`.
  func value(_ c: Int, _ id: UInt32, type: ColumnType) -> KeyValue {
    guard id != Self.nullId, let interner = columns[c] else { return .null }
    switch interner {
    case .bytes(let d): return .bytes(Array(d.entry(Int(id))))
    case .bits(let d):
      let bits = d.values[Int(id)]
      switch type.storage {
      case .double: return .double(Double(bitPattern: bits))
      case .float: return .double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))))
      case .int32: return .int(Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: bits))))
      default: return .int(Int64(bitPattern: bits))
      }
    }
  }
}

// MARK: Saved state (GoldDayState.swift)

/// An interned value as stored in a saved state: what the interner keys it by.
enum GoldRawValue: Equatable {
  case null
  /// A number's bits, as `GoldContext.valueIds` interns it.
  case bits(UInt64)
  case bytes([UInt8])
}

extension GoldContext {
  /// The raw value of id `id` of column `c` (nil when the column has no interner or no such id).
  func raw(_ c: Int, _ id: UInt32) -> GoldRawValue? {
    guard id != Self.nullId else { return .null }
    switch columns[c] {
    case .bytes(let d)?:
      guard Int(id) < d.count else { return nil }
      return .bytes(Array(d.entry(Int(id))))
    case .bits(let d)?:
      guard Int(id) < d.count else { return nil }
      return .bits(d.values[Int(id)])
    case nil: return nil
    }
  }

  /// The id of a raw value of column `c` (whose values are byte strings when `bytes`),
  /// interned as a batch would; nil when the value's kind does not fit the column.
  func intern(_ c: Int, _ value: GoldRawValue, bytes: Bool) -> UInt32? {
    let interner: Interner
    if let existing = columns[c] {
      interner = existing
    } else {
      interner = bytes ? .bytes(ByteDictionary()) : .bits(FixedDictionary())
      columns[c] = interner
    }
    switch (value, interner) {
    case (.null, _): return Self.nullId
    case (.bits(let b), .bits(let d)): return d.index(of: b)
    case (.bytes(let b), .bytes(let d)):
      return b.withUnsafeBytes { d.index(of: $0) }
    default: return nil
    }
  }

  /// The id of the bucket `value` of `grain`.
  func internBucket(_ grain: GoldGrain, _ value: Int64) -> UInt32 {
    let d: FixedDictionary
    if let existing = buckets[grain] {
      d = existing
    } else {
      d = FixedDictionary()
      buckets[grain] = d
    }
    return d.index(of: UInt64(bitPattern: value))
  }
}
