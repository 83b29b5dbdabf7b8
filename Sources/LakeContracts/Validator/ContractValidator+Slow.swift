// LakeContracts/Validator/ContractValidator+Slow.swift
//
// The paths a good line rarely or never takes: explaining a reject in words, classifying a line
// the scanner refused. They may allocate. Unknown keys, which a whole dataset may carry, are in
// ContractValidator+Unknown.swift.

import LakeFormats

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ContractValidator {
  // MARK: - Lines the scanner refused

  func syntaxReject(_ line: UnsafeRawBufferPointer, _ error: JSONSyntaxError) -> ContractReject {
    guard let first = line.firstIndex(where: { !NumberText.isSpace($0) }) else {
      return ContractReject(reason: .emptyLine, field: nil, message: "the line is empty")
    }
    if let bad = NumberText.firstInvalidUTF8(line) {
      return ContractReject(
        reason: .invalidUTF8, field: nil, message: "byte \(bad + 1): not UTF-8")
    }
    if line[first] != 0x7B {
      // Valid JSON that is not an object? Scan it as the value of a wrapping object.
      var wrapped = Array("{\"v\":".utf8)
      wrapped += line
      wrapped.append(0x7D)
      var probe = NDJSONScanner(maxDepth: scanner.maxDepth + 1)
      var probeFields: [JSONField] = []
      let valid = wrapped.withUnsafeBytes { (try? probe.scan($0, into: &probeFields)) != nil }
      if valid, let kind = probeFields.first?.kind {
        return ContractReject(
          reason: .notObject, field: nil,
          message: "the line holds \(Self.describe(kind)), not a JSON object")
      }
    }
    return ContractReject(reason: .invalidJSON, field: nil, message: error.description)
  }

  static func describe(_ kind: JSONKind) -> String {
    switch kind {
    case .string: "a string"
    case .number: "a number"
    case .bool: "a boolean"
    case .null: "null"
    case .object: "an object"
    case .array: "an array"
    }
  }

  // MARK: - Messages

  /// The reject for `reason` found on `field` of column `c`, in words.
  func describe(
    _ reason: RejectReason, column c: Int, field: JSONField, line: UnsafeRawBufferPointer
  )
    -> ContractReject
  {
    let column = contract.columns[c]
    let value = field.valueBytes(in: line)
    let shown = NumberText.snippet(value)
    let message: String
    switch reason {
    case .wrongType:
      let expected: String
      switch column.type {
      case .string, .binary: expected = "a string"
      case .int32, .int64: expected = "an integer"
      case .float, .double, .decimal: expected = "a number"
      case .boolean: expected = "true or false"
      case .timestamp: expected = "an RFC 3339 timestamp string"
      case .date: expected = "a date string YYYY-MM-DD"
      case .timestampNtz: expected = "a timestamp string without time zone"
      case .json: expected = "a JSON value"
      }
      let got =
        field.kind == .number && !column.isNumeric
        ? "the number \(shown)"
        : field.kind == .number
          ? shown
          : field.kind == .string ? "the string \"\(shown)\"" : Self.describe(field.kind)
      message = "expected \(expected), got \(got)"
    case .outOfRange:
      let type = ContractText.typeName(column.type)
      let v = JSONValue.double(value) ?? 0
      if let lo = column.minimum, v < Self.approximate(lo, column.type) {
        message = "\(shown) is below the minimum \(ContractText.boundText(lo, type: column.type))"
      } else if let hi = column.maximum, v > Self.approximate(hi, column.type) {
        message = "\(shown) is above the maximum \(ContractText.boundText(hi, type: column.type))"
      } else {
        message = "\(shown) does not fit \(type)"
      }
    case .notAllowed:
      let list = column.allowedValues.prefix(8).joined(separator: ", ")
      let more = column.allowedValues.count > 8 ? ", ..." : ""
      message = "\"\(shown)\" is not an allowed value (\(list)\(more))"
    case .tooLong:
      var scalars = 0
      var bytes: [UInt8] = []
      if field.valueHasEscapes {
        try? JSONValue.unescape(value, into: &bytes)
      } else {
        bytes = Array(value)
      }
      scalars = bytes.withUnsafeBytes { NumberText.scalarCount($0) }
      message = "\(scalars) characters, more than max_length \(column.maxLength ?? 0)"
    case .badTimestamp:
      message = "\"\(shown)\" is not an RFC 3339 timestamp"
    case .badDate:
      message = "\"\(shown)\" is not a date YYYY-MM-DD"
    case .badDecimal:
      var scale = 0
      if case .decimal(_, let s) = column.type { scale = s }
      message = "\(shown) has more than \(scale) decimal places (lh never rounds)"
    default:
      message = reason.rawValue
    }
    return ContractReject(reason: reason, field: column.name, message: message)
  }

  static func approximate(_ bound: ContractBound, _ type: ColumnType) -> Double {
    switch bound {
    case .integer(let v): return Double(v)
    case .double(let v): return v
    case .decimal(let unscaled):
      guard case .decimal(_, let s) = type else { return Double(unscaled) }
      var scale = 1.0
      for _ in 0..<s { scale *= 10 }
      return Double(unscaled) / scale
    }
  }
}

