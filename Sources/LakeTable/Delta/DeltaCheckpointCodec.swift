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

  static func text(_ s: String?) -> NestedValue { s.map { .string($0) } ?? .null }
  static func int(_ v: Int64?) -> NestedValue { v.map { .int($0) } ?? .null }

  static func map(_ m: [String: String?]) -> NestedValue {
    .map(
      m.keys.sorted().map { k in
        NestedEntry(key: .string(k), value: (m[k] ?? nil).map { .string($0) } ?? .null)
      })
  }

  /// The bytes of a classic checkpoint Parquet file holding `actions` (protocol, metaData, txn,
  /// add, remove), one action per row.
  public static func encode(_ actions: [DeltaAction], options: ParquetWriteOptions = .init())
    throws -> [UInt8]
  {
    let features = actions.contains {
      if case .protocol(let p) = $0 {
        p.readerFeatures != nil || p.writerFeatures != nil
      } else {
        false
      }
    }
    let fields = fields(features: features)
    var rows: [[NestedValue]] = []
    rows.reserveCapacity(actions.count)
    for action in actions {
      var row = [NestedValue](repeating: .null, count: 5)
      switch action {
      case .txn(let t):
        row[0] = .record([.string(t.appId), .int(t.version), int(t.lastUpdated)])
      case .add(let a):
        row[1] = .record([
          .string(a.path), map(a.partitionValues), .int(a.size), .int(a.modificationTime),
          .boolean(a.dataChange), text(a.stats), .null,
        ])
      case .remove(let r):
        row[2] = .record([
          .string(r.path), int(r.deletionTimestamp), .boolean(r.dataChange),
          .boolean(r.partitionValues != nil && r.size != nil),
          r.partitionValues.map(map) ?? .null, int(r.size),
        ])
      case .metaData(let m):
        row[3] = .record([
          .string(m.id), text(m.name), text(m.description),
          .record([.string(m.provider), .map([])]), .string(m.schemaString),
          .list(m.partitionColumns.map { .string($0) }),
          map(m.configuration.mapValues { Optional($0) }), int(m.createdTime),
        ])
      case .protocol(let p):
        var values: [NestedValue] = [
          .int(Int64(p.minReaderVersion)), .int(Int64(p.minWriterVersion)),
        ]
        if features {
          values.append(p.readerFeatures.map { .list($0.map { .string($0) }) } ?? .null)
          values.append(p.writerFeatures.map { .list($0.map { .string($0) }) } ?? .null)
        }
        row[4] = .record(values)
      case .commitInfo, .sidecar, .other:
        continue
      }
      rows.append(row)
    }
    return try ParquetNestedWriter.encode(fields: fields, rows: rows, options: options)
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
    let readers = Readers(byName)
    let addType = byName["add"]?.type
    let hasStatsParsed = readers.add.has("stats_parsed")
    var excluded: [[String]] = [
      ["add", "partitionValues_parsed"], ["remove", "partitionValues_parsed"],
    ]
    if hasStatsParsed { excluded.append(["add", "stats_parsed"]) }
    var pending: [DeltaAction] = []
    // Rows (within the row group) of adds without stats, for stats_parsed.
    var missingStats: [(Int, Int)] = []
    for g in 0..<file.rowGroupCount {
      pending.removeAll(keepingCapacity: true)
      missingStats.removeAll(keepingCapacity: true)
      var row = 0
      do {
        try file.forEachRow(rowGroup: g, columns: actionColumns, excluding: excluded) { values in
          defer { row += 1 }
          guard let action = try readers.action(values) else { return }
          if case .add(let a) = action, a.stats == nil, hasStatsParsed {
            missingStats.append((row, pending.count))
          }
          pending.append(action)
        }
        if !missingStats.isEmpty, case .record(let addFields)? = addType,
          let k = addFields.firstIndex(where: { $0.name == "stats_parsed" })
        {
          var wanted = missingStats.makeIterator()
          var next = wanted.next()
          var r = 0
          try file.forEachRow(
            rowGroup: g, columns: ["add"],
            excluding: addFields.filter { $0.name != "stats_parsed" }.map { ["add", $0.name] }
          ) { values in
            defer { r += 1 }
            guard let (wantRow, at) = next, wantRow == r else { return }
            next = wanted.next()
            if case .add(var a) = pending[at] {
              a.stats = statsJSON(values[0][k], addFields[k].type)
              pending[at] = .add(a)
            }
          }
        }
      } catch let e as ParquetError {
        throw failure(path, e)
      } catch let e as LakeFailure {
        throw DeltaLogError(table: path, reason: "row group \(g) row \(row): \(e)")
      }
      for a in pending { try body(a) }
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
