// LakeTable/Delta/DeltaCheckpointCodec.swift
//
// Checkpoint Parquet files to and from actions (PROTOCOL.md "Checkpoints", "Checkpoint Schema";
// formats.md §9). One action per row, in a nullable struct column per action type:
//
//   txn       appId, version, lastUpdated
//   add       path, partitionValues map<string,string>, size, modificationTime, dataChange,
//             stats (JSON text), tags map<string,string>
//             [read only: stats_parsed struct, partitionValues_parsed, deletionVector struct]
//   remove    path, deletionTimestamp, dataChange, extendedFileMetadata, partitionValues, size
//   metaData  id, name, description, format{provider, options}, schemaString,
//             partitionColumns list<string>, configuration map<string,string>, createdTime
//   protocol  minReaderVersion, minWriterVersion, [readerFeatures, writerFeatures list<string>]
//   [read only: sidecar (V2 checkpoints), checkpointMetadata and domainMetadata → .other]
//
// Writing goes straight from the actions into the leaves' level and value streams
// (`CheckpointLeaves`, DeltaCheckpointDirect.swift); reading takes the add, remove and txn
// columns straight from their leaves (`DirectPlan`), the other columns through the generic
// nested reader; no NestedValue tree per row either way (bench/RESULTS.md, "Checkpoint
// read/write").
//
// Reading takes what Spark and delta-rs write: any of these columns missing, fields in any
// order, `stats_parsed` turned back into the stats JSON text when `stats` is null (it is read
// only for the row groups that need it), `partitionValues_parsed` ignored. A file that does not
// decode is a DeltaLogError naming it.

import LakeFormats
import LakeIO

/// Encoding and decoding of checkpoint Parquet files.
public enum DeltaCheckpointCodec {
  static let stringMap = NestedType.map(
    key: NestedField("key", .leaf(.string), nullable: false),
    value: NestedField("value", .leaf(.string)))
  static let stringList = NestedType.list(element: NestedField("element", .leaf(.string)))

  static func field(_ name: String, _ type: ColumnType, nullable: Bool = true) -> NestedField {
    NestedField(name, .leaf(type), nullable: nullable)
  }

  /// The columns of a checkpoint lh writes; protocol features only when some protocol has them.
  static func fields(features: Bool) -> [NestedField] {
    var protocolFields = [
      field("minReaderVersion", .int32), field("minWriterVersion", .int32),
    ]
    if features {
      protocolFields += [
        NestedField("readerFeatures", stringList), NestedField("writerFeatures", stringList),
      ]
    }
    return [
      NestedField(
        "txn",
        .record([
          field("appId", .string), field("version", .int64), field("lastUpdated", .int64),
        ])),
      NestedField(
        "add",
        .record([
          field("path", .string), NestedField("partitionValues", stringMap),
          field("size", .int64), field("modificationTime", .int64),
          field("dataChange", .boolean), field("stats", .string), NestedField("tags", stringMap),
        ])),
      NestedField(
        "remove",
        .record([
          field("path", .string), field("deletionTimestamp", .int64),
          field("dataChange", .boolean), field("extendedFileMetadata", .boolean),
          NestedField("partitionValues", stringMap), field("size", .int64),
        ])),
      NestedField(
        "metaData",
        .record([
          field("id", .string), field("name", .string), field("description", .string),
          NestedField(
            "format",
            .record([field("provider", .string), NestedField("options", stringMap)])),
          field("schemaString", .string), NestedField("partitionColumns", stringList),
          NestedField("configuration", stringMap), field("createdTime", .int64),
        ])),
      NestedField("protocol", .record(protocolFields)),
    ]
  }

