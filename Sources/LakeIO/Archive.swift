// LakeIO/Archive.swift
//
// libarchive wrapped for lh-pack (issue 8): pax archives through libarchive's zstd filter,
// written and read through our own callbacks so that every byte of the file passes through
// lh, and ended by a small integrity trailer.
//
//   ArchiveWriter: beginFile(path, size, mtime) → write(bytes)… → … → finish()
//     libarchive: pax (restricted) ─▶ zstd filter ─▶ write callback ─▶ file, CRC-32, length
//     finish(): end of archive, then the trailer (a zstd skippable frame), fsync, close
//   ArchiveReader: nextEntry() → read(into:)… → … → finish() (checks the trailer)
//
// The trailer is a zstd skippable frame (magic 0x184D2A5B; `zstd -d`, GNU tar and bsdtar skip
// it) holding "lhck", the length and the CRC-32 of every byte before it. libarchive's zstd
// filter writes frames without a content checksum, and tar padding is never checked by a
// reader, so without it a flipped byte in a padding block would go unnoticed; with it, no byte
// of an archive can change without `lh-pack verify` seeing it. Per-file SHA-256 sums live in
// the archive's manifest (LakeStages).

import CArchive
import CZlib

#if canImport(Glibc)
import Glibc
#endif

/// A libarchive failure or a malformed archive, with the archive's path.
public struct ArchiveError: LakeError, Equatable {
  /// The archive file.
  public var path: String
  /// What went wrong, in words.
  public var reason: String
  public var category: ErrorCategory

  /// Creates an error about the archive at `path`.
  public init(path: String, reason: String, category: ErrorCategory) {
    self.path = path
    self.reason = reason
    self.category = category
  }

  public var description: String { "\(path): \(reason)" }
}

/// The integrity trailer at the end of every lh archive.
public enum ArchiveTrailer {
  /// Bytes in the trailer: skippable-frame magic and size (8), "lhck", length (8), CRC-32 (4).
  public static let size = 24
  static let magic: UInt32 = 0x184D_2A5B
  static let tag: [UInt8] = Array("lhck".utf8)

