import Foundation
import LakeFormats
import LakeStages
import Testing

@Suite("lh-gen stage")
struct GeneratorTests {
  @Test("the same seed gives the same bytes; another seed does not", arguments: Dataset.allCases)
  func determinism(dataset: Dataset) throws {
    let a = try generate {
      $0.dataset = dataset
      $0.count = 20_000
      $0.seed = 3
      $0.faults.late = 0.05
      $0.faults.duplicates = 0.05
      $0.faults.malformed = 0.05
    }
    let b = try generate {
      $0.dataset = dataset
      $0.count = 20_000
      $0.seed = 3
      $0.faults.late = 0.05
      $0.faults.duplicates = 0.05
      $0.faults.malformed = 0.05
    }
    let c = try generate {
      $0.dataset = dataset
      $0.count = 20_000
      $0.seed = 4
    }
    #expect(a.bytes == b.bytes)
    #expect(a.summary == b.summary)
    #expect(a.bytes != c.bytes)
    #expect(splitLines(a.bytes).count == 20_000)
  }

  @Test("fault fractions are honoured and every line is accounted for")
  func faultFractions() throws {
    let n = 100_000
    let (bytes, summary) = try generate {
      $0.count = n
      $0.seed = 9
      $0.faults.late = 0.04
      $0.faults.lateByMicros = 300_000_000
      $0.faults.duplicates = 0.03
      $0.faults.malformed = 0.02
    }
    let lines = splitLines(bytes)
    #expect(lines.count == n)
    #expect(summary.lines == n)
    #expect(summary.events + summary.duplicates + summary.malformedTotal == n)
    // Binomial tolerances (about 5 standard deviations).
    #expect(abs(Double(summary.duplicates) / Double(n) - 0.03) < 0.003)
    #expect(abs(Double(summary.malformedTotal) / Double(n) - 0.02) < 0.0025)
    #expect(abs(Double(summary.late) / Double(summary.events) - 0.04) < 0.004)
    for kind in MalformedKind.allCases {
      #expect(abs(Double(summary.malformed[kind.rawValue]) / Double(n) - 0.004) < 0.0012, "\(kind)")
    }

    // Check the lines themselves with an independent parser.
    var seen = Set<[UInt8]>()
    var verbatimRepeats = 0
    var unparsable = 0
    var maxTime: Int64 = 0
    var lateSeen = 0
    for line in lines {
      guard let object = parseObject(line), let ts = object["ts"] as? String,
        let micros = RFC3339.parse(ts)
      else {
        // (Truncated lines may repeat by chance: "{\"ev" twice is no duplicate.)
        unparsable += 1
        continue
      }
      if !seen.insert(line).inserted {
        // A duplicate re-sends a line from up to 1024 lines back: not a late event.
        verbatimRepeats += 1
        continue
      }
      if micros < maxTime - 2_000_000 {
        lateSeen += 1
        #expect(maxTime - micros <= 300_000_000 + 60_000_000, "lag beyond the bound")
      }
      maxTime = max(maxTime, micros)
    }
    #expect(verbatimRepeats == summary.duplicates)
    // Truncated and invalid UTF-8 lines never parse; the others parse but break the contract.
    let neverParse =
      summary.malformed[MalformedKind.truncated.rawValue]
      + summary.malformed[MalformedKind.invalidUTF8.rawValue]
    #expect(unparsable >= neverParse)
    #expect(unparsable <= summary.malformedTotal)
    #expect(Double(lateSeen) > Double(summary.late) * 0.5)
  }

