import Foundation
import LakeTestSupport
import Testing

/// Files the tools leave behind (issue 9): every tool run on a small lake under umask 027 leaves
/// no temporary files, only the (empty) lock file of each table written, and every file and
/// directory it made respects the umask.
@Suite("file hygiene")
struct HygieneTests {
  @Test(
    "under umask 027 every tool's files are 0640 or stricter, directories 0750; no temp files linger"
  )
  func umaskAndLeftovers() throws {
    let dir = try TestTools.temporaryDirectory("lh-hygiene")
    let lake = dir.appendingPathComponent("lake").path
    let restored = dir.appendingPathComponent("restored").path
    let archive = dir.appendingPathComponent("a.tar.zst").path
    let script = """
      set -e
      umask 027
      lh-gen --seed 3 --count 800 --duration 2h --quiet > '\(dir.path)/events.ndjson'
      lh-bronze --lake '\(lake)' --quiet < '\(dir.path)/events.ndjson'
      lh-silver --lake '\(lake)' --quiet
      lh-gold --lake '\(lake)' --quiet
      lh-report --lake '\(lake)' --format html > '\(dir.path)/report.html'
      lh-report status --lake '\(lake)' > /dev/null
      lh-pack archive --lake '\(lake)' --table silver/events -o '\(archive)' --quiet
      lh-pack verify '\(archive)' --quiet
      lh-pack restore '\(archive)' -C '\(restored)' --quiet
      lh-pack compact --lake '\(lake)' --quiet
      lh-pack vacuum --lake '\(lake)' --retain 0s --apply --quiet > /dev/null
      """
    let r = try TestTools.shell(script)
    #expect(r.status == 0, "\(r.stderr)")
    let leftovers = try TestTools.shell(
      "cd '\(dir.path)' && find . \\( -name '*.tmp' -o -name '.lh-*' -o -name '.*.tmp*' \\) -print")
    #expect(leftovers.stdout.isEmpty, "\(String(decoding: leftovers.stdout, as: UTF8.self))")
    // What may remain outside the tables: one lock file per table a stage wrote,
    // LAKE/.lh/locks/<table>.lock, empty (no holder). Here every table of the lake (compact and
    // vacuum --apply write them all) and the restored one; nothing else under .lh.
    let tables = try TestTools.shell(
      "cd '\(lake)' && find . -name _delta_log -type d | sed 's|^\\./||; s|/_delta_log$||' | sort")
    let expected =
      String(decoding: tables.stdout, as: UTF8.self).split(separator: "\n")
      .map { "./lake/.lh/locks/\($0).lock 0" } + ["./restored/.lh/locks/silver/events.lock 0"]
    let locks = try TestTools.shell(
      "cd '\(dir.path)' && find . -path '*/.lh/*' ! -type d -printf '%p %s\\n' | sort")
    #expect(
      String(decoding: locks.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        == expected.sorted(), "\(String(decoding: locks.stdout, as: UTF8.self))")
    #expect(expected.count >= 10)
    // Group write and any permission for others would show the umask was ignored.
    let loose = try TestTools.shell(
      "cd '\(dir.path)' && find . -mindepth 1 \\( -perm /g+w -o -perm /o+rwx \\) -printf '%m %p\\n'"
    )
    #expect(loose.stdout.isEmpty, "\(String(decoding: loose.stdout, as: UTF8.self))")
    let modes = try TestTools.shell(
      "cd '\(dir.path)' && find lake restored -printf '%y %m\\n' | sort -u")
    let seen = Set(String(decoding: modes.stdout, as: UTF8.self).split(separator: "\n"))
    #expect(seen == ["d 750", "f 640"], "\(seen)")
  }
}
