// LakeTable/Delta/DeltaLogCodec.swift
//
// Commit files to and from actions. Writing: one compact JSON object per line, keys in the
// protocol's order, `stats` as a JSON-encoded string (an object there breaks delta-rs; formats.md
// §9). Reading: one action per non-blank line; unknown actions and fields are ignored, `null`
// values are absent (delta-rs writes "tags":null and the like); a malformed line is an error
// naming the version and line.

import LakeFormats
import LakeIO

/// A log file that does not decode.
public struct DeltaLogError: LakeError, Equatable {
  public var table: String
  public var version: Int64?
  public var line: Int?
  public var reason: String
  public var category: ErrorCategory

  public init(
    table: String, version: Int64? = nil, line: Int? = nil, reason: String,
    category: ErrorCategory = .data
  ) {
    self.table = table
    self.version = version
    self.line = line
    self.reason = reason
    self.category = category
  }

  public var description: String {
    var location = table
    if let version { location += "/_delta_log/" + DeltaLog.fileName(version) }
    if let line { location += ":\(line)" }
    return "\(location): \(reason)"
  }
}

/// Encoding and decoding of commit files.
public enum DeltaLogCodec {
  /// The bytes of a commit file holding `actions` in order.
  public static func encode(_ actions: [DeltaAction]) -> [UInt8] {
    var out: [UInt8] = []
    for action in actions {
      var j = JSONBuilder()
      j.beginObject()
      switch action {
      case .commitInfo(let c):
        j.key("commitInfo")
        j.beginObject()
        j.key("timestamp")
        j.int(c.timestamp)
        j.key("operation")
        j.string(c.operation)
        j.key("operationParameters")
        stringMap(&j, c.operationParameters.mapValues { Optional($0) })
        if let e = c.engineInfo {
          j.key("engineInfo")
          j.string(e)
        }
        for (k, v) in c.extra {
          j.key(k)
          j.raw(Array(v.utf8))
        }
        j.endObject()
      case .protocol(let p):
        j.key("protocol")
        j.beginObject()
        j.key("minReaderVersion")
        j.int(Int64(p.minReaderVersion))
        j.key("minWriterVersion")
        j.int(Int64(p.minWriterVersion))
        j.endObject()
      case .metaData(let m):
        j.key("metaData")
        j.beginObject()
        j.key("id")
        j.string(m.id)
        if let n = m.name {
          j.key("name")
          j.string(n)
        }
        if let d = m.description {
          j.key("description")
          j.string(d)
        }
        j.key("format")
        j.beginObject()
        j.key("provider")
        j.string(m.provider)
        j.key("options")
        j.beginObject()
        j.endObject()
        j.endObject()
        j.key("schemaString")
        j.string(m.schemaString)
        j.key("partitionColumns")
        j.beginArray()
        for c in m.partitionColumns { j.string(c) }
        j.endArray()
        if let t = m.createdTime {
          j.key("createdTime")
          j.int(t)
        }
        j.key("configuration")
        stringMap(&j, m.configuration.mapValues { Optional($0) })
        j.endObject()
      case .add(let a):
        j.key("add")
        j.beginObject()
        j.key("path")
        j.string(a.path)
        j.key("partitionValues")
        stringMap(&j, a.partitionValues)
        j.key("size")
        j.int(a.size)
        j.key("modificationTime")
        j.int(a.modificationTime)
        j.key("dataChange")
        j.bool(a.dataChange)
        if let s = a.stats {
          j.key("stats")
          j.string(s)
        }
        j.endObject()
      case .remove(let r):
        j.key("remove")
        j.beginObject()
        j.key("path")
        j.string(r.path)
        if let t = r.deletionTimestamp {
          j.key("deletionTimestamp")
          j.int(t)
        }
        j.key("dataChange")
        j.bool(r.dataChange)
        j.key("extendedFileMetadata")
        j.bool(r.partitionValues != nil && r.size != nil)
        if let pv = r.partitionValues {
          j.key("partitionValues")
          stringMap(&j, pv)
        }
        if let s = r.size {
          j.key("size")
          j.int(s)
        }
        j.endObject()
      case .txn(let t):
        j.key("txn")
        j.beginObject()
        j.key("appId")
        j.string(t.appId)
        j.key("version")
        j.int(t.version)
        if let l = t.lastUpdated {
          j.key("lastUpdated")
          j.int(l)
        }
        j.endObject()
      case .other:
        continue
      }
      j.endObject()
      out += j.bytes
      out.append(0x0A)
    }
    return out
  }

