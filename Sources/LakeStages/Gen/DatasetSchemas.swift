// LakeStages/Gen/DatasetSchemas.swift
//
// The typed schema of each built-in dataset: the columns lh-gen writes, with their types, as
// Parquet output uses them (and, from the contracts issue on, as silver tables do). Money is an
// exact decimal; event time a UTC timestamp in microseconds.

import LakeFormats

extension Dataset {
  /// The dataset's columns.
  public var schema: TableSchema {
    switch self {
    case .clickstream:
      TableSchema([
        ColumnSpec("event_id", .string, nullable: false),
        ColumnSpec("user_id", .int64, nullable: false),
        ColumnSpec("session_id", .string, nullable: false),
        ColumnSpec("event_type", .string, nullable: false),
        ColumnSpec("page", .string, nullable: false),
        ColumnSpec("source", .string, nullable: false),
        ColumnSpec("product_id", .string),
        ColumnSpec("price", .decimal(precision: 12, scale: 2)),
        ColumnSpec("quantity", .int32),
        ColumnSpec("currency", .string),
        ColumnSpec("country", .string, nullable: false),
        ColumnSpec("ts", .timestamp, nullable: false),
      ])
    case .iot:
      TableSchema([
        ColumnSpec("device_id", .string, nullable: false),
        ColumnSpec("sensor", .string, nullable: false),
        ColumnSpec("value", .double, nullable: false),
        ColumnSpec("unit", .string, nullable: false),
        ColumnSpec("battery", .int32, nullable: false),
        ColumnSpec("ts", .timestamp, nullable: false),
      ])
    case .sales:
      TableSchema([
        ColumnSpec("order_id", .string, nullable: false),
        ColumnSpec("store", .string, nullable: false),
        ColumnSpec("product", .string, nullable: false),
        ColumnSpec("category", .string, nullable: false),
        ColumnSpec("region", .string, nullable: false),
        ColumnSpec("quantity", .int32, nullable: false),
        ColumnSpec("revenue", .decimal(precision: 14, scale: 2), nullable: false),
        ColumnSpec("cost", .decimal(precision: 14, scale: 2), nullable: false),
        ColumnSpec("ts", .timestamp, nullable: false),
      ])
    }
  }
}
