// LakeFormats/Parquet/Column/ColumnBuffer+Widening.swift
//
// A column read as a wider type than its file stores: what Delta's type widening (PROTOCOL.md,
// "Type Widening") lets a table's schema say after its older files were written, and what schema
// evolution leaves behind.
//
//   int32 (byte, short, integer)  ─▶ int64, double, decimal(p,s) with p − s ≥ 10
//   int64                         ─▶ decimal(p,s) with p − s ≥ 19
//   float                         ─▶ double
//   decimal(p,s)                  ─▶ decimal(p+k1, s+k2), k1 ≥ k2 ≥ 0
//   date                          ─▶ timestamp_ntz (midnight)
//   timestamp ↔ timestamp_ntz     the same microseconds (a file that says the other kind)
//
// Everything else is not a widening: nil, and the caller names the mismatch.

extension ColumnBuffer {
  /// The same values as `type`, which must have the same storage (no copy of the values).
  public func retyped(_ type: ColumnType) -> ColumnBuffer {
    precondition(type.storage == self.type.storage, "retyped across storage kinds")
    var out = self
    out.type = type
    return out
  }

  /// Whether values of `from` can be read as `to` by ``widened(to:)``.
  public static func canWiden(_ from: ColumnType, to: ColumnType) -> Bool {
    if from == to { return true }
    switch (from, to) {
    case (.int32, .int64), (.int32, .double), (.int64, .double), (.float, .double): return true
    case (.date, .timestampNtz), (.timestamp, .timestampNtz), (.timestampNtz, .timestamp):
      return true
    case (.int32, .decimal(let p, let s)): return p - s >= 10
    case (.int64, .decimal(let p, let s)): return p - s >= 19
    case (.decimal(let p1, let s1), .decimal(let p2, let s2)):
      return s2 >= s1 && p2 - s2 >= p1 - s1
    default: return false
    }
  }

  /// The values read as `type`, or nil when that is not a widening of this column's type.
  public func widened(to type: ColumnType) -> ColumnBuffer? {
    let from = self.type
    guard Self.canWiden(from, to: type) else { return nil }
    if from == type { return self }
    if from.storage == type.storage {
      // Same storage: timestamps of either kind, decimals of one scale and storage.
      switch (from, type) {
      case (.decimal(_, let s1), .decimal(_, let s2)) where s1 != s2: break
      case (.date, _): break
      default: return retyped(type)
      }
    }
    var out = ColumnBuffer(type: type, capacity: count)
    let factor: Int128
    switch (from, type) {
    case (.decimal(_, let s1), .decimal(_, let s2)): factor = Self.power(s2 - s1)
    case (_, .decimal(_, let s)): factor = Self.power(s)
    default: factor = 1
    }
    for i in 0..<count {
      guard isValid(i) else {
        out.appendNull()
        continue
      }
      switch type {
      case .int64: out.append(Int64(int32s[i]))
      case .double:
        switch from.storage {
        case .int32: out.append(Double(int32s[i]))
        case .int64: out.append(Double(int64s[i]))
        default: out.append(Double(floats[i]))
        }
      case .timestampNtz: out.append(Int64(int32s[i]) * 86_400_000_000)
      case .decimal:
        let unscaled: Int128
        switch from.storage {
        case .int32: unscaled = Int128(int32s[i])
        case .int64: unscaled = Int128(int64s[i])
        default: unscaled = int128s[i]
        }
        let v = unscaled * factor
        if type.storage == .int64 { out.append(Int64(v)) } else { out.append(v) }
      default: out.appendNull()
      }
    }
    return out
  }

  static func power(_ n: Int) -> Int128 {
    var p: Int128 = 1
    for _ in 0..<max(0, n) { p *= 10 }
    return p
  }
}
