import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The per-process machinery every pool shares: the thread that owns MPI, and on rank 0 the
/// scheduler that runs on it. Started by the first pool; ended when the program exits.
final class PoolRuntime: Sendable {
    /// Where pools post their work for rank 0's scheduler.
    let inbox: ExecutorInbox
    private let thread: DedicatedThread
    private let lastTaskID = Atomic<UInt64>(0)
    private let lastPoolID = Atomic<UInt32>(0)
    private let lastSharedValueID = Atomic<UInt64>(0)

    private init(inbox: ExecutorInbox, thread: DedicatedThread) {
        self.inbox = inbox
        self.thread = thread
    }

    func makeTaskID() -> UInt64 { lastTaskID.add(1, ordering: .relaxed).newValue }
    func makePoolID() -> UInt32 { lastPoolID.add(1, ordering: .relaxed).newValue }
    func makeSharedValueID() -> UInt64 { lastSharedValueID.add(1, ordering: .relaxed).newValue }

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

    /// The status rank 0's program is exiting with, for the exit without `MPI_Finalize`.
    private static let exitStatus = Atomic<Int32>(0)

    /// Set by rank 0's MPI thread when the job must end without `MPI_Finalize` (a process of the
    /// job was lost, and finalizing would wait for it forever).
    private static let endsWithoutFinalize = Atomic<Bool>(false)

    /// Hosts rank 0 lost contact with, set by the MPI thread as the job ends.
    private static let unreachableHosts = Mutex<[String]>([])

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
                    Interruption.install { runtime.inbox.post(.interrupt($0)) }
                    // `on_exit` rather than `atexit`: the handler needs the program's exit status.
                    on_exit({ status, _ in PoolRuntime.finishAtExit(status: status) }, nil)
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

    /// At exit on rank 0: finish all work, stop the workers, finalize MPI. When a process of the
    /// job was lost, `MPI_Finalize` would wait for it forever: the process ends here instead, with
    /// the program's own status.
    private static func finishAtExit(status: Int32) {
        let runtime = state.withLock { state -> PoolRuntime? in
            guard case .executor(let runtime) = state else { return nil }
            state = .finished
            return runtime
        }
        guard let runtime else { return }
        let interrupted = Interruption.exitStatus(after: status)
        let status = interrupted ?? status
        exitStatus.store(status, ordering: .relaxed)
        LaunchPlan.recordExitStatus(status)
        runtime.inbox.post(.finish)
        runtime.thread.join()
        if interrupted != nil {
            fflush(nil)
            _exit(status)
        }
        if endsWithoutFinalize.load(ordering: .acquiring) {
            LaunchPlan.releaseLauncher(waitingFor: unreachableHosts.withLock { $0 })
            fflush(nil)
            _exit(status)
        }
    }

    // MARK: Start-up, on the MPI thread

    private enum StartupReport: Sendable {
        case executor(ExecutorInbox)
        case worker
        case failed(PoolError)
    }

    /// Starts the MPI thread and waits until it says what this process is.
    private static func launch(requestedWorkers: Int?) -> Result<Role, PoolError> {
        if let welcomeDescriptor = SpawnedWorker.welcomeDescriptor {
            DedicatedThread.start { SpawnedWorker.run(welcomeDescriptor: welcomeDescriptor) }.detach()
            return .success(.worker)
        }
        let mode: LaunchPlan.Mode
        do { mode = try LaunchPlan.mode() } catch { return .failure(asPoolError(error)) }
        let report = Mutex<StartupReport?>(nil)
        let reported = DispatchSemaphore(value: 0)
        let tell = { @Sendable (value: StartupReport) in
            report.withLock { $0 = value }
            reported.signal()
        }
        let startedAt = monotonicNanos()
        // The plain start needs no MPI: rank 0 starts its workers itself and shares memory with
        // each. Under a launcher, the thread owns MPI from start to end.
        let count = requestedWorkers ?? LaunchPlan.defaultSpawnCount
        let thread =
            LaunchPlan.startedByLauncher || mode == .world
            ? DedicatedThread.start { ownMPI(mode: mode, spawnCount: count, tell) }
            : DedicatedThread.start { runSpawningExecutor(workers: count, tell) }
        reported.wait()
        switch report.withLock({ $0 })! {
        case .executor(let inbox):
            startupNanos.store(monotonicNanos() &- startedAt, ordering: .relaxed)
            return .success(.executor(PoolRuntime(inbox: inbox, thread: thread)))
        case .worker: return .success(.worker)
        case .failed(let error):
            thread.join()
            return .failure(error)
        }
    }

