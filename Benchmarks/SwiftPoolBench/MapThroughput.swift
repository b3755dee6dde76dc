import ArgumentParser
import SwiftPool

/// `map` over many tiny items with the default, automatic chunking.
struct MapThroughput: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map", abstract: "Items per second for map over tiny items, default chunking.")

    @Option(help: "Items to map.") var count = 1_000_000

    @Option(help: "Workers to use (started on its own: how many to start); all when omitted.")

    var workers: Int?

    func run() throws {
        try MPIPoolExecutor.run(maxWorkers: workers) { pool in
            _ = try pool.map(Increment(), 0..<10_000)
            let clock = ContinuousClock()
            let start = clock.now
            let results = try pool.map(Increment(), 0..<count)
            let elapsed = elapsedSeconds(clock.now - start)
            precondition(results.last == count)
            figure("map.tasks", Double(count) / elapsed, "tasks/s")
        }
    }
}
