import Foundation
import LakeFormats
import Testing

/// Scans `bytes` with a fresh scanner; the fields or the error.
private func scan(_ bytes: [UInt8], maxDepth: Int = 64) -> Result<[JSONField], JSONSyntaxError> {
  var scanner = NDJSONScanner(maxDepth: maxDepth)
  var fields: [JSONField] = []
  if let failure = scan(bytes, with: &scanner, into: &fields) { return .failure(failure) }
  return .success(fields)
}

/// Scans `bytes` with a reused scanner and fields array; the error, if any.
private func scan(
  _ bytes: [UInt8], with scanner: inout NDJSONScanner, into fields: inout [JSONField]
) -> JSONSyntaxError? {
  // Array.withUnsafeBytes is not typed-throws: carry the typed error out in a Result.
  let result = bytes.withUnsafeBytes { line in
    Result { () throws(JSONSyntaxError) in try scanner.scan(line, into: &fields) }
  }
  if case .failure(let error) = result { return error }
  return nil
}

private func scan(_ text: String, maxDepth: Int = 64) -> Result<[JSONField], JSONSyntaxError> {
  scan(Array(text.utf8), maxDepth: maxDepth)
}

private func accepts(_ text: String) -> Bool {
  if case .success = scan(text) { return true }
  return false
}

private func error(_ bytes: [UInt8]) -> JSONSyntaxError? {
  if case .failure(let e) = scan(bytes) { return e }
  return nil
}

private func error(_ text: String) -> JSONSyntaxError? { error(Array(text.utf8)) }

/// The bytes of a span of `line`.
private func bytes(_ line: [UInt8], _ start: Int, _ end: Int) -> [UInt8] {
  Array(line[start..<end])
}

private func text(_ line: [UInt8], _ start: Int, _ end: Int) -> String {
  String(decoding: line[start..<end], as: UTF8.self)
}

private func withBytes<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
  Array(text.utf8).withUnsafeBytes(body)
}

private func unescaped(_ body: [UInt8]) -> Result<[UInt8], JSONSyntaxError> {
  var out: [UInt8] = []
  return body.withUnsafeBytes { b in
    Result { () throws(JSONSyntaxError) in try JSONValue.unescape(b, into: &out) }
  }.map { out }
}

private func unescaped(_ body: String) -> Result<[UInt8], JSONSyntaxError> {
  unescaped(Array(body.utf8))
}

/// SplitMix64, for reproducible fuzzing.
private struct SplitMix64 {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

private let clickstreamLine =
  #"{"event_id":"61954dcc-47b1-489d-9dfd-b48ab9ed4a21","user_id":1149,"#
  + #""session_id":"642e1c7b-c266-43a7-b27a-48e29a233673","event_type":"purchase","#
  + #""page":"/product/17","source":"mobile","product_id":17,"price":19.99,"quantity":2,"#
  + #""currency":"EUR","country":"US","ts":"2026-01-01T00:00:00.007Z"}"#

@Suite("NDJSON scanner")
struct NDJSONScannerTests {
  // MARK: RFC 8259 tables

  @Test(
    "accepts valid RFC 8259 objects",
    arguments: [
      "{}", " {} ", "\t{\n}\r", "{}\r", "{\"a\":1}", "{ \"a\" : 1 , \"b\" : 2 }",
      "{\"\":\"\"}", "{\"a\":\"\"}", "{\"a\":true,\"b\":false,\"c\":null}",
      "{\"a\":0}", "{\"a\":-0}", "{\"a\":0.5}", "{\"a\":-0.0e0}", "{\"a\":1E+2}", "{\"a\":1e-2}",
      "{\"a\":123456789012345678901234567890}", "{\"a\":1.5e308}", "{\"a\":[]}", "{\"a\":{}}",
      "{\"a\":[1,\"x\",true,null,{},[],{\"b\":[-1.5]}]}", "{\"a\":[ 1 , 2 ]}",
      "{\"a\":{ \"b\" : { } }}", "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
      "{\"a\":\"\\u0000\\u001f\\u00e9\\uFFFF\\uD83D\\uDE00\"}", "{\"a\":\"é東😀\"}",
      "{\"a\\u0041\":1}", "{\"a\":\"\u{7F}\"}", "{\"a\":1,\"a\":2}",
      "{\"key with spaces and / slashes\":\"}{][,:\"}",
    ])
  func acceptsValid(text: String) {
    #expect(accepts(text), "\(text)")
  }

