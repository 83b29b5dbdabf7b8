import Foundation
import LakeTestSupport
import Testing

/// lh-report's HTML page rendered by a real browser (issue 7): headless Chromium from the
/// system's packages (`scripts/deps.sh test` installs `chromium-headless-shell`).
///
/// The page of a fixed lake is rendered to a PNG screenshot tall enough for the whole page, and
/// the screenshot is decoded here (`PNGImage`): every chart must show up as a band of pixels of
/// the bar colour, as many bands as the page has `<svg>` charts, each inside a chart's plot
/// area. The browser's console must stay silent (Chromium logs SVG attribute errors and
/// markup it could not use there), and the DOM it built must hold every chart and bar. The
/// same check is run on pages broken on purpose, which it must reject: empty charts (a blank
/// page) and a malformed SVG path. Without Chromium the tests fail under `LH_REQUIRE_PEERS`
/// (as `make test` sets it) and are skipped otherwise.
@Suite("lh-report in a browser")
struct LhReportBrowserTests {
  /// The bars' fill in ReportChart.swift's SVG, `#3b7dd8`.
  static let barColour: (UInt8, UInt8, UInt8) = (0x3B, 0x7D, 0xD8)
  /// The screenshot's size: wide enough for a 720-pixel chart and the page's margins, tall
  /// enough for the whole report of `lake()`.
  static let window = (width: 800, height: 9000)

