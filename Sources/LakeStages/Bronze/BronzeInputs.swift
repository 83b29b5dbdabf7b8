// LakeStages/Bronze/BronzeInputs.swift
//
// What lh-bronze's arguments name, and how a file is recognised when it comes back.
//
// Arguments: a file; a directory, standing for the regular files in it (not recursive, in byte
// order of their names), skipping names that are dot-files (`.x`, Emacs's `.#x` included) or end
// in `.tmp`, `.part` or `~` (names writers use before renaming a file into place); "-" or none
// for stdin. A name that does not exist is an error (66), unless it holds a glob character
// (`*`, `?`, `[`): then it is a pattern the shell found no match for, and stands for nothing. So
// `lh-bronze spool/` and `lh-bronze spool/*.ndjson` on an empty spool both land nothing and
// exit 0.
//
// File identity (the Delta log's txns, so it survives restarts, renames and copies):
//
//   lh-bronze:file:<ID>:lines   lines landed of the file
//   lh-bronze:file:<ID>:bytes   bytes of the file those lines end at (the landed prefix);
//                               for compressed files, the compressed bytes they were read from
//   lh-bronze:file:<ID>:digest  the first 64 bits of the landed prefix's content digest
//
// ID is the 128-bit content digest of the file's first line (with its "\n"), then ".1", ".2", …
// for further files that start with the same line. A file is the one landed as ID when its first
// `bytes` bytes have that digest: it then resumes after line `lines` (a plain file is read from
// byte `bytes` on; a compressed one is decoded from the start and its first `lines` lines
// passed over). Same bytes under any name are therefore the same file. A compressed file's
// identity is marked with its compression: a .zst of the same lines is another file.
//
// A file whose first line is that of a landed file, but whose first bytes differ from every
// landed prefix with that line, was rewritten rather than appended (or is another file that
// starts the same way): that is said on stderr and it lands whole as a new file (ID ".N"). If it
// is shorter than such a landed prefix and still changing, it waits until it settles: it may be
// a copy of the landed file still being made, which lands nothing once complete.
//
// Cost of resuming: one read of the file's landed prefix to hash it (a 293 MB file fully landed
// is recognised in 1.6 s and 26 MiB by a debug build), plus, for a compressed file, decoding
// that prefix again; a plain file is then read only from its landed end. Files landed whole by lh-bronze 0.1 (txn
// `lh-bronze:content:<digest of the file>`) are recognised by a whole-file digest while the
// lake holds such txns, and recorded the new way on their next run.

import LakeFormats
import LakeIO

#if canImport(Glibc)
import Glibc
#endif

extension BronzeStage {
  /// Names a writer gives a file it has not finished (skipped in a directory argument).
  static func isTemporaryName(_ name: String) -> Bool {
    name.hasPrefix(".") || name.hasSuffix(".tmp") || name.hasSuffix(".part") || name.hasSuffix("~")
  }

  /// The inputs the arguments stand for (nil: stdin).
  ///
  /// Directories are listed, unmatched patterns dropped (with a note). `listed` marks a file
  /// found in a directory: one that is gone by the time it is opened was renamed or removed by
  /// its writer, and is passed over.
  static func expandInputs(
    _ arguments: [String?], note: (String) -> Void
  ) -> [(path: String?, listed: Bool)] {
    var out: [(path: String?, listed: Bool)] = []
    for argument in arguments {
      guard let path = argument else {
        out.append((nil, false))
        continue
      }
      var st = stat()
      if stat(path, &st) != 0 {
        if errno == ENOENT && path.contains(where: { "*?[".contains($0) }) {
          note("\(path): matched no file")
          continue
        }
        out.append((path, false))  // opening it reports the error
        continue
      }
      guard (st.st_mode & S_IFMT) == S_IFDIR else {
        out.append((path, false))
        continue
      }
      guard let d = opendir(path) else {
        out.append((path, false))
        continue
      }
      var names: [String] = []
      while let entry = readdir(d) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
          String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if !isTemporaryName(name) { names.append(name) }
      }
      closedir(d)
      let dir = path.hasSuffix("/") ? path : path + "/"
      for name in names.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
        var s = stat()
        if stat(dir + name, &s) == 0 && (s.st_mode & S_IFMT) == S_IFREG {
          out.append((dir + name, true))
        }
      }
    }
    return out
  }

  /// What is known of a landed file: its landed prefix.
  struct LandedPrefix: Equatable {
    var lines: Int64
    var bytes: Int64
    var digest: Int64
  }

  static func fileAppId(_ id: String, _ field: String) -> String {
    "lh-bronze:file:\(id):\(field)"
  }

  /// The first 64 bits of a digest, as a txn version holds them.
  static func digest64(_ digest: ContentDigest) -> Int64 {
    var d = digest
    let hex = d.finalize()
    return Int64(bitPattern: UInt64(hex.prefix(16), radix: 16) ?? 0)
  }

  /// Digests of the first bytes of `file` at each length of `lengths` (sorted, each at most the
  /// file's size), and at its end when `whole`; one read of the file up to the last length.
  static func prefixDigests(
    _ file: ByteSource, lengths: [Int64], whole: Bool
  ) throws -> (at: [Int64: ContentDigest], whole: String?) {
    let source = try file.duplicate()
    try source.seek(to: 0)
    var h = ContentDigest()
    var at: [Int64: ContentDigest] = [:]
    var position: Int64 = 0
    var next = 0
    if lengths.first == 0 { at[0] = h }
    while next < lengths.count && lengths[next] == 0 { next += 1 }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while whole || next < lengths.count {
      let want =
        next < lengths.count ? min(buffer.count, Int(lengths[next] - position)) : buffer.count
      let n = try buffer.withUnsafeMutableBytes {
        try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]))
      }
      if n == 0 { break }
      buffer.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
      position += Int64(n)
      while next < lengths.count && lengths[next] == position {
        at[position] = h
        next += 1
      }
    }
    return (at, whole ? h.finalize() : nil)
  }
}
