#if canImport(Glibc)
    import Glibc
#endif

/// Failing a pool's tasks, or every task when MPI itself failed.
extension Scheduler {
    // MARK: Failing

    /// Fails every unfinished task of a pool, and every later one, with `error`.
    func breakPool(_ id: UInt32, _ error: PoolError) {
        guard let pool = ledger[id], pool.broken == nil else { return }
        pool.broken = error
        pool.plan.status.markBroken(error)
        while let task = pool.queue.popFirst() { task.completion.fail(error) }
        for slot in workers.indices {
            let held = workers[slot].tasks
            guard held.contains(where: { $0.pool == id }) else { continue }
            // Replies to these tasks will still come; they settle nothing, the futures being done.
            for task in held where task.pool == id { task.completion.fail(error) }
        }
    }

    /// An MPI failure leaves the scheduler unable to trust any task: fail them all, and make no
    /// more MPI calls, so nothing waits for a reply that cannot come and the loop does not spin.
    func failEverything(_ error: PoolError) {
        transport.hasFailed = true
        brokenEverywhere = brokenEverywhere ?? error
        for pool in ledger.openPools { breakPool(pool.plan.id, error) }
        for slot in workers.indices {
            for task in workers[slot].tasks {
                task.completion.fail(error)
                ledger[task.pool]?.inFlight -= 1
            }
            workers[slot].tasks.removeAll()
        }
        ledger.inFlight = 0
        updateWorkerCount()
    }
}
