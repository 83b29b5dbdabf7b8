// LakeIO/Durability.swift
//
// Making many written files durable at once. A commit that writes hundreds of files (a year of
// partitions) would wait for one fsync after another if each file were synced as it is closed;
// instead its writer closes and renames them unsynced, and before the commit refers to them
// `syncFiles` fsyncs every file, then every directory between the files and the table's root
// (new partition directories included), on several threads so that the file system's journal
// commits overlap. Nothing refers to a file before this returns, so a crash in between leaves
// only unreferenced files (as a crash before a rename does).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fsyncs each of `paths` (regular files), then each directory from theirs up to `root`
/// (inclusive), with up to `threads` threads.
///
/// - Throws: `SystemError` naming the first file or directory that could not be synced.
public func syncFiles(_ paths: [String], root: String, threads: Int = 16) throws {
  guard !paths.isEmpty else { return }
  let dirs = directoriesToSync(paths, root: root)
  let files = paths
  try parallelFor(files.count, threads: threads) { i in try syncPath(files[i], directory: false) }
  try parallelFor(dirs.count, threads: threads) { i in try syncPath(dirs[i], directory: true) }
}

/// The directories holding `paths`, and every directory above them up to `root` (inclusive;
/// none above it), each once, sorted.
func directoriesToSync(_ paths: [String], root: String) -> [String] {
  var directories = Set<String>()
  let top = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
  for path in paths {
    var dir = parentDirectory(path)
    while directories.insert(dir).inserted && dir != top && dir.count > top.count
      && dir.hasPrefix(top + "/")
    {
      dir = parentDirectory(dir)
    }
  }
  return directories.sorted()
}

/// The directory holding `path` ("." for a bare name, "/" for a name at the root).
func parentDirectory(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// Opens `path` read-only and fsyncs it (Linux syncs a file's data through any descriptor).
func syncPath(_ path: String, directory: Bool) throws {
  var fd: Int32
  repeat {
    fd = open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
  } while fd < 0 && errno == EINTR
  guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
  defer { close(fd) }
  while fsync(fd) != 0 {
    if errno == EINTR { continue }
    // File systems that cannot sync (EINVAL, ENOTSUP) have nothing to make durable.
    if errno == EINVAL || errno == ENOTSUP { return }
    throw SystemError("fsync", path: path, errno: errno)
  }
}
