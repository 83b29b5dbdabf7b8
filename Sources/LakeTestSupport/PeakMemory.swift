// LakeTestSupport/PeakMemory.swift
//
// Running a tool and reading its peak resident memory, for tests that check a documented memory
// bound (issue 9). The peak is the high-water mark of the tool's own address space, VmHWM in
// /proc/PID/status, read every few milliseconds while it runs (it only grows, so the last read
// is the peak up to then). Not rusage: posix_spawn starts the child in the parent's address
// space (vfork), and exec then counts the test process's own peak as the child's ru_maxrss.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The exit status, stderr and peak memory of one run.
public struct MeasuredRun: Sendable {
  public var status: Int32
  public var stderr: String
  /// Peak resident set size (VmHWM, sampled every 2 ms), KiB.
  public var peakKiB: Int
}

extension TestTools {
  /// Runs `tool` (a name in the bin directory) with stdin and stdout on /dev/null, and returns
  /// its status, stderr and peak resident memory.
  public static func measure(_ tool: String, _ arguments: [String]) throws -> MeasuredRun {
    let path = binDirectory.appendingPathComponent(tool).path
    let errPath = FileManager.default.temporaryDirectory
      .appendingPathComponent("lh-measure-\(UUID().uuidString).err").path
    defer { unlink(errPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    // The test runner's threads block most signals; the child must not inherit that mask.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    guard spawned == 0 else {
      throw NSError(domain: "posix_spawn", code: Int(spawned))
    }
    var status: Int32 = 0
    var peak = 0
    while true {
      peak = max(peak, highWaterKiB(pid) ?? 0)
      let reaped = waitpid(pid, &status, WNOHANG)
      if reaped == pid { break }
      if reaped < 0 && errno != EINTR { throw NSError(domain: "waitpid", code: Int(errno)) }
      usleep(2_000)
    }
    let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return MeasuredRun(status: exit, stderr: stderr, peakKiB: peak)
  }

  /// VmHWM of process `pid` in KiB; nil once it has exited.
  static func highWaterKiB(_ pid: pid_t) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return nil }
    return Int(line.dropFirst(6).filter { $0.isNumber })
  }
}
