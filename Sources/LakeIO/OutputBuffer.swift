// LakeIO/OutputBuffer.swift
//
// The buffered writer every tool uses for stdout (and any other output stream). Hot paths write
// straight into its storage: `reserve(n)` hands out a pointer with room for `n` bytes, the caller
// writes, then `commit(k)` advances. Blocks of `capacity` bytes (1 MiB by default) go out in one
// `write(2)`; on a terminal the caller asks for line flushing (ripgrep `wtr.rs`).

/// A byte buffer in front of a file descriptor; the caller owns flushing.
public final class OutputBuffer {
  /// Where the bytes go.
  public let destination: FileDescriptor
  @usableFromInline var base: UnsafeMutablePointer<UInt8>
  @usableFromInline var used: Int
  @usableFromInline var capacity: Int
  /// Bytes handed to `write(2)` so far (flushed).
  public private(set) var bytesFlushed: Int = 0

  /// Receives flushed bytes instead of `destination`, when set.
  let handler: ((UnsafeRawBufferPointer) throws -> Void)?

  /// Creates a buffer of `capacity` bytes in front of `destination`.
  public init(destination: FileDescriptor, capacity: Int = 1 << 20) {
    self.destination = destination
    self.capacity = max(capacity, 4096)
    self.base = .allocate(capacity: self.capacity)
    self.used = 0
    handler = nil
    destination.growPipeBuffer()
  }

  /// Creates a buffer whose flushes go to `handler` (in-process consumers).
  ///
  /// Flushed chunks end wherever the buffer filled up, not at line ends.
  public init(capacity: Int = 1 << 20, handler: @escaping (UnsafeRawBufferPointer) throws -> Void) {
    destination = FileDescriptor(rawValue: -1, name: "memory")
    self.capacity = max(capacity, 4096)
    self.base = .allocate(capacity: self.capacity)
    self.used = 0
    self.handler = handler
  }

  func send(_ bytes: UnsafeRawBufferPointer) throws {
    if let handler { try handler(bytes) } else { try destination.writeAll(bytes) }
  }

  deinit { base.deallocate() }

  /// Bytes waiting in the buffer.
  public var pending: Int { used }

  /// Returns a pointer with room for at least `count` bytes, flushing first if needed.
  ///
  /// Write at most `count` bytes there, then call `commit(_:)` with how many were written.
  @inlinable
  public func reserve(_ count: Int) throws -> UnsafeMutablePointer<UInt8> {
    if used &+ count > capacity { try makeRoom(count) }
    return base + used
  }

  /// Marks `count` bytes written at the pointer `reserve(_:)` returned.
  @inlinable
  public func commit(_ count: Int) {
    assert(used + count <= capacity)
    used &+= count
  }

  /// The bytes written since `mark` (a value of `pending` taken earlier), for copying a line.
  @inlinable
  public func bytes(since mark: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: base + mark, count: used - mark)
  }

  /// Drops everything written since `mark`, for a caller that rewrites what it just wrote.
  @inlinable
  public func truncate(to mark: Int) {
    assert(mark <= used)
    used = mark
  }

  /// Appends `bytes`.
  public func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard let src = bytes.baseAddress, bytes.count > 0 else { return }
    if bytes.count > capacity {
      try flush()
      try send(bytes)
      bytesFlushed += bytes.count
      return
    }
    let p = try reserve(bytes.count)
    p.update(from: src.assumingMemoryBound(to: UInt8.self), count: bytes.count)
    commit(bytes.count)
  }

  /// Appends the UTF-8 bytes of `text`.
  public func write(_ text: String) throws {
    var t = text
    try t.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
  }

  /// Writes out everything buffered.
  ///
  /// - Throws: `SystemError` from `write(2)`; EPIPE means the reader went away.
  public func flush() throws {
    guard used > 0 else { return }
    let n = used
    used = 0
    try send(UnsafeRawBufferPointer(start: base, count: n))
    bytesFlushed += n
  }

  @usableFromInline
  func makeRoom(_ count: Int) throws {
    try flush()
    if count > capacity {
      base.deallocate()
      capacity = count
      base = .allocate(capacity: capacity)
    }
  }
}
