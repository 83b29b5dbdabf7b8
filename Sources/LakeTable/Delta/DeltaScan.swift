// LakeTable/Delta/DeltaScan.swift
//
// Reading a snapshot's rows: every live file, row group by row group, its columns matched to the
// table schema. Partition columns come from the add action's partitionValues (they are not
// stored in the files; PartitionPath.appendValue parses every primitive type); a column a file
// lacks (added later by schema evolution) reads as null; a file column of a narrower type than
// the table's (type widening: int → long, float → double, date → timestamp_ntz, wider
// decimals) is widened as it is read.
//
// A table with a nested column (struct, array, map) is read through ParquetNestedFile: each
// nested column becomes a `json` column holding the value's JSON text, struct fields under their
// logical names. A live file with a deletion vector is refused, naming it.
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
  ///
  /// With `dictionaryCodes`, columns read from dictionary-encoded chunks also carry each
  /// row's dictionary index (`ColumnBuffer.dictionaryCodes`); those of them named in
  /// `codesOnly` carry only that (`ColumnBuffer.valuesOmitted`: no values decoded) when the file
  /// stores them as the table's type.
  ///
  /// The batches' buffers are reused from row group to row group and file to file (no fresh
  /// pages per batch); a `body` that keeps a batch keeps its values (copy on write), and the
  /// next batch then gets fresh storage.
  public static func forEachBatch(
    _ snapshot: Snapshot, files: [DeltaAdd], columns names: [String]?,
    dictionaryCodes: Bool = false, codesOnly: Set<String> = [],
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
    // A table with a nested column: its files are read through ParquetNestedFile (the flat
    // reader refuses a file with any nested column).
    let nested = fields.contains { $0.type.isNested }
    let plans = indices.map { i in
      let spec = snapshot.schema.columns[i]
      let field =
        i < fields.count && fields[i].name == spec.name
        ? fields[i] : DeltaField(name: spec.name, type: .primitive("string"), nullable: true)
      return Plan(
        spec: spec, field: field,
        partitionKey: partitions.contains(spec.name) ? mapping.physicalName(field) : nil)
    }
    // The buffers row groups are read into, kept from file to file.
    var read: [ColumnBuffer] = []
    for add in files {
      let path = snapshot.table + "/" + (try PartitionPath.uriDecode(add.path))
      // Rows a deletion vector marks deleted are still in the file: reading it whole would show
      // them. Refused, naming the file (the deletionVectors feature alone is fine).
      if add.deletionVector != nil {
        throw LakeFailure(
          .data,
          "\(path): the file has a deletion vector (table feature deletionVectors), which lh does not apply"
        )
      }
      if nested {
        try readNested(path, add: add, plans: plans, mapping: mapping, body)
      } else {
        let reader = try ParquetFileReader(path: path)
        reader.keepsDictionaryCodes = dictionaryCodes
        try readFlat(
          reader, add: add, path: path, plans: plans, mapping: mapping,
          codesOnly: dictionaryCodes ? codesOnly : [], buffers: &read, body)
      }
    }
  }

  /// Rows per batch of a file read through `ParquetNestedFile`.
  static let nestedBatchRows = 4096

  /// Reads one file of a table with nested columns.
  ///
  /// Every top-level column is read row by row (`ParquetNestedFile`), nested ones as their JSON text (struct fields under their logical
  /// names), flat ones as their type, widened as in `readFlat`. Files are found by physical
  /// name (a nested file's field_ids are not used).
  static func readNested(
    _ path: String, add: DeltaAdd, plans: [Plan], mapping: DeltaColumnMapping,
    _ body: ([ColumnBuffer]) throws -> Void
  ) throws {
    let file = try ParquetNestedFile(path: path)
    let data = plans.indices.filter { plans[$0].partitionKey == nil }
    let names = data.map { mapping.physicalName(plans[$0].field) }
    // Per data column: the file's type of it (nil: the file lacks it), as read.
    var fileTypes: [NestedType?] = []
    for (k, c) in data.enumerated() {
      let plan = plans[c]
      guard let f = file.fields.first(where: { $0.name == names[k] }) else {
        fileTypes.append(nil)
        continue
      }
      switch (f.type, plan.spec.type) {
      case (.leaf(let t), let want) where want != .json:
        guard ColumnBuffer.canWiden(t, to: want) else {
          throw LakeFailure(
            .data, "\(path): column '\(plan.spec.name)' is \(t), the table says \(want)")
        }
        fileTypes.append(f.type)
      case (.leaf(let t), _):
        throw LakeFailure(
          .data, "\(path): column '\(plan.spec.name)' is \(t), the table says it is nested")
      case (_, .json):
        fileTypes.append(logicalNames(f.type, plan.field.type, mapping))
      default:
        throw LakeFailure(
          .data,
          "\(path): column '\(plan.spec.name)' is nested, the table says \(plan.spec.type)")
      }
    }
    func fresh() -> [ColumnBuffer] {
      data.indices.map { k in
        if case .leaf(let t)? = fileTypes[k] { return ColumnBuffer(type: t) }
        return ColumnBuffer(type: plans[data[k]].spec.type)
      }
    }
    var columns = fresh()
    var rows = 0
    var scratch: [UInt8] = []
    func flush() throws {
      guard rows > 0 else { return }
      var batch: [ColumnBuffer] = []
      var next = 0
      for plan in plans {
        if plan.partitionKey != nil {
          batch.append(try constant(plan, add, rows: rows, path: path))
          continue
        }
        guard let widened = columns[next].widened(to: plan.spec.type) else {
          throw LakeFailure(.data, "\(path): column '\(plan.spec.name)' cannot be read")
        }
        batch.append(widened)
        next += 1
      }
      try body(batch)
      columns = fresh()
      rows = 0
    }
    try file.forEachRow(columns: names) { values in
      for k in data.indices {
        let v = k < values.count ? values[k] : .null
        guard let type = fileTypes[k], !v.isNull else {
          columns[k].appendNull()
          continue
        }
        if case .leaf = type {
          append(v, to: &columns[k])
        } else {
          scratch.removeAll(keepingCapacity: true)
          v.appendJSON(type, to: &scratch)
          columns[k].append(bytes: scratch)
        }
      }
      rows += 1
      if rows == nestedBatchRows { try flush() }
    }
    try flush()
  }

  /// Appends a flat value read through `ParquetNestedFile` to a column of its file type.
  static func append(_ v: NestedValue, to out: inout ColumnBuffer) {
    switch (v, out.type.storage) {
    case (.boolean(let b), .boolean): out.append(b)
    case (.int(let i), .int32): out.append(Int32(truncatingIfNeeded: i))
    case (.int(let i), .int64): out.append(i)
    case (.int(let i), .int128): out.append(Int128(i))
    case (.int128(let i), .int128): out.append(i)
    case (.double(let d), .float): out.append(Float(d))
    case (.double(let d), .double): out.append(d)
    case (.bytes(let b), .bytes): out.append(bytes: b)
    default: out.appendNull()
    }
  }

  /// A file's nested type with its record fields named as the table names them: the physical
  /// names of a column-mapped table become logical ones (identity without mapping).
  static func logicalNames(_ type: NestedType, _ delta: DeltaType, _ mapping: DeltaColumnMapping)
    -> NestedType
  {
    switch (type, delta) {
    case (.record(let fields), .struct(let deltaFields)):
      return .record(
        fields.map { f in
          guard let d = deltaFields.first(where: { mapping.physicalName($0) == f.name }) else {
            return f
          }
          return NestedField(d.name, logicalNames(f.type, d.type, mapping), nullable: f.nullable)
        })
    case (.list(let e), .array(let element, _)):
      return .list(
        element: NestedField(e.name, logicalNames(e.type, element, mapping), nullable: e.nullable))
    case (.map(let k, let v), .map(let key, let value, _)):
      return .map(
        key: NestedField(k.name, logicalNames(k.type, key, mapping), nullable: k.nullable),
        value: NestedField(v.name, logicalNames(v.type, value, mapping), nullable: v.nullable))
    default:
      return type
    }
  }

  /// Reads one file whose columns are all flat.
  static func readFlat(
    _ reader: ParquetFileReader, add: DeltaAdd, path: String, plans: [Plan],
    mapping: DeltaColumnMapping, codesOnly: Set<String>, buffers read: inout [ColumnBuffer],
    _ body: ([ColumnBuffer]) throws -> Void
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
      if let i, codesOnly.contains(plan.spec.name), reader.leaves[i].spec.type == plan.spec.type {
        reader.codesOnlyColumns.insert(i)
      }
    }
    let wanted = fileColumn.compactMap { $0 }
    for g in 0..<reader.rowGroupCount {
      try reader.readRowGroup(g, columns: wanted, into: &read)
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
