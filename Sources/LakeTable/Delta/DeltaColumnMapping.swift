// LakeTable/Delta/DeltaColumnMapping.swift
//
// Column mapping (PROTOCOL.md "Column Mapping"): a table whose protocol supports it (reader
// version 2, or 3 with the `columnMapping` feature) and whose `delta.columnMapping.mode` is
// `name` or `id` stores each column under a physical name (field metadata
// `delta.columnMapping.physicalName`) in its data files, partitionValues and stats; in mode `id`
// data file columns are found by Parquet field_id (`delta.columnMapping.id`), by physical name
// when a file has no ids. Mode `none`, an absent mode, or a protocol without the feature: the
// logical names are the physical ones.

/// How a table's columns are named in its files and log.
public struct DeltaColumnMapping: Sendable, Equatable {
  public enum Mode: String, Sendable {
    case none, name, id
  }

  public var mode: Mode

  public init(mode: Mode) { self.mode = mode }

  /// The mapping of a table with protocol `p` and metadata `m`.
  ///
  /// - Throws: `DeltaLogError` for a mode other than none, name and id.
  public init(_ p: DeltaProtocol, _ m: DeltaMetadata, table: String) throws {
    let supported =
      p.minReaderVersion == 2
      || (p.minReaderVersion >= 3 && (p.readerFeatures ?? []).contains("columnMapping"))
    guard supported, let text = m.configuration["delta.columnMapping.mode"] else {
      self.mode = .none
      return
    }
    guard let mode = Mode(rawValue: text.lowercased()) else {
      throw DeltaLogError(
        table: table,
        reason: "unsupported delta.columnMapping.mode '\(text)' (lh reads none, name and id)")
    }
    self.mode = mode
  }

  /// The name `field` has in data files, partitionValues and stats.
  public func physicalName(_ field: DeltaField) -> String {
    mode == .none ? field.name : field.physicalName ?? field.name
  }

  /// The Parquet field_id to find `field` by (mode id only).
  public func fieldId(_ field: DeltaField) -> Int32? {
    guard mode == .id, let id = field.columnId else { return nil }
    return Int32(exactly: id)
  }
}
