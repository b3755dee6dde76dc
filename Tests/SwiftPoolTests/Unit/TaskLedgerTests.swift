import Testing

@testable import SwiftPool

/// The task ledger alone, no process: pools in the order they opened, deadlines in the order
/// they pass, and closed pools forgotten only once nothing of theirs is left.
@Suite("Task ledger")
struct TaskLedgerTests {
    private static func pool(_ id: UInt32, timeout: Duration? = nil) -> PoolQueue {
        PoolQueue(
            plan: PoolPlan(
                id: id, workerLimit: 4, initializer: nil, maxRetries: 0, taskTimeout: timeout, maxTasksPerWorker: nil,
                workerMemoryLimit: nil, status: PoolStatus()),
            workerLimit: 4)
    }

    @Test("deadlines come out once passed, earliest first; pools without a timeout add none")
    func deadlines() {
        var ledger = TaskLedger()
        ledger.open(Self.pool(1, timeout: .milliseconds(5)))
        ledger.open(Self.pool(2))
        ledger.taskStarted(10, pool: 1, on: 0, at: 3_000_000)
        ledger.taskStarted(11, pool: 1, on: 1, at: 1_000_000)
        ledger.taskStarted(12, pool: 2, on: 2, at: 0)
        #expect(ledger.passedDeadlines(at: 5_999_999).isEmpty)
        #expect(ledger.passedDeadlines(at: 6_000_000).map(\.task) == [11])
        #expect(ledger.passedDeadlines(at: 100_000_000).map(\.task) == [10])
        #expect(!ledger.hasDeadlines)
    }

    @Test("a closed pool is forgotten once its queue is empty and none of its tasks is in flight")
    func forgetting() {
        var ledger = TaskLedger()
        let first = Self.pool(1)
        ledger.open(first)
        ledger.open(Self.pool(2))
        #expect(ledger.openPools.map(\.plan.id) == [1, 2])
        first.isClosing = true
        ledger.closingPools = 1
        first.inFlight = 1
        #expect(ledger.forgetFinishedPools().isEmpty)
        first.inFlight = 0
        #expect(ledger.forgetFinishedPools().map(\.plan.id) == [1])
        #expect(ledger.openPools.map(\.plan.id) == [2] && ledger.closingPools == 0)
    }
}