  static func stringMap(_ j: inout JSONBuilder, _ map: [String: String?]) {
    j.beginObject()
    for k in map.keys.sorted() {
      j.key(k)
      if let v = map[k] ?? nil { j.string(v) } else { j.null() }
    }
    j.endObject()
  }

  /// Decodes a commit file of `version`.
  public static func decode(_ bytes: [UInt8], table: String, version: Int64) throws -> [DeltaAction]
  {
    var actions: [DeltaAction] = []
    var lineNumber = 0
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
      lineNumber += 1
      var l = line
      if l.last == 0x0D { l = l.dropLast() }
      if l.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
      do {
        let outer = try JSONObjectView(Array(l))
        guard outer.fields.count == 1, let key = outer.keys.first else {
          throw LakeFailure(.data, "an action line must hold exactly one key")
        }
        guard let body = try outer.object(key) else {
          actions.append(.other(key))
          continue
        }
        actions.append(try decodeAction(key, body))
      } catch let e as LakeError {
        throw DeltaLogError(table: table, version: version, line: lineNumber, reason: "\(e)")
      }
    }
    return actions
  }

  static func decodeAction(_ key: String, _ o: JSONObjectView) throws -> DeltaAction {
    func required<T>(_ v: T?, _ name: String) throws -> T {
      guard let v else { throw LakeFailure(.data, "\(key) without '\(name)'") }
      return v
    }
    switch key {
    case "commitInfo":
      var c = DeltaCommitInfo(
        timestamp: try o.int("timestamp") ?? 0, operation: try o.string("operation") ?? "",
        operationParameters: [:], engineInfo: try? o.string("engineInfo"))
      if let params = try? o.object("operationParameters") {
        for (k, f) in zip(params.keys, params.fields) {
          c.operationParameters[k] =
            f.kind == .string
            ? try JSONObjectView.decodeString(params.value(f))
            : String(decoding: params.value(f), as: UTF8.self)
        }
      }
      for k in o.keys
      where !["timestamp", "operation", "operationParameters", "engineInfo"].contains(k) {
        if let raw = o.rawValue(k) { c.extra.append((k, String(decoding: raw, as: UTF8.self))) }
      }
      return .commitInfo(c)
    case "protocol":
      var p = DeltaProtocol(
        minReaderVersion: Int(try required(o.int("minReaderVersion"), "minReaderVersion")),
        minWriterVersion: Int(try required(o.int("minWriterVersion"), "minWriterVersion")))
      p.readerFeatures = try o.array("readerFeatures")?.map {
        try JSONObjectView.decodeString(Array($0.dropFirst().dropLast()))
      }
      p.writerFeatures = try o.array("writerFeatures")?.map {
        try JSONObjectView.decodeString(Array($0.dropFirst().dropLast()))
      }
      return .protocol(p)
    case "metaData":
      let columns = try required(o.array("partitionColumns"), "partitionColumns").map {
        try JSONObjectView.decodeString(Array($0.dropFirst().dropLast()))
      }
      var m = DeltaMetadata(
        id: try required(o.string("id"), "id"),
        schemaString: try required(o.string("schemaString"), "schemaString"),
        partitionColumns: columns, createdTime: try o.int("createdTime"))
      m.name = try o.string("name")
      m.description = try o.string("description")
      if let format = try o.object("format") {
        m.provider = try format.string("provider") ?? "parquet"
      }
      if let conf = try o.stringMap("configuration") {
        m.configuration = conf.compactMapValues { $0 }
      }
      return .metaData(m)
    case "add":
      return .add(
        DeltaAdd(
          path: try required(o.string("path"), "path"),
          partitionValues: try o.stringMap("partitionValues") ?? [:],
          size: try required(o.int("size"), "size"),
          modificationTime: try o.int("modificationTime") ?? 0,
          dataChange: try o.bool("dataChange") ?? true,
          stats: try o.string("stats")))
    case "remove":
      return .remove(
        DeltaRemove(
          path: try required(o.string("path"), "path"),
          deletionTimestamp: try o.int("deletionTimestamp"),
          dataChange: try o.bool("dataChange") ?? true,
          partitionValues: try o.stringMap("partitionValues"),
          size: try o.int("size")))
    case "txn":
      return .txn(
        DeltaTxn(
          appId: try required(o.string("appId"), "appId"),
          version: try required(o.int("version"), "version"),
          lastUpdated: try o.int("lastUpdated")))
    default:
      return .other(key)
    }
  }
}