  /// The trailer for `length` bytes whose CRC-32 is `crc`.
  public static func encode(length: UInt64, crc: UInt32) -> [UInt8] {
    var out: [UInt8] = []
    func put<T: FixedWidthInteger>(_ v: T) {
      for i in 0..<(T.bitWidth / 8) { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }
    put(magic)
    put(UInt32(16))
    out += tag
    put(length)
    put(crc)
    return out
  }

  /// The length and CRC-32 a trailer records; nil when `bytes` is not a trailer.
  public static func decode(_ bytes: [UInt8]) -> (length: UInt64, crc: UInt32)? {
    guard bytes.count == size else { return nil }
    func get(_ at: Int, _ n: Int) -> UInt64 {
      var v: UInt64 = 0
      for i in 0..<n { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
      return v
    }
    guard get(0, 4) == UInt64(magic), get(4, 4) == 16, Array(bytes[8..<12]) == tag else {
      return nil
    }
    return (get(12, 8), UInt32(get(20, 4)))
  }

  /// Continues a CRC-32 over `bytes`.
  ///
  /// The corresponding C function is `crc32`.
  public static func crc(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    var c = UInt(crc)
    var p = base.assumingMemoryBound(to: UInt8.self)
    var left = bytes.count
    while left > 0 {
      let n = min(left, 1 << 30)
      c = CZlib.crc32(c, p, UInt32(n))
      p += n
      left -= n
    }
    return UInt32(truncatingIfNeeded: c)
  }
}

/// Writes a pax archive compressed by libarchive's zstd filter to a file, then the trailer.
public final class ArchiveWriter {
  let handle: OpaquePointer
  let entry: OpaquePointer
  let sink: Sink
  /// The file being written.
  public let path: String
  var finished = false

  /// The write side's state, reached from libarchive's C callbacks.
  final class Sink {
    let fd: FileDescriptor
    var crc: UInt32 = 0
    var length: UInt64 = 0
    var failure: SystemError?

    init(fd: FileDescriptor) { self.fd = fd }
  }

  /// Creates `path` (truncating it) and starts an archive compressed at zstd `level`.
  ///
  /// The corresponding C functions are `archive_write_new`,
  /// `archive_write_set_format_pax_restricted`, `archive_write_add_filter_zstd` and
  /// `archive_write_open2`.
  public init(path: String, level: Int32 = 3) throws {
    self.path = path
    let fd = try FileDescriptor.create(writingTo: path)
    sink = Sink(fd: fd)
    guard let a = archive_write_new(), let e = archive_entry_new() else {
      try? fd.close()
      throw ArchiveError(path: path, reason: "out of memory", category: .software)
    }
    handle = a
    entry = e
    func check(_ r: Int32, _ what: String) throws {
      if r != ARCHIVE_OK {
        throw ArchiveError(
          path: path, reason: "\(what): \(Self.message(a))", category: .software)
      }
    }
    do {
      try check(archive_write_set_format_pax_restricted(a), "pax format")
      try check(archive_write_add_filter_zstd(a), "zstd filter")
      try check(
        archive_write_set_filter_option(a, "zstd", "compression-level", String(level)),
        "zstd level")
      // No zero padding after the zstd frame (libarchive pads the last block for tapes; zstd
      // readers refuse bytes after a frame that are not a frame).
      try check(archive_write_set_bytes_in_last_block(a, 1), "block size")
      let context = Unmanaged.passUnretained(sink).toOpaque()
      try check(
        archive_write_open2(
          a, context, nil,
          { _, context, buffer, length in
            guard let context else { return -1 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
            do {
              try sink.fd.writeAll(bytes)
            } catch let e as SystemError {
              sink.failure = e
              return -1
            } catch {
              return -1
            }
            sink.crc = ArchiveTrailer.crc(sink.crc, bytes)
            sink.length += UInt64(length)
            return length
          }, nil, nil),
        "open")
    } catch {
      // Every stored property is set: deinit frees the handle and the entry.
      try? fd.close()
      unlink(path)
      throw error
    }
  }

  deinit {
    archive_write_free(handle)
    archive_entry_free(entry)
  }

  static func message(_ a: OpaquePointer) -> String {
    guard let c = archive_error_string(a) else { return "unknown libarchive error" }
    return String(cString: c)
  }

  func fail(_ what: String) -> any Error {
    if let e = sink.failure { return e }
    return ArchiveError(
      path: path, reason: "\(what): \(Self.message(handle))", category: .io)
  }

  /// Starts a regular file entry of `size` bytes at `name`, owned by 0:0, mode 0644, modified
  /// at `mtime` (seconds since the epoch); its bytes follow with `write`.
  ///
  /// The corresponding C function is `archive_write_header`.
  public func beginFile(_ name: String, size: Int64, mtime: Int64) throws {
    archive_entry_clear(entry)
    archive_entry_set_pathname(entry, name)
    archive_entry_set_filetype(entry, CARCHIVE_AE_IFREG)
    archive_entry_set_perm(entry, 0o644)
    archive_entry_set_size(entry, size)
    archive_entry_set_mtime(entry, time_t(mtime), 0)
    archive_entry_set_uid(entry, 0)
    archive_entry_set_gid(entry, 0)
    if archive_write_header(handle, entry) != ARCHIVE_OK { throw fail("\(name): header") }
  }

  /// Writes bytes of the current entry.
  ///
  /// The corresponding C function is `archive_write_data`.
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard let base = bytes.baseAddress else { return }
    var done = 0
    while done < bytes.count {
      let n = archive_write_data(handle, base + done, bytes.count - done)
      if n <= 0 { throw fail("write") }
      done += n
    }
  }

  /// Ends the archive, writes the trailer, fsyncs and closes the file.
  ///
  /// The corresponding C function is `archive_write_close`.
  public func finish() throws {
    if archive_write_close(handle) != ARCHIVE_OK { throw fail("close") }
    finished = true
    var trailer = ArchiveTrailer.encode(length: sink.length, crc: sink.crc)
    try trailer.withUnsafeMutableBytes { try sink.fd.writeAll(UnsafeRawBufferPointer($0)) }
    try sink.fd.sync()
    try sink.fd.close()
  }

  /// Bytes of compressed archive written so far (without the trailer).
  public var bytesWritten: UInt64 { sink.length }

  /// Abandons the archive and removes the file.
  public func abort() {
    if !finished {
      archive_write_fail(handle)
      finished = true
      try? sink.fd.close()
    }
    unlink(path)
  }
}

/// One entry of an archive being read.
public struct ArchiveEntry: Sendable, Equatable {
  /// The path stored in the archive.
  public var path: String
  /// Its size in bytes.
  public var size: Int64
  /// True for a regular file (not a hard link to another entry).
  public var isRegularFile: Bool { kind == .file }
  /// What kind of entry it is.
  public var kind: Kind

  /// The kinds of archive entries; lh writes only regular files.
  public enum Kind: String, Sendable, Equatable {
    case file = "a regular file"
    case directory = "a directory"
    case symbolicLink = "a symbolic link"
    case hardLink = "a hard link"
    case other = "a device, FIFO or socket"
  }

  /// Creates an entry description.
  public init(path: String, size: Int64, kind: Kind) {
    self.path = path
    self.size = size
    self.kind = kind
  }
}

/// Reads an lh archive: its entries through libarchive, and its trailer.
public final class ArchiveReader {
  let handle: OpaquePointer
  let source: Source
  /// The archive file.
  public let path: String
  var atEnd = false

  /// The read side's state, reached from libarchive's C callbacks.
  final class Source {
    let fd: FileDescriptor
    let buffer: UnsafeMutableRawPointer
    let capacity = 1 << 20
    /// Bytes before the trailer: the reader never hands libarchive more.
    let limit: UInt64
    var offset: UInt64 = 0
    var crc: UInt32 = 0
    var failure: SystemError?

    init(fd: FileDescriptor, limit: UInt64) {
      self.fd = fd
      self.limit = limit
      buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Reads the next block (at most up to the trailer); 0 at its end.
    func next() throws -> Int {
      let want = Int(min(UInt64(capacity), limit - offset))
      if want == 0 { return 0 }
      let n = try fd.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: want))
      crc = ArchiveTrailer.crc(crc, UnsafeRawBufferPointer(start: buffer, count: n))
      offset += UInt64(n)
      return n
    }
  }

  /// Opens the archive at `path`: checks that it ends with an lh trailer, then starts reading.
  ///
  /// - Throws: `SystemError` (.noInput) when the file cannot be opened; `ArchiveError` (.data)
  ///   when it is not an lh archive.
  ///
  /// The corresponding C functions are `archive_read_new` and `archive_read_open2`.
  public init(path: String) throws {
    self.path = path
    let fd = try FileDescriptor.open(readingFrom: path)
    var st = stat()
    guard fstat(fd.rawValue, &st) == 0 else {
      let e = errno
      try? fd.close()
      throw SystemError("stat", path: path, errno: e, category: .noInput)
    }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      try? fd.close()
      throw SystemError("open", path: path, errno: EISDIR, category: .noInput)
    }
    let size = UInt64(max(0, st.st_size))
    var tail = [UInt8](repeating: 0, count: ArchiveTrailer.size)
    let got =
      size >= UInt64(ArchiveTrailer.size)
      ? tail.withUnsafeMutableBytes {
        pread(fd.rawValue, $0.baseAddress, $0.count, off_t(size) - off_t(ArchiveTrailer.size))
      } : -1
    guard got == ArchiveTrailer.size, ArchiveTrailer.decode(tail) != nil else {
      try? fd.close()
      throw ArchiveError(
        path: path, reason: "not an lh archive, or truncated (no lh trailer at its end)",
        category: .data)
    }
    source = Source(fd: fd, limit: size - UInt64(ArchiveTrailer.size))
    guard let a = archive_read_new() else {
      try? fd.close()
      throw ArchiveError(path: path, reason: "out of memory", category: .software)
    }
    handle = a
    archive_read_support_filter_zstd(a)
    archive_read_support_format_tar(a)
    let context = Unmanaged.passUnretained(source).toOpaque()
    let r = archive_read_open2(
      a, context, nil,
      { _, context, buffer in
        guard let context, let buffer else { return -1 }
        let source = Unmanaged<Source>.fromOpaque(context).takeUnretainedValue()
        do {
          let n = try source.next()
          buffer.pointee = UnsafeRawPointer(source.buffer)
          return n
        } catch let e as SystemError {
          source.failure = e
          return -1
        } catch {
          return -1
        }
      }, nil, nil)
    if r != ARCHIVE_OK {
      // Every stored property is set: deinit frees the handle and closes the file.
      let reason = Self.message(a)
      throw source.failure
        ?? ArchiveError(path: path, reason: "not a zstd pax archive: \(reason)", category: .data)
    }
  }

