// LakeStages/Silver/SilverSchema.swift
//
// The columns of lh-silver's two tables (issue 5):
//
//   silver/events    the contract's columns in contract order, `_extra` (unknown keys as a JSON
//                    object text, null when none), the bronze lineage `_bronze_version`,
//                    `_source`, `_line_number`, `_ingested_at`, and `event_date` (the UTC day of
//                    the event-time column: the partition)
//   silver/rejects   `line` (null when not UTF-8) / `line_bytes` (only then), `reason`, `field`,
//                    `message`, the lineage `source`, `line_number`, `ingested_at`,
//                    `bronze_version`, and `ingest_date` (the bronze partition: the partition)
//
// Schema evolution of silver/events: a contract that adds optional columns evolves the table's
// schema (a metaData action in the next commit; older files read the new columns as null). A
// changed type, a dropped column or a new required column is refused unless `--rebuild`.

import LakeContracts
import LakeFormats
import LakeIO

/// The schemas of silver's tables and how a contract change maps onto them.
public enum SilverSchema {
  /// The lineage columns of silver/events, after the contract's columns and `_extra`.
  public static let lineage = [
    ColumnSpec("_bronze_version", .int64, nullable: false),
    ColumnSpec("_source", .string, nullable: false),
    ColumnSpec("_line_number", .int64, nullable: false),
    ColumnSpec("_ingested_at", .timestamp, nullable: false),
  ]

  /// silver/events for `contract`.
  public static func events(_ contract: Contract) -> TableSchema {
    var columns = contract.schema.columns
    columns.append(ColumnSpec(ContractValidator.extraColumnName, .string))
    columns += lineage
    columns.append(ColumnSpec(Contract.eventDateColumn, .date, nullable: false))
    return TableSchema(columns)
  }

  /// silver/rejects (the same for every contract).
  public static let rejects = TableSchema([
    ColumnSpec("line", .string), ColumnSpec("line_bytes", .binary),
    ColumnSpec("reason", .string, nullable: false), ColumnSpec("field", .string),
    ColumnSpec("message", .string, nullable: false),
    ColumnSpec("source", .string, nullable: false),
    ColumnSpec("line_number", .int64, nullable: false),
    ColumnSpec("ingested_at", .timestamp, nullable: false),
    ColumnSpec("bronze_version", .int64, nullable: false),
    ColumnSpec("ingest_date", .date, nullable: false),
  ])

  /// What writing `wanted` into a table whose schema is `existing` needs.
  public enum Change: Equatable {
    /// The schemas are equal.
    case none
    /// `wanted` only adds nullable columns or relaxes required ones: commit it as new metaData.
    case evolve(added: [String])
  }

  /// Compares the table's schema with the one the contract wants.
  ///
  /// - Throws: `LakeFailure(.usage)` naming the column, for a change that needs `--rebuild`.
  public static func change(from existing: TableSchema, to wanted: TableSchema, table: String)
    throws -> Change
  {
    if existing == wanted { return .none }
    var added: [String] = []
    for column in wanted.columns {
      guard let i = existing.index(of: column.name) else {
        guard column.nullable else {
          throw LakeFailure(
            .usage,
            "\(table): the contract adds the required column '\(column.name)', which older rows lack; run with --rebuild"
          )
        }
        added.append(column.name)
        continue
      }
      let old = existing.columns[i]
      if old.type != column.type {
        throw LakeFailure(
          .usage,
          "\(table): column '\(column.name)' is \(old.type) in the table and \(column.type) in the contract; a type change needs --rebuild"
        )
      }
      if old.nullable && !column.nullable {
        throw LakeFailure(
          .usage,
          "\(table): column '\(column.name)' became required in the contract; run with --rebuild"
        )
      }
    }
    for column in existing.columns where wanted.index(of: column.name) == nil {
      throw LakeFailure(
        .usage,
        "\(table): column '\(column.name)' is not in the contract any more; run with --rebuild")
    }
    return .evolve(added: added)
  }
}
