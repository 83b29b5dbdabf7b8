// LakeIO/Version.swift

/// The version of the lh tools, shown by `--version` and written into files lh creates.
public enum LakeVersion {
  /// Semantic version of this release.
  public static let string = "0.1.0"
}
