import ArgumentParser
import Foundation
import SwiftPool

/// What `maxTasksPerWorker` costs: a map whose workers are replaced every 100 items against the
/// same map with none replaced, and the time from a worker finishing its last task to its
/// replacement starting the next (run it with one worker, so the next task must wait for it).
struct Recycling: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A map with maxTasksPerWorker 100 against none; limit reached to replacement serving.")

    @Option(help: "map: the map with and without a limit; replace: the time to a replacement.") var mode = "map"
    @Option(help: "Items in the map.") var items = 10_000
    @Option(help: "Busy milliseconds per item.") var milliseconds = 0.1
    @Option(help: "maxTasksPerWorker for the limited map.") var limit = 100
    @Option(help: "Replacements to time.") var samples = 10
    @Option(help: "Workers in the plain start (all cores by default).") var workers: Int?

    func run() throws {
        if mode == "replace" {
            try timeReplacements()
        } else {
            try compareMaps()
        }
    }

    private func compareMaps() throws {
        let arguments = Array(repeating: milliseconds, count: items)
        var seconds: [String: Double] = [:]
        for (name, limit) in [("none", Int?.none), ("limited", Int?.some(limit))] {
            try MPIPoolExecutor.run(maxWorkers: workers, maxTasksPerWorker: limit) { pool in
                _ = try pool.map(Busy(), Array(repeating: 0.0, count: pool.maxWorkers * 4), chunkSize: 1)
                let clock = ContinuousClock()
                let start = clock.now
                _ = try pool.map(Busy(), arguments)
                seconds[name] = elapsedSeconds(clock.now - start)
            }
        }
        figure("recycling.map.none.seconds", seconds["none"]!, "s")
        figure("recycling.map.limit\(limit).seconds", seconds["limited"]!, "s")
        figure("recycling.map.slowdown", seconds["limited"]! / seconds["none"]!, "ratio")
    }

    /// Each task runs on a fresh worker: from the end of one (its worker has reached the limit
    /// of 1) to the start of the next, on the replacement.
    private func timeReplacements() throws {
        try MPIPoolExecutor.run(maxWorkers: workers, maxTasksPerWorker: 1) { pool in
            var gaps: [Double] = []
            var previous = try pool.submit(Span(), 0).result()
            for _ in 0..<samples {
                let next = try pool.submit(Span(), 0).result()
                if next.processID != previous.processID { gaps.append((next.start - previous.end) * 1000) }
                previous = next
            }
            figure("recycling.replaceMs", quantile(gaps.sorted(), 0.5), "ms")
            figure("recycling.replaceMs.max", gaps.max() ?? .nan, "ms")
        }
    }
}

/// When a task started and ended (wall clock, comparable across the processes of one host), and
/// which process ran it.
struct Span: RemoteFunction {
    struct Times: Codable, Sendable {
        var start: Double
        var end: Double
        var processID: Int32
    }

    func callAsFunction(_ item: Int) -> Times {
        let start = Date().timeIntervalSince1970
        return Times(start: start, end: Date().timeIntervalSince1970, processID: getpid())
    }
}
