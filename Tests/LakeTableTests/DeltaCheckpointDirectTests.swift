import Foundation
import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

@testable import LakeTable

private let directPython = ProcessInfo.processInfo.environment["LH_PEERS_PYTHON"]

/// The actions of a checkpoint file read one way: leaves straight into actions (`direct`), or
/// every column through the generic nested reader.
private func actions(_ path: String, direct: Bool) throws -> [DeltaAction] {
  var out: [DeltaAction] = []
  try DeltaCheckpointCodec.forEachAction(file: path, table: "t", direct: direct) { out.append($0) }
  return out
}

/// The checkpoint bytes the writer made before it wrote leaves directly: each action as a
/// NestedValue row through the generic nested writer (the reference the direct writer must
/// match byte for byte).
private func referenceEncode(_ actions: [DeltaAction], rowGroupRows: Int = 1 << 20) throws
  -> [UInt8]
{
  func text(_ s: String?) -> NestedValue { s.map { .string($0) } ?? .null }
  func int(_ v: Int64?) -> NestedValue { v.map { .int($0) } ?? .null }
  func map(_ m: [String: String?]) -> NestedValue {
    .map(
      m.keys.sorted().map { k in
        NestedEntry(key: .string(k), value: (m[k] ?? nil).map { .string($0) } ?? .null)
      })
  }
  let features = actions.contains {
    if case .protocol(let p) = $0 {
      p.readerFeatures != nil || p.writerFeatures != nil
    } else {
      false
    }
  }
  var rows: [[NestedValue]] = []
  for action in actions {
    var row = [NestedValue](repeating: .null, count: 5)
    switch action {
    case .txn(let t):
      row[0] = .record([.string(t.appId), .int(t.version), int(t.lastUpdated)])
    case .add(let a):
      row[1] = .record([
        .string(a.path), map(a.partitionValues), .int(a.size), .int(a.modificationTime),
        .boolean(a.dataChange), text(a.stats), .null,
      ])
    case .remove(let r):
      row[2] = .record([
        .string(r.path), int(r.deletionTimestamp), .boolean(r.dataChange),
        .boolean(r.partitionValues != nil && r.size != nil), r.partitionValues.map(map) ?? .null,
        int(r.size),
      ])
    case .metaData(let m):
      row[3] = .record([
        .string(m.id), text(m.name), text(m.description),
        .record([.string(m.provider), .map([])]), .string(m.schemaString),
        .list(m.partitionColumns.map { .string($0) }),
        map(m.configuration.mapValues { Optional($0) }), int(m.createdTime),
      ])
    case .protocol(let p):
      var values: [NestedValue] = [
        .int(Int64(p.minReaderVersion)), .int(Int64(p.minWriterVersion)),
      ]
      if features {
        values.append(p.readerFeatures.map { .list($0.map { .string($0) }) } ?? .null)
        values.append(p.writerFeatures.map { .list($0.map { .string($0) }) } ?? .null)
      }
      row[4] = .record(values)
    case .commitInfo, .sidecar, .other:
      continue
    }
    rows.append(row)
  }
  return try ParquetNestedWriter.encode(
    fields: DeltaCheckpointCodec.fields(features: features), rows: rows,
    rowGroupRows: rowGroupRows)
}

/// Actions of every shape a checkpoint holds, nulls and empty maps and lists included, in an
/// order that interleaves the action columns.
private func mixedActions(features: Bool) -> [DeltaAction] {
  var proto = DeltaProtocol(minReaderVersion: features ? 3 : 1, minWriterVersion: 7)
  if features {
    proto.readerFeatures = []
    proto.writerFeatures = ["appendOnly", "invariants"]
  }
  var meta = DeltaMetadata(
    id: "m", schemaString: "{}", partitionColumns: features ? [] : ["d", "r"], createdTime: nil)
  meta.description = "d"
  meta.configuration = ["b": "2", "a": "1"]
  var out: [DeltaAction] = [.txn(DeltaTxn(appId: "first", version: 1, lastUpdated: nil))]
  out.append(.metaData(meta))
  for i in 0..<700 {
    let pv: [String: String?] =
      switch i % 5 {
      case 0: [:]
      case 1: ["d": nil]
      case 2: ["d": "2024-01-0\(i % 7)", "r": i % 3 == 0 ? nil : "eu"]
      case 3: ["r": "", "d": "x\(i % 2)", "q": "y"]
      default: ["d": "2024-01-0\(i % 7)"]
      }
    out.append(
      .add(
        DeltaAdd(
          path: "p/\(i)-ü.parquet", partitionValues: pv, size: Int64(i) - 3,
          modificationTime: Int64(i) * 1000, dataChange: i % 2 == 1,
          stats: i % 4 == 0 ? nil : "{\"numRecords\":\(i)}")))
    if i % 97 == 0 {
      out.append(
        .remove(
          DeltaRemove(
            path: "r/\(i)", deletionTimestamp: i % 2 == 0 ? nil : Int64(i), dataChange: i % 3 == 0,
            partitionValues: i % 2 == 0 ? nil : pv, size: i % 2 == 0 ? nil : Int64(i))))
    }
    if i % 250 == 0 {
      out.append(.txn(DeltaTxn(appId: "app-\(i)", version: Int64(i), lastUpdated: Int64(i + 1))))
    }
    if i == 350 { out.append(.protocol(proto)) }
  }
  return out
}

