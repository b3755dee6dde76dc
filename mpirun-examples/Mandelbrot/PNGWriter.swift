#if canImport(Glibc)
    import Glibc
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Writes an 8-bit palette PNG. The image data goes in stored (uncompressed) deflate blocks: the
/// file is larger than a compressed one, but any viewer opens it and no zlib is needed.
enum PNGWriter {
    static func write(pixels: [UInt8], width: Int, height: Int, palette: [(UInt8, UInt8, UInt8)], to path: String)
        throws
    {
        var file = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header.append(contentsOf: [8, 3, 0, 0, 0])  // 8-bit, palette, deflate, no filter choice, no interlace
        appendChunk("IHDR", header, to: &file)
        appendChunk("PLTE", Data(palette.flatMap { [$0.0, $0.1, $0.2] }), to: &file)
        var scanlines = Data(capacity: (width + 1) * height)
        for row in 0..<height {
            scanlines.append(0)  // filter type: none
            scanlines.append(contentsOf: pixels[row * width..<(row + 1) * width])
        }
        appendChunk("IDAT", zlibStored(scanlines), to: &file)
        appendChunk("IEND", Data(), to: &file)
        try file.write(to: URL(fileURLWithPath: path))
    }

    private static func appendChunk(_ type: String, _ body: Data, to file: inout Data) {
        file.appendBigEndian(UInt32(body.count))
        let typed = Data(type.utf8) + body
        file.append(typed)
        file.appendBigEndian(crc32(typed))
    }

    private static func zlibStored(_ data: Data) -> Data {
        var out = Data([0x78, 0x01])
        let bytes = [UInt8](data)
        var offset = 0
        repeat {
            let length = min(65_535, bytes.count - offset)
            let isLast = offset + length == bytes.count
            out.append(isLast ? 1 : 0)
            out.append(UInt8(length & 0xFF))
            out.append(UInt8(length >> 8))
            out.append(UInt8(~length & 0xFF))
            out.append(UInt8((~length >> 8) & 0xFF))
            out.append(contentsOf: bytes[offset..<offset + length])
            offset += length
        } while offset < bytes.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        out.appendBigEndian((b << 16) | a)
        return out
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

extension Data {
    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [
            UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF),
        ])
    }
}

/// A smooth blue-gold-white palette; index 0 (inside the set) is black.
func mandelbrotPalette() -> [(UInt8, UInt8, UInt8)] {
    [(0, 0, 0)]
        + (1..<256).map { index in
            let t = Double(index) / 255
            func channel(_ phase: Double) -> UInt8 {
                let angle: Double = 2 * Double.pi * (t + phase)
                let level: Double = 0.5 + 0.5 * cos(angle)
                return UInt8(max(0, min(255, 255 * level)))
            }
            return (channel(0.0), channel(0.1), channel(0.2))
        }
}
