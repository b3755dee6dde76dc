import ArgumentParser
import SwiftPool

/// A `[Double]` argument sent to a worker and returned as the result.
struct Bandwidth: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "GB/s for an array there and back.")

    @Option(help: "Array size in MiB.") var mebibytes = 16
    @Option(help: "Round trips to time.") var repeats = 10

    func run() throws {
        try MPIPoolExecutor.run { pool in
            let values = (0..<(mebibytes * 1024 * 1024 / 8)).map(Double.init)
            _ = try pool.submit(EchoDoubles(), values).result()
            var times: [Double] = []
            let clock = ContinuousClock()
            for _ in 0..<repeats {
                let start = clock.now
                let echoed = try pool.submit(EchoDoubles(), values).result()
                times.append(elapsedSeconds(clock.now - start))
                precondition(echoed.count == values.count && echoed.last == values.last)
            }
            times.sort()
            let bytes = Double(values.count * 8)
            figure("bandwidth.\(mebibytes)MiB", 2 * bytes / quantile(times, 0.5) / 1e9, "GB/s")
        }
    }
}

/// Returns its array.
struct EchoDoubles: RemoteFunction {
    func callAsFunction(_ values: [Double]) -> [Double] { values }
}
