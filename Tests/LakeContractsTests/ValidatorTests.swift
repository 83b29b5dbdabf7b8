import Foundation
import LakeContracts
import LakeFormats
import LakeIO
import LakeStages
import LakeTestSupport
import Testing

/// Validates `text` (one line) and returns the reject, if any.
func check(_ validator: ContractValidator, _ text: String, _ columns: inout [ColumnBuffer])
  -> ContractReject?
{
  var bytes = Array(text.utf8)
  return bytes.withUnsafeMutableBytes {
    validator.validate(UnsafeRawBufferPointer($0), into: &columns)
  }
}

@Suite("contract validator")
struct ValidatorTests {
  static let fixtures = TestTools.repositoryRoot().appendingPathComponent("fixtures/contracts")

  @Test("each reject reason of fixtures/contracts/rejects.ndjson is the expected one")
  func rejectFixture() throws {
    let contract = try Contract.load(
      path: Self.fixtures.appendingPathComponent("rejects.contract").path)
    let validator = ContractValidator(contract: contract)
    var columns = validator.makeColumns()
    let data = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent("rejects.ndjson")))
    var got: [String] = []
    for line in data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
      let reject = Array(line).withUnsafeBytes { validator.validate($0, into: &columns) }
      got.append(reject.map { "\($0.reason.rawValue) \($0.field ?? "-")" } ?? "accepted")
    }
    let expected = try String(
      contentsOf: Self.fixtures.appendingPathComponent("rejects.expected"), encoding: .utf8
    ).split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
    #expect(got == expected)
    // Every reason has a line, and no line changed the columns.
    let reasons = Set(expected.map { String($0.split(separator: " ")[0]) })
    #expect(reasons == Set(RejectReason.allCases.map(\.rawValue)))
    #expect(columns.allSatisfy { $0.count == 0 })
    #expect(validator.rejected == expected.count)
  }

  static let fixtureLine =
    #"{"id":"r1","n":5,"big":1,"x":0.5,"amount":1.25,"flag":true,"kind":"a","day":"2026-01-01","ts":"2026-01-01T00:00:00Z"}"#

  @Test("a good line becomes one typed row")
  func typedRow() throws {
    let contract = try Contract.load(
      path: Self.fixtures.appendingPathComponent("rejects.contract").path)
    let validator = ContractValidator(contract: contract)
    var columns = validator.makeColumns()
    #expect(check(validator, Self.fixtureLine, &columns) == nil)
    // Keys in another order, an offset, escapes, nulls for optional columns, an unknown key.
    let other =
      #"{"ts":"2026-01-01T02:30:00.1234567+02:30","id":"r\u00e9\"","kind":null,"n":100,"#
      + #""extra_b" : [1, {"k": "v w"}] ,"amount":-0,"x":-1,"flag":false,"day":"1969-12-31","#
      + #""big":-9223372036854775808,"extra_a":"\u0041"}"#
    #expect(check(validator, other, &columns) == nil)
    #expect(validator.accepted == 2)
    #expect(columns.allSatisfy { $0.count == 2 })
    #expect(columns[0].bytes(at: 1) == ArraySlice(Array("ré\"".utf8)))
    #expect(columns[1].int32s == [5, 100])
    #expect(columns[2].int64s == [1, Int64.min])
    #expect(columns[3].doubles == [0.5, -1])
    #expect(columns[4].int64s == [125, 0])
    #expect(columns[5].booleans == [true, false])
    #expect(columns[6].isValid(0) && !columns[6].isValid(1))
    #expect(columns[7].int32s == [20_454, -1])
    #expect(columns[8].int64s == [1_767_225_600_000_000, 1_767_225_600_123_456])
    let extra = columns[validator.extraColumn]
    #expect(!extra.isValid(0))
    #expect(
      String(decoding: extra.bytes(at: 1), as: UTF8.self)
        == #"{"extra_b":[1,{"k":"v w"}],"extra_a":"\u0041"}"#)
    #expect(validator.unknownKeyCounts.map(\.key) == ["extra_a", "extra_b"])
    #expect(validator.schema.columns.last == ColumnSpec("_extra", .string, nullable: true))
  }

  @Test("keys in the contract's order with optional ones left out: each value in its column")
  func optionalKeysLeftOut() throws {
    let contract = try Contract.load(
      path: Self.fixtures.appendingPathComponent("rejects.contract").path)
    let validator = ContractValidator(contract: contract)
    var columns = validator.makeColumns()
    let lines = [
      #"{"id":"a","big":7,"flag":true,"ts":"2026-01-01T00:00:00Z"}"#,
      #"{"id":"b","n":3,"kind":"c","day":"2026-01-02","ts":"2026-01-01T00:00:01Z","zz":1}"#,
      #"{"id":"c","x":0.25,"ts":"2026-01-01T00:00:02Z","amount":2}"#,
    ]
    for line in lines { #expect(check(validator, line, &columns) == nil) }
    #expect(columns.allSatisfy { $0.count == 3 })
    #expect(columns[1].isValid(1) && !columns[1].isValid(0) && columns[1].int32s[1] == 3)
    #expect(columns[2].isValid(0) && columns[2].int64s[0] == 7 && !columns[2].isValid(2))
    #expect(columns[3].isValid(2) && columns[3].doubles[2] == 0.25)
    #expect(columns[4].isValid(2) && columns[4].int64s[2] == 200)
    #expect(columns[5].isValid(0) && columns[5].booleans[0])
    #expect(columns[6].bytes(at: 1) == ArraySlice(Array("c".utf8)))
    #expect(columns[7].isValid(1) && !columns[7].isValid(0))
    #expect(
      columns[8].int64s == [1_767_225_600_000_000, 1_767_225_601_000_000, 1_767_225_602_000_000])
    #expect(validator.unknownKeyCounts.map(\.key) == ["zz"])
    // A key repeated after a skipped one is still a duplicate.
    let twice = check(
      validator, #"{"id":"d","big":1,"ts":"2026-01-01T00:00:00Z","big":2}"#, &columns)
    #expect(twice?.reason == .duplicateKeyInLine && twice?.field == "big")
  }

  @Test("numbers as strings only where the contract accepts them")
  func numbersAsStrings() throws {
    let text = """
      contract s
      key id
      event_time ts
      column id string required
      column n int64 optional accept_strings min 0
      column d decimal(5,2) optional accept_strings
      column m int64 optional
      column ts timestamp required
      """
    let validator = ContractValidator(contract: try ContractParser.parse(text, file: "s"))
    var columns = validator.makeColumns()
    let ts = #""ts":"2026-01-01T00:00:00Z""#
    #expect(check(validator, #"{"id":"a","n":"42","d":"1.5",\#(ts)}"#, &columns) == nil)
    #expect(columns[1].int64s == [42])
    #expect(columns[2].int64s == [150])
    #expect(check(validator, #"{"id":"a","n":"-1",\#(ts)}"#, &columns)?.reason == .outOfRange)
    #expect(check(validator, #"{"id":"a","n":"4x",\#(ts)}"#, &columns)?.reason == .wrongType)
    #expect(check(validator, #"{"id":"a","n":" 4",\#(ts)}"#, &columns)?.reason == .wrongType)
    #expect(check(validator, #"{"id":"a","m":"4",\#(ts)}"#, &columns)?.reason == .wrongType)
    #expect(check(validator, #"{"id":"a","d":"1.234",\#(ts)}"#, &columns)?.reason == .badDecimal)
  }

  /// Lines that must be rejected for the given reason and field under the fixture contract.
  static let rejectCases: [(String, RejectReason, String?)] = [
    ("", .emptyLine, nil),
    ("\"text\"", .notObject, nil),
    ("42", .notObject, nil),
    ("{\"id\":", .invalidJSON, nil),
    ("{\"id\":\"r1\"} x", .invalidJSON, nil),
    ("{\"id\":\"\\ud800\"}", .invalidJSON, nil),
    ("{\"id\":\"r1\",\"u\":1,\"u\":2,\"ts\":\"2026-01-01T00:00:00Z\"}", .duplicateKeyInLine, "u"),
    (
      "{\"id\":\"r1\",\"\\u0069d\":\"r2\",\"ts\":\"2026-01-01T00:00:00Z\"}", .duplicateKeyInLine,
      "id"
    ),
    ("{\"id\":null,\"ts\":\"2026-01-01T00:00:00Z\"}", .missingRequired, "id"),
    ("{\"id\":\"r1\"}", .missingRequired, "ts"),
    ("{\"id\":7,\"ts\":\"2026-01-01T00:00:00Z\"}", .wrongType, "id"),
    ("{\"id\":\"r1\",\"n\":1.5,\"ts\":\"2026-01-01T00:00:00Z\"}", .wrongType, "n"),
    ("{\"id\":\"r1\",\"n\":1e1,\"ts\":\"2026-01-01T00:00:00Z\"}", .wrongType, "n"),
    ("{\"id\":\"r1\",\"flag\":\"true\",\"ts\":\"2026-01-01T00:00:00Z\"}", .wrongType, "flag"),
    ("{\"id\":\"r1\",\"kind\":[\"a\"],\"ts\":\"2026-01-01T00:00:00Z\"}", .wrongType, "kind"),
    ("{\"id\":\"r1\",\"ts\":1767225600}", .wrongType, "ts"),
    ("{\"id\":\"r1\",\"n\":101,\"ts\":\"2026-01-01T00:00:00Z\"}", .outOfRange, "n"),
    ("{\"id\":\"r1\",\"n\":-1,\"ts\":\"2026-01-01T00:00:00Z\"}", .outOfRange, "n"),
    ("{\"id\":\"r1\",\"n\":3000000000,\"ts\":\"2026-01-01T00:00:00Z\"}", .outOfRange, "n"),
    (
      "{\"id\":\"r1\",\"big\":9223372036854775808,\"ts\":\"2026-01-01T00:00:00Z\"}", .outOfRange,
      "big"
    ),
    ("{\"id\":\"r1\",\"x\":1e400,\"ts\":\"2026-01-01T00:00:00Z\"}", .outOfRange, "x"),
    ("{\"id\":\"r1\",\"amount\":10000,\"ts\":\"2026-01-01T00:00:00Z\"}", .outOfRange, "amount"),
    ("{\"id\":\"r1\",\"amount\":-0.01,\"ts\":\"2026-01-01T00:00:00Z\"}", .outOfRange, "amount"),
    ("{\"id\":\"r1\",\"amount\":0.001,\"ts\":\"2026-01-01T00:00:00Z\"}", .badDecimal, "amount"),
    ("{\"id\":\"r1\",\"amount\":1.5e-3,\"ts\":\"2026-01-01T00:00:00Z\"}", .badDecimal, "amount"),
    ("{\"id\":\"r1\",\"kind\":\"A\",\"ts\":\"2026-01-01T00:00:00Z\"}", .notAllowed, "kind"),
    (
      "{\"id\":\"r1\",\"kind\":\"\\u0061\\u0061\",\"ts\":\"2026-01-01T00:00:00Z\"}", .notAllowed,
      "kind"
    ),
    ("{\"id\":\"ééééééééé\",\"ts\":\"2026-01-01T00:00:00Z\"}", .tooLong, "id"),
    ("{\"id\":\"r1\",\"ts\":\"2026-01-01T00:00:00\"}", .badTimestamp, "ts"),
    ("{\"id\":\"r1\",\"ts\":\"2026-02-29T00:00:00Z\"}", .badTimestamp, "ts"),
    ("{\"id\":\"r1\",\"day\":\"2026-1-01\",\"ts\":\"2026-01-01T00:00:00Z\"}", .badDate, "day"),
  ]

  @Test("each reject has its reason, field and a message", arguments: rejectCases)
  func rejects(line: String, reason: RejectReason, field: String?) throws {
    let contract = try Contract.load(
      path: Self.fixtures.appendingPathComponent("rejects.contract").path)
    let validator = ContractValidator(contract: contract)
    var columns = validator.makeColumns()
    let reject = try #require(check(validator, line, &columns))
    #expect(reject.reason == reason)
    #expect(reject.field == field)
    #expect(!reject.message.isEmpty && !reject.message.hasSuffix("."))
    #expect(columns.allSatisfy { $0.count == 0 })
  }

  @Test("eight ASCII characters fit max_length 8; eight two-byte characters do too")
  func lengthInCharacters() throws {
    let contract = try Contract.load(
      path: Self.fixtures.appendingPathComponent("rejects.contract").path)
    let validator = ContractValidator(contract: contract)
    var columns = validator.makeColumns()
    #expect(check(validator, #"{"id":"éééééééé","ts":"2026-01-01T00:00:00Z"}"#, &columns) == nil)
    #expect(check(validator, #"{"id":"abcdefgh","ts":"2026-01-01T00:00:00Z"}"#, &columns) == nil)
  }

  @Test("messages say what is wrong")
  func messages() throws {
    let validator = ContractValidator(contract: try #require(Contract.builtin("clickstream")))
    var columns = validator.makeColumns()
    let good = Self.clickLine
    let r1 = check(
      validator, good.replacingOccurrences(of: #""source":"web""#, with: #""source":"fax""#),
      &columns)
    #expect(
      r1?.description
        == #"not_allowed: field 'source': "fax" is not an allowed value (web, mobile, api)"#)
    let r2 = check(
      validator, good.replacingOccurrences(of: #""quantity":2"#, with: #""quantity":"2""#), &columns
    )
    #expect(
      r2?.description == #"wrong_type: field 'quantity': expected an integer, got the string "2""#)
    let r3 = check(
      validator, good.replacingOccurrences(of: #""quantity":2"#, with: #""quantity":0"#), &columns)
    #expect(r3?.description == "out_of_range: field 'quantity': 0 is below the minimum 1")
    let r4 = check(validator, String(good.prefix(30)), &columns)
    #expect(r4?.description == "invalid_json: byte 13: unterminated string")
  }

  static let clickLine =
    #"{"event_id":"0b0c3a51-8f0e-4c4e-9a57-5d6a2f0f1e01","user_id":42,"#
    + #""session_id":"7f3e0c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b","event_type":"purchase","#
    + #""page":"/checkout","source":"web","product_id":"p-00042","price":19.99,"quantity":2,"#
    + #""currency":"EUR","country":"DE","ts":"2026-01-01T10:00:00.000Z"}"#

  /// Runs lh-gen's stage into memory.
  static func generate(_ configure: (inout GenConfig) -> Void) throws -> ([UInt8], GenSummary) {
    var config = GenConfig()
    configure(&config)
    var bytes: [UInt8] = []
    let out = OutputBuffer(capacity: 1 << 16) { bytes.append(contentsOf: $0) }
    let summary = try GenStage.run(config: config, output: out)
    return (bytes, summary)
  }

  static func validateAll(_ bytes: [UInt8], _ validator: ContractValidator) -> (
    [RejectReason: Int], [ColumnBuffer]
  ) {
    var columns = validator.makeColumns()
    var reasons: [RejectReason: Int] = [:]
    bytes.withUnsafeBytes { raw in
      var start = 0
      for i in 0..<raw.count where raw[i] == 0x0A {
        if let r = validator.validate(
          UnsafeRawBufferPointer(rebasing: raw[start..<i]), into: &columns)
        {
          reasons[r.reason, default: 0] += 1
        }
        start = i + 1
      }
    }
    return (reasons, columns)
  }

  @Test("lh-gen output without faults is all valid", arguments: Dataset.allCases)
  func generatedValid(dataset: Dataset) throws {
    let (bytes, summary) = try Self.generate {
      $0.dataset = dataset
      $0.count = 30_000
      $0.seed = 11
      $0.faults.late = 0.05
    }
    let validator = ContractValidator(contract: try #require(Contract.builtin(dataset.rawValue)))
    let (reasons, columns) = Self.validateAll(bytes, validator)
    #expect(reasons.isEmpty)
    #expect(validator.accepted == summary.lines)
    #expect(columns.allSatisfy { $0.count == summary.lines })
    #expect(validator.unknownKeyCounts.isEmpty)
    // The typed columns agree with the generic decoder on the generator's schema.
    var decoder = NDJSONRowDecoder(schema: dataset.schema)
    var expected = decoder.makeColumns()
    try bytes.withUnsafeBytes { raw in
      var start = 0
      for i in 0..<raw.count where raw[i] == 0x0A {
        try decoder.decode(UnsafeRawBufferPointer(rebasing: raw[start..<i]), into: &expected)
        start = i + 1
      }
    }
    for (c, e) in zip(columns, expected) {
      #expect(c.int64s == e.int64s && c.int32s == e.int32s && c.doubles == e.doubles)
      #expect(c.data == e.data && c.offsets == e.offsets && c.nullCount == e.nullCount)
    }
  }

  @Test(
    "lh-gen faults: each injected malformed line is rejected, for its reason",
    arguments: Dataset.allCases)
  func generatedFaults(dataset: Dataset) throws {
    let (bytes, summary) = try Self.generate {
      $0.dataset = dataset
      $0.count = 40_000
      $0.seed = 5
      $0.faults.late = 0.02
      $0.faults.duplicates = 0.03
      $0.faults.malformed = 0.05
    }
    #expect(summary.malformedTotal > 1_000)
    let validator = ContractValidator(contract: try #require(Contract.builtin(dataset.rawValue)))
    let (reasons, _) = Self.validateAll(bytes, validator)
    #expect(validator.rejected == summary.malformedTotal)
    #expect(validator.accepted == summary.events + summary.duplicates)
    let byKind: [MalformedKind: RejectReason] = [
      .truncated: .invalidJSON, .wrongType: .wrongType, .missingKey: .missingRequired,
      .unknownEnum: .notAllowed, .invalidUTF8: .invalidUTF8,
    ]
    for kind in MalformedKind.allCases {
      #expect(
        reasons[byKind[kind]!, default: 0] == summary.malformed[kind.rawValue], "\(kind.name)")
    }
  }
}

@Suite("contract validator, hostile lines")
struct HostileLineTests {
  @Test("many unknown keys: counted up to the limit, kept in _extra, a repeat is found")
  func manyUnknownKeys() throws {
    let path = ValidatorTests.fixtures.appendingPathComponent("rejects.contract").path
    let validator = ContractValidator(contract: try Contract.load(path: path))
    var columns = validator.makeColumns()
    let keys = (0..<5_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
    let head = #"{"id":"r1","ts":"2026-01-01T00:00:00Z","#
    #expect(check(validator, head + keys + "}", &columns) == nil)
    #expect(check(validator, head + keys + "}", &columns) == nil)
    #expect(validator.unknownKeyCounts.count == ContractValidator.maxTrackedUnknownKeys)
    #expect(validator.unknownKeyCounts.allSatisfy { $0.count == 2 })
    #expect(validator.untrackedUnknownKeys == 2 * (5_000 - ContractValidator.maxTrackedUnknownKeys))
    #expect(
      String(decoding: columns[validator.extraColumn].bytes(at: 0), as: UTF8.self) == "{\(keys)}")
    let repeated = check(validator, head + keys + #","k4711":0}"#, &columns)
    #expect(repeated?.reason == .duplicateKeyInLine)
    #expect(repeated?.field == "k4711")
    let escaped = check(validator, head + #""k\u0031":1,"k1":2}"#, &columns)
    #expect(escaped?.reason == .duplicateKeyInLine)
    #expect(escaped?.field == "k1")
  }
}

@Suite("contract validator, rows dropped after validation")
struct UncountTests {
  @Test("uncount(extra:) takes back a dropped row's unknown keys, escaped and untracked ones too")
  func uncount() throws {
    let path = ValidatorTests.fixtures.appendingPathComponent("rejects.contract").path
    let validator = ContractValidator(contract: try Contract.load(path: path))
    var columns = validator.makeColumns()
    let head = #"{"id":"r1","ts":"2026-01-01T00:00:00Z","#
    #expect(check(validator, head + #""color":"red","k\u0031":[1, 2]}"#, &columns) == nil)
    #expect(check(validator, head + #""color":"blue"}"#, &columns) == nil)
    #expect(validator.unknownKeyCounts.map(\.key) == ["color", "k1"])
    let extra = columns[validator.extraColumn]
    Array(extra.bytes(at: 0)).withUnsafeBytes { validator.uncount(extra: $0) }
    #expect(validator.unknownKeyCounts.map(\.count) == [1, 0])
    #expect(validator.accepted == 1)
    Array(extra.bytes(at: 1)).withUnsafeBytes { validator.uncount(extra: $0) }
    #expect(validator.unknownKeyCounts.allSatisfy { $0.count == 0 })
  }
}

@Suite("contract validator, unknown keys")
struct UnknownKeyTests {
  static func validator() throws -> ContractValidator {
    let path = ValidatorTests.fixtures.appendingPathComponent("rejects.contract").path
    return ContractValidator(contract: try Contract.load(path: path))
  }

  static let head = #"{"id":"r1","ts":"2026-01-01T00:00:00Z","#

  @Test("_extra keeps keys as escaped, strings as written, objects and arrays compacted")
  func extraText() throws {
    let validator = try Self.validator()
    var columns = validator.makeColumns()
    let lines = [
      #""a\"b":"x \"y\" z","k\u0031":{"p":[1,2],"q":"s t"},"num":-1.5e3,"t":true,"z":null}"#,
      #""o":{ "p" : [ 1 , 2 ] , "q" : "s t" },"e":[],"s":""}"#,
    ]
    for line in lines { #expect(check(validator, Self.head + line, &columns) == nil) }
    let extra = columns[validator.extraColumn]
    #expect(
      String(decoding: extra.bytes(at: 0), as: UTF8.self)
        == #"{"a\"b":"x \"y\" z","k\u0031":{"p":[1,2],"q":"s t"},"num":-1.5e3,"t":true,"z":null}"#)
    #expect(
      String(decoding: extra.bytes(at: 1), as: UTF8.self)
        == #"{"o":{"p":[1,2],"q":"s t"},"e":[],"s":""}"#)
  }

  @Test("a repeat among many unknown keys is found when one of them is escaped")
  func repeatAmongMany() throws {
    let validator = try Self.validator()
    var columns = validator.makeColumns()
    let many = (0..<40).map { "\"u\($0)\":\($0)" }.joined(separator: ",")
    #expect(check(validator, Self.head + many + #","x":1}"#, &columns) == nil)
    let escaped = check(validator, Self.head + many + #","u\u00317":0}"#, &columns)
    #expect(escaped?.reason == .duplicateKeyInLine)
    #expect(escaped?.field == "u17")
    let unescapedLater = check(validator, Self.head + #""\u0075\u0033":0,"# + many + "}", &columns)
    #expect(unescapedLater?.reason == .duplicateKeyInLine)
    #expect(unescapedLater?.field == "u3")
    let few = check(validator, Self.head + #""a":1,"b":2,"c":3,"b":4,"a":5}"#, &columns)
    #expect(few?.field == "a")
    #expect(columns[validator.extraColumn].count == 1)
  }

  @Test("counts by name over many lines, escaped and plain spellings together")
  func countsByName() throws {
    let validator = try Self.validator()
    var columns = validator.makeColumns()
    for i in 0..<500 {
      let key = i % 2 == 0 ? #""w\u0031""# : #""w1""#
      #expect(check(validator, Self.head + key + #":1,"v\#(i % 3)":2}"#, &columns) == nil)
    }
    let counts = Dictionary(
      uniqueKeysWithValues: validator.unknownKeyCounts.map { ($0.key, $0.count) })
    #expect(counts == ["w1": 500, "v0": 167, "v1": 167, "v2": 166])
    #expect(validator.untrackedUnknownKeys == 0)
  }
}
