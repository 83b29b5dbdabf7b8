// lh-pack: archive, restore, list, verify, compact and vacuum a lake. Flags here, logic in
// LakeStages/Pack.

import ArgumentParser
import LakeCLI
import LakeFormats
import LakeIO
import LakeStages
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

@main
struct LhPack: LakeCommand {
  static let toolName = "lh-pack"
  static let configuration = CommandConfiguration(
    commandName: "lh-pack",
    abstract: "Archive, restore, verify, compact and vacuum a lake.",
    discussion: """
      An archive is a pax tar compressed with zstd (libarchive), holding whole Delta tables \
      (their log and files: time travel included) or the partitions older than a date (with a \
      log of their own), and a manifest of every file's size and SHA-256. The same lake and \
      flags give the same bytes, and plain `tar --zstd -xf` opens it.

      compact, archive --remove, restore into a lake and vacuum --apply lock each table they \
      write (LAKE/.lh/locks/<table>.lock, flock), as lh-bronze, lh-silver and lh-gold do: a \
      run started meanwhile waits (--wait, default 10m), --no-wait exits 75 at once. list, \
      verify and archive without --remove only read, and never lock.

      Examples:
        lh-pack archive --lake ./lake --before 2026-01-01 --remove -o 2025.tar.zst
        lh-pack verify 2025.tar.zst
        lh-pack restore 2025.tar.zst -C ./lake
        lh-pack compact --lake ./lake && lh-pack vacuum --lake ./lake --apply
      """,
    version: LakeVersion.string,
    subcommands: [Archive.self, Restore.self, List.self, Verify.self, Compact.self, Vacuum.self])

  @OptionGroup var logging: LoggingOptions

  func execute(_ context: ToolContext) throws {
    throw ValidationError(
      "a subcommand is required: archive, restore, list, verify, compact or vacuum")
  }
}

/// `--table`, repeatable.
struct TableOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "A table, as its path in the lake (repeatable; default: every table).",
      valueName: "bronze/events"))
  var table: [String] = []
}

func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

/// A duration in µs as milliseconds: "0.4 ms", "12 ms".
func milliseconds(_ micros: Int64) -> String {
  micros < 10_000 ? "\(micros / 1000).\(micros % 1000 / 100) ms" : "\(micros / 1000) ms"
}

func megabytes(_ bytes: Int64) -> String {
  let tenths = Int((Double(bytes) / 1e5).rounded())
  return "\(tenths / 10).\(tenths % 10) MB"
}

extension LhPack {
  struct Archive: LakeCommand {
    static let toolName = "lh-pack"
    static let configuration = CommandConfiguration(
      abstract: "Archive tables, or their partitions older than a date, to a .tar.zst.",
      discussion: """
        Whole tables keep their log and every file still on disk, so a restored table time-travels \
        like the original: the commits from version 0, or, in a log that cleanup has shortened, \
        from its oldest complete checkpoint, with the checkpoints (every part, V2 sidecars), \
        .crc files and _last_checkpoint of the versions archived. With --before, the partitions of a date-partitioned table older than \
        the date are archived with a one-version log of their own. With --remove, they leave \
        the lake in one commit per table, only after the archive is written, fsynced and read \
        back; a failure or a kill before that leaves the lake as it was.

        -o FILE: a regular file (or a symbolic link to one: the link is kept, its target \
        replaced) is written under a hidden temporary name and renamed into place once \
        complete; - or /dev/stdout writes the archive to stdout, and a FIFO or device is \
        written through. --remove needs a regular file, which it reads back before removing \
        anything; with any other output it exits 64 and removes nothing.
        """)

