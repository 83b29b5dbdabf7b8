// LakeFormats/Parquet/Nested/ParquetNestedWriter.swift
//
// Writes rows of nested values as a Parquet file.

/// Writing rows of nested values as a Parquet file.
public enum ParquetNestedWriter {
  /// The bytes of a Parquet file holding `rows` (each one value per field), row groups of at
  /// most `rowGroupRows`.
  public static func encode(
    fields: [NestedField], rows: [[NestedValue]], options: ParquetWriteOptions = .init(),
    rowGroupRows: Int = 1 << 20
  ) throws -> [UInt8] {
    throw ParquetError.unsupported("nested Parquet writing not yet implemented")
  }
}
