import DequeModule
import Dispatch
import Synchronization

/// When ``wait(_:timeout:returnWhen:)`` returns (`concurrent.futures.FIRST_COMPLETED`, ...).
public enum ReturnWhen: Sendable {
    /// As soon as any future finishes or is cancelled.
    case firstCompleted
    /// As soon as any future fails; like ``allCompleted`` if none does.
    case firstException
    /// When every future has finished or been cancelled.
    case allCompleted
}

/// The futures that are done and those that are not, as ``wait(_:timeout:returnWhen:)`` found them.
public struct WaitResult<Value: Sendable>: Sendable {
    /// Futures that finished or were cancelled.
    public var done: Set<Future<Value>>
    /// Futures still queued or running.
    public var notDone: Set<Future<Value>>
}

/// Blocks until the futures meet `returnWhen` or `timeout` passes, then says which are done
/// (`concurrent.futures.wait`). A timeout is not an error: check ``WaitResult/notDone``.
@available(*, noasync, message: "blocks the thread; use asCompleted(_:timeout:) in async code")
public func wait<Value>(
    _ futures: some Sequence<Future<Value>>, timeout: Duration? = nil, returnWhen: ReturnWhen = .allCompleted
) -> WaitResult<Value> {
    let all = Set(futures)
    let semaphore = DispatchSemaphore(value: 0)
    let progress = Mutex((remaining: all.count, signalled: false))
    let signalOnce = { @Sendable in
        let first = progress.withLock { state -> Bool in
            defer { state.signalled = true }
            return !state.signalled
        }
        if first { semaphore.signal() }
    }
    for future in all {
        future.onResolved {
            let remaining = progress.withLock { state -> Int in
                state.remaining -= 1
                return state.remaining
            }
            switch returnWhen {
            case .firstCompleted: signalOnce()
            case .firstException: if remaining == 0 || future.hasFailed { signalOnce() }
            case .allCompleted: if remaining == 0 { signalOnce() }
            }
        }
    }
    if !all.isEmpty {
        let deadline: DispatchTime =
            timeout.map { .now() + .nanoseconds(Int(clamping: $0.wholeNanoseconds)) } ?? .distantFuture
        _ = semaphore.wait(timeout: deadline)
    }
    var result = WaitResult<Value>(done: [], notDone: [])
    for future in all {
        if future.isDone { result.done.insert(future) } else { result.notDone.insert(future) }
    }
    return result
}

/// The futures in the order they finish, as an `AsyncSequence` (`concurrent.futures.as_completed`).
///
/// Futures already done come first. Iteration throws ``PoolError/Code/timedOut`` if `timeout`,
/// counted from this call, passes before every future is done.
public func asCompleted<Value>(_ futures: some Sequence<Future<Value>>, timeout: Duration? = nil) -> AsCompleted<Value>
{
    AsCompleted(futures: Array(Set(futures)), deadline: Deadline(after: timeout), timeout: timeout)
}

/// Futures in the order they finish; see ``asCompleted(_:timeout:)``.
public struct AsCompleted<Value: Sendable>: AsyncSequence, Sendable {
    /// Each element is a future that is done.
    public typealias Element = Future<Value>

    let futures: [Future<Value>]
    let deadline: Deadline
    let timeout: Duration?

    /// Starts listening for the futures to finish.
    public func makeAsyncIterator() -> Iterator {
        let channel = CompletionChannel<Value>(expected: futures.count)
        for future in futures { future.onResolved { channel.push(future) } }
        return Iterator(channel: channel, deadline: deadline, timeout: timeout)
    }

    /// Hands out futures as they finish.
    public struct Iterator: AsyncIteratorProtocol {
        let channel: CompletionChannel<Value>
        let deadline: Deadline
        let timeout: Duration?

        /// The next future to finish; nil when all have been handed out.
        public mutating func next() async throws -> Future<Value>? {
            try await channel.next(deadline: deadline, timeout: timeout)
        }
    }
}

/// Futures pushed as they finish, handed to one awaiting reader at a time, with a deadline.
final class CompletionChannel<Value: Sendable>: Sendable {
    private struct State {
        var ready = Deque<Future<Value>>()
        var remaining: Int
        var waiter: CheckedContinuation<Future<Value>?, Never>?
        var waiterID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(expected: Int) { state = Mutex(State(remaining: expected)) }

    func push(_ future: Future<Value>) {
        let waiter = state.withLock { state -> CheckedContinuation<Future<Value>?, Never>? in
            state.remaining -= 1
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.ready.append(future)
            return nil
        }
        waiter?.resume(returning: future)
    }

    func next(deadline: Deadline, timeout: Duration?) async throws -> Future<Value>? {
        let immediate = state.withLock { state -> Future<Value>?? in
            if let future = state.ready.popFirst() { return .some(future) }
            if state.remaining == 0 { return .some(nil) }
            return nil
        }
        if let immediate { return immediate }
        if deadline.hasPassed { throw PoolError.timedOut("as-completed iteration", after: timeout ?? .zero) }
        let id = UInt64.random(in: 1...UInt64.max)
        let future = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Future<Value>?, Never>) in
                let ready = state.withLock { state -> Future<Value>? in
                    if let future = state.ready.popFirst() { return future }
                    state.waiter = continuation
                    state.waiterID = id
                    return nil
                }
                if let ready {
                    continuation.resume(returning: ready)
                } else if let remaining = deadline.remaining {
                    DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: remaining))) {
                        self.expire(waiter: id)
                    }
                }
            }
        } onCancel: {
            expire(waiter: id)
        }
        guard let future else {
            try Task.checkCancellation()
            throw PoolError.timedOut("as-completed iteration", after: timeout ?? .zero)
        }
        return future
    }

    /// Wakes the waiter `id` empty-handed, if it is still waiting.
    private func expire(waiter id: UInt64) {
        state.withLock { state -> CheckedContinuation<Future<Value>?, Never>? in
            guard state.waiterID == id, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }?.resume(returning: nil)
    }
}
