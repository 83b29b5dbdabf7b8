// LakeFormats/Parquet/Column/ColumnChunkWriter.swift
//
// Writes one column of a row group as a column chunk (formats.md §8, writer recipe):
//
//   [dictionary page]  data page  data page …      pages are v1: [def levels] values, compressed
//
// - Values are staged per page (≤ maxPageRows rows and ≤ about maxPageBytes bytes), then encoded:
//   definition levels as RLE with a uint32 length prefix (nullable columns only), values as
//   RLE_DICTIONARY indices or, without a dictionary, byte strings as DELTA_LENGTH_BYTE_ARRAY,
//   INT32/INT64 as PLAIN or DELTA_BINARY_PACKED, the rest PLAIN; the body compressed with the
//   codec.
// - Byte strings without a dictionary are DELTA_LENGTH_BYTE_ARRAY: the lengths packed, the bytes
//   back to back. Smaller than PLAIN's 4-byte length before every value, and zstd compresses the
//   bytes faster without the lengths breaking them up (docs/architecture.md, write parity).
// - INT32/INT64 without a dictionary: the chunk's first such page is encoded both PLAIN and
//   DELTA_BINARY_PACKED and compressed both ways; the smaller encoding serves the whole chunk
//   (sorted or slowly changing numbers, such as timestamps, pack into a few bits per value).
// - zstd's minimum match is chosen the same way, per chunk and kind of page (dictionary, indices,
//   values): the first page of a kind is compressed with the level's minimum match and with a
//   long one (`longMinimumMatch`), and the smaller wins. Text of few distinct symbols (hex ids,
//   digits) is smaller and several times faster to compress with the long one.
// - Dictionary: every column but booleans starts with one. At the end of the first page, if more
//   than half of its values are distinct, the dictionary does not pay and the chunk goes PLAIN
//   from the start; so does a first page whose first `dictionaryProbeRows` rows are more than 90 %
//   distinct (raw lines, row numbers: not hashed a whole page only to be copied out again); later, if the dictionary outgrows `dictionaryPageLimit`, the current page is
//   closed and the rest of the chunk is PLAIN (a chunk may mix both, as pyarrow's do).
// - Pages are buffered, compressed, until the row group ends, so the dictionary page can go first;
//   memory is bounded by one row group.
// - Statistics fold value by value (byte strings: over the dictionary at the end, plus PLAIN
//   values as they come).

import LakeIO

/// Options of the Parquet writer.
public struct ParquetWriteOptions: Sendable {
  /// ZSTD (default) or UNCOMPRESSED.
  public var codec: CompressionCodec = .zstd
  /// zstd level.
  public var compressionLevel: Int32 = 3
  public var maxRowGroupRows = 1_000_000
  public var maxRowGroupBytes = 128 << 20
  public var maxPageRows = 20_000
  public var maxPageBytes = 1 << 20
  /// Largest PLAIN-encoded dictionary before a chunk falls back to PLAIN values.
  public var dictionaryPageLimit = 1 << 20
  public var dictionary = true
  /// Written as FileMetaData.created_by.
  public var createdBy = "lh version \(LakeVersion.string)"
  /// Which type annotations to write (both, as peers need; the others exist to test readers).
  public var annotations = AnnotationStyle.both

  public init() {}
}

/// Which annotations the writer puts on leaves.
public enum AnnotationStyle: Sendable {
  case both, logicalOnly, convertedOnly
}

struct ColumnChunkWriter {
  let spec: ColumnSpec
  let physical: PhysicalType
  let options: ParquetWriteOptions
  let compressor: ZstdCompressor?

  // The chunk so far.
  var pages: [UInt8] = []
  var dataUncompressed = 0
  var rows = 0
  var usedDictionaryPages = false
  var usedPlainPages = false
  var usedDeltaBinaryPacked = false
  var usedDeltaLengthByteArray = false
  /// PLAIN or DELTA_BINARY_PACKED for the chunk's INT32/INT64 values pages; nil until its first.
  var integerEncoding: Encoding?
  /// The zstd minimum match chosen for this chunk's pages of each `PageKind`; nil until tried.
  var minimumMatch: (dictionary: Int32?, indices: Int32?, values: Int32?) = (nil, nil, nil)
  var stats = ColumnStatistics()
  var ints = IntRange()
  var doubles = DoubleRange()
  var byteRange = BytesRange()
  var sawTrue = false
  var sawFalse = false

