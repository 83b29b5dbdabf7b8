import Foundation
import LakeFormats
import LakeIO
import LakeTable
import LakeTestSupport
import Testing

/// What lh reads of peers' tables, piece by piece: schemas, partition values, reader features,
/// column mapping and type widening (the end-to-end proof against deltalake and pyarrow is
/// `PeerFeatureTests`).
@Suite("Reading peers' table features")
struct PeerFeatureReadTests {
  func values(_ text: String?, _ type: ColumnType) -> ColumnBuffer? {
    var out = ColumnBuffer(type: type)
    return PartitionPath.appendValue(text, to: &out, rows: 2) ? out : nil
  }

  @Test("every primitive partition type parses as Delta serializes it")
  func partitionValues() throws {
    #expect(values("1.5", .double)?.doubles == [1.5, 1.5])
    #expect(values("-0", .double)?.doubles.first?.sign == .minus)
    #expect(values("NaN", .double)?.doubles.first?.isNaN == true)
    #expect(values("Infinity", .double)?.doubles.first == .infinity)
    #expect(values("1e+16", .double)?.doubles.first == 1e16)
    #expect(values("2.5", .float)?.floats == [2.5, 2.5])
    #expect(values("-128", .int32)?.int32s == [-128, -128])
    #expect(values("9223372036854775807", .int64)?.int64s.first == Int64.max)
    #expect(values("TRUE", .boolean)?.booleans == [true, true])
    #expect(values("yes", .boolean) == nil)
    #expect(values("2024-01-02", .date)?.int32s.first == 19724)
    #expect(values("2024-01-02 03", .date) == nil)
    let micros: Int64 = 1_704_164_645_123_456
    #expect(values("2024-01-02 03:04:05.123456", .timestamp)?.int64s.first == micros)
    #expect(values("2024-01-02T03:04:05.123456Z", .timestamp)?.int64s.first == micros)
    #expect(values("2024-01-02T04:04:05.123456+01:00", .timestamp)?.int64s.first == micros)
    #expect(values("2024-01-02 03:04:05.123456", .timestampNtz)?.int64s.first == micros)
    #expect(values("1969-12-31 23:59:59", .timestampNtz)?.int64s.first == -1_000_000)
    #expect(
      values("\\u0000\\u0001\\u0061b", .binary).map { Array($0.bytes(at: 0)) } == [
        0, 1, 0x61, 0x62,
      ])
    #expect(values("é", .binary).map { Array($0.bytes(at: 1)) } == [0xC3, 0xA9])
    let d38 = values("12345678901234567890123456789012.123456", .decimal(precision: 38, scale: 6))
    #expect(d38?.int128s.first == 12_345_678_901_234_567_890_123_456_789_012_123_456)
    #expect(values("-1.5", .decimal(precision: 10, scale: 2))?.int64s.first == -150)
    #expect(values("1E-9", .decimal(precision: 38, scale: 9))?.int128s.first == 1)
    #expect(values("1.230", .decimal(precision: 4, scale: 2))?.int64s.first == 123)
    #expect(values("1.235", .decimal(precision: 4, scale: 2)) == nil)
    #expect(values("123.4", .decimal(precision: 4, scale: 2)) == nil)
    for empty in [nil, "", "__HIVE_DEFAULT_PARTITION__"] {
      #expect(values(empty, .double)?.nullCount == 2)
    }
  }

  @Test("schemas: nested columns read as json, void dropped, variant and unknown types refused")
  func schemas() throws {
    let text = """
      {"type":"struct","fields":[
        {"name":"id","type":"long","nullable":false,"metadata":{"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-1"}},
        {"name":"t","type":"timestamp_ntz","nullable":true,"metadata":{}},
        {"name":"gone","type":"void","nullable":true,"metadata":{}},
        {"name":"d","type":"decimal(38,9)","nullable":true,"metadata":{}},
        {"name":"s","type":{"type":"struct","fields":[{"name":"a","type":{"type":"array","elementType":"integer","containsNull":true},"nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
        {"name":"m","type":{"type":"map","keyType":"string","valueType":{"type":"map","keyType":"string","valueType":"double","valueContainsNull":true},"valueContainsNull":false},"nullable":true,"metadata":{}}
      ]}
      """
    let fields = try DeltaSchema.fields(from: text, table: "t")
    #expect(fields.map(\.name) == ["id", "t", "d", "s", "m"])
    #expect(fields[0].physicalName == "col-1" && fields[0].columnId == 1)
    #expect(
      try DeltaSchema.tableSchema(from: text, table: "t").columns.map(\.type) == [
        .int64, .timestampNtz, .decimal(precision: 38, scale: 9), .json, .json,
      ])
    #expect(try DeltaSchema.tableSchema(from: "", table: "t").columns.isEmpty)
    let variant =
      #"{"type":"struct","fields":[{"name":"v","type":"variant","nullable":true,"metadata":{}}]}"#
    #expect {
      try DeltaSchema.tableSchema(from: variant, table: "t")
    } throws: {
      "\($0)"
        == "t: schema: column 'v' has type variant (table feature variantType), which lh does not read"
    }
    let nestedVariant =
      #"{"type":"struct","fields":[{"name":"s","type":{"type":"array","elementType":"variant","containsNull":true},"nullable":true,"metadata":{}}]}"#
    #expect {
      try DeltaSchema.tableSchema(from: nestedVariant, table: "t")
    } throws: { "\($0)".contains("column 's[]' has type variant") }
    let interval =
      #"{"type":"struct","fields":[{"name":"i","type":"interval day to second","nullable":true,"metadata":{}}]}"#
    #expect {
      try DeltaSchema.tableSchema(from: interval, table: "t")
    } throws: {
      "\($0)".contains("column 'i' has type 'interval day to second', which lh does not read")
    }
  }

  @Test("type widening: int → long, float → double, date → timestamp_ntz, wider decimals")
  func widening() throws {
    var ints = ColumnBuffer(type: .int32)
    ints.append(Int32(-5))
    ints.appendNull()
    #expect(ints.widened(to: .int64)?.int64s == [-5, 0])
    #expect(ints.widened(to: .int64)?.nullCount == 1)
    #expect(ints.widened(to: .double)?.doubles.first == -5)
    #expect(ints.widened(to: .decimal(precision: 12, scale: 2))?.int64s.first == -500)
    #expect(ints.widened(to: .decimal(precision: 11, scale: 2)) == nil)
    #expect(ints.widened(to: .string) == nil)
    var days = ColumnBuffer(type: .date)
    days.append(Int32(1))
    #expect(days.widened(to: .timestampNtz)?.int64s == [86_400_000_000])
    #expect(days.widened(to: .timestamp) == nil)
    var money = ColumnBuffer(type: .decimal(precision: 6, scale: 2))
    money.append(Int64(-1))
    let wide = money.widened(to: .decimal(precision: 38, scale: 10))
    #expect(wide?.int128s == [-100_000_000])
    #expect(money.widened(to: .decimal(precision: 6, scale: 3)) == nil)
    var floats = ColumnBuffer(type: .float)
    floats.append(Float(1.25))
    #expect(floats.widened(to: .double)?.doubles == [1.25])
  }

  func writeLog(_ table: String, _ lines: [String]) throws {
    try FileManager.default.createDirectory(
      atPath: table + "/_delta_log", withIntermediateDirectories: true)
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(
      to: URL(fileURLWithPath: table + "/_delta_log/00000000000000000000.json"))
  }

  func protocolLine(_ reader: Int, _ features: [String]) -> String {
    let list = features.map { "\"\($0)\"" }.joined(separator: ",")
    return
      #"{"protocol":{"minReaderVersion":\#(reader),"minWriterVersion":7,"readerFeatures":[\#(list)],"writerFeatures":[\#(list)]}}"#
  }

  static let meta =
    #"{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{}}}"#

  @Test("reader features: the ones lh honours are read, an unknown one is refused by name")
  func readerFeatures() throws {
    let dir = try TestTools.temporaryDirectory()
    for (i, features) in [
      ["timestampNtz"], ["columnMapping"], ["deletionVectors"], ["v2Checkpoint"],
      ["vacuumProtocolCheck"], ["typeWidening"], ["typeWidening-preview"], ["variantType"], [],
    ].enumerated() {
      let table = dir.appendingPathComponent("ok\(i)").path
      try writeLog(table, [protocolLine(3, features), Self.meta])
      #expect(try DeltaLog.snapshot(table: table).schema.columns.map(\.name) == ["id"])
    }
    let v2 = dir.appendingPathComponent("v2").path
    try writeLog(v2, [#"{"protocol":{"minReaderVersion":2,"minWriterVersion":5}}"#, Self.meta])
    #expect(try DeltaLog.snapshot(table: v2).version == 0)
    let unknown = dir.appendingPathComponent("unknown").path
    try writeLog(unknown, [protocolLine(3, ["timestampNtz", "fancyThing"]), Self.meta])
    #expect {
      try DeltaLog.snapshot(table: unknown)
    } throws: {
      ($0 as? DeltaLogError)?.category == .data
        && "\($0)".hasPrefix(
          "\(unknown): unsupported table feature 'fancyThing' (reader version 3)")
    }
    let four = dir.appendingPathComponent("four").path
    try writeLog(four, [protocolLine(4, []), Self.meta])
    #expect {
      try DeltaLog.snapshot(table: four)
    } throws: { "\($0)".contains("reader version 4; lh reads 1 to 3") }
  }

  @Test("a metaData without schemaString is a table without columns, and a later one wins")
  func schemalessMetadata() throws {
    let dir = try TestTools.temporaryDirectory()
    let table = dir.appendingPathComponent("t").path
    try writeLog(
      table,
      [
        #"{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}"#,
        #"{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"partitionColumns":[],"configuration":{}}}"#,
      ])
    let s = try DeltaLog.snapshot(table: table)
    #expect(s.schema.columns.isEmpty && s.files.isEmpty)
    var batches = 0
    try DeltaScan.forEachBatch(s) { _ in batches += 1 }
    #expect(batches == 0)
  }

  @Test("column mapping: honoured only with the feature, modes none, name and id")
  func columnMapping() throws {
    var p = DeltaProtocol(minReaderVersion: 1, minWriterVersion: 2)
    var m = DeltaMetadata(id: "x", schemaString: "", partitionColumns: [], createdTime: nil)
    m.configuration["delta.columnMapping.mode"] = "name"
    let field = DeltaField(
      name: "a", type: .primitive("long"), nullable: true, physicalName: "col-a", columnId: 7)
    #expect(try DeltaColumnMapping(p, m, table: "t").physicalName(field) == "a")
    p.minReaderVersion = 2
    #expect(try DeltaColumnMapping(p, m, table: "t").physicalName(field) == "col-a")
    #expect(try DeltaColumnMapping(p, m, table: "t").fieldId(field) == nil)
    m.configuration["delta.columnMapping.mode"] = "id"
    #expect(try DeltaColumnMapping(p, m, table: "t").fieldId(field) == 7)
    m.configuration["delta.columnMapping.mode"] = "none"
    #expect(try DeltaColumnMapping(p, m, table: "t").physicalName(field) == "a")
    m.configuration["delta.columnMapping.mode"] = "guess"
    #expect {
      try DeltaColumnMapping(p, m, table: "t")
    } throws: { "\($0)".contains("unsupported delta.columnMapping.mode 'guess'") }
  }

  @Test("writing: timestamp_ntz keeps its type (isAdjustedToUTC=false), a nested column is refused")
  func writing() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("ntz.parquet").path
    var ts = ColumnBuffer(type: .timestampNtz)
    ts.append(Int64(1_704_164_645_123_456))
    ts.appendNull()
    let writer = try ParquetFileWriter(
      path: path, schema: TableSchema([ColumnSpec("t", .timestampNtz)]))
    try writer.write([ts])
    _ = try writer.close()
    let reader = try ParquetFileReader(path: path)
    #expect(reader.schema.columns.map(\.type) == [.timestampNtz])
    #expect(try reader.readRowGroup(0)[0].int64s.first == 1_704_164_645_123_456)
    #expect {
      try ParquetFileWriter(
        path: dir.appendingPathComponent("json.parquet").path,
        schema: TableSchema([ColumnSpec("s", .json)]))
    } throws: {
      let text = "\($0)"
      return (($0 as? LakeError)?.category == .data) && !text.contains("\n")
        && text.contains("writing a nested (struct, array or map) column")
    }
    #expect(
      !FileManager.default.fileExists(atPath: dir.appendingPathComponent("json.parquet").path))
  }
}
