// fuzz-ndjson: NDJSONScanner and NDJSONRowDecoder (each built-in schema) over arbitrary bytes.
//
// The input is split at newlines like lh-bronze's input; every line goes through the scanner
// alone and through a row decoder per built-in dataset (clickstream, iot, sales: strings,
// integers, doubles, decimals, timestamps). A thrown error is fine; a trap or a sanitizer report is a bug.
//
// main.swift runs libFuzzer's driver on `fuzz` (see FuzzDriver.h for why not libFuzzer's main);
// the entry point stays in the same file, because a @_cdecl function referenced as a C function
// pointer from another file is emitted twice in a debug build (duplicate symbol at link time).

import FuzzDriver
import LakeFormats
import LakeStages

/// libFuzzer's entry point: one input, any bytes.
///
/// Always returns 0 (the input is kept in the corpus if it found new coverage).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = UnsafeBufferPointer(start: data, count: size)
  var scanner = NDJSONScanner()
  var fields: [JSONField] = []
  var decoders = Dataset.allCases.map { NDJSONRowDecoder(schema: $0.schema) }
  var columns = decoders.map { $0.makeColumns() }
  for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
    // A copy of its own, so that AddressSanitizer catches a read past the line's end.
    let copy = Array(line)
    copy.withUnsafeBytes { raw in
      _ = try? scanner.scan(raw, into: &fields)
      for d in decoders.indices { _ = try? decoders[d].decode(raw, into: &columns[d]) }
    }
  }
  return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
_ = LLVMFuzzerRunDriver(&argc, &argv, fuzz)
