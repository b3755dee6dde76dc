import Synchronization

/// A request from a user thread to the executor loop, the only code on rank 0 that talks to MPI.
enum ExecutorCommand: Sendable {
    /// A pool opened: which workers it may use and the initializer frame they run first.
    case openPool(PoolPlan)
    /// A task to queue behind those submitted before it.
    case submit(QueuedTask)
    /// Cancel every task of the pool that has not started.
    case cancelQueued(pool: UInt32)
    /// The pool takes no more tasks; forget it once its queue is empty.
    case closePool(UInt32)
    /// The program is ending: finish all work, stop the workers and finalize MPI.
    case finish
}

/// How a pool uses the shared workers.
struct PoolPlan: Sendable {
    var id: UInt32
    /// The pool uses the first `workerLimit` workers.
    var workerLimit: Int
    /// An initialize frame to send each worker before the pool's first task there.
    var initializer: OutgoingFrame?
    /// Where the loop records that the pool broke, for the pool's own submit to see.
    var status: PoolStatus
}

/// Whether a pool has broken, shared by the pool object and the executor loop.
final class PoolStatus: Sendable {
    private let brokenError = Mutex<PoolError?>(nil)

    var broken: PoolError? { brokenError.withLock { $0 } }

    func markBroken(_ error: PoolError) { brokenError.withLock { $0 = $0 ?? error } }
}

/// A task waiting for a worker: its encoded frame and who to tell how it went.
struct QueuedTask: Sendable {
    var id: UInt64
    var pool: UInt32
    var frame: OutgoingFrame
    var completion: any TaskCompletion
}
