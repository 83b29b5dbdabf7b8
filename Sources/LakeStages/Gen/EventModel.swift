// LakeStages/Gen/EventModel.swift
//
// An event model writes one synthetic event of its dataset as one NDJSON line. The generator
// drives the model with event times, applies faults and pacing, and owns the output.

import LakeFormats

/// The JSON shape of a field, which decides how a malformed line breaks it.
public enum FieldKind: Sendable {
  case string
  /// A string from a closed set; `--malformed` may replace it with an unknown value.
  case enumeration
  case number
  case timestamp
}

/// One output field of a dataset, in output order.
public struct FieldSpec: Sendable {
  public var name: String
  public var kind: FieldKind
  /// Present and non-null in every valid event.
  public var required: Bool

  public init(_ name: String, _ kind: FieldKind, required: Bool) {
    self.name = name
    self.kind = kind
    self.required = required
  }
}

/// A dataset's event generator.
public protocol EventModel {
  /// The fields every line carries, in output order.
  static var fields: [FieldSpec] { get }
  /// An upper bound on the length of one line, newline included.
  static var maxLineLength: Int { get }
  /// Writes one event happening at `micros` (its `ts`), newline included.
  mutating func writeEvent(at micros: Int64, into w: inout JSONWriter)
}
