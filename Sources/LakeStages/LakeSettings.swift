// LakeStages/LakeSettings.swift
//
// What a lake remembers of the flags that built it (issue 14, item 7), so that a later run needs
// a flag only to change a setting. Settings are Delta table properties (metaData.configuration),
// which travel with the tables and which every Delta reader shows:
//
//   silver/events, silver/rejects   lh.contract          the contract's name
//                                   lh.contract.source   "builtin", or the contract file as given
//                                   lh.contract.digest   SHA-256 of the contract's text
//                                   lh.contract.text     the contract, as `--print-contract` prints it
//   gold/<name>                     lh.gold.timeZone     the zone its days and hours are cut in
//
// The contract of silver is the lake's: lh-silver records it, lh-gold and later lh-silver runs
// read it. A built-in contract is taken from the running lh by its name (so an upgrade reaches
// it); a file's from the recorded text (so the lake does not depend on the file). A flag equal
// to what is recorded is fine; one that contradicts it is a usage error naming both and the way
// to change it (`--rebuild`). Lakes written before the properties existed are read from the
// silver txn (`lh-silver:<contract>`) and recorded at silver's next commit.

import LakeContracts
import LakeIO
import LakeTable

/// Where a run's contract comes from.
public enum ContractOrigin: Sendable, Equatable {
  /// No `--contract`: the lake's recorded contract, else the one given (the default).
  case unspecified
  /// `--contract NAME` of a built-in contract.
  case builtin
  /// `--contract FILE`, as given.
  case file(String)

  /// The origin of `--contract flag` (nil: not given).
  public init(flag: String?) {
    guard let flag else {
      self = .unspecified
      return
    }
    self = Contract.builtin(flag) != nil ? .builtin : .file(flag)
  }
}

/// The settings a lake records (see the file overview).
public enum LakeSettings {
  public static let contractKey = "lh.contract"
  public static let sourceKey = "lh.contract.source"
  public static let digestKey = "lh.contract.digest"
  public static let textKey = "lh.contract.text"
  /// The zone a gold table's days are cut in.
  public static let zoneKey = "lh.gold.timeZone"

  /// The contract a silver table records.
  public struct RecordedContract: Sendable {
    public var name: String
    /// "builtin", a file as given, or nil (a lake older than the properties).
    public var source: String?
    public var digest: String?
    /// The contract itself; nil when only its name is known (an older lake built from a file).
    public var contract: Contract?
  }

  /// The contract `snapshot` (a silver table) records, or nil when it records none.
  ///
  /// - Throws: `.data` when the recorded text does not parse.
  public static func recordedContract(_ snapshot: Snapshot) throws -> RecordedContract? {
    let config = snapshot.metadata.configuration
    if let name = config[contractKey] {
      let source = config[sourceKey]
      var contract: Contract?
      if source == "builtin", let c = Contract.builtin(name) {
        contract = c
      } else if let text = config[textKey] {
        do {
          contract = try ContractParser.parse(text, file: snapshot.table + ": " + textKey)
        } catch {
          throw LakeFailure(.data, "\(error)")
        }
      }
      return RecordedContract(
        name: name, source: source, digest: config[digestKey], contract: contract)
    }
    // Written before the properties: the contract's name is in the txn of its progress.
    if let app = snapshot.transactions.keys.sorted().first(where: { $0.hasPrefix("lh-silver:") }) {
      let name = String(app.dropFirst("lh-silver:".count))
      return RecordedContract(
        name: name, source: nil, digest: nil, contract: Contract.builtin(name))
    }
    return nil
  }

  /// The properties that record `contract` (from `source`: "builtin" or a file).
  public static func contractProperties(_ contract: Contract, source: String) -> [String: String] {
    let text = contract.render()
    return [
      contractKey: contract.name, sourceKey: source, digestKey: digest(text), textKey: text,
    ]
  }

  /// SHA-256 of a contract's text, hex.
  public static func digest(_ text: String) -> String {
    var h = SHA256()
    var t = text
    t.withUTF8 { h.update(UnsafeRawBufferPointer($0)) }
    return h.finalize()
  }

