import Foundation
import LakeFormats
import LakeIO
import LakeTestSupport
import Testing

@Suite("Input sniffing and row reading")
struct RowReaderTests {
  static let schema = TableSchema([
    ColumnSpec("id", .int64, nullable: false), ColumnSpec("name", .string),
    ColumnSpec("ts", .timestamp),
    ColumnSpec("amount", .decimal(precision: 10, scale: 2)),
  ])

  /// 3000 NDJSON lines of `schema`, with nulls, escapes and non-ASCII.
  static func ndjson(_ rows: Int = 3000, crlf: Bool = false, finalNewline: Bool = true) -> [UInt8] {
    var text = ""
    for i in 0..<rows {
      let name = i % 5 == 0 ? "null" : "\"n\\u00e9 \(i) \\\"q\\\"\""
      text +=
        "{\"id\":\(i),\"name\":\(name),\"ts\":\"2026-01-01T00:00:\(String(format: "%02d", i % 60)).5+01:00\",\"amount\":\(i).25}"
      if i < rows - 1 || finalNewline { text += crlf ? "\r\n" : "\n" }
    }
    return Array(text.utf8)
  }

  func readAll(_ path: String?) throws -> (InputFormat, [ColumnBuffer]) {
    let reader = try RowReader(path: path, schema: Self.schema, batchRows: 700)
    var out = Self.schema.columns.map { ColumnBuffer(type: $0.type) }
    while let batch = try reader.nextBatch() {
      for c in batch.indices { out[c].append(contentsOf: batch[c]) }
    }
    return (reader.format, out)
  }

  func write(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
  }

  @Test("sniffing by magic bytes")
  func sniff() {
    #expect(InputFormat.sniff(Array("PAR1".utf8)) == .parquet)
    #expect(InputFormat.sniff([0x28, 0xB5, 0x2F, 0xFD]) == .ndjson(compression: .zstd))
    #expect(InputFormat.sniff([0x1F, 0x8B, 0x08]) == .ndjson(compression: .gzip))
    #expect(InputFormat.sniff(Array("{\"a\"".utf8)) == .ndjson(compression: .none))
    #expect(InputFormat.sniff([]) == .ndjson(compression: .none))
  }

  @Test("NDJSON, zstd, gzip and Parquet (file and pipe) give the same rows")
  func sameRowsEveryFormat() throws {
    let dir = try TestTools.temporaryDirectory()
    let plain = try write(Self.ndjson(), "e.ndjson", in: dir)
    #expect(
      try TestTools.shell("zstd -q -3 -o \(plain).zst \(plain) && gzip -k \(plain)").status == 0)
    let (f0, base) = try readAll(plain)
    #expect(f0 == .ndjson(compression: .none))
    #expect(base[0].count == 3000 && base[1].nullCount == 600)
    #expect(Canonical.value(base[1], 1) as? String == "né 1 \"q\"")
    #expect(Canonical.value(base[2], 1) as? String == "2025-12-31T23:00:01.500000Z")

    // Parquet written from the same rows.
    let parquetPath = dir.appendingPathComponent("e.parquet").path
    let writer = try ParquetFileWriter(path: parquetPath, schema: Self.schema)
    try writer.write(base)
    try writer.close()

