// LakeTable/Delta/DeltaCheckpointCodec.swift
//
// Checkpoint Parquet files to and from actions (PROTOCOL.md "Checkpoints", "Checkpoint Schema").

import LakeFormats

/// Encoding and decoding of checkpoint Parquet files.
public enum DeltaCheckpointCodec {
  /// The bytes of a classic checkpoint Parquet file holding `actions` (protocol, metaData, txn,
  /// add, remove), one action per row.
  public static func encode(_ actions: [DeltaAction], options: ParquetWriteOptions = .init())
    throws -> [UInt8]
  {
    throw ParquetError.unsupported("checkpoint writing not yet implemented")
  }

  /// Calls `body` with each action of a checkpoint Parquet file: a classic single-file
  /// checkpoint, one part of a multi-part one, a V2 checkpoint's Parquet top-level file, or a
  /// sidecar file.
  public static func forEachAction(
    file path: String, table: String, _ body: (DeltaAction) throws -> Void
  ) throws {
    throw ParquetError.unsupported("checkpoint reading not yet implemented")
  }
}
