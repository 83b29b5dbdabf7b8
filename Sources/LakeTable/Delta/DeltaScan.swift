// LakeTable/Delta/DeltaScan.swift
//
// Reading a snapshot's rows: every live file, row group by row group, its columns matched to the
// table schema by name. Partition columns come from the add action's partitionValues (they are
// not stored in the files); a column a file lacks (added later by schema evolution) reads as null.

import LakeFormats
import LakeIO

/// Reads the rows of a snapshot.
public enum DeltaScan {
  /// Calls `body` with each batch (all columns of the snapshot's schema, in order).
  public static func forEachBatch(_ snapshot: Snapshot, _ body: ([ColumnBuffer]) throws -> Void)
    throws
  {
    try forEachBatch(snapshot, files: snapshot.files, columns: nil, body)
  }

  /// Calls `body` with each batch of `files` (live files of the snapshot: partition pruning),
  /// holding only `columns` (by name, in that order; nil: every column) — column projection.
  public static func forEachBatch(
    _ snapshot: Snapshot, files: [DeltaAdd], columns names: [String]?,
    _ body: ([ColumnBuffer]) throws -> Void
  ) throws {
    let schema: TableSchema
    if let names {
      schema = TableSchema(
        try names.map { name in
          guard let i = snapshot.schema.index(of: name) else {
            throw LakeFailure(.data, "\(snapshot.table): no column '\(name)'")
          }
          return snapshot.schema.columns[i]
        })
    } else {
      schema = snapshot.schema
    }
    let partitions = Set(snapshot.metadata.partitionColumns)
    for add in files {
      let path = snapshot.table + "/" + (try PartitionPath.uriDecode(add.path))
      let reader = try ParquetFileReader(path: path)
      var fileColumn: [Int?] = []
      for spec in schema.columns {
        if partitions.contains(spec.name) {
          fileColumn.append(nil)
          continue
        }
        let i = reader.leaves.firstIndex { $0.spec.name == spec.name }
        if let i, reader.leaves[i].spec.type != spec.type {
          throw LakeFailure(
            .data,
            "\(path): column '\(spec.name)' is \(reader.leaves[i].spec.type), the table says \(spec.type)"
          )
        }
        fileColumn.append(i)
      }
      let wanted = fileColumn.compactMap { $0 }
      for g in 0..<reader.rowGroupCount {
        let read = try reader.readRowGroup(g, columns: wanted)
        let rows = Int(reader.metadata.rowGroups[g].numRows)
        var batch: [ColumnBuffer] = []
        var next = 0
        for (c, spec) in schema.columns.enumerated() {
          if fileColumn[c] != nil {
            batch.append(read[next])
            next += 1
          } else if partitions.contains(spec.name) {
            batch.append(
              try constant(spec, add.partitionValues[spec.name] ?? nil, rows: rows, path: path))
          } else {
            var nulls = ColumnBuffer(type: spec.type)
            for _ in 0..<rows { nulls.appendNull() }
            batch.append(nulls)
          }
        }
        try body(batch)
      }
    }
  }

  /// A column of `rows` copies of a partition value.
  static func constant(_ spec: ColumnSpec, _ text: String?, rows: Int, path: String) throws
    -> ColumnBuffer
  {
    var out = ColumnBuffer(type: spec.type, capacity: rows)
    guard let text, !text.isEmpty else {
      for _ in 0..<rows { out.appendNull() }
      return out
    }
    func bad() -> LakeFailure {
      LakeFailure(.data, "\(path): partition value '\(text)' is not a \(spec.type)")
    }
    switch spec.type {
    case .string:
      for _ in 0..<rows { out.append(string: text) }
    case .date:
      guard let micros = RFC3339.parse(text + "T00:00:00Z") else { throw bad() }
      for _ in 0..<rows { out.append(Int32(truncatingIfNeeded: micros / 86_400_000_000)) }
    case .int32:
      guard let v = Int32(text) else { throw bad() }
      for _ in 0..<rows { out.append(v) }
    case .int64:
      guard let v = Int64(text) else { throw bad() }
      for _ in 0..<rows { out.append(v) }
    case .boolean:
      guard text == "true" || text == "false" else { throw bad() }
      for _ in 0..<rows { out.append(text == "true") }
    case .timestamp:
      // ISO UTC, or Spark's "2024-01-01 05:00:00[.ffffff]" (UTC).
      let iso = text.contains("T") ? text : text.replacingSpace() + "Z"
      guard let v = RFC3339.parse(iso) else { throw bad() }
      for _ in 0..<rows { out.append(v) }
    default:
      throw LakeFailure(
        .data, "\(path): partition column '\(spec.name)' of type \(spec.type) is not supported")
    }
    return out
  }
}

extension String {
  func replacingSpace() -> String { String(map { $0 == " " ? "T" : $0 }) }
}
