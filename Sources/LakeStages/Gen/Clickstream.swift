// LakeStages/Gen/Clickstream.swift
//
// Web-shop clickstream: users in sessions that walk a funnel
//
//   login ─▶ page_view / click … ─▶ add_to_cart ─▶ purchase ─▶ … ─▶ logout
//     (or arrive already logged in)          (drop-off at every step: some log out, most vanish)
//
// Realism that tests check (Tests/LakeStagesTests/ClickstreamTests.swift):
// - 80 % of sessions, hence about 80 % of events, come from the 20 % heaviest users;
// - the user base grows by `userGrowthPerDay` per day of event time;
// - a user keeps a home country; currency follows the country; a product's price in a currency
//   is fixed; a purchase repeats the product, price, quantity and currency of its cart line;
// - concurrent sessions scale with the event rate, so sessions last minutes of event time.

import LakeFormats

/// Countries a user can live in, with their currency and a weight (percent of users).
enum Country: UInt8, CaseIterable {
  case us, gb, de, fr, es, it, nl, pl, ca, mx, br, india, jp, au

  var code: StaticString {
    switch self {
    case .us: "US"
    case .gb: "GB"
    case .de: "DE"
    case .fr: "FR"
    case .es: "ES"
    case .it: "IT"
    case .nl: "NL"
    case .pl: "PL"
    case .ca: "CA"
    case .mx: "MX"
    case .br: "BR"
    case .india: "IN"
    case .jp: "JP"
    case .au: "AU"
    }
  }

  var weight: Int {
    switch self {
    case .us: 30
    case .gb: 9
    case .de: 10
    case .fr: 7
    case .es: 4
    case .it: 4
    case .nl: 3
    case .pl: 3
    case .ca: 5
    case .mx: 3
    case .br: 5
    case .india: 8
    case .jp: 6
    case .au: 3
    }
  }

  var currency: Currency {
    switch self {
    case .us: .usd
    case .gb: .gbp
    case .de, .fr, .es, .it, .nl: .eur
    case .pl: .pln
    case .ca: .cad
    case .mx: .mxn
    case .br: .brl
    case .india: .inr
    case .jp: .jpy
    case .au: .aud
    }
  }
}

/// Currencies with a fixed exchange rate from US dollars.
enum Currency: UInt8, CaseIterable {
  case usd, eur, gbp, pln, cad, mxn, brl, inr, jpy, aud

  var code: StaticString {
    switch self {
    case .usd: "USD"
    case .eur: "EUR"
    case .gbp: "GBP"
    case .pln: "PLN"
    case .cad: "CAD"
    case .mxn: "MXN"
    case .brl: "BRL"
    case .inr: "INR"
    case .jpy: "JPY"
    case .aud: "AUD"
    }
  }

  var perDollar: Double {
    switch self {
    case .usd: 1
    case .eur: 0.92
    case .gbp: 0.79
    case .pln: 4.0
    case .cad: 1.36
    case .mxn: 17.0
    case .brl: 5.0
    case .inr: 83.0
    case .jpy: 150.0
    case .aud: 1.52
    }
  }

  /// Price in minor units (cents, two decimals) for a dollar price: charm prices (x.99) where
  /// the unit is small, round tens where it is large (JPY, INR).
  func price(dollarCents: Int64) -> Int64 {
    let local = Double(dollarCents) / 100 * perDollar
    if perDollar >= 50 {
      return max(10, Int64((local / 10).rounded()) * 10) * 100
    }
    return max(1, Int64(local.rounded())) * 100 - 1
  }
}

enum EventType: UInt8, CaseIterable {
  case pageView, click, addToCart, purchase, login, logout

  var name: StaticString {
    switch self {
    case .pageView: "page_view"
    case .click: "click"
    case .addToCart: "add_to_cart"
    case .purchase: "purchase"
    case .login: "login"
    case .logout: "logout"
    }
  }
}

enum Source: UInt8 {
  case web, mobile, api

  var name: StaticString {
    switch self {
    case .web: "web"
    case .mobile: "mobile"
    case .api: "api"
    }
  }
}

enum PageKind: UInt8 {
  case home, search, category, product, cart, checkout, login, account
}

let categoryNames: [StaticString] = [
  "electronics", "books", "home", "fashion", "toys", "sports", "beauty", "grocery",
]

