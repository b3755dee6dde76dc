import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The eventual result of a task submitted to a pool, like `concurrent.futures.Future`.
///
/// A future starts queued, becomes running when a worker takes its task, and ends finished (with a
/// value or an error) or cancelled; it resolves exactly once. Read it by blocking with
/// ``result(timeout:)`` or by awaiting ``value``; react to it with ``addDoneCallback(_:)``.
public final class Future<Value: Sendable>: Sendable, Hashable, CustomStringConvertible {
    private let state = Mutex(FutureState<Value>())
    /// Set once the future is done; lets a waiter spin without taking the lock.
    private let isResolved = Atomic<Bool>(false)
    /// The pool's count of unfinished futures, told when this one finishes.
    let tracker: OutstandingTasks?

    init(tracker: OutstandingTasks?) {
        self.tracker = tracker
    }

    // MARK: State

    /// Whether the future was cancelled before it ran (`Future.cancelled()`).
    public var isCancelled: Bool { state.withLock { if case .cancelled = $0.phase { true } else { false } } }

    /// Whether a worker is running the task now (`Future.running()`).
    public var isRunning: Bool { state.withLock { if case .running = $0.phase { true } else { false } } }

    /// Whether the future finished with an error (cancellation is not one).
    var hasFailed: Bool { state.withLock { if case .finished(.failure) = $0.phase { true } else { false } } }

    /// Whether the future has finished or been cancelled (`Future.done()`).
    public var isDone: Bool { isResolved.load(ordering: .acquiring) }

    /// Cancels the task if it has not started (`Future.cancel()`).
    ///
    /// - Returns: `true` when the future is now cancelled (it was still queued, or already
    ///   cancelled); `false` when the task is running or done.
    @discardableResult
    public func cancel() -> Bool {
        let outcome = state.withLock { state -> CancelOutcome in
            switch state.phase {
            case .queued:
                state.phase = .cancelled
                return .cancelledNow(state.takeWaiters())
            case .cancelled: return .alreadyCancelled
            case .running, .finished: return .tooLate
            }
        }
        switch outcome {
        case .cancelledNow(let waiters):
            didResolve(waiters)
            return true
        case .alreadyCancelled: return true
        case .tooLate: return false
        }
    }

    private enum CancelOutcome {
        case cancelledNow(FutureWaiters<Value>)
        case alreadyCancelled
        case tooLate
    }

    // MARK: Reading

    /// Waits for the task and returns its value (`Future.result(timeout)`).
    ///
    /// - Throws: the task's error (a ``RemoteError`` when the function threw, a ``PoolError`` when
    ///   the pool could not run it), ``PoolError/Code/cancelled`` if the future was cancelled, or
    ///   ``PoolError/Code/timedOut`` if `timeout` passes first.
    @available(*, noasync, message: "blocks the thread; use `await future.value` in async code")
    public func result(timeout: Duration? = nil) throws -> Value {
        try waitUntilDone(timeout: timeout)
        return try state.withLock { try $0.outcome() }
    }

