// LakeCLI/ExitStatus.swift
//
// The one place where error categories become exit statuses (sysexits.h). See docs/errors.md.

import LakeIO

/// Exit statuses every lh tool uses.
public enum ExitStatus {
  public static let ok: Int32 = 0
  /// A documented "no" answer (for example `lh-report status --check`), never an error.
  public static let answeredNo: Int32 = 1
  public static let usage: Int32 = 64
  public static let dataError: Int32 = 65
  public static let noInput: Int32 = 66
  public static let software: Int32 = 70
  public static let cannotCreate: Int32 = 73
  public static let ioError: Int32 = 74
  public static let tempFail: Int32 = 75

  /// The status for an error of `category`.
  public static func status(for category: ErrorCategory) -> Int32 {
    switch category {
    case .usage: usage
    case .data: dataError
    case .noInput: noInput
    case .cannotCreate: cannotCreate
    case .io: ioError
    case .tempFail: tempFail
    case .software: software
    }
  }
}
