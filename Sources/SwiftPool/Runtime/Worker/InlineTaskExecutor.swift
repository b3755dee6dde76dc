import Synchronization

/// Runs async work on the thread that asks, without hopping to Swift's cooperative pool.
///
/// A worker's MPI thread runs each task here. The work starts as an immediate task
/// (`Task.immediateDetached`), which runs on the calling thread until it first suspends, so a
/// function that never suspends runs start to finish right there. Work that does suspend resumes
/// on this executor (its task-executor preference): the asking thread drains those jobs until the
/// work is done.
///
/// The only state other threads touch is `jobs`, which has its own lock.
final class InlineTaskExecutor: TaskExecutor, Sendable {
    private let jobs = Mutex<[UnownedJob]>([])
    private let jobArrived = Wakeup()

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.withLock { $0.append(unowned) }
        jobArrived.signal()
    }

    /// Starts `work` on the calling thread, which must always be the same thread, and runs it
    /// until `isDone` says so. The work itself is the task's body: no closure sits between the
    /// task and the function it calls.
    func run(_ work: sending @escaping @isolated(any) () async -> Void, until isDone: () -> Bool) {
        Task.immediateDetached(executorPreference: self, operation: work)
        while !isDone() {
            let ready = jobs.withLock { pending -> [UnownedJob] in
                let taken = pending
                pending.removeAll(keepingCapacity: true)
                return taken
            }
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
            if ready.isEmpty && !isDone() {
                jobArrived.sleep(timeoutNanos: nil) { !jobs.withLock { $0.isEmpty } }
            }
        }
    }
}
