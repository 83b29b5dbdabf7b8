// LakeFormats/Parquet/Encoding/BitWidth.swift
//
// The bit width of a bit-packed value, shared by the RLE / bit-packing hybrid (levels, dictionary
// indices) and DELTA_BINARY_PACKED miniblocks. Encodings.md: "the bit width used to encode the
// entry ids stored as 1 byte (max bit width = 32)"; for levels the width is that of the maximum
// level, so a flat OPTIONAL column (max definition level 1) uses width 1.

/// Bit width needed for values up to maxValue (0 for 0).
///
/// This is the number of significant bits of `maxValue`: 0 → 0, 1 → 1, 2...3 → 2, 255 → 8.
/// A dictionary of `n` entries uses `bitWidth(forMaxValue: n - 1)`.
@inlinable
public func bitWidth(forMaxValue maxValue: UInt64) -> Int {
  return UInt64.bitWidth - maxValue.leadingZeroBitCount
}
