// LakeTable/Delta/DeltaActions.swift
//
// The Delta Lake log actions lh reads and writes, named after the protocol (delta-io/delta
// PROTOCOL.md "Actions"; formats.md §9). A commit is one file `_delta_log/%020d.json` with one
// action per line, each line an object with one key.

/// `protocol`: the reader and writer versions a table needs.
public struct DeltaProtocol: Sendable, Equatable {
  public var minReaderVersion: Int
  public var minWriterVersion: Int
  public var readerFeatures: [String]?
  public var writerFeatures: [String]?

  public init(minReaderVersion: Int = 1, minWriterVersion: Int = 2) {
    self.minReaderVersion = minReaderVersion
    self.minWriterVersion = minWriterVersion
  }
}

/// `metaData`: the table's identity, schema and partitioning.
public struct DeltaMetadata: Sendable, Equatable {
  public var id: String
  public var name: String?
  public var description: String?
  public var provider = "parquet"
  public var schemaString: String
  public var partitionColumns: [String]
  public var configuration: [String: String] = [:]
  public var createdTime: Int64?

  public init(id: String, schemaString: String, partitionColumns: [String], createdTime: Int64?) {
    self.id = id
    self.schemaString = schemaString
    self.partitionColumns = partitionColumns
    self.createdTime = createdTime
  }
}

/// `add`: a data file joins the table.
public struct DeltaAdd: Sendable, Equatable {
  /// Relative to the table root, URI-encoded.
  public var path: String
  /// Every partition column, value as text (nil for null).
  public var partitionValues: [String: String?]
  public var size: Int64
  public var modificationTime: Int64
  public var dataChange: Bool
  /// JSON text: numRecords, minValues, maxValues, nullCount.
  public var stats: String?
  /// The raw JSON text of `add.deletionVector` (nil when absent); lh never writes one.
  public var deletionVector: String?

  public init(
    path: String, partitionValues: [String: String?], size: Int64, modificationTime: Int64,
    dataChange: Bool, stats: String?, deletionVector: String? = nil
  ) {
    self.path = path
    self.partitionValues = partitionValues
    self.size = size
    self.modificationTime = modificationTime
    self.dataChange = dataChange
    self.stats = stats
    self.deletionVector = deletionVector
  }
}

/// `remove`: a data file leaves the table (the file stays until vacuum).
public struct DeltaRemove: Sendable, Equatable {
  public var path: String
  public var deletionTimestamp: Int64?
  public var dataChange: Bool
  public var partitionValues: [String: String?]?
  public var size: Int64?

  public init(
    path: String, deletionTimestamp: Int64?, dataChange: Bool, partitionValues: [String: String?]?,
    size: Int64?
  ) {
    self.path = path
    self.deletionTimestamp = deletionTimestamp
    self.dataChange = dataChange
    self.partitionValues = partitionValues
    self.size = size
  }
}

/// `txn`: the progress of an exactly-once job (latest version per appId wins).
public struct DeltaTxn: Sendable, Equatable {
  public var appId: String
  public var version: Int64
  public var lastUpdated: Int64?

  public init(appId: String, version: Int64, lastUpdated: Int64?) {
    self.appId = appId
    self.version = version
    self.lastUpdated = lastUpdated
  }
}

/// `commitInfo`: free-form provenance; lh writes it first in every commit.
public struct DeltaCommitInfo: Sendable, Equatable {
  public var timestamp: Int64
  public var operation: String
  public var operationParameters: [String: String]
  public var engineInfo: String?
  /// More fields, as already-encoded JSON values (for example lh's reconciliation counts).
  public var extra: [(String, String)] = []

  public init(
    timestamp: Int64, operation: String, operationParameters: [String: String], engineInfo: String?
  ) {
    self.timestamp = timestamp
    self.operation = operation
    self.operationParameters = operationParameters
    self.engineInfo = engineInfo
  }

  public static func == (a: DeltaCommitInfo, b: DeltaCommitInfo) -> Bool {
    a.timestamp == b.timestamp && a.operation == b.operation
      && a.operationParameters == b.operationParameters && a.engineInfo == b.engineInfo
      && a.extra.map(\.0) == b.extra.map(\.0) && a.extra.map(\.1) == b.extra.map(\.1)
  }
}

/// `sidecar`: a file of add and remove actions a V2 checkpoint refers to
/// (`_delta_log/_sidecars/<path>`).
public struct DeltaSidecar: Sendable, Equatable {
  public var path: String
  public var sizeInBytes: Int64?
  public var modificationTime: Int64?

  public init(path: String, sizeInBytes: Int64?, modificationTime: Int64?) {
    self.path = path
    self.sizeInBytes = sizeInBytes
    self.modificationTime = modificationTime
  }
}

/// One action of a commit.
public enum DeltaAction: Sendable, Equatable {
  case commitInfo(DeltaCommitInfo)
  case `protocol`(DeltaProtocol)
  case metaData(DeltaMetadata)
  case add(DeltaAdd)
  case remove(DeltaRemove)
  case txn(DeltaTxn)
  /// A V2 checkpoint's reference to a sidecar file.
  case sidecar(DeltaSidecar)
  /// An action lh does not use (cdc, domainMetadata, checkpointMetadata, …), by key.
  case other(String)
}
