// fuzz-delta-log: DeltaLogCodec.decode over arbitrary bytes, as if they were a commit file.
//
// A thrown error is fine; a trap or a sanitizer report is a bug.
//
// main.swift runs libFuzzer's driver on `fuzz` (see FuzzDriver.h for why not libFuzzer's main);
// the entry point stays in the same file, because a @_cdecl function referenced as a C function
// pointer from another file is emitted twice in a debug build (duplicate symbol at link time).

import FuzzDriver
import LakeTable

/// libFuzzer's entry point: one input, any bytes.
///
/// Always returns 0 (the input is kept in the corpus if it found new coverage).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  _ = try? DeltaLogCodec.decode(bytes, table: "fuzz", version: 0)
  return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
_ = LLVMFuzzerRunDriver(&argc, &argv, fuzz)
