// LakeFormats/Parquet/Encoding/BitPacking.swift
//
// LSB-first bit packing, shared by the RLE / bit-packing hybrid and DELTA_BINARY_PACKED miniblocks.
// Encodings.md (RLE): "The values are packed from the least significant bit of each byte to the
// most significant bit, though the order of the bits in each value remains in the usual order of
// most significant to least significant."
//
//   dec value: 0   1   2   3   4   5   6   7          (bit width 3)
//   bit value: 000 001 010 011 100 101 110 111
//   packed:    10001000 11000110 11111010
//
// Value `i` of a run starting at bit `b` occupies bits `b + i*w ..< b + (i+1)*w`. The unpackers
// read an unaligned little-endian 64-bit window at the value's first byte and shift, which is one
// load per value as long as eight bytes remain; only the last few values of a buffer take the
// byte-by-byte path. Callers check once that the bits exist; the loops here only `assert`.

/// Packs and unpacks fixed-width values, least significant bit first.
@usableFromInline
enum BitPacking {
  /// The mask of the low `width` bits (`width` in 0...64).
  @inlinable
  static func mask64(_ width: Int) -> UInt64 {
    width >= 64 ? ~0 : (1 &<< UInt64(width)) &- 1
  }

  /// Reads the `width`-bit value starting at absolute bit `bit`, one byte at a time.
  ///
  /// Used near the end of a buffer, where a 64-bit window would read past it.
  @inlinable
  static func gather(
    _ base: UnsafeRawPointer, byteCount: Int, bit: Int, width: Int
  ) -> UInt64 {
    let first = bit >> 3
    let shift = bit & 7
    let byteSpan = (shift + width + 7) >> 3
    assert(first + byteSpan <= byteCount)
    var value: UInt64 = 0
    for k in 0..<byteSpan {
      let byte = UInt64(base.load(fromByteOffset: first + k, as: UInt8.self))
      if k == 0 {
        value = byte >> UInt64(shift)
      } else {
        value |= byte &<< UInt64(8 * k - shift)
      }
    }
    return value & mask64(width)
  }

