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

    init(inbox: ExecutorInbox, thread: DedicatedThread) {
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
        /// Any other rank, or a worker process: the MPI thread supervises (or the worker's thread
        /// serves tasks) until rank 0 is done, then the process exits.
        case worker
    }

    enum State {
        case notStarted
        case executor(PoolRuntime)
        case worker
        case failed(PoolError)
        case finished
    }

    static let state = Mutex(State.notStarted)

    /// How long the start-up took on rank 0, workers included; 0 before it finished.
    static let startupNanos = Atomic<UInt64>(0)
    /// Set as the program exits (`exit`, or the end of `main`), before the pools drain: work
    /// submitted from then on is refused.
    static let isExiting = Atomic<Bool>(false)

    /// The status rank 0's program is exiting with, for the exit without `MPI_Finalize`.
    static let exitStatus = Atomic<Int32>(0)

    /// Set by rank 0's MPI thread when the job must end without `MPI_Finalize` (a process of the
    /// job was lost, and finalizing would wait for it forever).
    static let endsWithoutFinalize = Atomic<Bool>(false)

    /// Hosts rank 0 lost contact with, set by the MPI thread as the job ends.
    static let unreachableHosts = Mutex<[String]>([])

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
    static func finishAtExit(status: Int32) {
        isExiting.store(true, ordering: .releasing)
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

    enum StartupReport: Sendable {
        case executor(ExecutorInbox)
        case worker
        case failed(PoolError)
    }

    /// Starts the MPI thread and waits until it says what this process is.
    static func launch(requestedWorkers: Int?) -> Result<Role, PoolError> {
        if let welcomeDescriptor = SpawnedWorker.welcomeDescriptor {
            DedicatedThread.start { SpawnedWorker.run(welcomeDescriptor: welcomeDescriptor) }.detach()
            return .success(.worker)
        }
        raiseDescriptorLimit()
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
        let underLauncher = LaunchPlan.startedByLauncher || mode == .world
        // A bad SWIFTPOOL_WORKERS is refused here in the plain start; under a launcher every rank
        // reads it, so rank 0's pool refuses it (a supervisor failing here would hang the job).
        let configured: Int?
        do { configured = try LaunchPlan.configuredWorkers() } catch {
            if !underLauncher { return .failure(error) }
            configured = nil
        }
        let count = requestedWorkers ?? configured ?? LaunchPlan.defaultSpawnCount
        let thread =
            underLauncher
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
    static func ownMPI(mode: LaunchPlan.Mode, spawnCount: Int, _ tell: @Sendable (StartupReport) -> Void) {
        blockBrokenPipeSignals()
        let communicator: Communicator
        let rank: Int
        let size: Int
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
            // A launcher ends the whole job when a process exits with an error: this rank waits,
            // so that rank 0's program can report the error (naming this rank) before it does.
            sleepNanos(2_000_000_000)
            exitSupervisor(code: 1)
        }
        if rank == 0 {
            runExecutor(communicator: communicator, peers: peers, host: host, size: size, tell)
        } else {
            tell(.worker)
            runSupervisor(communicator: communicator, host: host)
        }
    }
}
