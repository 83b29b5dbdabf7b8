// LakeStages/Gen/Sales.swift
//
// Retail orders: stores in regions (some busier than others), a catalogue of products in
// categories with a list price and a unit cost, discounts of at most 25 % and costs of at most
// 70 % of list price, so every order's cost stays below its revenue.

import LakeFormats

let regionNames: [StaticString] = [
  "NA-East", "NA-West", "EU-West", "EU-Central", "APAC", "LATAM",
]
let salesCategories: [StaticString] = [
  "electronics", "kitchen", "apparel", "books", "toys", "sports", "beauty", "garden",
]
let productAdjectives: [StaticString] = [
  "Classic", "Deluxe", "Compact", "Smart", "Eco", "Pro", "Mini", "Ultra", "Vintage", "Travel",
]
let productNouns: [[StaticString]] = [
  ["Headphones", "Speaker", "Charger", "Monitor", "Keyboard"],
  ["Blender", "Kettle", "Pan", "Knife Set", "Espresso Machine"],
  ["Jacket", "Sneakers", "T-Shirt", "Scarf", "Backpack"],
  ["Cookbook", "Novel", "Atlas", "Notebook", "Comic"],
  ["Puzzle", "Robot Kit", "Board Game", "Plush Bear", "Kite"],
  ["Yoga Mat", "Dumbbells", "Tennis Racket", "Bike Light", "Water Bottle"],
  ["Face Cream", "Shampoo", "Perfume", "Lip Balm", "Hair Dryer"],
  ["Hose", "Planter", "Shears", "Seed Box", "Lantern"],
]

/// The sales event model.
public struct SalesModel: EventModel {
  public static let fields: [FieldSpec] = [
    FieldSpec("order_id", .string, required: true),
    FieldSpec("store", .string, required: true),
    FieldSpec("product", .string, required: true),
    FieldSpec("category", .enumeration, required: true),
    FieldSpec("region", .enumeration, required: true),
    FieldSpec("quantity", .number, required: true),
    FieldSpec("revenue", .number, required: true),
    FieldSpec("cost", .number, required: true),
    FieldSpec("ts", .timestamp, required: true),
  ]
  public static let maxLineLength = 384

  /// Products: category × adjective × noun.
  static let productCount = 8 * 10 * 5

  var rng: Random
  let storeRegion: [Int]
  let storeCount: Int

  /// Creates the model from the run's settings.
  public init(config: GenConfig, startMicros: Int64) {
    rng = Random(seed: config.seed ^ 0x5A1E5)
    storeCount = max(config.stores, 1)
    storeRegion = (0..<storeCount).map { Int(mix64(UInt64($0) &+ 77) % UInt64(regionNames.count)) }
  }

  /// List price (cents) and unit cost (cents) of a product: stable per product.
  func listing(_ product: Int) -> (price: Int64, cost: Int64) {
    let h = mix64(UInt64(product) ^ 0xCA7A_1061)
    let u = Double(h >> 11) * 0x1p-53
    let price = Int64(499 * pow(100.0, u)) / 100 * 100 + 99  // 5.99 … 499.99
    let margin = 0.40 + 0.30 * Double((h >> 3) & 0xFF) / 255  // cost 40–70 % of list
    return (price, Int64(Double(price) * margin))
  }

  public mutating func writeEvent(at micros: Int64, into w: inout JSONWriter) {
    // Busier stores: a square-law skew on the store index.
    let su = rng.uniform()
    let store = Int(Double(storeCount) * su * su)
    let pu = rng.uniform()
    let product = Int(Double(Self.productCount) * pu * pu)
    let category = product % salesCategories.count
    let adjective = (product / salesCategories.count) % productAdjectives.count
    let noun = product / (salesCategories.count * productAdjectives.count)
    let q = rng.uniform()
    let quantity: Int64 = q < 0.6 ? 1 : (q < 0.85 ? 2 : Int64(3 + rng.below(8)))
    let (list, cost) = listing(product)
    let discount = rng.chance(0.3) ? Double(rng.below(26)) / 100 : 0
    let unit = Int64((Double(list) * (1 - discount)).rounded())

    w.raw("{\"order_id\":")
    w.uuid(
      high: (rng.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000,
      low: (rng.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000)
    w.raw(",\"store\":\"store-")
    fixed5(&w, Int32(store + 1))
    w.raw("\",\"product\":\"")
    w.raw(productAdjectives[adjective])
    w.byte(0x20)
    w.raw(productNouns[category][noun])
    w.raw("\",\"category\":")
    w.plainString(salesCategories[category])
    w.raw(",\"region\":")
    w.plainString(regionNames[storeRegion[store]])
    w.raw(",\"quantity\":")
    w.int(quantity)
    w.raw(",\"revenue\":")
    w.decimal(unscaled: unit * quantity, scale: 2)
    w.raw(",\"cost\":")
    w.decimal(unscaled: cost * quantity, scale: 2)
    w.raw(",\"ts\":")
    w.timestamp(micros: micros, fractionDigits: 3)
    w.raw("}\n")
  }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
