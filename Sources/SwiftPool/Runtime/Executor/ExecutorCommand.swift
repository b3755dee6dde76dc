import Synchronization

/// A request from a user thread to the scheduler, the only code on rank 0 that talks to MPI.
enum ExecutorCommand: Sendable {
    /// A pool opened: which workers it may use and the initializer frame they run first.
    case openPool(PoolPlan)
    /// A task to queue behind those submitted before it.
    case submit(QueuedTask)
    /// Cancel every task of the pool that has not started.
    case cancelQueued(pool: UInt32)
    /// The pool takes no more tasks; forget it once it has nothing left to run.
    case closePool(UInt32)
    /// `terminate()`: cancel the pool's queued tasks, end (and replace) the workers running its
    /// tasks, and fail those tasks.
    case terminate(pool: UInt32)
    /// `bootup()`: have every worker the pool may use ready and initialized, then resolve `done`.
    case bootup(pool: UInt32, done: Future<NoOutput>)
    /// A value shared with a pool's workers: sent to each before its first task that names it.
    case share(SharedValuePlan)
    /// A shared value released: drop it everywhere once no task that names it is left.
    case releaseShared(UInt64)
    /// News from the lifeline monitor: a supervisor connected, or is gone.
    case lifeline(LifelineEvent)
    /// A worker process rank 0 started itself (the plain start) ended, as `waitpid` told.
    case workerEnded(rank: Int, WorkerEnd)
    /// SIGINT or SIGTERM reached rank 0: cancel and fail everything, run nothing more.
    case interrupt(Int32)
    /// The program is ending: finish all work, stop the workers and finalize MPI.
    case finish
}

/// How a pool uses the shared workers.
struct PoolPlan: Sendable {
    var id: UInt32
    /// The pool uses at most this many workers.
    var workerLimit: Int
    /// An initialize frame to send each worker before the pool's first task there.
    var initializer: OutgoingFrame?
    /// How many times a task may run again after its worker died while running it.
    var maxRetries: Int
    /// How long one task may run before its worker is stopped; nil for no limit.
    var taskTimeout: Duration?
    /// How many of the pool's items one worker runs before it is replaced; nil for no limit.
    var maxTasksPerWorker: Int?
    /// The most resident bytes a worker may hold while the pool is open; nil for no limit.
    var workerMemoryLimit: UInt64?
    /// Where the loop records that the pool broke, for the pool's own submit to see.
    var status: PoolStatus
}

/// Whether a pool has broken, and how many workers serve it, shared by the pool object and the
/// executor loop.
final class PoolStatus: Sendable {
    private let brokenError = Mutex<PoolError?>(nil)
    /// Ready workers the pool may use, as the loop last counted them.
    let servingWorkers = Atomic<Int>(0)

    var broken: PoolError? { brokenError.withLock { $0 } }

    func markBroken(_ error: PoolError) { brokenError.withLock { $0 = $0 ?? error } }
}

/// A task waiting for a worker: its encoded frame, who to tell how it went, and how many times it
/// has run on a worker that died.
struct QueuedTask: Sendable {
    var id: UInt64
    var pool: UInt32
    var frame: OutgoingFrame
    var completion: any TaskCompletion
    /// Whether its future has been moved to running (it was handed to a worker at least once).
    var isStarted = false
    /// How many times it ran on a worker that died before replying.
    var runs = 0
    /// The shared values its function or argument names: each goes to the worker before it.
    var sharedValues: [UInt64] = []
    /// How many items it carries: 1, or a `map` chunk's count (for `maxTasksPerWorker`).
    var items = 1
}

/// A shared value and its share frame, ready to send to each worker that needs it.
struct SharedValuePlan: Sendable {
    var id: UInt64
    var pool: UInt32
    var frame: OutgoingFrame
}
