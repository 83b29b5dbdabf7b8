// LakeStages/Pack/PackManifest.swift
//
// The manifest of an lh archive (issue 8): the archive's last entry, `lh-archive.ndjson`, one
// flat JSON object per line so that `tar -xOf A lh-archive.ndjson | jq` and our byte scanner
// both read it:
//
//   {"lh_archive":1,"lh_version":"0.1.0","before":"2026-01-05","tables":1,"files":5,"bytes":…}
//   {"table":"bronze/events","table_id":"…","kind":"partitions","version":7,"from_version":7,
//    "partition_column":"ingest_date","partitions":2,"data_files":3,"rows":…}
//   {"file":"bronze/events/ingest_date=2026-01-01/part-….zstd.parquet","size":…,"sha256":"…"}
//
// Nothing in it depends on the clock, so the same lake and flags give the same bytes.

import LakeFormats
import LakeIO

/// What an archive holds: its tables and every file with its size and SHA-256.
public struct PackManifest: Sendable, Equatable {
  /// The manifest's path inside the archive.
  public static let entryName = "lh-archive.ndjson"

  /// One archived table.
  public struct Table: Sendable, Equatable {
    /// Path relative to the lake (`bronze/events`).
    public var name: String
    /// The Delta table's metaData id.
    public var tableID: String
    /// `table` (the whole log, versions `fromVersion…version`) or `partitions` (a one-version
    /// log of the partitions older than `before`, as of `version`).
    public var kind: String
    /// The table version archived.
    public var version: Int64
    /// The oldest version readable from the archive (whole tables; else `version`).
    public var fromVersion: Int64
    /// The date partition column (`partitions` archives).
    public var partitionColumn: String?
    public var partitions: Int
    public var dataFiles: Int
    public var rows: Int64

    public init(
      name: String, tableID: String, kind: String, version: Int64, fromVersion: Int64,
      partitionColumn: String?, partitions: Int, dataFiles: Int, rows: Int64
    ) {
      self.name = name
      self.tableID = tableID
      self.kind = kind
      self.version = version
      self.fromVersion = fromVersion
      self.partitionColumn = partitionColumn
      self.partitions = partitions
      self.dataFiles = dataFiles
      self.rows = rows
    }
  }

  /// One archived file.
  public struct File: Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var sha256: String

    public init(path: String, size: Int64, sha256: String) {
      self.path = path
      self.size = size
      self.sha256 = sha256
    }
  }

  public var lhVersion: String
  /// `--before` (YYYY-MM-DD), if given.
  public var before: String?
  public var tables: [Table]
  public var files: [File]

  public init(lhVersion: String, before: String?, tables: [Table], files: [File]) {
    self.lhVersion = lhVersion
    self.before = before
    self.tables = tables
    self.files = files
  }

  /// The manifest's bytes.
  public func encode() -> [UInt8] {
    var out: [UInt8] = []
    var j = JSONBuilder()
    j.beginObject()
    j.key("lh_archive")
    j.int(1)
    j.key("lh_version")
    j.string(lhVersion)
    j.key("before")
    if let before { j.string(before) } else { j.null() }
    j.key("tables")
    j.int(Int64(tables.count))
    j.key("files")
    j.int(Int64(files.count))
    j.key("bytes")
    j.int(files.reduce(0) { $0 + $1.size })
    j.endObject()
    out += j.bytes + [0x0A]
    for t in tables {
      var j = JSONBuilder()
      j.beginObject()
      j.key("table")
      j.string(t.name)
      j.key("table_id")
      j.string(t.tableID)
      j.key("kind")
      j.string(t.kind)
      j.key("version")
      j.int(t.version)
      j.key("from_version")
      j.int(t.fromVersion)
      j.key("partition_column")
      if let c = t.partitionColumn { j.string(c) } else { j.null() }
      j.key("partitions")
      j.int(Int64(t.partitions))
      j.key("data_files")
      j.int(Int64(t.dataFiles))
      j.key("rows")
      j.int(t.rows)
      j.endObject()
      out += j.bytes + [0x0A]
    }
    for f in files {
      var j = JSONBuilder()
      j.beginObject()
      j.key("file")
      j.string(f.path)
      j.key("size")
      j.int(f.size)
      j.key("sha256")
      j.string(f.sha256)
      j.endObject()
      out += j.bytes + [0x0A]
    }
    return out
  }

  /// Reads a manifest; `archive` names the archive in errors.
  ///
  /// - Throws: `LakeFailure(.data)` naming the archive and line.
  public static func decode(_ bytes: [UInt8], archive: String) throws -> PackManifest {
    var manifest = PackManifest(lhVersion: "", before: nil, tables: [], files: [])
    var scanner = NDJSONScanner(maxDepth: 1)
    var fields: [JSONField] = []
    var sawHeader = false
    var lineNumber = 0
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
      lineNumber += 1
      let text = Array(line)
      func fail(_ why: String) -> LakeFailure {
        LakeFailure(.data, "\(archive): \(entryName):\(lineNumber): \(why)")
      }
      var values: [String: String] = [:]
      var ints: [String: Int64] = [:]
      do {
        try text.withUnsafeBytes { raw in
          try scanner.scan(raw, into: &fields)
          for f in fields {
            var key: [UInt8] = []
            try JSONValue.unescape(f.keyBytes(in: raw), into: &key)
            let k = String(decoding: key, as: UTF8.self)
            switch f.kind {
            case .string:
              var v: [UInt8] = []
              try JSONValue.unescape(f.valueBytes(in: raw), into: &v)
              values[k] = String(decoding: v, as: UTF8.self)
            case .number:
              if let v = JSONValue.int64(f.valueBytes(in: raw)) { ints[k] = v }
            default: break
            }
          }
        }
      } catch {
        throw fail("not a JSON object")
      }
      if let path = values["file"] {
        guard let size = ints["size"], size >= 0, let sha = values["sha256"], sha.utf8.count == 64
        else { throw fail("a file line needs size and sha256") }
        manifest.files.append(File(path: path, size: size, sha256: sha))
      } else if let name = values["table"] {
        guard let version = ints["version"], let kind = values["kind"] else {
          throw fail("a table line needs kind and version")
        }
        manifest.tables.append(
          Table(
            name: name, tableID: values["table_id"] ?? "", kind: kind, version: version,
            fromVersion: ints["from_version"] ?? version,
            partitionColumn: values["partition_column"],
            partitions: Int(ints["partitions"] ?? 0), dataFiles: Int(ints["data_files"] ?? 0),
            rows: ints["rows"] ?? 0))
      } else if let format = ints["lh_archive"] {
        guard format == 1 else { throw fail("archive format \(format) is newer than this lh-pack") }
        manifest.lhVersion = values["lh_version"] ?? ""
        manifest.before = values["before"]
        sawHeader = true
      } else {
        throw fail("unknown line")
      }
    }
    guard sawHeader else {
      throw LakeFailure(.data, "\(archive): \(entryName): no header line")
    }
    return manifest
  }
}
