// LakeFormats/Parquet/Column/ColumnChunkReader.swift
//
// Decodes one column chunk into a `ColumnBuffer` (formats.md §8, reader checklist):
//
//   page*  where  page = PageHeader (Thrift) + compressed_page_size bytes
//     DICTIONARY_PAGE  PLAIN values (at most one, first)            → the dictionary
//     DATA_PAGE (v1)   body compressed: [uint32 len + RLE def levels] values
//     DATA_PAGE_V2     [rep levels][def levels] uncompressed, values compressed if is_compressed
//     INDEX_PAGE       skipped
//
// Values: PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY (dictionary and PLAIN pages may mix in one
// chunk), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT, RLE
// (booleans). Codecs: UNCOMPRESSED, SNAPPY, GZIP, ZSTD. Every size and count from the file is
// checked before it is used; nothing here can trap on corrupt bytes.

import LakeIO

/// Decodes the pages of one column chunk.
struct ColumnChunkReader {
  /// The most values lh accepts in one page (peers write 20 000 to about 130 000): a corrupt
  /// header cannot make it allocate more than this many levels or indices.
  static let maxPageValues = 1 << 24

  let leaf: ParquetLeaf
  let codec: CompressionCodec
  /// The dictionary, decoded to lh values.
  var dictionary: ColumnBuffer?
  var scratch: [UInt8] = []
  var levels: [UInt32] = []
  var indices: [UInt32] = []
  var dense: ColumnBuffer
  let zstd: ZstdDecompressor
  /// Page bodies are decompressed into this buffer, reused from page to page (a fresh 4 MiB
  /// buffer per page cost a page fault per 4 KiB and an munmap): ``decompress(_:to:)`` takes
  /// it, ``recycle(_:)`` gives it back.
  var bodyBuffer: [UInt8] = []
  /// Also give each row's dictionary index (`ColumnBuffer.dictionaryCodes`) when every page of
  /// the chunk is dictionary-encoded.
  var keepsCodes = false
  /// While reading a chunk: every data page so far was dictionary-encoded.
  var allCoded = false
  /// With `keepsCodes`: give only the codes of a dictionary-encoded chunk, not its values
  /// (`ColumnBuffer.valuesOmitted`); a chunk that turns out not to be all dictionary-encoded
  /// gets its values.
  var codesOnly = false
  /// While reading a chunk: the rows so far have codes and no values.
  var omitting = false

  init(leaf: ParquetLeaf, codec rawCodec: Int32, zstd: ZstdDecompressor) throws {
    self.leaf = leaf
    guard let codec = CompressionCodec(rawValue: rawCodec) else {
      throw ParquetError.unsupported("compression codec \(rawCodec)")
    }
    switch codec {
    case .uncompressed, .snappy, .gzip, .zstd: break
    default: throw ParquetError.unsupported("compression codec \(codec)")
    }
    self.codec = codec
    codecValue = rawCodec
    self.zstd = zstd
    dense = ColumnBuffer(type: leaf.spec.type)
  }

  /// The codec as the footer gave it (a cached reader serves chunks of the same codec).
  let codecValue: Int32

  /// Readies the reader for the next chunk of its column (buffers kept).
  mutating func reset() {
    dictionary = nil
    dense.removeAll()
  }

