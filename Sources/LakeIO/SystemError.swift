// LakeIO/SystemError.swift
//
// A failed system call, kept typed (errno) the way swift-system's `Errno` does, with the operation
// and path a user needs to act on it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A system call that failed, with its errno, what it was doing and on which path.
public struct SystemError: LakeError, Equatable {
  /// The operation, in words: "write", "open", "fsync".
  public var operation: String
  /// The path or stream the call was about ("stdout", "lake/_delta_log/…"), if any.
  public var path: String?
  /// The C `errno` value.
  public var errno: Int32
  public var category: ErrorCategory

  /// Creates an error for `operation` on `path` that failed with `errno`.
  ///
  /// A failure of the storage itself (`EIO`, `ENOSPC`, `EDQUOT`, `EFBIG`) is an I/O error
  /// whatever the call: a full disk while creating a file exits 74, not 73 (issue 9, found by
  /// `FaultInjectionTests`).
  ///
  /// - Parameters:
  ///   - category: defaults to `.io`; opening a missing input is `.noInput`, creating an
  ///     output is `.cannotCreate`.
  public init(_ operation: String, path: String? = nil, errno: Int32, category: ErrorCategory = .io)
  {
    self.operation = operation
    self.path = path
    self.errno = errno
    self.category = Self.isStorageFailure(errno) ? .io : category
  }

  /// True for the errno values that say the storage failed or is full, not that the request
  /// was wrong (a missing directory, a permission).
  public static func isStorageFailure(_ errno: Int32) -> Bool {
    errno == EIO || errno == ENOSPC || errno == EDQUOT || errno == EFBIG
  }

  /// True when the reader of a pipe went away (EPIPE); tools then stop quietly with status 0.
  public var isBrokenPipe: Bool { errno == EPIPE }

  /// The C library's text for the errno, lower-cased at the start.
  public var reason: String {
    guard let c = strerror(errno) else { return "errno \(errno)" }
    var s = String(cString: c)
    if let first = s.first, first.isUppercase,
      s.dropFirst().first.map({ $0.isLowercase }) ?? false
    {
      s = first.lowercased() + s.dropFirst()
    }
    return s
  }

  public var description: String {
    if let path { return "\(path): \(operation): \(reason)" }
    return "\(operation): \(reason)"
  }
}
