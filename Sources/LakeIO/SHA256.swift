// LakeIO/SHA256.swift
//
// SHA-256 (FIPS 180-4), for content identities: lh-bronze records landed files by their hash, and
// archives carry checksum manifests. Streaming: `update` any number of times, then `finalize`.
// Whole blocks go through the x86 SHA extensions when the processor has them (CSHA; about 2 GB/s
// instead of 0.3), else through the portable code below; both are checked by the same tests.

import CSHA

/// An incremental SHA-256.
public struct SHA256: Sendable {
  var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab,
    0x5be0_cd19
  )
  var block = [UInt8](repeating: 0, count: 64)
  var blockCount = 0
  var length: UInt64 = 0

  static let k: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585,
    0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7,
    0xc671_78f2,
  ]

  public init() {}

  /// True when the processor has the SHA extensions (checked once).
  static let hasSHAExtensions = csha_has_sha_ni() != 0

  /// Hashes more bytes.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    length &+= UInt64(bytes.count)
    guard let base = bytes.baseAddress else { return }
    var i = 0
    // Finish a partial block first, then hash whole blocks straight from the input.
    if blockCount > 0 {
      let take = min(64 - blockCount, bytes.count)
      for j in 0..<take { block[blockCount + j] = bytes[j] }
      blockCount += take
      i = take
      if blockCount == 64 {
        block.withUnsafeBytes { compress($0.baseAddress!) }
        blockCount = 0
      }
    }
    let blocks = (bytes.count - i) / 64
    if blocks > 0 && Self.hasSHAExtensions {
      withUnsafeMutableBytes(of: &state) {
        csha_blocks(
          $0.baseAddress!.assumingMemoryBound(to: UInt32.self),
          (base + i).assumingMemoryBound(to: UInt8.self), blocks)
      }
      i += 64 * blocks
    }
    while bytes.count - i >= 64 {
      compress(base + i)
      i += 64
    }
    if i < bytes.count {
      for j in i..<bytes.count { block[j - i] = bytes[j] }
      blockCount = bytes.count - i
    }
  }

  /// One 64-byte block into the state (FIPS 180-4 §6.2.2), with a 16-word rolling schedule on
  /// the stack.
  mutating func compress(_ p: UnsafeRawPointer) {
    @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    var (a, b, c, d, e, f, g, h) = state
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { w in
      for t in 0..<16 {
        w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
      }
      for t in 0..<64 {
        let wt: UInt32
        if t < 16 {
          wt = w[t]
        } else {
          let w15 = w[(t - 15) & 15]
          let w2 = w[(t - 2) & 15]
          let s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3)
          let s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10)
          wt = w[t & 15] &+ s0 &+ w[(t - 7) & 15] &+ s1
          w[t & 15] = wt
        }
        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        let ch = (e & f) ^ (~e & g)
        let t1 = h &+ s1 &+ ch &+ Self.k[t] &+ wt
        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        let maj = (a & b) ^ (a & c) ^ (b & c)
        let t2 = s0 &+ maj
        h = g
        g = f
        f = e
        e = d &+ t1
        d = c
        c = b
        b = a
        a = t1 &+ t2
      }
    }
    state = (
      state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e, state.5 &+ f,
      state.6 &+ g, state.7 &+ h
    )
  }

  /// The digest as 64 lower-case hex characters.
  public mutating func finalize() -> String {
    let bits = length &* 8
    var pad: [UInt8] = [0x80]
    let rest = (blockCount + 1) % 64
    pad += [UInt8](repeating: 0, count: rest <= 56 ? 56 - rest : 120 - rest)
    for i in (0..<8).reversed() { pad.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
    let saved = length
    pad.withUnsafeBytes { update($0) }
    length = saved
    let words = [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7]
    let hex = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for w in words {
      for shift in stride(from: 28, through: 0, by: -4) {
        out.append(hex[Int((w >> UInt32(shift)) & 15)])
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The digest of `bytes`.
  public static func hex(_ bytes: [UInt8]) -> String {
    var h = SHA256()
    bytes.withUnsafeBytes { h.update($0) }
    return h.finalize()
  }
}
