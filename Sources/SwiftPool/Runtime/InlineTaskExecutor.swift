import Synchronization

/// Runs async work on the thread that asks, without hopping to Swift's cooperative pool.
///
/// A worker's MPI thread runs each task here. One long-lived Swift task, whose executor
/// preference is this executor, takes each piece of work from a mailbox and runs it; the asking
/// thread drains that task's jobs until the work is done. Work that never suspends runs start to
/// finish on the caller with no thread switch and no task created; work that awaits something
/// elsewhere resumes here when that completes.
///
/// `@unchecked Sendable`: only `jobs` is touched from other threads (it has its own lock); the
/// mailbox and the `finished` flag are touched only by the owning thread, either directly or from
/// the serving task's jobs, which run on that same thread.
final class InlineTaskExecutor: TaskExecutor, @unchecked Sendable {
    typealias Work = @Sendable () async -> Void

    private let jobs = Mutex<[UnownedJob]>([])
    private let jobArrived = Wakeup()
    private var parked: UnsafeContinuation<Work, Never>?
    private var pending: Work?
    private var finished = false
    private var serving = false

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.withLock { $0.append(unowned) }
        jobArrived.signal()
    }

    /// Runs `work` to completion on the calling thread, which must always be the same thread.
    func run(_ work: @escaping Work) {
        if !serving { startServing() }
        finished = false
        if let parked {
            self.parked = nil
            parked.resume(returning: work)
        } else {
            pending = work
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

    private func startServing() {
        serving = true
        Task.detached(executorPreference: self) { [self] in
            while true {
                let work = await nextWork()
                await work()
                finished = true
            }
        }
    }

    private func nextWork() async -> Work {
        if let work = pending {
            pending = nil
            return work
        }
        return await withUnsafeContinuation { parked = $0 }
    }
}
