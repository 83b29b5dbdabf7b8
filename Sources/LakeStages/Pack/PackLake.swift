// LakeStages/Pack/PackLake.swift
//
// File-system helpers lh-pack shares: finding a lake's tables, walking a table's files, copying
// bytes with a checksum, moving files into place durably, and the date of a partition.

import LakeFormats
import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// Tables, files and durable moves for lh-pack.
public enum PackLake {
  /// The tables of a lake, as paths relative to it (`bronze/events`, `gold/kpi_minute`): every
  /// directory up to three levels down holding a `_delta_log` with commits, sorted.
  public static func tables(in lake: String) throws -> [String] {
    var out: [String] = []
    func walk(_ relative: String, depth: Int) throws {
      let dir = relative.isEmpty ? lake : lake + "/" + relative
      if !relative.isEmpty, try DeltaLog.latestVersion(table: dir) != nil {
        out.append(relative)
        return
      }
      guard depth < 3 else { return }
      for (name, isDirectory) in try entries(dir) where isDirectory {
        if name.hasPrefix(".") || name.hasPrefix("_") || name.contains("=") { continue }
        try walk(relative.isEmpty ? name : relative + "/" + name, depth: depth + 1)
      }
    }
    var st = stat()
    guard stat(lake, &st) == 0 else {
      throw SystemError("open", path: lake, errno: errno, category: .noInput)
    }
    try walk("", depth: 0)
    return out.sorted()
  }

  /// Checks a table name given on the command line: a relative path of safe segments.
  public static func checkTableName(_ name: String) throws {
    let parts = name.split(separator: "/", omittingEmptySubsequences: false)
    guard !parts.isEmpty, parts.count <= 3 else {
      throw LakeFailure(
        .usage, "invalid table '\(name)': give a path in the lake like bronze/events")
    }
    for p in parts { try LakeLayout.checkTableName(String(p)) }
  }

