import Foundation
import LakeFormats
import LakeIO
import LakeTable
import LakeTestSupport
import Testing

private let checkpointPython = ProcessInfo.processInfo.environment["LH_PEERS_PYTHON"]

func checkpointActions(in path: String) throws -> [DeltaAction] {
  var out: [DeltaAction] = []
  try DeltaCheckpointCodec.forEachAction(file: path, table: "t") { out.append($0) }
  return out
}

/// Stats texts as parsed JSON (writers differ in key order and number spelling).
func statsObject(_ s: String?) -> NSDictionary? {
  guard let s, let d = s.data(using: .utf8) else { return nil }
  return (try? JSONSerialization.jsonObject(with: d)) as? NSDictionary
}

@Suite("Delta checkpoint codec")
struct DeltaCheckpointCodecTests {
  @Test("actions round-trip through a checkpoint file, absent optional fields included")
  func roundTrip() throws {
    var proto = DeltaProtocol(minReaderVersion: 3, minWriterVersion: 7)
    proto.readerFeatures = ["timestampNtz"]
    proto.writerFeatures = ["timestampNtz", "appendOnly"]
    var meta = DeltaMetadata(
      id: "id-1", schemaString: #"{"type":"struct","fields":[]}"#, partitionColumns: ["d", "r"],
      createdTime: 1_700_000_000_000)
    meta.name = "events"
    meta.configuration = ["delta.checkpointInterval": "5"]
    var actions: [DeltaAction] = [.protocol(proto), .metaData(meta)]
    actions.append(.txn(DeltaTxn(appId: "lh-silver:orders", version: 42, lastUpdated: nil)))
    for i in 0..<2500 {
      actions.append(
        .add(
          DeltaAdd(
            path: "d=2024-01-0\(i % 3)/part-\(i).parquet",
            partitionValues: ["d": "2024-01-0\(i % 3)", "r": i % 4 == 0 ? nil : "eu"],
            size: Int64(1000 + i), modificationTime: 1_700_000_000_000 + Int64(i),
            dataChange: i % 2 == 0,
            stats: i % 5 == 0
              ? nil : #"{"numRecords":\#(i),"minValues":{},"maxValues":{},"nullCount":{}}"#
          )))
    }
    actions.append(
      .remove(
        DeltaRemove(
          path: "gone.parquet", deletionTimestamp: 5, dataChange: true,
          partitionValues: ["d": nil, "r": "x"], size: 9)))
    actions.append(
      .remove(
        DeltaRemove(
          path: "gone2.parquet", deletionTimestamp: nil, dataChange: false, partitionValues: nil,
          size: nil)))
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let path = dir.appendingPathComponent(DeltaLogFile.checkpointName(10)).path
    try Data(DeltaCheckpointCodec.encode(actions)).write(to: URL(fileURLWithPath: path))
    #expect(try checkpointActions(in: path) == actions)

    // Without features, the protocol has no feature lists.
    let plain: [DeltaAction] = [.protocol(DeltaProtocol()), .metaData(meta)]
    try Data(DeltaCheckpointCodec.encode(plain)).write(to: URL(fileURLWithPath: path))
    #expect(try checkpointActions(in: path) == plain)
  }

