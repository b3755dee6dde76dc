import Dispatch

/// Where done callbacks run: one serial queue per process, so callbacks never stall the thread
/// that owns MPI and never run two at once.
enum CallbackQueue {
    static let queue = DispatchQueue(label: "SwiftPool.callbacks")
}

enum FuturePhase {
    case queued, running, finished, cancelled

    var isDone: Bool { self == .finished || self == .cancelled }
}

/// Someone waiting for a future: a blocked thread, a suspended task, or an internal action.
enum FutureWaiter: Sendable {
    case thread(UInt64, DispatchSemaphore)
    case task(Suspension<Bool>)
    case action(@Sendable () -> Void)

    var id: UInt64? {
        switch self {
        case .thread(let id, _): id
        case .task: nil
        case .action: nil
        }
    }

    func wake() {
        switch self {
        case .thread(_, let semaphore): semaphore.signal()
        case .task(let suspension): suspension.resume(true)
        case .action(let action): action()
        }
    }
}

struct FutureWakeups {
    var waiters: [FutureWaiter]
    var callbacks: [@Sendable () -> Void]
}

struct FutureState {
    var phase = FuturePhase.queued
    var outcome: Swift.Result<any Sendable, any Error>?
    var waiters: [FutureWaiter] = []
    var callbacks: [@Sendable () -> Void] = []

    /// Everyone to tell now that the future is done; the state keeps none of them.
    mutating func takeWakeups() -> FutureWakeups {
        defer {
            waiters = []
            callbacks = []
        }
        return FutureWakeups(waiters: waiters, callbacks: callbacks)
    }

    mutating func removeWaiter(_ id: UInt64) -> FutureWaiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index)
    }
}