  // Dictionary state.
  var dictionaryMode: Bool
  var decided = false
  /// The first page's first `dictionaryProbeRows` rows were looked at.
  var probed = false
  /// Owned by this writer alone (a reference type for speed; never shared between writers).
  ///
  /// Only the one of the column's kind gets room: a file has one writer per column, and many
  /// files may be open at once.
  let byteDictionary: ByteDictionary
  /// Owned by this writer alone, like `byteDictionary`.
  let fixedDictionary: FixedDictionary

  // The page being staged.
  var pageRows = 0
  var pageValues = 0
  var levels: RLEHybridEncoder
  var indices: [UInt32] = []
  /// PLAIN values staged for the page: fixed-width ones as their little-endian words, byte
  /// strings as offsets into `plainData`; copied into the page body once, at the page's end.
  var plain32: [UInt32] = []
  var plain64: [UInt64] = []
  var plainOffsets: [Int32] = [0]
  var plainData: [UInt8] = []
  var booleans: [Bool] = []

  /// Page buffers and the zstd context, shared with the file's other columns (and with other
  /// files written on the same thread, when their writer is given one).
  let scratch: ParquetWriterScratch

  /// The minimum match tried against the level's own: long enough that hex digits and the like
  /// rarely match by chance (6 still does on hex, and is no faster; 7 is zstd's largest).
  static let longMinimumMatch: Int32 = 7
  /// Pages larger than twice this choose the minimum match on their first this many bytes.
  static let trialSampleBytes = 128 << 10
  /// Rows of a chunk's first page after which a dictionary holding more than 90 % distinct
  /// values is given up (the chunk goes PLAIN at once).
  static let dictionaryProbeRows = 4096

  /// What a page holds, for choosing zstd parameters per kind.
  enum PageKind {
    case dictionary, indices, values
  }

  init(spec: ColumnSpec, options: ParquetWriteOptions, scratch: ParquetWriterScratch) throws {
    self.spec = spec
    self.options = options
    self.scratch = scratch
    physical = try ParquetSchemaMapping.physicalType(for: spec.type)
    byteDictionary = ByteDictionary(capacity: spec.type.storage == .bytes ? 512 : 1)
    fixedDictionary = FixedDictionary(capacity: spec.type.storage == .bytes ? 1 : 512)
    compressor =
      options.codec == .zstd ? try scratch.compressor(level: options.compressionLevel) : nil
    dictionaryMode = options.dictionary && physical != .boolean
    levels = RLEHybridEncoder(bitWidth: 1)
  }

  /// Bytes held for the current row group (for its size bound).
  var bufferedBytes: Int { pages.count + stagedBytes + byteDictionary.dataCount }

  /// Bytes of storage the writer holds (what it costs to keep it open).
  var heldBytes: Int {
    pages.capacity + indices.capacity * 4 + plain32.capacity * 4 + plain64.capacity * 8
      + plainOffsets.capacity * 4 + plainData.capacity + booleans.capacity
      + byteDictionary.heldBytes + fixedDictionary.heldBytes
  }

  /// Resets for the next row group (page staging kept; the compressed pages, about a row
  /// group's bytes, freed).
  mutating func reset() {
    pages = []
    dataUncompressed = 0
    rows = 0
    usedDictionaryPages = false
    usedPlainPages = false
    usedDeltaBinaryPacked = false
    usedDeltaLengthByteArray = false
    integerEncoding = nil
    minimumMatch = (nil, nil, nil)
    stats = ColumnStatistics()
    ints = IntRange()
    doubles = DoubleRange()
    byteRange = BytesRange()
    sawTrue = false
    sawFalse = false
    dictionaryMode = options.dictionary && physical != .boolean
    decided = false
    probed = false
    byteDictionary.removeAll()
    fixedDictionary.removeAll()
  }

  // MARK: Appending values

