import CLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT (Ctrl-C) and SIGTERM (Slurm's walltime warning, `scancel`, `kill`) on rank 0.
///
/// The first such signal interrupts the pools: queued tasks are cancelled, running ones fail,
/// every later call fails, and an async `run`'s body is cancelled, so the program can save what
/// it has. The program then has ``graceSeconds`` to exit; past that, or on a second signal, the
/// process exits at once. Either way its status is 128 + the signal unless it chose another
/// non-zero one.
enum Interruption {
    private static let received = Atomic<Int32>(0)
    private static let installed = Mutex(false)
    private static let bodies = Mutex<[UInt64: CancellableTask]>([:])
    private static let nextBody = Atomic<UInt64>(0)

    /// The signal that interrupted this process's pools, if one has.
    static var signal: Int32? {
        let value = received.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    /// How long the program has after the signal.
    static var graceSeconds: Double { PoolSettings.interruptGraceSeconds }

    /// Starts handling SIGINT and SIGTERM on rank 0: `interrupt` reaches the scheduler.
    ///
    /// A real handler, not `SIG_IGN` with a dispatch source: an ignored signal stays ignored in
    /// every process the program starts, a handler does not. The handler only writes the signal's
    /// number to a pipe; a thread of ours reads it and does the rest.
    static func install(interrupt: @escaping @Sendable (Int32) -> Void) {
        installed.withLock { installed in
            guard !installed else { return }
            var ends: [Int32] = [0, 0]
            guard pipe2(&ends, O_CLOEXEC) == 0 else { return }
            signalPipeWriteEnd = ends[1]
            let readEnd = ends[0]
            DedicatedThread.start(stackBytes: 256 * 1024) {
                var number: UInt8 = 0
                while read(readEnd, &number, 1) == 1 { handle(Int32(number), interrupt: interrupt) }
            }.detach()
            for number in [SIGINT, SIGTERM] {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = { number in
                    var byte = UInt8(truncatingIfNeeded: number)
                    _ = write(signalPipeWriteEnd, &byte, 1)
                }
                sigemptyset(&action.sa_mask)
                action.sa_flags = SA_RESTART
                sigaction(number, &action, nil)
            }
            installed = true
        }
    }

    private static func handle(_ number: Int32, interrupt: @Sendable (Int32) -> Void) {
        let name = number == SIGINT ? "SIGINT" : "SIGTERM"
        guard received.compareExchange(expected: 0, desired: number, ordering: .acquiringAndReleasing).exchanged
        else {
            RuntimeLog.warning("\(name) again; exiting now")
            exitNow(128 + received.load(ordering: .acquiring))
        }
        RuntimeLog.warning(
            "\(name): queued tasks are cancelled and running ones stopped; the program has "
                + "\(graceSeconds) s to save what it has and exit (\(name) again exits at once)")
        // Recorded now, not only at exit: a launcher may kill this process before it gets there.
        LaunchPlan.recordExitStatus(128 + number)
        // Bodies first: a body woken by its failed map must already see its task cancelled.
        for body in bodies.withLock({ Array($0.values) }) { body.cancel() }
        interrupt(number)
        DedicatedThread.start(stackBytes: 256 * 1024) {
            sleepNanos(UInt64(graceSeconds * 1e9))
            RuntimeLog.warning("the program did not exit within \(graceSeconds) s of \(name); exiting")
            exitNow(128 + number)
        }.detach()
    }

    /// What the interrupted pools' tasks and calls fail with.
    static func error(signal: Int32) -> PoolError {
        PoolError(
            .cancelled,
            "the pool was interrupted by \(signal == SIGINT ? "SIGINT" : "SIGTERM"); save what you have and exit "
                + "(MPIPoolExecutor.interruptingSignal says which signal)")
    }

    /// Ends the process without waiting for anything, recording its status for the batch script.
    private static func exitNow(_ status: Int32) -> Never {
        LaunchPlan.recordExitStatus(status)
        fflush(nil)
        _exit(status)
    }

    /// The exit status for a program that exits with `status` after an interruption.
    static func exitStatus(after status: Int32) -> Int32? {
        guard let signal else { return nil }
        return status == 0 ? 128 + signal : status
    }

    /// Runs `body` so that an interruption cancels the Swift task running it.
    static func cancellingOnSignal<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async rethrows -> T {
        let id = nextBody.add(1, ordering: .relaxed).newValue
        withUnsafeCurrentTask { task in
            guard let task else { return }
            bodies.withLock { $0[id] = CancellableTask(task) }
            if signal != nil { task.cancel() }
        }
        defer { _ = bodies.withLock { $0.removeValue(forKey: id) } }
        return try await body()
    }
}

/// A running Swift task that a signal handler may cancel. `@unchecked Sendable`: it is held only
/// while the task runs its body (``Interruption/cancellingOnSignal(isolation:_:)`` removes it
/// before returning), and cancelling a task is safe from any thread.
private final class CancellableTask: @unchecked Sendable {
    private let task: UnsafeCurrentTask

    init(_ task: UnsafeCurrentTask) { self.task = task }

    func cancel() { task.cancel() }
}

/// Where rank 0's signal handler writes; set once before the handler is installed, and only read
/// by it (a plain global: the handler may not take locks or run lazy initializers).
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1
