import Foundation
import SwiftPool
import Synchronization

enum FutureScenarios {
    /// submit + result, timeouts, cancel, state flags, error(), wait, asCompleted and await.
    static func futures(_ pool: MPIPoolExecutor) async throws {
        let quick = try pool.submit(Square(), 7)
        Report.fact("future.result", try await quick.value)
        Report.fact("future.doneAfterResult", quick.isDone)

        // Occupy every worker slot so later tasks stay queued.
        let blockers = try (0..<(pool.maxWorkers * 2)).map { _ in try pool.submit(SleepThenEcho(seconds: 0.6), 0) }
        let queued = try pool.submit(Square(), 5)
        let cancelledNow = queued.cancel()
        Report.fact("future.cancelQueued", cancelledNow)
        Report.fact("future.isCancelled", queued.isCancelled)
        Report.fact("future.cancelledResult", Report.failure(await errorOf { try await queued.value }))
        try await Task.sleep(for: .milliseconds(100))
        Report.fact("future.blockerRunning", blockers[0].isRunning)
        Report.fact("future.cancelRunning", blockers[0].cancel())
        let timedOut = await blocking { Report.outcome { try blockers[0].result(timeout: .milliseconds(50)) } }
        Report.fact("future.resultTimeout", timedOut)
        for blocker in blockers { _ = try await blocker.value }

        let failing = try pool.submit(FailOn(failing: [1]), 1)
        Report.fact("future.errorMethod", await blocking { (try? failing.error()).flatMap { $0.map { "\($0)" } } })
        let succeeding = try pool.submit(Square(), 2)
        Report.fact(
            "future.errorNil",
            await blocking { () -> String in
                do { return try succeeding.error().map { "error: \($0)" } ?? "nil" } catch { return "threw: \(error)" }
            })

        // wait(): first completed, first exception, all completed, and a timeout that is no error.
        // Submitted in the order that gives the same answer with one worker or several.
        let fast = try pool.submit(SleepThenEcho(seconds: 0.01), 2)
        let slow = try pool.submit(SleepThenEcho(seconds: 0.5), 1)
        let first = await blocking { wait([slow, fast], returnWhen: .firstCompleted) }
        Report.fact("wait.firstCompleted", first.done.map { $0 === fast })
        let allDone = await blocking { wait([slow, fast], timeout: .seconds(10)) }
        Report.fact("wait.allCompleted", [allDone.done.count, allDone.notDone.count])
        let broken = try pool.submit(FailOn(failing: [4]), 4)
        let sleeper = try pool.submit(SleepThenEcho(seconds: 0.5), 3)
        let exception = await blocking { wait([sleeper, broken], returnWhen: .firstException) }
        Report.fact("wait.firstException", [exception.done.contains(broken), exception.notDone.contains(sleeper)])
        let timed = await blocking { wait([sleeper], timeout: .milliseconds(10)) }
        Report.fact("wait.timeout", [timed.done.count, timed.notDone.count])
        _ = try await sleeper.value

        // asCompleted: in finishing order, then a timeout. A fresh pool, so nothing earlier
        // shapes how tasks are spread.
        let fresh = try MPIPoolExecutor()
        let order = try [0.3, 0.05, 0.15].enumerated().map { index, seconds in
            try fresh.submit(SleepThenEcho(seconds: seconds), index)
        }
        var finished: [Int] = []
        for try await future in asCompleted(order) { finished.append(try await future.value) }
        Report.fact("asCompleted.order", finished)
        await fresh.shutdown()
        let never = try pool.submit(SleepThenEcho(seconds: 0.5), 9)
        var asCompletedTimeout: Report.Outcome?
        do {
            for try await _ in asCompleted([never], timeout: .milliseconds(50)) {}
        } catch {
            asCompletedTimeout = Report.failure(error)
        }
        Report.fact("asCompleted.timeout", asCompletedTimeout)
        _ = try await never.value
    }

    /// Done callbacks: each fires exactly once, at once when already done, and a throwing one does
    /// not stop the others. The pool's end waits for them.
    static func callbacks() throws {
        let calls = Mutex<[String]>([])
        try MPIPoolExecutor.run { pool in
            let future = try pool.submit(SleepThenEcho(seconds: 0.2), 11)
            future.addDoneCallback { _ in calls.withLock { $0.append("first") } }
            future.addDoneCallback { _ in throw ItemError(item: -1) }
            future.addDoneCallback { f in
                let value = try f.result()
                calls.withLock { $0.append("third:\(value)") }
            }
            Report.fact("callbacks.beforeDone", calls.withLock { $0 })
            _ = try future.result()
            let late = Mutex(false)
            future.addDoneCallback { _ in late.withLock { $0 = true } }
            Report.fact("callbacks.lateRanAtOnce", late.withLock { $0 })
        }
        Report.fact("callbacks.all", calls.withLock { $0 })
    }

    /// 10,000 submitted tasks, each resolving exactly once, with the right value.
    static func manyTasks(_ pool: MPIPoolExecutor) throws {
        let count = 10_000
        let resolutions = Mutex([Int](repeating: 0, count: count))
        let futures = try (0..<count).map { index in
            let future = try pool.submit(Square(), index)
            future.addDoneCallback { _ in resolutions.withLock { $0[index] += 1 } }
            return future
        }
        var wrong = 0
        for (index, future) in futures.enumerated() {
            if try future.result() != index * index { wrong += 1 }
        }
        pool.shutdown(wait: true)
        let counts = resolutions.withLock { $0 }
        Report.fact("many.count", futures.count)
        Report.fact("many.wrongValues", wrong)
        Report.fact("many.resolvedOnce", counts.filter { $0 == 1 }.count)
        Report.fact("many.resolvedOther", counts.filter { $0 != 1 }.count)
    }

    /// Runs blocking calls (result, error, wait) on a thread of their own, as async code must.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    static func errorOf(_ body: () async throws -> some Any) async -> any Error {
        do {
            _ = try await body()
            return PoolError(.invalidArgument, "expected an error")
        } catch {
            return error
        }
    }
}
