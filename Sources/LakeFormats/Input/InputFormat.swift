// LakeFormats/Input/InputFormat.swift
//
// Input sniffing (design.md, Formats): the first bytes decide how an input is read.
//
//   "PAR1"          Parquet
//   28 B5 2F FD     zstd-compressed NDJSON
//   1F 8B           gzip-compressed NDJSON
//   anything else   NDJSON

/// How an input's bytes are to be read.
public enum InputFormat: Equatable, Sendable, CustomStringConvertible {
  case parquet
  case ndjson(compression: InputCompression)

  /// The format of an input starting with `prefix` (its first 4 bytes, or fewer if shorter).
  public static func sniff(_ prefix: [UInt8]) -> InputFormat {
    if prefix.starts(with: [0x50, 0x41, 0x52, 0x31]) { return .parquet }
    if prefix.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .ndjson(compression: .zstd) }
    if prefix.starts(with: [0x1F, 0x8B]) { return .ndjson(compression: .gzip) }
    return .ndjson(compression: .none)
  }

  public var description: String {
    switch self {
    case .parquet: "Parquet"
    case .ndjson(.none): "NDJSON"
    case .ndjson(.zstd): "zstd-compressed NDJSON"
    case .ndjson(.gzip): "gzip-compressed NDJSON"
    }
  }
}

/// Compression of an NDJSON input.
public enum InputCompression: Sendable {
  case none, zstd, gzip
}