  /// Decodes a whole chunk of `rows` rows from `chunk`, appending them to `output`.
  mutating func read(_ chunk: UnsafeRawBufferPointer, rows: Int, into output: inout ColumnBuffer)
    throws
  {
    var position = 0
    var decodedRows = 0
    var sawData = false
    allCoded = keepsCodes && output.count == 0
    omitting = allCoded && codesOnly
    output.dictionaryCodes.removeAll(keepingCapacity: true)
    output.dictionary = nil
    // The footer's count is a hint only: a corrupt one must not allocate.
    if allCoded { output.dictionaryCodes.reserveCapacity(min(rows, 1 << 20)) }
    while decodedRows < rows {
      guard position < chunk.count else {
        throw ParquetError.corrupt("column chunk ends after \(decodedRows) of \(rows) rows")
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
        guard n >= 0, n <= rows - decodedRows else {
          throw ParquetError.corrupt(
            "data page has \(n) values, chunk has \(rows - decodedRows) left")
        }
        guard n <= Self.maxPageValues else {
          throw ParquetError.unsupported("page of \(n) values (at most \(Self.maxPageValues))")
        }
        let body = try decompress(page, to: Int(header.uncompressedPageSize))
        try body.withUnsafeBytes { b in
          var at = 0
          var present = n
          if leaf.spec.nullable {
            guard b.count >= 4 else {
              throw ParquetError.corrupt("data page too short for its levels")
            }
            let length = Int(b.loadUnaligned(as: UInt32.self).littleEndian)
            guard length <= b.count - 4 else {
              throw ParquetError.corrupt("definition levels past the end of the page")
            }
            present = try readLevels(
              UnsafeRawBufferPointer(rebasing: b[4..<(4 + length)]), count: n)
            at = 4 + length
          }
          try readValues(
            UnsafeRawBufferPointer(rebasing: b[at...]), encoding: d.encoding, rows: n,
            present: present, into: &output)
        }
        recycle(body)
        decodedRows += n
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
        guard n >= 0, n <= rows - decodedRows, repLength >= 0, defLength >= 0,
          repLength + defLength <= page.count,
          Int(d.numNulls) >= 0, Int(d.numNulls) <= n
        else { throw ParquetError.corrupt("data page v2 header is inconsistent") }
        if repLength > 0 { throw ParquetError.unsupported("repetition levels (nested data)") }
        var present = n
        if leaf.spec.nullable {
          present = try readLevels(
            UnsafeRawBufferPointer(rebasing: page[repLength..<(repLength + defLength)]), count: n)
        } else if defLength != 0 || d.numNulls != 0 {
          throw ParquetError.corrupt("required column has definition levels")
        }
        let values = UnsafeRawBufferPointer(rebasing: page[(repLength + defLength)...])
        let valuesSize = Int(header.uncompressedPageSize) - repLength - defLength
        guard valuesSize >= 0 else {
          throw ParquetError.corrupt("data page v2 sizes are inconsistent")
        }
        if d.isCompressed && codec != .uncompressed {
          let body = try decompress(values, to: valuesSize)
          try body.withUnsafeBytes {
            try readValues($0, encoding: d.encoding, rows: n, present: present, into: &output)
          }
          recycle(body)
        } else {
          try readValues(values, encoding: d.encoding, rows: n, present: present, into: &output)
        }
        decodedRows += n
      case .indexPage?:
        continue
      case nil:
        throw ParquetError.corrupt("unknown page type \(header.type)")
      }
    }
    if allCoded, let dictionary, output.dictionaryCodes.count == output.count {
      output.dictionary = ColumnDictionary(dictionary)
    } else {
      try restoreOmittedValues(&output)
      output.dictionaryCodes.removeAll(keepingCapacity: true)
    }
  }

  /// Gives rows read as codes only (`omitting`) their values, from the codes and the
  /// dictionary: a chunk that is not all dictionary-encoded after all.
  mutating func restoreOmittedValues(_ output: inout ColumnBuffer) throws {
    guard omitting else { return }
    omitting = false
    guard output.valuesOmitted else { return }
    let rows = output.count
    let codes = output.dictionaryCodes
    guard codes.count == rows, let dictionary else {
      throw ParquetError.corrupt("dictionary codes of \(codes.count) of \(rows) rows")
    }
    let validity = output.validity
    var present: [UInt32] = []
    present.reserveCapacity(rows)
    for r in 0..<rows where validity.isEmpty || validity[r] { present.append(codes[r]) }
    let saved = indices
    indices = present
    defer { indices = saved }
    dense.removeAll()
    try gather(dictionary, count: present.count)
    var restored = ColumnBuffer(type: output.type, capacity: rows)
    if validity.isEmpty {
      restored.append(contentsOf: dense)
    } else {
      let levels = validity.map { UInt32($0 ? 1 : 0) }
      levels.withUnsafeBufferPointer { restored.append(spreading: dense, levels: $0) }
    }
    restored.dictionaryCodes = codes
    output = restored
    // The page being read decodes into `dense` next: leave it empty.
    dense.removeAll()
  }

  /// The most bytes one page may decompress to (peers write pages of about 1 MiB; a single
  /// value is at most an NDJSON line, 64 MiB): what one page can cost in memory.
  static let maxPageBytes = 256 << 20

