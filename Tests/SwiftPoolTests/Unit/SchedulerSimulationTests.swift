import Testing

@testable import SwiftPool

/// The real scheduler over simulated workers (timers in this process, no other process): the
/// check that scheduling, losses and replacements work apart from any transport of bytes.
@Suite("Scheduler over simulated workers")
struct SchedulerSimulationTests {
    struct Triple: RemoteFunction {
        func callAsFunction(_ x: Int) -> Int { 3 * x }
    }

    /// One pass of the scheduler's loop, as `run()` makes it.
    private static func step(_ scheduler: Scheduler) throws {
        _ = scheduler.takeCommands()
        _ = try scheduler.transport.receive(for: scheduler)
        if !scheduler.workers.awaitingReplacement.isEmpty { scheduler.replaceLostWorkers() }
        _ = try scheduler.dispatch()
        if scheduler.ledger.hasDeadlines { scheduler.stopOverdueTasks() }
    }

    private static func plan(workers: Int, maxRetries: Int, timeout: Duration? = nil) -> PoolPlan {
        PoolPlan(
            id: 1, workerLimit: workers, initializer: nil, maxRetries: maxRetries, taskTimeout: timeout,
            maxTasksPerWorker: nil, workerMemoryLimit: nil, status: PoolStatus())
    }

    private static func submit(_ argument: Int, id: UInt64, to inbox: ExecutorInbox) throws -> Future<Int> {
        let future = Future<Int>(tracker: nil)
        let frame = try FrameEncoder.task(
            id: id, pool: 1, shape: .single, functionName: FunctionLookup.name(of: Triple.self), function: Triple(),
            argument: argument, sharedValues: SharedValueLog())
        inbox.post(.submit(QueuedTask(id: id, pool: 1, frame: frame, completion: future)))
        return future
    }

    private static func simulated(workers: Int, taskNanos: UInt64) -> (Scheduler, ExecutorInbox, SimulationControl) {
        let inbox = ExecutorInbox(workerCount: workers)
        let control = SimulationControl()
        let scheduler = Scheduler.simulated(inbox: inbox, workers: workers, taskNanos: taskNanos, control: control)
        scheduler.waitForWorkersToStart(timeoutNanos: 5_000_000_000)
        return (scheduler, inbox, control)
    }

    @Test("2,000 tasks on 40 workers, 5 killed midway: every result right, 5 losses, the pool back to 40")
    func lossesAndReplacements() throws {
        let (scheduler, inbox, control) = Self.simulated(workers: 40, taskNanos: 200_000)
        #expect(scheduler.workers.counts.ready == 40)
        inbox.post(.openPool(Self.plan(workers: 40, maxRetries: 1)))
        let futures = try (0..<2000).map { try Self.submit($0, id: UInt64($0 + 1), to: inbox) }
        let deadline = monotonicNanos() + 30_000_000_000
        var killed = false
        while futures.contains(where: { !$0.isDone }) && monotonicNanos() < deadline {
            try Self.step(scheduler)
            if !killed && futures.count(where: \.isDone) >= 600 {
                control.kill(workers: 5)
                killed = true
            }
        }
        #expect(try futures.enumerated().allSatisfy { index, future in try future.result(timeout: .zero) == 3 * index })
        #expect(scheduler.workers.losses.count == 5)
        #expect(scheduler.workers.counts.ready == 40 && scheduler.ledger.inFlight == 0)
    }

    @Test("a task past its pool's timeout fails timedOut, its worker is replaced, and the others finish")
    func timeouts() throws {
        let (scheduler, inbox, _) = Self.simulated(workers: 2, taskNanos: 50_000_000)
        inbox.post(.openPool(Self.plan(workers: 2, maxRetries: 0, timeout: .milliseconds(20))))
        let future = try Self.submit(1, id: 1, to: inbox)
        let deadline = monotonicNanos() + 10_000_000_000
        while !future.isDone && monotonicNanos() < deadline { try Self.step(scheduler) }
        #expect(throws: PoolError.self) { try future.result(timeout: .zero) }
        #expect((try? future.result(timeout: .zero)) == nil)
        while scheduler.workers.counts.ready < 2 && monotonicNanos() < deadline { try Self.step(scheduler) }
        #expect(scheduler.workers.losses.map(\.end) == [.stoppedAfterTimeout])
        #expect(scheduler.workers.counts.ready == 2)
    }
}
