import HeapModule

/// The tasks rank 0 knows of, by pool: each open pool's queue, how many of its tasks workers hold,
/// and when each running task is due if its pool has a timeout. Which worker holds which task is
/// the ``WorkerTable``'s; this is everything else about tasks.
struct TaskLedger {
    private(set) var pools: [UInt32: PoolQueue] = [:]
    /// Pool ids in the order they opened: the order tasks are handed out in.
    private(set) var poolOrder: [UInt32] = []
    /// Tasks workers hold, over all workers.
    var inFlight = 0
    /// Pools closed and not yet forgotten.
    var closingPools = 0
    /// When each running task of a pool with a timeout is due, earliest first. An entry whose
    /// worker has moved on since is stale and skipped when it comes up.
    private var deadlines = Heap<Deadline>()
    /// Tasks queued in all pools, as last reported to metrics.
    var reportedQueueDepth = -1

    struct Deadline: Comparable {
        var at: UInt64
        var slot: Int
        var task: UInt64

        static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.at < rhs.at }
    }

    subscript(pool: UInt32) -> PoolQueue? { pools[pool] }

    /// The open pools, in the order they opened.
    var openPools: some Sequence<PoolQueue> { poolOrder.lazy.compactMap { pools[$0] } }

    mutating func open(_ pool: PoolQueue) {
        pools[pool.plan.id] = pool
        poolOrder.append(pool.plan.id)
    }

    /// Forgets closed pools with nothing left to hand out or wait for; returns them.
    mutating func forgetFinishedPools() -> [PoolQueue] {
        var finished: [PoolQueue] = []
        for id in poolOrder {
            guard let pool = pools[id], pool.isFinished else { continue }
            pools[id] = nil
            closingPools -= 1
            finished.append(pool)
        }
        if !finished.isEmpty { poolOrder.removeAll { pools[$0] == nil } }
        return finished
    }

    /// Whether every task is done: none queued, none held by a worker.
    var isIdle: Bool { inFlight == 0 && pools.values.allSatisfy { $0.queue.isEmpty } }

    var queueDepth: Int { pools.values.reduce(0) { $0 + $1.queue.count } }

    // MARK: Timeouts

    /// Notes that a task began running on a worker, if its pool has a timeout.
    mutating func taskStarted(_ task: UInt64, pool: UInt32, on slot: Int, at now: UInt64) {
        guard let limit = pools[pool]?.timeoutNanos else { return }
        deadlines.insert(Deadline(at: now &+ limit, slot: slot, task: task))
    }

    /// Takes the deadlines passed by `now`, earliest first; the caller checks each is still its
    /// worker's running task.
    mutating func passedDeadlines(at now: UInt64) -> [Deadline] {
        var passed: [Deadline] = []
        while let first = deadlines.min, first.at <= now { passed.append(deadlines.removeMin()) }
        return passed
    }

    var hasDeadlines: Bool { !deadlines.isEmpty }
}