/// One user's session in progress.
struct Session {
  var active = false
  var user: Int64 = 0
  var idHigh: UInt64 = 0
  var idLow: UInt64 = 0
  var source = Source.web
  var country = Country.us
  var page = PageKind.home
  /// Product or category shown on the current page.
  var pageItem: Int32 = 0
  var cartProduct: Int32 = -1
  var cartPrice: Int64 = 0
  var cartQuantity: Int64 = 0
  var steps = 0
}

/// The clickstream event model.
public struct ClickstreamModel: EventModel {
  public static let fields: [FieldSpec] = [
    FieldSpec("event_id", .string, required: true),
    FieldSpec("user_id", .number, required: true),
    FieldSpec("session_id", .string, required: true),
    FieldSpec("event_type", .enumeration, required: true),
    FieldSpec("page", .string, required: true),
    FieldSpec("source", .enumeration, required: true),
    FieldSpec("product_id", .string, required: false),
    FieldSpec("price", .number, required: false),
    FieldSpec("quantity", .number, required: false),
    FieldSpec("currency", .enumeration, required: false),
    FieldSpec("country", .enumeration, required: true),
    FieldSpec("ts", .timestamp, required: true),
  ]
  public static let maxLineLength = 512

  /// Products in the catalogue.
  static let productCount = 5_000

  var rng: Random
  var sessions: [Session]
  let initialUsers: Double
  let growthPerMicro: Double
  let startMicros: Int64
  let salt: UInt64
  /// Country per percent of users.
  let countryTable: [Country]

  /// Creates the model from the run's settings.
  public init(config: GenConfig, startMicros: Int64) {
    rng = Random(seed: config.seed)
    salt = mix64(config.seed ^ 0xC11C_C511)
    initialUsers = Double(max(config.users, 1))
    growthPerMicro = config.userGrowthPerDay / 86_400_000_000
    self.startMicros = startMicros
    // About 30 s of event time per event of a session, ten events a session.
    let concurrent = Int(min(max(config.eventTimeRate * 30, 1), 65_536))
    sessions = [Session](repeating: Session(), count: concurrent)
    var table: [Country] = []
    for c in Country.allCases { table += repeatElement(c, count: c.weight) }
    countryTable = table
  }

  /// Users registered at `micros`.
  @inline(__always)
  func userCount(at micros: Int64) -> Int64 {
    let grown = initialUsers * (1 + growthPerMicro * Double(max(micros - startMicros, 0)))
    return max(Int64(grown), 1)
  }

  /// A product's dollar price in cents: stable per product, spread log-uniformly 3…400 dollars.
  @inline(__always)
  func dollarCents(product: Int32) -> Int64 {
    let u = Double(mix64(UInt64(product) ^ 0x5EED_F00D) >> 11) * 0x1p-53
    return Int64(300 * pow(400.0 / 3.0, u))
  }

