// LakeContracts/Contract.swift
//
// A data contract: what a dataset's lines must hold to become silver rows, and which gold tables
// are computed from them (design.md, "Contracts"; issue 5). The model is plain values; the text
// form a person edits is described in docs/contracts.md and read by ``ContractParser``, written
// by ``Contract/render()``.
//
//   Contract ── columns: [ContractColumn]   name, type, required, values, min/max, max_length
//            ├─ key: [String]               columns that identify an event (deduplication)
//            ├─ eventTime: String           a timestamp column; gives the event_date partition
//            └─ gold: [GoldTable]           grain, group_by, metrics (with filters), ratios
//
// ``ContractValidator`` checks raw lines against a contract and appends typed rows.

import LakeFormats

/// A dataset's contract: columns, key, event-time column and gold tables.
public struct Contract: Equatable, Sendable {
  /// The dataset's name (lower case letters, digits and `_`).
  public var name: String
  /// The columns, in the order silver stores them.
  public var columns: [ContractColumn]
  /// The columns whose values together identify an event; duplicates by key are dropped.
  public var key: [String]
  /// The timestamp column that gives an event's time and its `event_date` partition.
  public var eventTime: String
  /// The gold tables computed from the silver rows.
  public var gold: [GoldTable]

  /// Creates a contract from its parts (``ContractParser`` checks a contract from a file).
  public init(
    name: String, columns: [ContractColumn], key: [String], eventTime: String,
    gold: [GoldTable] = []
  ) {
    self.name = name
    self.columns = columns
    self.key = key
    self.eventTime = eventTime
    self.gold = gold
  }

  /// The typed schema of the contract's columns (required columns are not nullable).
  public var schema: TableSchema {
    TableSchema(columns.map { ColumnSpec($0.name, $0.type, nullable: !$0.required) })
  }

  /// The position of the column named `name`, or nil.
  public func columnIndex(_ name: String) -> Int? {
    columns.firstIndex { $0.name == name }
  }

  /// The currency column of a money metric: the currency of the first of its operand columns
  /// that has one, when it sums, averages or takes the minimum or maximum of money; else nil.
  public func currencyColumn(of metric: GoldMetric) -> String? {
    guard let operand = metric.operand, metric.aggregate != .countDistinct else { return nil }
    for c in [operand.column] + (operand.times.map { [$0] } ?? []) {
      if let i = columnIndex(c), let currency = columns[i].currency { return currency }
    }
    return nil
  }

  /// The positions of the key columns, in key order.
  public var keyIndexes: [Int] { key.compactMap { columnIndex($0) } }

  /// The position of the event-time column.
  public var eventTimeIndex: Int { columnIndex(eventTime) ?? 0 }

  /// The name of the partition column derived from the event time.
  public static let eventDateColumn = "event_date"

  /// The `event_date` (days since 1970-01-01, UTC) of an event time in microseconds.
  @inlinable
  public static func eventDate(micros: Int64) -> Int32 {
    let day: Int64 = 86_400_000_000
    let q = micros / day
    return Int32(truncatingIfNeeded: micros % day < 0 ? q - 1 : q)
  }
}

/// One column of a contract.
public struct ContractColumn: Equatable, Sendable {
  /// The JSON key and the silver column name.
  public var name: String
  /// One of string, int32, int64, double, decimal(p,s) with p ≤ 18, boolean, timestamp, date.
  public var type: ColumnType
  /// Whether every line must carry a non-null value.
  public var required: Bool
  /// The only values allowed (string and integer columns), as written; empty means any value.
  public var allowedValues: [String]
  /// The smallest value allowed (numeric columns).
  public var minimum: ContractBound?
  /// The largest value allowed (numeric columns).
  public var maximum: ContractBound?
  /// The most characters (Unicode scalars) a string may have.
  public var maxLength: Int?
  /// Whether a number may also come as a JSON string (`"42"`); off unless the contract says so.
  public var acceptsStrings: Bool
  /// For a money column, the (string) column holding each row's currency.
  ///
  /// Money metrics over it are kept per currency; nil means a single-currency amount (or no
  /// money at all).
  public var currency: String?

  /// Creates a column; everything but name and type is optional.
  public init(
    _ name: String, _ type: ColumnType, required: Bool = false, allowedValues: [String] = [],
    minimum: ContractBound? = nil, maximum: ContractBound? = nil, maxLength: Int? = nil,
    acceptsStrings: Bool = false, currency: String? = nil
  ) {
    self.currency = currency
    self.name = name
    self.type = type
    self.required = required
    self.allowedValues = allowedValues
    self.minimum = minimum
    self.maximum = maximum
    self.maxLength = maxLength
    self.acceptsStrings = acceptsStrings
  }

