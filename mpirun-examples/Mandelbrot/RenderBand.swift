import SwiftPool

/// The part of the complex plane to draw, and how finely.
struct View: Codable, Sendable {
    var width: Int
    var height: Int
    var centerX: Double
    var centerY: Double
    var scale: Double
    var maxIterations: Int
}

/// Renders one band of rows of the Mandelbrot set: one palette index per pixel.
///
/// The view travels with every call (a stored property); the argument is the band's first row
/// and row count.
struct RenderBand: RemoteFunction {
    var view: View

    func callAsFunction(_ rows: Band) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: rows.count * view.width)
        for row in 0..<rows.count {
            let y = view.centerY + (Double(rows.first + row) - Double(view.height) / 2) * view.scale
            for column in 0..<view.width {
                let x = view.centerX + (Double(column) - Double(view.width) / 2) * view.scale
                pixels[row * view.width + column] = paletteIndex(escapeTime(x, y))
            }
        }
        return pixels
    }

    /// How many iterations z -> z² + c takes to leave the radius-2 disc, smoothed; nil inside.
    private func escapeTime(_ cx: Double, _ cy: Double) -> Double? {
        var zx = 0.0
        var zy = 0.0
        for iteration in 0..<view.maxIterations {
            let zx2 = zx * zx
            let zy2 = zy * zy
            if zx2 + zy2 > 256 {
                let logModulus = log(zx2 + zy2) / 2
                return Double(iteration) + 1 - log(logModulus / log(2.0)) / log(2.0)
            }
            zy = 2 * zx * zy + cy
            zx = zx2 - zy2 + cx
        }
        return nil
    }

    private func paletteIndex(_ time: Double?) -> UInt8 {
        guard let time else { return 0 }
        return UInt8(1 + Int(time * 4) % 255)
    }
}

/// A run of image rows.
struct Band: Codable, Sendable {
    var first: Int
    var count: Int
}

#if canImport(Glibc)
    import Glibc
#endif
