// LakeFormats/Parquet/Encoding/RLEHybridEncoder.swift
//
// Writes the RLE / bit-packing hybrid (Encodings.md, "Run Length Encoding / Bit-Packing Hybrid"):
//
//   encoded-data := <run>*
//   run := <bit-packed-run> | <rle-run>
//   bit-packed-header := varint-encode(<bit-pack-scaled-run-len> << 1 | 1)
//   rle-header := varint-encode( (rle-run-len) << 1)
//   repeated-value := value that is repeated, using a fixed-width of round-up-to-next-byte(bit-width)
//   bit-packed-run-len and rle-run-len must be in the range [1, 2^31 - 1]
//
// Strategy (the one parquet-mr and arrow-rs use, so output matches theirs): values are buffered
// in groups of 8. A value repeated at least 8 times from a group boundary becomes an RLE run;
// otherwise each full group of 8 is bit-packed and appended to the open bit-packed run. A
// bit-packed run holds at most 63 groups so its header is one byte, reserved up front and patched
// when the run ends. `flush` pads a partial last group with zeros (the reader stops after
// `num_values`) and closes the open run.
//
// Example (bit width 1): [1, 1, 0, 1] → `03 0b` (one bit-packed group, padded); 1000 × 1 →
// `d0 0f 01` (one RLE run). The uint32 length prefix of v1 levels is the caller's job.

/// Encodes values of a fixed bit width (0...32) as the RLE / bit-packing hybrid.
public struct RLEHybridEncoder {
  @usableFromInline let bitWidth: Int
  @usableFromInline let valueByteWidth: Int
  /// Completed runs (and the bytes of the open bit-packed run).
  @usableFromInline var bytes: [UInt8] = []
  /// The current group of up to 8 values; always 8 elements long.
  @usableFromInline var group: [UInt32] = Array(repeating: 0, count: 8)
  @usableFromInline var groupCount = 0
  @usableFromInline var previous: UInt32 = 0
  @usableFromInline var repeatCount = 0
  /// Index in `bytes` of the open bit-packed run's header byte, or -1.
  @usableFromInline var packedHeaderIndex = -1
  @usableFromInline var packedGroups = 0
  @usableFromInline var appended = 0

  /// The longest run the spec allows.
  @usableFromInline static var maxRunLength: Int { Int(Int32.max) }
  /// The most groups whose bit-packed header fits in one byte: (63 << 1) | 1 = 127.
  @usableFromInline static var maxPackedGroups: Int { 63 }

  /// Creates an encoder for values of `bitWidth` bits (0...32).
  ///
  /// Values wider than `bitWidth` are a programming error; only their low bits are written.
  public init(bitWidth: Int) {
    precondition(bitWidth >= 0 && bitWidth <= 32, "rle bit width must be in 0...32")
    self.bitWidth = bitWidth
    self.valueByteWidth = (bitWidth + 7) / 8
  }

  /// Values appended since the last flush.
  public var count: Int { appended }

  /// Roughly the number of bytes `flush` would write now (for page size limits).
  public var estimatedSize: Int {
    var size = bytes.count
    if repeatCount >= 8 {
      size += 5 + valueByteWidth
    } else if groupCount > 0 {
      size += bitWidth + (packedHeaderIndex < 0 ? 1 : 0)
    }
    return size
  }

  /// Appends one value; amortised O(1), no allocation per value.
  @inlinable
  public mutating func append(_ value: UInt32) {
    appended += 1
    if value == previous {
      repeatCount += 1
      if repeatCount >= 8 {
        // In an RLE run: only count. The 7 buffered copies are dropped when the run is written.
        if repeatCount == Self.maxRunLength { writeRepeatRun() }
        return
      }
    } else {
      if repeatCount >= 8 { writeRepeatRun() }
      repeatCount = 1
      previous = value
    }
    group[groupCount] = value
    groupCount += 1
    if groupCount == 8 { writePackedGroup() }
  }

  /// Appends `value` `count` times; O(1) beyond the first few once a run has started.
  public mutating func append(repeating value: UInt32, count: Int) {
    var remaining = count
    while remaining > 0 {
      if repeatCount >= 8 && value == previous {
        let n = min(remaining, Self.maxRunLength - repeatCount)
        repeatCount += n
        appended += n
        remaining -= n
        if repeatCount == Self.maxRunLength { writeRepeatRun() }
      } else {
        append(value)
        remaining -= 1
      }
    }
  }

  /// Appends the encoded runs to `output` and resets the encoder for reuse (keeps capacity).
  public mutating func flush(into output: inout [UInt8]) {
    if repeatCount >= 8 {
      writeRepeatRun()
    } else if groupCount > 0 {
      for i in groupCount..<8 { group[i] = 0 }
      groupCount = 8
      writePackedGroup()
    }
    endPackedRun()
    output.append(contentsOf: bytes)
    bytes.removeAll(keepingCapacity: true)
    groupCount = 0
    previous = 0
    repeatCount = 0
    appended = 0
  }