  /// Unpacks `count` values of `width` bits (0...32) starting at absolute bit `bitOffset`.
  ///
  /// The caller guarantees `bitOffset + count * width <= byteCount * 8`.
  @inlinable
  static func unpack32(
    _ base: UnsafeRawPointer, byteCount: Int, bitOffset: Int, width: Int, count: Int,
    into output: UnsafeMutablePointer<UInt32>
  ) {
    assert(width >= 0 && width <= 32)
    assert(bitOffset + count * width <= byteCount * 8)
    if width == 0 {
      output.initialize(repeating: 0, count: count)
      return
    }
    let mask = mask64(width)
    // Values whose first byte leaves 8 readable bytes take the 64-bit window; a value of at most
    // 32 bits plus a shift of at most 7 always fits in it.
    var fast = 0
    if byteCount >= 8 {
      let lastWindowBit = (byteCount - 8) * 8 + 7
      if lastWindowBit >= bitOffset {
        fast = min(count, (lastWindowBit - bitOffset) / width + 1)
      }
    }
    var bit = bitOffset
    for i in 0..<fast {
      let word = UInt64(
        littleEndian: base.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
      output[i] = UInt32(truncatingIfNeeded: (word &>> UInt64(bit & 7)) & mask)
      bit &+= width
    }
    for i in fast..<count {
      output[i] = UInt32(
        truncatingIfNeeded: gather(base, byteCount: byteCount, bit: bit, width: width))
      bit &+= width
    }
  }

  /// Unpacks `count` values of `width` bits (0...64) starting at absolute bit `bitOffset`.
  ///
  /// The caller guarantees `bitOffset + count * width <= byteCount * 8`.
  @inlinable
  static func unpack64(
    _ base: UnsafeRawPointer, byteCount: Int, bitOffset: Int, width: Int, count: Int,
    into output: UnsafeMutablePointer<UInt64>
  ) {
    assert(width >= 0 && width <= 64)
    assert(bitOffset + count * width <= byteCount * 8)
    if width == 0 {
      output.initialize(repeating: 0, count: count)
      return
    }
    let mask = mask64(width)
    // A value of up to 64 bits with a shift of up to 7 can span 9 bytes: take the 64-bit window
    // and the ninth byte when the value crosses it.
    var fast = 0
    if byteCount >= 9 {
      let lastWindowBit = (byteCount - 9) * 8 + 7
      if lastWindowBit >= bitOffset {
        fast = min(count, (lastWindowBit - bitOffset) / width + 1)
      }
    }
    var bit = bitOffset
    if width <= 56 {
      for i in 0..<fast {
        let word = UInt64(
          littleEndian: base.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
        output[i] = (word &>> UInt64(bit & 7)) & mask
        bit &+= width
      }
    } else {
      for i in 0..<fast {
        let byteIndex = bit &>> 3
        let shift = UInt64(bit & 7)
        let word = UInt64(
          littleEndian: base.loadUnaligned(fromByteOffset: byteIndex, as: UInt64.self))
        var value = word &>> shift
        if shift != 0 {
          let next = UInt64(base.load(fromByteOffset: byteIndex + 8, as: UInt8.self))
          value |= next &<< (64 - shift)
        }
        output[i] = value & mask
        bit &+= width
      }
    }
    for i in fast..<count {
      output[i] = gather(base, byteCount: byteCount, bit: bit, width: width)
      bit &+= width
    }
  }

  /// Packs `count` values of `width` bits (0...64) at `output`; returns the bytes written.
  ///
  /// Writes whole 64-bit words: the caller leaves 8 bytes of room past `count * width` bits
  /// (rounded up to bytes). The bytes past the returned count are zeros or overwritten later.
  @inline(__always)
  static func pack<T: FixedWidthInteger>(
    _ values: UnsafePointer<T>, count: Int, width: Int, to output: UnsafeMutableRawPointer
  ) -> Int {
    assert(width >= 0 && width <= 64)
    let mask = mask64(width)
    var acc: UInt64 = 0
    var bits = 0
    var at = 0
    for i in 0..<count {
      let v = UInt64(truncatingIfNeeded: values[i]) & mask
      acc |= v &<< UInt64(bits)
      bits &+= width
      if bits >= 64 {
        output.storeBytes(of: acc.littleEndian, toByteOffset: at, as: UInt64.self)
        at &+= 8
        bits &-= 64
        // The high bits of v that did not fit start the next word.
        acc = bits > 0 ? v &>> UInt64(width &- bits) : 0
      }
    }
    if bits > 0 { output.storeBytes(of: acc.littleEndian, toByteOffset: at, as: UInt64.self) }
    return at + (bits + 7) / 8
  }

  /// Appends 8 values of `width` bits (0...32), exactly `width` bytes.
  @inlinable
  static func pack8(
    _ values: UnsafePointer<UInt32>, width: Int, into output: inout [UInt8]
  ) {
    assert(width >= 0 && width <= 32)
    if width == 0 { return }
    let mask = mask64(width)
    // 8 values × width bits = width bytes ≤ 32: pack into four 64-bit words on the stack, then
    // append once (an append per byte costs a uniqueness and capacity check each).
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    withUnsafeMutableBytes(of: &words) { raw in
      let word = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
      var acc: UInt64 = 0
      var bits = 0
      var k = 0
      for i in 0..<8 {
        let v = UInt64(values[i]) & mask
        acc |= v &<< UInt64(bits)
        bits += width
        if bits >= 64 {
          word[k] = acc.littleEndian
          k += 1
          bits -= 64
          // The high bits of v that did not fit start the next word.
          acc = bits > 0 ? v &>> UInt64(width - bits) : 0
        }
      }
      if bits > 0 { word[k] = acc.littleEndian }
      output.append(contentsOf: UnsafeRawBufferPointer(start: raw.baseAddress!, count: width))
    }
  }

  /// Appends `values` packed at `width` bits (0...64); `values.count * width` must be a multiple
  /// of 8.
  @inlinable
  static func pack64(
    _ values: UnsafeBufferPointer<UInt64>, width: Int, into output: inout [UInt8]
  ) {
    assert(width >= 0 && width <= 64)
    assert(values.count * width % 8 == 0)
    if width == 0 { return }
    let mask = mask64(width)
    var acc: UInt64 = 0
    var bits = 0  // pending bits in acc, always < 8 between values
    for raw in values {
      let v = raw & mask
      acc |= v &<< UInt64(bits)
      let total = bits + width
      if total >= 64 {
        for k in 0..<8 { output.append(UInt8(truncatingIfNeeded: acc &>> UInt64(8 * k))) }
        acc = bits == 0 ? 0 : v &>> UInt64(64 - bits)
        bits = total - 64
      } else {
        bits = total
      }
      while bits >= 8 {
        output.append(UInt8(truncatingIfNeeded: acc))
        acc &>>= 8
        bits -= 8
      }
    }
  }
}
