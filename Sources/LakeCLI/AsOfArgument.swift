// LakeCLI/AsOfArgument.swift
//
// `--as-of VERSION|TIMESTAMP`: the version of a table a reading tool reads (time travel).

import ArgumentParser
import LakeFormats
import LakeTable

/// A table version (`12`) or a point in time (RFC 3339, or a date meaning midnight UTC): the
/// latest version committed at or before it.
public struct AsOfArgument: ExpressibleByArgument, Equatable, Sendable {
  public var travel: TimeTravel

  public init?(argument: String) {
    if let v = Int64(argument), v >= 0 {
      travel = .version(v)
    } else if let t = TimestampArgument(argument: argument) {
      travel = .timestamp(t.micros / 1000)
    } else {
      return nil
    }
  }
}
