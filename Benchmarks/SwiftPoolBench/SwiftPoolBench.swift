// SwiftPool's benchmarks, one workload per run, printing `FIGURE <name> <value> <unit>` lines.
//
//   swift build -c release --product SwiftPoolBench
//   mpirun --allow-run-as-root --oversubscribe -np 2 .build/release/SwiftPoolBench latency
//   mpirun --allow-run-as-root --oversubscribe -np 3 .build/release/SwiftPoolBench idle
import ArgumentParser
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

@main
struct SwiftPoolBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure SwiftPool under mpirun.",
        subcommands: [Latency.self, Idle.self, Startup.self])
}

func figure(_ name: String, _ value: Double, _ unit: String) {
    print("FIGURE \(name) \(value) \(unit)")
}

/// Round-trip latency of `submit(f, x).result()` for an Int -> Int task.
struct Latency: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "submit(f, x).result() round trips, one at a time.")

    @Option(help: "Round trips to time.") var count = 10_000

    func run() throws {
        try MPIPoolExecutor.run { pool in
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

/// CPU time every process of an idle pool uses.
struct Idle: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "CPU used by each process of an idle pool.")

    @Option(help: "Seconds to stay idle.") var seconds = 5.0

    func run() throws {
        try MPIPoolExecutor.run { pool in
            func sample() throws -> [Int: Double] {
                let samples = try pool.map(SampleCPU(), Array(0..<(pool.maxWorkers * 4)), chunkSize: 1)
                var byRank: [Int: Double] = [0: processCPUSeconds()]
                for entry in samples { byRank[entry.rank] = max(byRank[entry.rank] ?? 0, entry.cpuSeconds) }
                return byRank
            }
            let before = try sample()
            let clock = ContinuousClock()
            let start = clock.now
            usleep(UInt32(self.seconds * 1_000_000))
            let elapsed = elapsedSeconds(clock.now - start)
            let after = try sample()
            var worst = 0.0
            for rank in after.keys.sorted() {
                guard let earlier = before[rank] else { continue }
                let percent = (after[rank]! - earlier) / elapsed * 100
                worst = max(worst, percent)
                figure("idle.rank\(rank)", percent, "%core")
            }
            figure("idle.worst", worst, "%core")
        }
    }
}

/// How long a pool takes to start: MPI, spawning or finding the workers, the build check.
struct Startup: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time from the first pool call to a ready pool.")

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        try MPIPoolExecutor.run { pool in
            let ready = elapsedSeconds(clock.now - start)
            _ = try pool.map(Increment(), Array(0..<pool.maxWorkers), chunkSize: 1)
            figure("startup.pool", ready, "s")
            figure("startup.firstMap", elapsedSeconds(clock.now - start), "s")
            figure("startup.workers", Double(pool.maxWorkers), "workers")
        }
    }
}
