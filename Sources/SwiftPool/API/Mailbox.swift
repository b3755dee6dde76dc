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
        var waiter: CheckedContinuation<Element?, Never>?
        var waiterID: UInt64 = 0
    }

    private let state = Mutex(State())

    func push(_ element: Element) {
        let waiter = state.withLock { state -> CheckedContinuation<Element?, Never>? in
            guard let waiter = state.waiter else {
                state.ready.append(element)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: element)
    }

    /// The next value, waiting for it if none has arrived.
    func next(deadline: Deadline = Deadline(after: nil)) async -> Received {
        if let element = state.withLock({ $0.ready.popFirst() }) { return .value(element) }
        if deadline.hasPassed { return .timedOut }
        let id = UInt64.random(in: 1...UInt64.max)
        let element = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let ready = state.withLock { state -> Element? in
                    if let element = state.ready.popFirst() { return element }
                    state.waiter = continuation
                    state.waiterID = id
                    return nil
                }
                if let ready { return continuation.resume(returning: ready) }
                // A cancellation that came before the waiter was in place would find nobody.
                if Task.isCancelled { return expire(waiter: id) }
                if let remaining = deadline.remaining {
                    DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: remaining))) {
                        self.expire(waiter: id)
                    }
                }
            }
        } onCancel: {
            expire(waiter: id)
        }
        if let element { return .value(element) }
        return Task.isCancelled ? .cancelled : .timedOut
    }

    /// Wakes the waiter `id` empty-handed, if it is still waiting.
    private func expire(waiter id: UInt64) {
        state.withLock { state -> CheckedContinuation<Element?, Never>? in
            guard state.waiterID == id, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }?.resume(returning: nil)
    }
}
