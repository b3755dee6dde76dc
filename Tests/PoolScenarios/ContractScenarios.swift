import Foundation
import SwiftPool
import Synchronization

/// The rest of the peers' contract: `bootup()`, `workerCount`, `SWIFTPOOL_WORKERS`, timeouts on
/// every wait, tasks that return nothing, and work submitted while the program exits.
enum ContractScenarios {
    /// `bootup`: bootup runs the initializer on every worker before any task; again, at once; a
    /// failing initializer throws from bootup; workerCount follows a death and a shutdown.
    static func bootup() async throws {
        let marker = NSTemporaryDirectory() + "swiftpool-bootup-\(getpid())-\(UUID().uuidString)"
        defer { unlink(marker) }
        let pool = try MPIPoolExecutor(initializer: AppendProcess(path: marker))
        var start = ContinuousClock.now
        try await pool.bootup()
        Report.fact("bootup.seconds", secondsSince(start))
        let lines = (try? String(contentsOfFile: marker, encoding: .utf8))?.split(separator: "\n") ?? []
        Report.fact("bootup.initializedProcesses", Set(lines).count)
        Report.fact("bootup.maxWorkers", pool.maxWorkers)
        Report.fact("bootup.workerCount", pool.workerCount)
        start = ContinuousClock.now
        try await pool.bootup()
        Report.fact("bootup.againSeconds", secondsSince(start))
        // A death: the count drops while the replacement starts, and comes back.
        let victim = try await pool.submit(Identify(seconds: 0), 0).value.processID
        kill(victim, SIGKILL)
        var lowest = pool.workerCount
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            lowest = min(lowest, pool.workerCount)
            if lowest < pool.maxWorkers && pool.workerCount == pool.maxWorkers { break }
            usleep(200)
        }
        Report.fact("bootup.lowestAfterDeath", lowest)
        Report.fact("bootup.countAfterReplacement", pool.workerCount)
        await pool.shutdown()
        Report.fact("bootup.countAfterShutdown", pool.workerCount)
        Report.fact("bootup.afterShutdown", Report.outcome { try pool.bootup() })