  /// The browser: `$LH_CHROMIUM`, else chromium-headless-shell or chromium on PATH.
  static var browser: String? {
    let env = ProcessInfo.processInfo.environment
    if let b = env["LH_CHROMIUM"], !b.isEmpty { return b }
    let path = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin"]
    for name in ["chromium-headless-shell", "chromium"] {
      for dir in path where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
        return "\(dir)/\(name)"
      }
    }
    return nil
  }

  /// The browser, or nil after recording a failure (peers required) or nothing (skipped).
  func requireBrowser() -> String? {
    if let b = Self.browser { return b }
    if peersRequired {
      Issue.record(
        "no headless Chromium (chromium-headless-shell or chromium; scripts/deps.sh test installs it)"
      )
    }
    return nil
  }

  /// What the browser made of a page.
  struct Rendering {
    var image: PNGImage
    /// The console messages Chromium logged for the page.
    var console: [String]
    /// The DOM after parsing, serialised.
    var dom: String
  }

  /// A horizontal band of rows holding bar-coloured pixels: one chart's bars.
  struct Band: CustomStringConvertible {
    var top: Int
    var bottom: Int
    var left: Int
    var right: Int
    var pixels: Int
    var description: String {
      "rows \(top)…\(bottom), columns \(left)…\(right), \(pixels) px"
    }
  }

  /// Renders `page` to a screenshot and its DOM, with the console logged to stderr.
  func render(_ page: URL, browser: String) throws -> Rendering {
    let dir = try TestTools.temporaryDirectory("lh-browser")
    defer { try? FileManager.default.removeItem(at: dir) }
    let png = dir.appendingPathComponent("page.png")
    let r = try TestTools.run(
      "/usr/bin/timeout",
      [
        "120", browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--hide-scrollbars", "--force-device-scale-factor=1", "--no-first-run",
        "--user-data-dir=" + dir.appendingPathComponent("profile").path,
        "--window-size=\(Self.window.width),\(Self.window.height)",
        "--screenshot=" + png.path, "--dump-dom", "--enable-logging=stderr", "--v=0",
        page.absoluteString,
      ])
    #expect(r.status == 0, "\(browser) exited \(r.status): \(r.stderr)")
    let image = try PNGImage(bytes: [UInt8](try Data(contentsOf: png)))
    let console = r.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(
      String.init)
    return Rendering(image: image, console: console, dom: r.output)
  }

  /// The bands of bar-coloured rows, top to bottom.
  static func bands(_ image: PNGImage) -> [Band] {
    var bands: [Band] = []
    var open = false
    for y in 0..<image.height {
      var count = 0
      var left = Int.max
      var right = -1
      image.rgb.withUnsafeBufferPointer { p in
        let row = y * image.width * 3
        for x in 0..<image.width
        where p[row + 3 * x] == barColour.0 && p[row + 3 * x + 1] == barColour.1
          && p[row + 3 * x + 2] == barColour.2
        {
          count += 1
          left = min(left, x)
          right = max(right, x)
        }
      }
      if count == 0 {
        open = false
        continue
      }
      if open, var last = bands.popLast() {
        last.bottom = y
        last.left = min(last.left, left)
        last.right = max(last.right, right)
        last.pixels += count
        bands.append(last)
      } else {
        bands.append(Band(top: y, bottom: y, left: left, right: right, pixels: count))
        open = true
      }
    }
    return bands
  }

  /// What is wrong with the page as the browser shows it; empty when every chart is drawn.
  func problems(_ page: URL, browser: String) throws -> [String] {
    let html = try String(contentsOf: page, encoding: .utf8)
    let charts = html.components(separatedBy: "<svg").count - 1
    let bars = html.components(separatedBy: "<rect").count - 1
    let shown = try render(page, browser: browser)
    var problems = shown.console.map { "console: " + $0 }
    let inDOM = shown.dom.components(separatedBy: "<svg").count - 1
    let barsInDOM = shown.dom.components(separatedBy: "<rect").count - 1
    if inDOM != charts || barsInDOM != bars {
      problems.append("DOM has \(inDOM) svg and \(barsInDOM) rect, the page \(charts) and \(bars)")
    }
    let bands = Self.bands(shown.image)
    if bands.count != charts {
      problems.append("\(bands.count) charts drawn, the page has \(charts): \(bands)")
    }
    // A chart's plot area is 636 × 192 pixels of a 720 × 240 SVG; a band outside that is not
    // a chart, and one with few pixels is a chart drawn (nearly) blank.
    for b in bands where b.right - b.left > 640 || b.bottom - b.top > 194 || b.pixels < 300 {
      problems.append("not a chart's bars: \(b)")
    }
    // The whole page fits: the last rows of the screenshot are blank.
    let bottom = shown.image.height - 1
    if (0..<shown.image.width).contains(where: {
      shown.image.pixel(x: $0, y: bottom) != (255, 255, 255)
    }) {
      problems.append("the page is taller than the \(Self.window.height)-pixel screenshot")
    }
    return problems
  }

  /// The HTML report of a fixed lake (as the golden cases make it, smaller: 20 minutes).
  func report() throws -> (page: URL, html: String) {
    let dir = try TestTools.temporaryDirectory()
    let lake = dir.appendingPathComponent("lake").path
    let made = try TestTools.shell(
      "lh-gen --seed 7 --count 200 --duration 20m --quiet | lh-bronze --lake '\(lake)' --quiet"
        + " && lh-silver --lake '\(lake)' --quiet && lh-gold --lake '\(lake)' --quiet")
    #expect(made.status == 0, "\(made.stderr)")
    let r = try TestTools.run("lh-report", ["--lake", lake, "--format", "html"])
    #expect(r.status == 0, "\(r.stderr)")
    let page = dir.appendingPathComponent("report.html")
    try Data(r.stdout).write(to: page)
    let html = r.output
    #expect(html.contains("<g fill=\"#3b7dd8\">"), "the bar colour changed: update barColour")
    return (page, html)
  }

  @Test("Chromium renders the HTML report: no console message, every chart's bars drawn")
  func rendersReport() throws {
    guard let browser = requireBrowser() else { return }
    let (page, html) = try report()
    #expect(html.components(separatedBy: "<svg").count - 1 == 9)
    let found = try problems(page, browser: browser)
    #expect(found.isEmpty, "\(found)")
  }

  @Test("the browser check rejects a blank page (empty charts) and a malformed SVG path")
  func rejectsBrokenPages() throws {
    guard let browser = requireBrowser() else { return }
    let (page, html) = try report()
    // Empty charts: every bar removed, the rest of the page as it was.
    let blank = page.deletingLastPathComponent().appendingPathComponent("blank.html")
    try html.replacingOccurrences(of: "<rect [^>]*/>", with: "", options: .regularExpression)
      .write(to: blank, atomically: true, encoding: .utf8)
    let blankProblems = try problems(blank, browser: browser)
    #expect(
      blankProblems.contains { $0.hasPrefix("0 charts drawn, the page has 9") }, "\(blankProblems)")
    // A malformed path: the first chart's axes get a `d` that is not path data.
    let malformed = page.deletingLastPathComponent().appendingPathComponent("malformed.html")
    let axis = try #require(html.range(of: "<path d=\"M"))
    try html.replacingCharacters(in: axis, with: "<path d=\"M x")
      .write(to: malformed, atomically: true, encoding: .utf8)
    let malformedProblems = try problems(malformed, browser: browser)
    #expect(
      malformedProblems.contains { $0.contains("console: ") && $0.contains("<path> attribute d") },
      "\(malformedProblems)")
  }

  @Test("PNG decoding: filters None, Sub, Up, Average and Paeth give the pixels written")
  func pngFilters() throws {
    // A 3 × 2 RGB image, each row under another filter, made by hand (zlib by LakeIO's Gzip is
    // gzip, so the IDAT is stored as a zlib stream with a stored block).
    let pixels: [[UInt8]] = [
      [10, 20, 30, 40, 50, 60, 70, 80, 90],
      [15, 25, 35, 45, 55, 65, 75, 85, 95],
    ]
    for filter: UInt8 in 0...4 {
      var raw: [UInt8] = []
      for (y, row) in pixels.enumerated() {
        raw.append(filter)
        for i in 0..<row.count {
          let a = i >= 3 ? Int(row[i - 3]) : 0
          let b = y > 0 ? Int(pixels[y - 1][i]) : 0
          let c = i >= 3 && y > 0 ? Int(pixels[y - 1][i - 3]) : 0
          let p = a + b - c
          let paeth =
            abs(p - a) <= abs(p - b) && abs(p - a) <= abs(p - c)
            ? a : (abs(p - b) <= abs(p - c) ? b : c)
          let predictor = [0, a, b, (a + b) / 2, paeth][Int(filter)]
          raw.append(UInt8(truncatingIfNeeded: Int(row[i]) - predictor))
        }
      }
      let image = try PNGImage(bytes: Self.png(width: 3, height: 2, raw: raw))
      #expect(image.rgb == pixels[0] + pixels[1], "filter \(filter)")
    }
    #expect(throws: PNGImage.Failure.self) { try PNGImage(bytes: Array("GIF89a".utf8)) }
  }

  /// A PNG file of 8-bit RGB with `raw` (filtered rows) in one stored zlib block.
  static func png(width: Int, height: Int, raw: [UInt8]) -> [UInt8] {
    func u32(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
      u32(data.count) + Array(type.utf8) + data + [0, 0, 0, 0]  // the CRC is not checked
    }
    var adler = (a: 1, b: 0)
    for byte in raw {
      adler.a = (adler.a + Int(byte)) % 65521
      adler.b = (adler.b + adler.a) % 65521
    }
    let n = raw.count
    let zlib: [UInt8] =
      [0x78, 0x01, 0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
      + raw + u32(adler.b << 16 | adler.a)
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
      + chunk("IHDR", u32(width) + u32(height) + [8, 2, 0, 0, 0]) + chunk("IDAT", zlib)
      + chunk("IEND", [])
  }
}