  /// Encodes `values` in one pass and appends them to `output`: the bytes that appending them
  /// one by one and flushing would give, without the per-value bookkeeping.
  ///
  /// At each group boundary, 8 equal values start an RLE run that takes every following copy;
  /// otherwise the next 8 values (zero-padded at the end) are packed into the open bit-packed
  /// run. Values must be below `2^bitWidth` (0...32); only their low bits are written.
  public static func encode(
    _ values: UnsafeBufferPointer<UInt32>, bitWidth: Int, into output: inout [UInt8]
  ) {
    precondition(bitWidth >= 0 && bitWidth <= 32, "rle bit width must be in 0...32")
    guard let p = values.baseAddress, !values.isEmpty else { return }
    let n = values.count
    let valueBytes = (bitWidth + 7) / 8
    let mask = UInt32(truncatingIfNeeded: BitPacking.mask64(bitWidth))
    // Worst case per 8 values: an RLE run (5-byte header, 4-byte value) or a packed group plus
    // its share of a header; 8 bytes of slack for the packer's word stores.
    let bound = (n / 8 + 1) * (max(bitWidth, 9) + 1) + 16
    let start = output.count
    output.append(contentsOf: repeatElement(0, count: bound))
    var used = 0
    output.withUnsafeMutableBytes { raw in
      guard let base = raw.baseAddress else { return }
      let out = base + start
      var at = 0
      var header = -1
      var groups = 0
      func endPackedRun() {
        if header >= 0 {
          out.storeBytes(of: UInt8(groups << 1 | 1), toByteOffset: header, as: UInt8.self)
        }
        header = -1
        groups = 0
      }
      var i = 0
      while i < n {
        let v = p[i]
        if i &+ 8 <= n && p[i &+ 1] == v && p[i &+ 2] == v && p[i &+ 3] == v && p[i &+ 4] == v
          && p[i &+ 5] == v && p[i &+ 6] == v && p[i &+ 7] == v
        {
          var j = i &+ 8
          while j < n && p[j] == v { j &+= 1 }
          endPackedRun()
          var length = UInt64(j &- i) << 1
          while length >= 0x80 {
            out.storeBytes(
              of: UInt8(truncatingIfNeeded: length) | 0x80, toByteOffset: at, as: UInt8.self)
            at &+= 1
            length >>= 7
          }
          out.storeBytes(of: UInt8(truncatingIfNeeded: length), toByteOffset: at, as: UInt8.self)
          at &+= 1
          var value = v & mask
          for _ in 0..<valueBytes {
            out.storeBytes(of: UInt8(truncatingIfNeeded: value), toByteOffset: at, as: UInt8.self)
            at &+= 1
            value >>= 8
          }
          i = j
          continue
        }
        if header < 0 || groups == maxPackedGroups {
          endPackedRun()
          header = at
          at &+= 1
        }
        if i &+ 8 <= n {
          at &+= BitPacking.pack(p + i, count: 8, width: bitWidth, to: out + at)
        } else {
          // The last group, padded with zeros (the reader stops after `num_values`).
          var last: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
            (0, 0, 0, 0, 0, 0, 0, 0)
          withUnsafeMutableBytes(of: &last) { tmp in
            let t = tmp.baseAddress!.assumingMemoryBound(to: UInt32.self)
            for k in 0..<(n &- i) { t[k] = p[i &+ k] }
            at &+= BitPacking.pack(t, count: 8, width: bitWidth, to: out + at)
          }
        }
        groups &+= 1
        i &+= 8
      }
      endPackedRun()
      used = at
    }
    output.removeLast(bound - used)
  }

  /// Packs the full group into the open bit-packed run, opening one if needed.
  @usableFromInline
  mutating func writePackedGroup() {
    if packedGroups == Self.maxPackedGroups { endPackedRun() }
    if packedHeaderIndex < 0 {
      packedHeaderIndex = bytes.count
      bytes.append(0)
    }
    group.withUnsafeBufferPointer { values in
      if let base = values.baseAddress {
        BitPacking.pack8(base, width: bitWidth, into: &bytes)
      }
    }
    packedGroups += 1
    groupCount = 0
    // Repeats are only counted from a group boundary (see the file comment).
    repeatCount = 0
  }

  /// Writes `repeatCount` copies of `previous` as one RLE run.
  @usableFromInline
  mutating func writeRepeatRun() {
    endPackedRun()
    LEB128.append(UInt64(repeatCount) << 1, to: &bytes)
    var value = previous & UInt32(truncatingIfNeeded: BitPacking.mask64(bitWidth))
    for _ in 0..<valueByteWidth {
      bytes.append(UInt8(truncatingIfNeeded: value))
      value >>= 8
    }
    repeatCount = 0
    groupCount = 0
  }

  /// Patches the header of the open bit-packed run, if any.
  @usableFromInline
  mutating func endPackedRun() {
    guard packedHeaderIndex >= 0 else { return }
    bytes[packedHeaderIndex] = UInt8(packedGroups << 1 | 1)
    packedHeaderIndex = -1
    packedGroups = 0
  }
}