  /// Whether the column holds numbers (integers, doubles or decimals).
  public var isNumeric: Bool {
    switch type {
    case .int32, .int64, .double, .float, .decimal: true
    default: false
    }
  }
}

/// A numeric bound, in the column's own representation.
public enum ContractBound: Equatable, Sendable {
  /// An integer bound (int32 and int64 columns).
  case integer(Int64)
  /// A double bound (double columns).
  case double(Double)
  /// A decimal bound as an unscaled integer at the column's scale (decimal columns).
  case decimal(unscaled: Int64)
}

/// The time bucket of a gold table.
public enum GoldGrain: String, CaseIterable, Sendable {
  case minute, hour, day

  /// The bucket's length in microseconds.
  public var micros: Int64 {
    switch self {
    case .minute: 60_000_000
    case .hour: 3_600_000_000
    case .day: 86_400_000_000
    }
  }

  /// The name of the bucket column: `event_date` (a date) for days, else `window_start` (a
  /// timestamp, the start of the minute or hour, UTC).
  public var bucketColumn: String { self == .day ? Contract.eventDateColumn : "window_start" }
}

/// A gold table: rows per time bucket and group, with aggregate metrics and ratios.
///
/// Its columns are the bucket column (``GoldGrain/bucketColumn``), the `groupBy` columns, the
/// metrics, then the ratios, in that order.
public struct GoldTable: Equatable, Sendable {
  /// The table's name (its folder under `gold/`).
  public var name: String
  public var grain: GoldGrain
  /// Contract columns to group by, besides the time bucket.
  public var groupBy: [String]
  public var metrics: [GoldMetric]
  public var ratios: [GoldRatio]
  /// Conditions every row must meet to count in the table at all (`where`, as SQL's WHERE:
  /// a bucket or group with no such row has no row).
  public var filter: [GoldCondition]

  /// Creates a gold table.
  public init(
    name: String, grain: GoldGrain, groupBy: [String] = [], metrics: [GoldMetric],
    ratios: [GoldRatio] = [], filter: [GoldCondition] = []
  ) {
    self.filter = filter
    self.name = name
    self.grain = grain
    self.groupBy = groupBy
    self.metrics = metrics
    self.ratios = ratios
  }
}

/// An aggregate function of a gold metric.
public enum GoldAggregate: String, CaseIterable, Sendable {
  /// Rows (no operand).
  case count
  /// Distinct non-null values of a column.
  case countDistinct = "count_distinct"
  case sum, min, max, avg
}

/// What a metric aggregates: a column, or the product of two numeric columns (`price * quantity`).
public struct GoldOperand: Equatable, Sendable {
  public var column: String
  /// A second column multiplied with the first (sum and avg only).
  public var times: String?

  /// Creates an operand.
  public init(_ column: String, times: String? = nil) {
    self.column = column
    self.times = times
  }
}

/// One condition of a metric's filter: `column = value` or `column != value`.
public struct GoldCondition: Equatable, Sendable {
  public var column: String
  /// True for `!=`.
  public var negated: Bool
  /// The value as written, compared with the column's value (text for strings, else parsed).
  public var value: String

  /// Creates a condition.
  public init(_ column: String, equals value: String, negated: Bool = false) {
    self.column = column
    self.value = value
    self.negated = negated
  }
}

/// A named aggregate over the rows of a bucket and group, optionally over a filtered subset.
public struct GoldMetric: Equatable, Sendable {
  public var name: String
  public var aggregate: GoldAggregate
  /// Nil for `count`; else the column (or product) aggregated.
  public var operand: GoldOperand?
  /// Conditions that all hold for a row to count (empty: every row).
  public var filter: [GoldCondition]

  /// Creates a metric.
  public init(
    _ name: String, _ aggregate: GoldAggregate, _ operand: GoldOperand? = nil,
    filter: [GoldCondition] = []
  ) {
    self.name = name
    self.aggregate = aggregate
    self.operand = operand
    self.filter = filter
  }
}

/// A ratio of two metrics of the same table (a double; null when the denominator is 0).
public struct GoldRatio: Equatable, Sendable {
  public var name: String
  public var numerator: String
  public var denominator: String

  /// Creates a ratio.
  public init(_ name: String, _ numerator: String, _ denominator: String) {
    self.name = name
    self.numerator = numerator
    self.denominator = denominator
  }
}
