// bench/ndjson-scan/main.swift: single-threaded speed of NDJSONScanner.scan (ndjson-scan.sh).
//
// Reads an NDJSON file into memory, then times, best of 5 rounds: (1) line splitting alone with
// memchr, (2) splitting + scanning + validating every line into a reused fields array.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct NDJSONScanBench {
  static func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  static func readAll(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else {
      fputs("ndjson-scan: cannot open \(path)\n", stderr)
      exit(66)
    }
    defer { fclose(f) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
      if n == 0 { break }
      data.append(contentsOf: chunk[0..<n])
    }
    return data
  }

  /// Calls `body` with each line (newline excluded).
  @inline(__always)
  static func forEachLine(
    _ all: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void
  ) {
    guard let base = all.baseAddress else { return }
    var start = 0
    while start < all.count {
      let end: Int
      if let hit = memchr(base + start, 0x0A, all.count - start) {
        end = UnsafeRawPointer(hit) - base
      } else {
        end = all.count
      }
      body(UnsafeRawBufferPointer(start: base + start, count: end - start))
      start = end + 1
    }
  }

  static func main() {
    let args = CommandLine.arguments
    guard args.count == 2 else {
      fputs("usage: ndjson-scan FILE.ndjson\n", stderr)
      exit(64)
    }
    let data = readAll(args[1])
    var scanner = NDJSONScanner()
    var fields: [JSONField] = []
    fields.reserveCapacity(64)
    data.withUnsafeBytes { all in
      var lines = 0
      var splitBest = Double.infinity
      for _ in 0..<5 {
        let t0 = now()
        lines = 0
        forEachLine(all) { _ in lines += 1 }
        splitBest = min(splitBest, now() - t0)
      }
      var best = Double.infinity
      var count = 0
      var errors = 0
      for _ in 0..<5 {
        let t0 = now()
        count = 0
        errors = 0
        forEachLine(all) { line in
          do {
            try scanner.scan(line, into: &fields)
            count += fields.count
          } catch {
            errors += 1
          }
        }
        best = min(best, now() - t0)
      }
      let mb = Double(all.count) / 1e6
      print("input: \(all.count) bytes, \(lines) lines, \(all.count / max(lines, 1)) B/line")
      print("split only (memchr): \(Int(mb / splitBest)) MB/s")
      print(
        "split + scan + validate: \(Int(mb / best)) MB/s, "
          + "\(Int(Double(lines) / best / 1e3)) k lines/s, \(count) fields, \(errors) errors")
    }
  }
}
