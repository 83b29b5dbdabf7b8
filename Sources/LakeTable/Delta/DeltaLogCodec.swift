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

/// What decoding remembers from line to line.
///
/// The partitionValues of add actions by their JSON text, so that the files of one partition
/// share one dictionary (less memory per live file, and no decoding of the same text again).
/// Holds at most `maxEntries` texts.
struct DeltaDecodeCache {
  static let maxEntries = 4096
  var partitionValues: [RawJSON: [String: String?]] = [:]

  /// JSON text, hashed as bytes.
  struct RawJSON: Hashable {
    let bytes: [UInt8]
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
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
      case .other, .sidecar:
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

  /// Decodes a commit file of `version` held in memory.
  ///
  /// Log replay streams commit files through ``decodeLine(_:table:version:line:)`` instead
  /// (`DeltaCommitReader`); this is for bytes already in memory (tests, fuzzing).
  public static func decode(_ bytes: [UInt8], table: String, version: Int64) throws -> [DeltaAction]
  {
    var actions: [DeltaAction] = []
    var lineNumber = 0
    var cache = DeltaDecodeCache()
    try bytes.withUnsafeBytes { all in
      var start = 0
      while start <= all.count {
        var end = start
        while end < all.count && all[end] != 0x0A { end += 1 }
        lineNumber += 1
        var lineEnd = end
        if lineEnd > start && all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: all[start..<lineEnd])
        if let action = try decodeLine(
          line, table: table, version: version, line: lineNumber, cache: &cache)
        {
          actions.append(action)
        }
        start = end + 1
      }
    }
    return actions
  }

  /// Decodes one line of commit `version` (without its newline); nil for a blank line.
  ///
  /// - Throws: `DeltaLogError` naming the table, version and line.
  public static func decodeLine(
    _ line: UnsafeRawBufferPointer, table: String, version: Int64, line lineNumber: Int
  ) throws -> DeltaAction? {
    var cache = DeltaDecodeCache()
    return try decodeLine(line, table: table, version: version, line: lineNumber, cache: &cache)
  }

  static func decodeLine(
    _ line: UnsafeRawBufferPointer, table: String, version: Int64, line lineNumber: Int,
    cache: inout DeltaDecodeCache
  ) throws -> DeltaAction? {
    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
    do {
      let outer = try JSONObjectView(Array(line))
      guard outer.fields.count == 1, let key = outer.keys.first else {
        throw LakeFailure(.data, "an action line must hold exactly one key")
      }
      guard let body = try outer.object(key) else { return .other(key) }
      return try decodeAction(key, body, cache: &cache)
    } catch let e as LakeError {
      throw DeltaLogError(table: table, version: version, line: lineNumber, reason: "\(e)")
    }
  }

  /// Whether `line` is a commitInfo action, judged by its first key only (not validated).
  static func isCommitInfo(_ line: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    func skipSpace() {
      while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
    }
    skipSpace()
    guard i < line.count, line[i] == 0x7B else { return false }
    i += 1
    skipSpace()
    let key: StaticString = "\"commitInfo\""
    guard line.count - i >= key.utf8CodeUnitCount else { return false }
    for k in 0..<key.utf8CodeUnitCount where line[i + k] != key.utf8Start[k] { return false }
    return true
  }

  static func decodeAction(_ key: String, _ o: JSONObjectView, cache: inout DeltaDecodeCache)
    throws -> DeltaAction
  {
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
          partitionValues: try partitionValues(o, cache: &cache),
          size: try required(o.int("size"), "size"),
          modificationTime: try o.int("modificationTime") ?? 0,
          dataChange: try o.bool("dataChange") ?? true,
          stats: try o.string("stats"),
          deletionVector: o.rawValue("deletionVector").flatMap {
            $0 == Array("null".utf8) ? nil : String(decoding: $0, as: UTF8.self)
          }))
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
    case "sidecar":
      return .sidecar(
        DeltaSidecar(
          path: try required(o.string("path"), "path"),
          sizeInBytes: try o.int("sizeInBytes"),
          modificationTime: try o.int("modificationTime")))
    default:
      return .other(key)
    }
  }

  /// The partitionValues of an add, from the cache when its text was seen before.
  static func partitionValues(_ o: JSONObjectView, cache: inout DeltaDecodeCache) throws
    -> [String: String?]
  {
    guard let f = o.field("partitionValues"), f.kind == .object else {
      return try o.stringMap("partitionValues") ?? [:]
    }
    let key = DeltaDecodeCache.RawJSON(bytes: o.value(f))
    if let hit = cache.partitionValues[key] { return hit }
    let values = try o.stringMap("partitionValues") ?? [:]
    if cache.partitionValues.count < DeltaDecodeCache.maxEntries {
      cache.partitionValues[key] = values
    }
    return values
  }
}
