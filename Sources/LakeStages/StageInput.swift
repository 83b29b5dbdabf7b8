// LakeStages/StageInput.swift
//
// A batch stage whose input table has no commit yet (lh-silver before the first bronze commit,
// lh-gold before the first silver one) has nothing to do: under cron that is the first minutes
// of a new lake, a quiet success, not an error. A lake directory that does not exist at all is
// still an error (66): most likely a wrong --lake or $LH_LAKE.

import LakeIO
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// Whether a stage's input table has anything to read yet.
public enum StageInput {
  /// Nil when `table` has a commit; else the note to print (nothing to do yet).
  ///
  /// - Throws: `LakeFailure(.noInput)` when the lake directory does not exist.
  public static func notYetCommitted(_ table: String, lake: LakeLayout) throws -> String? {
    var st = stat()
    guard stat(lake.root, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
      throw LakeFailure(.noInput, "\(lake.root): no such lake directory")
    }
    guard try DeltaLog.latestVersion(table: table) == nil else { return nil }
    return "\(table) has no commit yet; nothing to do"
  }
}
