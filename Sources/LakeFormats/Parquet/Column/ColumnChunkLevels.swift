// LakeFormats/Parquet/Column/ColumnChunkLevels.swift
//
// Decodes one column chunk of a nested (or flat) leaf into its levels and values, for record
// assembly (`NestedAssembler`):
//
//   entries   one per level pair: repetition level (0 when the leaf has none) and definition
//             level (its maximum when the leaf is required all the way up)
//   values    the present values only (definition level == maximum), in order
//
// Page bodies:  v1  [uint32 len + RLE rep levels] [uint32 len + RLE def levels] values
//               v2  rep levels, def levels (lengths in the header, never compressed), values
// The flat path (`read(_:rows:into:)`) is untouched; values decode through the same
// `readValues` (dictionary, PLAIN, DELTA_*, BYTE_STREAM_SPLIT, RLE booleans) and codecs.

/// The levels and present values of one chunk of a leaf column.
struct LevelledColumn {
  var repetition: [UInt16] = []
  var definition: [UInt16] = []
  var values: ColumnBuffer

  init(type: ColumnType) { values = ColumnBuffer(type: type) }

  mutating func removeAll() {
    repetition.removeAll(keepingCapacity: true)
    definition.removeAll(keepingCapacity: true)
    values.removeAll()
  }
}

