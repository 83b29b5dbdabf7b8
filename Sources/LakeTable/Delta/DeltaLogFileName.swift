// LakeTable/Delta/DeltaLogFileName.swift
//
// The names of the files in `_delta_log/` (delta-io/delta PROTOCOL.md "Delta Log Entries",
// "Checkpoints", "Log Compaction Files", "Version Checksum File", "Last Checkpoint File"):
//
//   00000000000000000007.json                                         commit 7
//   00000000000000000010.checkpoint.parquet                           classic checkpoint
//   00000000000000000010.checkpoint.0000000001.0000000003.parquet     part 1 of 3
//   00000000000000000010.checkpoint.<uuid>.json | .parquet            V2 (UUID-named)
//   00000000000000000004.00000000000000000006.compacted.json          log compaction 4…6
//   00000000000000000007.crc                                          version checksum
//   _last_checkpoint
//
// Anything else (temporary files, `_commits/`, other tools' files) is not a log file: nil.

/// A file of `_delta_log/`, by its name.
public enum DeltaLogFile: Equatable, Sendable {
  case commit(Int64)
  case checkpoint(version: Int64)
  case checkpointPart(version: Int64, part: Int, parts: Int)
  case checkpointV2(version: Int64, uuid: String, json: Bool)
  case compacted(from: Int64, to: Int64)
  case checksum(Int64)
  case lastCheckpoint

  /// The file that `name` (no directory) names, or nil when it is no log file.
  public static func parse(_ name: String) -> DeltaLogFile? {
    let b = Array(name.utf8)
    if name == "_last_checkpoint" { return .lastCheckpoint }
    guard b.count > 21, b[20] == 0x2E, let version = digits(b[0..<20]) else { return nil }
    let rest = Array(b[21...])
    func tail(_ s: String) -> Bool { rest == Array(s.utf8) }
    if tail("json") { return .commit(version) }
    if tail("crc") { return .checksum(version) }
    if tail("checkpoint.parquet") { return .checkpoint(version: version) }
    // NNN.MMM.compacted.json
    if rest.count == 20 + 15, rest[20] == 0x2E, Array(rest[21...]) == Array("compacted.json".utf8),
      let to = digits(rest[0..<20]), to >= version
    {
      return .compacted(from: version, to: to)
    }
    let prefix = Array("checkpoint.".utf8)
    guard rest.count > prefix.count, Array(rest[0..<prefix.count]) == prefix else { return nil }
    let after = Array(rest[prefix.count...])
    // 0000000001.0000000003.parquet
    if after.count == 10 + 1 + 10 + 8, after[10] == 0x2E, after[21] == 0x2E,
      Array(after[22...]) == Array("parquet".utf8), let part = digits(after[0..<10]),
      let parts = digits(after[11..<21])
    {
      guard part >= 1, part <= parts else { return nil }
      return .checkpointPart(version: version, part: Int(part), parts: Int(parts))
    }
    // <uuid>.json | <uuid>.parquet
    for (ext, json) in [(".json", true), (".parquet", false)] {
      let e = Array(ext.utf8)
      guard after.count > e.count, Array(after[(after.count - e.count)...]) == e else { continue }
      let uuid = Array(after[0..<(after.count - e.count)])
      guard isUUID(uuid) else { return nil }
      return .checkpointV2(
        version: version, uuid: String(decoding: uuid, as: UTF8.self), json: json)
    }
    return nil
  }

  /// The table version the file belongs to (the last one for a compaction); nil for
  /// `_last_checkpoint`.
  public var version: Int64? {
    switch self {
    case .commit(let v), .checksum(let v): v
    case .checkpoint(let v), .checkpointPart(let v, _, _), .checkpointV2(let v, _, _): v
    case .compacted(_, let to): to
    case .lastCheckpoint: nil
    }
  }

  /// True for every kind of checkpoint file.
  public var isCheckpoint: Bool {
    switch self {
    case .checkpoint, .checkpointPart, .checkpointV2: true
    default: false
    }
  }

  /// The name of the classic single-file checkpoint of `version`.
  public static func checkpointName(_ version: Int64) -> String {
    padded(version, 20) + ".checkpoint.parquet"
  }

  /// The name of part `part` of `parts` of the multi-part checkpoint of `version`.
  public static func checkpointPartName(_ version: Int64, part: Int, parts: Int) -> String {
    padded(version, 20) + ".checkpoint." + padded(Int64(part), 10) + "."
      + padded(Int64(parts), 10) + ".parquet"
  }

  /// The file's name.
  public var name: String {
    switch self {
    case .commit(let v): Self.padded(v, 20) + ".json"
    case .checksum(let v): Self.padded(v, 20) + ".crc"
    case .checkpoint(let v): Self.checkpointName(v)
    case .checkpointPart(let v, let part, let parts):
      Self.checkpointPartName(v, part: part, parts: parts)
    case .checkpointV2(let v, let uuid, let json):
      Self.padded(v, 20) + ".checkpoint." + uuid + (json ? ".json" : ".parquet")
    case .compacted(let from, let to):
      Self.padded(from, 20) + "." + Self.padded(to, 20) + ".compacted.json"
    case .lastCheckpoint: "_last_checkpoint"
    }
  }

  static func padded(_ v: Int64, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }

  /// The value of a run of ASCII digits (nil when any byte is no digit or it overflows).
  static func digits(_ b: ArraySlice<UInt8>) -> Int64? {
    guard !b.isEmpty else { return nil }
    var v: Int64 = 0
    for c in b {
      guard c >= 0x30, c <= 0x39 else { return nil }
      let (m, o1) = v.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(Int64(c - 0x30))
      guard !o1, !o2 else { return nil }
      v = s
    }
    return v
  }

  /// True for a UUID's text form: 8-4-4-4-12 hex digits.
  static func isUUID(_ b: [UInt8]) -> Bool {
    guard b.count == 36 else { return false }
    for (i, c) in b.enumerated() {
      if i == 8 || i == 13 || i == 18 || i == 23 {
        guard c == 0x2D else { return false }
      } else {
        let hex = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
        guard hex else { return false }
      }
    }
    return true
  }
}