  /// The most bytes `count` compressed bytes of `codec` can decompress to, by the format.
  ///
  /// Snappy's densest element is a 3-byte copy of 64 bytes (×21.4), deflate's 1032:1, zstd's a
  /// 4-byte RLE block of 128 KiB (×32768); a few bytes more allow for headers.
  static func maxExpansion(of count: Int, _ codec: CompressionCodec) -> Int {
    switch codec {
    case .snappy: count * 22 + 64
    case .gzip: count * 1032 + 1024
    case .zstd: count * 32768 + (128 << 10)
    default: count
    }
  }

  /// Gives back the buffer ``decompress(_:to:)`` returned, for the next page.
  mutating func recycle(_ body: [UInt8]) {
    bodyBuffer = body
  }

  /// Returns the page body decompressed to exactly `size` bytes.
  ///
  /// The size comes from the file: it is checked against ``maxPageBytes`` and against what the
  /// codec can make of `page` before anything is allocated, so a 100-byte page claiming 900 MiB
  /// is refused without allocating it.
  mutating func decompress(_ page: UnsafeRawBufferPointer, to size: Int) throws -> [UInt8] {
    guard size <= Self.maxPageBytes else {
      throw ParquetError.corrupt(
        "page claims \(size) uncompressed bytes (at most \(Self.maxPageBytes))")
    }
    guard codec == .uncompressed || size <= Self.maxExpansion(of: page.count, codec) else {
      throw ParquetError.corrupt(
        "page claims \(size) uncompressed bytes from \(page.count) \(codec) bytes")
    }
    if codec == .uncompressed {
      guard page.count == size else { throw ParquetError.corrupt("uncompressed page sizes differ") }
      return Array(page)
    }
    var out: [UInt8] = []
    swap(&out, &bodyBuffer)
    if out.count > size {
      out.removeLast(out.count - size)
    } else {
      out.append(contentsOf: repeatElement(0, count: size - out.count))
    }
    do {
      try out.withUnsafeMutableBytes { dst in
        switch codec {
        case .snappy: try Snappy.decompress(page, into: dst)
        case .gzip: try Gzip.decompress(page, into: dst)
        case .zstd: try zstd.decompress(page, into: dst)
        default: throw ParquetError.unsupported("compression codec \(codec)")
        }
      }
    } catch let e as ParquetError {
      throw e
    } catch {
      throw ParquetError.corrupt("\(error)")
    }
    return out
  }

  /// Decodes definition levels (max level 1); returns how many values are present.
  mutating func readLevels(_ bytes: UnsafeRawBufferPointer, count: Int) throws -> Int {
    if levels.count < count { levels = [UInt32](repeating: 0, count: count) }
    var decoder = try RLEHybridDecoder(bitWidth: 1, bytes: bytes)
    try levels.withUnsafeMutableBufferPointer {
      try decoder.decode(count: count, into: $0.baseAddress!)
    }
    var present = 0
    for i in 0..<count {
      guard levels[i] <= 1 else {
        throw ParquetError.corrupt("definition level \(levels[i]) above 1")
      }
      present += Int(levels[i])
    }
    return present
  }

  mutating func readDictionary(_ body: [UInt8], count: Int, encoding: Int32) throws {
    guard encoding == Encoding.plain.rawValue || encoding == Encoding.plainDictionary.rawValue
    else {
      throw ParquetError.unsupported("dictionary page encoding \(encoding)")
    }
    guard count >= 0, count <= body.count * 8 + 1 else {
      throw ParquetError.corrupt("dictionary page count \(count) is impossible")
    }
    guard count <= Self.maxPageValues else {
      throw ParquetError.unsupported("dictionary of \(count) entries")
    }
    var d = ColumnBuffer(type: leaf.spec.type, capacity: min(count, body.count))
    try body.withUnsafeBytes { try decodePlain($0, count: count, into: &d) }
    dictionary = d
  }

