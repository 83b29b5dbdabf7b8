// LakeTestSupport/PNGImage.swift
//
// A minimal PNG reader for tests that inspect a browser's screenshot (lh-report's HTML,
// issue 7). PNG (ISO/IEC 15948, https://www.w3.org/TR/png/):
//
//   signature 89 50 4E 47 0D 0A 1A 0A ─▶ chunks: length (u32 BE), type, data, CRC-32
//   IHDR  width, height, bit depth, colour type, compression, filter, interlace
//   IDAT… one zlib stream: per row a filter byte (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth)
//         and the filtered bytes of the row
//
// Only what screenshots use: 8 bits per sample, RGB or RGBA, not interlaced. The zlib stream
// is inflated by LakeIO's `Gzip`.

import LakeIO

/// A PNG file's pixels as 8-bit RGB.
public struct PNGImage: Sendable {
  public var width: Int
  public var height: Int
  /// Three bytes per pixel (alpha dropped), row after row.
  public var rgb: [UInt8]

  /// A failure to read a PNG file.
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  /// Decodes the bytes of a PNG file.
  ///
  /// - Throws: `Failure` for anything but a well-formed 8-bit RGB or RGBA image without
  ///   interlacing.
  public init(bytes: [UInt8]) throws {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard bytes.count > 8, Array(bytes[0..<8]) == signature else {
      throw Failure(description: "not a PNG file")
    }
    func u32(_ at: Int) -> Int {
      Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
    }
    var at = 8
    var header: (width: Int, height: Int, channels: Int)?
    var compressed: [UInt8] = []
    while at + 12 <= bytes.count {
      let length = u32(at)
      let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
      let data = at + 8
      guard length >= 0, data + length + 4 <= bytes.count else {
        throw Failure(description: "chunk \(type) runs past the end")
      }
      switch type {
      case "IHDR":
        guard length == 13 else { throw Failure(description: "IHDR of \(length) bytes") }
        let depth = bytes[data + 8]
        let colour = bytes[data + 9]
        let interlace = bytes[data + 12]
        guard depth == 8, colour == 2 || colour == 6, interlace == 0 else {
          throw Failure(
            description:
              "unsupported PNG: depth \(depth), colour type \(colour), interlace \(interlace)"
          )
        }
        header = (u32(data), u32(data + 4), colour == 6 ? 4 : 3)
      case "IDAT":
        compressed.append(contentsOf: bytes[data..<(data + length)])
      default:
        break
      }
      if type == "IEND" { break }
      at = data + length + 4
    }
    guard let header, header.width > 0, header.height > 0, header.width < 1 << 15,
      header.height < 1 << 16
    else { throw Failure(description: "no usable IHDR") }
    let stride = header.width * header.channels
    var raw = [UInt8](repeating: 0, count: header.height * (stride + 1))
    try compressed.withUnsafeBytes { input in
      try raw.withUnsafeMutableBytes { try Gzip.decompress(input, into: $0) }
    }
    var rgb = [UInt8](repeating: 0, count: header.width * header.height * 3)
    try Self.unfilter(
      &raw, rgb: &rgb, width: header.width, height: header.height, channels: header.channels)
    self.width = header.width
    self.height = header.height
    self.rgb = rgb
  }

  /// Undoes each row's filter in place and copies the colour samples to `rgb`.
  static func unfilter(
    _ raw: inout [UInt8], rgb: inout [UInt8], width: Int, height: Int, channels: Int
  ) throws {
    let stride = width * channels
    let bpp = channels
    try raw.withUnsafeMutableBufferPointer { r in
      try rgb.withUnsafeMutableBufferPointer { out in
        for y in 0..<height {
          let row = y * (stride + 1) + 1
          let previous = row - (stride + 1)
          let filter = r[row - 1]
          for i in 0..<stride {
            let a = i >= bpp ? Int(r[row + i - bpp]) : 0
            let b = y > 0 ? Int(r[previous + i]) : 0
            let c = i >= bpp && y > 0 ? Int(r[previous + i - bpp]) : 0
            let predictor: Int
            switch filter {
            case 0: predictor = 0
            case 1: predictor = a
            case 2: predictor = b
            case 3: predictor = (a + b) / 2
            case 4:
              let p = a + b - c
              let pa = abs(p - a)
              let pb = abs(p - b)
              let pc = abs(p - c)
              predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
            default: throw Failure(description: "row \(y): unknown filter \(filter)")
            }
            r[row + i] = UInt8(truncatingIfNeeded: Int(r[row + i]) + predictor)
          }
          for x in 0..<width {
            for k in 0..<3 { out[(y * width + x) * 3 + k] = r[row + x * channels + k] }
          }
        }
      }
    }
  }

  /// The colour of a pixel.
  public func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
    let i = (y * width + x) * 3
    return (rgb[i], rgb[i + 1], rgb[i + 2])
  }
}