    /// The task's value, awaited without blocking a thread.
    ///
    /// Cancelling the awaiting Swift task stops the wait with `CancellationError`; the pool task
    /// itself goes on.
    public var value: Value {
        get async throws {
            if !isDone {
                let id = UInt64.random(in: 0...UInt64.max)
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.phase.isDone { return true }
                            state.waiters.continuations[id] = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    state.withLock { $0.waiters.continuations.removeValue(forKey: id) }?.resume()
                }
                try Task.checkCancellation()
            }
            return try state.withLock { try $0.outcome() }
        }
    }

    /// Waits for the task and returns the error it ended with, or nil if it succeeded
    /// (`Future.exception(timeout)`).
    ///
    /// - Throws: ``PoolError/Code/cancelled`` if the future was cancelled, or
    ///   ``PoolError/Code/timedOut`` if `timeout` passes first.
    @available(*, noasync, message: "blocks the thread; use `await future.value` in async code")
    public func error(timeout: Duration? = nil) throws -> (any Error)? {
        try waitUntilDone(timeout: timeout)
        return try state.withLock { state -> (any Error)? in
            switch state.phase {
            case .finished(.failure(let error)): return error
            case .cancelled: throw PoolError.cancelled
            default: return nil
            }
        }
    }

    /// Calls `callback` with this future once it is done (`Future.add_done_callback`).
    ///
    /// Each callback runs exactly once: at once on the calling thread if the future is already
    /// done, otherwise on SwiftPool's callback queue, in the order added. A callback that throws is
    /// logged and does not stop the others. The pool's shutdown waits for callbacks to finish.
    public func addDoneCallback(_ callback: @escaping @Sendable (Future<Value>) throws -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.phase.isDone { return true }
            state.waiters.callbacks.append(callback)
            return false
        }
        if runNow { Self.invoke(callback, with: self) }
    }

    /// The future's state, and its value or error once finished.
    public var description: String {
        state.withLock { state in
            switch state.phase {
            case .queued: "Future(queued)"
            case .running: "Future(running)"
            case .cancelled: "Future(cancelled)"
            case .finished(.success(let value)): "Future(finished: \(value))"
            case .finished(.failure(let error)): "Future(failed: \(error))"
            }
        }
    }

    /// Futures are equal only to themselves.
    public static func == (lhs: Future, rhs: Future) -> Bool { lhs === rhs }
    /// Hashes the future's identity.
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    // MARK: Waiting

    /// Blocks until done. Spins briefly first: a fast task answers in microseconds, sooner than a
    /// sleeping thread can be woken.
    private func waitUntilDone(timeout: Duration?) throws {
        if isDone { return }
        let deadline = Deadline(after: timeout)
        let spinUntil = monotonicNanos() &+ Self.spinNanos
        while monotonicNanos() < spinUntil {
            if isDone { return }
            if deadline.hasPassed { break }
            sched_yield()
        }
        let semaphore = DispatchSemaphore(value: 0)
        let id = UInt64.random(in: 0...UInt64.max)
        let registered = state.withLock { state -> Bool in
            if state.phase.isDone { return false }
            state.waiters.threads[id] = semaphore
            return true
        }
        guard registered else { return }
        let timeoutTime: DispatchTime =
            deadline.remaining.map { .now() + .nanoseconds(Int(clamping: $0)) } ?? .distantFuture
        if semaphore.wait(timeout: timeoutTime) == .timedOut {
            let stillWaiting = state.withLock { $0.waiters.threads.removeValue(forKey: id) } != nil
            if stillWaiting { throw PoolError.timedOut("the task", after: timeout ?? .zero) }
            // Resolved just as the wait timed out: the resolver has signalled or is about to.
            semaphore.wait()
        }
    }

    /// How long a blocking read spins before it sleeps.
    static var spinNanos: UInt64 { resultSpinNanos }

    // MARK: Resolving (SwiftPool internal)

    /// Moves a queued future to running; false when it was cancelled meanwhile.
    func markRunning() -> Bool {
        state.withLock { state in
            guard case .queued = state.phase else { return false }
            state.phase = .running
            return true
        }
    }

    /// Settles the future unless it is already done; returns whether this call settled it.
    @discardableResult
    func resolve(_ outcome: Swift.Result<Value, any Error>) -> Bool {
        let waiters = state.withLock { state -> FutureWaiters<Value>? in
            if state.phase.isDone { return nil }
            state.phase = .finished(outcome)
            return state.takeWaiters()
        }
        guard let waiters else { return false }
        didResolve(waiters)
        return true
    }

    /// Registers an action that runs on the resolving thread the moment the future is done (or
    /// at once if it is). Actions must be quick and must not block.
    func onResolved(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.phase.isDone { return true }
            state.waiters.actions.append(action)
            return false
        }
        if runNow { action() }
    }

    private func didResolve(_ waiters: FutureWaiters<Value>) {
        isResolved.store(true, ordering: .releasing)
        for semaphore in waiters.threads.values { semaphore.signal() }
        for continuation in waiters.continuations.values { continuation.resume() }
        for action in waiters.actions { action() }
        if !waiters.callbacks.isEmpty {
            tracker?.callbackStarted()
            CallbackQueue.queue.async { [self] in
                for callback in waiters.callbacks { Self.invoke(callback, with: self) }
                tracker?.callbackFinished()
            }
        }
        tracker?.taskFinished()
    }

    private static func invoke(_ callback: @Sendable (Future<Value>) throws -> Void, with future: Future<Value>) {
        do {
            try callback(future)
        } catch {
            CallbackQueue.logger.error("a done callback of \(future) threw \(type(of: error)): \(error)")
        }
    }
}

/// Where done callbacks run: one serial queue per process, so callbacks never stall the thread
/// that owns MPI and never run two at once.
enum CallbackQueue {
    static let queue = DispatchQueue(label: "SwiftPool.callbacks")
    static let logger = Logger(label: "SwiftPool")
}

enum FuturePhase<Value: Sendable> {
    case queued, running, cancelled
    case finished(Swift.Result<Value, any Error>)

    var isDone: Bool {
        switch self {
        case .queued, .running: false
        case .cancelled, .finished: true
        }
    }
}

/// Everyone to tell when a future is done.
struct FutureWaiters<Value: Sendable> {
    var threads: [UInt64: DispatchSemaphore] = [:]
    var continuations: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var actions: [@Sendable () -> Void] = []
    var callbacks: [@Sendable (Future<Value>) throws -> Void] = []
}

struct FutureState<Value: Sendable> {
    var phase = FuturePhase<Value>.queued
    var waiters = FutureWaiters<Value>()

    mutating func takeWaiters() -> FutureWaiters<Value> {
        defer { waiters = FutureWaiters() }
        return waiters
    }

    func outcome() throws -> Value {
        switch phase {
        case .finished(.success(let value)): return value
        case .finished(.failure(let error)): throw error
        case .cancelled: throw PoolError.cancelled
        case .queued, .running: preconditionFailure("read before the future was done")
        }
    }
}

/// How long a blocking read spins; `SWIFTPOOL_RESULT_SPIN_US` overrides it.
let resultSpinNanos: UInt64 = {
    guard let text = getenv("SWIFTPOOL_RESULT_SPIN_US"), let micros = UInt64(String(cString: text)) else {
        return 20_000
    }
    return micros * 1000
}()