    // A pipe is not seekable: the reader spools it.
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: parquetPath)))
    let writeEnd = fds[1]
    let feeder = Thread {
      bytes.withUnsafeBytes { _ = try? FileDescriptor(rawValue: writeEnd, name: "w").writeAll($0) }
      close(writeEnd)
    }
    feeder.start()

    for (path, format) in [
      (plain + ".zst", InputFormat.ndjson(compression: .zstd)),
      (plain + ".gz", .ndjson(compression: .gzip)),
      (parquetPath, .parquet), ("/proc/self/fd/\(fds[0])", .parquet),
    ] {
      let (f, columns) = try readAll(path)
      #expect(f == format, "\(path)")
      for c in columns.indices {
        expectSame(columns[c], base[c], "\(path) \(Self.schema.columns[c].name)")
      }
    }
    close(fds[0])
  }

  @Test("CRLF and a last line without a newline")
  func lineEndings() throws {
    let dir = try TestTools.temporaryDirectory()
    let crlf = try write(Self.ndjson(100, crlf: true, finalNewline: false), "c.ndjson", in: dir)
    let (_, columns) = try readAll(crlf)
    #expect(columns[0].count == 100)
  }

  @Test("a bad line names the input, the line and the field")
  func badLine() throws {
    let dir = try TestTools.temporaryDirectory()
    var bytes = Self.ndjson(10)
    bytes += Array("{\"id\":\"eleven\"}\n".utf8)
    let path = try write(bytes, "b.ndjson", in: dir)
    #expect {
      _ = try readAll(path)
    } throws: { error in
      "\(error)" == "\(path):11: field 'id': expected an integer"
        && (error as? LakeError)?.category == .data
    }
    let syntax = try write(Array("{\"id\":1}\n{\"id\":2,}\n".utf8), "s.ndjson", in: dir)
    #expect {
      _ = try readAll(syntax)
    } throws: { "\($0)".hasPrefix("\(syntax):2: byte ") }
  }

  @Test("lines longer than the bound and truncated compressed input are data errors")
  func bounds() throws {
    let dir = try TestTools.temporaryDirectory()
    let long = try write(
      Array("{\"id\":1,\"name\":\"\(String(repeating: "x", count: 5000))\"}\n".utf8), "l.ndjson",
      in: dir)
    #expect {
      let reader = try RowReader(path: long, schema: Self.schema, maxLineBytes: 1000)
      _ = try reader.nextBatch()
    } throws: { "\($0)" == "\(long):1: line longer than 1000 bytes" }

    let plain = try write(Self.ndjson(), "t.ndjson", in: dir)
    #expect(try TestTools.shell("zstd -q -o \(plain).zst \(plain) && gzip -k \(plain)").status == 0)
    for suffix in [".zst", ".gz"] {
      let full = try [UInt8](Data(contentsOf: URL(fileURLWithPath: plain + suffix)))
      let cut = try write(Array(full.prefix(full.count / 2)), "cut\(suffix)", in: dir)
      #expect {
        _ = try readAll(cut)
      } throws: { ($0 as? LakeError)?.category == .data && "\($0)".contains("truncated") }
    }
  }

  @Test("compressed input that expands a thousandfold needs no more memory than plain input")
  func decompressionBomb() throws {
    let dir = try TestTools.temporaryDirectory()
    // 64 MiB of one byte and no newline: about 2 KiB compressed.
    let one = dir.appendingPathComponent("one").path
    let lines = dir.appendingPathComponent("lines").path
    #expect(
      try TestTools.shell(
        "head -c 67108864 /dev/zero | tr '\\0' x > \(one) && zstd -q -19 \(one) && gzip -k -9 \(one)"
          + " && yes '{}' | head -n 20000000 > \(lines) && zstd -q -19 \(lines) && gzip -k -9 \(lines)"
      ).status == 0)
    for suffix in [".zst", ".gz"] {
      let size = try FileManager.default.attributesOfItem(atPath: one + suffix)[.size] as! Int
      #expect(size * 500 < 64 << 20, "\(suffix): \(size) bytes")
      // One endless line: an error naming it, with the buffer never far past the bound.
      let reader = try LineReader(
        source: ByteSource(path: one + suffix), compression: suffix == ".zst" ? .zstd : .gzip,
        maxLineBytes: 1 << 20)
      #expect {
        try reader.forEachLine { _, _ in true }
      } throws: { "\($0)" == "\(one + suffix):1: line longer than 1048576 bytes" }
      #expect(reader.bufferCapacity <= 8 << 20, "\(suffix): \(reader.bufferCapacity)")
      // 20 million short lines (60 MB): every line, in a buffer of a few MiB.
      let many = try LineReader(
        source: ByteSource(path: lines + suffix), compression: suffix == ".zst" ? .zstd : .gzip)
      var count = 0
      var capacity = 0
      try many.forEachLine { line, number in
        if number % 65_536 == 0 { capacity = max(capacity, many.bufferCapacity) }
        count += line.count == 2 ? 1 : 0
        return true
      }
      #expect(count == 20_000_000, "\(suffix)")
      #expect(capacity <= 8 << 20, "\(suffix): \(capacity)")
    }
  }

  @Test("a Parquet input must hold the schema's columns with their types")
  func parquetSchemaMismatch() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("x.parquet").path
    let writer = try ParquetFileWriter(path: path, schema: TableSchema([ColumnSpec("id", .string)]))
    var c = ColumnBuffer(type: .string)
    c.append(string: "a")
    try writer.write([c])
    try writer.close()
    #expect {
      _ = try RowReader(path: path, schema: Self.schema)
    } throws: { "\($0)" == "\(path): column 'id' is string, expected int64" }
  }
}

func expectSame(_ a: ColumnBuffer, _ b: ColumnBuffer, _ name: String) {
  #expect(a.count == b.count, "\(name)")
  guard a.count == b.count else { return }
  for i in 0..<a.count {
    guard a.isValid(i) == b.isValid(i), !a.isValid(i) || Canonical.equalValues(a, b, row: i) else {
      Issue.record("\(name) row \(i) differs")
      return
    }
  }
}
