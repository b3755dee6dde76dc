import ArgumentParser
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

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