    @OptionGroup var lakeOptions: LakeOptions
    @Option(
      name: .shortAndLong, help: ArgumentHelp("The archive to write.", valueName: "file"),
      completion: .file(extensions: ["zst"]))
    var output: String
    @OptionGroup var tables: TableOptions
    @Option(
      help: ArgumentHelp("Archive partitions before this date only.", valueName: "yyyy-mm-dd"))
    var before: String?
    @Option(
      parsing: .unconditionalSingleValue,
      help: ArgumentHelp(
        "Archive as of this version or time (RFC 3339 or YYYY-MM-DD): a bare value for every table, TABLE=VALUE for one (repeatable; default: latest).",
        discussion: """
          A table named in no TABLE=VALUE gets the bare value, or else its latest version. A \
          table lacking the version or time asked for (a time before its first commit or \
          after its latest) is an error (status 64). Example: \
          --as-of 2026-01-01 --as-of gold/daily_active_users=4.
          """,
        valueName: "[table=]version-or-time"),
      transform: TableAsOf.checked)
    var asOf: [TableAsOf] = []
    @Flag(help: "Remove the archived partitions from the lake once the archive is verified.")
    var remove = false
    @Option(parsing: .unconditional, help: "zstd compression level of the archive (1 to 19).")
    var zstdLevel: Int32 = 3
    @OptionGroup var lockOptions: LockOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
      if let before, PackLake.day(before) == nil {
        throw ValidationError("--before wants a date YYYY-MM-DD, not '\(before)'")
      }
      if asOf.filter({ $0.table == nil }).count > 1 {
        throw ValidationError("--as-of: give at most one value for every table")
      }
      var named = Set<String>()
      for case let table? in asOf.map(\.table) where !named.insert(table).inserted {
        throw ValidationError("--as-of: \(table) is given twice")
      }
      guard (1...19).contains(zstdLevel) else {
        throw ValidationError("--zstd-level must be between 1 and 19")
      }
    }