  /// Decodes `present` values of a page of `rows` rows and appends the rows to `output`.
  mutating func readValues(
    _ bytes: UnsafeRawBufferPointer, encoding raw: Int32, rows: Int, present: Int,
    into output: inout ColumnBuffer
  ) throws {
    guard let encoding = Encoding(rawValue: raw) else {
      throw ParquetError.unsupported("encoding \(raw)")
    }
    dense.removeAll()
    if allCoded && encoding != .plainDictionary && encoding != .rleDictionary {
      allCoded = false
      try restoreOmittedValues(&output)
      output.dictionaryCodes.removeAll(keepingCapacity: true)
    }
    switch encoding {
    case .plain:
      try decodePlain(bytes, count: present, into: &dense)
    case .plainDictionary, .rleDictionary:
      guard let dictionary else {
        throw ParquetError.corrupt("dictionary-encoded page without a dictionary page")
      }
      guard let first = bytes.first else {
        if present == 0 && !omitting { break }
        if present == 0 {
          // An all-null page: codes 0, no values.
          appendCodes(rows: rows, present: 0, to: &output.dictionaryCodes)
          levels.withUnsafeBufferPointer {
            output.appendOmitted(rows: rows, levels: UnsafeBufferPointer(rebasing: $0[0..<rows]))
          }
          return
        }
        throw ParquetError.corrupt("dictionary indices missing")
      }
      if indices.count < present { indices = [UInt32](repeating: 0, count: present) }
      var decoder = try RLEHybridDecoder(
        bitWidth: Int(first), bytes: UnsafeRawBufferPointer(rebasing: bytes[1...]))
      try indices.withUnsafeMutableBufferPointer {
        try decoder.decode(count: present, into: $0.baseAddress!)
      }
      if omitting {
        // Codes only: each index checked, no value copied.
        try checkIndices(count: present, dictionarySize: dictionary.count)
        appendCodes(rows: rows, present: present, to: &output.dictionaryCodes)
        if present == rows {
          output.appendOmitted(rows: rows, levels: nil)
        } else {
          levels.withUnsafeBufferPointer {
            output.appendOmitted(rows: rows, levels: UnsafeBufferPointer(rebasing: $0[0..<rows]))
          }
        }
        return
      }
      try gather(dictionary, count: present)
      if allCoded { appendCodes(rows: rows, present: present, to: &output.dictionaryCodes) }
    case .deltaBinaryPacked:
      guard leaf.physical == .int32 || leaf.physical == .int64 else {
        throw ParquetError.unsupported("DELTA_BINARY_PACKED for \(leaf.physical)")
      }
      var values: [Int64] = []
      _ = try DeltaBinaryPacked.decode(bytes, count: present, into: &values)
      guard values.count == present else {
        throw ParquetError.corrupt("DELTA_BINARY_PACKED gave \(values.count) of \(present) values")
      }
      // INT32 columns compute deltas in 32-bit wrapping arithmetic: keep the low 32 bits.
      let narrow = leaf.physical == .int32
      if leaf.decoding == .int64 || leaf.decoding == .decimalInt64
        || leaf.decoding == .timestamp(scaleToMicros: 1)
      {
        dense.int64s.append(contentsOf: values)
        dense.didAppendPresent(present)
      } else if leaf.decoding == .int32 {
        dense.int32s.append(contentsOf: values.lazy.map { Int32(truncatingIfNeeded: $0) })
        dense.didAppendPresent(present)
      } else {
        // Converted one by one into a buffer of our own: `appendInteger(_:to: &dense)` reads
        // `self`, whose copy would share `dense`'s storage and make every append copy it.
        var page = takeDense()
        for v in values {
          try appendInteger(narrow ? Int64(Int32(truncatingIfNeeded: v)) : v, to: &page)
        }
        dense = page
      }
    case .deltaLengthByteArray, .deltaByteArray:
      guard leaf.physical == .byteArray else {
        throw ParquetError.unsupported("\(encoding) for \(leaf.physical)")
      }
      if leaf.decoding != .decimalBytes {
        // Straight into the page buffer (empty: its offsets are [0]).
        if encoding == .deltaLengthByteArray {
          _ = try DeltaLengthByteArray.decode(
            bytes, count: present, offsets: &dense.offsets, data: &dense.data)
        } else {
          _ = try DeltaByteArray.decode(
            bytes, count: present, offsets: &dense.offsets, data: &dense.data)
        }
        guard dense.offsets.count == present + 1 else {
          throw ParquetError.corrupt(
            "\(encoding) gave \(dense.offsets.count - 1) of \(present) values")
        }
        dense.didAppendPresent(present)
        break
      }
      var offsets: [Int32] = [0]
      var data: [UInt8] = []
      if encoding == .deltaLengthByteArray {
        _ = try DeltaLengthByteArray.decode(bytes, count: present, offsets: &offsets, data: &data)
      } else {
        _ = try DeltaByteArray.decode(bytes, count: present, offsets: &offsets, data: &data)
      }
      guard offsets.count == present + 1 else {
        throw ParquetError.corrupt("\(encoding) gave \(offsets.count - 1) of \(present) values")
      }
      var page = takeDense()
      try data.withUnsafeBytes { d in
        for i in 0..<present {
          let s = Int(offsets[i])
          let e = Int(offsets[i + 1])
          guard s >= 0, s <= e, e <= d.count else {
            throw ParquetError.corrupt("\(encoding) offsets out of range")
          }
          try appendByteValue(UnsafeRawBufferPointer(rebasing: d[s..<e]), to: &page)
        }
      }
      dense = page
    case .byteStreamSplit:
      let width: Int
      switch leaf.physical {
      case .float, .int32: width = 4
      case .double, .int64: width = 8
      case .fixedLenByteArray: width = leaf.typeLength
      default: throw ParquetError.unsupported("BYTE_STREAM_SPLIT for \(leaf.physical)")
      }
      var plainBytes: [UInt8] = []
      try ByteStreamSplit.decode(bytes, count: present, width: width, into: &plainBytes)
      try plainBytes.withUnsafeBytes { try decodePlain($0, count: present, into: &dense) }
    case .rle:
      guard leaf.physical == .boolean, bytes.count >= 4 else {
        throw ParquetError.unsupported("RLE values for \(leaf.physical)")
      }
      let length = Int(bytes.loadUnaligned(as: UInt32.self).littleEndian)
      guard length <= bytes.count - 4 else {
        throw ParquetError.corrupt("RLE booleans past the end of the page")
      }
      var bits = [UInt32](repeating: 0, count: present)
      var decoder = try RLEHybridDecoder(
        bitWidth: 1, bytes: UnsafeRawBufferPointer(rebasing: bytes[4..<(4 + length)]))
      try bits.withUnsafeMutableBufferPointer {
        try decoder.decode(count: present, into: $0.baseAddress!)
      }
      for b in bits { dense.append(b != 0) }
    case .bitPacked:
      throw ParquetError.unsupported("encoding BIT_PACKED for values")
    }
    guard dense.count == present else {
      throw ParquetError.corrupt("page decoded \(dense.count) values, expected \(present)")
    }
    // Spread the present values over the page's rows.
    if present == rows {
      output.append(contentsOf: dense)
    } else {
      levels.withUnsafeBufferPointer {
        output.append(spreading: dense, levels: UnsafeBufferPointer(rebasing: $0[0..<rows]))
      }
    }
  }

