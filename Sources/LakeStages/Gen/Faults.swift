// LakeStages/Gen/Faults.swift
//
// Breaking a valid line on purpose (`--malformed`), so the rest of the pipeline can be exercised
// honestly. Works on the bytes of a line the model just wrote; this is the slow path (a fraction
// of lines), so it may allocate.
//
//   truncated     the line cut short at a random byte (still ends with "\n")
//   wrong_type    a number given as a string, or a string given as a number
//   missing_key   a required key left out
//   unknown_enum  a closed-set field with a value outside its set
//   invalid_utf8  a string value with bytes that are not UTF-8

/// The kinds of malformed line, in the order the summary reports them.
public enum MalformedKind: Int, CaseIterable, Sendable {
  case truncated, wrongType, missingKey, unknownEnum, invalidUTF8

  /// The name used in the summary and in tests.
  public var name: String {
    switch self {
    case .truncated: "truncated"
    case .wrongType: "wrong_type"
    case .missingKey: "missing_key"
    case .unknownEnum: "unknown_enum"
    case .invalidUTF8: "invalid_utf8"
    }
  }
}

/// The byte ranges of one top-level field in a line we wrote ourselves.
struct FieldRange {
  /// Offset of the opening quote of the key.
  var keyStart: Int
  /// Offset of the first byte of the value.
  var valueStart: Int
  /// Offset one past the value.
  var valueEnd: Int
}

enum Faults {
  /// Splits a compact one-object line that we wrote (no escapes, no nesting) into fields.
  static func fields(of line: [UInt8]) -> [FieldRange] {
    var out: [FieldRange] = []
    var i = 1  // after "{"
    while i < line.count, line[i] == 0x22 {
      let keyStart = i
      i += 1
      while i < line.count, line[i] != 0x22 { i += 1 }
      i += 2  // closing quote and colon
      let valueStart = i
      if i < line.count, line[i] == 0x22 {
        i += 1
        while i < line.count, line[i] != 0x22 { i += 1 }
        i += 1
      } else {
        while i < line.count, line[i] != 0x2C, line[i] != 0x7D { i += 1 }
      }
      out.append(FieldRange(keyStart: keyStart, valueStart: valueStart, valueEnd: i))
      i += 1  // comma or closing brace
    }
    return out
  }

  /// Returns `line` broken in the way `kind` says, using `specs` to choose a field.
  static func malform(
    _ line: [UInt8], kind: MalformedKind, specs: [FieldSpec], rng: inout Random
  ) -> [UInt8] {
    let ranges = fields(of: line)
    guard ranges.count == specs.count else { return truncate(line, rng: &rng) }
    func pick(_ ok: (FieldSpec, FieldRange) -> Bool) -> Int? {
      let candidates = specs.indices.filter { ok(specs[$0], ranges[$0]) }
      return candidates.isEmpty ? nil : candidates[rng.below(candidates.count)]
    }
    func isNull(_ r: FieldRange) -> Bool { line[r.valueStart] == 0x6E }
    switch kind {
    case .truncated:
      return truncate(line, rng: &rng)
    case .wrongType:
      guard let f = pick({ $1.valueStart < $1.valueEnd && !isNull($1) }) else {
        return truncate(line, rng: &rng)
      }
      let r = ranges[f]
      let value = Array(line[r.valueStart..<r.valueEnd])
      let replacement: [UInt8]
      if specs[f].kind == .number {
        replacement = [0x22] + value + [0x22]  // 42 → "42"
      } else {
        replacement = Array("\(1000 + rng.below(9000))".utf8)  // "web" → 4711
      }
      return Array(line[..<r.valueStart]) + replacement + Array(line[r.valueEnd...])
    case .missingKey:
      guard let f = pick({ s, _ in s.required }) else { return truncate(line, rng: &rng) }
      let r = ranges[f]
      if f + 1 < ranges.count {
        return Array(line[..<r.keyStart]) + Array(line[ranges[f + 1].keyStart...])
      }
      // Last field: drop the comma before it too.
      return Array(line[..<(r.keyStart - 1)]) + Array(line[r.valueEnd...])
    case .unknownEnum:
      guard let f = pick({ s, r in s.kind == .enumeration && !isNull(r) }) else {
        return truncate(line, rng: &rng)
      }
      let bogus = ["teleport", "unknown", "XX", "fax", "Mars", "none", "?"]
      let r = ranges[f]
      let value = Array("\"\(bogus[rng.below(bogus.count)])\"".utf8)
      return Array(line[..<r.valueStart]) + value + Array(line[r.valueEnd...])
    case .invalidUTF8:
      guard
        let f = pick({ s, r in
          (s.kind == .string || s.kind == .enumeration) && !isNull(r)
            && r.valueEnd - r.valueStart > 2
        })
      else { return truncate(line, rng: &rng) }
      let r = ranges[f]
      // A lone continuation byte, an overlong lead, or a truncated sequence.
      let bad: [[UInt8]] = [[0x80], [0xC0, 0xAF], [0xE2, 0x82], [0xFF]]
      let at = r.valueStart + 1 + rng.below(r.valueEnd - r.valueStart - 2)
      return Array(line[..<at]) + bad[rng.below(bad.count)] + Array(line[at...])
    }
  }

  /// Cuts the line at a random byte strictly inside it and ends it with a newline.
  static func truncate(_ line: [UInt8], rng: inout Random) -> [UInt8] {
    let body = line.count - 1  // without "\n"
    guard body > 2 else { return line }
    let cut = 1 + rng.below(body - 2)
    return Array(line[..<cut]) + [0x0A]
  }
}