  mutating func startSession(_ s: inout Session, at micros: Int64) {
    let users = userCount(at: micros)
    let heavy = max(users / 5, 1)
    let user: Int64
    if rng.chance(0.8) || users == heavy {
      user = Int64(rng.below(Int(heavy)))
    } else {
      user = heavy + Int64(rng.below(Int(users - heavy)))
    }
    let h = mix64(UInt64(user) ^ salt)
    s = Session()
    s.active = true
    s.user = user + 1
    s.idHigh = (rng.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000
    s.idLow = (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
    s.country = countryTable[Int(h % UInt64(countryTable.count))]
    // Each user mostly keeps one device: 55 % web, 40 % mobile, 5 % api.
    let pref = (h >> 20) % 100
    s.source = pref < 55 ? .web : (pref < 95 ? .mobile : .api)
    if rng.chance(0.1) { s.source = pref < 55 ? .mobile : .web }
  }

  /// Opens a new session in `s` and returns its first event: a login, or a landing page view
  /// for a user who is still logged in.
  mutating func beginSession(_ s: inout Session, at micros: Int64) -> EventType {
    startSession(&s, at: micros)
    if rng.chance(0.65) {
      s.page = .login
      return .login
    }
    if rng.chance(0.5) {
      s.page = .home
    } else {
      s.page = .product
      s.pageItem = popularProduct()
    }
    return .pageView
  }

  /// A product drawn with a popularity skew (low ids are bestsellers).
  @inline(__always)
  mutating func popularProduct() -> Int32 {
    let u = rng.uniform()
    return Int32(Double(Self.productCount) * u * u * u)
  }

  public mutating func writeEvent(at micros: Int64, into w: inout JSONWriter) {
    let slot = rng.below(sessions.count)
    var s = sessions[slot]
    var type = EventType.pageView
    if !s.active {
      type = beginSession(&s, at: micros)
    } else {
      // One step of the funnel. A cart line is bought with a 7 % chance per step (about one
      // add_to_cart in five ends in a purchase, the rest are replaced or abandoned); otherwise
      // the session ends with a 15 % chance (about seven events a session); a product page
      // leads to add_to_cart 22 % of the time; the rest is browsing (62 % page views).
      if s.cartProduct >= 0 && rng.chance(0.07) {
        type = .purchase
        s.page = .checkout
      } else if rng.chance(0.15) {
        // A minority logs out; the rest just leave, and the slot opens a new session.
        if rng.chance(0.35) {
          type = .logout
          s.page = .account
          s.active = false
        } else {
          type = beginSession(&s, at: micros)
        }
      } else if s.page == .product && rng.chance(0.22) {
        type = .addToCart
        s.cartProduct = s.pageItem
        s.cartPrice = s.country.currency.price(dollarCents: dollarCents(product: s.pageItem))
        let q = rng.uniform()
        s.cartQuantity = q < 0.7 ? 1 : (q < 0.9 ? 2 : Int64(3 + rng.below(3)))
      } else if s.page == .login || rng.chance(0.62) {
        type = .pageView
        let p = rng.uniform()
        if p < 0.5 {
          s.page = .product
          s.pageItem = popularProduct()
        } else if p < 0.72 {
          s.page = .category
          s.pageItem = Int32(rng.below(categoryNames.count))
        } else if p < 0.88 {
          s.page = .search
        } else if p < 0.95 {
          s.page = .home
        } else {
          s.page = .cart
        }
      } else {
        type = .click
      }
    }
    s.steps += 1

    w.raw("{\"event_id\":")
    w.uuid(
      high: (rng.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000,
      low: (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000)
    w.raw(",\"user_id\":")
    w.int(s.user)
    w.raw(",\"session_id\":")
    w.uuid(high: s.idHigh, low: s.idLow)
    w.raw(",\"event_type\":")
    w.plainString(type.name)
    w.raw(",\"page\":\"")
    switch s.page {
    case .home: w.raw("/")
    case .search: w.raw("/search")
    case .category:
      w.raw("/category/")
      w.raw(categoryNames[Int(s.pageItem) % categoryNames.count])
    case .product:
      w.raw("/product/p-")
      fixed5(&w, s.pageItem)
    case .cart: w.raw("/cart")
    case .checkout: w.raw("/checkout")
    case .login: w.raw("/login")
    case .account: w.raw("/account")
    }
    w.raw("\",\"source\":")
    w.plainString(s.source.name)
    let product: Int32 =
      type == .purchase ? s.cartProduct : (s.page == .product ? s.pageItem : -1)
    if product >= 0 {
      w.raw(",\"product_id\":\"p-")
      fixed5(&w, product)
      w.byte(0x22)
    } else {
      w.raw(",\"product_id\":null")
    }
    if type == .addToCart || type == .purchase {
      w.raw(",\"price\":")
      w.decimal(unscaled: s.cartPrice, scale: 2)
      w.raw(",\"quantity\":")
      w.int(s.cartQuantity)
      w.raw(",\"currency\":")
      w.plainString(s.country.currency.code)
    } else {
      w.raw(",\"price\":null,\"quantity\":null,\"currency\":null")
    }
    w.raw(",\"country\":")
    w.plainString(s.country.code)
    w.raw(",\"ts\":")
    w.timestamp(micros: micros, fractionDigits: 3)
    w.raw("}\n")

    if type == .purchase { s.cartProduct = -1 }
    sessions[slot] = s
  }
}

/// Writes `v` (0…99 999) as five digits.
@inline(__always)
func fixed5(_ w: inout JSONWriter, _ v: Int32) {
  var x = Int(v)
  var i = 4
  while i >= 0 {
    w.cursor[i] = UInt8(truncatingIfNeeded: 0x30 + x % 10)
    x /= 10
    i -= 1
  }
  w.cursor += 5
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
