extension Scheduler {
    /// SIGINT or SIGTERM on rank 0: cancels every queued task, fails the running ones (their
    /// workers are stopped as the program exits), breaks every pool so later calls fail at once,
    /// and stops re-running or replacing anything.
    func interrupt(signal: Int32) {
        guard interruption == nil else { return }
        let error = Interruption.error(signal: signal)
        interruption = error
        workers.awaitingReplacement.removeAll()
        for pool in ledger.openPools {
            // Never started: cancelled, like `shutdown(cancelFutures: true)`. Back in the queue
            // after a worker died: it has started, so it fails.
            while let task = pool.queue.popFirst() {
                if !(!task.isStarted && task.completion.cancel()) { task.completion.fail(error) }
            }
            breakPool(pool.plan.id, error)
            pool.inFlight = 0
        }
        for slot in workers.indices {
            for task in workers[slot].tasks { task.completion.fail(error) }
            workers[slot].tasks.removeAll()
        }
        ledger.inFlight = 0
        brokenEverywhere = brokenEverywhere ?? error
    }
}
