import DequeModule

/// A worker process as rank 0's scheduler sees it. Each occupies a slot; in the plain start a
/// replacement takes over the slot of the worker it replaces.
struct WorkerRecord {
    enum Phase {
        /// Welcomed; its lifeline has not connected yet.
        case starting
        /// Connected; running the initializers of the pools already open.
        case initializing
        /// Takes tasks.
        case ready
        /// Gone, or given up.
        case lost
    }

    /// The worker's rank in the pool, as errors and `PoolProcess.rank` name it.
    var rank: Int
    /// Which communicator reaches it, and its rank there.
    var channel: Int
    var source: Int
    var host: String
    var processID: Int32
    var phase = Phase.starting
    /// Whether it was spawned to replace a lost worker.
    var isReplacement: Bool
    /// Whether it was ever ready to take tasks: a replacement lost before that is a crash loop.
    var wasReady = false
    /// Tasks handed to it and not yet answered, in the order it runs them: the first is running.
    var tasks = Deque<QueuedTask>()
    /// When its first task began: its dispatch, the previous reply, or its initializer's end.
    var headStartedAt: UInt64 = 0
    /// Pools whose initializer it has been sent, and those not yet acknowledged.
    var initializedPools: Set<UInt32> = []
    var pendingInitializers: Set<UInt32> = []
    /// Shared values it has been sent and not told to forget.
    var sharedValues: Set<UInt64> = []

    var isAlive: Bool { phase != .lost }
}

/// How rank 0 reaches a group of workers: the job's communicator, or, for a worker rank 0
/// started itself, the memory the two share.
struct Channel {
    enum Link {
        case mpi(Communicator)
        case sharedMemory(FrameStream)
        /// The worker is lost; nothing more is read from it.
        case closed
    }

    var link: Link
    /// The slot of the worker behind each rank of the communicator (rank 0 for shared memory).
    var slotBySource: [Int: Int] = [:]
    /// Workers on it that are not lost; a channel with none is no longer polled.
    var liveWorkers: Int
}

/// A worker could not be reached: a send or receive with it failed.
struct WorkerUnreachable: Error, CustomStringConvertible {
    var description: String
}

/// A worker the pool lost, for the messages of the futures it takes down.
struct WorkerLoss: CustomStringConvertible {
    var rank: Int
    var host: String
    var end: WorkerEnd

    var description: String { "rank \(rank) on host \(host) \(end.description)" }
}
