// LakeIO/OutputTarget.swift
//
// Where a user-named output goes (`lh-gen -o`, `lh-pack archive -o`, `lh-silver --rejects`):
// the one place that decides, from what the path is, how it is written (issue 14, item 4).
//
//   "-", /dev/stdout, /dev/stderr, /dev/fd/N,   ─▶ the inherited descriptor, written as is
//   /proc/self/fd/N                                (a shell's `>>` keeps appending)
//   a FIFO, a character or block device, a      ─▶ opened and written through, never replaced,
//   socket (also through symbolic links)           never fsynced (they cannot be synced)
//   a regular file, a new path, or a symbolic   ─▶ published atomically: a temporary file beside
//   link to either                                 the target, fsync, rename over the target,
//                                                  fsync of the directory; a link stays a link
//                                                  and its target is what gets replaced
//   a directory                                 ─▶ refused (73)
//
// A reader of a regular file therefore sees the old file or the whole new one, never a part;
// a killed writer leaves a hidden `.NAME.<pid>.<n>.tmp` behind (dot-file, `.tmp`: what spool
// readers skip), never a truncated NAME.
//
// An output that has no end (`lh-gen --follow -o`, `lh-silver --stream --rejects`) is opened
// `inPlace` instead: a regular file (through its links) is truncated and written as the stream
// goes, so `tail -f` follows it and a kill -9 keeps what was flushed; it is fsynced at the end.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A user-named output, classified by what its path is, open for writing.
public final class OutputTarget {
  /// What an output path turned out to be.
  public enum Kind: Equatable, Sendable, CustomStringConvertible {
    /// `-`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` or `/proc/self/fd/N`: descriptor N.
    case descriptor(Int32)
    /// A FIFO, device or socket (the path as given, links followed): written through.
    case stream
    /// A regular file or a new path: published atomically at this path (symbolic links
    /// resolved, so that a link is kept and its target replaced).
    case file(String)

    /// True when the output ends up as a regular file that can be read back by name.
    public var isRegularFile: Bool {
      if case .file = self { return true }
      return false
    }

    /// What the output is, in words ("standard output", "a FIFO, device or socket").
    public var description: String {
      switch self {
      case .descriptor(1): "standard output"
      case .descriptor(2): "standard error"
      case .descriptor(let n): "descriptor \(n)"
      case .stream: "a FIFO, device or socket"
      case .file: "a regular file"
      }
    }

    /// True when the output is the process's standard output.
    public var isStandardOutput: Bool { self == .descriptor(1) }
  }

  /// The path as the user gave it (shown in messages).
  public let path: String
  public let kind: Kind
  /// The descriptor to write to.
  public let descriptor: FileDescriptor
  /// The temporary file written until `commit` (regular files only).
  public let temporaryPath: String?
  var done = false

  /// Says what `path` is without opening anything (a FIFO is not opened, so this never
  /// blocks).
  ///
  /// - Throws: `SystemError` with category `.cannotCreate` for a directory, a descriptor that
  ///   is not open, or a path that cannot be examined (permissions, a loop of links).
  public static func classify(_ path: String) throws -> Kind {
    if let fd = descriptorAlias(path) {
      guard fcntl(fd, F_GETFD) != -1 else {
        throw SystemError("open", path: path, errno: EBADF, category: .cannotCreate)
      }
      return .descriptor(fd)
    }
    var info = stat()
    if stat(path, &info) == 0 {
      switch info.st_mode & S_IFMT {
      case S_IFREG: return .file(try resolveLinks(path))
      case S_IFDIR: throw SystemError("create", path: path, errno: EISDIR, category: .cannotCreate)
      default: return .stream
      }
    }
    let error = errno
    guard error == ENOENT else {
      throw SystemError("create", path: path, errno: error, category: .cannotCreate)
    }
    // A new path, or a link to one: created at the link's target.
    return .file(try resolveLinks(path))
  }

