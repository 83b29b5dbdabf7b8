import Foundation
import LakeFormats
import LakeTestSupport
import Testing

private let nestedPython = ProcessInfo.processInfo.environment["LH_PEERS_PYTHON"]

/// A schema with every kind of nesting: lists, maps, records, list<record>, list<list>, and
/// nullable and required parts at every level.
let nestedFields: [NestedField] = [
  NestedField("id", .leaf(.int64), nullable: false),
  NestedField("tags", .list(element: NestedField("element", .leaf(.string)))),
  NestedField(
    "attrs",
    .map(
      key: NestedField("key", .leaf(.string), nullable: false),
      value: NestedField("value", .leaf(.int32)))),
  NestedField(
    "point",
    .record([
      NestedField("x", .leaf(.double), nullable: false), NestedField("y", .leaf(.double)),
      NestedField(
        "labels",
        .list(element: NestedField("element", .leaf(.string), nullable: false)),
        nullable: false),
    ])),
  NestedField(
    "events",
    .list(
      element: NestedField(
        "element",
        .record([
          NestedField("ts", .leaf(.timestamp)), NestedField("ok", .leaf(.boolean)),
          NestedField("amount", .leaf(.decimal(precision: 10, scale: 2))),
        ])))),
  NestedField(
    "grid",
    .list(
      element: NestedField("element", .list(element: NestedField("element", .leaf(.int64)))))),
  NestedField("day", .leaf(.date)),
]

/// Row `i` of the nested data: nulls and empties at every level, cycling.
func nestedRow(_ i: Int) -> [NestedValue] {
  let s = { (t: String) in NestedValue.string(t) }
  let tags: NestedValue =
    switch i % 5 {
    case 0: .null
    case 1: .list([])
    case 2: .list([s("a\(i)")])
    case 3: .list([s("b"), .null, s("c\(i)")])
    default: .list([.null])
    }
  let attrs: NestedValue =
    switch i % 4 {
    case 0: .map([])
    case 1: .null
    case 2: .map([NestedEntry(key: s("k"), value: .int(Int64(i % 1000)))])
    default:
      .map([
        NestedEntry(key: s("a"), value: .null), NestedEntry(key: s("b"), value: .int(-7)),
      ])
    }
  let point: NestedValue =
    i % 3 == 0
    ? .null
    : .record([
      .double(Double(i) / 4), i % 2 == 0 ? .null : .double(-1.5),
      .list(i % 7 == 0 ? [] : [s("p"), s("q\(i)")]),
    ])
  let events: NestedValue =
    switch i % 6 {
    case 0: .null
    case 1: .list([])
    case 2: .list([.null])
    case 3: .list([.record([.null, .null, .null])])
    default:
      .list([
        .record([.int(1_700_000_000_000_000 + Int64(i)), .boolean(true), .int(12345)]),
        .record([.int(-5), .boolean(false), .null]),
        .null,
      ])
    }
  let grid: NestedValue =
    switch i % 4 {
    case 0: .list([.list([.int(1), .int(2)]), .list([]), .null, .list([.null, .int(3)])])
    case 1: .list([.list([])])
    case 2: .null
    default: .list([.list([.int(Int64(i))])])
    }
  return [
    .int(Int64(i)), tags, attrs, point, events, grid, i % 9 == 0 ? .null : .int(Int64(19_000 + i)),
  ]
}

func readAll(_ file: ParquetNestedFile, _ columns: [String]) throws -> [[NestedValue]] {
  var out: [[NestedValue]] = []
  try file.forEachRow(columns: columns) { out.append($0) }
  return out
}

