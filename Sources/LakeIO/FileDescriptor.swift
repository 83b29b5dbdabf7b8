// LakeIO/FileDescriptor.swift
//
// A thin typed wrapper over POSIX file descriptors in the manner of swift-system's
// `FileOperations.swift`: each method makes one kind of C call, retries on EINTR, and throws a
// `SystemError` carrying errno and the path.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor and the name to show in messages.
public struct FileDescriptor: Sendable {
  /// The raw descriptor.
  public let rawValue: Int32
  /// The name used in error messages ("stdout", a path).
  public let name: String

  /// Wraps an already-open descriptor.
  public init(rawValue: Int32, name: String) {
    self.rawValue = rawValue
    self.name = name
  }

  /// Standard input.
  public static let standardInput = FileDescriptor(rawValue: 0, name: "stdin")
  /// Standard output.
  public static let standardOutput = FileDescriptor(rawValue: 1, name: "stdout")
  /// Standard error.
  public static let standardError = FileDescriptor(rawValue: 2, name: "stderr")

  /// Opens `path` for reading.
  ///
  /// - Throws: `SystemError` with category `.noInput`.
  ///
  /// The corresponding C function is `open`.
  public static func open(readingFrom path: String) throws -> FileDescriptor {
    while true {
      let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
      if fd >= 0 { return FileDescriptor(rawValue: fd, name: path) }
      if errno == EINTR { continue }
      throw SystemError("open", path: path, errno: errno, category: .noInput)
    }
  }

  /// Creates (or truncates) `path` for writing with mode 0666 less the umask.
  ///
  /// With `followLinks` false, a symbolic link at `path` is refused (`ELOOP`), never followed.
  ///
  /// - Throws: `SystemError` with category `.cannotCreate`.
  ///
  /// The corresponding C function is `open`.
  public static func create(
    writingTo path: String, exclusive: Bool = false, followLinks: Bool = true
  ) throws -> FileDescriptor {
    let flags =
      O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
      | (followLinks ? 0 : O_NOFOLLOW)
    while true {
      let fd = Glibc.open(path, flags, 0o666)
      if fd >= 0 { return FileDescriptor(rawValue: fd, name: path) }
      if errno == EINTR { continue }
      throw SystemError("create", path: path, errno: errno, category: .cannotCreate)
    }
  }

  /// Reads up to `buffer.count` bytes; returns 0 at end of input.
  ///
  /// The corresponding C function is `read`.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    while true {
      let n = Glibc.read(rawValue, buffer.baseAddress, buffer.count)
      if n >= 0 { return n }
      if errno == EINTR { continue }
      throw SystemError("read", path: name, errno: errno)
    }
  }

  /// Writes every byte of `buffer`, looping over short writes and EINTR.
  ///
  /// - Throws: `SystemError` (check `isBrokenPipe` for a reader that went away).
  ///
  /// The corresponding C function is `write`.
  public func writeAll(_ buffer: UnsafeRawBufferPointer) throws {
    guard var p = buffer.baseAddress else { return }
    var left = buffer.count
    while left > 0 {
      let n = Glibc.write(rawValue, p, left)
      if n < 0 {
        if errno == EINTR { continue }
        throw SystemError("write", path: name, errno: errno)
      }
      p += n
      left -= n
    }
  }

  /// Flushes the file's data and metadata to stable storage.
  ///
  /// The corresponding C function is `fsync`.
  public func sync() throws {
    while fsync(rawValue) != 0 {
      if errno == EINTR { continue }
      throw SystemError("fsync", path: name, errno: errno)
    }
  }

  /// Closes the descriptor.
  ///
  /// The corresponding C function is `close`.
  public func close() throws {
    if Glibc.close(rawValue) != 0 && errno != EINTR {
      throw SystemError("close", path: name, errno: errno)
    }
  }

  /// Asks the kernel for a 1 MiB buffer if the descriptor is a pipe.
  ///
  /// The default is 64 KiB; a larger one halves the context switches of a fast producer. Failure is harmless and ignored.
  ///
  /// The corresponding C function is `fcntl(F_SETPIPE_SZ)`.
  public func growPipeBuffer() {
    #if os(Linux)
    var st = stat()
    guard fstat(rawValue, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO else { return }
    let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ, which Glibc does not export
    _ = fcntl(rawValue, setPipeSize, Int32(1 << 20))
    #endif
  }

  /// True when the descriptor is a terminal.
  ///
  /// The corresponding C function is `isatty`.
  public var isTerminal: Bool { isatty(rawValue) == 1 }

  /// True when the descriptor can carry piped data: a pipe (FIFO), a socket or a regular file.
  ///
  /// False for a terminal, `/dev/null` and other devices, and a closed descriptor: the rule
  /// ripgrep uses to decide whether stdin holds input (so that cron's `/dev/null` stdin is not
  /// taken for an empty input). The corresponding C function is `fstat`.
  public var carriesData: Bool {
    var info = stat()
    guard fstat(rawValue, &info) == 0 else { return false }
    let type = info.st_mode & S_IFMT
    return type == S_IFIFO || type == S_IFSOCK || type == S_IFREG
  }
}