  /// Moves `dense` out (leaving an empty buffer), for loops that call methods of `self` per value.
  ///
  /// Such a call copies `self`, and a copy holding `dense` would make each append to it copy
  /// its storage (quadratic in the page). Callers put the buffer back when done.
  mutating func takeDense() -> ColumnBuffer {
    let page = dense
    dense = ColumnBuffer(type: leaf.spec.type)
    return page
  }

  /// Appends the page's dictionary indices (checked by `gather`) to `codes`, one per row (0
  /// for a null row).
  func appendCodes(rows: Int, present: Int, to codes: inout [UInt32]) {
    indices.withUnsafeBufferPointer { idx in
      if present == rows {
        codes.append(contentsOf: UnsafeBufferPointer(rebasing: idx[0..<rows]))
        return
      }
      codes.reserveCapacity(codes.count + rows)
      levels.withUnsafeBufferPointer { levels in
        var next = 0
        for i in 0..<rows {
          if levels[i] != 0 {
            codes.append(idx[next])
            next += 1
          } else {
            codes.append(0)
          }
        }
      }
    }
  }

  /// Checks the first `count` of `indices` against a dictionary of `size` entries.
  func checkIndices(count: Int, dictionarySize size: Int) throws {
    try indices.withUnsafeBufferPointer { idx in
      for i in 0..<count where Int(idx[i]) >= size {
        throw ParquetError.corrupt("dictionary index \(idx[i]) out of \(size) entries")
      }
    }
  }