@Suite("Nested Parquet")
struct NestedParquetTests {
  @Test(
    "nested rows round-trip: nulls at every level, empty lists and maps, many pages and row groups",
    arguments: [CompressionCodec.zstd, .uncompressed, .snappy, .gzip])
  func roundTrip(codec: CompressionCodec) throws {
    let rows = (0..<3000).map(nestedRow)
    var options = ParquetWriteOptions()
    options.codec = codec
    options.maxPageRows = 170
    let bytes = try ParquetNestedWriter.encode(
      fields: nestedFields, rows: rows, options: options, rowGroupRows: 1100)
    let file = try ParquetNestedFile(bytes: bytes, name: "t.parquet")
    #expect(file.fields == nestedFields)
    #expect(file.rowCount == 3000)
    #expect(file.rowGroupCount == 3)
    let back = try readAll(file, nestedFields.map(\.name))
    #expect(back.count == rows.count)
    for (i, (a, b)) in zip(rows, back).enumerated() where a != b {
      Issue.record("row \(i) differs: \(a) vs \(b)")
      break
    }
  }

  @Test("a projection reads only the columns asked for, in their order; unknown names are null")
  func projection() throws {
    let rows = (0..<50).map(nestedRow)
    let bytes = try ParquetNestedWriter.encode(fields: nestedFields, rows: rows)
    let file = try ParquetNestedFile(bytes: bytes, name: "t.parquet")
    let back = try readAll(file, ["grid", "nope", "id"])
    for (i, r) in back.enumerated() {
      #expect(r == [rows[i][5], .null, rows[i][0]])
    }
    // Excluding a part of a record reads it as null.
    var out: [NestedValue] = []
    try file.forEachRow(columns: ["point"], excluding: [["point", "labels"]]) { out.append($0[0]) }
    for (i, v) in out.enumerated() {
      if case .record(let f) = rows[i][3] {
        #expect(v == .record([f[0], f[1], .null]))
      } else {
        #expect(v == .null)
      }
    }
  }