  deinit {
    archive_read_free(handle)
    try? source.fd.close()
  }

  static func message(_ a: OpaquePointer) -> String {
    guard let c = archive_error_string(a) else { return "unknown libarchive error" }
    return String(cString: c)
  }

  func fail(_ what: String) -> any Error {
    if let e = source.failure { return e }
    return ArchiveError(
      path: path, reason: "\(what): \(Self.message(handle))", category: .data)
  }

  /// The next entry; nil after the last one.
  ///
  /// Bytes of the previous entry not read are skipped.
  ///
  /// The corresponding C function is `archive_read_next_header`.
  public func nextEntry() throws -> ArchiveEntry? {
    guard !atEnd else { return nil }
    var e: OpaquePointer?
    let r = archive_read_next_header(handle, &e)
    if r == ARCHIVE_EOF {
      atEnd = true
      return nil
    }
    guard r == ARCHIVE_OK || r == ARCHIVE_WARN, let e else { throw fail("damaged archive") }
    guard let name = archive_entry_pathname(e) else {
      throw ArchiveError(path: path, reason: "an entry without a name", category: .data)
    }
    let kind: ArchiveEntry.Kind
    let type = archive_entry_filetype(e)
    if archive_entry_hardlink(e) != nil {
      kind = .hardLink
    } else if archive_entry_symlink(e) != nil || type == CARCHIVE_AE_IFLNK {
      kind = .symbolicLink
    } else if type == CARCHIVE_AE_IFREG {
      kind = .file
    } else if type == CARCHIVE_AE_IFDIR {
      kind = .directory
    } else {
      kind = .other
    }
    return ArchiveEntry(path: String(cString: name), size: archive_entry_size(e), kind: kind)
  }

