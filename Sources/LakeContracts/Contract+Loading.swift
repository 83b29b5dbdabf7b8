// LakeContracts/Contract+Loading.swift
//
// Where a contract comes from: `--contract C` names a built-in contract (clickstream, iot,
// sales) or a file. A name that is not a built-in is a path; a path that cannot be read is
// `noInput` (66), a file that does not parse is `usage` (64).

import LakeIO

#if canImport(Glibc)
import Glibc
#endif

extension Contract {
  /// The largest contract file read (a contract is a few kilobytes; this guards against being
  /// handed a data file by mistake).
  public static let maxFileBytes = 1 << 20

  /// Reads and parses the contract file at `path`.
  ///
  /// - Throws: ``ContractError``: `.noInput` when the file cannot be read, `.usage` when it is
  ///   too large, not UTF-8 or does not parse.
  public static func load(path: String) throws(ContractError) -> Contract {
    var bytes: [UInt8] = []
    do {
      let fd = try FileDescriptor.open(readingFrom: path)
      defer { try? fd.close() }
      var chunk = [UInt8](repeating: 0, count: 65_536)
      while true {
        let n = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
        guard bytes.count <= maxFileBytes else {
          throw ContractError(
            file: path, line: nil, message: "larger than \(maxFileBytes) bytes: not a contract")
        }
      }
    } catch let error as ContractError {
      throw error
    } catch {
      let reason = (error as? SystemError)?.reason ?? "\(error)"
      throw ContractError(
        file: path, line: nil, message: "cannot read the contract: \(reason)", category: .noInput)
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw ContractError(file: path, line: nil, message: "not UTF-8 text")
    }
    return try ContractParser.parse(text, file: path)
  }

  /// The built-in contract named `nameOrPath`, else the contract file at that path.
  ///
  /// - Throws: ``ContractError`` as ``load(path:)`` does; when there is no such file, the
  ///   message lists the built-in contracts, and a bare word (no `/` or `.`: a misspelt name,
  ///   most likely) is a usage error (64) rather than a missing input (66).
  public static func resolve(_ nameOrPath: String) throws(ContractError) -> Contract {
    if let c = builtin(nameOrPath) { return c }
    do {
      return try load(path: nameOrPath)
    } catch let e where e.category == .noInput && !fileExists(nameOrPath) {
      let word = !nameOrPath.contains("/") && !nameOrPath.contains(".")
      throw ContractError(
        file: nameOrPath, line: nil,
        message:
          "no built-in contract of that name (there are \(builtinNames.joined(separator: ", "))) and no such contract file",
        category: word ? .usage : .noInput)
    }
  }

  /// False only when nothing is at `path` (ENOENT); an unreadable file exists.
  static func fileExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 || errno != ENOENT
  }
}