extension ColumnChunkReader {
  /// Decodes a whole chunk of `entries` level entries (ColumnMetaData.num_values) into `out`.
  mutating func readLevelled(
    _ chunk: UnsafeRawBufferPointer, entries: Int, maxDefinition: Int, maxRepetition: Int,
    into out: inout LevelledColumn
  ) throws {
    var position = 0
    var decoded = 0
    var sawData = false
    // Room for every entry's levels (and value offsets) at once, not by doubling page by page;
    // capped by the chunk's size, so that a corrupt count cannot reserve much.
    let room = min(entries, chunk.count * 8)
    out.repetition.reserveCapacity(out.repetition.count + room)
    out.definition.reserveCapacity(out.definition.count + room)
    out.values.reserve(room)
    while decoded < entries {
      guard position < chunk.count else {
        throw ParquetError.corrupt("column chunk ends after \(decoded) of \(entries) values")
      }
      var reader = ThriftReader(chunk, position: position)
      let header = try PageHeader(from: &reader)
      position = reader.position
      let size = Int(header.compressedPageSize)
      guard size >= 0, size <= chunk.count - position, header.uncompressedPageSize >= 0 else {
        throw ParquetError.corrupt(
          "page of \(header.compressedPageSize) bytes past the end of its chunk")
      }
      let page = UnsafeRawBufferPointer(rebasing: chunk[position..<(position + size)])
      position += size
      switch PageType(rawValue: header.type) {
      case .dictionaryPage?:
        guard !sawData, dictionary == nil, let d = header.dictionaryPageHeader else {
          throw ParquetError.corrupt("dictionary page out of place")
        }
        let body = try decompress(page, to: Int(header.uncompressedPageSize))
        try readDictionary(body, count: Int(d.numValues), encoding: d.encoding)
        recycle(body)
      case .dataPage?:
        guard let d = header.dataPageHeader else {
          throw ParquetError.corrupt("data page without its header")
        }
        sawData = true
        let n = Int(d.numValues)
        guard n >= 0, n <= entries - decoded else {
          throw ParquetError.corrupt(
            "data page has \(n) values, chunk has \(entries - decoded) left")
        }
        guard n <= Self.maxPageValues else {
          throw ParquetError.unsupported("page of \(n) values (at most \(Self.maxPageValues))")
        }
        let body = try decompress(page, to: Int(header.uncompressedPageSize))
        try body.withUnsafeBytes { b in
          var at = 0
          func section() throws -> UnsafeRawBufferPointer {
            guard b.count - at >= 4 else {
              throw ParquetError.corrupt("data page too short for its levels")
            }
            let length = Int(b.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
            guard length <= b.count - at - 4 else {
              throw ParquetError.corrupt("levels past the end of the page")
            }
            defer { at += 4 + length }
            return UnsafeRawBufferPointer(rebasing: b[(at + 4)..<(at + 4 + length)])
          }
          if maxRepetition > 0 {
            try appendLevels(section(), count: n, max: maxRepetition, to: &out.repetition)
          } else {
            out.repetition.append(contentsOf: repeatElement(0, count: n))
          }
          let present: Int
          if maxDefinition > 0 {
            present = try appendLevels(
              section(), count: n, max: maxDefinition, to: &out.definition)
          } else {
            out.definition.append(contentsOf: repeatElement(0, count: n))
            present = n
          }
          try readValues(
            UnsafeRawBufferPointer(rebasing: b[at...]), encoding: d.encoding, rows: present,
            present: present, into: &out.values)
        }
        recycle(body)
        decoded += n
      case .dataPageV2?:
        guard let d = header.dataPageHeaderV2 else {
          throw ParquetError.corrupt("data page v2 without its header")
        }
        sawData = true
        let n = Int(d.numValues)
        let repLength = Int(d.repetitionLevelsByteLength)
        let defLength = Int(d.definitionLevelsByteLength)
        guard n <= Self.maxPageValues else {
          throw ParquetError.unsupported("page of \(n) values (at most \(Self.maxPageValues))")
        }
        guard n >= 0, n <= entries - decoded, repLength >= 0, defLength >= 0,
          repLength + defLength <= page.count
        else { throw ParquetError.corrupt("data page v2 header is inconsistent") }
        if maxRepetition > 0 {
          try appendLevels(
            UnsafeRawBufferPointer(rebasing: page[0..<repLength]), count: n, max: maxRepetition,
            to: &out.repetition)
        } else {
          out.repetition.append(contentsOf: repeatElement(0, count: n))
        }
        var present = n
        if maxDefinition > 0 {
          present = try appendLevels(
            UnsafeRawBufferPointer(rebasing: page[repLength..<(repLength + defLength)]), count: n,
            max: maxDefinition, to: &out.definition)
        } else {
          out.definition.append(contentsOf: repeatElement(0, count: n))
        }
        let values = UnsafeRawBufferPointer(rebasing: page[(repLength + defLength)...])
        let valuesSize = Int(header.uncompressedPageSize) - repLength - defLength
        guard valuesSize >= 0 else {
          throw ParquetError.corrupt("data page v2 sizes are inconsistent")
        }
        if d.isCompressed && codec != .uncompressed {
          let body = try decompress(values, to: valuesSize)
          try body.withUnsafeBytes {
            try readValues(
              $0, encoding: d.encoding, rows: present, present: present, into: &out.values)
          }
          recycle(body)
        } else {
          try readValues(
            values, encoding: d.encoding, rows: present, present: present, into: &out.values)
        }
        decoded += n
      case .indexPage?:
        continue
      case nil:
        throw ParquetError.corrupt("unknown page type \(header.type)")
      }
    }
  }

  /// Decodes `count` levels of at most `max` from `bytes` (RLE hybrid) onto `out`; returns how
  /// many equal `max`.
  @discardableResult
  mutating func appendLevels(
    _ bytes: UnsafeRawBufferPointer, count: Int, max: Int, to out: inout [UInt16]
  ) throws -> Int {
    if levels.count < count { levels = [UInt32](repeating: 0, count: count) }
    var decoder = try RLEHybridDecoder(
      bitWidth: bitWidth(forMaxValue: UInt64(max)), bytes: bytes)
    try levels.withUnsafeMutableBufferPointer {
      try decoder.decode(count: count, into: $0.baseAddress!)
    }
    var atMax = 0
    let top = UInt32(max)
    out.reserveCapacity(out.count + count)
    for i in 0..<count {
      let l = levels[i]
      guard l <= top else { throw ParquetError.corrupt("level \(l) above its maximum \(max)") }
      if l == top { atMax += 1 }
      out.append(UInt16(truncatingIfNeeded: l))
    }
    return atMax
  }
}
