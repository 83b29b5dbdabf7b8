// LakeFormats/NDJSON/JSONValue+Number.swift
//
// JSON number tokens to Int64, Double and fixed-point decimals, on bytes. Every function first
// checks that the whole token is a JSON number (so they are safe on any bytes), then converts:
//
//   number = [ minus ] int [ frac ] [ exp ]        int  = zero / ( digit1-9 *DIGIT )
//   frac   = decimal-point 1*DIGIT                 exp  = e [ minus / plus ] 1*DIGIT
//                                                               (RFC 8259, section 6)
//
// - int64: integers only ("1.0" and "1e2" are not integers here), exactly, or nil outside Int64.
// - double: correctly rounded. Up to 19 significant digits with a power of ten within ±22 (and
//   the digits below 2^53) is one exact IEEE multiply or divide (Clinger's fast path), which
//   covers prices and measurements; anything else goes to the standard library's
//   `Double(_: String)` (strtod in the C locale, correctly rounded). A value that rounds to
//   infinity (1e309) gives nil: JSON cannot hold infinity, and a column must not get one.
//   Underflow rounds to zero as IEEE says (1e-400 is 0.0, -1e-400 is -0.0).
// - decimal: exact fixed point, DECIMAL(precision, scale) as an unscaled Int64. Never rounds:
//   nil if a non-zero digit falls below the scale, if more than `precision` digits remain, or
//   outside Int64.

extension JSONValue {
  /// The exact integer a number token holds, or nil.
  ///
  /// Nil if `token` is not a JSON number, has a fraction or exponent (even `1.0` or `1e2`), or
  /// is outside `Int64`. `-0` is 0.
  public static func int64(_ token: UnsafeRawBufferPointer) -> Int64? {
    guard let parts = NumberParts(token), !parts.hasFraction, !parts.hasExponent,
      let p = token.baseAddress?.assumingMemoryBound(to: UInt8.self)
    else { return nil }
    // Accumulate negatively so Int64.min fits.
    var value: Int64 = 0
    var i = parts.intStart
    if parts.intEnd &- parts.intStart <= 18 {
      while i < parts.intEnd {
        value = value &* 10 &- Int64(p[i] &- 0x30)
        i &+= 1
      }
    } else {
      while i < parts.intEnd {
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.subtractingReportingOverflow(Int64(p[i] &- 0x30))
        if o1 || o2 { return nil }
        value = s
        i &+= 1
      }
    }
    if parts.negative { return value }
    return value == .min ? nil : -value
  }

  /// The correctly rounded `Double` of a number token, or nil.
  ///
  /// Nil if `token` is not a JSON number or its value rounds to infinity (above about 1.8e308).
  public static func double(_ token: UnsafeRawBufferPointer) -> Double? {
    guard let parts = NumberParts(token),
      let p = token.baseAddress?.assumingMemoryBound(to: UInt8.self)
    else { return nil }
    var mantissa: UInt64 = 0
    var significant = 0
    var exact = true
    var i = parts.intStart
    while i < parts.fracEnd {
      if i == parts.intEnd { i = parts.fracStart }  // skip the decimal point
      if i >= parts.fracEnd { break }
      let d = UInt64(p[i] &- 0x30)
      i &+= 1
      if mantissa == 0 && d == 0 { continue }  // leading zeros
      significant &+= 1
      if significant > 19 {
        exact = false
        break
      }
      mantissa = mantissa &* 10 &+ d
    }
    if exact {
      if mantissa == 0 { return parts.negative ? -0.0 : 0.0 }
      var power = parts.exponent &- (parts.fracEnd &- parts.fracStart)
      // Move extra powers into the mantissa while it stays exact (e.g. 5e30 = 5000000000e22).
      while power > 22 && mantissa < 1 << 53 / 10 {
        mantissa &*= 10
        power &-= 1
      }
      if mantissa <= 1 << 53 && power >= -22 && power <= 22 {
        var scale = 1.0
        for _ in 0..<(power < 0 ? -power : power) { scale *= 10 }  // 10^k is exact for k ≤ 22
        let magnitude = power < 0 ? Double(mantissa) / scale : Double(mantissa) * scale
        return parts.negative ? -magnitude : magnitude
      }
    }
    guard let value = Double(String(decoding: token, as: UTF8.self)), value.isFinite else {
      return nil
    }
    return value
  }