  /// Classifies `path` and opens it for writing (see the file overview).
  ///
  /// Opening a FIFO waits for its reader, as any writer of a FIFO does.
  ///
  /// - Throws: `SystemError` with category `.cannotCreate`.
  public static func open(_ path: String, inPlace: Bool = false) throws -> OutputTarget {
    let kind = try classify(path)
    if inPlace, case .file(let final) = kind {
      let fd: FileDescriptor
      do { fd = try FileDescriptor.create(writingTo: final) } catch let e as SystemError {
        throw SystemError("create", path: path, errno: e.errno, category: .cannotCreate)
      }
      return OutputTarget(
        path: path, kind: kind, descriptor: FileDescriptor(rawValue: fd.rawValue, name: path),
        temporaryPath: nil)
    }
    switch kind {
    case .descriptor(let fd):
      return OutputTarget(
        path: path, kind: kind, descriptor: FileDescriptor(rawValue: fd, name: path),
        temporaryPath: nil)
    case .stream:
      while true {
        let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        if fd >= 0 {
          return OutputTarget(
            path: path, kind: kind, descriptor: FileDescriptor(rawValue: fd, name: path),
            temporaryPath: nil)
        }
        if errno == EINTR { continue }
        throw SystemError("open", path: path, errno: errno, category: .cannotCreate)
      }
    case .file(let final):
      let (dir, base) = split(final)
      let temporary = "\(dir)/.\(base).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
      let fd: FileDescriptor
      do {
        fd = try FileDescriptor.create(writingTo: temporary, exclusive: true, followLinks: false)
      } catch let e as SystemError {
        // Name the output the user asked for, not the temporary file.
        throw SystemError("create", path: path, errno: e.errno, category: .cannotCreate)
      }
      // A file replaced keeps its permissions.
      var old = stat()
      if stat(final, &old) == 0 { _ = fchmod(fd.rawValue, old.st_mode & 0o7777) }
      return OutputTarget(
        path: path, kind: kind, descriptor: FileDescriptor(rawValue: fd.rawValue, name: path),
        temporaryPath: temporary)
    }
  }

  init(path: String, kind: Kind, descriptor: FileDescriptor, temporaryPath: String?) {
    self.path = path
    self.kind = kind
    self.descriptor = descriptor
    self.temporaryPath = temporaryPath
  }

  deinit { abort() }

  /// Finishes the output: a regular file is fsynced, closed, checked by `check` (given the
  /// temporary file's path, to read it back before it is published), renamed into place and
  /// its directory fsynced; a FIFO or device is closed; a descriptor is left open.
  ///
  /// Buffered writers must be flushed first. On a throw (from `check` too) the temporary file
  /// is removed and the target left as it was.
  public func commit(check: (String) throws -> Void = { _ in }) throws {
    guard !done else { return }
    switch kind {
    case .descriptor:
      done = true
    case .stream:
      done = true
      try descriptor.close()
    case .file where temporaryPath == nil:  // in place: written as it went
      done = true
      try Self.syncIfSupported(descriptor)
      try descriptor.close()
    case .file(let final):
      do {
        try Self.syncIfSupported(descriptor)
        done = true
        try descriptor.close()
        try check(temporaryPath!)
        guard rename(temporaryPath!, final) == 0 else {
          throw SystemError("rename", path: path, errno: errno, category: .cannotCreate)
        }
      } catch {
        if !done { try? descriptor.close() }
        done = true
        unlink(temporaryPath!)
        throw error
      }
      try Self.syncDirectory(Self.split(final).directory)
    }
  }

  /// Gives up: a temporary file is removed (the target stays as it was); a FIFO or device is
  /// closed.
  public func abort() {
    guard !done else { return }
    done = true
    switch kind {
    case .descriptor: break
    case .stream: try? descriptor.close()
    case .file:
      // In place, what was written stays: it is what the stream gave so far.
      try? descriptor.close()
      if let temporaryPath { unlink(temporaryPath) }
    }
  }

  /// The descriptor a descriptor-naming path stands for: `-` and `/dev/stdout` are 1,
  /// `/dev/stderr` is 2, `/dev/fd/N` and `/proc/self/fd/N` are N.
  static func descriptorAlias(_ path: String) -> Int32? {
    switch path {
    case "-", "/dev/stdout": return 1
    case "/dev/stderr": return 2
    default: break
    }
    for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
      let rest = path.dropFirst(prefix.count)
      if !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int32(rest) {
        return n
      }
    }
    return nil
  }

  /// Follows the symbolic links at `path` to the path they end at (which may not exist).
  static func resolveLinks(_ path: String) throws -> String {
    var current = path
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    for _ in 0..<40 {
      var info = stat()
      guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
      let n = readlink(current, &buffer, buffer.count - 1)
      guard n >= 0 else {
        throw SystemError("readlink", path: current, errno: errno, category: .cannotCreate)
      }
      let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current = target.hasPrefix("/") ? target : split(current).directory + "/" + target
    }
    throw SystemError("create", path: path, errno: ELOOP, category: .cannotCreate)
  }

  /// A path's directory (`.` for a bare name, `/` at the root) and last component.
  static func split(_ path: String) -> (directory: String, base: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let dir = String(path[..<slash])
    return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
  }

  /// fsync, where the file system supports it (EINVAL and ENOTSUP say it cannot be synced).
  static func syncIfSupported(_ fd: FileDescriptor) throws {
    do {
      try fd.sync()
    } catch let e as SystemError where e.errno == EINVAL || e.errno == ENOTSUP {
    }
  }

  static func syncDirectory(_ dir: String) throws {
    let fd = Glibc.open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw SystemError("open", path: dir, errno: errno) }
    let d = FileDescriptor(rawValue: fd, name: dir)
    defer { try? d.close() }
    try syncIfSupported(d)
  }
}
