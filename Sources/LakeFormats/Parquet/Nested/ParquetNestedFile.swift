// LakeFormats/Parquet/Nested/ParquetNestedFile.swift
//
// Reads a Parquet file's top-level columns, nested or flat, row by row as `NestedValue`s.

/// Reading a Parquet file's nested (and flat) top-level columns row by row.
public final class ParquetNestedFile {
  public let name: String
  public private(set) var fields: [NestedField] = []
  public private(set) var rowCount: Int = 0

  public convenience init(path: String) throws {
    throw ParquetError.unsupported("nested Parquet reading not yet implemented")
  }

  public init(bytes: [UInt8], name: String) throws {
    self.name = name
    throw ParquetError.unsupported("nested Parquet reading not yet implemented")
  }

  /// Calls `body` with each row's values of the named top-level columns, in `columns` order (a
  /// name the file lacks gives .null), one row group at a time (memory: one row group of those
  /// columns).
  public func forEachRow(columns: [String], _ body: ([NestedValue]) throws -> Void) throws {
    throw ParquetError.unsupported("nested Parquet reading not yet implemented")
  }
}
