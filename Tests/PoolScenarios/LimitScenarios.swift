import Foundation
import SwiftPool
import Synchronization

/// Worker limits: `maxTasksPerWorker`, `workerMemoryLimit` and `terminate()`, on whatever
/// launched the scenario.
enum LimitScenarios {
    /// `max-tasks`: a pool with `maxTasksPerWorker: 5` maps 12 items per worker, submits as many
    /// again one by one, and shares its workers with a pool limited to 3; no process runs more
    /// than its pools' limits, nothing fails, and the pool keeps its size. A pool with no limit
    /// finds the workers before and after.
    static func maxTasks() throws {
        let finder = try MPIPoolExecutor()
        let before = try FaultScenarios.workers(finder)
        Report.fact("maxtasks.workersBefore", before.count)
        let limited = try MPIPoolExecutor(maxTasksPerWorker: 5)
        let items = Array(0..<(12 * before.count))
        let mapped = try limited.map(Identify(seconds: 0.002), items)
        let submitted = try items.map { try limited.submit(Identify(seconds: 0.002), $0) }.map { try $0.result() }
        // Two pools at once, each counting its own items on the workers they share.
        let other = try MPIPoolExecutor(maxTasksPerWorker: 3)
        let fromFive = try items.map { try limited.submit(Identify(seconds: 0.002), $0) }
        let fromThree = try items.map { try other.submit(Identify(seconds: 0.002), $0) }
        let sharedFive = try fromFive.map { try $0.result() }
        let sharedThree = try fromThree.map { try $0.result() }
        let most = { (seen: [WorkerIdentity]) in Dictionary(grouping: seen, by: \.processID).values.map(\.count).max() }
        Report.fact("maxtasks.mapCount", mapped.count)
        Report.fact("maxtasks.mapMostPerProcess", most(mapped) ?? 0)
        Report.fact("maxtasks.submitMostPerProcess", most(submitted) ?? 0)
        Report.fact("maxtasks.sharedMostOfFive", most(sharedFive) ?? 0)
        Report.fact("maxtasks.sharedMostOfThree", most(sharedThree) ?? 0)
        Report.fact("maxtasks.processes", Set((mapped + submitted).map(\.processID)).count)
        limited.shutdown()
        other.shutdown()
        let after = try FaultScenarios.workers(finder)
        Report.fact("maxtasks.workersAfter", after.count)
        Report.fact("maxtasks.allAlive", after.allSatisfy { kill($0.processID, 0) == 0 })
        FaultScenarios.reportProcesses(before + after + mapped + submitted + sharedFive, as: "maxtasks.processes.all")
        finder.shutdown()
    }

    /// `cpython-max-tasks`: CPython's `test_max_tasks_per_child`: one worker, a limit of 3: the
    /// first three tasks run in one process, the fourth in another; and its
    /// `test_max_tasks_early_shutdown`: three workers, a limit of 1, ten tasks, shut down at once
    /// with wait: every result is there.
    static func cpythonMaxTasks() throws {
        let pool = try MPIPoolExecutor(maxWorkers: 1, maxTasksPerWorker: 3)
        let first = try (0..<3).map { try pool.submit(Identify(seconds: 0), $0) }.map { try $0.result().processID }
        let fourth = try pool.submit(Identify(seconds: 0), 3).result().processID
        pool.shutdown()
        Report.fact("cpython.firstThreeOneProcess", Set(first).count == 1)
        Report.fact("cpython.fourthElsewhere", !first.contains(fourth))
        let early = try MPIPoolExecutor(maxWorkers: 3, maxTasksPerWorker: 1)
        let futures = try (0..<10).map { try early.submit(Square(), $0) }
        early.shutdown(wait: true)
        Report.fact("cpython.earlyShutdown", futures.map { try? $0.result() } == (0..<10).map { $0 * $0 })
    }

    /// `memory-limit`: `workerMemoryLimit: 300 MB`, `maxRetries: 0`: a task that touches 900 MB
    /// fails naming the limit, while a 50 MB task beside it succeeds; the pool keeps its size.
    static func memoryLimit() throws {
        let finder = try MPIPoolExecutor()
        let before = try FaultScenarios.workers(finder)
        Report.fact("memory.workersBefore", before.count)
        try MPIPoolExecutor.run(maxRetries: 0, workerMemoryLimit: 300_000_000) { pool in
            let start = Date()
            let large = try pool.submit(Touch(megabytes: 900, holdSeconds: 2), 0)
            let small = try pool.submit(Touch(megabytes: 50, holdSeconds: 0.5), 0)
            Report.fact("memory.large", Report.outcome { try large.result() })
            Report.fact("memory.largeSeconds", Date().timeIntervalSince(start))
            Report.fact("memory.small", Report.outcome { try small.result() })
            Report.fact("memory.after", try pool.map(Square(), Array(0..<20), chunkSize: 1) == (0..<20).map { $0 * $0 })
        }
        let after = try FaultScenarios.workers(finder)
        Report.fact("memory.workersAfter", after.count)
        FaultScenarios.reportProcesses(before + after, as: "memory.processes")
        finder.shutdown()
    }

