// LakeIO/Archive.swift
//
// libarchive wrapped for lh-pack (issue 8): pax archives written and read through our own
// callbacks so that every byte of the file passes through lh, compressed by our own zstd stream
// (frames ended where we choose), and ended by a small integrity trailer.
//
//   ArchiveWriter: beginFile(path, size, mtime) → write(bytes)… → [beginLastFrame()] → … → finish()
//     libarchive: pax (restricted), unblocked ─▶ zstd stream (frames) ─▶ file, CRC-32, length
//     finish(): end of archive, end of frame, then the trailer (a zstd skippable frame), fsync
//   ArchiveReader(path:): nextEntry() → read(into:)… → … → finish() (checks the trailer)
//   ArchiveReader.lastFrame(path:): only the frame the trailer indexes (lh-pack list)
//
// The trailer is a zstd skippable frame (magic 0x184D2A5B; `zstd -d`, GNU tar and bsdtar skip
// it) holding "lhck", the length and the CRC-32 of every byte before it, and since the manifest
// index (2026-11, issue 8) the offset and length of the archive's last zstd frame, which holds
// only the manifest entry and the end-of-archive blocks:
//
//   v1 (24 bytes): 5B 2A 4D 18 | 10 00 00 00 | "lhck" | length u64 | crc u32
//   v2 (40 bytes): 5B 2A 4D 18 | 20 00 00 00 | "lhck" | length u64 | crc u32 | offset u64 | size u64
//
// (little-endian). In v2 the CRC-32 continues over the offset and size fields, so that no byte
// of the trailer can change unseen either. tar padding is checked by no reader, so without the
// CRC a flipped byte in a padding block would go unnoticed; with it, no byte of an archive can
// change without `lh-pack verify` seeing it. The zstd frames lh writes also carry a content
// checksum. Per-file SHA-256 sums live in the archive's manifest (LakeStages). Archives with a
// v1 trailer (older lh) are read as before; `lastFrame` returns nil for them.

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
public struct ArchiveTrailer: Equatable, Sendable {
  /// Bytes in a v1 trailer: skippable-frame magic and size (8), "lhck", length (8), CRC-32 (4).
  public static let size = 24
  /// Bytes in a v2 trailer: a v1 trailer, then the last frame's offset (8) and size (8).
  public static let indexedSize = 40
  static let magic: UInt32 = 0x184D_2A5B
  static let tag: [UInt8] = Array("lhck".utf8)

  /// Bytes of the archive before the trailer.
  public var length: UInt64
  /// The CRC-32 the trailer records.
  public var crc: UInt32
  /// Offset and size of the archive's last zstd frame (v2); nil in a v1 trailer.
  public var lastFrame: LastFrame?

  /// Where the last zstd frame of an archive is.
  public struct LastFrame: Equatable, Sendable {
    /// Its first byte's offset in the file.
    public var offset: UInt64
    /// Its size in bytes.
    public var size: UInt64

    /// Creates a frame position.
    public init(offset: UInt64, size: UInt64) {
      self.offset = offset
      self.size = size
    }
  }

  /// Creates a trailer's fields.
  public init(length: UInt64, crc: UInt32, lastFrame: LastFrame?) {
    self.length = length
    self.crc = crc
    self.lastFrame = lastFrame
  }

  /// The trailer's size in bytes.
  public var byteCount: Int { lastFrame == nil ? Self.size : Self.indexedSize }

  /// A v1 trailer for `length` bytes whose CRC-32 is `crc`.
  public static func encode(length: UInt64, crc: UInt32) -> [UInt8] {
    encode(length: length, crc: crc, lastFrame: nil)
  }

