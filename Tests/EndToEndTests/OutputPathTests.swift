import Foundation
import LakeTestSupport
import Testing

/// Issue 14, item 4: output paths that are not plain files are written through, not replaced.
///
/// `-o` (and `--rejects`) writes through FIFOs, devices and symbolic links instead of replacing
/// them, `-` is stdout, and `lh-pack archive --remove` removes data only after reading the
/// archive back from a regular file. Devices and FIFOs are stand-ins made in the test's own
/// directory (mknod 1,3 is what /dev/null is); the real /dev is never written.
@Suite("output paths: -, FIFOs, devices and symbolic links")
struct OutputPathTests {
  /// A stand-in for /dev/null at `dir/null` (needs root, as the tests run); nil otherwise.
  static func nullDevice(_ dir: URL) throws -> String? {
    let path = dir.appendingPathComponent("null").path
    let r = try TestTools.shell("mknod '\(path)' c 1 3")
    return r.status == 0 ? path : nil
  }

  /// What `path` itself is, as `stat -c %F` says ("fifo", "character special file", …).
  static func fileType(_ path: String) -> String {
    let r = try? TestTools.run("/usr/bin/stat", ["-c", "%F", path])
    return r?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? "missing"
  }

  /// Every file under `dir` with its size, sorted: what "the lake is unchanged" compares.
  static func listing(_ dir: String) throws -> [String] {
    let r = try TestTools.shell("cd '\(dir)' && find . -type f -printf '%p %s\\n' | sort")
    return r.output.split(separator: "\n").map(String.init)
  }

  @Test("lh-gen -o a FIFO: written through to its reader, status 0 (was 74: fsync)")
  func genFIFO() throws {
    let dir = try TestTools.temporaryDirectory()
    let r = try TestTools.shell(
      """
      mkfifo fifo && (timeout 30 cat fifo > got &) && lh-gen --count 5000 --quiet -o fifo; \
      echo "status $?" >&2; sleep 0.2; wc -l < got
      """, currentDirectory: dir)
    #expect(r.stderr.contains("status 0"), "\(r.stderr)")
    #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines) == "5000")
    #expect(Self.fileType(dir.appendingPathComponent("fifo").path) == "fifo")
  }

  @Test("lh-gen -o a character device stand-in: status 0, the device stays a device")
  func genDevice() throws {
    let dir = try TestTools.temporaryDirectory()
    guard let null = try Self.nullDevice(dir) else { return }
    for format in ["ndjson", "parquet"] {
      let r = try TestTools.run(
        "lh-gen", ["--count", "2000", "--format", format, "-o", null, "--quiet"])
      #expect(r.status == 0, "\(format): \(r.stderr)")
      #expect(Self.fileType(null) == "character special file", "\(format)")
    }
  }

  @Test("lh-gen -o through a symbolic link: the link is kept, its target replaced whole")
  func genSymlink() throws {
    let dir = try TestTools.temporaryDirectory()
    let real = dir.appendingPathComponent("real.parquet").path
    let link = dir.appendingPathComponent("link.parquet").path
    try Data("old".utf8).write(to: URL(fileURLWithPath: real))
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.parquet")
    let r = try TestTools.run(
      "lh-gen", ["--count", "1000", "--format", "parquet", "-o", link, "--quiet"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real.parquet")
    let bytes = try Data(contentsOf: URL(fileURLWithPath: real))
    #expect(bytes.prefix(4) == Data("PAR1".utf8) && bytes.count > 1000)
    // A dangling link: the file is created where it points.
    let dangling = dir.appendingPathComponent("dangling.ndjson").path
    try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "new.ndjson")
    let d = try TestTools.run("lh-gen", ["--count", "10", "-o", dangling, "--quiet"])
    #expect(d.status == 0, "\(d.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dangling) == "new.ndjson")
    let lines = try String(contentsOf: dir.appendingPathComponent("new.ndjson"), encoding: .utf8)
    #expect(lines.split(separator: "\n").count == 10)
    // No temporary file is left beside them.
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    #expect(left.filter { $0.hasSuffix(".tmp") }.isEmpty, "\(left)")
  }

  @Test("lh-pack archive -o: - is stdout, a FIFO, a device and a link are written through")
  func archiveTargets() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = try PackLakes.make(dir, bronzeLines: 2000)
    // -: the archive on stdout, no file named "-".
    let out = try TestTools.run(
      "lh-pack", ["archive", "--lake", lake, "--table", "sales/orders", "-o", "-", "--quiet"],
      currentDirectory: dir)
    #expect(out.status == 0, "\(out.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("-").path))
    let verify = try TestTools.run("lh-pack", ["verify", "-"], stdin: out.stdout)
    #expect(verify.status == 0, "\(verify.stderr)")
    // A FIFO, read by another process while the archive is written.
    let fifo = try TestTools.shell(
      """
      mkfifo fifo && (timeout 30 cat fifo > got.tar.zst &) && \
      lh-pack archive --lake '\(lake)' --table sales/orders -o fifo --quiet; \
      echo "status $?" >&2; sleep 0.3; lh-pack verify got.tar.zst
      """, currentDirectory: dir)
    #expect(fifo.stderr.contains("status 0"), "\(fifo.stderr)")
    #expect(fifo.stderr.contains("got.tar.zst: ok"), "\(fifo.stderr)")
    #expect(Self.fileType(dir.appendingPathComponent("fifo").path) == "fifo")
    // A symbolic link: kept, its target replaced by the archive.
    let real = dir.appendingPathComponent("real.tar.zst").path
    let link = dir.appendingPathComponent("link.tar.zst").path
    try Data("old".utf8).write(to: URL(fileURLWithPath: real))
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.tar.zst")
    let l = try TestTools.run(
      "lh-pack", ["archive", "--lake", lake, "--table", "sales/orders", "-o", link, "--quiet"])
    #expect(l.status == 0, "\(l.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real.tar.zst")
    #expect(try TestTools.run("lh-pack", ["verify", real]).status == 0)
    // A character device stand-in stays one.
    if let null = try Self.nullDevice(dir) {
      let n = try TestTools.run(
        "lh-pack", ["archive", "--lake", lake, "--table", "sales/orders", "-o", null, "--quiet"])
      #expect(n.status == 0, "\(n.stderr)")
      #expect(Self.fileType(null) == "character special file")
    }
  }