  /// The exact fixed-point value of a number token with `scale` fraction digits, unscaled.
  ///
  /// `"19.9"` with scale 2 is 1990, `"1e2"` with scale 2 is 10000, `"-0.5"` with scale 1 is -5.
  /// Digits below the scale are accepted only when they are zeros (`"1.230"`, scale 2), since
  /// silent rounding would change money.
  ///
  /// - Parameters:
  ///   - token: A JSON number token.
  ///   - precision: The most significant digits the value may have (DECIMAL precision), ≥ 1.
  ///   - scale: Digits after the decimal point, 0 through `precision`.
  /// - Returns: The value times 10^scale, or nil when `token` is not a number, a non-zero digit
  ///   would be lost, the result has more than `precision` digits or is outside `Int64`, or the
  ///   precision and scale are not valid.
  public static func decimal(_ token: UnsafeRawBufferPointer, precision: Int, scale: Int)
    -> Int64?
  {
    guard precision >= 1, scale >= 0, scale <= precision, let parts = NumberParts(token),
      let p = token.baseAddress?.assumingMemoryBound(to: UInt8.self)
    else { return nil }
    let intCount = parts.intEnd &- parts.intStart
    let fracCount = parts.fracEnd &- parts.fracStart
    let digitCount = intCount &+ fracCount
    // The value is digits × 10^(exponent − fracCount); the result is digits × 10^shift. The
    // exponent is clamped to ±10^9 and the token is far shorter, so nothing here overflows.
    let shift = scale &+ parts.exponent &- fracCount
    // The k-th digit of the integer and fraction digits together, skipping the point.
    @inline(__always) func digit(_ k: Int) -> Int64 {
      Int64(p[k < intCount ? parts.intStart &+ k : parts.fracStart &+ (k &- intCount)] &- 0x30)
    }
    let kept = shift < 0 ? max(0, digitCount &+ shift) : digitCount
    var k = kept
    while k < digitCount {  // digits below the scale must be zeros
      if digit(k) != 0 { return nil }
      k &+= 1
    }
    var value: Int64 = 0  // negative accumulation, so Int64.min fits
    var digits = 0  // significant digits so far
    k = 0
    while k < kept {
      let d = digit(k)
      k &+= 1
      if value == 0 && d == 0 { continue }
      digits &+= 1
      if digits > precision { return nil }
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.subtractingReportingOverflow(d)
      if o1 || o2 { return nil }
      value = s
    }
    if value != 0 && shift > 0 {
      if digits &+ shift > precision { return nil }
      for _ in 0..<shift {
        let (m, o) = value.multipliedReportingOverflow(by: 10)
        if o { return nil }
        value = m
      }
    }
    if parts.negative { return value }
    return value == .min ? nil : -value
  }
}

/// Where the parts of a validated JSON number token are.
struct NumberParts {
  var negative = false
  /// The integer digits.
  var intStart = 0
  var intEnd = 0
  /// The fraction digits (empty when there is no fraction).
  var fracStart = 0
  var fracEnd = 0
  var hasFraction = false
  var hasExponent = false
  /// The exponent, clamped to ±1,000,000,000 (enough to overflow or underflow anything).
  var exponent = 0

  /// Splits `token`, or nil when it is not exactly one JSON number.
  @inline(__always)
  init?(_ token: UnsafeRawBufferPointer) {
    guard let base = token.baseAddress else { return nil }
    let p = base.assumingMemoryBound(to: UInt8.self)
    let n = token.count
    guard JSONLexer.numberEnd(p, n, from: 0) == n else { return nil }
    var i = 0
    if p[0] == 0x2D {
      negative = true
      i = 1
    }
    intStart = i
    while i < n && p[i] &- 0x30 < 10 { i &+= 1 }
    intEnd = i
    fracStart = i
    fracEnd = i
    if i < n && p[i] == 0x2E {
      hasFraction = true
      i &+= 1
      fracStart = i
      while i < n && p[i] &- 0x30 < 10 { i &+= 1 }
      fracEnd = i
    }
    if i < n {  // the grammar was checked: this is e or E
      hasExponent = true
      i &+= 1
      var sign = 1
      if p[i] == 0x2D {
        sign = -1
        i &+= 1
      } else if p[i] == 0x2B {
        i &+= 1
      }
      var e = 0
      while i < n {
        if e < 1_000_000_000 { e = e &* 10 &+ Int(p[i] &- 0x30) }
        i &+= 1
      }
      exponent = sign &* min(e, 1_000_000_000)
    }
  }
}
