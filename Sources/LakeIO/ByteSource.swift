// LakeIO/ByteSource.swift
//
// Where a tool's input bytes come from: a file named on the command line, or stdin ("-" or no
// name). Supports peeking at the first bytes without consuming them, which is how inputs are
// sniffed (Parquet magic, zstd and gzip magic, else NDJSON).

#if canImport(Glibc)
import Glibc
#endif

/// A readable stream of bytes with a name for messages.
public final class ByteSource {
  /// "stdin" or the path.
  public let name: String
  let fd: FileDescriptor
  let owned: Bool
  var pushback: [UInt8] = []

  /// Opens `path`, or stdin when `path` is nil or "-".
  ///
  /// - Throws: `SystemError` with category `.noInput` when the file cannot be opened.
  public init(path: String?) throws {
    if let path, path != "-" {
      fd = try FileDescriptor.open(readingFrom: path)
      var st = stat()
      if fstat(fd.rawValue, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
        try? fd.close()
        throw SystemError("open", path: path, errno: EISDIR, category: .noInput)
      }
      name = path
      owned = true
    } else {
      fd = .standardInput
      name = "stdin"
      owned = false
    }
  }

  init(fd: FileDescriptor, name: String) {
    self.fd = fd
    self.name = name
    owned = true
  }

  deinit { if owned { try? fd.close() } }

  /// Another source on the same open file (its own descriptor, sharing the file position): a
  /// file renamed or removed since it was opened is still read.
  ///
  /// The corresponding C function is `dup`.
  public func duplicate() throws -> ByteSource {
    let d = dup(fd.rawValue)
    guard d >= 0 else { throw SystemError("dup", path: name, errno: errno, category: .io) }
    return ByteSource(fd: FileDescriptor(rawValue: d, name: fd.name), name: name)
  }

  /// True when the source is a regular file (not a pipe or terminal).
  public var isRegularFile: Bool {
    var st = stat()
    return fstat(fd.rawValue, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
  }

  /// The source's size in bytes and modification time (ns since the epoch), as `fstat` says now;
  /// nil when it cannot tell.
  public func status() -> (size: Int64, modifiedNanos: Int64)? {
    var st = stat()
    guard fstat(fd.rawValue, &st) == 0 else { return nil }
    return (Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
  }

  /// What `fstat` says of the source now, for recognising an unchanged file: device, inode,
  /// size, and modification and status-change times (ns since the epoch); nil when it cannot
  /// tell.
  public func fileStamp() -> FileStamp? {
    var st = stat()
    guard fstat(fd.rawValue, &st) == 0 else { return nil }
    return FileStamp(
      device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
      modifiedNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
      changedNanos: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
  }

  /// Moves a file source to byte `offset`, dropping anything peeked.
  ///
  /// The corresponding C function is `lseek`.
  public func seek(to offset: Int64) throws {
    pushback.removeAll()
    if lseek(fd.rawValue, off_t(offset), SEEK_SET) < 0 {
      throw SystemError("seek", path: name, errno: errno, category: .io)
    }
  }

  /// The path to reopen the source by (nil for stdin).
  public var path: String? { owned ? name : nil }

  /// Reads up to `buffer.count` bytes; 0 at the end.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    if !pushback.isEmpty {
      let n = min(buffer.count, pushback.count)
      pushback.withUnsafeBytes {
        buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n)
      }
      pushback.removeFirst(n)
      return n
    }
    return try fd.read(into: buffer)
  }

  /// What waiting for input found.
  public enum Readiness { case ready, timedOut, interrupted }

  /// Waits until input can be read, at most `milliseconds` (negative: forever).
  ///
  /// The corresponding C function is `poll`.
  public func waitReadable(milliseconds: Int32) -> Readiness {
    if !pushback.isEmpty { return .ready }
    var p = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
    let r = poll(&p, 1, milliseconds)
    if r > 0 { return .ready }
    if r == 0 { return .timedOut }
    return errno == EINTR ? .interrupted : .ready
  }

  /// Returns up to `count` first bytes without consuming them (fewer at the end of input).
  public func peek(_ count: Int) throws -> [UInt8] {
    var tmp = [UInt8](repeating: 0, count: count)
    var have = pushback.count
    if have < count {
      tmp.replaceSubrange(0..<have, with: pushback)
      while have < count {
        let n = try tmp.withUnsafeMutableBytes { buf in
          try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[have...]))
        }
        if n == 0 { break }
        have += n
      }
      pushback = Array(tmp[0..<have])
    }
    return Array(pushback.prefix(count))
  }
}

/// A file's identity and state as `stat` gives them: any write to the file, or a rename or
/// `touch` of it, changes the modification or status-change time.
public struct FileStamp: Hashable, Sendable {
  public var device: UInt64
  public var inode: UInt64
  public var size: Int64
  public var modifiedNanos: Int64
  public var changedNanos: Int64

  public init(device: UInt64, inode: UInt64, size: Int64, modifiedNanos: Int64, changedNanos: Int64)
  {
    self.device = device
    self.inode = inode
    self.size = size
    self.modifiedNanos = modifiedNanos
    self.changedNanos = changedNanos
  }
}
