import Dispatch
import Synchronization

/// How a suspended Swift task is woken: the one way to wait that `Future.value` and
/// `Mailbox.next` share. The first ``resume(_:)`` wins: a value handed in by another thread, or
/// nil when the task is cancelled or its deadline passes; later calls do nothing. A deadline's timer
/// is cancelled as soon as the wait ends, so long timeouts do not pile up timers.
final class Suspension<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value?, Never>?
        /// Set once resumed; holds the outcome when it came before the continuation was in place.
        var outcome: Value??
        var timer: DeadlineTimer?
    }

    private let state = Mutex(State())

    /// Deadline timers armed and not yet fired or cancelled, in this process (for tests).
    static var liveTimers: Int { SuspensionTimers.live.load(ordering: .relaxed) }

    /// Suspends the calling task until someone resumes it. `register` runs with the suspension in
    /// place and either returns a value at once or hands the suspension to whoever will resume it.
    /// Returns nil when the task was cancelled (before or during the wait) or `deadline` passed.
    static func wait(
        deadline: Deadline = Deadline(after: nil), isolation: isolated (any Actor)? = #isolation,
        register: (Suspension<Value>) -> Value?
    ) async -> Value? {
        let suspension = Suspension<Value>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                suspension.install(continuation)
                if let ready = register(suspension) {
                    suspension.resume(ready)
                } else if Task.isCancelled {
                    // Cancelled before the wait began: the cancellation handler found nobody.
                    suspension.resume(nil)
                } else if let remaining = deadline.remaining {
                    suspension.armTimer(nanos: remaining)
                }
            }
        } onCancel: {
            suspension.resume(nil)
        }
    }

    /// Wakes the task with `value` (nil: cancelled or timed out); false if it was already woken.
    @discardableResult
    func resume(_ value: Value?) -> Bool {
        let woken = state.withLock { state -> (CheckedContinuation<Value?, Never>?, DeadlineTimer?)? in
            guard state.outcome == nil else { return nil }
            state.outcome = .some(value)
            defer {
                state.continuation = nil
                state.timer = nil
            }
            return (state.continuation, state.timer)
        }
        guard let (continuation, timer) = woken else { return false }
        if let timer {
            timer.cancel()
            SuspensionTimers.live.subtract(1, ordering: .relaxed)
        }
        continuation?.resume(returning: value)
        return true
    }

    private func install(_ continuation: CheckedContinuation<Value?, Never>) {
        let early = state.withLock { state -> Value?? in
            guard let outcome = state.outcome else {
                state.continuation = continuation
                return nil
            }
            return .some(outcome)
        }
        if let early { continuation.resume(returning: early) }
    }

    private func armTimer(nanos: UInt64) {
        let timer = DeadlineTimer(nanos: nanos) { [weak self] in
            guard let self, self.takeTimer() else { return }
            SuspensionTimers.live.subtract(1, ordering: .relaxed)
            self.resume(nil)
        }
        let armed = state.withLock { state -> Bool in
            guard state.outcome == nil else { return false }
            state.timer = timer
            return true
        }
        guard armed else { return }
        SuspensionTimers.live.add(1, ordering: .relaxed)
        timer.start()
    }

    /// The timer fired: takes it out, so `resume` does not count it again.
    private func takeTimer() -> Bool {
        state.withLock { state in
            guard state.timer != nil else { return false }
            state.timer = nil
            return true
        }
    }
}

private enum SuspensionTimers {
    static let live = Atomic<Int>(0)
}

/// A one-shot timer that can be taken back: cancelling a dispatch source removes it from the
/// queue's timers at once (a cancelled `asyncAfter` item would stay until its deadline).
/// `@unchecked Sendable`: dispatch sources are thread-safe, and `source` never changes.
private final class DeadlineTimer: @unchecked Sendable {
    private let source: any DispatchSourceTimer
    /// A new source is suspended, and one released while suspended is a crash: whichever of
    /// `start` and `cancel` comes first resumes it, exactly once.
    private let resumed = Atomic<Bool>(false)

    init(nanos: UInt64, handler: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(queue: .global())
        source.schedule(deadline: .now() + .nanoseconds(Int(clamping: nanos)))
        source.setEventHandler(handler: handler)
    }

    func start() {
        if !resumed.exchange(true, ordering: .acquiringAndReleasing) { source.resume() }
    }

    func cancel() {
        source.cancel()
        start()
    }

    // A timer dropped without being started (the wait ended first) must still be resumed.
    deinit { cancel() }
}
