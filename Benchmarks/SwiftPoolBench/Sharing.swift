import ArgumentParser
import SwiftPool

/// Many submits of a function that holds a large array: shared with `pool.share` (sent once per
/// worker) against a plain stored property (sent with every task).
struct Sharing: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Submits of a function holding a big array.")

    @Option(help: "Array size in MB (10^6 bytes).") var megabytes = 100
    @Option(help: "Submits to time.") var submits = 1000
    @Option(help: "shared or plain.") var mode = "shared"
    @Option(help: "Workers to spawn in the plain start (ignored under mpirun).") var workers: Int?

    func run() throws {
        let table = (0..<(megabytes * 1_000_000 / 8)).map(Double.init)
        try MPIPoolExecutor.run(maxWorkers: workers) { pool in
            let before = MPIPoolExecutor.traffic
            let clock = ContinuousClock()
            let start = clock.now
            switch mode {
            case "shared":
                let shared = try pool.share(table)
                try submitAll(pool, tableCount: table.count) { try pool.submit(SharedEntry(table: shared), $0) }
            case "plain":
                try submitAll(pool, tableCount: table.count) { try pool.submit(PlainEntry(table: table), $0) }
            default:
                throw ValidationError("--mode is shared or plain, not \(mode)")
            }
            let seconds = elapsedSeconds(clock.now - start)
            let sent = MPIPoolExecutor.traffic.bytesSent - before.bytesSent
            figure("sharing.\(mode).seconds", seconds, "s")
            figure("sharing.\(mode).sentMB", Double(sent) / 1e6, "MB")
        }
    }

    /// Submits `submits` tasks, keeping at most two per worker unfinished: a plain property's
    /// copies would otherwise all sit in the queue at once.
    private func submitAll(
        _ pool: MPIPoolExecutor, tableCount: Int, _ submit: (Int) throws -> Future<Double>
    ) throws {
        var window: [Future<Double>] = []
        for index in 0..<submits {
            if window.count == 2 * pool.maxWorkers {
                let value = try window.removeFirst().result()
                precondition(value >= 0)
            }
            window.append(try submit(index * 7919 % tableCount))
        }
        for future in window {
            let value = try future.result()
            precondition(value >= 0)
        }
    }
}

/// One entry of a shared table.
struct SharedEntry: RemoteFunction {
    var table: Shared<[Double]>
    func callAsFunction(_ index: Int) -> Double { table.value[index] }
}

/// One entry of a table carried as a plain property.
struct PlainEntry: RemoteFunction {
    var table: [Double]
    func callAsFunction(_ index: Int) -> Double { table[index] }
}
