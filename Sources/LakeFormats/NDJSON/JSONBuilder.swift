// LakeFormats/NDJSON/JSONBuilder.swift
//
// Builds small JSON documents (Delta log actions, statistics, schema strings) into a byte array,
// with commas handled: `begin()`, `key("path")`, `string(...)`, `end()`. Not for per-row paths;
// those write straight into an OutputBuffer with JSONWriter.

/// Appends compact JSON to `bytes`.
public struct JSONBuilder {
  public var bytes: [UInt8] = []
  var needComma: [Bool] = [false]

  public init() {}

  mutating func separate() {
    if needComma[needComma.count - 1] { bytes.append(0x2C) }
    needComma[needComma.count - 1] = true
  }

  /// Opens an object (as a value).
  public mutating func beginObject() {
    separate()
    bytes.append(0x7B)
    needComma.append(false)
  }

  /// Closes the innermost object.
  public mutating func endObject() {
    bytes.append(0x7D)
    needComma.removeLast()
  }

  /// Opens an array (as a value).
  public mutating func beginArray() {
    separate()
    bytes.append(0x5B)
    needComma.append(false)
  }

  /// Closes the innermost array.
  public mutating func endArray() {
    bytes.append(0x5D)
    needComma.removeLast()
  }

  /// Writes an object key; the next call writes its value.
  public mutating func key(_ name: String) {
    separate()
    appendString(Array(name.utf8))
    bytes.append(0x3A)
    needComma[needComma.count - 1] = false
  }

  mutating func appendString(_ value: [UInt8]) {
    bytes.append(0x22)
    for b in value {
      switch b {
      case 0x22: bytes += [0x5C, 0x22]
      case 0x5C: bytes += [0x5C, 0x5C]
      case 0x0A: bytes += [0x5C, 0x6E]
      case 0x0D: bytes += [0x5C, 0x72]
      case 0x09: bytes += [0x5C, 0x74]
      case 0x00..<0x20, 0x7F:
        let hex = Array("0123456789abcdef".utf8)
        bytes += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
      default: bytes.append(b)
      }
    }
    bytes.append(0x22)
  }

  /// Writes a string value.
  public mutating func string(_ value: String) {
    separate()
    appendString(Array(value.utf8))
  }

  /// Writes a string value from bytes.
  public mutating func string(bytes value: [UInt8]) {
    separate()
    appendString(value)
  }

  /// Writes an integer value.
  public mutating func int(_ value: Int64) {
    separate()
    bytes += Array(String(value).utf8)
  }

  /// Writes a boolean value.
  public mutating func bool(_ value: Bool) {
    separate()
    bytes += Array((value ? "true" : "false").utf8)
  }

  /// Writes null.
  public mutating func null() {
    separate()
    bytes += Array("null".utf8)
  }

  /// Writes already-encoded JSON text as a value.
  public mutating func raw(_ json: [UInt8]) {
    separate()
    bytes += json
  }

  /// The document as a String.
  public var text: String { String(decoding: bytes, as: UTF8.self) }
}