  /// Appends the `count` dictionary entries chosen by `indices` to `dense`, checking each index.
  mutating func gather(_ dictionary: ColumnBuffer, count: Int) throws {
    try checkIndices(count: count, dictionarySize: dictionary.count)
    indices.withUnsafeBufferPointer { idx in
      func take<T>(_ source: [T], _ target: inout [T]) {
        target.reserveCapacity(target.count + count)
        source.withUnsafeBufferPointer { src in
          for i in 0..<count { target.append(src[Int(idx[i])]) }
        }
      }
      switch dictionary.type.storage {
      case .int32: take(dictionary.int32s, &dense.int32s)
      case .int64: take(dictionary.int64s, &dense.int64s)
      case .int128: take(dictionary.int128s, &dense.int128s)
      case .float: take(dictionary.floats, &dense.floats)
      case .double: take(dictionary.doubles, &dense.doubles)
      case .boolean: take(dictionary.booleans, &dense.booleans)
      case .bytes:
        dictionary.offsets.withUnsafeBufferPointer { offsets in
          var total = 0
          for i in 0..<count { total += Int(offsets[Int(idx[i]) + 1] - offsets[Int(idx[i])]) }
          let start = dense.data.count
          dense.data.append(contentsOf: repeatElement(0, count: total))
          dense.offsets.reserveCapacity(dense.offsets.count + count)
          dense.data.withUnsafeMutableBytes { dst in
            dictionary.data.withUnsafeBytes { src in
              var at = start
              for i in 0..<count {
                let s = Int(offsets[Int(idx[i])])
                let n = Int(offsets[Int(idx[i]) + 1]) - s
                if n > 0 {
                  (dst.baseAddress! + at).copyMemory(from: src.baseAddress! + s, byteCount: n)
                }
                at += n
                dense.offsets.append(Int32(truncatingIfNeeded: at))
              }
            }
          }
        }
      }
    }
    dense.didAppendPresent(count)
  }

  func appendInteger(_ v: Int64, to out: inout ColumnBuffer) throws {
    switch leaf.decoding {
    case .int32:
      guard let x = Int32(exactly: v) else {
        throw ParquetError.corrupt("INT32 value out of range")
      }
      out.append(x)
    case .uint32AsInt64: out.append(Int64(UInt32(truncatingIfNeeded: v)))
    case .int64, .decimalInt64, .decimalInt32: out.append(v)
    case .timestamp(let scale): out.append(try Self.scaleTimestamp(v, scale))
    default: throw ParquetError.corrupt("integer values for a \(leaf.spec.type) column")
    }
  }

  static func scaleTimestamp(_ v: Int64, _ scale: Int64) throws -> Int64 {
    if scale == 1 { return v }
    if scale > 0 {
      let (r, o) = v.multipliedReportingOverflow(by: scale)
      guard !o else { throw ParquetError.corrupt("timestamp out of range") }
      return r
    }
    let d = -scale
    let q = v / d
    return v % d < 0 ? q - 1 : q
  }

  func appendByteValue(_ v: UnsafeRawBufferPointer, to out: inout ColumnBuffer) throws {
    if leaf.decoding == .decimalBytes {
      try appendDecimalBytes(v, to: &out)
    } else {
      out.append(bytes: v)
    }
  }

  func appendDecimalBytes(_ v: UnsafeRawBufferPointer, to out: inout ColumnBuffer) throws {
    guard v.count >= 1, v.count <= 16 else {
      throw ParquetError.corrupt("decimal of \(v.count) bytes")
    }
    var x: Int128 = (v[0] & 0x80) != 0 ? -1 : 0
    for b in v { x = (x << 8) | Int128(b) }
    if out.type.storage == .int64 {
      guard let y = Int64(exactly: x) else {
        throw ParquetError.corrupt("decimal does not fit its precision")
      }
      out.append(y)
    } else {
      out.append(x)
    }
  }

