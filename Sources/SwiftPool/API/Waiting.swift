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
        let finished = Mailbox<Future<Value>>()
        for future in futures { future.onResolved { finished.push(future) } }
        return Iterator(
            finished: finished, remaining: futures.count, total: futures.count, deadline: deadline, timeout: timeout)
    }

    /// Hands out futures as they finish.
    public struct Iterator: AsyncIteratorProtocol {
        let finished: Mailbox<Future<Value>>
        var remaining: Int
        let total: Int
        let deadline: Deadline
        let timeout: Duration?

        /// The next future to finish; nil when all have been handed out.
        public mutating func next() async throws -> Future<Value>? {
            guard remaining > 0 else { return nil }
            switch await finished.next(deadline: deadline) {
            case .value(let future):
                remaining -= 1
                return future
            case .cancelled: throw CancellationError()
            case .timedOut:
                throw PoolError.timedOut(
                    "as-completed iteration", after: timeout ?? .zero, unfinished: remaining, of: total,
                    counting: "futures", then: "they keep running; wait again or raise the timeout")
            }
        }
    }
}
