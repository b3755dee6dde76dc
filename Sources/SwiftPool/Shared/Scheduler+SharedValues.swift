/// A shared value as rank 0's scheduler holds it: its share frame, until it is forgotten.
final class SharedValueRecord {
    let plan: SharedValuePlan
    var isReleased = false

    init(plan: SharedValuePlan) {
        self.plan = plan
    }
}

extension Scheduler {
    /// Keeps a newly shared value, to send to each worker before its first task that names it.
    func keepSharedValue(_ plan: SharedValuePlan) {
        sharedValues[plan.id] = SharedValueRecord(plan: plan)
    }

    /// Marks a shared value released; it is forgotten once no task that names it is left.
    func releaseSharedValue(_ id: UInt64) {
        guard let record = sharedValues[id], !record.isReleased else { return }
        record.isReleased = true
        releasedSharedValues += 1
        forgetUnusedSharedValues(force: true)
    }

    /// Why a task cannot run, if it names a shared value this scheduler no longer has: one
    /// released between the task's submit and its turn.
    func missingSharedValue(in task: QueuedTask) -> PoolError? {
        for id in task.sharedValues where sharedValues[id] == nil {
            return PoolError(
                .invalidArgument, "the task holds shared value #\(id), which was released before the task ran")
        }
        return nil
    }

    /// Sends a worker each shared value a task names that it does not hold yet.
    func sendSharedValues(of task: QueuedTask, to slot: Int) throws {
        if case .local = transport { return }
        for id in task.sharedValues {
            guard let record = sharedValues[id], workers[slot].sharedValues.insert(id).inserted else { continue }
            try send(record.plan.frame, to: slot)
            PoolTrafficCounters.noteSharedValueSent(record.plan.frame)
        }
    }

    /// Forgets the released shared values no queued or running task names any more. The scan
    /// runs at most every 50 ms unless `force`d, so a long queue is not walked on every pass.
    func forgetUnusedSharedValues(force: Bool = false) {
        guard releasedSharedValues > 0 else { return }
        let now = monotonicNanos()
        guard force || now >= nextSharedValueScan else { return }
        nextSharedValueScan = now &+ 50_000_000
        var named = Set<UInt64>()
        for pool in pools.values {
            for task in pool.queue where !task.sharedValues.isEmpty { named.formUnion(task.sharedValues) }
        }
        for worker in workers where worker.isAlive {
            for task in worker.tasks where !task.sharedValues.isEmpty { named.formUnion(task.sharedValues) }
        }
        for (id, record) in sharedValues where record.isReleased && !named.contains(id) { forgetSharedValue(id) }
    }

    /// Forgets the shared values of a pool that has shut down.
    func forgetSharedValues(ofPool pool: UInt32) {
        for (id, record) in sharedValues where record.plan.pool == pool { forgetSharedValue(id) }
    }

    /// Drops a shared value here and tells every worker that holds it to drop it too.
    private func forgetSharedValue(_ id: UInt64) {
        guard let record = sharedValues.removeValue(forKey: id) else { return }
        if record.isReleased { releasedSharedValues -= 1 }
        SharedValueStore.forget(id: id)
        let frame = FrameEncoder.forgetShared(id: id)
        for slot in workers.indices where workers[slot].sharedValues.remove(id) != nil && workers[slot].isAlive {
            do {
                try send(frame, to: slot)
            } catch {
                workerLost(slot: slot, end: .unreachable(String(describing: error)))
            }
        }
    }
}