  /// The bytes of a classic checkpoint Parquet file holding `actions` (protocol, metaData, txn,
  /// add, remove), one action per row, written straight into the leaves' streams (no value tree
  /// per row; `CheckpointLeaves`), a row group per `rowGroupRows` actions.
  public static func encode(
    _ actions: [DeltaAction], options: ParquetWriteOptions = .init(),
    rowGroupRows: Int = 1 << 20
  ) throws -> [UInt8] {
    let features = actions.contains {
      if case .protocol(let p) = $0 {
        p.readerFeatures != nil || p.writerFeatures != nil
      } else {
        false
      }
    }
    var w = try CheckpointLeaves(
      ParquetNestedColumns(fields: fields(features: features), options: options),
      features: features)
    var rows = 0
    for action in actions {
      switch action {
      case .txn(let t): try w.txn(t)
      case .add(let a): try w.add(a)
      case .remove(let r): try w.remove(r)
      case .metaData(let m): try w.metaData(m)
      case .protocol(let p): try w.protocol(p)
      case .commitInfo, .sidecar, .other: continue
      }
      rows += 1
      if rows == max(1, rowGroupRows) {
        try w.endRowGroup(rows: rows)
        rows = 0
      }
    }
    try w.endRowGroup(rows: rows)
    return try w.columns.finish()
  }

  /// The action columns read, in this order.
  static let actionColumns = [
    "txn", "add", "remove", "metaData", "protocol", "sidecar", "checkpointMetadata",
    "domainMetadata",
  ]

  /// Calls `body` with each action of a checkpoint Parquet file: a classic single-file
  /// checkpoint, one part of a multi-part one, a V2 checkpoint's Parquet top-level file, or a
  /// sidecar file.
  ///
  /// - Throws: `DeltaLogError` naming the file when it does not decode; what `body` throws.
  public static func forEachAction(
    file path: String, table: String, _ body: (DeltaAction) throws -> Void
  ) throws {
    try forEachAction(file: path, table: table, direct: true, body)
  }