  /// The trailer for `length` bytes whose CRC-32 is `crc`: v2 with `lastFrame`, else v1.
  ///
  /// In v2, the CRC-32 written is `crc` continued over the frame's offset and size fields.
  public static func encode(length: UInt64, crc: UInt32, lastFrame: LastFrame?) -> [UInt8] {
    var out: [UInt8] = []
    func put<T: FixedWidthInteger>(_ v: T) {
      for i in 0..<(T.bitWidth / 8) { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }
    put(magic)
    put(UInt32(lastFrame == nil ? 16 : 32))
    out += tag
    put(length)
    guard let lastFrame else {
      put(crc)
      return out
    }
    var index: [UInt8] = []
    for v in [lastFrame.offset, lastFrame.size] {
      for i in 0..<8 { index.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
    put(index.withUnsafeBytes { Self.crc(crc, $0) })
    return out + index
  }

  /// The length and CRC-32 a v1 trailer records; nil when `bytes` is not one.
  public static func decode(_ bytes: [UInt8]) -> (length: UInt64, crc: UInt32)? {
    guard bytes.count == size, let t = parse(tail: bytes), t.lastFrame == nil else { return nil }
    return (t.length, t.crc)
  }

  /// The trailer that ends `tail` (the last bytes of a file, up to `indexedSize` of them).
  ///
  /// Returns nil when there is none. A v2 trailer is tried first.
  public static func parse(tail: [UInt8]) -> ArchiveTrailer? {
    func get(_ bytes: ArraySlice<UInt8>, _ at: Int, _ n: Int) -> UInt64 {
      var v: UInt64 = 0
      let base = bytes.startIndex + at
      for i in 0..<n { v |= UInt64(bytes[base + i]) << (8 * UInt64(i)) }
      return v
    }
    func header(_ bytes: ArraySlice<UInt8>, _ frameSize: UInt64) -> Bool {
      get(bytes, 0, 4) == UInt64(magic) && get(bytes, 4, 4) == frameSize
        && Array(bytes[(bytes.startIndex + 8)..<(bytes.startIndex + 12)]) == tag
    }
    if tail.count >= indexedSize {
      let t = tail.suffix(indexedSize)
      if header(t, 32) {
        return ArchiveTrailer(
          length: get(t, 12, 8), crc: UInt32(get(t, 20, 4)),
          lastFrame: LastFrame(offset: get(t, 24, 8), size: get(t, 32, 8)))
      }
    }
    if tail.count >= size {
      let t = tail.suffix(size)
      if header(t, 16) {
        return ArchiveTrailer(length: get(t, 12, 8), crc: UInt32(get(t, 20, 4)), lastFrame: nil)
      }
    }
    return nil
  }

  /// True when `crc` (the CRC-32 of the bytes before the trailer) matches the recorded one,
  /// continued over the frame index in v2.
  public func matches(crc: UInt32) -> Bool {
    guard let lastFrame else { return crc == self.crc }
    var index: [UInt8] = []
    for v in [lastFrame.offset, lastFrame.size] {
      for i in 0..<8 { index.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
    return index.withUnsafeBytes { Self.crc(crc, $0) } == self.crc
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

/// Writes a pax archive, compressed by a zstd stream of our own, to a file, then the trailer.
public final class ArchiveWriter {
  let handle: OpaquePointer
  let entry: OpaquePointer
  let sink: Sink
  /// The file being written, as the user named it.
  public let path: String
  /// Where the bytes go.
  let target: OutputTarget
  /// True when `finish` commits the target (the writer opened it).
  let ownsTarget: Bool
  var finished = false
  /// Where the last frame starts, once `beginLastFrame` was called.
  var lastFrameOffset: UInt64?

  /// The write side's state, reached from libarchive's C callbacks.
  final class Sink {
    let fd: FileDescriptor
    let encoder: ZstdStreamEncoder
    var crc: UInt32 = 0
    var length: UInt64 = 0
    var failure: (any Error)?

    init(fd: FileDescriptor, encoder: ZstdStreamEncoder) {
      self.fd = fd
      self.encoder = encoder
    }

    /// Writes compressed bytes to the file, counting them into the CRC and the length.
    func emit(_ bytes: UnsafeRawBufferPointer) throws {
      try fd.writeAll(bytes)
      crc = ArchiveTrailer.crc(crc, bytes)
      length += UInt64(bytes.count)
    }
  }

  /// Starts an archive at `path` (published atomically by `finish`, see ``OutputTarget``),
  /// compressed at zstd `level`.
  public convenience init(path: String, level: Int32 = 3) throws {
    try self.init(target: OutputTarget.open(path), level: level, owned: true)
  }

  /// Starts an archive compressed at zstd `level` written to `target`, which the caller
  /// commits after `finish` (to read the archive back first) or aborts.
  public convenience init(target: OutputTarget, level: Int32 = 3) throws {
    try self.init(target: target, level: level, owned: false)
  }

  /// libarchive writes the tar stream unblocked (every byte goes straight to our callback), so
  /// that `beginLastFrame` can end a zstd frame exactly between two entries.
  ///
  /// The corresponding C functions are `archive_write_new`,
  /// `archive_write_set_format_pax_restricted`, `archive_write_set_bytes_per_block` and
  /// `archive_write_open2`.
  init(target: OutputTarget, level: Int32, owned: Bool) throws {
    self.path = target.path
    self.target = target
    self.ownsTarget = owned
    let path = target.path
    let encoder = try ZstdStreamEncoder(level: level)
    let fd = target.descriptor
    sink = Sink(fd: fd, encoder: encoder)
    guard let a = archive_write_new(), let e = archive_entry_new() else {
      if owned { target.abort() }
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
      // No blocking and no padding: the tar stream is exactly its entries and the two zero
      // blocks that end it (zstd readers refuse bytes after a frame that are not a frame).
      try check(archive_write_set_bytes_per_block(a, 0), "block size")
      let context = Unmanaged.passUnretained(sink).toOpaque()
      try check(
        archive_write_open2(
          a, context, nil,
          { _, context, buffer, length in
            guard let context else { return -1 }
            let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
            do {
              try sink.encoder.compress(bytes) { try sink.emit($0) }
            } catch {
              sink.failure = error
              return -1
            }
            return length
          }, nil, nil),
        "open")
    } catch {
      // Every stored property is set: deinit frees the handle and the entry.
      if owned { target.abort() }
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

  /// Ends the current entry and the current zstd frame: what follows (the last entries and the
  /// end of the archive) is a frame of its own, whose offset and size the trailer records.
  ///
  /// Call it at most once, between entries.
  ///
  /// The corresponding C function is `archive_write_finish_entry` (which writes the entry's
  /// padding), then `ZSTD_compressStream2` (`ZSTD_e_end`).
  public func beginLastFrame() throws {
    if archive_write_finish_entry(handle) != ARCHIVE_OK { throw fail("finish entry") }
    try sink.encoder.endFrame { try sink.emit($0) }
    lastFrameOffset = sink.length
  }

  /// Ends the archive and its last frame and writes the trailer; a writer made with
  /// `init(path:)` then publishes the file (fsync, rename), one made with `init(target:)`
  /// leaves that to the caller.
  ///
  /// The corresponding C function is `archive_write_close`.
  public func finish() throws {
    if archive_write_close(handle) != ARCHIVE_OK { throw fail("close") }
    finished = true
    try sink.encoder.endFrame { try sink.emit($0) }
    var trailer = ArchiveTrailer.encode(
      length: sink.length, crc: sink.crc,
      lastFrame: lastFrameOffset.map { .init(offset: $0, size: sink.length - $0) })
    trailerBytes = trailer.count
    try trailer.withUnsafeMutableBytes { try sink.fd.writeAll(UnsafeRawBufferPointer($0)) }
    if ownsTarget { try target.commit() }
  }

  var trailerBytes = 0

  /// Bytes of compressed archive written so far (without the trailer).
  public var bytesWritten: UInt64 { sink.length }

  /// Bytes of the finished file, trailer included.
  public var fileSize: UInt64 { sink.length + UInt64(trailerBytes) }

  /// Abandons the archive: a regular file's temporary file is removed, the target left as it
  /// was (see ``OutputTarget/abort()``).
  public func abort() {
    if !finished {
      archive_write_fail(handle)
      finished = true
    }
    target.abort()
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
///
/// A regular file is read up to its trailer, found first at its end. Other input (a pipe,
/// `-` for standard input) is read as a stream: every byte goes to libarchive (whose zstd
/// reader skips the trailer's skippable frame), and the CRC-32 trails the input by the size of
/// a trailer, so that at the end the last bytes are the trailer and the CRC covers those
/// before it.
public final class ArchiveReader {
  let handle: OpaquePointer
  let source: Source
  /// The archive file (`-`: standard input).
  public let path: String
  var atEnd = false

  /// The read side's state, reached from libarchive's C callbacks.
  final class Source {
    let fd: FileDescriptor
    let closes: Bool
    let buffer: UnsafeMutableRawPointer
    let capacity = 1 << 20
    /// Where reading stops (the trailer of a file, the end of its last frame); nil: a stream,
    /// read to its end.
    let limit: UInt64?
    /// The trailer of a file, read at open.
    let trailer: ArchiveTrailer?
    var offset: UInt64 = 0
    var crc: UInt32 = 0
    /// A stream's last bytes, not yet in the CRC (at most a v2 trailer's size).
    var tail: [UInt8] = []
    var failure: SystemError?

    init(fd: FileDescriptor, closes: Bool, limit: UInt64?, trailer: ArchiveTrailer?) {
      self.fd = fd
      self.closes = closes
      self.limit = limit
      self.trailer = trailer
      buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
      buffer.deallocate()
      if closes { try? fd.close() }
    }

    /// Reads the next block (of a file, at most up to its limit); 0 at the end.
    func next() throws -> Int {
      let want = limit.map { Int(min(UInt64(capacity), $0 - offset)) } ?? capacity
      if want == 0 { return 0 }
      let n = try fd.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: want))
      let block = UnsafeRawBufferPointer(start: buffer, count: n)
      offset += UInt64(n)
      if limit != nil {
        crc = ArchiveTrailer.crc(crc, block)
        return n
      }
      // A stream: the CRC covers every byte but the last `indexedSize` seen.
      let keep = ArchiveTrailer.indexedSize
      let leaving = tail.count + n - keep
      if leaving <= 0 {
        tail += block
      } else if leaving <= tail.count {
        crc = tail.withUnsafeBytes {
          ArchiveTrailer.crc(crc, UnsafeRawBufferPointer(rebasing: $0[0..<leaving]))
        }
        tail = Array(tail[leaving...]) + block
      } else {
        crc = tail.withUnsafeBytes { ArchiveTrailer.crc(crc, $0) }
        crc = ArchiveTrailer.crc(
          crc, UnsafeRawBufferPointer(rebasing: block[0..<(leaving - tail.count)]))
        tail = Array(block[(n - keep)...])
      }
      return n
    }
  }

  /// Opens the archive at `path` (`-`: standard input); a file must end with an lh trailer.
  ///
  /// - Throws: `SystemError` (.noInput) when the file cannot be opened; `ArchiveError` (.data)
  ///   when it is not an lh archive.
  ///
  /// The corresponding C functions are `archive_read_new` and `archive_read_open2`.
  public convenience init(path: String) throws {
    let fd: FileDescriptor
    if path == "-" {
      fd = .standardInput
    } else {
      fd = try FileDescriptor.open(readingFrom: path)
    }
    let closes = path != "-"
    let size: UInt64?
    do {
      size = try Self.seekableSize(fd, path: path)
    } catch {
      if closes { try? fd.close() }
      throw error
    }
    guard let size else {
      try self.init(
        path: path, source: Source(fd: fd, closes: closes, limit: nil, trailer: nil))
      return
    }
    guard let trailer = Self.trailer(fd, size: size) else {
      if closes { try? fd.close() }
      throw ArchiveError(
        path: path, reason: "not an lh archive, or truncated (no lh trailer at its end)",
        category: .data)
    }
    try self.init(
      path: path,
      source: Source(
        fd: fd, closes: closes, limit: size - UInt64(trailer.byteCount), trailer: trailer))
  }

  /// Opens only the last zstd frame of the archive at `path`, which the trailer indexes: the
  /// manifest entry and the end of the archive, read without the rest.
  ///
  /// Returns nil when `path` is not a seekable file (standard input, a pipe) or its trailer
  /// has no index (written by an lh before the index): read the whole archive then. The frame
  /// is checked by its zstd content checksum only; `finish` checks nothing more.
  ///
  /// - Throws: as `init(path:)`, and `ArchiveError` (.data) for an index that points outside
  ///   the file.
  public static func lastFrame(path: String) throws -> ArchiveReader? {
    // Never opened unless a regular file: opening and closing a FIFO would drop its writer.
    var st = stat()
    guard path != "-", stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
    let fd = try FileDescriptor.open(readingFrom: path)
    let size: UInt64?
    do {
      size = try seekableSize(fd, path: path)
    } catch {
      try? fd.close()
      throw error
    }
    guard let size, let trailer = trailer(fd, size: size) else {
      // Not seekable, or not an lh archive: the full read says which.
      try? fd.close()
      return nil
    }
    guard let frame = trailer.lastFrame else {
      try? fd.close()
      return nil
    }
    let end = size - UInt64(trailer.byteCount)
    guard frame.offset < end, frame.size == end - frame.offset,
      lseek(fd.rawValue, off_t(frame.offset), SEEK_SET) == off_t(frame.offset)
    else {
      try? fd.close()
      throw ArchiveError(
        path: path, reason: "the lh trailer is damaged (its frame index is outside the archive)",
        category: .data)
    }
    let source = Source(fd: fd, closes: true, limit: end, trailer: nil)
    source.offset = frame.offset
    return try ArchiveReader(path: path, source: source)
  }

  /// The size of a seekable regular file read from its start; nil for anything else.
  static func seekableSize(_ fd: FileDescriptor, path: String) throws -> UInt64? {
    var st = stat()
    guard fstat(fd.rawValue, &st) == 0 else {
      throw SystemError("stat", path: path, errno: errno, category: .noInput)
    }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      throw SystemError("open", path: path, errno: EISDIR, category: .noInput)
    }
    guard (st.st_mode & S_IFMT) == S_IFREG, lseek(fd.rawValue, 0, SEEK_CUR) == 0 else {
      return nil
    }
    return UInt64(max(0, st.st_size))
  }

  /// The trailer at the end of a file of `size` bytes; nil when there is none.
  static func trailer(_ fd: FileDescriptor, size: UInt64) -> ArchiveTrailer? {
    let n = Int(min(size, UInt64(ArchiveTrailer.indexedSize)))
    guard n >= ArchiveTrailer.size else { return nil }
    var tail = [UInt8](repeating: 0, count: n)
    let got = tail.withUnsafeMutableBytes {
      pread(fd.rawValue, $0.baseAddress, n, off_t(size) - off_t(n))
    }
    guard got == n, let t = ArchiveTrailer.parse(tail: tail) else { return nil }
    return t
  }

  init(path: String, source: Source) throws {
    self.path = path
    self.source = source
    guard let a = archive_read_new() else {
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
      if let e = source.failure { throw e }
      if source.limit == nil && source.offset < UInt64(ArchiveTrailer.size) {
        throw ArchiveError(
          path: path, reason: "not an lh archive, or truncated (no lh trailer at its end)",
          category: .data)
      }
      throw ArchiveError(path: path, reason: "not a zstd pax archive: \(reason)", category: .data)
    }
  }

  deinit {
    archive_read_free(handle)
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
  /// and CRC-32 against every byte before it (for a reader of `lastFrame`, nothing).
  ///
  /// - Throws: `ArchiveError` (.data) when a byte of the archive changed.
  public func finish() throws {
    while try source.next() > 0 {}
    let trailer: ArchiveTrailer
    let length: UInt64
    var crc = source.crc
    if source.limit != nil {
      guard let t = source.trailer else { return }  // the last frame alone
      trailer = t
      length = source.offset
    } else {
      // A stream: its last bytes are the trailer; v1's are 16 bytes shorter than what was
      // held back, and those 16 belong to the archive.
      guard let t = ArchiveTrailer.parse(tail: source.tail) else {
        throw ArchiveError(
          path: path, reason: "not an lh archive, or truncated (no lh trailer at its end)",
          category: .data)
      }
      trailer = t
      let before = source.tail.count - t.byteCount
      crc = source.tail.withUnsafeBytes {
        ArchiveTrailer.crc(crc, UnsafeRawBufferPointer(rebasing: $0[0..<before]))
      }
      length = source.offset - UInt64(t.byteCount)
    }
    guard trailer.length == length, trailer.matches(crc: crc) else {
      throw ArchiveError(
        path: path,
        reason:
          "checksum mismatch: the archive's bytes differ from those written (CRC-32 of \(length) bytes)",
        category: .data)
    }
  }

  /// Compressed bytes read so far.
  public var bytesRead: UInt64 { source.offset }
}