  @Test("a file that is no checkpoint is one error naming it")
  func malformed() throws {
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let path = dir.appendingPathComponent("x.checkpoint.parquet").path
    try Data("PAR1 not really".utf8).write(to: URL(fileURLWithPath: path))
    #expect {
      try checkpointActions(in: path)
    } throws: { e in
      "\(e)".hasPrefix(path + ": ") && !"\(e)".contains("\n")
    }
    let other = try ParquetNestedWriter.encode(
      fields: [NestedField("a", .leaf(.int64))], rows: [[.int(1)]])
    try Data(other).write(to: URL(fileURLWithPath: path))
    #expect {
      try checkpointActions(in: path)
    } throws: { e in
      "\(e)" == path + ": not a Delta checkpoint (no add, remove, metaData or protocol column)"
    }
  }

  @Test("reading a 100,000-add checkpoint (timed, not asserted)")
  func scale() throws {
    var actions: [DeltaAction] = [
      .protocol(DeltaProtocol()),
      .metaData(
        DeltaMetadata(id: "x", schemaString: "{}", partitionColumns: ["d"], createdTime: 1)),
    ]
    for i in 0..<100_000 {
      actions.append(
        .add(
          DeltaAdd(
            path: "d=2024-01-\(10 + i % 20)/part-00000-\(i)-c000.zstd.parquet",
            partitionValues: ["d": "2024-01-\(10 + i % 20)"], size: Int64(i),
            modificationTime: 1_700_000_000_000 + Int64(i), dataChange: true,
            stats:
              #"{"numRecords":100,"minValues":{"id":\#(i),"name":"a"},"maxValues":{"id":\#(i + 99),"name":"z"},"nullCount":{"id":0,"name":0}}"#
          )))
    }
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let path = dir.appendingPathComponent(DeltaLogFile.checkpointName(1)).path
    let t0 = ContinuousClock.now
    try Data(DeltaCheckpointCodec.encode(actions)).write(to: URL(fileURLWithPath: path))
    let t1 = ContinuousClock.now
    var n = 0
    try DeltaCheckpointCodec.forEachAction(file: path, table: "t") { _ in n += 1 }
    let t2 = ContinuousClock.now
    #expect(n == actions.count)
    print("checkpoint of 100,000 adds: encode \(t1 - t0), read \(t2 - t1)")
  }

  @Test(
    "deltalake reads lh's checkpoint (also with the JSON commits before it gone); lh reads deltalake's",
    .enabled(if: checkpointPython != nil))
  func peers() throws {
    let python = try #require(checkpointPython)
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let table = dir.appendingPathComponent("events").path
    let s0 = try DeltaTable.openOrCreate(
      at: table, schema: eventsSchema, partitionColumns: ["event_date"], engine: "lh-test/0.1.0")
    var readVersion = s0.version
    for (batch, range) in [0..<50, 50..<90, 90..<130].enumerated() {
      let snapshot = try DeltaLog.snapshot(table: table)
      let adds = try DeltaTable.writeFiles(snapshot, columns: eventRows(range))
      readVersion = try DeltaTable.commit(
        table: table, readVersion: readVersion,
        actions: adds.map { .add($0) } + [
          .txn(DeltaTxn(appId: "lh-test:events", version: Int64(batch + 1), lastUpdated: 7))
        ])
    }
    let snapshot = try DeltaLog.snapshot(table: table)
    var actions: [DeltaAction] = [.protocol(snapshot.protocol), .metaData(snapshot.metadata)]
    actions += snapshot.transactions.map {
      .txn(DeltaTxn(appId: $0.key, version: $0.value, lastUpdated: nil))
    }
    actions += snapshot.files.map { .add($0) }
    let log = table + "/_delta_log/"
    let v = snapshot.version
    try Data(DeltaCheckpointCodec.encode(actions)).write(
      to: URL(fileURLWithPath: log + DeltaLogFile.checkpointName(v)))
    try Data(#"{"version":\#(v),"size":\#(actions.count)}"#.utf8).write(
      to: URL(fileURLWithPath: log + "_last_checkpoint"))
    var expected: [String: Any] = [:]
    for a in snapshot.files {
      expected[a.path] = ["size": a.size, "stats": statsObject(a.stats) ?? [:]]
    }
    let expectedJSON = dir.appendingPathComponent("expected.json")
    try JSONSerialization.data(withJSONObject: ["version": v, "files": expected]).write(
      to: expectedJSON)
    let check = """
      import sys, json, pyarrow as pa
      from deltalake import DeltaTable
      table, expected = sys.argv[1], json.load(open(sys.argv[2]))
      dt = DeltaTable(table)
      assert dt.version() == expected['version'], dt.version()
      adds = pa.table(dt.get_add_actions(flatten=False)).to_pylist()
      got = {a['path']: a for a in adds}
      assert set(got) == set(expected['files']), (sorted(got), sorted(expected['files']))
      for p, e in expected['files'].items():
          assert got[p]['size_bytes'] == e['size'], (p, got[p])
          assert got[p]['num_records'] == e['stats']['numRecords'], (p, got[p])
      assert dt.transaction_version('lh-test:events') == 3
      assert dt.to_pyarrow_table().num_rows == 130
      import os as _os, sys as _sys; _sys.stdout.flush(); _os._exit(0)  # deltalake may abort at teardown
      """
    var r = try TestTools.run(python, ["-c", check, table, expectedJSON.path])
    #expect(r.status == 0, "\(r.output)\(r.stderr)")
    for old in 0..<v { try FileManager.default.removeItem(atPath: log + DeltaLog.fileName(old)) }
    r = try TestTools.run(python, ["-c", check, table, expectedJSON.path])
    #expect(r.status == 0, "after cleanup: \(r.output)\(r.stderr)")

    // deltalake writes a table and a checkpoint; lh's codec reads back the log's actions.
    let peerTable = dir.appendingPathComponent("peer").path
    let write = """
      import sys, datetime, pyarrow as pa
      from deltalake import DeltaTable, write_deltalake
      t = sys.argv[1]
      for i in range(4):
          write_deltalake(t, pa.table({'id': pa.array([i * 10 + k for k in range(10)], pa.int64()),
              'name': pa.array(['n%d' % (i * 10 + k) if k % 3 else None for k in range(10)]),
              'ts': pa.array([datetime.datetime(2024, 1, 1, 0, 0, i, 1000 * k, tzinfo=datetime.timezone.utc) for k in range(10)], pa.timestamp('us', tz='UTC')),
              'day': pa.array(['2024-01-0%d' % (1 + i % 2)] * 10)}),
              mode='append', partition_by=['day'])
      dt = DeltaTable(t)
      dt.create_checkpoint()
      print(dt.version())
      import os as _os, sys as _sys; _sys.stdout.flush(); _os._exit(0)  # deltalake may abort at teardown
      """
    r = try TestTools.run(python, ["-c", write, peerTable])
    try #require(r.status == 0, "\(r.output)\(r.stderr)")
    let peerVersion = try #require(Int64(r.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    let fromLog = try DeltaLog.snapshot(table: peerTable)
    let ckpt = try checkpointActions(
      in: peerTable + "/_delta_log/" + DeltaLogFile.checkpointName(peerVersion))
    var adds: [String: DeltaAdd] = [:]
    var sawProtocol = false
    var sawMetadata = false
    for a in ckpt {
      switch a {
      case .add(let add): adds[add.path] = add
      case .protocol(let p):
        sawProtocol = true
        #expect(p == fromLog.protocol)
      case .metaData(let m):
        sawMetadata = true
        #expect(m.id == fromLog.metadata.id)
        #expect(m.schemaString == fromLog.metadata.schemaString)
        #expect(m.partitionColumns == fromLog.metadata.partitionColumns)
      default: break
      }
    }
    #expect(sawProtocol && sawMetadata)
    #expect(Set(adds.keys) == Set(fromLog.files.map(\.path)))
    for f in fromLog.files {
      let c = try #require(adds[f.path])
      #expect(c.size == f.size)
      #expect(c.partitionValues == f.partitionValues)
      #expect(c.modificationTime == f.modificationTime)
      #expect(statsObject(c.stats) == statsObject(f.stats), "\(f.path)")
    }
  }

  @Test(
    "Spark-style checkpoints: stats_parsed when stats is null, multi-part, sidecar rows",
    .enabled(if: checkpointPython != nil))
  func sparkStyle() throws {
    let python = try #require(checkpointPython)
    let dir = try TestTools.temporaryDirectory("lh-ckpt")
    let script = """
      import sys, datetime, pyarrow as pa, pyarrow.parquet as pq
      out = sys.argv[1]
      utc = datetime.timezone.utc
      sp = pa.struct([('numRecords', pa.int64()),
          ('minValues', pa.struct([('id', pa.int64()), ('ts', pa.timestamp('us', tz='UTC')), ('s', pa.string())])),
          ('maxValues', pa.struct([('id', pa.int64()), ('ts', pa.timestamp('us', tz='UTC')), ('s', pa.string())])),
          ('nullCount', pa.struct([('id', pa.int64()), ('ts', pa.int64()), ('s', pa.int64())]))])
      add = pa.struct([('path', pa.string()), ('partitionValues', pa.map_(pa.string(), pa.string())),
          ('size', pa.int64()), ('modificationTime', pa.int64()), ('dataChange', pa.bool_()),
          ('stats', pa.string()), ('tags', pa.map_(pa.string(), pa.string())),
          ('deletionVector', pa.struct([('storageType', pa.string()), ('pathOrInlineDv', pa.string()),
              ('offset', pa.int32()), ('sizeInBytes', pa.int32()), ('cardinality', pa.int64())])),
          ('partitionValues_parsed', pa.struct([('d', pa.date32())])),
          ('stats_parsed', sp)])
      proto = pa.struct([('minReaderVersion', pa.int32()), ('minWriterVersion', pa.int32())])
      side = pa.struct([('path', pa.string()), ('sizeInBytes', pa.int64()), ('modificationTime', pa.int64())])
      schema = pa.schema([('protocol', proto), ('add', add), ('sidecar', side),
          ('checkpointMetadata', pa.struct([('version', pa.int64())]))])
      def addrow(i):
          return {'path': 'd=2024-01-01/f%d.parquet' % i, 'partitionValues': [('d', '2024-01-01')],
              'size': 100 + i, 'modificationTime': 5, 'dataChange': False,
              'stats': None if i % 2 else '{"numRecords":%d}' % i, 'tags': None,
              'deletionVector': {'storageType': 'u', 'pathOrInlineDv': 'ab', 'offset': 1, 'sizeInBytes': 40, 'cardinality': 2} if i == 3 else None,
              'partitionValues_parsed': {'d': datetime.date(2024, 1, 1)},
              'stats_parsed': {'numRecords': i, 'minValues': {'id': -i, 'ts': datetime.datetime(2024, 1, 1, 0, 0, 1, 123000, tzinfo=utc), 's': None},
                  'maxValues': {'id': i, 'ts': datetime.datetime(2024, 1, 2, tzinfo=utc), 's': 'z'},
                  'nullCount': {'id': 0, 'ts': 1, 's': i}}}
      part1 = [{'protocol': {'minReaderVersion': 1, 'minWriterVersion': 2}, 'add': None, 'sidecar': None, 'checkpointMetadata': None}]
      part1 += [{'protocol': None, 'add': addrow(i), 'sidecar': None, 'checkpointMetadata': None} for i in range(0, 3)]
      part2 = [{'protocol': None, 'add': addrow(i), 'sidecar': None, 'checkpointMetadata': None} for i in range(3, 6)]
      part2 += [{'protocol': None, 'add': None, 'sidecar': {'path': 'a.parquet', 'sizeInBytes': 7, 'modificationTime': 8}, 'checkpointMetadata': None},
          {'protocol': None, 'add': None, 'sidecar': None, 'checkpointMetadata': {'version': 9}}]
      pq.write_table(pa.Table.from_pylist(part1, schema), out + '/00000000000000000009.checkpoint.0000000001.0000000002.parquet', compression='snappy')
      pq.write_table(pa.Table.from_pylist(part2, schema), out + '/00000000000000000009.checkpoint.0000000002.0000000002.parquet', compression='zstd', data_page_version='2.0')
      """
    let r = try TestTools.run(python, ["-c", script, dir.path])
    try #require(r.status == 0, "\(r.output)\(r.stderr)")
    var all: [DeltaAction] = []
    for part in 1...2 {
      all += try checkpointActions(
        in: dir.path + "/" + DeltaLogFile.checkpointPartName(9, part: part, parts: 2))
    }
    #expect(all.first == .protocol(DeltaProtocol(minReaderVersion: 1, minWriterVersion: 2)))
    #expect(
      all.last == .other("checkpointMetadata"))
    #expect(
      all[all.count - 2]
        == .sidecar(DeltaSidecar(path: "a.parquet", sizeInBytes: 7, modificationTime: 8)))
    let adds = all.compactMap { if case .add(let a) = $0 { a } else { nil } }
    #expect(adds.count == 6)
    for (i, a) in adds.enumerated() {
      #expect(a.path == "d=2024-01-01/f\(i).parquet")
      #expect(a.partitionValues == ["d": "2024-01-01"])
      #expect(a.size == Int64(100 + i))
      if i % 2 == 0 {
        #expect(a.stats == "{\"numRecords\":\(i)}")
      } else {
        #expect(
          a.stats
            == #"{"numRecords":\#(i),"minValues":{"id":-\#(i),"ts":"2024-01-01T00:00:01.123Z"},"#
            + #""maxValues":{"id":\#(i),"ts":"2024-01-02T00:00:00.000Z","s":"z"},"#
            + #""nullCount":{"id":0,"ts":1,"s":\#(i)}}"#)
      }
      #expect(
        a.deletionVector
          == (i == 3
            ? #"{"storageType":"u","pathOrInlineDv":"ab","offset":1,"sizeInBytes":40,"cardinality":2}"#
            : nil))
    }
  }
}
