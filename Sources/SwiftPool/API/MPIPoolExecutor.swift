import Logging
import Synchronization

/// A pool of MPI worker processes that run ``RemoteFunction``s: Python's
/// `concurrent.futures.ProcessPoolExecutor` and `mpi4py.futures.MPIPoolExecutor`, for Swift.
///
/// Every process of the job runs the same program. Rank 0 runs the pool; every other rank serves
/// tasks inside ``run(maxWorkers:initializer:maxRetries:taskTimeout:maxTasksPerWorker:workerMemoryLimit:logger:_:)-(_,_,_,_,_,_,_,(MPIPoolExecutor)->T)`` (or the initializer)
/// and never returns from it: it finalizes MPI and exits 0 once the program on rank 0 ends.
///
/// ```swift
/// try MPIPoolExecutor.run { pool in
///     let squares = try pool.map(Square(), 1...100)
///     let future = try pool.submit(Square(), 7)
///     print(try future.result())
/// }   // waits for every submitted task, like leaving a `with` block
/// ```
///
/// Several pools, one after another or at once, share the same workers. Started with a single
/// process, a pool runs its tasks in-process with the same semantics: arguments and results are
/// still encoded and decoded, so nothing is shared by accident.
public final class MPIPoolExecutor: Sendable {
    /// How many workers this pool's tasks run on (1 when running in-process): the code's
    /// `maxWorkers`, else `SWIFTPOOL_WORKERS`, at most the workers there are.
    public let maxWorkers: Int

    /// The workers serving this pool now (mpi4py's `num_workers`): ``maxWorkers`` while all are
    /// alive and ready; fewer while a lost one is being replaced or after a crash loop; 0 once the
    /// pool is shut down or broken.
    public var workerCount: Int {
        if isShutDown.load(ordering: .acquiring) || status.broken != nil { return 0 }
        return status.servingWorkers.load(ordering: .relaxed)
    }

    /// How many of this pool's items one worker process runs before it is replaced; nil for no
    /// limit. See ``init(maxWorkers:initializer:maxRetries:taskTimeout:maxTasksPerWorker:workerMemoryLimit:logger:)``.
    public let maxTasksPerWorker: Int?

    /// How long SwiftPool took to start its processes: MPI's start-up, spawning the workers in
    /// spawn mode, and the check that every rank runs the same build. Nil before the first pool.
    public static var startupDuration: Duration? {
        let nanos = PoolRuntime.startupNanos.load(ordering: .relaxed)
        return nanos == 0 ? nil : .nanoseconds(Int64(nanos))
    }

    /// The signal, SIGINT or SIGTERM, that interrupted the pools on rank 0; nil until one does.
    ///
    /// On the first of these signals (Ctrl-C; Slurm's `--signal=B:TERM@120` warning before the time
    /// limit; `scancel`; `kill`), queued tasks are cancelled (their waiters wake with
    /// ``PoolError/Code/cancelled``), running tasks fail with `cancelled` and their workers are
    /// stopped, every later submit or map throws, and the body of an async
    /// ``run(maxWorkers:initializer:maxRetries:taskTimeout:maxTasksPerWorker:workerMemoryLimit:logger:isolation:_:)`` is cancelled. The
    /// program then has 5 s (`SWIFTPOOL_INTERRUPT_GRACE_SECONDS`) to save what it has and exit; its
    /// exit status is 128 + the signal unless it exits with another non-zero one. A second signal
    /// exits at once.
    ///
    /// ```swift
    /// do {
    ///     results = try pool.map(Simulate(), cases)
    /// } catch where MPIPoolExecutor.interruptingSignal != nil {
    ///     try save(partialResults)    // what finished, from done callbacks or futures
    /// }
    /// ```
    public static var interruptingSignal: Int32? { Interruption.signal }

