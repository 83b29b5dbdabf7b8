// LakeContracts/BuiltinContracts.swift
//
// The three built-in contracts of design.md, in the contract file format. Their columns are
// those lh-gen writes (LakeStages/Gen/DatasetSchemas.swift); allowed values and bounds cover
// everything lh-gen emits as a valid event and nothing its `--malformed` faults produce
// (Tests/LakeContractsTests checks both against generated data).
//
// Keys: clickstream and sales events carry a unique UUID (event_id, order_id). iot readings carry
// none; a reading is identified by device, sensor and event time (milliseconds), so two distinct
// readings of one sensor in the same millisecond would count as duplicates.

extension Contract {
  /// The names of the built-in contracts; the first is the default.
  public static let builtinNames = ["clickstream", "iot", "sales"]

  /// The text of a built-in contract, or nil for an unknown name.
  public static func builtinText(_ name: String) -> String? {
    switch name {
    case "clickstream": clickstreamText
    case "iot": iotText
    case "sales": salesText
    default: nil
    }
  }

  /// A built-in contract, or nil for an unknown name.
  ///
  /// The texts are part of the program and covered by tests, so they always parse.
  public static func builtin(_ name: String) -> Contract? {
    guard let text = builtinText(name) else { return nil }
    return try? ContractParser.parse(text, file: "<builtin:\(name)>")
  }

  static let clickstreamText = """
    # Web-shop clickstream: users in sessions walking a funnel (lh-gen --dataset clickstream).
    # Money (price) is in the event's currency, which follows the user's country and is set on
    # add_to_cart and purchase events only: money metrics are kept per currency, never summed
    # across currencies.
    contract clickstream
    key event_id
    event_time ts

    column event_id   string        required max_length 36
    column user_id    int64         required min 1
    column session_id string        required max_length 36
    column event_type string        required values page_view, click, add_to_cart, purchase, login, logout
    column page       string        required max_length 256
    column source     string        required values web, mobile, api
    column product_id string        optional max_length 32
    column price      decimal(12,2) optional min 0 currency currency
    column quantity   int32         optional min 1 max 1000
    column currency   string        optional values USD, EUR, GBP, PLN, CAD, MXN, BRL, INR, JPY, AUD
    column country    string        required values US, GB, DE, FR, ES, IT, NL, PL, CA, MX, BR, IN, JP, AU
    column ts         timestamp     required

    gold daily_active_users
      grain day
      metric active_users = count_distinct(user_id)
      metric sessions = count_distinct(session_id)
      metric events = count

    gold conversion_rate_daily
      grain day
      metric active_users = count_distinct(user_id)
      metric purchasing_users = count_distinct(user_id) where event_type = purchase
      metric purchases = count where event_type = purchase
      ratio conversion_rate = purchasing_users / active_users

    gold revenue_daily
      grain day
      group_by currency
      where event_type = purchase
      metric orders = count
      metric units = sum(quantity)
      metric revenue = sum(price * quantity)
      metric buyers = count_distinct(user_id)

    gold events_per_source_daily
      grain day
      group_by source
      metric events = count
      metric users = count_distinct(user_id)
      metric purchases = count where event_type = purchase

    gold purchases_per_page_daily
      grain day
      group_by page
      metric views = count where event_type = page_view
      metric add_to_carts = count where event_type = add_to_cart
      metric purchases = count where event_type = purchase

    gold events_per_minute
      grain minute
      group_by event_type
      metric events = count

    gold logins_per_source_minute
      grain minute
      group_by source
      metric logins = count where event_type = login

    gold purchases_per_minute
      grain minute
      group_by currency
      where event_type = purchase
      metric purchases = count
      metric units = sum(quantity)
      metric revenue = sum(price * quantity)

    gold kpi_minute
      grain minute
      metric orders = count where event_type = purchase
      metric active_users = count_distinct(user_id)
      metric view_users = count_distinct(user_id) where event_type = page_view
      metric purchase_users = count_distinct(user_id) where event_type = purchase
      ratio conversion_rate = purchase_users / active_users

    """

  static let iotText = """
    # Device telemetry: three sensors per device (lh-gen --dataset iot).
    contract iot
    key device_id, sensor, ts
    event_time ts

    column device_id string    required max_length 64
    column sensor    string    required values temperature, humidity, pressure
    column value     double    required min -100 max 1200
    column unit      string    required values C, %, hPa
    column battery   int32     required min 0 max 100
    column ts        timestamp required

    gold sensor_minute
      grain minute
      group_by device_id, sensor
      metric readings = count
      metric min_value = min(value)
      metric max_value = max(value)
      metric avg_value = avg(value)
      metric min_battery = min(battery)

    gold sensor_hourly
      grain hour
      group_by sensor
      metric readings = count
      metric devices = count_distinct(device_id)
      metric min_value = min(value)
      metric max_value = max(value)
      metric avg_value = avg(value)

    """

  static let salesText = """
    # Retail orders from stores in regions (lh-gen --dataset sales). Revenue and cost are in
    # the company's one reporting currency (the feed has no currency field), so they declare
    # none and add up across stores and regions.
    contract sales
    key order_id
    event_time ts

    column order_id string         required max_length 36
    column store    string         required max_length 64
    column product  string         required max_length 128
    column category string         required values electronics, kitchen, apparel, books, toys, sports, beauty, garden
    column region   string         required values NA-East, NA-West, EU-West, EU-Central, APAC, LATAM
    column quantity int32          required min 1 max 1000
    column revenue  decimal(14,2)  required min 0
    column cost     decimal(14,2)  required min 0
    column ts       timestamp      required

    gold store_daily
      grain day
      group_by store, region
      metric orders = count
      metric units = sum(quantity)
      metric revenue = sum(revenue)
      metric cost = sum(cost)
      metric avg_order_value = avg(revenue)
      ratio cost_ratio = cost / revenue

    gold product_daily
      grain day
      group_by product, category
      metric orders = count
      metric units = sum(quantity)
      metric revenue = sum(revenue)
      metric stores = count_distinct(store)

    gold sales_daily
      grain day
      metric orders = count
      metric units = sum(quantity)
      metric revenue = sum(revenue)
      metric cost = sum(cost)
      metric stores = count_distinct(store)
      ratio cost_ratio = cost / revenue

    gold region_hourly
      grain hour
      group_by region
      metric orders = count
      metric revenue = sum(revenue)

    """
}
