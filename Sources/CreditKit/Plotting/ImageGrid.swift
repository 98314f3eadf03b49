import CZlib
import Foundation

/// A grid of grayscale images (e.g. digits and their reconstructions) written as an 8-bit PNG.
public struct ImageGrid: Sendable {
    /// Pixels per image across.
    public let imageWidth: Int
    /// Pixels per image down.
    public let imageHeight: Int
    /// Each row of the grid is a list of images, each `imageWidth · imageHeight` values in [0, 1].
    public var rows: [[[Float]]]
    /// Output pixels per image pixel.
    public var scale = 3
    /// Output pixels between images.
    public var gap = 2

    /// A grid of grey-scale images, one row of the grid per element of `rows` (values in [0, 1]).
    public init(imageWidth: Int, imageHeight: Int, rows: [[[Float]]]) {
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.rows = rows
    }

    /// The PNG file's bytes (white gaps, black ink on white: 1 is black).
    public func png() -> Data {
        let columns = rows.map(\.count).max() ?? 0
        let width = gap + columns * (imageWidth * scale + gap)
        let height = gap + rows.count * (imageHeight * scale + gap)
        var pixels = [UInt8](repeating: 255, count: width * height)
        for (r, row) in rows.enumerated() {
            for (c, image) in row.enumerated() {
                let left = gap + c * (imageWidth * scale + gap), top = gap + r * (imageHeight * scale + gap)
                for y in 0..<(imageHeight * scale) {
                    for x in 0..<(imageWidth * scale) {
                        let value = image[(y / scale) * imageWidth + x / scale]
                        let ink = max(0, min(1, value.isFinite ? value : 0))
                        pixels[(top + y) * width + left + x] = UInt8(255 - (ink * 255).rounded())
                    }
                }
            }
        }
        // Filter byte 0 (none) before every scanline.
        var raw = [UInt8]()
        raw.reserveCapacity(height * (width + 1))
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: pixels[(y * width)..<((y + 1) * width)])
        }
        var header = Data()
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header.append(contentsOf: [8, 0, 0, 0, 0])  // 8-bit grayscale, deflate, no filter method, no interlace
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        Self.appendChunk("IHDR", header, to: &png)
        Self.appendChunk("IDAT", Data(Gzip.deflateStream(raw)), to: &png)
        Self.appendChunk("IEND", Data(), to: &png)
        return png
    }

    private static func appendChunk(_ type: String, _ body: Data, to png: inout Data) {
        png.appendBigEndian(UInt32(body.count))
        var typed = Data(type.utf8)
        typed.append(body)
        png.append(typed)
        let crc = typed.withUnsafeBytes { crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt(typed.count)) }
        png.appendBigEndian(UInt32(crc))
    }
}

extension Data {
    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }
}