    let runtime: PoolRuntime
    let id: UInt32
    /// The most workers the plain start starts for one pool.
    static let mostWorkers = 4096
    private static let saidFewerWorkers = Atomic<Bool>(false)
    let status = PoolStatus()
    let outstanding = OutstandingTasks()
    private let isShutDown = Atomic<Bool>(false)

    /// Opens a pool (`MPIPoolExecutor(max_workers, initializer)`).
    ///
    /// On a worker rank this call never returns: the process serves tasks until rank 0's
    /// program ends, then exits 0.
    ///
    /// - Parameters:
    ///   - maxWorkers: how many workers this pool uses; when nil, `SWIFTPOOL_WORKERS`, else all
    ///     there are (the plain start starts one per core). In the plain start a pool gets what it
    ///     asks for: workers beyond those already running are started for it. Under a launcher
    ///     the ranks are fixed, so a pool asking for more gets the workers there are (said once at
    ///     `debug`).
    ///   - initializer: run once on each worker before this pool's first task there. If it throws,
    ///     the pool is broken: every pending and later task fails with ``PoolError/Code/brokenPool``.
    ///   - maxRetries: how many times a task runs again, on another worker, after the worker
    ///     running it died (a crash, a signal, `exit`, a lost host). Past that its future fails
    ///     with ``PoolError/Code/workerLost``. Tasks only queued behind it run again without using
    ///     a retry. With 0, the tasks a death takes down fail at once, like Python's
    ///     `BrokenProcessPool`, but only those tasks.
    ///   - taskTimeout: how long one task may run. A task still running after that is stopped: its
    ///     worker process is ended and replaced, and its future fails with
    ///     ``PoolError/Code/timedOut``; it is not run again. Nil (the default) for no limit.
    ///     Not enforced when tasks run in-process (a job of one process).
    ///   - maxTasksPerWorker: how many of this pool's items one worker process runs before it is
    ///     replaced by a fresh one (Python's `max_tasks_per_child`), to shed memory a task leaks.
    ///     Each item counts, a `map` chunk's too (chunks are kept at most this size); a worker
    ///     stops taking this pool's tasks when the next one would pass the limit, and is replaced
    ///     after its last. No task fails or uses a retry because of it. Pools that share workers
    ///     each count their own items; a worker is replaced when any pool's limit is reached. Nil
    ///     (the default) for no limit. Not enforced in-process.
    ///   - workerMemoryLimit: the most resident memory, in bytes, one worker process may hold
    ///     while this pool is open (Dask's memory limit). Its parent reads each worker's resident
    ///     size every 20 ms and ends a worker past the limit; the task it ran counts as losing its
    ///     worker (run again under `maxRetries`), the message naming the limit and the size seen,
    ///     and the worker is replaced. A worker already past the limit before its first task is
    ///     not replaced (it would be ended again at once). With several pools open, the smallest
    ///     limit holds for every worker. Nil (the default) for none. Not enforced in-process.
    ///   - logger: where SwiftPool logs on rank 0: warnings a person must see (a worker lost, a
    ///     signal), routine events at `debug`, and the records tasks log on workers through
    ///     ``PoolProcess/logger(label:)``, with `rank` and `host` metadata. The first pool's logger
    ///     serves the whole program.
    public convenience init(
        maxWorkers: Int? = nil, initializer: (any ArgumentlessRemoteFunction)? = nil, maxRetries: Int = 2,
        taskTimeout: Duration? = nil, maxTasksPerWorker: Int? = nil, workerMemoryLimit: Int? = nil,
        logger: Logger = Logger(label: "SwiftPool")
    ) throws {
        RuntimeLog.adopt(logger)
        switch try PoolRuntime.start(requestedWorkers: maxWorkers) {
        case .worker: PoolRuntime.parkForever()
        case .executor(let runtime):
            try self.init(
                runtime: runtime, maxWorkers: maxWorkers, initializer: initializer, maxRetries: maxRetries,
                taskTimeout: taskTimeout, maxTasksPerWorker: maxTasksPerWorker, workerMemoryLimit: workerMemoryLimit)
        }
    }

