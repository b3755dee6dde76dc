import DequeModule
import Dispatch
import Synchronization

/// Values pushed from any thread, handed in arrival order to one awaiting reader at a time; the
/// wait ends early at a deadline or when the awaiting Swift task is cancelled.
final class Mailbox<Element: Sendable>: Sendable {
    /// What a wait ended with.
    enum Received {
        case value(Element)
        case timedOut
        case cancelled
    }

    private struct State {
        var ready = Deque<Element>()
        var waiter: Suspension<Element>?
    }

    private let state = Mutex(State())

    func push(_ element: Element) {
        state.withLock { state in
            // A waiter that already ended (cancelled, timed out) takes nothing.
            if let waiter = state.waiter {
                state.waiter = nil
                if waiter.resume(element) { return }
            }
            state.ready.append(element)
        }
    }

    /// The next value, waiting for it if none has arrived.
    func next(deadline: Deadline = Deadline(after: nil)) async -> Received {
        if let element = state.withLock({ $0.ready.popFirst() }) { return .value(element) }
        if deadline.hasPassed { return .timedOut }
        let element = await Suspension<Element>.wait(deadline: deadline) { suspension in
            state.withLock { state in
                if let element = state.ready.popFirst() { return element }
                state.waiter = suspension
                return nil
            }
        }
        if let element { return .value(element) }
        return Task.isCancelled ? .cancelled : .timedOut
    }
}
