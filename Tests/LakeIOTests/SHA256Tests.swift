import Foundation
import LakeIO
import LakeTestSupport
import Testing

@Suite("SHA-256")
struct SHA256Tests {
  @Test(
    "FIPS 180-4 test vectors",
    arguments: [
      ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
      (
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
      ),
    ])
  func vectors(input: String, digest: String) {
    #expect(SHA256.hex(Array(input.utf8)) == digest)
  }

  @Test("streaming in odd pieces equals one shot, and equals sha256sum")
  func streaming() throws {
    let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }
    var h = SHA256()
    var at = 0
    var step = 1
    while at < data.count {
      let end = min(data.count, at + step)
      data[at..<end].withUnsafeBytes { h.update($0) }
      at = end
      step = step * 3 % 997 + 1
    }
    let streamed = h.finalize()
    #expect(streamed == SHA256.hex(data))
    let dir = try TestTools.temporaryDirectory()
    let file = dir.appendingPathComponent("d")
    try Data(data).write(to: file)
    let r = try TestTools.shell("sha256sum \(file.path) | cut -c1-64")
    #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines) == streamed)
  }
}

@Suite("Content digest")
struct ContentDigestTests {
  @Test("streaming equals one shot; every byte and the length matter")
  func digest() {
    let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
    func oneShot(_ d: [UInt8]) -> String {
      var h = ContentDigest()
      d.withUnsafeBytes { h.update($0) }
      return h.finalize()
    }
    var h = ContentDigest()
    var at = 0
    var step = 1
    while at < data.count {
      let end = min(data.count, at + step)
      data[at..<end].withUnsafeBytes { h.update($0) }
      at = end
      step = step * 5 % 61 + 1
    }
    let whole = oneShot(data)
    #expect(h.finalize() == whole)
    #expect(whole.count == 32)
    var seen = Set([whole])
    for i in stride(from: 0, to: data.count, by: 997) {
      var flipped = data
      flipped[i] ^= 1
      #expect(seen.insert(oneShot(flipped)).inserted, "flip at \(i) collides")
    }
    #expect(seen.insert(oneShot(Array(data.dropLast()))).inserted)
    #expect(seen.insert(oneShot(data + [0])).inserted)
    #expect(oneShot([]) != oneShot([0]))
  }
}