    private init(
        runtime: PoolRuntime, maxWorkers: Int?, initializer: (any ArgumentlessRemoteFunction)?, maxRetries: Int,
        taskTimeout: Duration?, maxTasksPerWorker: Int?, workerMemoryLimit: Int?
    ) throws {
        if let maxWorkers, maxWorkers < 1 {
            throw PoolError(.invalidArgument, "maxWorkers must be at least 1, not \(maxWorkers)")
        }
        guard maxRetries >= 0 else {
            throw PoolError(.invalidArgument, "maxRetries must be 0 or more, not \(maxRetries)")
        }
        if let taskTimeout, taskTimeout <= .zero {
            throw PoolError(.invalidArgument, "taskTimeout must be longer than zero, not \(taskTimeout)")
        }
        if let maxTasksPerWorker, maxTasksPerWorker < 1 {
            throw PoolError(.invalidArgument, "maxTasksPerWorker must be at least 1, not \(maxTasksPerWorker)")
        }
        if let workerMemoryLimit, workerMemoryLimit < 1 {
            throw PoolError(.invalidArgument, "workerMemoryLimit must be at least 1 byte, not \(workerMemoryLimit)")
        }
        self.runtime = runtime
        self.maxTasksPerWorker = maxTasksPerWorker
        self.id = runtime.makePoolID()
        let asked = try maxWorkers ?? LaunchPlan.configuredWorkers()
        let available = runtime.inbox.workerCount
        if let asked, runtime.inbox.canStartWorkers.load(ordering: .relaxed) {
            // The plain start starts the workers a pool asks for beyond those it has.
            self.maxWorkers = min(asked, Self.mostWorkers)
        } else {
            self.maxWorkers = min(asked ?? .max, available)
            if let asked, asked > available, !Self.saidFewerWorkers.exchange(true, ordering: .relaxed) {
                RuntimeLog.debug(
                    "a pool asked for \(asked) workers; the launcher started \(available), so it gets \(available)")
            }
        }
        status.servingWorkers.store(self.maxWorkers, ordering: .relaxed)
        let initializerFrame = try initializer.map { try Self.initializeFrame($0, pool: id) }
        runtime.inbox.post(
            .openPool(
                PoolPlan(
                    id: id, workerLimit: self.maxWorkers, initializer: initializerFrame, maxRetries: maxRetries,
                    taskTimeout: taskTimeout, maxTasksPerWorker: maxTasksPerWorker,
                    workerMemoryLimit: workerMemoryLimit.map(UInt64.init), status: status)))
    }

    /// Runs `body` with a new pool on rank 0 and shuts the pool down when `body` returns or throws,
    /// waiting for every submitted task: Python's `with MPIPoolExecutor() as pool:`.
    ///
    /// Every process calls this. On worker ranks it never returns: they serve tasks until rank 0's
    /// program ends, then exit 0. Code before it runs on every rank; `body` and what follows run on
    /// rank 0 only. The parameters are those of ``init(maxWorkers:initializer:maxRetries:taskTimeout:maxTasksPerWorker:workerMemoryLimit:logger:)``.
    public static func run<T>(
        maxWorkers: Int? = nil, initializer: (any ArgumentlessRemoteFunction)? = nil, maxRetries: Int = 2,
        taskTimeout: Duration? = nil, maxTasksPerWorker: Int? = nil, workerMemoryLimit: Int? = nil,
        logger: Logger = Logger(label: "SwiftPool"), _ body: (MPIPoolExecutor) throws -> T
    ) throws -> T {
        let pool = try MPIPoolExecutor(
            maxWorkers: maxWorkers, initializer: initializer, maxRetries: maxRetries, taskTimeout: taskTimeout,
            maxTasksPerWorker: maxTasksPerWorker, workerMemoryLimit: workerMemoryLimit, logger: logger)
        defer { pool.shutdown(wait: true) }
        return try body(pool)
    }