  /// As the public one; `direct: false` reads every column through the generic nested reader
  /// (the tests compare the two ways); `rows` learns the file's row count before any action
  /// (for the live-file table to make room at once).
  static func forEachAction(
    file path: String, table: String, direct useDirect: Bool,
    rows announce: (Int) -> Void = { _ in }, _ body: (DeltaAction) throws -> Void
  ) throws {
    let file: ParquetNestedFile
    do {
      file = try ParquetNestedFile(path: path)
    } catch let e as ParquetError {
      throw failure(path, e)
    }
    let byName = Dictionary(file.fields.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    guard
      ["add", "remove", "metaData", "protocol", "txn", "sidecar"].contains(where: {
        byName[$0] != nil
      })
    else {
      throw DeltaLogError(
        table: path, reason: "not a Delta checkpoint (no add, remove, metaData or protocol column)")
    }
    announce(file.rowCount)
    let readers = Readers(byName)
    let addType = byName["add"]?.type
    let hasStatsParsed = readers.add.has("stats_parsed")
    let hasDeletionVector = readers.add.has("deletionVector")
    // add, remove and txn straight from their leaves where their shape allows
    // (DeltaCheckpointDirect.swift); the rest through the generic nested reader.
    let direct = [DirectPlan.add, DirectPlan.remove, DirectPlan.txn].map {
      useDirect && byName[$0.column] != nil && $0.applies(to: file) ? $0 : nil
    }
    var excluded: [[String]] = [
      ["add", "partitionValues_parsed"], ["remove", "partitionValues_parsed"],
    ]
    if hasStatsParsed { excluded.append(["add", "stats_parsed"]) }
    for case let plan? in direct { excluded.append([plan.column]) }
    let generic = actionColumns.filter { c in
      byName[c] != nil && !direct.contains { $0?.column == c }
    }
    var cache = PartitionValuesCache()
    // Actions wait for the row group's end only when a second pass may fill some in; else each
    // goes to `body` as it is read.
    let buffered = hasDeletionVector || hasStatsParsed
    var pending: [DeltaAction] = []
    func emit(_ a: DeltaAction) throws {
      if buffered {
        pending.append(a)
      } else {
        do { try body(a) } catch { throw FromBody(error: error) }
      }
    }
    // The generic pass's actions, by row.
    var others: [(row: Int, action: DeltaAction)] = []
    // Rows (within the row group) of adds whose stats or deletion vector come from a second
    // pass, and where their add is in `pending`.
    var extras: [(Int, Int)] = []
    for g in 0..<file.rowGroupCount {
      pending.removeAll(keepingCapacity: true)
      others.removeAll(keepingCapacity: true)
      extras.removeAll(keepingCapacity: true)
      let rows = Int(file.metadata.rowGroups[g].numRows)
      var row = 0
      do {
        var add = try direct[0]?.read(file, rowGroup: g)
        var remove = try direct[1]?.read(file, rowGroup: g)
        var txn = try direct[2]?.read(file, rowGroup: g)
        if !generic.isEmpty {
          // Only the rows without an add, remove or txn are assembled the generic way.
          var taken = [Bool](repeating: false, count: rows)
          for case let column? in [add, remove, txn] {
            let d = column.leaves[column.probe]!.definition
            for r in 0..<min(rows, d.count) where d[r] >= column.present { taken[r] = true }
          }
          let rest = (0..<rows).filter { !taken[$0] }
          try file.forEachRow(
            rowGroup: g, rows: rest, columns: actionColumns, excluding: excluded
          ) { r, values in
            row = r
            if let action = try readers.action(values) { others.append((r, action)) }
          }
        }
        var next = 0
        if buffered { pending.reserveCapacity(rows) }
        for r in 0..<rows {
          row = r
          let a = try add?.add(r, &cache)
          let rm = try remove?.remove(r, &cache)
          let t = try txn?.txn(r)
          var other: DeltaAction?
          if next < others.count, others[next].row == r {
            other = others[next].action
            next += 1
          }
          if let a {
            if hasDeletionVector || (a.stats == nil && hasStatsParsed) {
              extras.append((r, pending.count))
            }
            try emit(.add(a))
          } else if let rm {
            try emit(.remove(rm))
          } else if let t {
            try emit(.txn(t))
          } else if let other {
            if case .add(let x) = other, x.stats == nil, hasStatsParsed {
              extras.append((r, pending.count))
            }
            try emit(other)
          }
        }
        if !extras.isEmpty, case .record(let addFields)? = addType {
          try fillExtras(file, g, addFields, extras, &pending)
        }
      } catch let e as ParquetError {
        throw failure(path, e)
      } catch let e as LakeFailure {
        throw DeltaLogError(table: path, reason: "row group \(g) row \(row): \(e)")
      } catch let e as FromBody {
        throw e.error
      }
      for a in pending { try body(a) }
    }
  }

  /// What `body` threw, passed through unchanged.
  struct FromBody: Error {
    let error: Error
  }

  /// Fills in, for the adds at `wanted` (row in the row group, index in `pending`), the stats
  /// from `stats_parsed` when their `stats` is null, and their deletion vector: one more pass
  /// over the `add` column with only those two fields.
  static func fillExtras(
    _ file: ParquetNestedFile, _ g: Int, _ addFields: [NestedField], _ wanted: [(Int, Int)],
    _ pending: inout [DeltaAction]
  ) throws {
    let s = addFields.firstIndex { $0.name == "stats_parsed" }
    let dv = addFields.firstIndex { $0.name == "deletionVector" }
    var iterator = wanted.makeIterator()
    var next = iterator.next()
    var r = 0
    try file.forEachRow(
      rowGroup: g, columns: ["add"],
      excluding: addFields.filter { $0.name != "stats_parsed" && $0.name != "deletionVector" }
        .map { ["add", $0.name] }
    ) { values in
      defer { r += 1 }
      guard let (wantRow, at) = next, wantRow == r else { return }
      next = iterator.next()
      guard case .add(var a) = pending[at] else { return }
      if a.stats == nil, let s {
        a.stats = statsJSON(values[0][s], addFields[s].type)
      }
      if let dv, case let x = values[0][dv], !x.isNull {
        var out: [UInt8] = []
        x.appendJSON(addFields[dv].type, to: &out)
        a.deletionVector = String(decoding: out, as: UTF8.self)
      }
      pending[at] = .add(a)
    }
  }

  static func failure(_ path: String, _ e: ParquetError) -> DeltaLogError {
    var e = e
    if e.file == path { e.file = nil }
    return DeltaLogError(table: path, reason: "\(e)", category: e.category)
  }

  /// The stats JSON text of a `stats_parsed` value (null members left out); nil when null.
  static func statsJSON(_ v: NestedValue, _ type: NestedType) -> String? {
    guard !v.isNull else { return nil }
    var j = JSONBuilder()
    func write(_ v: NestedValue, _ t: NestedType) {
      if case .record(let fields) = t, case .record(let values) = v {
        j.beginObject()
        for (f, x) in zip(fields, values) where !x.isNull {
          j.key(f.name)
          write(x, f.type)
        }
        j.endObject()
      } else {
        var out: [UInt8] = []
        v.appendJSON(t, to: &out)
        j.raw(out)
      }
    }
    write(v, type)
    return j.text
  }

  /// Field positions of one action column, by name.
  struct Columns {
    let index: [String: Int]
    let types: [String: NestedType]

    init(_ field: NestedField?) {
      var index: [String: Int] = [:]
      var types: [String: NestedType] = [:]
      if case .record(let fields)? = field?.type {
        for (i, f) in fields.enumerated() where index[f.name] == nil {
          index[f.name] = i
          types[f.name] = f.type
        }
      }
      self.index = index
      self.types = types
    }

    func has(_ name: String) -> Bool { index[name] != nil }

    func value(_ v: NestedValue, _ name: String) -> NestedValue {
      guard let i = index[name] else { return .null }
      return v[i]
    }

    func string(_ v: NestedValue, _ name: String) throws -> String? {
      switch value(v, name) {
      case .null: return nil
      case .bytes(let b): return String(decoding: b, as: UTF8.self)
      default: throw LakeFailure(.data, "'\(name)' is not a string")
      }
    }

    func int(_ v: NestedValue, _ name: String) throws -> Int64? {
      switch value(v, name) {
      case .null: return nil
      case .int(let x): return x
      default: throw LakeFailure(.data, "'\(name)' is not an integer")
      }
    }

    func bool(_ v: NestedValue, _ name: String) throws -> Bool? {
      switch value(v, name) {
      case .null: return nil
      case .boolean(let x): return x
      default: throw LakeFailure(.data, "'\(name)' is not a boolean")
      }
    }

    func stringMap(_ v: NestedValue, _ name: String) throws -> [String: String?]? {
      switch value(v, name) {
      case .null: return nil
      case .map(let entries):
        var out: [String: String?] = [:]
        for e in entries {
          guard case .bytes(let k) = e.key else {
            throw LakeFailure(.data, "'\(name)' has a key that is not a string")
          }
          switch e.value {
          case .null: out[String(decoding: k, as: UTF8.self)] = .some(nil)
          case .bytes(let b):
            out[String(decoding: k, as: UTF8.self)] = String(decoding: b, as: UTF8.self)
          default: throw LakeFailure(.data, "'\(name)' has a value that is not a string")
          }
        }
        return out
      default: throw LakeFailure(.data, "'\(name)' is not a map")
      }
    }

    func stringList(_ v: NestedValue, _ name: String) throws -> [String]? {
      switch value(v, name) {
      case .null: return nil
      case .list(let items):
        return try items.map {
          guard case .bytes(let b) = $0 else {
            throw LakeFailure(.data, "'\(name)' holds a value that is not a string")
          }
          return String(decoding: b, as: UTF8.self)
        }
      default: throw LakeFailure(.data, "'\(name)' is not a list")
      }
    }

    func required<T>(_ v: T?, _ action: String, _ name: String) throws -> T {
      guard let v else { throw LakeFailure(.data, "\(action) without '\(name)'") }
      return v
    }
  }

  /// The action readers of a file's columns (in `actionColumns` order).
  struct Readers {
    let txn, add, remove, metaData, `protocol`, sidecar: Columns
    let format: Columns
    let deletionVectorType: NestedType?

    init(_ byName: [String: NestedField]) {
      txn = Columns(byName["txn"])
      add = Columns(byName["add"])
      remove = Columns(byName["remove"])
      metaData = Columns(byName["metaData"])
      `protocol` = Columns(byName["protocol"])
      sidecar = Columns(byName["sidecar"])
      format = Columns(metaData.types["format"].map { NestedField("format", $0) })
      deletionVectorType = add.types["deletionVector"]
    }

    /// The action of one row (nil when every action column is null).
    func action(_ row: [NestedValue]) throws -> DeltaAction? {
      if !row[1].isNull {
        let v = row[1]
        var dv: String?
        if let t = deletionVectorType, case let x = add.value(v, "deletionVector"), !x.isNull {
          var out: [UInt8] = []
          x.appendJSON(t, to: &out)
          dv = String(decoding: out, as: UTF8.self)
        }
        return .add(
          DeltaAdd(
            path: try add.required(add.string(v, "path"), "add", "path"),
            partitionValues: try add.stringMap(v, "partitionValues") ?? [:],
            size: try add.required(add.int(v, "size"), "add", "size"),
            modificationTime: try add.int(v, "modificationTime") ?? 0,
            dataChange: try add.bool(v, "dataChange") ?? false,
            stats: try add.string(v, "stats"), deletionVector: dv))
      }
      if !row[2].isNull {
        let v = row[2]
        return .remove(
          DeltaRemove(
            path: try remove.required(remove.string(v, "path"), "remove", "path"),
            deletionTimestamp: try remove.int(v, "deletionTimestamp"),
            dataChange: try remove.bool(v, "dataChange") ?? false,
            partitionValues: try remove.stringMap(v, "partitionValues"),
            size: try remove.int(v, "size")))
      }
      if !row[0].isNull {
        let v = row[0]
        return .txn(
          DeltaTxn(
            appId: try txn.required(txn.string(v, "appId"), "txn", "appId"),
            version: try txn.required(txn.int(v, "version"), "txn", "version"),
            lastUpdated: try txn.int(v, "lastUpdated")))
      }
      if !row[3].isNull {
        let v = row[3]
        let m = metaData
        var out = DeltaMetadata(
          id: try m.required(m.string(v, "id"), "metaData", "id"),
          schemaString: try m.string(v, "schemaString") ?? "",
          partitionColumns: try m.stringList(v, "partitionColumns") ?? [],
          createdTime: try m.int(v, "createdTime"))
        out.name = try m.string(v, "name")
        out.description = try m.string(v, "description")
        let f = m.value(v, "format")
        if !f.isNull { out.provider = try format.string(f, "provider") ?? "parquet" }
        out.configuration = (try m.stringMap(v, "configuration") ?? [:]).compactMapValues { $0 }
        return .metaData(out)
      }
      if !row[4].isNull {
        let v = row[4]
        let p = self.protocol
        var out = DeltaProtocol(
          minReaderVersion: Int(
            try p.required(p.int(v, "minReaderVersion"), "protocol", "minReaderVersion")),
          minWriterVersion: Int(
            try p.required(p.int(v, "minWriterVersion"), "protocol", "minWriterVersion")))
        out.readerFeatures = try p.stringList(v, "readerFeatures")
        out.writerFeatures = try p.stringList(v, "writerFeatures")
        return .protocol(out)
      }
      if !row[5].isNull {
        let v = row[5]
        return .sidecar(
          DeltaSidecar(
            path: try sidecar.required(sidecar.string(v, "path"), "sidecar", "path"),
            sizeInBytes: try sidecar.int(v, "sizeInBytes"),
            modificationTime: try sidecar.int(v, "modificationTime")))
      }
      if !row[6].isNull { return .other("checkpointMetadata") }
      if !row[7].isNull { return .other("domainMetadata") }
      return nil
    }
  }
}