/// Byte-level helpers for numbers and text in messages.
enum NumberText {
  static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

  /// Whether `token` is exactly one JSON number (RFC 8259 section 6).
  static func isNumber(_ token: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    let n = token.count
    func digits() -> Int {
      let s = i
      while i < n && token[i] &- 0x30 < 10 { i += 1 }
      return i - s
    }
    if i < n && token[i] == 0x2D { i += 1 }
    guard i < n else { return false }
    if token[i] == 0x30 { i += 1 } else if digits() == 0 { return false }
    if i < n && token[i] == 0x2E {
      i += 1
      if digits() == 0 { return false }
    }
    if i < n && token[i] | 0x20 == 0x65 {
      i += 1
      if i < n && (token[i] == 0x2B || token[i] == 0x2D) { i += 1 }
      if digits() == 0 { return false }
    }
    return i == n
  }

  /// The decimal places a number token needs to be written exactly (`1.50` → 1, `1e-3` → 3).
  static func fractionDigits(_ token: UnsafeRawBufferPointer) -> Int {
    var digits: [UInt8] = []
    var fraction = 0
    var exponent = 0
    var i = 0
    var inFraction = false
    while i < token.count {
      let b = token[i]
      if b &- 0x30 < 10 {
        digits.append(b)
        if inFraction { fraction += 1 }
      } else if b == 0x2E {
        inFraction = true
      } else if b | 0x20 == 0x65 {
        var sign = 1
        i += 1
        if i < token.count && (token[i] == 0x2D || token[i] == 0x2B) {
          sign = token[i] == 0x2D ? -1 : 1
          i += 1
        }
        while i < token.count {
          exponent = min(exponent * 10 + Int(token[i] &- 0x30), 1_000_000)
          i += 1
        }
        exponent *= sign
        break
      }
      i += 1
    }
    var trailingZeros = 0
    while let last = digits.last, last == 0x30 {
      digits.removeLast()
      trailingZeros += 1
    }
    if digits.isEmpty { return 0 }
    return max(0, fraction - exponent - trailingZeros)
  }

  /// Unicode scalars in well-formed UTF-8 (bytes that are not continuation bytes).
  @inline(__always)
  static func scalarCount(_ bytes: UnsafeRawBufferPointer) -> Int {
    var n = 0
    for b in bytes where b & 0xC0 != 0x80 { n &+= 1 }
    return n
  }

  /// The offset of the first byte that does not start a well-formed UTF-8 sequence, or nil.
  static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
    if UTF8Validation.isValid(bytes) { return nil }
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
      if i + length > bytes.count
        || !UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + length)]))
      {
        return i
      }
      i += length
    }
    return nil
  }

  /// At most 40 bytes of a value for a message, control bytes shown as `?`.
  static func snippet(_ bytes: UnsafeRawBufferPointer) -> String {
    var out = Array(bytes.prefix(40)).map { $0 < 0x20 || $0 == 0x7F ? 0x3F : $0 }
    if bytes.count > 40 { out += Array("...".utf8) }
    return String(decoding: out, as: UTF8.self)
  }

  /// Appends validated JSON text without the whitespace outside strings.
  static func appendCompact(_ json: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    // Compact already (no byte that could be whitespace, in a string or not): copied whole.
    if !json.contains(where: { $0 <= 0x20 }) {
      out.append(contentsOf: json)
      return
    }
    var inString = false
    var escaped = false
    for b in json {
      if inString {
        out.append(b)
        if escaped {
          escaped = false
        } else if b == 0x5C {
          escaped = true
        } else if b == 0x22 {
          inString = false
        }
      } else if !isSpace(b) {
        out.append(b)
        if b == 0x22 { inString = true }
      }
    }
  }
}
