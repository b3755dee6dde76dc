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
    /// Processes in the pool's communicator, rank 0 included.
    let processCount: Int
    private let thread: DedicatedThread
    private let lastTaskID = Atomic<UInt64>(0)
    private let lastPoolID = Atomic<UInt32>(0)

    private init(executor: ExecutorLoop, processCount: Int, thread: DedicatedThread) {
        self.executor = executor
        self.processCount = processCount
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

    /// Starts the runtime on first use and says what this process is.
    static func start() throws -> Role {
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
                switch launch() {
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
        case executor(ExecutorLoop, processCount: Int)
        case worker
        case failed(PoolError)
    }

    /// Starts the MPI thread and waits until it says what this process is.
    private static func launch() -> Result<Role, PoolError> {
        let report = Mutex<StartupReport?>(nil)
        let reported = DispatchSemaphore(value: 0)
        let tell = { @Sendable (value: StartupReport) in
            report.withLock { $0 = value }
            reported.signal()
        }
        let thread = DedicatedThread.start { ownMPI(tell) }
        reported.wait()
        switch report.withLock({ $0 })! {
        case .executor(let loop, let count):
            return .success(.executor(PoolRuntime(executor: loop, processCount: count, thread: thread)))
        case .worker: return .success(.worker)
        case .failed(let error):
            thread.join()
            return .failure(error)
        }
    }

    /// The MPI thread's whole life, from `MPI_Init_thread` to `MPI_Finalize`.
    private static func ownMPI(_ tell: @Sendable (StartupReport) -> Void) {
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
            communicator = try Communicator.world.duplicate()
            rank = try communicator.rank()
            size = try communicator.size()
        } catch {
            tell(.failed(PoolError(.mpiFailure, "MPI could not start: \(error)")))
            return
        }
        let host = currentHostName()
        PoolProcess.setRank(rank)
        if let mismatch = checkSameBuild(communicator, rank: rank, host: host) {
            try? communicator.free()
            try? MPIEnvironment.finalize()
            if rank == 0 {
                tell(.failed(mismatch))
                return
            }
            exit(1)
        }
        if rank == 0 {
            let transport: ExecutorLoop.Transport =
                size > 1 ? .mpi(communicator, workerCount: size - 1) : .local(TaskRunner(rank: 0, host: host))
            let loop = ExecutorLoop(transport: transport)
            tell(.executor(loop, processCount: size))
            loop.run()
            try? communicator.free()
            try? MPIEnvironment.finalize()
        } else {
            tell(.worker)
            do {
                try WorkerLoop(communicator: communicator, runner: TaskRunner(rank: rank, host: host)).run()
            } catch {
                printToStandardError("SwiftPool worker rank \(rank) (\(host)): \(error)")
                MPIEnvironment.abort(code: 1)
            }
            try? communicator.free()
            try? MPIEnvironment.finalize()
            exit(0)
        }
    }

    /// Compares every rank's executable fingerprint with rank 0's. Returns the error on every rank
    /// when one differs, nil when all match.
    private static func checkSameBuild(_ communicator: Communicator, rank: Int, host: String) -> PoolError? {
        let hostBytes = 64
        var record = withUnsafeBytes(of: BuildFingerprint.ofExecutable().littleEndian) { Array($0) }
        record +=
            Array(host.utf8.prefix(hostBytes)) + Array(repeating: 0, count: hostBytes - min(host.utf8.count, hostBytes))
        do {
            let all = try communicator.gather(record, root: 0)
            var verdict = [UInt8](repeating: 0, count: 8)
            if rank == 0 {
                let size = all.count / record.count
                func fingerprint(_ index: Int) -> UInt64 {
                    all.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: index * record.count, as: UInt64.self) }
                }
                let firstDifferent = (1..<max(size, 1)).first { fingerprint($0) != fingerprint(0) } ?? 0
                verdict = withUnsafeBytes(of: UInt64(firstDifferent).littleEndian) { Array($0) }
                try communicator.broadcast(&verdict, root: 0)
                guard firstDifferent != 0 else { return nil }
                let start = firstDifferent * record.count + 8
                let otherHost = String(decoding: all[start..<start + hostBytes].prefix { $0 != 0 }, as: UTF8.self)
                return PoolError(
                    .differentBuilds,
                    "rank \(firstDifferent) on host \(otherHost) runs a different build of the program than rank 0 on "
                        + "host \(host) (\(BuildFingerprint.executablePath)); workers find functions by type name, so "
                        + "every rank must run the same executable: copy the one binary to every host and start it again"
                )
            }
            try communicator.broadcast(&verdict, root: 0)
            let firstDifferent = verdict.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            guard firstDifferent != 0 else { return nil }
            if Int(firstDifferent) == rank {
                printToStandardError("SwiftPool: rank \(rank) on \(host) runs a different build than rank 0; exiting")
            }
            return PoolError(.differentBuilds, "rank \(firstDifferent) runs a different build than rank 0")
        } catch {
            return PoolError(.mpiFailure, "the start-up build check failed: \(error)")
        }
    }
}
