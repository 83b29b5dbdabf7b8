// LakeTestSupport/ToolRunner.swift
//
// Test helpers, not a product: find and run the built lh-* executables, make temporary
// directories, locate the repository's fixtures. Foundation is fine here (tests only).

import Foundation

/// The result of running a tool.
public struct ToolResult: Sendable {
  public var status: Int32
  public var stdout: [UInt8]
  public var stderr: String
  /// Wall time of the run in seconds.
  public var seconds: Double

  /// stdout as text.
  public var output: String { String(decoding: stdout, as: UTF8.self) }
  /// stdout split into lines (without the newlines; no empty last element).
  public var lines: [[UInt8]] {
    var out: [[UInt8]] = []
    var start = 0
    for (i, b) in stdout.enumerated() where b == 0x0A {
      out.append(Array(stdout[start..<i]))
      start = i + 1
    }
    if start < stdout.count { out.append(Array(stdout[start...])) }
    return out
  }
}

/// Runs built tools and finds test files.
public enum TestTools {
  /// The directory holding the built executables: `$LH_BIN_DIR`, else the test binary's own.
  public static var binDirectory: URL {
    if let d = ProcessInfo.processInfo.environment["LH_BIN_DIR"] {
      return URL(fileURLWithPath: d)
    }
    return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
      .deletingLastPathComponent()
  }

  /// The repository's root directory (where Package.swift is).
  public static func repositoryRoot(file: String = #filePath) -> URL {
    var url = URL(fileURLWithPath: file)
    while url.path != "/" {
      url.deleteLastPathComponent()
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        return url
      }
    }
    fatalError("Package.swift not found above \(file)")
  }

  /// Runs `tool` (a name in the bin directory, or a path) with `arguments` and `stdin`.
  public static func run(
    _ tool: String, _ arguments: [String] = [], stdin: [UInt8]? = nil,
    environment: [String: String] = [:], currentDirectory: URL? = nil
  ) throws -> ToolResult {
    let process = Process()
    process.executableURL =
      tool.contains("/") ? URL(fileURLWithPath: tool) : binDirectory.appendingPathComponent(tool)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["PATH"] = binDirectory.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
    for (k, v) in environment { env[k] = v }
    process.environment = env
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let outPipe = Pipe()
    let errPipe = Pipe()
    let inPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
    let started = Date()
    // Children inherit the spawning thread's signal mask, and the test runner's threads block
    // nearly everything (SIGCHLD included, which makes `wait` in sh hang): start them unblocked.
    var all = sigset_t()
    sigfillset(&all)
    pthread_sigmask(SIG_UNBLOCK, &all, nil)
    try process.run()
    // Read both streams concurrently so neither pipe can fill up and stall the child.
    let errBox = DataBox()
    let errDone = DispatchSemaphore(value: 0)
    let errReader = Thread {
      errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
      errDone.signal()
    }
    errReader.start()
    if let stdin {
      let writer = Thread {
        // A child may exit before reading all its input: the write then fails with EPIPE
        // instead of SIGPIPE killing the test runner (a blocked, thread-directed SIGPIPE is
        // dropped with the thread).
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        try? inPipe.fileHandleForWriting.write(contentsOf: Data(stdin))
        try? inPipe.fileHandleForWriting.close()
      }
      writer.start()
    }
    let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
    errDone.wait()
    process.waitUntilExit()
    return ToolResult(
      status: process.terminationStatus, stdout: [UInt8](outData),
      stderr: String(decoding: errBox.data, as: UTF8.self),
      seconds: Date().timeIntervalSince(started))
  }

  /// Runs `tool` like `run`, and also returns its peak resident memory in KiB.
  ///
  /// A python3 parent runs it and reads `RUSAGE_CHILDREN`: exact, and not the test process's own
  /// peak, which a child spawned straight from here would inherit (posix_spawn shares the
  /// parent's address space until exec, and exec carries its high-water mark over); python's own
  /// small peak is the floor.
  public static func runMeasuringMemory(
    _ tool: String, _ arguments: [String] = [], stdin: [UInt8]? = nil,
    environment: [String: String] = [:], currentDirectory: URL? = nil
  ) throws -> (result: ToolResult, peakKiB: Int) {
    let report = FileManager.default.temporaryDirectory
      .appendingPathComponent("lh-rss-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: report) }
    let script = """
      import resource, subprocess, sys
      code = subprocess.call(sys.argv[2:])
      open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
      sys.exit(code if code >= 0 else 128 - code)
      """
    let path = tool.contains("/") ? tool : binDirectory.appendingPathComponent(tool).path
    let result = try run(
      "/usr/bin/env", ["python3", "-c", script, report, path] + arguments, stdin: stdin,
      environment: environment, currentDirectory: currentDirectory)
    let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
    return (result, Int(text) ?? -1)
  }

  /// Runs a shell command line with the tools on PATH.
  public static func shell(
    _ command: String, stdin: [UInt8]? = nil, environment: [String: String] = [:],
    currentDirectory: URL? = nil
  ) throws -> ToolResult {
    try run(
      "/bin/sh", ["-c", command], stdin: stdin, environment: environment,
      currentDirectory: currentDirectory)
  }

  /// A new empty temporary directory, removed with everything in it when the test process
  /// exits (kept when `LH_KEEP_TEST_DIRS` is set, to look into a failure).
  public static func temporaryDirectory(_ label: String = "lh-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    TemporaryDirectories.shared.add(url.path)
    return url
  }
}

/// The temporary directories tests made, removed at exit.
final class TemporaryDirectories: @unchecked Sendable {
  static let shared = TemporaryDirectories()
  let lock = NSLock()
  var paths: [String] = []

  init() {
    guard ProcessInfo.processInfo.environment["LH_KEEP_TEST_DIRS"] == nil else { return }
    atexit { TemporaryDirectories.shared.removeAll() }
  }

  func add(_ path: String) {
    lock.lock()
    paths.append(path)
    lock.unlock()
  }

  func removeAll() {
    lock.lock()
    defer { lock.unlock() }
    for p in paths where (try? FileManager.default.removeItem(atPath: p)) == nil {
      // A test may have made parts read-only (permission tests): make them writable first.
      _ = try? TestTools.shell("chmod -R u+rwx '\(p)' 2>/dev/null; rm -rf '\(p)'")
    }
    paths.removeAll()
  }
}

/// Bytes handed from a reader thread to the waiting test (guarded by the semaphore).
final class DataBox: @unchecked Sendable {
  var data = Data()
}