  /// The names and kinds (directory or not) of a directory's entries, sorted by name.
  static func entries(_ dir: String) throws -> [(String, Bool)] {
    guard let d = opendir(dir) else {
      if errno == ENOENT { return [] }
      throw SystemError("open", path: dir, errno: errno, category: .noInput)
    }
    defer { closedir(d) }
    var out: [(String, Bool)] = []
    while let entry = readdir(d) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name == "." || name == ".." { continue }
      var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
      if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
        var st = stat()
        isDirectory = lstat(dir + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
      }
      out.append((name, isDirectory))
    }
    return out.sorted { $0.0 < $1.0 }
  }

  /// Regular files under `table` (relative paths), except the `_delta_log` directory and
  /// directories whose names start with `_` or `.`, sorted.
  static func dataFiles(under table: String) throws -> [String] {
    var out: [String] = []
    func walk(_ relative: String) throws {
      let dir = relative.isEmpty ? table : table + "/" + relative
      for (name, isDirectory) in try entries(dir) {
        let path = relative.isEmpty ? name : relative + "/" + name
        if isDirectory {
          if name.hasPrefix("_") || name.hasPrefix(".") { continue }
          try walk(path)
        } else {
          out.append(path)
        }
      }
    }
    try walk("")
    return out
  }

  /// Size and modification time (ms) of a file; nil when it does not exist.
  static func fileInfo(_ path: String) -> (size: Int64, mtime: Int64, isFile: Bool)? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return (
      Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000,
      (st.st_mode & S_IFMT) == S_IFREG
    )
  }

  /// The bytes of a file of at most 1 MiB (`_last_checkpoint`); nil when it cannot be read or is
  /// larger.
  static func smallFile(_ path: String) -> [UInt8]? {
    guard let fd = try? FileDescriptor.open(readingFrom: path) else { return nil }
    defer { try? fd.close() }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count <= 1 << 20 {
      guard let n = try? chunk.withUnsafeMutableBytes({ try fd.read(into: $0) }) else {
        return nil
      }
      if n == 0 { return bytes }
      bytes.append(contentsOf: chunk[0..<n])
    }
    return nil
  }

  /// The SHA-256 and size of a file, read in 1 MiB blocks through `buffer`.
  static func sha256(of path: String, buffer: UnsafeMutableRawBufferPointer) throws -> (
    String, Int64
  ) {
    let fd = try FileDescriptor.open(readingFrom: path)
    defer { try? fd.close() }
    var hash = SHA256()
    var size: Int64 = 0
    while true {
      let n = try fd.read(into: buffer)
      if n == 0 { break }
      hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
      size += Int64(n)
    }
    return (hash.finalize(), size)
  }

  /// Checks that an archive entry's path stays inside the directory it is restored into.
  static func checkEntryPath(_ path: String, archive: String) throws {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    guard !path.isEmpty, !path.hasPrefix("/"), !path.utf8.contains(0),
      parts.allSatisfy({ !$0.isEmpty && $0 != ".." && $0 != "." })
    else {
      throw LakeFailure(.data, "\(archive): unsafe entry path '\(path)'")
    }
  }

  /// `mkdir -p`.
  static func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") where !part.isEmpty {
      current += "/" + part
      if mkdir(current, 0o777) != 0 && errno != EEXIST {
        throw SystemError("mkdir", path: current, errno: errno, category: .cannotCreate)
      }
    }
  }

  /// `mkdir -p` of `relative` inside `base`, never through a symbolic link: each component is
  /// checked with `lstat` and must be a real directory (or is created).
  ///
  /// - Throws: `.cannotCreate` naming the component that is a link or not a directory.
  static func makeDirectories(_ relative: String, under base: String) throws {
    var current = base
    for part in relative.split(separator: "/") where !part.isEmpty && part != "." {
      guard part != ".." else {
        throw LakeFailure(.cannotCreate, "\(current)/\(part): refusing a path that leaves \(base)")
      }
      current += "/" + part
      var st = stat()
      if lstat(current, &st) == 0 {
        if (st.st_mode & S_IFMT) == S_IFLNK {
          throw LakeFailure(
            .cannotCreate, "\(current): is a symbolic link; lh-pack never writes through one")
        }
        if (st.st_mode & S_IFMT) != S_IFDIR {
          throw LakeFailure(.cannotCreate, "\(current): exists and is not a directory")
        }
        continue
      }
      if mkdir(current, 0o777) != 0 && errno != EEXIST {
        throw SystemError("mkdir", path: current, errno: errno, category: .cannotCreate)
      }
      guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
        throw LakeFailure(.cannotCreate, "\(current): is not a directory")
      }
    }
  }

  /// The part of `path` below `base` (`path` must start with `base/`).
  static func relative(_ path: String, to base: String) -> String {
    path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
  }

  /// fsyncs a directory (after a rename or link into it).
  static func syncDirectory(_ dir: String) throws {
    let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw SystemError("open", path: dir, errno: errno) }
    defer { close(fd) }
    while fsync(fd) != 0 {
      if errno == EINTR { continue }
      throw SystemError("fsync", path: dir, errno: errno)
    }
  }

  /// The directory part of a path ("." for none).
  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// The last part of a path.
  static func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }

  /// `rm -r` of a directory lh-pack made (scratch space); errors ignored.
  static func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    guard (st.st_mode & S_IFMT) == S_IFDIR else {
      // A link or a file where the scratch directory should be: remove it, never follow it.
      unlink(path)
      return
    }
    if let list = try? entries(path) {
      for (name, isDirectory) in list {
        let p = path + "/" + name
        if isDirectory { removeTree(p) } else { unlink(p) }
      }
    }
    rmdir(path)
  }

  /// The name of a restore's scratch directory in the lake it restores into, before its pid.
  static let scratchPrefix = ".lh-restore."

  /// A restore's scratch directory: created, then locked for as long as `ScratchLock` lives.
  final class ScratchLock {
    let fd: Int32
    let path: String

    /// Creates `path` (mode 0700) and takes an exclusive `flock` on it.
    ///
    /// - Throws: `.cannotCreate` when it cannot be made or locked.
    init(creating path: String) throws {
      guard mkdir(path, 0o700) == 0 else {
        throw SystemError("mkdir", path: path, errno: errno, category: .cannotCreate)
      }
      let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
        let e = errno
        if fd >= 0 { close(fd) }
        rmdir(path)
        throw SystemError("flock", path: path, errno: e, category: .cannotCreate)
      }
      self.fd = fd
      self.path = path
    }

    /// Removes the directory, then lets go of the lock.
    func remove() {
      PackLake.removeTree(path)
      close(fd)
    }
  }

  /// A scratch directory left by a restore that died (kill -9, power loss).
  struct StaleScratch: Equatable {
    /// Its name in the lake (`.lh-restore.12345`).
    var name: String
    /// Bytes of the files in it.
    var size: Int64
  }

  /// The scratch directories in `dir` (or the one named `only`) that no live restore holds,
  /// removed with `remove`.
  ///
  /// A restore holds an exclusive `flock` on its scratch directory from just after creating it
  /// until it has removed it; a directory is stale when that lock can be taken and the pid in
  /// its name is not a live process (the pid closes the moment between `mkdir` and `flock`).
  /// The directory stays locked while it is measured and removed. Our own pid's directory is
  /// always stale: this process has not made it yet.
  static func staleScratch(in dir: String, remove: Bool, only: String? = nil) throws
    -> [StaleScratch]
  {
    var out: [StaleScratch] = []
    for (name, isDirectory) in try entries(dir) where isDirectory && (only ?? name) == name {
      guard name.hasPrefix(scratchPrefix),
        let pid = Int32(name.dropFirst(scratchPrefix.count)), pid > 0
      else { continue }
      let path = dir + "/" + name
      let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      guard fd >= 0 else { continue }
      defer { close(fd) }
      guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
      if pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM) { continue }
      out.append(StaleScratch(name: name, size: treeSize(path)))
      if remove { removeTree(path) }
    }
    return out
  }

  /// Bytes of the regular files under `path` (links not followed).
  static func treeSize(_ path: String) -> Int64 {
    var total: Int64 = 0
    for (name, isDirectory) in (try? entries(path)) ?? [] {
      let p = path + "/" + name
      if isDirectory {
        total += treeSize(p)
      } else {
        var st = stat()
        if lstat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { total += Int64(st.st_size) }
      }
    }
    return total
  }

  /// Days since the epoch of a `YYYY-MM-DD` text; nil when it is not one.
  public static func day(_ text: String) -> Int64? {
    guard text.utf8.count == 10, let micros = RFC3339.parse(text + "T00:00:00Z") else { return nil }
    return micros / 86_400_000_000
  }

  /// `numRecords` of an add's stats, or 0.
  static func rows(_ add: DeltaAdd) -> Int64 {
    guard let stats = add.stats, let r = stats.firstRange(of: "\"numRecords\":") else { return 0 }
    let digits = stats[r.upperBound...].prefix { $0.isNumber }
    return Int64(digits) ?? 0
  }

  /// The text of a partition for messages: `event_date=2026-01-01/region=eu`.
  static func describe(_ values: [String: String?], columns: [String]) -> String {
    if columns.isEmpty { return "(the whole table)" }
    return columns.map { PartitionPath.segment(column: $0, value: values[$0] ?? nil) }
      .joined(separator: "/")
  }
}
