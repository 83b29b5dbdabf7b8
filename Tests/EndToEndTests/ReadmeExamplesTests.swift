import Foundation
import LakeTestSupport
import Testing

/// Every example in README.md runs (issue 14): the commands of each ```sh and ```cron block, in
/// the README's order, on one temporary directory with the built tools, and each exits 0.
///
/// What cannot run as written in a test is replaced in a few explicit ways, listed below (the
/// rewrites, the stand-ins on PATH and the fixtures). A command that uses another program or an
/// absolute path this table does not know fails the test: a new README example gets a mapping
/// here, with its reason, or it does not get in.
@Suite("README examples")
struct ReadmeExamplesTests {
  /// One command of a block: where it is, what kind of block, and its text (continuation lines
  /// joined, comments dropped).
  struct Example: CustomStringConvertible {
    var line: Int
    var cron: Bool
    var text: String
    var description: String { "README.md:\(line): \(text)" }
  }

  /// Commands rewritten before they run (the first whose pattern matches, as a regular
  /// expression over the whole command; nil: not run, for the reason given).
  static let rewrites: [(pattern: String, replacement: String?, why: String)] = [
    (
      #"^make demo$"#,
      #"mkdir -p demo && cd demo && "$LH_REPO/scripts/demo.sh" "$LH_BIN" > demo.out"#,
      "what `make demo` runs after its release build, with this test's build, in demo/"
    ),
    (#"^make test$"#, nil, "it is the command that runs this test"),
  ]

  /// Rewrites inside commands, in order (regular expression, template, reason).
  static let edits: [(pattern: String, template: String, why: String)] = [
    (#"lh-gen --follow"#, "lh-gen --follow --count 500", "a stream that never ends, bounded"),
    (
      #"--count [0-9]{6,}"#, "--count 20000",
      "a million lines on the debug tools is minutes, not seconds"
    ),
    (#"/srv/lh"#, "\"$LH_README_DIR\"", "cron's working directory is the test's"),
    (
      #"/var/lib/node_exporter/textfile"#, "\"$LH_README_DIR\"/textfile",
      "node_exporter's textfile directory: one in the test's directory"
    ),
  ]

  /// Programs the examples may run besides the lh tools, and shell builtins.
  static let programs: Set<String> = ["cd", "head", "mv"]

  /// Stand-ins on PATH for what a test cannot run as itself (name, script).
  static let standIns: [(name: String, script: String)] = [
    // The reader of a stream in the examples: keeps what it read in the test's directory.
    ("your-consumer", #"exec cat > "$LH_README_DIR/your-consumer.out""#),
    // The DuckDB CLI: `duckdb -c SQL` through the peers' duckdb module.
    (
      "duckdb",
      #"""
      [ "$1" = -c ] || { echo "duckdb stand-in: only -c SQL" >&2; exit 64; }
      exec "$LH_PEERS_PYTHON" -c 'import duckdb, sys; duckdb.sql(sys.argv[1]).show()' "$2"
      """#
    ),
    // `python` with pyarrow, DuckDB, Polars and deltalake: the peers' Python.
    // pyarrow's and deltalake's thread pools now and then abort the interpreter at exit, after
    // the work is done ("terminate called without an active exception"; seen in this test and
    // in LhPackTests): that abort, and only it, is retried once.
    (
      "python",
      #"""
      err="$LH_README_DIR/.python.err"
      for attempt in 1 2; do
        "$LH_PEERS_PYTHON" "$@" 2>"$err" && exit 0
        status=$?
        grep -q "terminate called without an active exception" "$err" || break
      done
      cat "$err" >&2
      exit $status
      """#
    ),
  ]

  /// Stand-ins that need the peers' Python.
  static let needPeers: Set<String> = ["duckdb", "python"]

  /// What the examples take as already there, made before they run: a spool with a zstd file
  /// and a day of 2025 (the examples' own days start at lh-gen's default 2026-01-01; with a
  /// million lines a few late ones fall before it, with 20000 none do, and the archive example
  /// takes the days before 2026-01-01), a contract file, and a Delta table outside the lake
  /// (`lh-report ./spark-output/sales_by_day`: here a copy of a sales gold table), and
  /// node_exporter's textfile directory.
  static let fixtures = """
    mkdir -p spool textfile
    lh-gen --count 1000 --start 2025-12-30T00:00:00Z --duration 1d --seed 6 --quiet \\
      > spool/events-2025123000.ndjson
    lh-gen --count 1000 --seed 5 --quiet | zstd -q > spool/early.ndjson.zst
    lh-silver --print-contract clickstream > my.contract
    lh-gen --contract sales --count 2000 --seed 5 --quiet > sales.ndjson
    lh-bronze --lake sales-lake --quiet sales.ndjson
    lh-silver --lake sales-lake --contract sales --quiet
    lh-gold --lake sales-lake --contract sales --quiet
    mkdir -p spark-output && set -- sales-lake/gold/* && cp -R "$1" spark-output/sales_by_day
    """

  static let tools = ["lh-gen", "lh-bronze", "lh-silver", "lh-gold", "lh-report", "lh-pack"]

  /// The commands of every ```sh and ```cron block of `text`.
  static func examples(_ text: String) -> [Example] {
    var out: [Example] = []
    var kind: String?
    var pending = ""
    var pendingLine = 0
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = String(raw)
      if let open = kind {
        if line.hasPrefix("```") {
          kind = nil
          continue
        }
        if pending.isEmpty { pendingLine = i + 1 }
        if line.hasSuffix("\\") {
          pending += line.dropLast() + " "
          continue
        }
        pending += line
        let command = stripComment(pending).trimmingCharacters(in: .whitespaces)
        pending = ""
        guard !command.isEmpty else { continue }
        if open == "cron" {
          // Five schedule fields, then the command; `\%` is cron's escape for a literal `%`.
          let fields = command.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
          let body = fields.count == 6 ? String(fields[5]) : command
          out.append(
            Example(
              line: pendingLine, cron: true,
              text: body.replacingOccurrences(of: "\\%", with: "%")
                .trimmingCharacters(in: .whitespaces)))
        } else {
          out.append(Example(line: pendingLine, cron: false, text: command))
        }
      } else if line == "```sh" || line == "```cron" {
        kind = String(line.dropFirst(3))
      }
    }
    return out
  }

  /// `command` without a trailing `# comment` (a `#` outside quotes, after a blank).
  static func stripComment(_ command: String) -> String {
    var quote: Character?
    var previous: Character = " "
    for (offset, c) in command.enumerated() {
      if let q = quote {
        if c == q { quote = nil }
      } else if c == "\"" || c == "'" {
        quote = c
      } else if c == "#", previous == " " {
        return String(command.prefix(offset))
      }
      previous = c
    }
    return command
  }

  /// Why `command` cannot run here; nil when its programs and absolute paths are all mapped.
  ///
  /// Quoted text is left out (it is data: SQL, Python, format strings).
  static func unmapped(_ command: String) -> String? {
    var bare = ""
    var quote: Character?
    for c in command {
      if let q = quote {
        if c == q { quote = nil }
      } else if c == "\"" || c == "'" {
        quote = c
        bare += "Q"
      } else {
        bare.append(c)
      }
    }
    let known = programs.union(tools).union(standIns.map(\.name))
    for segment in bare.split(whereSeparator: { "|;&".contains($0) }) {
      let words = segment.split(separator: " ")
      guard let first = words.first else { continue }
      if !known.contains(String(first)) { return "no mapping for the program `\(first)`" }
      for word in words where word.hasPrefix("/") {
        if !edits.contains(where: { word.hasPrefix($0.pattern) }) {
          return "no mapping for the path `\(word)`"
        }
      }
    }
    return nil
  }

  /// The command to run for `example`, or nil (with the reason) when it is not run.
  static func mapped(_ example: Example) -> (command: String?, why: String?) {
    for rule in rewrites
    where example.text.range(of: rule.pattern, options: .regularExpression) != nil {
      return (rule.replacement, rule.why)
    }
    var text = example.text
    for edit in edits {
      text = text.replacingOccurrences(
        of: edit.pattern, with: edit.template, options: .regularExpression)
    }
    return (text, nil)
  }

  @Test("the examples are found: sh and cron blocks, continuation lines joined, comments dropped")
  func extraction() {
    let text = """
      intro
      ```sh
      lh-gen --count 5 \\
        --seed 7 > a.ndjson   # a comment
      # only a comment

      lh-report --lake ./lake   # every table
      ```
      ```
      lh-not-a-command
      ```
      ```cron
      * * * * *  cd /srv/lh && lh-bronze --lake ./lake spool/*.ndjson --start "$(date +\\%s)"
      ```
      """
    let found = Self.examples(text).map { "\($0.line) \($0.cron) \($0.text)" }
    #expect(
      found == [
        "3 false lh-gen --count 5    --seed 7 > a.ndjson",
        "7 false lh-report --lake ./lake",
        #"13 true cd /srv/lh && lh-bronze --lake ./lake spool/*.ndjson --start "$(date +%s)""#,
      ])
    #expect(Self.unmapped("lh-gen | your-consumer") == nil)
    #expect(Self.unmapped("cd /srv/lh && lh-pack verify x && lh-pack list x | head") == nil)
    #expect(Self.unmapped(#"duckdb -c "SELECT 1 FROM '/etc/x'""#) == nil)
    #expect(Self.unmapped("spark-submit job.py") == "no mapping for the program `spark-submit`")
    #expect(Self.unmapped("lh-report /var/lib/x") == "no mapping for the path `/var/lib/x`")
  }

  @Test("every sh and cron example in README.md runs with the built tools and exits 0")
  func everyExampleRuns() throws {
    let repo = TestTools.repositoryRoot()
    let readme = try String(
      contentsOf: repo.appendingPathComponent("README.md"), encoding: .utf8)
    let examples = Self.examples(readme)
    #expect(examples.count >= 20, "only \(examples.count) examples found in README.md")
    for example in examples {
      if let why = Self.unmapped(example.text), Self.mapped(example).why == nil {
        Issue.record(
          "\(example): \(why); add it to ReadmeExamplesTests' table (rewrites, stand-ins)")
      }
    }

    let dir = try TestTools.temporaryDirectory("lh-readme")
    let stubs = dir.appendingPathComponent(".stand-ins")
    try FileManager.default.createDirectory(at: stubs, withIntermediateDirectories: true)
    for standIn in Self.standIns {
      let path = stubs.appendingPathComponent(standIn.name).path
      try ("#!/bin/sh\n" + standIn.script + "\n").write(
        toFile: path, atomically: true, encoding: .utf8)
      try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }
    var environment = [
      "PATH": "\(stubs.path):\(TestTools.binDirectory.path):"
        + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
      "LH_README_DIR": dir.path, "LH_REPO": repo.path, "LH_BIN": TestTools.binDirectory.path,
    ]
    if let peersPython { environment["LH_PEERS_PYTHON"] = peersPython }

    let setup = try TestTools.run(
      "/bin/sh", ["-ec", Self.fixtures], environment: environment, currentDirectory: dir)
    try #require(setup.status == 0, "fixtures: \(setup.stderr)")

    for example in examples {
      let (command, why) = Self.mapped(example)
      guard let command else {
        print("README example not run: \(example): \(why ?? "")")
        continue
      }
      let usesPeers = Self.needPeers.contains { command.contains("\($0) ") }
      if usesPeers && peersPython == nil {
        #expect(!peersRequired, "\(example): LH_PEERS_PYTHON is not set")
        print("README example skipped (no LH_PEERS_PYTHON): \(example)")
        continue
      }
      // cron runs its lines with /bin/sh; the sh blocks run in bash with pipefail, so that a
      // failing tool inside a pipeline fails the example too.
      let shell =
        example.cron ? ["/bin/sh", "-c", command] : ["bash", "-o", "pipefail", "-c", command]
      let r = try TestTools.run(
        "/usr/bin/env", ["timeout", "300"] + shell, environment: environment,
        currentDirectory: dir)
      #expect(
        r.status == 0,
        "\(example)\n  ran: \(command)\n  status \(r.status): \(r.stderr.suffix(2000))")
    }
  }
}
