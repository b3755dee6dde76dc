import ArgumentParser
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

/// Rank 0's peak memory for a big map, or for the streaming form over a longer input.
struct Memory: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Peak RSS of rank 0 for map and mapStream.")

    @Option(help: "map or stream.") var mode = "map"
    @Option(help: "Items.") var count = 1_000_000

    func run() throws {
        try MPIPoolExecutor.run { pool in
            switch mode {
            case "map":
                let results = try pool.map(Increment(), 0..<count)
                precondition(results.last == count)
            default:
                let total = try blockingAwait { () async throws -> Int in
                    var total = 0
                    for try await value in pool.mapStream(Increment(), 0..<count) { total &+= value }
                    return total
                }
                precondition(total == count * (count + 1) / 2)
            }
            figure("memory.\(mode)", peakResidentMegabytes(), "MB")
        }
    }
}

/// Rank 0's peak resident set size in MB.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Runs async work from synchronous code on a detached task and waits for it.
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = OutcomeSlot<T>()
    let done = DispatchSemaphoreWrapper()
    Task.detached {
        do { outcome.set(.success(try await body())) } catch { outcome.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try outcome.get()
}
