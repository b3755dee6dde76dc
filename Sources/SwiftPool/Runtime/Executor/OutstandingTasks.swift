import Dispatch
import Synchronization

/// A pool's count of unfinished futures and running done-callbacks, so that shutting down can
/// wait for both, like leaving a `with ProcessPoolExecutor()` block.
final class OutstandingTasks: Sendable {
    private struct Counts {
        var tasks = 0
        var callbacks = 0
        var drainWaiters: [DispatchSemaphore] = []
        var drainContinuations: [CheckedContinuation<Void, Never>] = []
    }

    private let counts = Mutex(Counts())

    func taskSubmitted() { counts.withLock { $0.tasks += 1 } }
    func taskFinished() { update { $0.tasks -= 1 } }
    func callbackStarted() { counts.withLock { $0.callbacks += 1 } }
    func callbackFinished() { update { $0.callbacks -= 1 } }

    private func update(_ change: (inout Counts) -> Void) {
        let (threads, tasks) = counts.withLock { counts in
            change(&counts)
            guard counts.tasks == 0, counts.callbacks == 0 else {
                return ([DispatchSemaphore](), [CheckedContinuation<Void, Never>]())
            }
            defer {
                counts.drainWaiters = []
                counts.drainContinuations = []
            }
            return (counts.drainWaiters, counts.drainContinuations)
        }
        for semaphore in threads { semaphore.signal() }
        for continuation in tasks { continuation.resume() }
    }

    /// Blocks until every submitted task is done and every callback has run.
    func waitUntilDrained() {
        let semaphore = DispatchSemaphore(value: 0)
        let mustWait = counts.withLock { counts -> Bool in
            guard counts.tasks > 0 || counts.callbacks > 0 else { return false }
            counts.drainWaiters.append(semaphore)
            return true
        }
        if mustWait { semaphore.wait() }
    }

    /// Suspends until every submitted task is done and every callback has run.
    func drained() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let mustWait = counts.withLock { counts -> Bool in
                guard counts.tasks > 0 || counts.callbacks > 0 else { return false }
                counts.drainContinuations.append(continuation)
                return true
            }
            if !mustWait { continuation.resume() }
        }
    }
}
