import ArgumentParser
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

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
