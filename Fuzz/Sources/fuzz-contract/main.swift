// fuzz-contract: ContractParser.parse over arbitrary bytes, decoded as UTF-8 with invalid
// sequences as U+FFFD (a superset of what Contract.load accepts: it refuses invalid UTF-8).
//
// A thrown error is fine; a trap or a sanitizer report is a bug.
//
// main.swift runs libFuzzer's driver on `fuzz` (see FuzzDriver.h for why not libFuzzer's main);
// the entry point stays in the same file, because a @_cdecl function referenced as a C function
// pointer from another file is emitted twice in a debug build (duplicate symbol at link time).

import FuzzDriver
import LakeContracts

/// libFuzzer's entry point: one input, any bytes.
///
/// Always returns 0 (the input is kept in the corpus if it found new coverage).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  _ = try? ContractParser.parse(text, file: "fuzz.contract")
  return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
_ = LLVMFuzzerRunDriver(&argc, &argv, fuzz)
