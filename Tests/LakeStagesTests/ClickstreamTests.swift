import Foundation
import LakeFormats
import LakeStages
import Testing

@Suite("lh-gen clickstream realism")
struct ClickstreamTests {
  nonisolated(unsafe) static let sample: [[String: Any]] = {
    let bytes =
      (try? generate {
        $0.count = 200_000
        $0.seed = 11
        $0.users = 5_000
      })?.bytes ?? []
    // A line that does not parse becomes an empty object, which the schema test rejects.
    return splitLines(bytes).map { parseObject($0) ?? [:] }
  }()

  @Test("every line has the contract's fields with their types")
  func schema() throws {
    #expect(Self.sample.count == 200_000)
    let types: Set<String> = ["page_view", "click", "add_to_cart", "purchase", "login", "logout"]
    for event in Self.sample {
      #expect(event.count == 12)
      #expect(UUID(uuidString: event["event_id"] as? String ?? "") != nil)
      #expect(UUID(uuidString: event["session_id"] as? String ?? "") != nil)
      #expect((event["user_id"] as? Int).map { $0 >= 1 } == true)
      #expect(types.contains(event["event_type"] as? String ?? ""))
      #expect((event["page"] as? String)?.hasPrefix("/") == true)
      #expect(["web", "mobile", "api"].contains(event["source"] as? String ?? ""))
      #expect((event["country"] as? String)?.count == 2)
      #expect(RFC3339.parse(event["ts"] as? String ?? "") != nil)
      let commerce = ["add_to_cart", "purchase"].contains(event["event_type"] as? String ?? "")
      #expect((event["price"] is NSNull) != commerce)
      #expect((event["quantity"] is NSNull) != commerce)
      #expect((event["currency"] is NSNull) != commerce)
      if commerce { #expect(event["product_id"] is String) }
    }
  }

  @Test("the event-type mix walks a funnel with drop-off")
  func eventMix() {
    var counts: [String: Int] = [:]
    for e in Self.sample { counts[e["event_type"] as! String, default: 0] += 1 }
    let n = Double(Self.sample.count)
    func share(_ t: String) -> Double { Double(counts[t] ?? 0) / n }
    // Measured shares (1 M events, seed 11): page_view 0.52, click 0.24, login 0.09,
    // add_to_cart 0.08, logout 0.05, purchase 0.017. Bounds are wide enough for any seed,
    // tight enough to catch a broken funnel.
    #expect((0.44...0.60).contains(share("page_view")))
    #expect((0.18...0.30).contains(share("click")))
    #expect((0.06...0.13).contains(share("login")))
    #expect((0.05...0.11).contains(share("add_to_cart")))
    #expect((0.03...0.07).contains(share("logout")))
    #expect((0.01...0.03).contains(share("purchase")))
    #expect(share("purchase") < share("add_to_cart"))
    #expect(share("add_to_cart") < share("page_view"))
  }

  @Test("80 % of events come from 20 % of users")
  func userSkew() {
    var perUser: [Int: Int] = [:]
    for e in Self.sample { perUser[e["user_id"] as! Int, default: 0] += 1 }
    let sorted = perUser.values.sorted(by: >)
    // The top fifth of the user base (not just of the users seen).
    let base = 5_000 * 105 / 100
    let top = sorted.prefix(base / 5).reduce(0, +)
    let share = Double(top) / Double(Self.sample.count)
    #expect((0.74...0.88).contains(share), "top 20% share \(share)")
  }

  @Test("the user base grows over the day")
  func userGrowth() {
    let half = Self.sample.count / 2
    let early = Self.sample[..<half].map { $0["user_id"] as! Int }.max()!
    let late = Self.sample[half...].map { $0["user_id"] as! Int }.max()!
    #expect(early > 5_000 && early < 5_200)
    #expect(late > early)
    #expect(late <= 5_250)
  }

  @Test("volume follows a daily cycle: 20:00 UTC is busier than 08:00")
  func dailyCycle() {
    var perHour = [Int](repeating: 0, count: 24)
    for e in Self.sample {
      let micros = RFC3339.parse(e["ts"] as! String)!
      perHour[Int((micros / 3_600_000_000) % 24)] += 1
    }
    #expect(Double(perHour[20]) > 2 * Double(perHour[8]))
    let first = RFC3339.parse(Self.sample.first!["ts"] as! String)!
    let last = RFC3339.parse(Self.sample.last!["ts"] as! String)!
    // The span is about the requested 24 h.
    #expect(abs(Double(last - first) / 3.6e9 - 24) < 1)
  }

  @Test("orders are consistent: a purchase repeats its cart line; currency follows country")
  func orderConsistency() {
    let currencyOf = [
      "US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "ES": "EUR", "IT": "EUR", "NL": "EUR",
      "PL": "PLN", "CA": "CAD", "MX": "MXN", "BR": "BRL", "IN": "INR", "JP": "JPY", "AU": "AUD",
    ]
    var cart: [String: (String, Double, Int, String)] = [:]
    var countryOfUser: [Int: String] = [:]
    var purchases = 0
    for e in Self.sample {
      let user = e["user_id"] as! Int
      let country = e["country"] as! String
      #expect(countryOfUser[user, default: country] == country, "user \(user) moved")
      countryOfUser[user] = country
      let session = e["session_id"] as! String
      switch e["event_type"] as! String {
      case "add_to_cart":
        #expect(currencyOf[country] == e["currency"] as? String)
        cart[session] = (
          e["product_id"] as! String, e["price"] as! Double, e["quantity"] as! Int,
          e["currency"] as! String
        )
      case "purchase":
        purchases += 1
        let line = cart.removeValue(forKey: session)
        #expect(line != nil, "purchase without a cart line")
        if let line {
          #expect(line.0 == e["product_id"] as! String)
          #expect(line.1 == e["price"] as! Double)
          #expect(line.2 == e["quantity"] as! Int)
          #expect(line.3 == e["currency"] as! String)
        }
      default: break
      }
    }
    #expect(purchases > 1000)
  }

  @Test("prices are positive with two decimals at most")
  func prices() throws {
    let (bytes, _) = try generate {
      $0.count = 20_000
      $0.seed = 5
    }
    let text = String(decoding: bytes, as: UTF8.self)
    let regex = try Regex(#""price":(-?[0-9.]+)"#)
    var seen = 0
    for match in text.matches(of: regex) {
      let value = String(text[match.range]).dropFirst(8)
      let parts = value.split(separator: ".")
      #expect(parts.count == 2 && parts[1].count == 2, "\(value)")
      #expect(Double(value)! > 0)
      seen += 1
    }
    #expect(seen > 500)
  }
}
