// LakeTable/Delta/DeltaScan.swift
//
// Reading a snapshot's rows: every live file, row group by row group, its columns matched to the
// table schema. Partition columns come from the add action's partitionValues (they are not
// stored in the files; PartitionPath.appendValue parses every primitive type); a column a file
// lacks (added later by schema evolution) reads as null; a file column of a narrower type than
// the table's (type widening: int → long, float → double, date → timestamp_ntz, wider
// decimals) is widened as it is read.
//
// Column mapping (DeltaColumnMapping): in mode `name` file columns and partitionValues keys are
// the fields' physical names; in mode `id` file columns are found by Parquet field_id, by
// physical name in a file without ids.

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

  /// One column to read: its table field and where its values come from.
  struct Plan {
    var spec: ColumnSpec
    var field: DeltaField
    /// The key of its value in `add.partitionValues` (partition columns only).
    var partitionKey: String?
  }

  /// Calls `body` with each batch of `files` (live files of the snapshot: partition pruning),
  /// holding only `columns` (by name, in that order; nil: every column) — column projection.
  public static func forEachBatch(
    _ snapshot: Snapshot, files: [DeltaAdd], columns names: [String]?,
    _ body: ([ColumnBuffer]) throws -> Void
  ) throws {
    let fields = try DeltaSchema.fields(
      from: snapshot.metadata.schemaString, table: snapshot.table)
    let mapping = try DeltaColumnMapping(
      snapshot.protocol, snapshot.metadata, table: snapshot.table)
    let indices: [Int]
    if let names {
      indices = try names.map { name in
        guard let i = snapshot.schema.index(of: name) else {
          throw LakeFailure(.data, "\(snapshot.table): no column '\(name)'")
        }
        return i
      }
    } else {
      indices = Array(snapshot.schema.columns.indices)
    }
    let partitions = Set(snapshot.metadata.partitionColumns)
    let plans = indices.map { i in
      let spec = snapshot.schema.columns[i]
      let field =
        i < fields.count && fields[i].name == spec.name
        ? fields[i] : DeltaField(name: spec.name, type: .primitive("string"), nullable: true)
      return Plan(
        spec: spec, field: field,
        partitionKey: partitions.contains(spec.name) ? mapping.physicalName(field) : nil)
    }
    for add in files {
      let path = snapshot.table + "/" + (try PartitionPath.uriDecode(add.path))
      let reader = try ParquetFileReader(path: path)
      try readFlat(reader, add: add, path: path, plans: plans, mapping: mapping, body)
    }
  }

  /// Reads one file whose columns are all flat.
  static func readFlat(
    _ reader: ParquetFileReader, add: DeltaAdd, path: String, plans: [Plan],
    mapping: DeltaColumnMapping, _ body: ([ColumnBuffer]) throws -> Void
  ) throws {
    // Element i + 1 of a flat file's schema is leaf i.
    let ids = reader.metadata.schema.dropFirst().map(\.fieldId)
    let hasIds = ids.contains { $0 != nil }
    var fileColumn: [Int?] = []
    for plan in plans {
      if plan.partitionKey != nil {
        fileColumn.append(nil)
        continue
      }
      var i: Int?
      if hasIds, let id = mapping.fieldId(plan.field) {
        i = ids.firstIndex(of: id)
      } else {
        let name = mapping.physicalName(plan.field)
        i = reader.leaves.firstIndex { $0.spec.name == name }
      }
      if let i, !ColumnBuffer.canWiden(reader.leaves[i].spec.type, to: plan.spec.type) {
        throw LakeFailure(
          .data,
          "\(path): column '\(plan.spec.name)' is \(reader.leaves[i].spec.type), the table says \(plan.spec.type)"
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
      for (c, plan) in plans.enumerated() {
        if fileColumn[c] != nil {
          let column = read[next]
          next += 1
          guard let widened = column.widened(to: plan.spec.type) else {
            throw LakeFailure(
              .data,
              "\(path): column '\(plan.spec.name)' is \(column.type), the table says \(plan.spec.type)"
            )
          }
          batch.append(widened)
        } else if plan.partitionKey != nil {
          batch.append(try constant(plan, add, rows: rows, path: path))
        } else {
          var nulls = ColumnBuffer(type: plan.spec.type)
          nulls.appendNulls(rows)
          batch.append(nulls)
        }
      }
      try body(batch)
    }
  }

  /// A column of `rows` copies of a file's partition value.
  static func constant(_ plan: Plan, _ add: DeltaAdd, rows: Int, path: String) throws
    -> ColumnBuffer
  {
    let key = plan.partitionKey ?? plan.spec.name
    // The physical name's value; a log that keys by the logical name is read too.
    let text = (add.partitionValues[key] ?? add.partitionValues[plan.spec.name]) ?? nil
    var out = ColumnBuffer(type: plan.spec.type, capacity: rows)
    guard PartitionPath.appendValue(text, to: &out, rows: rows) else {
      throw LakeFailure(
        .data,
        "\(path): partition value '\(text ?? "")' of column '\(plan.spec.name)' is not a \(DeltaSchema.deltaType(plan.spec.type))"
      )
    }
    return out
  }
}