  @Test("chosen rows of a row group read as those rows of the whole (the rest passed over)")
  func chosenRows() throws {
    let rows = (0..<700).map(nestedRow)
    var options = ParquetWriteOptions()
    options.maxPageRows = 90
    let bytes = try ParquetNestedWriter.encode(
      fields: nestedFields, rows: rows, options: options, rowGroupRows: 400)
    let file = try ParquetNestedFile(bytes: bytes, name: "t.parquet")
    let names = nestedFields.map(\.name)
    for chosen in [
      [], [0], [399], [3, 4, 5, 90, 91, 250, 398], Array(stride(from: 1, to: 400, by: 7)),
    ] {
      for g in 0..<2 {
        let base = g * 400
        let inGroup = chosen.filter { base + $0 < rows.count }
        var got: [(Int, [NestedValue])] = []
        try file.forEachRow(rowGroup: g, rows: inGroup, columns: names, excluding: []) {
          got.append(($0, $1))
        }
        #expect(got.map(\.0) == inGroup)
        for (r, values) in got where values != rows[base + r] {
          Issue.record("row group \(g) row \(r) differs")
        }
      }
    }
    #expect(throws: ParquetError.self) {
      try file.forEachRow(rowGroup: 0, rows: [5, 2], columns: names, excluding: []) { _, _ in }
    }
  }

  @Test("corrupt nested files are errors naming the file, never traps")
  func corrupt() throws {
    let rows = (0..<200).map(nestedRow)
    var options = ParquetWriteOptions()
    options.codec = .uncompressed
    let bytes = try ParquetNestedWriter.encode(fields: nestedFields, rows: rows, options: options)
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<300 {
      var b = bytes
      let at = Int.random(in: 4..<(b.count - 8), using: &rng)
      b[at] ^= UInt8.random(in: 1...255, using: &rng)
      do {
        let f = try ParquetNestedFile(bytes: b, name: "bad.parquet")
        _ = try readAll(f, nestedFields.map(\.name))
      } catch let e as ParquetError {
        #expect(e.description.hasPrefix("bad.parquet: "))
      }
    }
  }

  @Test("JSON of nested values: records, lists, maps, dates, timestamps, decimals, binary, NaN")
  func json() {
    let type = NestedType.record([
      NestedField("d", .leaf(.date)), NestedField("ts", .leaf(.timestamp)),
      NestedField("dec", .leaf(.decimal(precision: 10, scale: 2))),
      NestedField("big", .leaf(.decimal(precision: 30, scale: 3))),
      NestedField("bin", .leaf(.binary)), NestedField("x", .leaf(.double)),
      NestedField(
        "m",
        .map(key: NestedField("key", .leaf(.string)), value: NestedField("value", .leaf(.int64)))),
      NestedField(
        "mi",
        .map(key: NestedField("key", .leaf(.int32)), value: NestedField("value", .leaf(.string)))),
      NestedField("l", .list(element: NestedField("element", .leaf(.string)))),
    ])
    let v = NestedValue.record([
      .int(19_723), .int(1_704_067_200_123_000), .int(-5), .int128(-1_234_567),
      .bytes([0, 1, 2, 250]), .double(.nan),
      .map([NestedEntry(key: .string("a\"b"), value: .int(1))]),
      .map([NestedEntry(key: .int(3), value: .null)]),
      .list([.string("x"), .null]),
    ])
    #expect(
      v.json(type)
        == #"{"d":"2024-01-01","ts":"2024-01-01T00:00:00.123Z","dec":-0.05,"big":-1234.567,"#
        + #""bin":"AAEC+g==","x":"NaN","m":{"a\"b":1},"mi":[{"key":3,"value":null}],"#
        + #""l":["x",null]}"#)
  }

  @Test(
    "pyarrow's nested files read equal in lh (snappy, dictionary, data page v2), and lh's in pyarrow",
    .enabled(if: nestedPython != nil))
  func peers() throws {
    let python = try #require(nestedPython)
    let dir = try TestTools.temporaryDirectory("lh-nested")
    let rows = (0..<400).map(nestedRow)
    var options = ParquetWriteOptions()
    options.maxPageRows = 64
    let lhFile = dir.appendingPathComponent("lh.parquet").path
    try Data(
      ParquetNestedWriter.encode(
        fields: nestedFields, rows: rows, options: options, rowGroupRows: 150)
    ).write(to: URL(fileURLWithPath: lhFile))
    // pyarrow reads lh's file and writes it back in several styles; lh must read each equal.
    let script = """
      import sys, pyarrow.parquet as pq
      src, out = sys.argv[1], sys.argv[2]
      t = pq.read_table(src)
      assert t.num_rows == 400, t.num_rows
      rows = t.to_pylist()
      assert rows[3]['tags'] == ['b', None, 'c3'], rows[3]['tags']
      assert rows[2]['attrs'] == [('k', 2)], rows[2]['attrs']
      assert rows[0]['grid'] == [[1, 2], [], None, [None, 3]], rows[0]['grid']
      assert rows[4]['events'][0]['amount'] == __import__('decimal').Decimal('123.45'), rows[4]['events']
      pq.write_table(t, out + '/snappy.parquet', compression='snappy', row_group_size=100)
      pq.write_table(t, out + '/v2.parquet', compression='zstd', data_page_version='2.0', data_page_size=2000)
      pq.write_table(t, out + '/plain.parquet', compression='gzip', use_dictionary=False, data_page_size=500)
      pq.write_table(t, out + '/item.parquet', compression='none', use_compliant_nested_type=False)
      """
    let r = try TestTools.run(python, ["-c", script, lhFile, dir.path])
    try #require(r.status == 0, "\(r.output)\(r.stderr)")
    for name in ["snappy", "v2", "plain", "item"] {
      let file = try ParquetNestedFile(path: dir.appendingPathComponent(name + ".parquet").path)
      let back = try readAll(file, nestedFields.map(\.name))
      #expect(back.count == rows.count, "\(name)")
      for (i, (a, b)) in zip(rows, back).enumerated() where a != b {
        Issue.record("\(name): row \(i) differs: \(a) vs \(b)")
        break
      }
    }
  }
}
