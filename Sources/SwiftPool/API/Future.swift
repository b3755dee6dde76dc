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
    // The state is not generic over `Value`, so the hot paths need no generic metadata at run
    // time; the value is cast back to `Value` when read.
    private let state = Mutex(FutureState())
    /// Set once the future is done; lets a waiter spin without taking the lock.
    private let isResolved = Atomic<Bool>(false)
    /// The pool's count of unfinished futures, told when this one finishes.
    let tracker: OutstandingTasks?
    /// The progress this task counts toward, and how many items it stands for there.
    let progress: TaskProgress?
    let items: Int

    init(tracker: OutstandingTasks?, progress: TaskProgress? = nil, items: Int = 1) {
        self.tracker = tracker
        self.progress = progress
        self.items = items
        progress?.queued(items)
    }

    // MARK: State

    /// Whether the future was cancelled before it ran (`Future.cancelled()`).
    public var isCancelled: Bool { state.withLock { $0.phase == .cancelled } }

    /// Whether a worker is running the task now (`Future.running()`).
    public var isRunning: Bool { state.withLock { $0.phase == .running } }

    /// Whether the future finished with an error (cancellation is not one).
    var hasFailed: Bool { state.withLock { if case .failure = $0.outcome { true } else { false } } }

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
                return .cancelledNow(state.takeWakeups())
            case .cancelled: return .alreadyCancelled
            case .running, .finished: return .tooLate
            }
        }
        switch outcome {
        case .cancelledNow(let wakeups):
            progress?.cancelled(items)
            didResolve(wakeups)
            return true
        case .alreadyCancelled: return true
        case .tooLate: return false
        }
    }

    private enum CancelOutcome {
        case cancelledNow(FutureWakeups)
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
        return try outcome()
    }

    /// The task's value, awaited without blocking a thread.
    ///
    /// Cancelling the awaiting Swift task stops the wait with `CancellationError`; the pool task
    /// itself goes on.
    public var value: Value {
        get async throws {
            if !isDone {
                // Nil when the awaiting task is cancelled, including before the wait began.
                let resolved = await Suspension<Bool>.wait { suspension in
                    state.withLock { state -> Bool? in
                        if state.phase.isDone { return true }
                        state.waiters.append(.task(suspension))
                        return nil
                    }
                }
                if resolved == nil { throw CancellationError() }
            }
            return try outcome()
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
            if state.phase == .cancelled { throw PoolError.cancelled }
            if case .failure(let error) = state.outcome { return error }
            return nil
        }
    }

    /// Calls `callback` with this future once it is done (`Future.add_done_callback`).
    ///
    /// Each callback runs exactly once: at once on the calling thread if the future is already
    /// done, otherwise on SwiftPool's callback queue, in the order added. A callback that throws is
    /// logged and does not stop the others. The pool's shutdown waits for callbacks to finish.
    public func addDoneCallback(_ callback: @escaping @Sendable (Future<Value>) throws -> Void) {
        let call = { @Sendable [self] in
            do {
                try callback(self)
            } catch {
                RuntimeLog.error("a done callback of \(self) threw \(type(of: error)): \(error)")
            }
        }
        let runNow = state.withLock { state -> Bool in
            if state.phase.isDone { return true }
            state.callbacks.append(call)
            return false
        }
        if runNow { call() }
    }

    /// The future's state, and its value or error once finished.
    public var description: String {
        state.withLock { state in
            switch (state.phase, state.outcome) {
            case (.queued, _): "Future(queued)"
            case (.running, _): "Future(running)"
            case (.cancelled, _): "Future(cancelled)"
            case (.finished, .success(let value)?): "Future(finished: \(value))"
            case (.finished, .failure(let error)?): "Future(failed: \(error))"
            case (.finished, nil): "Future(finished)"
            }
        }
    }

    /// Futures are equal only to themselves.
    public static func == (lhs: Future, rhs: Future) -> Bool { lhs === rhs }
    /// Hashes the future's identity.
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    // MARK: Waiting

    private func outcome() throws -> Value {
        let outcome = state.withLock { state -> Swift.Result<any Sendable, any Error> in
            if state.phase == .cancelled { return .failure(PoolError.cancelled) }
            return state.outcome!
        }
        return try outcome.get() as! Value
    }

    /// Blocks until done. Spins briefly first, yielding the core: a fast task answers in
    /// microseconds, sooner than a sleeping thread can be woken.
    private func waitUntilDone(timeout: Duration?) throws {
        if isDone { return }
        let deadline = Deadline(after: timeout)
        let spinUntil = monotonicNanos() &+ PoolSettings.resultSpinNanos
        while monotonicNanos() < spinUntil {
            if isDone { return }
            if deadline.hasPassed { break }
            sched_yield()
        }
        let semaphore = DispatchSemaphore(value: 0)
        let id = UInt64.random(in: 0...UInt64.max)
        let registered = state.withLock { state -> Bool in
            if state.phase.isDone { return false }
            state.waiters.append(.thread(id, semaphore))
            return true
        }
        guard registered else { return }
        let timeoutTime: DispatchTime =
            deadline.remaining.map { .now() + .nanoseconds(Int(clamping: $0)) } ?? .distantFuture
        if semaphore.wait(timeout: timeoutTime) == .timedOut {
            if state.withLock({ $0.removeWaiter(id) }) != nil {
                throw PoolError.timedOut("the task", after: timeout ?? .zero)
            }
            // Resolved just as the wait timed out: the resolver has signalled or is about to.
            semaphore.wait()
        }
    }

    // MARK: Resolving (SwiftPool internal)

    /// Moves a queued future to running; false when it was cancelled meanwhile.
    func markRunning() -> Bool {
        let started = state.withLock { state in
            guard state.phase == .queued else { return false }
            state.phase = .running
            return true
        }
        if started { progress?.started(items) }
        return started
    }

    /// Settles the future unless it is already done; returns whether this call settled it.
    @discardableResult
    func resolve(_ outcome: Swift.Result<Value, any Error>) -> Bool {
        let boxed: Swift.Result<any Sendable, any Error> =
            switch outcome {
            case .success(let value): .success(value)
            case .failure(let error): .failure(error)
            }
        let settled = state.withLock { state -> (FutureWakeups, wasRunning: Bool)? in
            if state.phase.isDone { return nil }
            let wasRunning = state.phase == .running
            state.phase = .finished
            state.outcome = boxed
            return (state.takeWakeups(), wasRunning)
        }
        guard let (wakeups, wasRunning) = settled else { return false }
        if let progress {
            let failed = if case .failure = outcome { true } else { false }
            progress.settled(items, failed: failed, wasRunning: wasRunning)
        }
        didResolve(wakeups)
        return true
    }

    /// Registers an action that runs on the resolving thread the moment the future is done (or
    /// at once if it is). Actions must be quick and must not block.
    func onResolved(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.phase.isDone { return true }
            state.waiters.append(.action(action))
            return false
        }
        if runNow { action() }
    }

    private func didResolve(_ wakeups: FutureWakeups) {
        isResolved.store(true, ordering: .releasing)
        for waiter in wakeups.waiters { waiter.wake() }
        let callbacks = wakeups.callbacks
        if !callbacks.isEmpty {
            tracker?.callbackStarted()
            let tracker = tracker
            CallbackQueue.queue.async {
                for callback in callbacks { callback() }
                tracker?.callbackFinished()
            }
        }
        tracker?.taskFinished()
    }
}
