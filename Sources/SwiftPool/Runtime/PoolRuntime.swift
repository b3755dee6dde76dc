import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The per-process machinery every pool shares: the thread that owns MPI, and on rank 0 the
/// executor loop that runs on it. Started by the first pool; ended when the program exits.
final class PoolRuntime: Sendable {
    /// The rank-0 scheduler that pools post their work to.
    let executor: ExecutorLoop
    private let thread: DedicatedThread
    private let lastTaskID = Atomic<UInt64>(0)
    private let lastPoolID = Atomic<UInt32>(0)

    private init(executor: ExecutorLoop, thread: DedicatedThread) {
        self.executor = executor
        self.thread = thread
    }

    func makeTaskID() -> UInt64 { lastTaskID.add(1, ordering: .relaxed).newValue }
    func makePoolID() -> UInt32 { lastPoolID.add(1, ordering: .relaxed).newValue }

    // MARK: Process-wide state

    /// What this process is, once the runtime has started.
    enum Role {
        /// Rank 0: pools run here.
        case executor(PoolRuntime)
        /// Any other rank: the MPI thread serves tasks until rank 0 is done, then the process exits.
        case worker
    }

    private enum State {
        case notStarted
        case executor(PoolRuntime)
        case worker
        case failed(PoolError)
        case finished
    }

    private static let state = Mutex(State.notStarted)

    /// How long the start-up took on rank 0, workers included; 0 before it finished.
    static let startupNanos = Atomic<UInt64>(0)

    /// Starts the runtime on first use and says what this process is.
    ///
    /// - Parameter requestedWorkers: how many workers to spawn when this process starts them
    ///   (spawn mode); the number of cores when nil.
    static func start(requestedWorkers: Int? = nil) throws -> Role {
        try state.withLock { state in
            switch state {
            case .executor(let runtime): return .executor(runtime)
            case .worker:
                throw PoolError(
                    .invalidArgument,
                    "a pool cannot be created inside a task running on a worker; create pools in the code on rank 0")
            case .failed(let error): throw error
            case .finished:
                throw PoolError(.shutDown, "the program is exiting and MPI has been finalized; no pool can start now")
            case .notStarted:
                switch launch(requestedWorkers: requestedWorkers) {
                case .success(.executor(let runtime)):
                    state = .executor(runtime)
                    atexit { PoolRuntime.finishAtExit() }
                    return .executor(runtime)
                case .success(.worker):
                    state = .worker
                    return .worker
                case .failure(let error):
                    state = .failed(error)
                    throw error
                }
            }
        }
    }

    /// Parks a worker's calling thread: the MPI thread exits the process when rank 0 is done.
    static func parkForever() -> Never {
        while true { sleep(UInt32.max) }
    }

    /// At exit on rank 0: finish all work, stop the workers, finalize MPI.
    private static func finishAtExit() {
        let runtime = state.withLock { state -> PoolRuntime? in
            guard case .executor(let runtime) = state else { return nil }
            state = .finished
            return runtime
        }
        guard let runtime else { return }
        runtime.executor.post(.finish)
        runtime.thread.join()
    }

    // MARK: Start-up, on the MPI thread

    private enum StartupReport: Sendable {
        case executor(ExecutorLoop)
        case worker
        case failed(PoolError)
    }

    /// Starts the MPI thread and waits until it says what this process is.
    private static func launch(requestedWorkers: Int?) -> Result<Role, PoolError> {
        let report = Mutex<StartupReport?>(nil)
        let reported = DispatchSemaphore(value: 0)
        let tell = { @Sendable (value: StartupReport) in
            report.withLock { $0 = value }
            reported.signal()
        }
        let startedAt = monotonicNanos()
        let thread = DedicatedThread.start { ownMPI(requestedWorkers: requestedWorkers, tell) }
        reported.wait()
        switch report.withLock({ $0 })! {
        case .executor(let loop):
            startupNanos.store(monotonicNanos() &- startedAt, ordering: .relaxed)
            return .success(.executor(PoolRuntime(executor: loop, thread: thread)))
        case .worker: return .success(.worker)
        case .failed(let error):
            thread.join()
            return .failure(error)
        }
    }

    /// The MPI thread's whole life, from `MPI_Init_thread` to `MPI_Finalize`.
    private static func ownMPI(requestedWorkers: Int?, _ tell: @Sendable (StartupReport) -> Void) {
        let link: PoolLink
        let rank: Int
        let size: Int
        LaunchPlan.prepareEnvironment()
        do {
            let level = try MPIEnvironment.initialize(requesting: .funneled)
            guard level >= .funneled else {
                tell(
                    .failed(
                        PoolError(.mpiFailure, "MPI granted only \(level); SwiftPool needs MPI_THREAD_FUNNELED or more")
                    ))
                try? MPIEnvironment.finalize()
                return
            }
            link = try WorkerDiscovery.poolLink(requestedWorkers: requestedWorkers)
            rank = try link.communicator.rank()
            size = try link.communicator.size()
        } catch let error as PoolError {
            tell(.failed(error))
            try? MPIEnvironment.finalize()
            return
        } catch {
            tell(.failed(PoolError(.mpiFailure, "MPI could not start: \(error)")))
            try? MPIEnvironment.finalize()
            return
        }
        let host = currentHostName()
        PoolProcess.setRank(rank)
        let peers: [Peer]
        let communicator = link.communicator
        switch Peer.survey(communicator, rank: rank, host: host) {
        case .success(let surveyed): peers = surveyed
        case .failure(let mismatch):
            link.close()
            try? MPIEnvironment.finalize()
            if rank == 0 {
                tell(.failed(mismatch))
                return
            }
            exitWorker(code: 1)
        }
        if rank == 0 {
            let transport: ExecutorLoop.Transport =
                size > 1 ? .mpi(communicator, workerCount: size - 1) : .local(TaskRunner(rank: 0, host: host))
            let loop = ExecutorLoop(transport: transport)
            tell(.executor(loop))
            loop.run()
            link.close()
            try? MPIEnvironment.finalize()
            if link.isSpawned {
                // The spawned workers' daemon belongs to this process: stay until they are gone.
                Peer.waitUntilGone(peers.dropFirst(), timeoutNanos: 10_000_000_000)
            }
        } else {
            tell(.worker)
            do {
                try WorkerLoop(communicator: communicator, runner: TaskRunner(rank: rank, host: host)).run()
            } catch {
                printToStandardError("SwiftPool worker rank \(rank) (\(host)): \(error)")
                MPIEnvironment.abort(code: 1)
            }
            link.close()
            try? MPIEnvironment.finalize()
            exitWorker(code: 0)
        }
    }

    /// Ends a worker process at once after MPI is finalized. Its launcher may go away as soon as
    /// rank 0 exits (a spawned worker's daemon belongs to rank 0) and then signals what is left
    /// with SIGPIPE; so the worker ignores that signal, flushes what its tasks printed, and exits
    /// without running exit handlers that could still be racing the daemon.
    private static func exitWorker(code: Int32) -> Never {
        signal(SIGPIPE, SIG_IGN)
        fflush(nil)
        _exit(code)
    }
}
