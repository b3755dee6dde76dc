import ArgumentParser
import SwiftPool

/// Tiny tasks each submitted on its own, on every worker.
struct Throughput: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tasks per second for tiny tasks submitted one by one.")

    @Option(help: "Tasks to submit.") var count = 100_000

    @Option(help: "Workers to use (started on its own: how many to start); all when omitted.")

    var workers: Int?

    func run() throws {
        try MPIPoolExecutor.run(maxWorkers: workers) { pool in
            _ = try (0..<1000).map { try pool.submit(Increment(), $0) }.map { try $0.result() }
            let clock = ContinuousClock()
            let start = clock.now
            let futures = try (0..<count).map { try pool.submit(Increment(), $0) }
            var total = 0
            for future in futures { total += try future.result() }
            let elapsed = elapsedSeconds(clock.now - start)
            precondition(total == count * (count + 1) / 2)
            figure("throughput.tasks", Double(count) / elapsed, "tasks/s")
        }
    }
}
