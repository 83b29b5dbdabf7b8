// LakeStages/Gen/Random.swift
//
// xoshiro256** (Blackman and Vigna, 2018) seeded through SplitMix64: fast, small state, and the
// same sequence on every platform and Swift version, which `--seed` promises ("same seed and
// flags give the same bytes, always"). Swift's own SystemRandomNumberGenerator is not seedable.

/// A seedable pseudo-random generator with the draws the event models need.
public struct Random: Sendable {
  @usableFromInline var s0: UInt64
  @usableFromInline var s1: UInt64
  @usableFromInline var s2: UInt64
  @usableFromInline var s3: UInt64

  /// Seeds the state from `seed` with SplitMix64, as the xoshiro authors recommend.
  public init(seed: UInt64) {
    var x = seed
    func splitmix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitmix()
    s1 = splitmix()
    s2 = splitmix()
    s3 = splitmix()
  }

  /// The next 64 random bits.
  @inlinable
  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 45) | (s3 >> 19)
    return result
  }

  /// A uniform double in [0, 1).
  @inlinable
  public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A uniform integer in 0..<bound (Lemire's multiply-shift; bias below 2^-32 for our bounds).
  @inlinable
  public mutating func below(_ bound: Int) -> Int {
    Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
  }

  /// True with probability `p`.
  @inlinable
  public mutating func chance(_ p: Double) -> Bool { uniform() < p }

  /// An exponentially distributed draw with mean 1.
  @inlinable
  public mutating func exponential() -> Double {
    -log1p(-uniform())
  }

  /// An approximately normal draw (mean 0, standard deviation 1).
  ///
  /// The Irwin–Hall sum of four uniforms, rescaled: cheap, bounded at ±3.46, good enough for sensor noise.
  @inlinable
  public mutating func normalish() -> Double {
    (uniform() + uniform() + uniform() + uniform() - 2.0) * 1.732_050_807_568_877
  }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