  /// Decodes `count` PLAIN values (converted to lh values) into `out`.
  func decodePlain(_ bytes: UnsafeRawBufferPointer, count: Int, into out: inout ColumnBuffer) throws
  {
    func need(_ n: Int) throws {
      guard n >= 0, n <= bytes.count else {
        throw ParquetError.corrupt("PLAIN values past the end of the page")
      }
    }
    switch leaf.physical {
    case .boolean:
      try need((count + 7) / 8)
      var values = [Bool](repeating: false, count: count)
      try values.withUnsafeMutableBufferPointer {
        try PlainBoolean.decode(bytes, count: count, into: $0.baseAddress!)
      }
      for v in values { out.append(v) }
    case .int32:
      try need(count * 4)
      if leaf.decoding == .int32 {
        ColumnBuffer.extend(&out.int32s, by: count) { dst in
          UnsafeMutableRawBufferPointer(dst).copyMemory(
            from: UnsafeRawBufferPointer(rebasing: bytes[0..<(count * 4)]))
        }
        out.didAppendPresent(count)
      } else {
        for i in 0..<count {
          let v = Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
          try appendInteger(Int64(v), to: &out)
        }
      }
    case .int64:
      try need(count * 8)
      if leaf.decoding == .int64 || leaf.decoding == .decimalInt64
        || leaf.decoding == .timestamp(scaleToMicros: 1)
      {
        ColumnBuffer.extend(&out.int64s, by: count) { dst in
          UnsafeMutableRawBufferPointer(dst).copyMemory(
            from: UnsafeRawBufferPointer(rebasing: bytes[0..<(count * 8)]))
        }
        out.didAppendPresent(count)
      } else {
        for i in 0..<count {
          try appendInteger(
            Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)),
            to: &out)
        }
      }
    case .int96:
      try need(count * 12)
      for i in 0..<count {
        let nanos = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 12, as: Int64.self))
        let julian = Int64(
          UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 12 + 8, as: UInt32.self)))
        let days = julian - 2_440_588
        // Nanoseconds of the day must lie within a day; the product must fit (corrupt input).
        guard nanos >= 0, nanos < 86_400_000_000_000 else {
          throw ParquetError.corrupt("INT96 time of day out of range")
        }
        let (dayMicros, overflow) = days.multipliedReportingOverflow(by: 86_400_000_000)
        guard !overflow else { throw ParquetError.corrupt("INT96 timestamp out of range") }
        out.append(dayMicros + nanos / 1000)
      }
    case .float:
      try need(count * 4)
      for i in 0..<count {
        out.append(
          Float(
            bitPattern: UInt32(
              littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))))
      }
    case .double:
      try need(count * 8)
      let start = out.doubles.count
      out.doubles.append(contentsOf: repeatElement(0, count: count))
      out.doubles.withUnsafeMutableBytes { dst in
        UnsafeMutableRawBufferPointer(rebasing: dst[(start * 8)...])
          .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<(count * 8)]))
      }
      out.didAppendPresent(count)
    case .byteArray:
      if leaf.decoding == .decimalBytes {
        var at = 0
        for _ in 0..<count {
          guard at + 4 <= bytes.count else {
            throw ParquetError.corrupt("PLAIN byte array past the end of the page")
          }
          let n = Int(
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
          at += 4
          guard n <= bytes.count - at else {
            throw ParquetError.corrupt("PLAIN byte array of \(n) bytes past the end of the page")
          }
          try appendDecimalBytes(UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]), to: &out)
          at += n
        }
        break
      }
      out.offsets.reserveCapacity(out.offsets.count + count)
      out.data.reserveCapacity(out.data.count + max(0, bytes.count - 4 * count))
      var at = 0
      for _ in 0..<count {
        guard at + 4 <= bytes.count else {
          throw ParquetError.corrupt("PLAIN byte array past the end of the page")
        }
        let n = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        at += 4
        guard n <= bytes.count - at else {
          throw ParquetError.corrupt("PLAIN byte array of \(n) bytes past the end of the page")
        }
        out.data.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]))
        out.offsets.append(Int32(truncatingIfNeeded: out.data.count))
        at += n
      }
      out.didAppendPresent(count)
    case .fixedLenByteArray:
      let w = leaf.typeLength
      try need(count * w)
      for i in 0..<count {
        try appendByteValue(
          UnsafeRawBufferPointer(rebasing: bytes[(i * w)..<((i + 1) * w)]), to: &out)
      }
    }
  }
}
