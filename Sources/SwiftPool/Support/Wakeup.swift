import Dispatch
import Synchronization

/// Lets the executor loop sleep until another thread has work for it, or until a timeout.
///
/// A poster calls ``signal()``; the semaphore is signalled only when the loop is actually asleep,
/// so posting to a busy loop costs one atomic exchange.
final class Wakeup: Sendable {
    private let sleeping = Atomic<Bool>(false)
    private let semaphore = DispatchSemaphore(value: 0)

    func signal() {
        if sleeping.exchange(false, ordering: .acquiringAndReleasing) { semaphore.signal() }
    }

    /// Sleeps up to `timeoutNanos` (forever when nil) unless `hasWork` already says there is work.
    func sleep(timeoutNanos: UInt64?, unless hasWork: () -> Bool) {
        sleeping.store(true, ordering: .sequentiallyConsistent)
        if hasWork() {
            // A poster that saw `sleeping` set owes us exactly one signal: take it.
            if !sleeping.exchange(false, ordering: .acquiringAndReleasing) { semaphore.wait() }
            return
        }
        let timeout: DispatchTime = timeoutNanos.map { .now() + .nanoseconds(Int(clamping: $0)) } ?? .distantFuture
        if semaphore.wait(timeout: timeout) == .timedOut {
            if !sleeping.exchange(false, ordering: .acquiringAndReleasing) { semaphore.wait() }
        }
    }
}