  @Test(
    "rejects invalid JSON",
    arguments: [
      ("", 0, "empty line"),
      ("   ", 3, "empty line"),
      ("\r", 1, "empty line"),
      ("[]", 0, "expected '{': a line must hold a JSON object"),
      ("\"a\"", 0, "expected '{': a line must hold a JSON object"),
      ("1", 0, "expected '{': a line must hold a JSON object"),
      ("null", 0, "expected '{': a line must hold a JSON object"),
      ("{", 1, "expected a string key"),
      ("{\"a\"", 4, "expected ':'"),
      ("{\"a\":", 5, "expected a value"),
      ("{\"a\":1", 6, "expected ',' or '}'"),
      ("{\"a\":1,}", 7, "expected a string key"),
      ("{,}", 1, "expected a string key"),
      ("{\"a\" 1}", 5, "expected ':'"),
      ("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'"),
      ("{a:1}", 1, "expected a string key"),
      ("{'a':1}", 1, "expected a string key"),
      ("{\"a\":'x'}", 5, "expected a value"),
      ("{\"a\":01}", 5, "invalid number"),
      ("{\"a\":+1}", 5, "expected a value"),
      ("{\"a\":-}", 5, "invalid number"),
      ("{\"a\":1.}", 5, "invalid number"),
      ("{\"a\":.5}", 5, "expected a value"),
      ("{\"a\":1e}", 5, "invalid number"),
      ("{\"a\":1e+}", 5, "invalid number"),
      ("{\"a\":1.2.3}", 5, "invalid number"),
      ("{\"a\":- 1}", 5, "invalid number"),
      ("{\"a\":NaN}", 5, "expected a value"),
      ("{\"a\":Infinity}", 5, "expected a value"),
      ("{\"a\":-Infinity}", 5, "invalid number"),
      ("{\"a\":0x10}", 6, "expected ',' or '}'"),
      ("{\"a\":tru}", 5, "invalid literal"),
      ("{\"a\":True}", 5, "expected a value"),
      ("{\"a\":nul}", 5, "invalid literal"),
      ("{\"a\":falsy}", 5, "invalid literal"),
      ("{\"a\":truex}", 9, "expected ',' or '}'"),
      ("{\"a\":\"x}", 5, "unterminated string"),
      ("{\"a\":\"x\ty\"}", 7, "control character in string"),
      ("{\"a\":\"x\ny\"}", 7, "control character in string"),
      ("{\"a\":\"\\x\"}", 6, "invalid escape"),
      ("{\"a\":\"\\'\"}", 6, "invalid escape"),
      ("{\"a\":\"\\u12\"}", 6, "invalid \\u escape"),
      ("{\"a\":\"\\u12G4\"}", 6, "invalid \\u escape"),
      ("{\"a\":\"\\U0041\"}", 6, "invalid escape"),
      ("{\"a\":\"\\", 6, "unterminated escape"),
      ("{\"a\":1}x", 7, "unexpected bytes after the object"),
      ("{\"a\":1} {}", 8, "unexpected bytes after the object"),
      ("{\"a\":1}}", 7, "unexpected bytes after the object"),
      ("{\"a\":[1,]}", 8, "expected a value"),
      ("{\"a\":[1 2]}", 8, "expected ',' or ']'"),
      ("{\"a\":[1}", 7, "expected ',' or ']'"),
      ("{\"a\":{\"b\"}}", 9, "expected ':'"),
      ("{\"a\":{\"b\":1]}", 11, "expected ',' or '}'"),
      ("{\"a\":{1:2}}", 6, "expected a string key"),
      ("{\"a\":[", 6, "expected a value"),
      ("{\"a\":{", 6, "expected a string key"),
      ("{\"a\":{\"b\":1,}}", 12, "expected a string key"),
      ("{\"a\":1,\"b\"}", 10, "expected ':'"),
      ("\u{FEFF}{}", 0, "expected '{': a line must hold a JSON object"),
      ("{\"a\":\u{A0}1}", 5, "expected a value"),
      ("{\"a\":1}\u{0B}", 7, "unexpected bytes after the object"),
      ("{\"a\":1}\0", 7, "unexpected bytes after the object"),
    ])
  func rejectsInvalid(text: String, offset: Int, message: String) {
    #expect(error(text) == JSONSyntaxError(offset: offset, message: message), "\(text)")
  }

  @Test("errors are data errors and read like byte 17: message")
  func errorDescription() throws {
    let e = try #require(error("{\"user_id\":12 13}"))
    #expect(e.category == .data)
    #expect(e.description == "byte 15: expected ',' or '}'")
  }

  // MARK: Fields

