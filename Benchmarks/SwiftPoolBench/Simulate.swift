import ArgumentParser
import CLinux
import Foundation
@_spi(Simulation) import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

/// Rank 0 at worker counts no machine here holds: the real scheduler and the public API over
/// simulated workers (timers, no processes), each answering a task `--task-micros` after it could
/// start it. Prints one JSON line:
/// `{"workers":N,"tasks":T,"tasks_per_second":…,"rank0_cpu_seconds_per_task":…,"rank0_bytes_per_worker":…}`
///
/// - tasks_per_second: a `map` of T items, one task each, from its call to its last result.
/// - rank0_cpu_seconds_per_task: the process's CPU time over that map, less the time spent
///   building the simulated workers' answers, per task.
/// - rank0_bytes_per_worker: heap in use (glibc's `mallinfo2`, every thread on one arena) once
///   every worker has run a task, less the heap before the simulation started, per worker.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The scheduler over N simulated workers: task rate, rank 0's CPU per task and bytes per worker.")

    @Option(help: "Simulated workers.") var workers = 10_000
    @Option(help: "Tasks in the timed map.") var tasks = 200_000
    @Option(help: "Simulated work per task, in microseconds.") var taskMicros = 1000
    @Option(help: "Workers to kill in the middle of the map (their tasks run again).") var kill = 0

    func validate() throws {
        guard workers > 0, tasks > 0, taskMicros >= 0, kill >= 0 else {
            throw ValidationError("--workers and --tasks must be positive; --task-micros and --kill not negative")
        }
    }

    func run() throws {
        clinux_use_one_heap()
        let heapBefore = Int(clinux_heap_in_use())
        let simulation = try PoolSimulation.start(workers: workers, taskMicroseconds: taskMicros)
        var bytesPerWorker = 0.0
        var rate = 0.0
        var cpuPerTask = 0.0
        try MPIPoolExecutor.run { pool in
            // Every worker takes a task first, so each holds what a working worker holds.
            let warmUp = try (0..<workers).map { try pool.submit(Increment(), $0) }
            for (index, future) in warmUp.enumerated() where try future.result() != index + 1 {
                throw ValidationError("a warm-up task returned a wrong result")
            }
            bytesPerWorker = Double(Int(clinux_heap_in_use()) - heapBefore) / Double(workers)

            let items = Array(0..<tasks)
            let cpuBefore = processCPUSeconds() - simulation.workerCPUSeconds
            let clock = ContinuousClock()
            let start = clock.now
            if kill > 0 {
                // Halfway through the map, as long as the map would take on idle workers.
                let halfway = Double(tasks) * Double(taskMicros) / 1e6 / Double(workers) / 2
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: halfway)
                    simulation.kill(workers: kill)
                }
            }
            let results = try pool.map(Increment(), items, chunkSize: 1)
            let seconds = elapsedSeconds(clock.now - start)
            let cpu = processCPUSeconds() - simulation.workerCPUSeconds - cpuBefore
            guard results == items.map({ $0 + 1 }) else { throw ValidationError("the map returned wrong results") }
            rate = Double(tasks) / seconds
            cpuPerTask = cpu / Double(tasks)
        }
        print(
            "{\"workers\":\(workers),\"tasks\":\(tasks),\"tasks_per_second\":\(Int(rate.rounded())),"
                + "\"rank0_cpu_seconds_per_task\":\(cpuPerTask),\"rank0_bytes_per_worker\":\(Int(bytesPerWorker.rounded()))}"
        )
    }
}