  /// The source recorded for a contract given with `origin`.
  static func source(_ contract: Contract, _ origin: ContractOrigin, recorded: RecordedContract?)
    -> String
  {
    switch origin {
    case .builtin: return "builtin"
    case .file(let path): return path
    case .unspecified:
      if let s = recorded?.source { return s }
      return Contract.builtin(contract.name) == contract ? "builtin" : "file"
    }
  }

  /// What a silver run uses and records.
  struct SilverChoice {
    var contract: Contract
    var source: String
    /// A contract file given again whose silver columns or rules differ from the recorded
    /// ones: allowed only as a schema evolution (added columns) or with `--rebuild`.
    var changedFile: String?
    var recorded: RecordedContract?
  }

  /// The contract a silver run uses: `given` (from `origin`) checked against what `table` records.
  static func silverContract(
    _ given: Contract, origin: ContractOrigin, recorded: RecordedContract?, rebuild: Bool,
    table: String
  ) throws -> SilverChoice {
    guard let recorded else {
      return SilverChoice(
        contract: given, source: source(given, origin, recorded: nil), recorded: nil)
    }
    if origin == .unspecified {
      guard let c = recorded.contract else {
        throw LakeFailure(
          .usage,
          "\(table): built with contract '\(recorded.name)' from a file the lake does not record (an older lh wrote it); give --contract FILE once to record it"
        )
      }
      return SilverChoice(
        contract: c, source: recorded.source ?? "builtin", recorded: recorded)
    }
    let choice = SilverChoice(
      contract: given, source: source(given, origin, recorded: recorded), recorded: recorded)
    if rebuild { return choice }
    guard given.name == recorded.name else {
      throw LakeFailure(
        .usage,
        "\(table): built with contract '\(recorded.name)' (recorded in the table), not '\(given.name)'; run with --rebuild to rebuild it with '\(given.name)', or drop --contract to keep '\(recorded.name)'"
      )
    }
    guard case .file(let path) = origin, let old = recorded.contract, old != given else {
      return choice
    }
    // Only the gold tables changed: silver is the same; the new text is recorded.
    var a = old
    var b = given
    a.gold = []
    b.gold = []
    if a == b { return choice }
    var changed = choice
    changed.changedFile = path
    return changed
  }

  /// The message for a contract file that changed without `--rebuild`.
  static func changedContract(_ path: String, _ recorded: RecordedContract?, table: String)
    -> LakeFailure
  {
    LakeFailure(
      .usage,
      "\(table): contract file \(path) has changed since silver was built with it (recorded in the table\(recorded?.digest.map { ", sha256 \($0.prefix(12))…" } ?? "")); run with --rebuild to rebuild silver with it, or drop --contract to keep the recorded one"
    )
  }

  /// The contract a gold run uses: silver's recorded one, which `given` may only repeat.
  static func goldContract(
    _ given: Contract, origin: ContractOrigin, recorded: RecordedContract?, silver: String
  ) throws -> Contract {
    guard let recorded else { return given }
    if origin == .unspecified {
      guard let c = recorded.contract else {
        throw LakeFailure(
          .usage,
          "\(silver): built with contract '\(recorded.name)' from a file the lake does not record (an older lh wrote it); give --contract FILE, or run lh-silver --contract FILE once to record it"
        )
      }
      return c
    }
    guard given.name == recorded.name else {
      throw LakeFailure(
        .usage,
        "\(silver) holds rows of contract '\(recorded.name)' (recorded in the table), not '\(given.name)'; drop --contract, or rebuild silver first with lh-silver --contract \(given.name) --rebuild"
      )
    }
    if case .file(let path) = origin, let old = recorded.contract, old != given {
      throw LakeFailure(
        .usage,
        "\(silver) records another version of contract '\(given.name)' than \(path) (the file has changed); record it first with lh-silver --contract \(path), or drop --contract"
      )
    }
    return given
  }
}