  @Test("each malformed kind breaks the line the way it says", arguments: MalformedKind.allCases)
  func malformedKinds(kind: MalformedKind) throws {
    let (bytes, summary) = try generate {
      $0.count = 20_000
      $0.seed = 21
      $0.faults.malformed = 1
    }
    let lines = splitLines(bytes)
    #expect(summary.malformedTotal == 20_000)
    let required = [
      "event_id", "user_id", "session_id", "event_type", "page", "source", "country", "ts",
    ]
    var broken = 0
    for line in lines {
      let object = parseObject(line)
      switch kind {
      case .invalidUTF8:
        if String(validating: line, as: UTF8.self) == nil { broken += 1 }
      case .truncated:
        if object == nil && String(validating: line, as: UTF8.self) != nil { broken += 1 }
      case .missingKey:
        if let object, object.count == 11, required.contains(where: { object[$0] == nil }) {
          broken += 1
        }
      case .wrongType:
        if let object,
          object["user_id"] is String || object["price"] is String
            || object["quantity"] is String || object["event_type"] is NSNumber
            || object["event_id"] is NSNumber || object["page"] is NSNumber
            || object["source"] is NSNumber || object["country"] is NSNumber
            || object["ts"] is NSNumber || object["session_id"] is NSNumber
            || object["product_id"] is NSNumber || object["currency"] is NSNumber
        {
          broken += 1
        }
      case .unknownEnum:
        if let object,
          !["page_view", "click", "add_to_cart", "purchase", "login", "logout"].contains(
            object["event_type"] as? String ?? "")
            || !["web", "mobile", "api"].contains(object["source"] as? String ?? "")
            || (object["country"] as? String)?.count != 2
            || ((object["currency"] as? String).map { $0.count != 3 } ?? false)
        {
          broken += 1
        }
      }
    }
    // About a fifth of the lines have each kind; every one of them must be detectable.
    #expect(broken >= summary.malformed[kind.rawValue], "\(kind): \(broken)")
  }

  @Test("iot readings stay plausible, with rare spikes")
  func iot() throws {
    let (bytes, _) = try generate {
      $0.dataset = .iot
      $0.count = 60_000
      $0.devices = 50
    }
    var bySensor: [String: [Double]] = [:]
    for line in splitLines(bytes) {
      let o = try #require(parseObject(line))
      #expect((o["device_id"] as? String)?.hasPrefix("dev-") == true)
      let battery = try #require(o["battery"] as? Int)
      #expect((0...100).contains(battery))
      bySensor[o["sensor"] as! String, default: []].append(o["value"] as! Double)
      let unit = o["unit"] as! String
      switch o["sensor"] as! String {
      case "temperature": #expect(unit == "C")
      case "humidity": #expect(unit == "%")
      case "pressure": #expect(unit == "hPa")
      default: Issue.record("unknown sensor")
      }
    }
    let pressure = try #require(bySensor["pressure"])
    let mean = pressure.reduce(0, +) / Double(pressure.count)
    #expect(abs(mean - 1013) < 10)
    let sd = (pressure.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(pressure.count))
      .squareRoot()
    let spikes = pressure.filter { abs($0 - mean) > 3 * sd }.count
    #expect(spikes > 0 && spikes < pressure.count / 50)
  }

  @Test("sales orders cost less than their revenue")
  func sales() throws {
    let (bytes, _) = try generate {
      $0.dataset = .sales
      $0.count = 30_000
    }
    var regionsOfStore: [String: String] = [:]
    for line in splitLines(bytes) {
      let o = try #require(parseObject(line))
      let revenue = try #require(o["revenue"] as? Double)
      let cost = try #require(o["cost"] as? Double)
      #expect(cost < revenue && cost > 0)
      #expect((o["quantity"] as? Int).map { $0 >= 1 } == true)
      let store = o["store"] as! String
      #expect(regionsOfStore[store, default: o["region"] as! String] == o["region"] as! String)
      regionsOfStore[store] = o["region"] as? String
    }
    #expect(regionsOfStore.count > 10)
  }

  @Test("the pacing schedule counts base and burst seconds")
  func schedule() {
    let burst = Burst(rate: 1000, seconds: 2, every: 10)
    #expect(GenStage.scheduledLines(after: 5, rate: 100, burst: nil) == 500)
    #expect(GenStage.scheduledLines(after: 9, rate: 100, burst: burst) == 900)
    #expect(GenStage.scheduledLines(after: 11, rate: 100, burst: burst) == 1100 + 900)
    #expect(GenStage.scheduledLines(after: 15, rate: 100, burst: burst) == 1500 + 1800)
    #expect(GenStage.scheduledLines(after: 21, rate: 100, burst: burst) == 2100 + 2700)
  }
}
