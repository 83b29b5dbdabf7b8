import Foundation
import LakeIO
import LakeTestSupport
import Testing

@Suite("Output buffer and file descriptors")
struct OutputBufferTests {
  @Test("buffered bytes reach the file in order, across flushes and oversize writes")
  func writesInOrder() throws {
    let dir = try TestTools.temporaryDirectory()
    let path = dir.appendingPathComponent("out").path
    let fd = try FileDescriptor.create(writingTo: path)
    let out = OutputBuffer(destination: fd, capacity: 4096)
    var expected: [UInt8] = []
    for i in 0..<10_000 {
      let line = Array("line \(i)\n".utf8)
      let p = try out.reserve(line.count)
      p.update(from: line, count: line.count)
      out.commit(line.count)
      expected += line
    }
    let big = [UInt8](repeating: 0x41, count: 10_000)
    try big.withUnsafeBytes { try out.write($0) }
    expected += big
    try out.write("end\n")
    expected += Array("end\n".utf8)
    try out.flush()
    try fd.close()
    #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == expected)
    #expect(out.bytesFlushed == expected.count)
  }

  @Test("a full device is an I/O error naming the stream")
  func fullDevice() throws {
    let fd = try FileDescriptor.create(writingTo: "/dev/full")
    let out = OutputBuffer(destination: fd)
    try out.write("x")
    #expect {
      try out.flush()
    } throws: { error in
      guard let e = error as? SystemError else { return false }
      return e.category == .io && e.errno == ENOSPC && e.description.hasPrefix("/dev/full: write:")
    }
  }

  @Test("a closed pipe gives EPIPE, recognised as a broken pipe")
  func brokenPipe() throws {
    signal(SIGPIPE, SIG_IGN)
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    close(fds[0])
    let out = OutputBuffer(destination: FileDescriptor(rawValue: fds[1], name: "stdout"))
    try out.write("hello\n")
    #expect {
      try out.flush()
    } throws: { error in
      (error as? SystemError)?.isBrokenPipe == true
    }
    close(fds[1])
  }

  @Test("opening a missing file is a no-input error")
  func missingInput() {
    #expect {
      _ = try FileDescriptor.open(readingFrom: "/nonexistent/lh-test")
    } throws: { error in
      (error as? SystemError)?.category == .noInput
        && "\(error)" == "/nonexistent/lh-test: open: no such file or directory"
    }
  }
}