  @Test("lh-pack archive --remove to anything but a regular file: 64, one line, lake unchanged")
  func removeNeedsRegularFile() throws {
    let dir = try TestTools.temporaryDirectory()
    let lake = try PackLakes.make(dir, bronzeLines: 2000)
    _ = try TestTools.shell("mkfifo fifo", currentDirectory: dir)
    var outputs = ["-", dir.appendingPathComponent("fifo").path]
    if let null = try Self.nullDevice(dir) { outputs.append(null) }
    let before = try Self.listing(lake)
    for output in outputs {
      let r = try TestTools.run(
        "lh-pack",
        [
          "archive", "--lake", lake, "--table", "sales/orders", "--before", "2026-01-03",
          "--remove", "-o", output,
        ], currentDirectory: dir)
      #expect(r.status == 64, "\(output): \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(output): \(r.stderr)")
      #expect(r.stderr.contains("--remove needs -o to name a regular file"), "\(r.stderr)")
      #expect(r.stdout.isEmpty)
      #expect(try Self.listing(lake) == before, "\(output)")
    }
    #expect(Self.fileType(dir.appendingPathComponent("fifo").path) == "fifo")
    // The same through a symbolic link to a regular file works, and removes.
    try FileManager.default.createSymbolicLink(
      atPath: dir.appendingPathComponent("a.tar.zst").path, withDestinationPath: "b.tar.zst")
    let ok = try TestTools.run(
      "lh-pack",
      [
        "archive", "--lake", lake, "--table", "sales/orders", "--before", "2026-01-03",
        "--remove", "-o", "a.tar.zst", "--quiet",
      ], currentDirectory: dir)
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(try Self.listing(lake) != before)
    #expect(
      try TestTools.run("lh-pack", ["verify", dir.appendingPathComponent("b.tar.zst").path])
        .status == 0)
  }

  @Test("lh-silver --rejects: a FIFO gets the rejects, - is refused (stdout carries rows)")
  func rejectsTargets() throws {
    let dir = try TestTools.temporaryDirectory()
    let r = try TestTools.shell(
      """
      mkfifo fifo && (timeout 30 cat fifo > got &) && \
      lh-gen --count 2000 --malformed 0.1 --seed 3 --quiet | \
      lh-silver --stream --rejects fifo --quiet > rows; echo "status $?" >&2; sleep 0.2; \
      wc -l < got
      """, currentDirectory: dir)
    #expect(r.stderr.contains("status 0"), "\(r.stderr)")
    #expect((Int(r.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 100)
    let dash = try TestTools.run(
      "lh-silver", ["--stream", "--rejects", "-"], stdin: [], currentDirectory: dir)
    #expect(dash.status == 64, "\(dash.stderr)")
    #expect(dash.stderr.contains("standard output carries the clean rows"))
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("-").path))
  }

  @Test("a stream's outputs fill a regular file as they go: a kill -9 keeps what was written")
  func streamsWriteInPlace() throws {
    let dir = try TestTools.temporaryDirectory()
    // The streams are still running (stdin open, --follow) when their outputs are read; then
    // they are killed.
    let r = try TestTools.shell(
      """
      mkfifo in
      lh-silver --stream --rejects bad.ndjson --quiet < in > rows & silver=$!
      exec 3> in
      lh-gen --count 3000 --malformed 0.1 --seed 3 --quiet >&3
      lh-gen --follow --rate 2000 --seed 4 --quiet -o live.ndjson & gen=$!
      for i in $(seq 100); do
        [ -s bad.ndjson ] && [ -s live.ndjson ] && break; sleep 0.1
      done
      wc -l < bad.ndjson; wc -l < live.ndjson
      kill -9 $silver $gen; exec 3>&-
      sleep 0.2; wc -l < bad.ndjson; ls -a
      """, currentDirectory: dir)
    let counts = r.output.split(separator: "\n").prefix(3).map {
      Int($0.trimmingCharacters(in: .whitespaces)) ?? 0
    }
    #expect(counts.count == 3 && counts.allSatisfy { $0 > 0 }, "\(r.output)\n\(r.stderr)")
    #expect(counts.count == 3 && counts[2] >= counts[0], "\(r.output)")
    #expect(!r.output.contains(".tmp"), "\(r.output)")
  }
}
