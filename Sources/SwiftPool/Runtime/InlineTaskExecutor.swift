import Synchronization

/// Runs async task bodies on the thread that asks, without hopping to Swift's cooperative pool.
///
/// A worker's MPI thread runs each task here: the task's jobs are enqueued on this executor (its
/// task-executor preference) and the calling thread drains them until the task is done. A task
/// that never suspends runs start to finish on the caller with no thread switch; one that awaits
/// something elsewhere resumes here when that completes.
final class InlineTaskExecutor: TaskExecutor, Sendable {
    private let jobs = Mutex<[UnownedJob]>([])
    private let jobArrived = Wakeup()

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.withLock { $0.append(unowned) }
        jobArrived.signal()
    }

    /// Runs `body` to completion on the calling thread and returns its value.
    func run<T: Sendable>(_ body: sending @escaping @isolated(any) () async -> T) -> T {
        let outcome = Mutex<T?>(nil)
        let task = Task.detached(executorPreference: self) {
            let value = await body()
            outcome.withLock { $0 = value }
        }
        _ = task
        while true {
            let ready = jobs.withLock { pending -> [UnownedJob] in
                let taken = pending
                pending.removeAll(keepingCapacity: true)
                return taken
            }
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
            if let value = outcome.withLock({ $0.take() }) { return value }
            if ready.isEmpty {
                jobArrived.sleep(timeoutNanos: nil) { !jobs.withLock { $0.isEmpty } }
            }
        }
    }
}