    /// `memory-idle`: a limit of 1 MB, which every worker passes before its first task: the
    /// workers are not replaced, rank 0 says so once, and the task fails as the pool breaks.
    static func memoryIdle() throws {
        try MPIPoolExecutor.run(workerMemoryLimit: 1_000_000) { pool in
            // Time for the parents to read the idle workers' sizes (every 20 ms).
            Thread.sleep(forTimeInterval: 0.5)
            Report.fact("idle.outcome", Report.outcome { try pool.submit(Square(), 3).result() })
        }
    }

    /// `terminate [async]`: a pool of one worker runs a task that never ends, with another queued;
    /// `terminate()` fails both, a later submit throws, and a second pool maps on every worker.
    static func terminate(async: Bool) throws {
        let finder = try MPIPoolExecutor()
        let before = try FaultScenarios.workers(finder)
        Report.fact("terminate.workersBefore", before.count)
        let pool = try MPIPoolExecutor(maxWorkers: 1)
        let marker = NSTemporaryDirectory() + "swiftpool-terminate-\(getpid())-\(UUID().uuidString)"
        defer { unlink(marker) }
        let running = try pool.submit(SayProcessThenRunForever(marker: marker), 0)
        let queued = try pool.submit(Square(), 7)
        while access(marker, F_OK) != 0 { Thread.sleep(forTimeInterval: 0.01) }
        let runner = Int32((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "") ?? 0
        let start = Date()
        if async {
            let done = DispatchSemaphore(value: 0)
            Task {
                await pool.terminate()
                done.signal()
            }
            done.wait()
        } else {
            pool.terminate()
        }
        Report.fact("terminate.seconds", Date().timeIntervalSince(start))
        // CPython's test_force_shutdown_workers: the process that ran the task is gone.
        let deadline = Date().addingTimeInterval(2)
        while runner > 0 && kill(runner, 0) == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        Report.fact("terminate.runnerGone", runner > 0 && kill(runner, 0) != 0)
        Report.fact("terminate.running", Report.outcome { try running.result() })
        Report.fact("terminate.queued", Report.outcome { try queued.result() })
        Report.fact("terminate.queuedCancelled", queued.isCancelled)
        Report.fact("terminate.submitAfter", Report.outcome { try pool.submit(Square(), 1) })
        pool.terminate()
        // CPython 3.14's test_force_shutdown_workers_not_started_yet and _dead_workers: terminate()
        // on a pool with no task running ends nothing; after a worker died, it raises nothing.
        let idle = try MPIPoolExecutor()
        idle.terminate()
        let dying = try MPIPoolExecutor(maxWorkers: 1, maxRetries: 0)
        Report.fact(
            "terminate.deadWorker", Report.outcome { try dying.submit(Deadly(deadly: [0], how: .exit3), 0).result() })
        dying.terminate()
        let second = try MPIPoolExecutor()
        let placed = try second.map(Identify(seconds: 0.02), Array(0..<(before.count * 8)), chunkSize: 1)
        Report.fact("terminate.secondPoolWorkers", Set(placed.map(\.processID)).count)
        FaultScenarios.reportProcesses(before + placed, as: "terminate.processes")
        second.shutdown()
        finder.shutdown()
    }
}

/// Writes its process id to `marker`, then never ends.
struct SayProcessThenRunForever: RemoteFunction {
    var marker: String
    func callAsFunction(_ item: Int) -> Int {
        let temporary = marker + ".partial"
        try? "\(getpid())".write(toFile: temporary, atomically: false, encoding: .utf8)
        rename(temporary, marker)
        while true { sleep(1) }
    }
}

/// Touches `megabytes` of fresh memory, holds it for `holdSeconds`, and says how much it touched.
struct Touch: RemoteFunction {
    var megabytes: Int
    var holdSeconds: Double
    func callAsFunction(_ item: Int) -> Int {
        let bytes = megabytes * 1_000_000
        guard let block = malloc(bytes) else { return 0 }
        defer { free(block) }
        memset(block, 1, bytes)
        Thread.sleep(forTimeInterval: holdSeconds)
        return megabytes
    }
}
