import Dispatch
import Foundation
import SwiftPool
import Synchronization

enum LifecycleScenarios {
    /// After shutdown, submit and map are refused; shutting down again is harmless.
    static func submitAfterShutdown() throws {
        let pool = try MPIPoolExecutor()
        Report.fact("shutdown.before", try pool.submit(Square(), 3).result())
        pool.shutdown()
        pool.shutdown()
        Report.fact("shutdown.submit", Report.outcome { try pool.submit(Square(), 3) })
        Report.fact("shutdown.map", Report.outcome { try pool.map(Square(), [1]) })
    }

    /// shutdown(cancelFutures: true) cancels what has not started and wakes whoever waits on it;
    /// what runs finishes.
    static func cancelAtShutdown() throws {
        let pool = try MPIPoolExecutor()
        let first = try (0..<(pool.maxWorkers * 2)).map { _ in try pool.submit(SleepThenEcho(seconds: 0.5), 1) }
        let queued = try (0..<20).map { try pool.submit(SleepThenEcho(seconds: 0.5), $0) }
        let waiterOutcome = Mutex<Report.Outcome?>(nil)
        let waiterDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let outcome = Report.outcome { try queued[19].result() }
            waiterOutcome.withLock { $0 = outcome }
            waiterDone.signal()
        }
        Thread.sleep(forTimeInterval: 0.1)
        let wasRunning = first.map(\.isRunning)
        let start = ContinuousClock.now
        pool.shutdown(wait: true, cancelFutures: true)
        Report.fact("cancel.shutdownSeconds", secondsSince(start))
        Report.fact("cancel.waiterWoken", waiterDone.wait(timeout: .now() + 5) == .success)
        Report.fact("cancel.waiterOutcome", waiterOutcome.withLock { $0 })
        Report.fact("cancel.runningBeforeShutdown", wasRunning.filter { $0 }.count)
        // What ran finished normally; what had not started was cancelled.
        Report.fact(
            "cancel.consistent",
            zip(first, wasRunning).allSatisfy { future, running in
                future.isDone && (running ? !future.isCancelled : future.isCancelled)
            })
        Report.fact("cancel.queuedCancelled", queued.filter(\.isCancelled).count)
        Report.fact("cancel.queuedDone", queued.filter(\.isDone).count)
    }

    /// Pools one after another and at once share the workers; maxWorkers limits a pool.
    static func severalPools() throws {
        for round in 0..<3 {
            try MPIPoolExecutor.run { pool in
                Report.fact("pools.sequential\(round)", try pool.map(Square(), [round, round + 1]))
            }
        }
        let first = try MPIPoolExecutor()
        let second = try MPIPoolExecutor(maxWorkers: 1)
        let results = Mutex<[String: [Int]]>([:])
        let group = DispatchGroup()
        for (name, pool) in [("first", first), ("second", second)] {
            DispatchQueue.global().async(group: group) {
                let squares = (try? pool.map(Square(), Array(0..<200), chunkSize: 7)) ?? []
                results.withLock { $0[name] = squares }
            }
        }
        group.wait()
        Report.fact("pools.concurrent", results.withLock { $0 }.mapValues { $0 == (0..<200).map { $0 * $0 } })
        let placed = try second.map(SleepAndPlace(seconds: 0.01), Array(0..<10), chunkSize: 1)
        Report.fact("pools.limitedRanks", Set(placed.map(\.placement.rank)).sorted())
        Report.fact("pools.limitedWorkers", second.maxWorkers)
        first.shutdown()
        second.shutdown()
    }

    /// A 100 MB argument goes to a worker and comes back intact.
    static func bigArgument(_ pool: MPIPoolExecutor) throws {
        let count = 100_000_000 / 8
        let values = (0..<count).map { Double($0) * 0.5 }
        let start = ContinuousClock.now
        let echoed = try pool.submit(EchoArray(), values).result()
        Report.fact("big.seconds", secondsSince(start))
        Report.fact("big.bytes", echoed.count * 8)
        Report.fact("big.identical", echoed == values)
        Report.fact("big.remoteSum", try pool.submit(SumArray(), values).result() == values.reduce(0, +))
        // A large argument whose task fails before reading it is dropped, and the next one works.
        let unread = try pool.submit(UndecodableSum(), Array(values.prefix(1 << 20)))
        Report.fact("big.unreadOutcome", Report.outcome { try unread.result() })
        Report.fact(
            "big.afterUnread",
            try pool.submit(SumArray(), Array(values.prefix(1 << 20))).result() == values.prefix(1 << 20).reduce(0, +))
    }

    /// A function with no argument, and where it ran.
    static func noArgument(_ pool: MPIPoolExecutor) throws {
        let placement = try pool.submit(WhereAmI()).result()
        Report.fact("noarg.rank", placement.rank)
        Report.fact("noarg.hostMatches", placement.host == PoolProcess.hostName)
    }

    /// CPU used by every process while a pool sits idle.
    static func idleCPU(_ pool: MPIPoolExecutor, seconds: Double) throws {
        func sample() throws -> [Int: Double] {
            let placed = try pool.map(CPUAndRank(), Array(0..<(pool.maxWorkers * 4)), chunkSize: 1)
            var latest: [Int: Double] = [:]
            for entry in placed { latest[entry.rank] = max(latest[entry.rank] ?? 0, entry.cpuSeconds) }
            latest[0] = processCPUSeconds()
            return latest
        }
        let before = try sample()
        let start = ContinuousClock.now
        Thread.sleep(forTimeInterval: seconds)
        let elapsed = secondsSince(start)
        let after = try sample()
        var percent: [String: Double] = [:]
        for (rank, cpu) in after {
            guard let earlier = before[rank] else { continue }
            percent["\(rank)"] = (cpu - earlier) / elapsed * 100
        }
        Report.fact("idle.percentByRank", percent)
    }
}

/// The rank a task ran on and its process's CPU seconds so far; it spends 20 ms asleep so
/// that a map of several spreads over every worker.
struct CPUAndRank: RemoteFunction {
    struct Sample: Codable, Sendable {
        var rank: Int
        var cpuSeconds: Double
    }

    func callAsFunction(_ item: Int) -> Sample {
        Thread.sleep(forTimeInterval: 0.02)
        return Sample(rank: PoolProcess.rank ?? -1, cpuSeconds: processCPUSeconds())
    }
}
