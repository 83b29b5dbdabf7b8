import Foundation
import LakeIO
import LakeStages
import LakeTestSupport

/// Runs the generator stage into a temporary file and returns the bytes and the summary.
func generate(_ configure: (inout GenConfig) -> Void) throws -> (
  bytes: [UInt8], summary: GenSummary
) {
  var config = GenConfig()
  configure(&config)
  let dir = try TestTools.temporaryDirectory("lh-gen")
  defer { try? FileManager.default.removeItem(at: dir) }
  let path = dir.appendingPathComponent("out.ndjson").path
  let fd = try FileDescriptor.create(writingTo: path)
  let out = OutputBuffer(destination: fd, capacity: 1 << 16)
  let summary = try GenStage.run(config: config, output: out)
  try fd.close()
  return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), summary)
}

/// Splits bytes into lines without the newline.
func splitLines(_ bytes: [UInt8]) -> [[UInt8]] {
  bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map(Array.init)
}

/// Parses one line with Foundation's JSON parser (independent of the generator's writer).
func parseObject(_ line: [UInt8]) -> [String: Any]? {
  (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
}