    func execute(_ context: ToolContext) throws {
      var config = PackArchiveConfig(
        lake: LakeLayout.resolve(flag: lakeOptions.lake, environment: processEnvironment()),
        output: output, engine: "lh-pack/\(LakeVersion.string)")
      config.tables = tables.table.isEmpty ? nil : tables.table
      config.before = before
      for a in asOf {
        if let table = a.table {
          config.asOfTable[table] = a.travel
        } else {
          config.asOf = a.travel
        }
      }
      config.remove = remove
      config.lockWait = lockOptions.lockWait
      config.level = zstdLevel
      let progress = context.progress
      let diagnostics = context.diagnostics
      let s: PackArchiveSummary
      do {
        s = try PackArchive.run(
          config, waiting: context.waitingForLock, note: { diagnostics.note($0) },
          progress: { done, total in
            progress.update(
              "\(megabytes(done)) of \(megabytes(total)), \(Progress.compact(Double(done) / max(progress.elapsedSeconds, 0.001)))B/s"
            )
          })
      } catch let e as InterruptedArchive {
        // SIGINT/SIGTERM: say what was (not) done, then exit 130/143 like every tool.
        progress.finish()
        diagnostics.note("\(e)")
        throw Interrupted(signal: Interrupt.requested)
      }
      progress.finish()
      guard let m = s.manifest else { return }
      let seconds = max(progress.elapsedSeconds, 0.001)
      context.diagnostics.note(
        "archived \(plural(m.tables.count, "table")), \(plural(m.files.count, "file")), \(megabytes(s.bytes)) into \(output) (\(megabytes(s.archiveBytes)), \(Progress.compact(Double(s.bytes) / seconds))B/s)"
      )
      for t in m.tables {
        context.diagnostics.detail(
          "  \(t.name): version \(t.version) (\(t.kind)), \(plural(t.partitions, "partition")), \(plural(t.dataFiles, "file")), \(t.rows) rows"
        )
      }
      for r in s.removed {
        context.diagnostics.note(
          "removed \(plural(r.files, "file")) from \(r.table) (version \(r.version))")
      }
    }
  }

  struct Restore: LakeCommand {
    static let toolName = "lh-pack"
    static let configuration = CommandConfiguration(
      abstract: "Restore an archive into a new lake, or merge it into a lake.",
      discussion: """
        Every file is checked against the manifest before anything joins the lake. A table the \
        lake lacks is created as archived (its whole log, checkpoints before the commits that \
        follow them and _last_checkpoint last, so a restore cut short leaves a valid table that \
        a rerun completes); a table it has gets the archived \
        files in one commit. A partition the table already holds is refused unless --replace. \
        Files are unpacked into DIR/.lh-restore.<pid> first, locked while the restore runs; \
        such a directory left by a restore that was killed is removed by the next restore into \
        DIR (and by vacuum).
        """)

    @Argument(
      help: ArgumentHelp("The archive (- for standard input).", valueName: "file"),
      completion: .file())
    var file: String
    @Option(
      name: [.customShort("C"), .long],
      help: ArgumentHelp("The lake to restore into.", valueName: "dir"),
      completion: .directory)
    var directory: String
    @Flag(help: "Replace partitions the lake already holds with the archived ones.")
    var replace = false
    @OptionGroup var lockOptions: LockOptions
    @OptionGroup var logging: LoggingOptions

    func execute(_ context: ToolContext) throws {
      var config = PackRead.RestoreConfig(
        archive: file, directory: directory, engine: "lh-pack/\(LakeVersion.string)")
      config.replace = replace
      config.lockWait = lockOptions.lockWait
      let progress = context.progress
      let s = try PackRead.restore(
        config, waiting: context.waitingForLock,
        progress: { progress.update("\(megabytes($0)) read") })
      progress.finish()
      for name in s.staleScratchRemoved {
        context.diagnostics.note("removed \(directory)/\(name), left by a restore that was killed")
      }
      var parts: [String] = []
      if !s.created.isEmpty { parts.append("created \(s.created.joined(separator: ", "))") }
      for m in s.merged { parts.append("merged into \(m.table) (version \(m.version))") }
      context.diagnostics.note(
        "restored \(plural(s.manifest.files.count, "file")) into \(directory): \(parts.joined(separator: "; "))"
      )
    }
  }

  struct List: LakeCommand {
    static let toolName = "lh-pack"
    static let configuration = CommandConfiguration(
      abstract: "List an archive's files as 'SHA-256  path' lines (sha256sum's format).",
      discussion: """
        Tables, versions and totals go to stderr. Only the manifest's own zstd frame is read, \
        found through the archive's trailer (a file written by an older lh-pack, or standard \
        input, is read whole); verify checks every byte.
        """)

    @Argument(
      help: ArgumentHelp("The archive (- for standard input).", valueName: "file"),
      completion: .file())
    var file: String
    @OptionGroup var logging: LoggingOptions

    func execute(_ context: ToolContext) throws {
      let m = try PackRead.list(archive: file)
      for f in m.files {
        var line = Array("\(f.sha256)  \(f.path)\n".utf8)
        try line.withUnsafeMutableBytes {
          let p = try context.stdout.reserve($0.count)
          p.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: $0.count)
          context.stdout.commit($0.count)
        }
      }
      for t in m.tables {
        context.diagnostics.note(
          "\(t.name): version \(t.version)\(t.fromVersion < t.version ? " (from \(t.fromVersion))" : "") \(t.kind), \(plural(t.partitions, "partition")), \(plural(t.dataFiles, "data file")), \(t.rows) rows"
        )
      }
      context.diagnostics.note(
        "\(plural(m.files.count, "file")), \(megabytes(m.files.reduce(0) { $0 + $1.size }))\(m.before.map { ", partitions before \($0)" } ?? ""), lh \(m.lhVersion)"
      )
    }
  }

  struct Verify: LakeCommand {
    static let toolName = "lh-pack"
    static let configuration = CommandConfiguration(
      abstract: "Check every file of an archive against its manifest, and every byte.",
      discussion: "Exits 65 naming the file at the first mismatch.")

    @Argument(
      help: ArgumentHelp("The archive (- for standard input).", valueName: "file"),
      completion: .file())
    var file: String
    @OptionGroup var logging: LoggingOptions

    func execute(_ context: ToolContext) throws {
      let progress = context.progress
      let m = try PackRead.verify(archive: file) { progress.update("\(megabytes($0)) checked") }
      progress.finish()
      context.diagnostics.note(
        "\(file): ok: \(plural(m.files.count, "file")), \(megabytes(m.files.reduce(0) { $0 + $1.size })), \(plural(m.tables.count, "table"))"
      )
    }
  }

  struct Compact: LakeCommand {
    static let toolName = "lh-pack"
    static let configuration = CommandConfiguration(
      abstract: "Rewrite the small files of each partition into large ones.",
      discussion: """
        One commit per table (dataChange false); the old files stay for time travel until vacuum. \
        Small: below --target-size. Of a partition's small files only the newest ones in size \
        tiers are taken (an older file joins when it is at most twice the newer ones gathered), \
        so an hourly run rewrites the last few hours, not the whole day. Only partitions with \
        at least two such files are read and rewritten, so a run costs what it rewrites; bronze \
        files lh-silver has not refined yet are left alone.

        Made to run from cron every hour beside landings: the files are rewritten without the \
        table's lock, which is taken only to commit (milliseconds: the summary says how long). \
        A landing, lh-silver or lh-gold committing meanwhile loses nothing: files added \
        meanwhile were in no group, a group one of whose files a commit removed meanwhile is \
        left as it was (its new file deleted), and a change of the table's metadata leaves the \
        table as it was; the next run compacts them. The commit records readVersion and \
        operationMetrics (numFilesRemoved, numFilesAdded, partitionsOptimized and more), as delta-rs \
        does.
        """)

    @OptionGroup var lakeOptions: LakeOptions
    @OptionGroup var tables: TableOptions
    @Option(
      parsing: .unconditional,
      help: .text(
        "Size of the files to make.", default: ByteCountArgument(bytes: 128 << 20),
        valueName: "size"),
      transform: ByteCountArgument.checked)
    var targetSize = ByteCountArgument(bytes: 128 << 20)
    @Flag(help: "Say what would be rewritten; write nothing.")
    var dryRun = false
    @OptionGroup var lockOptions: LockOptions
    @OptionGroup var logging: LoggingOptions

    func execute(_ context: ToolContext) throws {
      var config = PackMaintenance.CompactConfig(
        lake: LakeLayout.resolve(flag: lakeOptions.lake, environment: processEnvironment()),
        engine: "lh-pack/\(LakeVersion.string)")
      config.tables = tables.table.isEmpty ? nil : tables.table
      config.targetSize = Int64(targetSize.bytes)
      config.dryRun = dryRun
      config.lockWait = lockOptions.lockWait
      let results = try PackMaintenance.compact(
        config, waiting: context.waitingForLock, note: { context.diagnostics.note($0) })
      for r in results {
        let what =
          "\(plural(r.filesRemoved, "file")) of \(plural(r.partitions, "partition")) (\(megabytes(r.bytesRead)))"
        if let why = r.skippedBecause {
          context.diagnostics.note(
            "\(r.table): committed nothing: \(why) while its files were rewritten; the next run compacts it"
          )
        } else if r.filesRemoved > 0 {
          context.diagnostics.note(
            dryRun
              ? "\(r.table): would rewrite \(what) into \(r.filesAdded)"
              : "\(r.table): rewrote \(what) into \(r.filesAdded) (version \(r.version ?? 0); table locked \(milliseconds(r.lockMicros)))"
          )
        }
        if r.filesSkipped > 0 && r.skippedBecause == nil {
          context.diagnostics.note(
            "\(r.table): left \(plural(r.filesSkipped, "file")) as they were: a commit made meanwhile removed files of their groups"
          )
        }
        if r.filesRemoved > 0 || r.filesSkipped > 0 || r.skippedBecause != nil {
          context.diagnostics.detail(
            "  \(r.table): \(plural(r.liveFiles, "live file")), \(r.smallFiles) below --target-size; read \(megabytes(r.bytesRead)), wrote \(megabytes(r.bytesWritten))"
          )
        }
      }
      if results.allSatisfy({ $0.filesRemoved == 0 && $0.skippedBecause == nil }) {
        context.diagnostics.note("nothing to compact in \(plural(results.count, "table"))")
      }
    }
  }

  struct Vacuum: LakeCommand {
    static let toolName = "lh-pack"
    static let configuration = CommandConfiguration(
      abstract:
        "Delete files and log entries no version within the retention needs (dry run by default).",
      discussion: """
        Prints each file it deletes (with --apply) or would delete, relative to the lake. Kept: \
        every file of the versions committed within --retain and of the version current at its \
        start, and any file newer than that (a writer's files not yet committed). Without \
        --table, the scratch directories of restores that were killed (.lh-restore.<pid>/, no \
        longer locked by a live restore) go too.

        Log cleanup: the _delta_log commits, checkpoints and .crc files older than the table's \
        delta.logRetentionDuration (a table property such as 'interval 30 days', the default; \
        units second, minute, hour, day, week) go too, but only those before a checkpoint that \
        keeps every version within it readable: the newest complete checkpoint not newer than \
        the version current at the start of the log retention. That checkpoint, its own commit, \
        every later one and _last_checkpoint stay; with no such checkpoint, no log entry goes. \
        Time travel to a version before that checkpoint then fails with one line.
        """)

    @OptionGroup var lakeOptions: LakeOptions
    @OptionGroup var tables: TableOptions
    @Option(
      parsing: .unconditional,
      help: ArgumentHelp(
        "Keep what time travel within this span needs (default: 7d).", valueName: "duration"),
      transform: DurationArgument.checked)
    var retain: DurationArgument?
    @Flag(help: "Delete the files (without it, only list them).")
    var apply = false
    @Option(help: .hidden, transform: TimestampArgument.checked) var now: TimestampArgument?
    @OptionGroup var lockOptions: LockOptions
    @OptionGroup var logging: LoggingOptions

    func execute(_ context: ToolContext) throws {
      var config = PackMaintenance.VacuumConfig(
        lake: LakeLayout.resolve(flag: lakeOptions.lake, environment: processEnvironment()),
        nowMillis: now.map { $0.micros / 1000 } ?? DeltaTable.nowMillis())
      config.tables = tables.table.isEmpty ? nil : tables.table
      config.retainMicros = retain?.micros ?? 7 * 86_400_000_000
      config.apply = apply
      config.lockWait = lockOptions.lockWait
      let out = context.stdout
      let r = try PackMaintenance.vacuum(
        config, waiting: context.waitingForLock,
        emit: { f in
          var line = Array((f.path + "\n").utf8)
          try line.withUnsafeMutableBytes {
            let p = try out.reserve($0.count)
            p.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: $0.count)
            out.commit($0.count)
          }
        })
      let scratch =
        r.scratch == 0
        ? ""
        : " and \(r.scratch) scratch director\(r.scratch == 1 ? "y" : "ies") of killed restores"
      let log = r.logFiles == 0 ? "" : ", \(r.logFiles) of them _delta_log entries"
      context.diagnostics.note(
        "\(apply ? "deleted" : "would delete") \(plural(r.files, "file")) (\(megabytes(r.bytes))\(log)) from \(plural(r.tables, "table"))\(scratch)\(apply ? "" : "; run with --apply to delete")"
      )
    }
  }
}

/// `--as-of` of lh-pack archive: `VALUE` for every table or `TABLE=VALUE` for one.
struct TableAsOf: CheckedArgument {
  /// The table (a path in the lake); nil for every table.
  var table: String?
  var travel: TimeTravel

  static func checked(_ argument: String) throws -> TableAsOf {
    var value = Substring(argument)
    var table: String?
    if let eq = argument.firstIndex(of: "=") {
      let name = String(argument[..<eq])
      guard !name.isEmpty else { throw InvalidArgument("a table's name goes before the =") }
      table = name
      value = argument[argument.index(after: eq)...]
    }
    return TableAsOf(table: table, travel: try AsOfArgument.checked(String(value)).travel)
  }

  var description: String {
    (table.map { $0 + "=" } ?? "") + AsOfArgument(travel: travel).description
  }
}