    /// The MPI thread's whole life, from `MPI_Init_thread` to `MPI_Finalize`.
    private static func ownMPI(mode: LaunchPlan.Mode, spawnCount: Int, _ tell: @Sendable (StartupReport) -> Void) {
        blockBrokenPipeSignals()
        let communicator: Communicator
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
            communicator = try WorkerDiscovery.poolCommunicator(mode: mode)
            rank = try communicator.rank()
            size = try communicator.size()
        } catch let error as PoolError {
            tell(.failed(error))
            try? MPIEnvironment.finalize()
            return
        } catch {
            tell(.failed(PoolError(.mpiFailure, "MPI could not start: \(error)")))
            try? MPIEnvironment.finalize()
            return
        }
        if size == 1 && mode == .spawn {
            // `mpirun -np 1` asked to spawn: the workers are started as in the plain start.
            try? communicator.free()
            runSpawningExecutor(workers: spawnCount, tell)
            try? MPIEnvironment.finalize()
            return
        }
        let host = currentHostName()
        PoolProcess.setRank(rank)
        let peers: [Peer]
        switch Peer.survey(communicator, rank: rank, host: host) {
        case .success(let surveyed): peers = surveyed
        case .failure(let mismatch):
            try? communicator.free()
            try? MPIEnvironment.finalize()
            if rank == 0 {
                tell(.failed(mismatch))
                return
            }
            exitWorker(code: 1)
        }
        if rank == 0 {
            runExecutor(communicator: communicator, peers: peers, host: host, size: size, tell)
        } else {
            tell(.worker)
            runWorker(communicator: communicator, host: host)
        }
    }

    /// Rank 0 of the plain start: starts `workers` processes of this executable, shares memory
    /// with each, schedules tasks until the program ends, then stops them.
    private static func runSpawningExecutor(workers: Int, _ tell: @Sendable (StartupReport) -> Void) {
        blockBrokenPipeSignals()
        PoolProcess.setRank(0)
        let inbox = ExecutorInbox(workerCount: workers)
        let lifelines: LifelineMonitor
        let scheduler: Scheduler
        do {
            lifelines = try LifelineMonitor(
                addresses: [IPv4Endpoint.loopback.address], settings: .fromEnvironment(),
                report: { inbox.post(.lifeline($0)) })
        } catch {
            tell(.failed(asPoolError(error)))
            return
        }
        do {
            let recruiter = WorkerRecruiter(
                command: BuildFingerprint.executablePath, arguments: Array(CommandLine.arguments.dropFirst()))
            scheduler = try Scheduler(
                inbox: inbox,
                transport: .spawned(.init(count: workers, lifelines: lifelines, recruiter: recruiter)))
            scheduler.waitForWorkersToStart(timeoutNanos: lifelines.settings.connectNanos)
        } catch {
            lifelines.shutdown()
            tell(.failed(asPoolError(error)))
            return
        }
        tell(.executor(inbox))
        scheduler.run()
        _ = scheduler.stopWorkers()
        if scheduler.interruption != nil { scheduler.killSpawnedWorkers() }
        // A worker still busy when its lifeline closes ends itself, so none outlives the program.
        _ = lifelines.waitUntilAllClosed(timeoutNanos: 2_000_000_000)
        lifelines.shutdown()
    }

    /// Rank 0 under a launcher: schedules tasks until the program ends, then stops the workers
    /// and finalizes.
    private static func runExecutor(
        communicator: Communicator, peers: [Peer], host: String, size: Int,
        _ tell: @Sendable (StartupReport) -> Void
    ) {
        let inbox = ExecutorInbox(workerCount: max(size - 1, 1))
        let scheduler: Scheduler
        let lifelines: LifelineMonitor?
        do {
            if size > 1 {
                let monitor = try LifelineMonitor(
                    addresses: LifelineAddresses.toListenOn(peers: peers, host: host),
                    settings: .fromEnvironment(), report: { inbox.post(.lifeline($0)) })
                lifelines = monitor
                scheduler = try Scheduler(
                    inbox: inbox,
                    transport: .mpi(.init(communicator: communicator, peers: peers, lifelines: monitor)))
                LaunchPlan.warnIfDeathsEndTheJob(workers: size - 1)
            } else {
                lifelines = nil
                scheduler = try Scheduler(inbox: inbox, transport: .local(TaskRunner(rank: 0, host: host)))
            }
        } catch {
            tell(.failed(asPoolError(error)))
            return
        }
        tell(.executor(inbox))
        scheduler.run()
        let clean = scheduler.stopWorkers()
        guard let lifelines else {
            try? communicator.free()
            try? MPIEnvironment.finalize()
            return
        }
        if scheduler.interruption != nil {
            // Busy workers end themselves as their lifelines close; nobody waits for them.
            lifelines.shutdown()
            endsWithoutFinalize.store(true, ordering: .releasing)
        } else if clean && !lifelines.sawUnannouncedClosure {
            try? communicator.free()
            finalize(within: 10_000_000_000) { exitStatus.load(ordering: .relaxed) }
            lifelines.shutdown()
        } else {
            // The workers left exit at once; wait for their lifelines to close, so none outlives
            // the program, then end without MPI_Finalize.
            _ = lifelines.waitUntilAllClosed(timeoutNanos: 2_000_000_000)
            lifelines.shutdown()
            unreachableHosts.withLock { $0 = scheduler.unreachableHosts }
            endsWithoutFinalize.store(true, ordering: .releasing)
        }
    }

    /// A worker: waits for rank 0's welcome, connects its lifeline, serves tasks until rank 0 says
    /// stop, then ends as rank 0 asks.
    private static func runWorker(communicator: Communicator, host: String) -> Never {
        let welcome: Welcome
        do {
            welcome = try Welcome.receive(on: communicator)
        } catch {
            printToStandardError("SwiftPool worker (\(host)): no welcome from rank 0: \(error); exiting")
            exitWorker(code: 1)
        }
        PoolProcess.setRank(welcome.rank)
        let lifeline = LifelineLink.open(welcome, host: host)
        let stopMode: StopMode
        do {
            var loop = WorkerLoop(
                connection: MPIWorkerConnection(communicator: communicator),
                runner: TaskRunner(rank: welcome.rank, host: host))
            stopMode = try loop.run()
        } catch {
            printToStandardError("SwiftPool worker rank \(welcome.rank) (\(host)): \(error); exiting")
            exit(1)  // the exit handler tells rank 0, which runs this worker's tasks elsewhere
        }
        lifeline.announceStop()
        if stopMode == .finalize {
            try? communicator.free()
            finalize(within: 10_000_000_000) { 0 }
        }
        exitWorker(code: 0)
    }

    /// Open MPI writes to its TCP connections without asking the kernel to spare it SIGPIPE, so a
    /// write to a worker that just died would kill this process. Blocking the signal on the MPI
    /// thread (and on the threads Open MPI starts from it) turns it into an EPIPE error, which
    /// Open MPI handles; the program's own threads keep their disposition.
    private static func blockBrokenPipeSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// `MPI_Finalize`, but a process lost while the job ends makes it wait forever: past
    /// `limitNanos` this process exits without it.
    private static func finalize(within limitNanos: UInt64, exitStatus: @escaping @Sendable () -> Int32) {
        let done = Atomic<Bool>(false)
        let watchdog = DedicatedThread.start(stackBytes: 256 * 1024) {
            let deadline = monotonicNanos() &+ limitNanos
            while !done.load(ordering: .acquiring) {
                if monotonicNanos() >= deadline {
                    printToStandardError(
                        "SwiftPool: MPI_Finalize did not return within \(limitNanos / 1_000_000_000) s "
                            + "(a process of the job is gone); exiting without it")
                    fflush(nil)
                    _exit(exitStatus())
                }
                sleepNanos(10_000_000)
            }
        }
        try? MPIEnvironment.finalize()
        done.store(true, ordering: .releasing)
        watchdog.join()
    }

    /// Ends a worker process at once after MPI is finalized. Its launcher may go away as soon as
    /// rank 0 exits (a spawned worker's daemon belongs to rank 0) and then signals what is left
    /// with SIGPIPE; so the worker ignores that signal, flushes what its tasks printed, and exits
    /// without running exit handlers that could still be racing the daemon.
    private static func exitWorker(code: Int32) -> Never {
        DeathReporter.disarm()
        OutputForwarder.finish(timeoutNanos: 500_000_000)
        signal(SIGPIPE, SIG_IGN)
        fflush(nil)
        _exit(code)
    }
}
