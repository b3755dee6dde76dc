import DequeModule

/// A worker process as rank 0's scheduler sees it. Each occupies a slot; a replacement takes over
/// the slot of the worker it replaces.
struct WorkerRecord {
    enum Phase {
        /// Started (or asked of its supervisor); it has not said it is ready yet.
        case starting
        /// Connected; running the initializers of the pools already open.
        case initializing
        /// Takes tasks.
        case ready
        /// Has run a pool's `maxTasksPerWorker`: takes no more tasks, and is stopped once it
        /// holds none, then replaced.
        case retiring
        /// Told to stop after its last task; its end is expected, and it is replaced.
        case retired
        /// Gone, or given up.
        case lost
    }

    /// The worker's rank in the pool, as errors and `PoolProcess.rank` name it.
    var rank: Int
    /// Which channel reaches it, and the rank there of the process that relays its frames (its
    /// supervisor; 0 for a shared-memory channel of its own).
    var channel: Int
    var source: Int
    /// The MPI rank of the supervisor that started it; nil when rank 0 did (the plain start).
    var supervisor: Int?
    var host: String
    /// Its process id, once it has said it is ready (0 before).
    var processID: Int32
    var phase = Phase.starting
    var history: History
    /// Tasks handed to it and not yet answered, in the order it runs them: the first is running.
    var tasks = Deque<QueuedTask>()
    /// When its first task began: its dispatch, the previous reply, or its initializer's end.
    var headStartedAt: UInt64 = 0
    var pools = PoolsSeen()
    /// Shared values it has been sent and not told to forget.
    var sharedValues: Set<UInt64> = []

    /// How the worker came to be, and what it has done: what decides whether it is replaced.
    struct History {
        /// Whether it was started to replace a lost worker.
        var isReplacement: Bool
        /// When it was started (or asked for): one that is not ready within the time allowed is lost.
        var startedAt = monotonicNanos()
        /// Whether it was ever ready to take tasks: a replacement lost before that is a crash loop.
        var wasReady = false
        /// Whether it was ever handed a task: one past the memory limit before that is a crash loop.
        var tookTasks = false
        /// Whether its replacement was started already (it is retiring): its slot gets no other.
        var isReplaced = false
    }

    /// What the worker holds of each pool.
    struct PoolsSeen {
        /// Pools whose initializer it has been sent, and those not yet acknowledged.
        var initialized: Set<UInt32> = []
        var pendingInitializers: Set<UInt32> = []
        /// Items of each pool's tasks handed to it, for the pools' `maxTasksPerWorker`.
        var itemsTaken: [UInt32: Int] = [:]
    }

    var isAlive: Bool { phase != .lost }

    init(
        rank: Int, channel: Int, source: Int, supervisor: Int? = nil, host: String, processID: Int32,
        isReplacement: Bool
    ) {
        self.rank = rank
        self.channel = channel
        self.source = source
        self.supervisor = supervisor
        self.host = host
        self.processID = processID
        self.history = History(isReplacement: isReplacement)
    }
}

/// A worker the pool lost, for the messages of the futures it takes down.
struct WorkerLoss: CustomStringConvertible {
    var rank: Int
    var host: String
    var end: WorkerEnd

    var description: String { "rank \(rank) on host \(host) \(end.description)" }
}
