/// Sending shared values to the workers whose tasks name them, and forgetting them everywhere.
extension Scheduler {
    /// Sends a worker each shared value a task names that it does not hold yet.
    func sendSharedValues(of task: QueuedTask, to slot: Int) throws {
        guard transport.runsTasksElsewhere else { return }
        for id in task.sharedValues {
            guard let record = shared[id], workers[slot].sharedValues.insert(id).inserted else { continue }
            try transport.send(record.plan.frame, to: slot, for: self)
            PoolTrafficCounters.noteSharedValueSent(record.plan.frame)
        }
    }

    /// Forgets the released shared values no queued or running task names any more. The scan
    /// runs at most every 50 ms unless `force`d, so a long queue is not walked on every pass.
    func forgetUnusedSharedValues(force: Bool = false) {
        guard shared.releasedCount > 0 else { return }
        let now = monotonicNanos()
        guard force || now >= shared.nextScan else { return }
        shared.nextScan = now &+ 50_000_000
        var named = Set<UInt64>()
        for pool in ledger.openPools {
            for task in pool.queue where !task.sharedValues.isEmpty { named.formUnion(task.sharedValues) }
        }
        for worker in workers where worker.isAlive {
            for task in worker.tasks where !task.sharedValues.isEmpty { named.formUnion(task.sharedValues) }
        }
        for (id, record) in shared.records where record.isReleased && !named.contains(id) { forgetSharedValue(id) }
    }

    /// Forgets the shared values of a pool that has shut down.
    func forgetSharedValues(ofPool pool: UInt32) {
        for (id, record) in shared.records where record.plan.pool == pool { forgetSharedValue(id) }
    }

    /// Drops a shared value here and tells every worker that holds it to drop it too.
    private func forgetSharedValue(_ id: UInt64) {
        guard shared.remove(id) != nil else { return }
        SharedValueStore.forget(id: id)
        let frame = FrameEncoder.forgetShared(id: id)
        for slot in workers.indices where workers[slot].isAlive && workers[slot].sharedValues.contains(id) {
            workers[slot].sharedValues.remove(id)
            do {
                try transport.send(frame, to: slot, for: self)
            } catch {
                workerLost(slot: slot, end: .unreachable(String(describing: error)))
            }
        }
    }
}
