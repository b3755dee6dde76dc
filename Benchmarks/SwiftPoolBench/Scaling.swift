import ArgumentParser
import SwiftPool

/// Fixed CPU-bound tasks on however many workers the job has: parallel efficiency.
struct Scaling: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Parallel efficiency for busy tasks.")

    @Option(help: "Tasks to run.") var tasks = 480
    @Option(help: "Busy milliseconds per task.") var milliseconds = 5.0
    @Option(help: "The figures' name: another workload's figures stay apart.") var name = "scaling"

    func run() throws {
        try MPIPoolExecutor.run { pool in
            let workers = pool.maxWorkers
            let clock = ContinuousClock()
            let start = clock.now
            let done = try pool.map(Busy(), Array(repeating: milliseconds, count: tasks))
            let elapsed = elapsedSeconds(clock.now - start)
            precondition(done.count == tasks)
            let ideal = Double(tasks) * milliseconds / 1000 / Double(workers)
            figure("\(name).\(workers)workers.seconds", elapsed, "s")
            figure("\(name).\(workers)workers.efficiency", ideal / elapsed, "ratio")
        }
    }
}

/// Keeps a core busy for the given number of milliseconds.
struct Busy: RemoteFunction {
    func callAsFunction(_ milliseconds: Double) -> Double {
        let end = ContinuousClock.now + .microseconds(Int(milliseconds * 1000))
        var spins = 0.0
        while ContinuousClock.now < end { spins += 1 }
        return spins > 0 ? milliseconds : 0
    }
}