        let broken = try MPIPoolExecutor(initializer: RefusingInitializer())
        Report.fact("bootup.failing", await Report.asyncOutcome { try await broken.bootup() })
        Report.fact("bootup.brokenCount", broken.workerCount)
        await broken.shutdown()
    }

    /// `workers-setting`: the pool's size under `SWIFTPOOL_WORKERS` (set by the test), and the
    /// processes serving it.
    static func workersSetting() throws {
        let outcome = Report.outcome {
            try MPIPoolExecutor.run { pool in
                Report.fact("setting.maxWorkers", pool.maxWorkers)
                let seen = try pool.map(Identify(seconds: 0.01), Array(0..<40), chunkSize: 1)
                Report.fact("setting.processes", Set(seen.map(\.processID)).count)
                let wider = try MPIPoolExecutor(maxWorkers: 4)
                Report.fact("setting.explicitMaxWorkers", wider.maxWorkers)
                wider.shutdown()
                // CPython's and mpi4py's test_max_workers_negative, and the limits' own.
                let refusals = [
                    Report.outcome { try MPIPoolExecutor(maxWorkers: 0) },
                    Report.outcome { try MPIPoolExecutor(maxWorkers: -1) },
                    Report.outcome { try MPIPoolExecutor(maxTasksPerWorker: 0) },
                    Report.outcome { try MPIPoolExecutor(workerMemoryLimit: 0) },
                ]
                Report.fact("setting.refusals", refusals.map { $0.poolCode ?? "accepted" })
            }
        }
        Report.fact("setting.outcome", outcome)
    }

    /// `timeouts`: a streaming map and an as-completed wait past their timeouts say how many were
    /// unfinished; the map's too.
    static func timeouts() async throws {
        try await MPIPoolExecutor.run { pool in
            let start = ContinuousClock.now
            var received: [Int] = []
            let stream = pool.mapStream(
                SleepThenEcho(seconds: 0.2), Array(0..<20), chunkSize: 1, timeout: .seconds(0.7))
            let outcome = await Report.asyncOutcome {
                for try await value in stream { received.append(value) }
            }
            Report.fact("timeouts.streamSeconds", secondsSince(start))
            Report.fact("timeouts.streamReceived", received.count)
            Report.fact("timeouts.stream", outcome)
            let ordered = pool.mapStream(
                SleepThenEcho(seconds: 0.2), Array(0..<20), chunkSize: 1, ordered: true, timeout: .seconds(0.7))
            var inOrder: [Int] = []
            Report.fact(
                "timeouts.ordered",
                await Report.asyncOutcome { for try await value in ordered { inOrder.append(value) } })
            Report.fact("timeouts.orderedPrefix", inOrder == Array(0..<inOrder.count) && !inOrder.isEmpty)
            let futures = try [0.0, 0.0, 5.0, 5.0].map { try pool.submit(SleepThenEcho(seconds: $0), 1) }
            Report.fact(
                "timeouts.asCompleted",
                await Report.asyncOutcome {
                    for try await _ in asCompleted(futures, timeout: .seconds(1)) {}
                })
            for future in futures { future.cancel() }
            // CPython's test_20369 and test_duplicate_futures: a future named twice counts once.
            let once = try pool.submit(SleepThenEcho(seconds: 0), 5)
            var yielded = 0
            for try await _ in asCompleted([once, once, once]) { yielded += 1 }
            Report.fact("timeouts.duplicatesYielded", yielded)
            Report.fact("timeouts.duplicatesDone", await waitedTwice(once))
            Report.fact(
                "timeouts.map",
                Report.outcome {
                    try pool.map(SleepThenEcho(seconds: 0.3), Array(0..<8), chunkSize: 1, timeout: .seconds(0.5))
                })
        }
    }

    /// `wait` on one future named twice, off the async context (it blocks its thread).
    private static func waitedTwice(_ future: Future<Int>) async -> Int {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: wait([future, future], returnWhen: .allCompleted).done.count)
            }
        }
    }

    /// `actions`: tasks and an initializer that return nothing, submitted, mapped, awaited.
    static func actions() async throws {
        let folder = NSTemporaryDirectory() + "swiftpool-actions-\(getpid())-\(UUID().uuidString)"
        mkdir(folder, 0o700)
        defer {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                unlink(folder + "/" + name)
            }
            rmdir(folder)
        }
        try await MPIPoolExecutor.run(initializer: TouchFile(path: folder + "/initialized")) { pool in
            let submitted: NoOutput = try await pool.submit(WriteFile(folder: folder), 1).value
            Report.fact("actions.submitted", submitted == NoOutput())
            let mapped = try await pool.map(WriteFile(folder: folder), Array(2...10))
            Report.fact("actions.mapped", mapped.count)
            _ = try await pool.submit(TouchFile(path: folder + "/argumentless")).value
            Report.fact(
                "actions.failing", await Report.asyncOutcome { try await pool.submit(FailingAction(), 3).value })
            let names = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            Report.fact("actions.files", names.sorted())
        }
    }

    /// `submit-at-exit`: an `atexit` handler registered before the pool starts submits a task as
    /// the program exits: refused, with a message saying so.
    static func submitAtExit() throws {
        atexit {
            guard let pool = ContractScenarios.exitPool.withLock({ $0 }) else { return }
            Report.fact("exit.outcome", Report.outcome { try pool.submit(Square(), 2) })
            fflush(nil)
        }
        let pool = try MPIPoolExecutor()
        exitPool.withLock { $0 = pool }
        Report.fact("exit.before", try pool.submit(Square(), 3).result())
    }

    static let exitPool = Mutex<MPIPoolExecutor?>(nil)
}

/// An initializer that appends its process id to a file.
struct AppendProcess: ArgumentlessRemoteAction {
    var path: String
    func callAsFunction() throws {
        let handle = fopen(path, "a")
        defer { if let handle { fclose(handle) } }
        fputs("\(getpid())\n", handle)
    }
}

/// An initializer that fails.
struct RefusingInitializer: ArgumentlessRemoteAction {
    struct Refused: Error {}
    func callAsFunction() throws { throw Refused() }
}

/// Creates an empty file; returns nothing.
struct TouchFile: ArgumentlessRemoteAction {
    var path: String
    func callAsFunction() { close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)) }
}

/// Writes a file named after its argument, asynchronously; returns nothing.
struct WriteFile: RemoteAction {
    var folder: String
    func callAsFunction(_ item: Int) async throws {
        try await Task.sleep(for: .milliseconds(1))
        try "\(item)".write(toFile: "\(folder)/item-\(item)", atomically: true, encoding: .utf8)
    }
}

/// An action that throws.
struct FailingAction: RemoteAction {
    struct Refused: Error {}
    func callAsFunction(_ item: Int) throws { throw Refused() }
}