@Suite("Delta checkpoint codec, direct leaves")
struct DeltaCheckpointDirectTests {
  @Test("the direct writer's bytes are the generic nested writer's, row groups included")
  func writerMatchesGeneric() throws {
    for features in [false, true] {
      let actions = mixedActions(features: features)
      #expect(
        try DeltaCheckpointCodec.encode(actions) == referenceEncode(actions), "features \(features)"
      )
      #expect(
        try DeltaCheckpointCodec.encode(actions, rowGroupRows: 64)
          == referenceEncode(actions, rowGroupRows: 64), "features \(features), row groups of 64")
    }
    #expect(try DeltaCheckpointCodec.encode([]) == referenceEncode([]))
  }

  @Test("the direct reader gives the generic reader's actions, over several row groups")
  func readerMatchesGeneric() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    for (features, rows) in [(false, 1 << 20), (true, 64), (false, 1)] {
      let expected = mixedActions(features: features)
      let path = dir.appendingPathComponent("c\(rows).checkpoint.parquet").path
      try Data(DeltaCheckpointCodec.encode(expected, rowGroupRows: rows)).write(
        to: URL(fileURLWithPath: path))
      let generic = try actions(path, direct: false)
      #expect(generic == expected)
      #expect(try actions(path, direct: true) == generic)
    }
  }

  @Test("adds of one partition share one partitionValues dictionary")
  func sharedPartitionValues() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let path = dir.appendingPathComponent("s.checkpoint.parquet").path
    let adds: [DeltaAction] = (0..<10).map {
      .add(
        DeltaAdd(
          path: "f\($0)", partitionValues: ["d": "2024-01-0\($0 % 2)"], size: 1,
          modificationTime: 1, dataChange: true, stats: nil))
    }
    try Data(DeltaCheckpointCodec.encode([.protocol(DeltaProtocol())] + adds)).write(
      to: URL(fileURLWithPath: path))
    let read = try actions(path, direct: true).compactMap {
      if case .add(let a) = $0 { a } else { nil }
    }
    func identity(_ d: [String: String?]) -> ObjectIdentifier? {
      // Equal dictionaries sharing storage are one allocation.
      withUnsafeBytes(of: d) { $0.load(as: AnyObject?.self).map(ObjectIdentifier.init) }
    }
    #expect(read.count == 10)
    #expect(identity(read[0].partitionValues) == identity(read[2].partitionValues))
    #expect(identity(read[1].partitionValues) == identity(read[9].partitionValues))
    #expect(identity(read[0].partitionValues) != identity(read[1].partitionValues))
  }

  @Test("a column of another shape goes the generic way; errors name the row (was one too far)")
  func otherShapes() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let path = dir.appendingPathComponent("o.checkpoint.parquet").path
    // size as a string: not a direct shape; the generic reader names the field.
    let fields = [
      NestedField(
        "add",
        .record([
          NestedField("path", .leaf(.string)), NestedField("size", .leaf(.string)),
        ]))
    ]
    try Data(
      ParquetNestedWriter.encode(fields: fields, rows: [[.record([.string("a"), .string("1")])]])
    ).write(to: URL(fileURLWithPath: path))
    #expect {
      try actions(path, direct: true)
    } throws: { e in
      "\(e)" == path + ": row group 0 row 0: 'size' is not an integer"
    }
    // An add without a path: the same error both ways.
    let noPath = [
      NestedField(
        "add",
        .record([NestedField("path", .leaf(.string)), NestedField("size", .leaf(.int64))]))
    ]
    try Data(
      ParquetNestedWriter.encode(
        fields: noPath, rows: [[.record([.string("a"), .int(1)])], [.record([.null, .int(2)])]])
    ).write(to: URL(fileURLWithPath: path))
    for direct in [true, false] {
      #expect {
        try actions(path, direct: direct)
      } throws: { e in
        "\(e)" == path + ": row group 0 row 1: add without 'path'"
      }
    }
  }

  @Test("corrupt bytes in an uncompressed checkpoint are errors or actions, never a trap")
  func corrupt() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let path = dir.appendingPathComponent("x.checkpoint.parquet").path
    var options = ParquetWriteOptions()
    options.codec = .uncompressed
    let good = try DeltaCheckpointCodec.encode(
      Array(mixedActions(features: false).prefix(40)), options: options)
    // Every byte of the data pages (the footer's own checks are the generic reader's).
    var read = 0
    var failed = 0
    for at in stride(from: 4, to: good.count - 8, by: 3) {
      var bytes = good
      bytes[at] ^= at % 2 == 0 ? 0xFF : 0x01
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      do {
        _ = try actions(path, direct: true)
        read += 1
      } catch let e as DeltaLogError {
        #expect("\(e)".hasPrefix(path + ": ") && !"\(e)".contains("\n"))
        failed += 1
      }
    }
    #expect(read > 0 && failed > 0)
  }

  @Test(
    "peer-written checkpoints (dictionary pages, required fields, v2 pages) read the same both ways",
    .enabled(if: directPython != nil))
  func peerShapes() throws {
    let python = try #require(directPython)
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let script = """
      import sys, pyarrow as pa, pyarrow.parquet as pq
      out = sys.argv[1]
      m = pa.map_(pa.string(), pa.string())
      add = pa.struct([pa.field('path', pa.string(), nullable=False), ('partitionValues', m),
          pa.field('size', pa.int64(), nullable=False), ('modificationTime', pa.int64()),
          ('dataChange', pa.bool_()), ('stats', pa.string()), ('tags', m)])
      rem = pa.struct([('path', pa.string()), ('deletionTimestamp', pa.int64()), ('dataChange', pa.bool_()),
          ('extendedFileMetadata', pa.bool_()), ('partitionValues', m), ('size', pa.int64())])
      txn = pa.struct([('appId', pa.string()), ('version', pa.int64()), ('lastUpdated', pa.int64())])
      proto = pa.struct([('minReaderVersion', pa.int32()), ('minWriterVersion', pa.int32())])
      schema = pa.schema([('txn', txn), ('add', add), ('remove', rem), ('protocol', proto)])
      rows = [{'protocol': {'minReaderVersion': 1, 'minWriterVersion': 2}}]
      rows.append({'txn': {'appId': 'a', 'version': 3, 'lastUpdated': None}})
      for i in range(3000):
          pv = [('d', '2024-01-%02d' % (1 + i % 9))] + ([('h', None)] if i % 4 == 0 else [])
          rows.append({'add': {'path': 'd=%d/f-%d.parquet' % (i % 9, i), 'partitionValues': pv if i % 11 else [],
              'size': i, 'modificationTime': None if i % 7 == 0 else i, 'dataChange': i % 2 == 0,
              'stats': None if i % 5 == 0 else '{"numRecords":%d}' % i, 'tags': [('k', 'v')] if i % 3 == 0 else None}})
          if i % 500 == 0:
              rows.append({'remove': {'path': 'old-%d' % i, 'deletionTimestamp': i, 'dataChange': True,
                  'extendedFileMetadata': i % 1000 == 0, 'partitionValues': pv if i % 1000 == 0 else None, 'size': i}})
      t = pa.Table.from_pylist(rows, schema)
      pq.write_table(t, out + '/dict.parquet', use_dictionary=True, row_group_size=700, data_page_size=2048)
      pq.write_table(t, out + '/v2.parquet', use_dictionary=False, data_page_version='2.0', compression='snappy')
      """
    let r = try TestTools.run(python, ["-c", script, dir.path])
    try #require(r.status == 0, "\(r.output)\(r.stderr)")
    for name in ["dict.parquet", "v2.parquet"] {
      let path = dir.appendingPathComponent(name).path
      let generic = try actions(path, direct: false)
      #expect(generic.count == 2 + 3000 + 6)
      #expect(try actions(path, direct: true) == generic, "\(name)")
    }
  }
}