  @Test("reports spans, kinds and escapes of every member")
  func fieldsOfALine() throws {
    let line = Array(
      #"{"s":"a\"b","n":-1.5e3, "t":true,"f":false,"z":null,"o":{"x":[1]},"a":[],"k\u0041":"é"}"#
        .utf8)
    let fields = try scan(line).get()
    #expect(fields.count == 8)
    let expected: [(String, JSONKind, String)] = [
      ("s", .string, #"a\"b"#), ("n", .number, "-1.5e3"), ("t", .bool, "true"),
      ("f", .bool, "false"), ("z", .null, "null"), ("o", .object, #"{"x":[1]}"#),
      ("a", .array, "[]"), (#"k\u0041"#, .string, "é"),
    ]
    for (field, (key, kind, value)) in zip(fields, expected) {
      #expect(text(line, field.keyStart, field.keyEnd) == key)
      #expect(field.kind == kind)
      #expect(text(line, field.valueStart, field.valueEnd) == value)
    }
    #expect(fields[0].valueHasEscapes)
    #expect(!fields[0].keyHasEscapes)
    #expect(fields[7].keyHasEscapes)
    #expect(!fields[7].valueHasEscapes)
    #expect(fields[2].boolValue)
    #expect(!fields[3].boolValue)
  }

  @Test("scans a clickstream line and finds keys by bytes")
  func clickstream() throws {
    let line = Array(clickstreamLine.utf8)
    let fields = try scan(line).get()
    #expect(fields.count == 12)
    try line.withUnsafeBytes { buf in
      let user = try #require(fields.firstIndex(ofKey: "user_id", in: buf))
      #expect(JSONValue.int64(fields[user].valueBytes(in: buf)) == 1149)
      let price = try #require(fields.firstIndex(ofKey: "price", in: buf))
      #expect(JSONValue.decimal(fields[price].valueBytes(in: buf), precision: 18, scale: 2) == 1999)
      let ts = try #require(fields.firstIndex(ofKey: "ts", in: buf))
      #expect(RFC3339.parse(fields[ts].valueBytes(in: buf)) == 1_767_225_600_007_000)
      #expect(fields.firstIndex(ofKey: "missing", in: buf) == nil)
      #expect(fields.firstIndex(ofKey: "pric", in: buf) == nil)
    }
  }

  @Test("a key with escapes matches its unescaped bytes")
  func escapedKeyLookup() throws {
    let line = Array(#"{"\u0069d":7,"caf\u00e9":1,"a\/b":2}"#.utf8)
    let fields = try scan(line).get()
    line.withUnsafeBytes { buf in
      #expect(fields.firstIndex(ofKey: "id", in: buf) == 0)
      #expect(fields.firstIndex(ofKey: "café", in: buf) == 1)
      #expect(fields.firstIndex(ofKey: "a/b", in: buf) == 2)
      #expect(fields.firstIndex(ofKey: "i", in: buf) == nil)
      #expect(fields.firstIndex(ofKey: "idx", in: buf) == nil)
    }
  }

  @Test("duplicate keys are all reported, in order; callers decide")
  func duplicateKeys() throws {
    let line = Array(#"{"a":1,"b":2,"a":3}"#.utf8)
    let fields = try scan(line).get()
    #expect(fields.map { text(line, $0.keyStart, $0.keyEnd) } == ["a", "b", "a"])
    #expect(fields.map { text(line, $0.valueStart, $0.valueEnd) } == ["1", "2", "3"])
    line.withUnsafeBytes { #expect(fields.firstIndex(ofKey: "a", in: $0) == 0) }
  }

  @Test("the fields array is cleared and keeps its capacity")
  func reusesFields() throws {
    var scanner = NDJSONScanner()
    var fields: [JSONField] = []
    try Array(clickstreamLine.utf8).withUnsafeBytes { try scanner.scan($0, into: &fields) }
    let capacity = fields.capacity
    try Array("{\"a\":1}".utf8).withUnsafeBytes { try scanner.scan($0, into: &fields) }
    #expect(fields.count == 1)
    #expect(fields.capacity == capacity)
    #expect(throws: JSONSyntaxError.self) {
      try Array("{\"a\":1,\"b\":}".utf8).withUnsafeBytes { try scanner.scan($0, into: &fields) }
    }
    #expect(fields.count == 1)  // the members before the error
  }

  @Test("spans outside the line read as empty")
  func spansAreChecked() {
    let field = JSONField(
      keyStart: 5, keyEnd: 50, keyHasEscapes: false, kind: .number, valueStart: -1, valueEnd: 2)
    withBytes("{\"a\":1}") { buf in
      #expect(field.keyBytes(in: buf).isEmpty)
      #expect(field.valueBytes(in: buf).isEmpty)
      #expect(!field.hasKey("a", in: buf))
    }
  }

  // MARK: Strings

  @Test(
    "unescapes every escape form",
    arguments: [
      (#"\""#, [0x22]), (#"\\"#, [0x5C]), (#"\/"#, [0x2F]), (#"\b"#, [0x08]), (#"\f"#, [0x0C]),
      (#"\n"#, [0x0A]), (#"\r"#, [0x0D]), (#"\t"#, [0x09]), (#"\u0000"#, [0x00]),
      (#"\u0041"#, [0x41]), (#"\u00e9"#, [0xC3, 0xA9]), (#"\u00E9"#, [0xC3, 0xA9]),
      (#"\u07FF"#, [0xDF, 0xBF]), (#"\u0800"#, [0xE0, 0xA0, 0x80]),
      (#"\uFFFF"#, [0xEF, 0xBF, 0xBF]), (#"\uD83D\uDE00"#, [0xF0, 0x9F, 0x98, 0x80]),
      (#"\uD800\uDC00"#, [0xF0, 0x90, 0x80, 0x80]), (#"\uDBFF\uDFFF"#, [0xF4, 0x8F, 0xBF, 0xBF]),
      (#"a\tb\\c\"d"#, Array("a\tb\\c\"d".utf8)), ("no escapes é", Array("no escapes é".utf8)),
      ("", []),
    ] as [(String, [UInt8])])
  func unescapes(body: String, expected: [UInt8]) throws {
    #expect(try unescaped(body).get() == expected)
    // The scanner accepts the same body, and the comparison helper agrees.
    let line = Array("{\"k\":\"\(body)\"}".utf8)
    let fields = try scan(line).get()
    #expect(fields.first?.valueHasEscapes == body.contains("\\"))
    line.withUnsafeBytes { buf in
      let value = fields[0].valueBytes(in: buf)
      expected.withUnsafeBytes { #expect(JSONValue.unescaped(value, equals: $0)) }
      (expected + [0x41]).withUnsafeBytes { #expect(!JSONValue.unescaped(value, equals: $0)) }
    }
  }

  @Test(
    "rejects malformed surrogates in escapes",
    arguments: [
      (#"\uD83D"#, "unpaired high surrogate in \\u escape"),  // lone high at end
      (#"\uD83Dx"#, "unpaired high surrogate in \\u escape"),  // lone high, then a char
      (#"\uD83D\n"#, "unpaired high surrogate in \\u escape"),  // then another escape
      (#"\uD83D\u0041"#, "unpaired high surrogate in \\u escape"),  // then a non-surrogate
      (#"\uD83D\uD83D"#, "unpaired high surrogate in \\u escape"),  // two highs
      (#"\uDE00"#, "unpaired low surrogate in \\u escape"),  // lone low
      (#"\uDE00\uD83D"#, "unpaired low surrogate in \\u escape"),  // reversed
      (#"\uD83D\uDE0"#, "unpaired high surrogate in \\u escape"),  // truncated low
    ])
  func rejectsBadSurrogates(body: String, message: String) throws {
    let e = try #require(error("{\"k\":\"\(body)\"}"))
    #expect(e == JSONSyntaxError(offset: 6, message: message))
    #expect(throws: JSONSyntaxError(offset: 0, message: message)) { try unescaped(body).get() }
    withBytes(body) { b in withBytes("") { #expect(!JSONValue.unescaped(b, equals: $0)) } }
  }

  @Test("rejects malformed escapes when unescaping")
  func unescapeRejects() {
    #expect(throws: JSONSyntaxError(offset: 1, message: "unterminated escape")) {
      try unescaped("a\\").get()
    }
    #expect(throws: JSONSyntaxError(offset: 2, message: "invalid escape")) {
      try unescaped("ab\\q").get()
    }
    #expect(throws: JSONSyntaxError(offset: 0, message: "invalid \\u escape")) {
      try unescaped("\\u00").get()
    }
  }

  @Test(
    "accepts well-formed UTF-8 at every length and boundary",
    arguments: [
      [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xE1, 0x80, 0x80], [0xEC, 0xBF, 0xBF],
      [0xED, 0x80, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF],
      [0xF0, 0x90, 0x80, 0x80], [0xF1, 0x80, 0x80, 0x80], [0xF3, 0xBF, 0xBF, 0xBF],
      [0xF4, 0x80, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
    ] as [[UInt8]])
  func acceptsUTF8(sequence: [UInt8]) throws {
    // At the start of a string, in the middle of a long one, and right before the quote.
    for (prefix, suffix) in [(0, 0), (13, 0), (3, 11), (0, 9)] {
      let body =
        [UInt8](repeating: 0x61, count: prefix) + sequence
        + [UInt8](repeating: 0x62, count: suffix)
      let line = Array("{\"k\":\"".utf8) + body + Array("\"}".utf8)
      let fields = try scan(line).get()
      #expect(bytes(line, fields[0].valueStart, fields[0].valueEnd) == body)
      #expect(String(validating: body, as: UTF8.self) != nil)
    }
  }

  @Test(
    "rejects ill-formed UTF-8",
    arguments: [
      ([0x80], "invalid UTF-8: unexpected continuation byte"),  // lone continuation
      ([0xBF], "invalid UTF-8: unexpected continuation byte"),
      ([0xC0, 0xAF], "invalid UTF-8: overlong encoding"),  // overlong 2-byte "/"
      ([0xC1, 0xBF], "invalid UTF-8: overlong encoding"),
      ([0xE0, 0x80, 0xAF], "invalid UTF-8: overlong encoding"),  // overlong 3-byte
      ([0xE0, 0x9F, 0xBF], "invalid UTF-8: overlong encoding"),
      ([0xF0, 0x80, 0x80, 0xAF], "invalid UTF-8: overlong encoding"),  // overlong 4-byte
      ([0xF0, 0x8F, 0xBF, 0xBF], "invalid UTF-8: overlong encoding"),
      ([0xED, 0xA0, 0x80], "invalid UTF-8: encoded surrogate"),  // U+D800
      ([0xED, 0xBF, 0xBF], "invalid UTF-8: encoded surrogate"),  // U+DFFF
      ([0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80], "invalid UTF-8: encoded surrogate"),  // CESU-8 pair
      ([0xF4, 0x90, 0x80, 0x80], "invalid UTF-8: code point above U+10FFFF"),  // U+110000
      ([0xF5, 0x80, 0x80, 0x80], "invalid UTF-8: byte out of range"),
      ([0xF8, 0x88, 0x80, 0x80, 0x80], "invalid UTF-8: byte out of range"),  // 5-byte form
      ([0xFE], "invalid UTF-8: byte out of range"),
      ([0xFF], "invalid UTF-8: byte out of range"),
      ([0xC3], "invalid UTF-8: truncated sequence"),  // truncated before the quote
      ([0xE2, 0x82], "invalid UTF-8: truncated sequence"),
      ([0xF0, 0x9F, 0x98], "invalid UTF-8: truncated sequence"),
      ([0xC3, 0x41], "invalid UTF-8: truncated sequence"),
      ([0xE2, 0x41, 0x82], "invalid UTF-8: truncated sequence"),
      ([0xF0, 0x9F, 0x41, 0x80], "invalid UTF-8: truncated sequence"),
    ] as [([UInt8], String)])
  func rejectsUTF8(sequence: [UInt8], message: String) {
    for prefix in [0, 5, 12] {
      let line =
        Array("{\"k\":\"".utf8) + [UInt8](repeating: 0x61, count: prefix) + sequence
        + Array("\"}".utf8)
      #expect(error(line) == JSONSyntaxError(offset: 6 + prefix, message: message))
      #expect(String(validating: sequence, as: UTF8.self) == nil)
    }
  }

  @Test("rejects UTF-8 truncated at the end of the line, and outside strings")
  func truncatedAtEnd() {
    for tail: [UInt8] in [[0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98]] {
      let line = Array("{\"k\":\"abc".utf8) + tail
      #expect(
        error(line) == JSONSyntaxError(offset: 9, message: "invalid UTF-8: truncated sequence"))
    }
    #expect(
      error(Array("{\"k\":".utf8) + [0xC3, 0xA9])
        == JSONSyntaxError(offset: 5, message: "expected a value"))
    #expect(
      error(Array("{".utf8) + [0xC3, 0xA9])
        == JSONSyntaxError(offset: 1, message: "expected a string key"))
  }

  @Test("rejects every control byte in strings, raw")
  func controlBytes() {
    for b in UInt8(0)..<0x20 {
      let line = Array("{\"k\":\"abcdefghij".utf8) + [b] + Array("\"}".utf8)
      #expect(error(line) == JSONSyntaxError(offset: 16, message: "control character in string"))
    }
  }

  // MARK: Nesting

  private func nested(_ levels: Int) -> String {
    // The top-level object is level 1; each [ adds one.
    "{\"a\":" + String(repeating: "[", count: levels - 1)
      + String(repeating: "]", count: levels - 1)
      + "}"
  }

  @Test("nesting at the limit is accepted, beyond it rejected")
  func depthLimit() {
    #expect(accepts(nested(64)))
    #expect(
      error(nested(65)) == JSONSyntaxError(offset: 68, message: "nesting deeper than 64 levels"))
    for depth in [1, 2, 3, 63, 64, 65, 100, 200] {
      let ok =
        String(repeating: "{\"k\":", count: depth - 1) + "{}"
        + String(repeating: "}", count: depth - 1)
      if case .failure(let e) = scan(ok, maxDepth: depth) { Issue.record("\(depth): \(e)") }
      let deep =
        "{\"a\":" + String(repeating: "[{\"b\":", count: depth) + "1"
        + String(repeating: "}]", count: depth) + "}"
      // deep has 1 + 2 * depth levels.
      #expect(scan(deep, maxDepth: 2 * depth + 1).map(\.count) == .success(1))
      #expect(
        scan(deep, maxDepth: 2 * depth).map(\.count)
          == .failure(
            JSONSyntaxError(offset: 6 * depth, message: "nesting deeper than \(2 * depth) levels")))
    }
    #expect(error(Array("{\"a\":{}}".utf8)) == nil)
    #expect(
      scan("{\"a\":{}}", maxDepth: 1).map(\.count)
        == .failure(JSONSyntaxError(offset: 5, message: "nesting deeper than 1 levels")))
    #expect(scan("{\"a\":1}", maxDepth: 0).map(\.count) == .success(1))
  }

  @Test("very deep input is an error, not a stack overflow")
  func veryDeep() {
    let open = String(repeating: "[", count: 200_000)
    #expect(
      scan("{\"a\":" + open).map(\.count)
        == .failure(JSONSyntaxError(offset: 68, message: "nesting deeper than 64 levels")))
    let close = String(repeating: "]", count: 200_000)
    #expect(scan("{\"a\":" + open + close + "}", maxDepth: .max).map(\.count) == .success(1))
  }

  // MARK: Numbers

  @Test(
    "int64 is exact within bounds",
    arguments: [
      ("0", Int64(0)), ("-0", 0), ("7", 7), ("-7", -7), ("1149", 1149),
      ("9223372036854775807", .max), ("-9223372036854775808", .min),
      ("999999999999999999", 999_999_999_999_999_999),
      ("-100000000000000000", -100_000_000_000_000_000),
    ])
  func int64Valid(token: String, value: Int64) {
    #expect(withBytes(token) { JSONValue.int64($0) } == value)
  }

  @Test(
    "int64 is nil for non-integers and out of range",
    arguments: [
      "9223372036854775808", "-9223372036854775809", "18446744073709551616",
      "99999999999999999999", "1.0", "1e2", "1E0", "0.5", "-", "", "01", "+1", " 1", "1 ", "1x",
      "0x10", "NaN", "--1",
    ])
  func int64Invalid(token: String) {
    #expect(withBytes(token) { JSONValue.int64($0) } == nil)
  }

  @Test(
    "double is correctly rounded",
    arguments: [
      "0", "-0", "1", "-1", "0.1", "19.99", "-0.5e-3", "1e308", "1.7976931348623157e308",
      "2.2250738585072014e-308", "4.9e-324", "5e-324", "1e-400", "123456789012345678901234567890",
      "0.30000000000000004", "9007199254740993", "9007199254740992", "1e22", "1e23", "5e30",
      "3.141592653589793238462643383279", "0.000000000000000000000000000001", "1E+2", "1e-22",
      "8.98846567431158e307", "100000000000000000000000", "-2.5E-10", "0.0000",
      "2.00000000000000011102230246251565404236316680908203125",
    ])
  func doubles(token: String) throws {
    let expected = try #require(Double(token))  // the standard library's strtod, for reference
    let value = try #require(withBytes(token) { JSONValue.double($0) })
    #expect(value.bitPattern == expected.bitPattern, "\(token)")
  }

  @Test("double is nil for overflow to infinity and non-numbers")
  func doubleInvalid() {
    for token in [
      "1e309", "-1e309", "1e999999999999999", "2e308", "NaN", "Infinity", "", "1.", "+1", "0x1p3",
    ] {
      #expect(withBytes(token) { JSONValue.double($0) } == nil, "\(token)")
    }
    #expect(withBytes("1e-999999999999999") { JSONValue.double($0) } == 0)
    #expect(withBytes("-0") { JSONValue.double($0) }?.sign == .minus)
  }

  @Test("double agrees with strtod on random decimals")
  func doubleRandom() throws {
    var rng = SplitMix64(state: 42)
    for _ in 0..<20_000 {
      var s = rng.below(2) == 0 ? "-" : ""
      let intDigits = rng.below(20)
      s += intDigits == 0 ? "0" : String(1 + rng.below(9))
      for _ in 0..<max(0, intDigits - 1) { s += String(rng.below(10)) }
      if rng.below(2) == 0 {
        s += "."
        for _ in 0..<(1 + rng.below(20)) { s += String(rng.below(10)) }
      }
      if rng.below(3) == 0 { s += "e" + String(rng.below(80) - 40) }
      let expected = try #require(Double(s))
      let value = try #require(withBytes(s) { JSONValue.double($0) }, "\(s)")
      #expect(value.bitPattern == expected.bitPattern, "\(s)")
    }
  }

  @Test(
    "decimal is exact or nil",
    arguments: [
      ("19.9", 18, 2, Int64?(1990)), ("19.99", 18, 2, 1999), ("19.990", 18, 2, 1999),
      ("19.991", 18, 2, nil), ("19.999", 18, 2, nil), ("0", 18, 2, 0), ("-0", 18, 2, 0),
      ("-0.00", 18, 2, 0), ("-19.9", 18, 2, -1990), ("-0.05", 18, 2, -5), ("0.05", 18, 2, 5),
      ("1e2", 18, 2, 10000), ("1E+2", 18, 2, 10000), ("1.5e1", 18, 2, 1500),
      ("1999e-2", 18, 2, 1999),
      ("19991e-3", 18, 2, nil), ("19990e-3", 18, 2, 1999), ("1e-2", 18, 2, 1), ("1e-3", 18, 2, nil),
      ("0e999999999", 18, 2, 0), ("0.000e-999999999", 4, 2, 0), ("1e999999999", 18, 2, nil),
      ("1e-999999999", 18, 2, nil), ("7", 18, 0, 7), ("7.5", 18, 0, nil), ("123", 3, 0, 123),
      ("1234", 3, 0, nil), ("999.99", 5, 2, 99999), ("1000.00", 5, 2, nil), ("1e3", 5, 2, nil),
      ("1e2", 5, 2, 10000), ("0.001", 3, 3, 1), ("00.1", 18, 2, nil), ("1.", 18, 2, nil),
      ("92233720368547758.07", 19, 2, .max), ("-92233720368547758.08", 19, 2, .min),
      ("92233720368547758.08", 19, 2, nil), ("-92233720368547758.09", 19, 2, nil),
      ("100000000000000000000", 38, 0, nil), ("1", 0, 0, nil), ("1", 5, -1, nil), ("1", 2, 3, nil),
      ("0.10000000000000000000000000000", 3, 1, 1), ("000", 18, 2, nil), ("abc", 18, 2, nil),
    ])
  func decimals(token: String, precision: Int, scale: Int, expected: Int64?) {
    #expect(
      withBytes(token) { JSONValue.decimal($0, precision: precision, scale: scale) } == expected,
      "\(token) (\(precision), \(scale))")
  }

  @Test("number helpers never trap on empty or arbitrary bytes")
  func numbersOnGarbage() {
    let empty = UnsafeRawBufferPointer(start: nil, count: 0)
    #expect(JSONValue.int64(empty) == nil)
    #expect(JSONValue.double(empty) == nil)
    #expect(JSONValue.decimal(empty, precision: 18, scale: 2) == nil)
    var out: [UInt8] = []
    #expect(throws: Never.self) { try JSONValue.unescape(empty, into: &out) }
    var rng = SplitMix64(state: 7)
    let alphabet = Array("0123456789-+.eEx".utf8)
    for _ in 0..<20_000 {
      let token = (0..<(1 + rng.below(8))).map { _ in alphabet[rng.below(alphabet.count)] }
      token.withUnsafeBytes { t in
        let isNumber = accepts("{\"k\":" + String(decoding: token, as: UTF8.self) + "}")
        let text = String(decoding: token, as: UTF8.self)
        if let d = JSONValue.double(t) {
          #expect(isNumber && d == Double(text), "\(text)")
        } else {
          #expect(!isNumber || Double(text)?.isInfinite == true, "\(text)")
        }
        if let i = JSONValue.int64(t) {
          #expect(isNumber && Int64(String(decoding: token, as: UTF8.self)) == i)
        }
        _ = JSONValue.decimal(t, precision: 18, scale: 2)
      }
    }
  }

  // MARK: Differential fuzzing

  /// Valid lines that exercise every path: escapes, raw UTF-8, nesting, numbers, literals.
  private static let corpus: [String] = [
    clickstreamLine,
    #"{"event_id":"a","user_id":-0,"page":"/caf\u00e9?q=\"x\"&t=\t","price":1.5e-3,"ok":true}"#,
    #"{"page":"/münchen/東京/😀","emoji":"\uD83D\uDE00","n":null,"f":false,"x":-12.5E+7}"#,
    #"{"a":[1,2,{"b":[null,true,"c\\d"]}],"o":{"k":{"k":[[],{}]}},"e":"","z":0}"#,
    #"{ "spaced" : [ 1 , 2 ] , "s" : "v" , "t" : { "u" : -1 } }"#,
    #"{"sensor":"temp","value":21.375,"unit":"\u00b0C","battery":0.98,"#
      + #""ts":"2026-01-01T00:00:00Z"}"#,
  ]

  @Test("mutated lines never crash; the scanner agrees with JSONSerialization")
  func differentialFuzz() throws {
    var rng = SplitMix64(state: 0x5EED)
    let interesting: [UInt8] =
      Array("{}[]\"\\,:. 0-eE+tfnu/\t".utf8) + [
        0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xA9, 0xE2, 0xED, 0xA0, 0xF0, 0xF4, 0x90, 0xFF,
      ]
    var scanner = NDJSONScanner()
    var fields: [JSONField] = []
    var accepted = 0
    var rejected = 0
    for round in 0..<20_000 {
      var line = Array(Self.corpus[round % Self.corpus.count].utf8)
      for _ in 0..<(1 + rng.below(3)) {
        let byte =
          rng.below(2) == 0 ? interesting[rng.below(interesting.count)] : UInt8(rng.below(256))
        let at = rng.below(line.count + 1)
        switch rng.below(3) {
        case 0 where at < line.count: line[at] = byte
        case 1 where at < line.count: line.remove(at: at)
        default: line.insert(byte, at: at)
        }
      }
      let failure = scan(line, with: &scanner, into: &fields)
      let ours = failure == nil
      if let failure {
        rejected += 1
        #expect(failure.offset >= 0 && failure.offset <= line.count)
      } else {
        accepted += 1
      }
      let theirs = (try? JSONSerialization.jsonObject(with: Data(line))) is [String: Any]
      let text = String(decoding: line, as: UTF8.self)
      if ours {
        #expect(theirs, "scanner accepts, Foundation rejects: \(text)")
        // The spans hold and the kinds are right.
        for f in fields {
          #expect(0 < f.keyStart && f.keyStart <= f.keyEnd && f.keyEnd < line.count)
          #expect(f.keyEnd < f.valueStart && f.valueStart <= f.valueEnd && f.valueEnd <= line.count)
        }
      } else if let failure, theirs, String(validating: line, as: UTF8.self) != nil,
        !text.contains("\\u"), !isTrailingComma(line, at: failure.offset)
      {
        // With well-formed UTF-8, Foundation must reject too, except where it is lenient:
        // unpaired \u surrogates and trailing commas ([1,] and {"a":1,}), both invalid JSON.
        Issue.record("scanner rejects, Foundation accepts: \(text)")
      }
    }
    #expect(accepted > 1000)
    #expect(rejected > 1000)
  }

  /// Whether `line[offset]` closes a container right after a `,` (whitespace between).
  private func isTrailingComma(_ line: [UInt8], at offset: Int) -> Bool {
    guard offset < line.count, line[offset] == 0x5D || line[offset] == 0x7D else { return false }
    let before = line[..<offset].last { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
    return before == 0x2C
  }

  @Test("trailing commas are rejected, though Foundation accepts them")
  func trailingCommas() throws {
    for text in ["{\"a\":[1,]}", "{\"a\":1,}", "{\"a\":{\"b\":1 , }}"] {
      #expect(!accepts(text))
      #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any])
    }
  }

  @Test("the unmutated corpus parses like Foundation does")
  func corpusMatchesFoundation() throws {
    for line in Self.corpus {
      let bytes = Array(line.utf8)
      let fields = try scan(bytes).get()
      let object = try #require(
        try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
      #expect(fields.count == object.count)
      try bytes.withUnsafeBytes { buf in
        for f in fields {
          var key: [UInt8] = []
          try JSONValue.unescape(f.keyBytes(in: buf), into: &key)
          let value = try #require(object[String(decoding: key, as: UTF8.self)])
          switch f.kind {
          case .string:
            var out: [UInt8] = []
            try JSONValue.unescape(f.valueBytes(in: buf), into: &out)
            #expect(String(decoding: out, as: UTF8.self) == value as? String)
          case .number:
            #expect(JSONValue.double(f.valueBytes(in: buf)) == (value as? NSNumber)?.doubleValue)
          case .bool: #expect(f.boolValue == (value as? Bool))
          case .null: #expect(value is NSNull)
          case .object: #expect(value is [String: Any])
          case .array: #expect(value is [Any])
          }
        }
      }
    }
  }

  // MARK: Speed

  /// Release timing, off by default.
  ///
  /// `LH_BENCH_NDJSON=file.ndjson swift test -c release --filter NDJSONScannerTests/speed`;
  /// `bench/ndjson-scan.sh` measures the same without a release build of the package.
  @Test(
    "scanning speed", .enabled(if: ProcessInfo.processInfo.environment["LH_BENCH_NDJSON"] != nil))
  func speed() throws {
    let path = try #require(ProcessInfo.processInfo.environment["LH_BENCH_NDJSON"])
    let data = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    var scanner = NDJSONScanner()
    var fields: [JSONField] = []
    fields.reserveCapacity(32)
    var best = Double.infinity
    var count = 0
    for _ in 0..<5 {
      let start = ContinuousClock.now
      count = 0
      try data.withUnsafeBytes { all in
        var lineStart = 0
        while lineStart < all.count {
          let rest = all.count - lineStart
          let hit = memchr(all.baseAddress! + lineStart, 0x0A, rest)
          let end = hit.map { UnsafeRawPointer($0) - all.baseAddress! } ?? all.count
          try scanner.scan(UnsafeRawBufferPointer(rebasing: all[lineStart..<end]), into: &fields)
          count += fields.count
          lineStart = end + 1
        }
      }
      let elapsed = ContinuousClock.now - start
      best = min(
        best, Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
    }
    print(
      "ndjson scan: \(data.count) bytes, \(count) fields, best \(best) s, "
        + "\(Double(data.count) / best / 1e6) MB/s"
    )
  }
}

@Suite("UTF-8 validation")
struct UTF8ValidationTests {
  @Test("agrees with Swift's validating initialiser on valid and invalid sequences")
  func agrees() {
    let cases: [[UInt8]] = [
      [], Array("plain ascii text, long enough for words".utf8), Array("müsli 東京 🚀".utf8),
      [0x80], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
      [0xF0, 0x8F, 0xBF, 0xBF], [0xE2, 0x82], Array("abcdefgh".utf8) + [0xFF], [0xC3, 0xA9, 0x41],
    ]
    var state: UInt64 = 99
    var all = cases
    for _ in 0..<2000 {
      var bytes: [UInt8] = []
      for _ in 0..<(Int(state % 13)) {
        state = state &* 6_364_136_223_846_793_005 &+ 1
        bytes.append(UInt8(truncatingIfNeeded: state >> 56))
      }
      all.append(bytes)
    }
    for bytes in all {
      let mine = bytes.withUnsafeBytes { UTF8Validation.isValid($0) }
      #expect(mine == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
    }
  }
}
