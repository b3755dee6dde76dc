/// Pools' task timeouts: a task running past its pool's `taskTimeout` fails, and its worker is
/// ended and replaced.
extension Scheduler {
    /// Ends the worker of any task running past its pool's task timeout; its future fails with
    /// `timedOut` and is not run again. Looks only at the deadlines that have passed.
    func stopOverdueTasks() {
        let now = monotonicNanos()
        for deadline in ledger.passedDeadlines(at: now) {
            let slot = deadline.slot
            // Stale when the worker has moved on, or its head restarted the clock (an initializer).
            guard workers[slot].isAlive, let head = workers[slot].tasks.first, head.id == deadline.task,
                let pool = ledger[head.pool], let limit = pool.timeoutNanos,
                !workers[slot].pools.pendingInitializers.contains(head.pool),
                now &- workers[slot].headStartedAt >= limit
            else { continue }
            let worker = workers[slot]
            workers[slot].tasks.removeFirst()
            ledger.inFlight -= 1
            pool.inFlight -= 1
            head.completion.fail(
                PoolError(
                    .timedOut,
                    "task \(head.id) (\(Self.functionName(of: head))) ran longer than the pool's taskTimeout of "
                        + "\(pool.plan.taskTimeout ?? .zero) on rank \(worker.rank) (host \(worker.host)); SwiftPool "
                        + "ended that worker process, and the task is not run again"))
            transport.endWorker(in: slot, for: self)
            workerLost(slot: slot, end: .stoppedAfterTimeout)
        }
    }

    /// The readable name of a task's function, found from its frame (only for error messages).
    private static func functionName(of task: QueuedTask) -> String {
        guard let frame = try? TaskFrame.read(from: task.frame.bytes.bytes) else { return "unknown function" }
        let name = frame.functionTypeName
        return FunctionLookup.type(named: name).map { String(reflecting: $0) } ?? name
    }
}
