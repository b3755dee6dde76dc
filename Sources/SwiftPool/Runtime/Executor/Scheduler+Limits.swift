/// Pools' limits on workers, and `terminate()`: a worker replaced after `maxTasksPerWorker` items
/// (retired: no task fails, no loss is reported), the `workerMemoryLimit` handed to the workers'
/// parents, and a pool's running tasks stopped by ending their workers.
extension Scheduler {
    // MARK: maxTasksPerWorker

    /// Whether `task` fits on a worker under its pool's limit. A task larger than the limit (a
    /// chunk sized by hand) runs whole on a worker that has taken none of the pool's items.
    func fits(_ task: QueuedTask, on slot: Int, pool: UInt32, limit: Int) -> Bool {
        let taken = workers[slot].pools.itemsTaken[pool] ?? 0
        return taken == 0 || taken + task.items <= limit
    }

    /// Counts a task handed to a worker toward its pool's limit; a worker that reaches it retires.
    func countItems(of task: QueuedTask, on slot: Int, limit: Int) {
        let taken = (workers[slot].pools.itemsTaken[task.pool] ?? 0) + task.items
        workers[slot].pools.itemsTaken[task.pool] = taken
        if taken >= limit { startRetiring(slot) }
    }

    /// A worker takes no more tasks; it stops once it holds none. Its replacement starts now, in
    /// a slot of its own, so that it is ready by the time this one has run its last task.
    func startRetiring(_ slot: Int) {
        guard workers[slot].phase == .ready else { return }
        workers[slot].phase = .retiring
        if canReplace(workers[slot]) {
            // A slot no worker holds or waits for; its record says where to start the new one
            // (host, supervisor) until the new one's record replaces it.
            let spare = workers.spareSlots.popLast() ?? workers.count
            var placeholder = workers[slot]
            placeholder.phase = .lost
            placeholder.tasks.removeAll()
            workers.place(placeholder, in: spare)
            workers[slot].history.isReplaced = true
            workers.awaitingReplacement.append(spare)
            updateWorkerCount()
        }
        if workers[slot].tasks.isEmpty { retire(slot) }
    }

    /// Stops an idle worker that has run its limit, as the job's end stops every worker; it is
    /// replaced when its end is reported.
    func retire(_ slot: Int) {
        workers[slot].phase = .retired
        updateWorkerCount()
        RuntimeLog.debug(
            "rank \(workers[slot].rank) ran its maxTasksPerWorker; it stops, and a fresh worker takes its place")
        transport.retire(slot, for: self)
    }

    /// A retired worker ended: not a loss, whatever its status (it held no task). Its replacement
    /// was started as it began retiring.
    func workerRetired(slot: Int, end: WorkerEnd) {
        let worker = takeOutOfService(slot: slot)
        if end != .exited(code: 0) { RuntimeLog.debug("rank \(worker.rank), retired, \(end.description)") }
        if canReplace(worker) {
            workers.awaitingReplacement.append(slot)
        } else if worker.history.isReplaced {
            // Its replacement runs in another slot: this one is free for the next.
            workers.spareSlots.append(slot)
        }
        breakIfNoWorkerRemains()
        updateWorkerCount()
    }

    // MARK: workerMemoryLimit

    /// Hands the smallest memory limit of the open pools to whoever watches the workers.
    func applyMemoryLimit() {
        transport.applyMemoryLimit(ledger.openPools.compactMap(\.plan.workerMemoryLimit).min(), for: self)
    }

    // MARK: terminate()

    /// Stops a pool's work now: its queued tasks are cancelled; each worker running one of its
    /// tasks is ended and replaced, that task failing `cancelled`, and the other pools' tasks it
    /// held go back to their queues with no retry used. The pool's tasks queued behind another
    /// pool's running task fail at once (their worker still runs them; the replies are dropped).
    func terminate(pool id: UInt32) {
        guard let pool = ledger[id] else { return }
        let error = PoolError(
            .cancelled, "the pool was terminated (terminate()) while this task ran or waited on a worker")
        for task in pool.queue where !task.completion.cancel() { task.completion.fail(error) }
        pool.queue.removeAll()
        for slot in workers.indices where workers[slot].isAlive {
            guard let head = workers[slot].tasks.first else { continue }
            guard head.pool == id, transport.runsTasksElsewhere else {
                for task in workers[slot].tasks where task.pool == id { task.completion.fail(error) }
                continue
            }
            transport.endWorker(in: slot, for: self)
            let worker = takeOutOfService(slot: slot)
            RuntimeLog.debug("terminate(): ended rank \(worker.rank), which ran task \(head.id)")
            for task in worker.tasks where task.pool == id { task.completion.fail(error) }
            requeue(worker.tasks.filter { $0.pool != id })
            if canReplace(worker) { workers.awaitingReplacement.append(slot) }
        }
        breakIfNoWorkerRemains()
        updateWorkerCount()
    }
}
