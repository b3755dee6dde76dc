import ArgumentParser
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

/// Round-trip latency of `submit(f, x).result()` for an Int -> Int task.
struct Latency: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "submit(f, x).result() round trips, one at a time.")

    @Option(help: "Round trips to time.") var count = 10_000

    @Option(help: "Workers to use (started on its own: how many to start); all when omitted.")

    var workers: Int?

    func run() throws {
        try MPIPoolExecutor.run(maxWorkers: workers) { pool in
            for value in 0..<1000 { _ = try pool.submit(Increment(), value).result() }
            var samples: [Double] = []
            samples.reserveCapacity(count)
            let clock = ContinuousClock()
            for value in 0..<count {
                let start = clock.now
                let result = try pool.submit(Increment(), value).result()
                samples.append(elapsedSeconds(clock.now - start) * 1e6)
                precondition(result == value + 1)
            }
            samples.sort()
            figure("latency.median", quantile(samples, 0.5), "us")
            figure("latency.p99", quantile(samples, 0.99), "us")
            figure("latency.workers", Double(pool.maxWorkers), "workers")
        }
    }
}
