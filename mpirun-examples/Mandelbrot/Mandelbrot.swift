// SwiftPool's main example: renders the Mandelbrot set in bands of rows on the workers, writes a
// PNG you can look at, and prints the wall time and the speedup over a single worker.
//
//   swift run -c release Mandelbrot           # on its own: spawns one worker per core
//   mpirun -np 5 .build/release/Mandelbrot    # under mpirun: ranks 1-4 are the workers
import ArgumentParser
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Mandelbrot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the Mandelbrot set on a SwiftPool of MPI workers.")

    @Option(help: "Image width in pixels.") var width = 1600
    @Option(help: "Image height in pixels.") var height = 1200
    @Option(help: "Iterations before a point counts as inside the set.") var iterations = 3000
    @Option(help: "Rows per task.") var bandRows = 16
    @Option(help: "Where to write the PNG.") var output = "mandelbrot.png"
    @Flag(help: "Skip the single-worker run that the speedup is measured against.") var noBaseline = false

    func run() throws {
        let view = View(
            width: width, height: height, centerX: -0.7453, centerY: 0.1127, scale: 0.000_008 * 1600 / Double(width),
            maxIterations: iterations)
        let bands = stride(from: 0, to: height, by: bandRows).map { Band(first: $0, count: min(bandRows, height - $0)) }
        let render = RenderBand(view: view)

        try MPIPoolExecutor.run { pool in
            print("Mandelbrot \(width)x\(height), \(iterations) iterations, \(bands.count) bands")
            var baseline: Double?
            if !noBaseline && pool.maxWorkers > 1 {
                baseline = try timed {
                    try MPIPoolExecutor.run(maxWorkers: 1) { single in
                        try single.map(render, bands, chunkSize: 1, progress: .bar)
                    }
                }.seconds
                print("1 worker:  \(rounded(baseline!)) s")
            }
            // The bar goes to standard error, and only when that is a terminal.
            let (rows, seconds) = try timed { try pool.map(render, bands, chunkSize: 1, progress: .bar) }
            let workers = pool.maxWorkers
            print("\(workers) worker\(workers == 1 ? "" : "s"): \(rounded(seconds)) s")
            if let baseline {
                let speedup = baseline / seconds
                print(
                    "speedup: \(rounded(speedup))x on \(workers) workers "
                        + "(parallel efficiency \(Int((100 * speedup / Double(workers)).rounded())) %)")
            }
            let pixels = rows.flatMap { $0 }
            try PNGWriter.write(pixels: pixels, width: width, height: height, palette: mandelbrotPalette(), to: output)
            print("wrote \(output)")
            print(asciiPreview(pixels))
        }
    }

    private func rounded(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    private func timed<T>(_ body: () throws -> T) rethrows -> (value: T, seconds: Double) {
        let start = ContinuousClock.now
        let value = try body()
        let elapsed = ContinuousClock.now - start
        return (value, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// A small picture of the render in text, for a first look without an image viewer.
    private func asciiPreview(_ pixels: [UInt8]) -> String {
        let columns = 72
        let rows = 24
        let shades = Array(" .:-=+*#%@")
        return (0..<rows).map { row in
            String(
                (0..<columns).map { column in
                    let value = pixels[(row * height / rows) * width + column * width / columns]
                    return value == 0 ? "@" : shades[Int(value) * (shades.count - 1) / 255]
                })
        }.joined(separator: "\n")
    }
}