  /// Appends rows `range` of `column`.
  mutating func append(_ column: ColumnBuffer, rows range: Range<Int>) throws {
    var row = range.lowerBound
    while row < range.upperBound {
      let room = options.maxPageRows - pageRows
      var end = min(range.upperBound, row + room)
      let probing = dictionaryMode && !decided && !probed
      if probing && pageRows < Self.dictionaryProbeRows {
        // Stop at the probe, to look at the dictionary there.
        end = min(end, row + Self.dictionaryProbeRows - pageRows)
      }
      if spec.type.storage == .bytes && end - row > 1 {
        // Long values: take only the rows that fit the page's byte bound (at least one), so
        // pages stay near `maxPageBytes` however long the values are, and a dictionary that
        // does not pay is given up before it holds much more than `dictionaryPageLimit`.
        end = column.offsets.withUnsafeBufferPointer { offsets in
          let budget = options.maxPageBytes - stagedBytes
          let base = Int(offsets[row])
          func size(_ e: Int) -> Int { Int(offsets[e]) - base + 4 * (e - row) }
          guard size(end) > budget else { return end }
          var lo = row + 1  // always taken
          var hi = end  // too many
          while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if size(mid) <= budget { lo = mid } else { hi = mid }
          }
          return lo
        }
      }
      if column.isUniform && dictionaryMode && column.validity.isEmpty
        && (spec.type.storage == .bytes || spec.type.storage == .int64
          || spec.type.storage == .int32)
      {
        try appendUniform(column, row..<end)
      } else {
        try appendRun(column, row..<end)
      }
      row = end
      if probing && pageRows >= Self.dictionaryProbeRows && dictionaryMode {
        probed = true
        let distinct = spec.type.storage == .bytes ? byteDictionary.count : fixedDictionary.count
        if pageValues >= Self.dictionaryProbeRows / 4 && distinct * 10 > pageValues * 9 {
          decided = true
          convertPageToPlain()
        }
      }
      if pageRows >= options.maxPageRows || stagedBytes >= options.maxPageBytes {
        try finishPage()
      }
    }
  }

  /// Appends rows of a column whose rows all hold one present value (`isUniform`) in
  /// dictionary mode: one lookup, one run of indices, one statistics fold.
  mutating func appendUniform(_ column: ColumnBuffer, _ range: Range<Int>) throws {
    let n = range.count
    guard n > 0 else { return }
    if spec.nullable { levels.append(repeating: 1, count: n) }
    pageRows += n
    rows += n
    let r = range.lowerBound
    let index: UInt32
    switch spec.type.storage {
    case .int32:
      let v = column.int32s[r]
      ints.fold(Int64(v))
      index = fixedDictionary.index(of: UInt64(UInt32(bitPattern: v)))
    case .int64:
      let v = column.int64s[r]
      ints.fold(v)
      index = fixedDictionary.index(of: UInt64(bitPattern: v))
    default:
      // Byte strings: statistics come from the dictionary when the chunk ends.
      index = column.data.withUnsafeBytes { data in
        byteDictionary.index(
          of: UnsafeRawBufferPointer(
            rebasing: data[Int(column.offsets[r])..<Int(column.offsets[r + 1])]))
      }
    }
    indices.append(contentsOf: repeatElement(index, count: n))
    pageValues += n
    if dictionaryBytes > options.dictionaryPageLimit {
      try finishPage()
      dictionaryMode = false
    }
  }

  var stagedBytes: Int {
    dictionaryMode
      ? indices.count * 2
      : plain32.count * 4 + plain64.count * 8 + plainData.count + plainOffsets.count * 4
        + booleans.count / 8
  }

  /// Appends rows that fit in the current page.
  mutating func appendRun(_ column: ColumnBuffer, _ range: Range<Int>) throws {
    let hasNulls = !column.validity.isEmpty
    if spec.nullable {
      if hasNulls {
        for i in range { levels.append(column.validity[i] ? 1 : 0) }
      } else {
        levels.append(repeating: 1, count: range.count)
      }
    } else if hasNulls {
      for i in range where !column.validity[i] {
        throw ParquetError("null in required column", column: spec.name, category: .software)
      }
    }
    pageRows += range.count
    rows += range.count
    if hasNulls {
      for i in range where !column.validity[i] { stats.nullCount += 1 }
    }
    do {
      // The staging arrays move into locals for the loops (no uniqueness check per append) and
      // move back at the end of this block, before anything else (finishPage) can use them.
      var indices = self.indices
      var plain32 = self.plain32
      var plain64 = self.plain64
      var plainData = self.plainData
      var plainOffsets = self.plainOffsets
      self.indices = []
      self.plain32 = []
      self.plain64 = []
      self.plainData = []
      self.plainOffsets = []
      defer {
        self.indices = indices
        self.plain32 = plain32
        self.plain64 = plain64
        self.plainData = plainData
        self.plainOffsets = plainOffsets
      }
      switch spec.type.storage {
      case .boolean:
        for i in range where !hasNulls || column.validity[i] {
          let v = column.booleans[i]
          booleans.append(v)
          if v { sawTrue = true } else { sawFalse = true }
        }
        pageValues = booleans.count
      case .int32:
        column.int32s.withUnsafeBufferPointer { values in
          for i in range where !hasNulls || column.validity[i] {
            let v = values[i]
            ints.fold(Int64(v))
            if dictionaryMode {
              indices.append(fixedDictionary.index(of: UInt64(UInt32(bitPattern: v))))
            } else {
              plain32.append(UInt32(bitPattern: v))
            }
            pageValues += 1
          }
        }
      case .int64:
        column.int64s.withUnsafeBufferPointer { values in
          for i in range where !hasNulls || column.validity[i] {
            let v = values[i]
            ints.fold(v)
            if dictionaryMode {
              indices.append(fixedDictionary.index(of: UInt64(bitPattern: v)))
            } else {
              plain64.append(UInt64(bitPattern: v))
            }
            pageValues += 1
          }
        }
      case .double:
        column.doubles.withUnsafeBufferPointer { values in
          for i in range where !hasNulls || column.validity[i] {
            let v = values[i]
            doubles.fold(v)
            if dictionaryMode {
              indices.append(fixedDictionary.index(of: v.bitPattern))
            } else {
              plain64.append(v.bitPattern)
            }
            pageValues += 1
          }
        }
      case .float:
        column.floats.withUnsafeBufferPointer { values in
          for i in range where !hasNulls || column.validity[i] {
            let v = values[i]
            doubles.fold(Double(v))
            if dictionaryMode {
              indices.append(fixedDictionary.index(of: UInt64(v.bitPattern)))
            } else {
              plain32.append(v.bitPattern)
            }
            pageValues += 1
          }
        }
      case .bytes:
        column.data.withUnsafeBytes { data in
          column.offsets.withUnsafeBufferPointer { offsets in
            for i in range where !hasNulls || column.validity[i] {
              let start = Int(offsets[i])
              let value = UnsafeRawBufferPointer(rebasing: data[start..<Int(offsets[i + 1])])
              if dictionaryMode {
                indices.append(byteDictionary.index(of: value))
              } else {
                byteRange.fold(value)
                plainData.append(contentsOf: value)
                plainOffsets.append(Int32(truncatingIfNeeded: plainData.count))
              }
              pageValues += 1
            }
          }
        }
      case .int128:
        throw ParquetError.unsupported("writing decimals with precision above 18").at(
          column: spec.name)
      }
    }
    if dictionaryMode && dictionaryBytes > options.dictionaryPageLimit {
      // Close this page with the dictionary as it is; the rest of the chunk is PLAIN.
      try finishPage()
      dictionaryMode = false
    }
  }

  var dictionaryBytes: Int {
    spec.type.storage == .bytes
      ? byteDictionary.plainSize : fixedDictionary.count * physicalWidth
  }

  var physicalWidth: Int {
    switch physical {
    case .int32, .float: 4
    default: 8
    }
  }

  // MARK: Pages

  /// Encodes, compresses and buffers the staged page.
  mutating func finishPage() throws {
    guard pageRows > 0 else { return }
    if dictionaryMode && !decided {
      decided = true
      let distinct = spec.type.storage == .bytes ? byteDictionary.count : fixedDictionary.count
      if pageValues > 0 && distinct * 2 > pageValues {
        convertPageToPlain()
      }
    }
    scratch.body.removeAll(keepingCapacity: true)
    if spec.nullable {
      var encoded: [UInt8] = []
      levels.flush(into: &encoded)
      appendLittleEndian(UInt32(encoded.count), to: &scratch.body)
      scratch.body.append(contentsOf: encoded)
    }
    let encoding: Encoding
    if physical == .boolean {
      encoding = .plain
      booleans.withUnsafeBufferPointer { PlainBoolean.encode($0, into: &scratch.body) }
      booleans.removeAll(keepingCapacity: true)
    } else if dictionaryMode {
      encoding = .rleDictionary
      let count = spec.type.storage == .bytes ? byteDictionary.count : fixedDictionary.count
      let width = bitWidth(forMaxValue: UInt64(max(count - 1, 0)))
      scratch.body.append(UInt8(width))
      indices.withUnsafeBufferPointer {
        RLEHybridEncoder.encode($0, bitWidth: width, into: &scratch.body)
      }
      indices.removeAll(keepingCapacity: true)
    } else if pageValues > 0 && spec.type.storage == .bytes {
      encoding = .deltaLengthByteArray
      appendStagedBytesToBody()
    } else if pageValues > 0 && (physical == .int32 || physical == .int64) {
      encoding = try encodeStagedIntegers()
    } else {
      encoding = .plain
      appendStagedPlainToBody()
    }
    switch encoding {
    case .rleDictionary: usedDictionaryPages = true
    case .deltaLengthByteArray: usedDeltaLengthByteArray = true
    case .deltaBinaryPacked: usedDeltaBinaryPacked = true
    default: usedPlainPages = true
    }
    var h = PageHeader()
    h.type = PageType.dataPage.rawValue
    var d = DataPageHeader()
    d.numValues = Int32(pageRows)
    d.encoding = encoding.rawValue
    h.dataPageHeader = d
    try appendPage(header: h, body: scratch.body, kind: dictionaryMode ? .indices : .values)
    pageRows = 0
    pageValues = 0
  }

  /// Appends the staged byte strings to `body` as DELTA_LENGTH_BYTE_ARRAY; empties the staging.
  mutating func appendStagedBytesToBody() {
    plainOffsets.withUnsafeBufferPointer {
      DeltaLengthByteArray.encodeLengths(ofEnds: $0, into: &scratch.body)
    }
    scratch.body.append(contentsOf: plainData)
    plainOffsets.removeAll(keepingCapacity: true)
    plainOffsets.append(0)
    plainData.removeAll(keepingCapacity: true)
  }

  /// Appends the staged INT32/INT64 values to `body` in the chunk's integer encoding, choosing
  /// it first if this is the chunk's first values page; empties the staging.
  mutating func encodeStagedIntegers() throws -> Encoding {
    if integerEncoding == nil {
      // Both encodings of this page, compressed: the smaller serves the chunk.
      scratch.alternative.removeAll(keepingCapacity: true)
      scratch.alternative.append(contentsOf: scratch.body)
      appendStagedDeltas(to: &scratch.alternative)
      appendStagedPlainToBody()
      let plainSize = try trialCompressedSize(of: scratch.body, minimumMatch: 0)
      let deltaSize = try trialCompressedSize(of: scratch.alternative, minimumMatch: 0)
      if deltaSize < plainSize {
        swap(&scratch.body, &scratch.alternative)
        integerEncoding = .deltaBinaryPacked
      } else {
        integerEncoding = .plain
      }
      return integerEncoding ?? .plain
    }
    if integerEncoding == .deltaBinaryPacked {
      appendStagedDeltas(to: &scratch.body)
      plain32.removeAll(keepingCapacity: true)
      plain64.removeAll(keepingCapacity: true)
      return .deltaBinaryPacked
    }
    appendStagedPlainToBody()
    return .plain
  }

  /// Appends the staged INT32/INT64 values to `out` as DELTA_BINARY_PACKED (staging kept).
  func appendStagedDeltas(to out: inout [UInt8]) {
    if physical == .int32 {
      plain32.withUnsafeBufferPointer {
        $0.withMemoryRebound(to: Int32.self) { DeltaBinaryPacked.encode(int32: $0, into: &out) }
      }
    } else {
      plain64.withUnsafeBufferPointer {
        $0.withMemoryRebound(to: Int64.self) { DeltaBinaryPacked.encode($0, into: &out) }
      }
    }
  }

  /// The size of `bytes` compressed with `minimumMatch` (their own size without a codec).
  mutating func trialCompressedSize(of bytes: [UInt8], minimumMatch: Int32) throws -> Int {
    try trialCompressedSize(of: bytes, prefix: bytes.count, minimumMatch: minimumMatch)
  }

  /// The size of the first `prefix` bytes of `bytes` compressed with `minimumMatch` into
  /// `trial` (their own size without a codec).
  mutating func trialCompressedSize(of bytes: [UInt8], prefix: Int, minimumMatch: Int32) throws
    -> Int
  {
    let count = min(prefix, bytes.count)
    guard let compressor else { return count }
    try setMinimumMatch(minimumMatch, on: compressor)
    let bound = ZstdCompressor.bound(count)
    if scratch.trial.count < bound { scratch.trial = [UInt8](repeating: 0, count: bound) }
    return try bytes.withUnsafeBytes { src in
      try scratch.trial.withUnsafeMutableBytes { dst in
        try compressor.compress(
          UnsafeRawBufferPointer(rebasing: src[0..<count]),
          into: UnsafeMutableRawBufferPointer(rebasing: dst[0..<bound]))
      }
    }
  }

  mutating func remember(minimumMatch choice: Int32, for kind: PageKind) {
    switch kind {
    case .dictionary: minimumMatch.dictionary = choice
    case .indices: minimumMatch.indices = choice
    case .values: minimumMatch.values = choice
    }
  }

  func setMinimumMatch(_ length: Int32, on compressor: ZstdCompressor) throws {
    try compressor.setMinimumMatch(length)
  }

  /// Moves the staged PLAIN values into `body` and empties the staging.
  mutating func appendStagedPlainToBody() {
    #if !_endian(little)
    #error("PLAIN staging copies words in host order, which must be little-endian")
    #endif
    plain32.withUnsafeBytes { scratch.body.append(contentsOf: $0) }
    plain64.withUnsafeBytes { scratch.body.append(contentsOf: $0) }
    plain32.removeAll(keepingCapacity: true)
    plain64.removeAll(keepingCapacity: true)
    let values = plainOffsets.count - 1
    if values > 0 {
      // A uint32 length and the bytes per value, written straight into reserved room.
      let start = scratch.body.count
      scratch.body.append(contentsOf: repeatElement(0, count: values * 4 + plainData.count))
      scratch.body.withUnsafeMutableBytes { out in
        plainData.withUnsafeBytes { data in
          plainOffsets.withUnsafeBufferPointer { offsets in
            var at = start
            for i in 0..<values {
              let s = Int(offsets[i])
              let n = Int(offsets[i + 1]) - s
              out.storeBytes(of: UInt32(n).littleEndian, toByteOffset: at, as: UInt32.self)
              at += 4
              if n > 0 {
                (out.baseAddress! + at).copyMemory(from: data.baseAddress! + s, byteCount: n)
              }
              at += n
            }
          }
        }
      }
    }
    plainOffsets.removeAll(keepingCapacity: true)
    plainOffsets.append(0)
    plainData.removeAll(keepingCapacity: true)
  }

  /// The first page showed a dictionary does not pay: re-encode its values as PLAIN.
  mutating func convertPageToPlain() {
    dictionaryMode = false
    if spec.type.storage == .bytes {
      for i in indices {
        plainData.append(contentsOf: byteDictionary.entry(Int(i)))
        plainOffsets.append(Int32(truncatingIfNeeded: plainData.count))
      }
      foldDictionaryStatistics()
      byteDictionary.removeAll()
    } else {
      for i in indices {
        let bits = fixedDictionary.values[Int(i)]
        if physicalWidth == 4 {
          plain32.append(UInt32(truncatingIfNeeded: bits))
        } else {
          plain64.append(bits)
        }
      }
      fixedDictionary.removeAll()
    }
    indices.removeAll(keepingCapacity: true)
  }

  mutating func foldDictionaryStatistics() {
    for i in 0..<byteDictionary.count { byteRange.fold(byteDictionary.entry(i)) }
  }

  /// Compresses `body` and appends header and page to `pages`.
  mutating func appendPage(header h: PageHeader, body: [UInt8], kind: PageKind) throws {
    var h = h
    h.uncompressedPageSize = Int32(body.count)
    var compressedSize = body.count
    if let compressor {
      var chosen: Int32?
      switch kind {
      case .dictionary: chosen = minimumMatch.dictionary
      case .indices: chosen = minimumMatch.indices
      case .values: chosen = minimumMatch.values
      }
      if chosen == nil && body.count > 2 * Self.trialSampleBytes {
        // The first page of its kind in the chunk, a large one: choose on its first bytes.
        let sample = Self.trialSampleBytes
        let levelSize = try trialCompressedSize(of: body, prefix: sample, minimumMatch: 0)
        let longSize = try trialCompressedSize(
          of: body, prefix: sample, minimumMatch: Self.longMinimumMatch)
        chosen = longSize < levelSize ? Self.longMinimumMatch : 0
        remember(minimumMatch: chosen ?? 0, for: kind)
      }
      try setMinimumMatch(chosen ?? 0, on: compressor)
      let bound = ZstdCompressor.bound(body.count)
      if scratch.compressed.count < bound {
        scratch.compressed = [UInt8](repeating: 0, count: bound)
      }
      compressedSize = try body.withUnsafeBytes { src in
        try scratch.compressed.withUnsafeMutableBytes { dst in
          try compressor.compress(
            src, into: UnsafeMutableRawBufferPointer(rebasing: dst[0..<bound]))
        }
      }
      if chosen == nil {
        // The first page of its kind in the chunk: try the long minimum match too, keep the
        // smaller.
        let long = Self.longMinimumMatch
        let longSize = try trialCompressedSize(of: body, prefix: body.count, minimumMatch: long)
        var choice: Int32 = 0
        if longSize < compressedSize {
          swap(&scratch.compressed, &scratch.trial)
          compressedSize = longSize
          choice = long
        }
        remember(minimumMatch: choice, for: kind)
      }
    }
    h.compressedPageSize = Int32(compressedSize)
    scratch.header.removeAll(keepingCapacity: true)
    h.encode(into: &scratch.header)
    pages.append(contentsOf: scratch.header)
    if compressor != nil {
      pages.append(contentsOf: scratch.compressed[0..<compressedSize])
    } else {
      pages.append(contentsOf: body)
    }
    dataUncompressed += scratch.header.count + body.count
  }

  // MARK: Chunk

  /// Writes the chunk (dictionary page first) at `offset` through `write`; returns its metadata.
  mutating func finishChunk(at offset: Int64, write: ([UInt8]) throws -> Void) throws -> (
    ColumnChunk, ColumnStatistics
  ) {
    try finishPage()
    var dictionaryPage: [UInt8] = []
    var dictionaryUncompressed = 0
    let hasDictionary = usedDictionaryPages
    if hasDictionary {
      scratch.body.removeAll(keepingCapacity: true)
      var count = 0
      if spec.type.storage == .bytes {
        byteDictionary.encodePlain(into: &scratch.body)
        count = byteDictionary.count
        foldDictionaryStatistics()
      } else {
        for bits in fixedDictionary.values {
          if physicalWidth == 4 {
            appendLittleEndian(UInt32(truncatingIfNeeded: bits), to: &scratch.body)
          } else {
            appendLittleEndian(bits, to: &scratch.body)
          }
        }
        count = fixedDictionary.count
      }
      var h = PageHeader()
      h.type = PageType.dictionaryPage.rawValue
      var d = DictionaryPageHeader()
      d.numValues = Int32(count)
      d.encoding = Encoding.plain.rawValue
      h.dictionaryPageHeader = d
      let saved = pages
      let savedUncompressed = dataUncompressed
      pages.removeAll(keepingCapacity: false)
      try appendPage(header: h, body: scratch.body, kind: .dictionary)
      dictionaryPage = pages
      dictionaryUncompressed = dataUncompressed - savedUncompressed
      pages = saved
      dataUncompressed = savedUncompressed
    }
    var m = ColumnMetaData()
    m.type = physical.rawValue
    var encodings: [Int32] = []
    if hasDictionary || usedPlainPages { encodings.append(Encoding.plain.rawValue) }
    if spec.nullable { encodings.append(Encoding.rle.rawValue) }
    if usedDeltaBinaryPacked { encodings.append(Encoding.deltaBinaryPacked.rawValue) }
    if usedDeltaLengthByteArray { encodings.append(Encoding.deltaLengthByteArray.rawValue) }
    if hasDictionary { encodings.append(Encoding.rleDictionary.rawValue) }
    m.encodings = encodings
    m.pathInSchema = [spec.name]
    m.codec = options.codec.rawValue
    m.numValues = Int64(rows)
    m.totalUncompressedSize = Int64(dataUncompressed + dictionaryUncompressed)
    m.totalCompressedSize = Int64(pages.count + dictionaryPage.count)
    if hasDictionary {
      m.dictionaryPageOffset = offset
      m.dataPageOffset = offset + Int64(dictionaryPage.count)
    } else {
      m.dataPageOffset = offset
    }
    let columnStats = finalStatistics()
    m.statistics = encode(columnStats)
    if !dictionaryPage.isEmpty { try write(dictionaryPage) }
    try write(pages)
    var chunk = ColumnChunk()
    chunk.fileOffset = 0
    chunk.metaData = m
    return (chunk, columnStats)
  }

  func finalStatistics() -> ColumnStatistics {
    var s = stats
    switch spec.type.storage {
    case .boolean:
      if sawFalse || sawTrue {
        s.min = .bool(!sawFalse)
        s.max = .bool(sawTrue)
      }
    case .int32, .int64:
      if ints.any {
        s.min = .int(ints.min)
        s.max = .int(ints.max)
      }
    case .float, .double:
      s.nanCount = doubles.nans
      if doubles.any {
        s.min = .double(doubles.min == 0 ? -0.0 : doubles.min)
        s.max = .double(doubles.max == 0 ? 0.0 : doubles.max)
      }
    case .bytes:
      if byteRange.any {
        if byteRange.tooLong {
          s.unbounded = true
        } else {
          s.min = .bytes(byteRange.min)
          s.max = .bytes(byteRange.max)
        }
      }
    case .int128:
      break
    }
    return s
  }

  /// The Parquet encoding of statistics: PLAIN single values, exact.
  func encode(_ s: ColumnStatistics) -> Statistics {
    var out = Statistics()
    out.nullCount = Int64(s.nullCount)
    func plainValue(_ v: StatValue) -> [UInt8] {
      var b: [UInt8] = []
      switch v {
      case .bool(let x): b = [x ? 1 : 0]
      case .int(let x):
        if physicalWidth == 4 {
          appendLittleEndian(Int32(truncatingIfNeeded: x), to: &b)
        } else {
          appendLittleEndian(x, to: &b)
        }
      case .double(let x):
        if physical == .float {
          appendLittleEndian(Float(x).bitPattern, to: &b)
        } else {
          appendLittleEndian(x.bitPattern, to: &b)
        }
      case .bytes(let x): b = x
      case .int128: break
      }
      return b
    }
    if let min = s.min, let max = s.max {
      out.minValue = plainValue(min)
      out.maxValue = plainValue(max)
      out.isMinValueExact = true
      out.isMaxValueExact = true
    }
    return out
  }
}

/// Page buffers and a zstd context: what the column writers of Parquet files need only while
/// they encode a page.
///
/// The page's body and its compressed forms, and the zstd context. One is shared by every column of a file,
/// and by every file written on one thread when the caller hands the same one to each (a writer
/// of many partitions then holds one set, not one per open file).
///
/// Not thread-safe: the files sharing one must be written from one thread at a time.
public final class ParquetWriterScratch {
  var body: [UInt8] = []
  var compressed: [UInt8] = []
  var header: [UInt8] = []
  /// A second encoding of the page (tried against `body`), and a second compression of it.
  var alternative: [UInt8] = []
  var trial: [UInt8] = []
  var compressors: [Int32: ZstdCompressor] = [:]

  public init() {}

  /// The zstd context of `level` (made on first use).
  func compressor(level: Int32) throws -> ZstdCompressor {
    if let c = compressors[level] { return c }
    let c = try ZstdCompressor(level: level)
    compressors[level] = c
    return c
  }
}
