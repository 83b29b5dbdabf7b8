import LakeFormats
import LakeStages
import Testing

/// Cells of peers' column types: timestamp_ntz without a zone, decimals beyond Int64 exact and
/// numeric, nested values as their JSON text.
@Suite("Report cells of peers' types")
struct ReportPeerCellTests {
  @Test("timestamp_ntz, 38-digit decimals and json render as peers show them")
  func cells() {
    var ntz = ColumnBuffer(type: .timestampNtz)
    ntz.append(Int64(1_704_164_645_123_456))
    ntz.append(Int64(-1_000_000))
    #expect(ReportCell.from(ntz, row: 0).plain == "2024-01-02T03:04:05.123456")
    #expect(ReportCell.from(ntz, row: 1).pretty == "1969-12-31T23:59:59")
    #expect(ReportKind(.timestampNtz).isTime)

    var wide = ColumnBuffer(type: .decimal(precision: 38, scale: 2))
    wide.append(Int128(-99_999_999_999_999_999_999_999_999_999_999_999))
    wide.append(Int128(5))
    let big = ReportCell.from(wide, row: 0)
    #expect(big.plain == "-999999999999999999999999999999999.99")
    #expect(big.pretty == "-999,999,999,999,999,999,999,999,999,999,999.99")
    #expect(big.number != nil)
    #expect(ReportCell.from(wide, row: 1) == .decimal(5, scale: 2))
    #expect(ReportKind(.decimal(precision: 38, scale: 2)).isNumeric)

    var json = ColumnBuffer(type: .json)
    json.append(string: #"{"a":[1,null],"b":"x\ny"}"#)
    let cell = ReportCell.from(json, row: 0)
    #expect(cell.plain == #"{"a":[1,null],"b":"x\ny"}"#)
    #expect(ReportKind(.json) == .json && !ReportKind(.json).isNumeric)
  }
}
