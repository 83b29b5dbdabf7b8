// fuzz-parquet: ParquetFileReader (magic, footer length, Thrift footer, schema) and every row
// group (page headers, encodings, decompression) from arbitrary bytes in memory.
//
// A thrown error is fine; a trap or a sanitizer report is a bug.
//
// main.swift runs libFuzzer's driver on `fuzz` (see FuzzDriver.h for why not libFuzzer's main);
// the entry point stays in the same file, because a @_cdecl function referenced as a C function
// pointer from another file is emitted twice in a debug build (duplicate symbol at link time).

import FuzzDriver
import Glibc
import LakeFormats

/// libFuzzer's entry point: one input, any bytes.
///
/// Always returns 0 (the input is kept in the corpus if it found new coverage).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  do {
    let reader = try ParquetFileReader(bytes: bytes, name: "fuzz.parquet")
    _ = reader.schema
    for group in 0..<reader.rowGroupCount {
      for column in reader.leaves.indices {
        _ = reader.statistics(rowGroup: group, column: column)
      }
      _ = try reader.readRowGroup(group)
    }
  } catch {
    if printErrors { print(error) }
  }
  return 0
}

/// Whether to print each input's error (LH_FUZZ_PRINT=1), to triage a single input.
nonisolated(unsafe) let printErrors = getenv("LH_FUZZ_PRINT") != nil

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
_ = LLVMFuzzerRunDriver(&argc, &argv, fuzz)
