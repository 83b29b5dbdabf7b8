// fuzz-delta-log: DeltaLogCodec.decode over arbitrary bytes, as if they were a commit file; and
// when they decode, the same bytes as version 0 of a table on disk, through DeltaLog.snapshot
// (the streaming commit reader and the replay state).
//
// A thrown error is fine; a trap or a sanitizer report is a bug.
//
// main.swift runs libFuzzer's driver on `fuzz` (see FuzzDriver.h for why not libFuzzer's main);
// the entry point stays in the same file, because a @_cdecl function referenced as a C function
// pointer from another file is emitted twice in a debug build (duplicate symbol at link time).

import FuzzDriver
import LakeTable

#if canImport(Glibc)
import Glibc
#endif

/// A table directory of this process, made once; each input is written as its only commit.
let table: String = {
  let dir = "/tmp/lh-fuzz-delta-log-\(getpid())"
  mkdir(dir, 0o700)
  mkdir(dir + "/_delta_log", 0o700)
  return dir
}()

/// libFuzzer's entry point: one input, any bytes.
///
/// Always returns 0 (the input is kept in the corpus if it found new coverage).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard (try? DeltaLogCodec.decode(bytes, table: "fuzz", version: 0)) != nil else { return 0 }
  let path = table + "/_delta_log/" + DeltaLog.fileName(0)
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  guard fd >= 0 else { return 0 }
  _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  close(fd)
  _ = try? DeltaLog.snapshot(table: table)
  return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
_ = LLVMFuzzerRunDriver(&argc, &argv, fuzz)
