// LakeFormats/Parquet/Nested/NestedAssembler.swift
//
// Record assembly: the values of a top-level column, row by row, from the levels and values of
// its leaves (one row group's chunks). Each leaf has a cursor over its level entries; reading a
// part of the column consumes entries from the leaves under it:
//
//   null or empty part  one entry from every leaf under it (all share a definition level below
//                       the part's, the Dremel rule)
//   leaf                one entry (and one value when the definition level is its maximum)
//   record              each field in turn
//   list / map          elements while the next entry of its first leaf repeats at the list's
//                       level
//
// Every cursor is checked against its leaf's entries: corrupt levels end in an error, never a trap.

/// Reads values from the levelled leaves of one row group.
struct NestedAssembler {
  var columns: [LevelledColumn]
  var position: [Int]
  var valueIndex: [Int]

  init(columns: [LevelledColumn]) {
    self.columns = columns
    position = [Int](repeating: 0, count: columns.count)
    valueIndex = [Int](repeating: 0, count: columns.count)
  }

  func definition(_ c: Int) throws -> Int {
    let p = position[c]
    guard p < columns[c].definition.count else {
      throw ParquetError.corrupt("a nested column's levels end early")
    }
    return Int(columns[c].definition[p])
  }

  /// Moves every leaf in `leaves` past one entry (of a null or empty part).
  mutating func skip(_ leaves: [Int], below definition: Int) throws {
    for c in leaves {
      guard position[c] < columns[c].definition.count,
        Int(columns[c].definition[position[c]]) < definition
      else { throw ParquetError.corrupt("a nested column's levels disagree between its leaves") }
      position[c] += 1
    }
  }

  /// The value of `shape` at the cursors.
  mutating func read(_ shape: NestedShape) throws -> NestedValue {
    switch shape {
    case .skipped:
      return .null
    case .leaf(let c, let maxDefinition, _):
      let d = try definition(c)
      position[c] += 1
      guard d == maxDefinition else { return .null }
      let i = valueIndex[c]
      guard i < columns[c].values.count else {
        throw ParquetError.corrupt("a nested column has fewer values than its levels")
      }
      valueIndex[c] = i + 1
      return Self.value(columns[c].values, i)
    case .record(let fields, let definition, let nullable, let first, let leaves):
      if nullable, try self.definition(first) < definition {
        try skip(leaves, below: definition)
        return .null
      }
      var out: [NestedValue] = []
      out.reserveCapacity(fields.count)
      for f in fields { out.append(try read(f)) }
      return .record(out)
    case .list(
      let element, let definition, let nullable, let elementDefinition, let repetition, let isMap,
      let first, let leaves):
      let d = try self.definition(first)
      if nullable && d < definition {
        try skip(leaves, below: definition)
        return .null
      }
      if d < elementDefinition {
        try skip(leaves, below: elementDefinition)
        return isMap ? .map([]) : .list([])
      }
      var items: [NestedValue] = []
      var entries: [NestedEntry] = []
      while true {
        let v = try read(element)
        if isMap {
          entries.append(NestedEntry(key: v[0], value: v[1]))
        } else {
          items.append(v)
        }
        let p = position[first]
        guard p < columns[first].repetition.count,
          Int(columns[first].repetition[p]) >= repetition
        else { break }
      }
      return isMap ? .map(entries) : .list(items)
    }
  }

  /// Moves every leaf's cursors past `n` rows, whose values are not wanted; `maxDefinition[c]`
  /// is leaf c's maximum definition level (an entry at it holds a value).
  mutating func skipRows(_ n: Int, maxDefinition: [Int]) throws {
    guard n > 0 else { return }
    for c in columns.indices {
      let top = UInt16(truncatingIfNeeded: maxDefinition[c])
      var p = position[c]
      var v = valueIndex[c]
      columns[c].definition.withUnsafeBufferPointer { def in
        columns[c].repetition.withUnsafeBufferPointer { rep in
          var left = n
          while left > 0 && p < def.count {
            if def[p] == top { v += 1 }
            p += 1
            while p < def.count && p < rep.count && rep[p] != 0 {
              if def[p] == top { v += 1 }
              p += 1
            }
            left -= 1
          }
        }
      }
      guard p <= columns[c].definition.count, v <= columns[c].values.count else {
        throw ParquetError.corrupt("a nested column's levels end early")
      }
      position[c] = p
      valueIndex[c] = v
    }
  }

  /// True when every leaf's cursor stands at the start of a row (or at its end).
  func atRowStart() -> Bool {
    for c in columns.indices where position[c] < columns[c].repetition.count {
      if columns[c].repetition[position[c]] != 0 { return false }
    }
    return true
  }

  static func value(_ b: ColumnBuffer, _ i: Int) -> NestedValue {
    switch b.type.storage {
    case .boolean: return .boolean(b.booleans[i])
    case .int32: return .int(Int64(b.int32s[i]))
    case .int64: return .int(b.int64s[i])
    case .int128: return .int128(b.int128s[i])
    case .float: return .double(Double(b.floats[i]))
    case .double: return .double(b.doubles[i])
    case .bytes:
      return b.data.withUnsafeBufferPointer {
        .bytes(Array($0[Int(b.offsets[i])..<Int(b.offsets[i + 1])]))
      }
    }
  }
}
