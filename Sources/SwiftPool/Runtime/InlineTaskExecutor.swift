import Synchronization

/// Runs async work on the thread that asks, without hopping to Swift's cooperative pool.
///
/// A worker's MPI thread runs each task here. The work starts as an immediate task
/// (`Task.immediateDetached`), which runs on the calling thread until it first suspends, so a
/// function that never suspends runs start to finish right there. Work that does suspend resumes
/// on this executor (its task-executor preference): the asking thread drains those jobs until the
/// work is done.
///
/// `@unchecked Sendable`: only `jobs` is touched from other threads (it has its own lock);
/// `finished` is set by the work, which runs on the owning thread: at the start, or later from
/// jobs the owning thread drains.
final class InlineTaskExecutor: TaskExecutor, @unchecked Sendable {
    typealias Work = @Sendable () async -> Void

    private let jobs = Mutex<[UnownedJob]>([])
    private let jobArrived = Wakeup()
    private var finished = false

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.withLock { $0.append(unowned) }
        jobArrived.signal()
    }

    /// Runs `work` to completion on the calling thread, which must always be the same thread.
    func run(_ work: @escaping Work) {
        finished = false
        Task.immediateDetached(executorPreference: self) { [self] in
            await work()
            finished = true
        }
        while !finished {
            let ready = jobs.withLock { pending -> [UnownedJob] in
                let taken = pending
                pending.removeAll(keepingCapacity: true)
                return taken
            }
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
            if ready.isEmpty && !finished {
                jobArrived.sleep(timeoutNanos: nil) { !jobs.withLock { $0.isEmpty } }
            }
        }
    }
}