    /// Runs an async `body` with a new pool on rank 0 and shuts the pool down when `body` returns or
    /// throws, waiting for every submitted task. See
    /// ``run(maxWorkers:initializer:maxRetries:taskTimeout:maxTasksPerWorker:workerMemoryLimit:logger:_:)-(_,_,_,_,_,_,_,(MPIPoolExecutor)->T)``.
    public static func run<T>(
        maxWorkers: Int? = nil, initializer: (any ArgumentlessRemoteFunction)? = nil, maxRetries: Int = 2,
        taskTimeout: Duration? = nil, maxTasksPerWorker: Int? = nil, workerMemoryLimit: Int? = nil,
        logger: Logger = Logger(label: "SwiftPool"), isolation: isolated (any Actor)? = #isolation,
        _ body: (MPIPoolExecutor) async throws -> T
    ) async throws -> T {
        RuntimeLog.adopt(logger)
        guard case .executor(let runtime) = try PoolRuntime.start(requestedWorkers: maxWorkers) else {
            // A worker: suspend for good; the MPI thread exits the process when rank 0 is done.
            await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
            fatalError("unreachable: a worker's run never resumes")
        }
        let pool = try MPIPoolExecutor(
            runtime: runtime, maxWorkers: maxWorkers, initializer: initializer, maxRetries: maxRetries,
            taskTimeout: taskTimeout, maxTasksPerWorker: maxTasksPerWorker, workerMemoryLimit: workerMemoryLimit)
        do {
            let result = try await Interruption.cancellingOnSignal { try await body(pool) }
            await pool.shutdown()
            return result
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    // MARK: Submitting

    /// Schedules `function(argument)` on a worker (`Executor.submit(fn, arg)`).
    ///
    /// An argument that cannot be encoded fails only the returned future.
    ///
    /// - Parameters:
    ///   - function: the function to call, with its stored properties.
    ///   - argument: what to call it with.
    ///   - progress: a tracker the task counts toward, as one item, with the others of a batch.
    /// - Throws: ``PoolError`` when the pool is shut down or broken, when `F` cannot be found
    ///   by name in another process (a `private` or function-local type), or when the task holds
    ///   a ``Shared`` value of another pool or one already released.
    public func submit<F: RemoteFunction>(_ function: F, _ argument: F.Argument, progress: TaskProgress? = nil) throws
        -> Future<F.Output>
    {
        try checkAcceptsWork("submit a task")
        let name = try FunctionLookup.checkFindable(F.self)
        let future = Future<F.Output>(tracker: outstanding, progress: progress)
        outstanding.taskSubmitted()
        try enqueue(function, named: name, shape: .single, argument: argument, completion: future)
        return future
    }

    /// Schedules a function that takes no argument (all its inputs are stored properties).
    public func submit<F: ArgumentlessRemoteFunction>(_ function: F, progress: TaskProgress? = nil) throws
        -> Future<F.Output>
    {
        try submit(function, NoArgument(), progress: progress)
    }

    /// Encodes a task and posts it to the executor loop, or fails `completion` if it cannot be
    /// encoded. A task holding a shared value this pool cannot send also fails `completion`, and
    /// throws, so the caller learns of the mistake at once.
    func enqueue<F: RemoteFunction, A: Encodable, C: TaskCompletion>(
        _ function: F, named name: String, shape: TaskShape, argument: A, items: Int = 1, completion: C
    ) throws {
        let taskID = runtime.makeTaskID()
        let sharedValues = SharedValueLog()
        let frame: OutgoingFrame
        do {
            frame = try FrameEncoder.task(
                id: taskID, pool: id, shape: shape, functionName: name, function: function, argument: argument,
                sharedValues: sharedValues)
        } catch {
            return completion.fail(error)
        }
        if let misuse = misusedSharedValue(in: sharedValues.values) {
            completion.fail(misuse)
            throw misuse
        }
        var task = QueuedTask(id: taskID, pool: id, frame: frame, completion: completion)
        task.items = items
        if !sharedValues.values.isEmpty { task.sharedValues = sharedValues.values.map(\.id) }
        runtime.inbox.post(.submit(task))
    }

    private static func initializeFrame(_ initializer: some ArgumentlessRemoteFunction, pool: UInt32) throws
        -> OutgoingFrame
    {
        let name = try FunctionLookup.checkFindable(type(of: initializer))
        return try FrameEncoder.initialize(initializer, pool: pool, functionName: name)
    }

    func checkAcceptsWork(_ action: String) throws {
        if isShutDown.load(ordering: .acquiring) { throw PoolError.shutDown(action) }
        if PoolRuntime.isExiting.load(ordering: .acquiring) {
            throw PoolError(
                .shutDown, "cannot \(action): the program is exiting, and its pools are finishing the work they have")
        }
        // Checked here too: the scheduler hears of the signal a moment after the program may.
        if let signal = Interruption.signal { throw Interruption.error(signal: signal) }
        if let broken = status.broken { throw broken }
    }

    // MARK: Shutting down

    /// Stops the pool taking work and, by default, waits for every submitted task and its done
    /// callbacks (`Executor.shutdown(wait, cancel_futures)`). Calling it again is harmless.
    ///
    /// - Parameters:
    ///   - wait: whether to block until every submitted task is done.
    ///   - cancelFutures: whether to cancel the tasks that have not started; their futures end
    ///     cancelled and anyone waiting on them is woken.
    @available(*, noasync, message: "blocks the thread; use `await pool.shutdown()` in async code")
    public func shutdown(wait: Bool = true, cancelFutures: Bool = false) {
        beginShutdown(cancelFutures: cancelFutures)
        if wait { outstanding.waitUntilDrained() }
    }

    /// Stops the pool taking work and waits, without blocking a thread, for every submitted task
    /// and its done callbacks.
    public func shutdown(cancelFutures: Bool = false) async {
        beginShutdown(cancelFutures: cancelFutures)
        await outstanding.drained()
    }

    /// Shuts the pool down and stops its tasks now (Python 3.14's `terminate_workers()`): its
    /// queued tasks are cancelled, and each worker process running one of its tasks is ended
    /// and replaced, that task's future failing with ``PoolError/Code/cancelled`` (naming
    /// `terminate()`). Its tasks queued on a worker behind another pool's running task fail the
    /// same way. Other pools on the same workers carry on: their tasks that were queued on an
    /// ended worker go back to their queues, using no retry. Returns once every future of the
    /// pool is resolved (within about a second). Later submits throw
    /// ``PoolError/Code/shutDown``. In-process (a job of one process), the task running now
    /// cannot be stopped: it finishes first.
    @available(*, noasync, message: "blocks the thread; use `await pool.terminate()` in async code")
    public func terminate() {
        beginTermination()
        outstanding.waitUntilDrained()
    }

    /// Shuts the pool down and stops its tasks now, then waits, without blocking a thread, for
    /// every future of the pool to resolve. See the blocking `terminate()`.
    public func terminate() async {
        beginTermination()
        await outstanding.drained()
    }

    private func beginTermination() {
        let first = !isShutDown.exchange(true, ordering: .acquiringAndReleasing)
        runtime.inbox.post(.terminate(pool: id))
        if first { runtime.inbox.post(.closePool(id)) }
    }

    private func beginShutdown(cancelFutures: Bool) {
        if cancelFutures { runtime.inbox.post(.cancelQueued(pool: id)) }
        if !isShutDown.exchange(true, ordering: .acquiringAndReleasing) {
            runtime.inbox.post(.closePool(id))
        }
    }
}
