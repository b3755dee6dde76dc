import Foundation
import SwiftPool
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a watcher saw of a tracker while its tasks ran (the tests decode this type).
public struct ProgressSeen: Codable, Sendable {
    /// Snapshots taken.
    public var samples = 0
    /// Whether one showed a task running.
    public var sawRunning = false
    /// Whether one showed some, not all, of the total finished.
    public var sawPartial = false
    /// Whether one had an estimate of the time left.
    public var sawEstimate = false
    /// Whether `done` never decreased from one snapshot to the next.
    public var doneNeverWentBack = true
    /// Whether the counts never added up to more than the total.
    public var countsAlwaysAddUp = true
    /// The counts once the tasks were over.
    public var final = FinalCounts()
}

/// A tracker's counts at the end (the tests decode this type).
public struct FinalCounts: Codable, Sendable {
    /// Finished with a value.
    public var done = 0
    /// Finished with an error.
    public var failed = 0
    /// Still running.
    public var running = 0
    /// Still queued.
    public var queued = 0
    /// Cancelled before they ran.
    public var cancelled = 0
    /// The total, when known.
    public var total: Int?
    /// Whether the tracker finished.
    public var isFinished = false
    /// The share done, when the total is known.
    public var fraction: Double?
    /// The one-line description.
    public var line = ""
}

enum ProgressScenarios {
    /// `progress`: trackers on a map, a batch of submits (one failing), cancelled submits and a
    /// streaming map, each watched from another thread while it runs.
    static func run() throws {
        try MPIPoolExecutor.run { pool in
            let mapped = TaskProgress()
            let mapSeen = try watching(mapped) {
                _ = try pool.map(SleepThenEcho(seconds: 0.004), Array(0..<400), progress: mapped)
            }
            Report.fact("progress.map", mapSeen)

            let batch = TaskProgress(total: 60)
            let batchSeen = try watching(batch) {
                let futures = try (0..<60).map { try pool.submit(SlowFailOn(failing: [7]), $0, progress: batch) }
                for future in futures { _ = try? future.result() }
            }
            Report.fact("progress.batch", batchSeen)

            let cancelled = TaskProgress()
            let slow = try (0..<(pool.maxWorkers + 10)).map {
                try pool.submit(SleepThenEcho(seconds: 0.2), $0, progress: cancelled)
            }
            usleep(50_000)
            let cancelledCount = slow.filter { $0.cancel() }.count
            for future in slow { _ = try? future.result() }
            cancelled.finish()
            Report.fact("progress.cancelledCount", cancelledCount)
            Report.fact("progress.cancelled", finalCounts(cancelled))
        }
        try MPIPoolExecutor.run { pool in
            let streamed = TaskProgress()
            let seen = try watching(streamed) {
                let stream = pool.mapStream(SleepThenEcho(seconds: 0.002), 0..<300, progress: streamed)
                let semaphore = DispatchSemaphore(value: 0)
                let count = Mutex(0)
                Task {
                    for try await _ in stream { count.withLock { $0 += 1 } }
                    semaphore.signal()
                }
                semaphore.wait()
                Report.fact("progress.streamCount", count.withLock { $0 })
            }
            Report.fact("progress.stream", seen)
        }
    }

    /// `progress-bar`: a map with the bar on; what reaches the terminal is the test's to read.
    static func bar() throws {
        try MPIPoolExecutor.run { pool in
            let start = ContinuousClock.now
            _ = try pool.map(SleepThenEcho(seconds: 0.005), Array(0..<300), progress: .bar)
            Report.fact("bar.seconds", secondsSince(start))
        }
    }

    /// Runs `body` while another thread samples `progress` every 5 ms.
    private static func watching(_ progress: TaskProgress, _ body: () throws -> Void) throws -> ProgressSeen {
        let seen = Mutex(ProgressSeen())
        let stop = Atomic<Bool>(false)
        let watcher = Thread {
            var lastDone = 0
            while !stop.load(ordering: .relaxed) {
                let snapshot = progress.snapshot
                seen.withLock { seen in
                    seen.samples += 1
                    if snapshot.running > 0 { seen.sawRunning = true }
                    let settled = snapshot.done + snapshot.failed
                    if let total = snapshot.total, settled > 0, settled < total { seen.sawPartial = true }
                    if snapshot.estimatedTimeLeft != nil { seen.sawEstimate = true }
                    if snapshot.done < lastDone { seen.doneNeverWentBack = false }
                    if let total = snapshot.total,
                        snapshot.done + snapshot.failed + snapshot.running + snapshot.queued + snapshot.cancelled
                            > total
                    {
                        seen.countsAlwaysAddUp = false
                    }
                }
                lastDone = snapshot.done
                usleep(5000)
            }
        }
        watcher.start()
        defer { stop.store(true, ordering: .relaxed) }
        try body()
        stop.store(true, ordering: .relaxed)
        usleep(20_000)
        return seen.withLock { seen in
            var result = seen
            result.final = finalCounts(progress)
            return result
        }
    }

    private static func finalCounts(_ progress: TaskProgress) -> FinalCounts {
        let snapshot = progress.snapshot
        return FinalCounts(
            done: snapshot.done, failed: snapshot.failed, running: snapshot.running, queued: snapshot.queued,
            cancelled: snapshot.cancelled, total: snapshot.total, isFinished: snapshot.isFinished,
            fraction: snapshot.fractionDone, line: snapshot.description)
    }
}

/// Like ``FailOn``, slow enough that a watcher sees tasks running.
struct SlowFailOn: RemoteFunction {
    var failing: Set<Int>
    func callAsFunction(_ x: Int) throws -> Int {
        usleep(3000)
        if failing.contains(x) { throw ItemError(item: x) }
        return x
    }
}