  /// Reads bytes of the current entry into `buffer`; 0 at its end.
  ///
  /// The corresponding C function is `archive_read_data`.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    let n = archive_read_data(handle, buffer.baseAddress, buffer.count)
    if n < 0 { throw fail("damaged archive") }
    return n
  }

  /// After the last entry: reads what libarchive left unread and checks the trailer's length
  /// and CRC-32 against every byte before it.
  ///
  /// - Throws: `ArchiveError` (.data) when a byte of the archive changed.
  public func finish() throws {
    while try source.next() > 0 {}
    var tail = [UInt8](repeating: 0, count: ArchiveTrailer.size)
    let got = tail.withUnsafeMutableBytes {
      pread(source.fd.rawValue, $0.baseAddress, $0.count, off_t(source.limit))
    }
    guard got == ArchiveTrailer.size, let t = ArchiveTrailer.decode(tail) else {
      throw ArchiveError(path: path, reason: "the lh trailer is damaged", category: .data)
    }
    guard t.length == source.limit, t.crc == source.crc else {
      throw ArchiveError(
        path: path,
        reason:
          "checksum mismatch: the archive's bytes differ from those written (CRC-32 of \(source.limit) bytes)",
        category: .data)
    }
  }

  /// Compressed bytes read so far.
  public var bytesRead: UInt64 { source.offset }
}
