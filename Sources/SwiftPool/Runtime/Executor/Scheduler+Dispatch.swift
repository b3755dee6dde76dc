/// Handing queued tasks to workers.
extension Scheduler {
    /// Hands queued tasks to ready workers with a free slot, visiting pools in turn.
    func dispatch() throws -> Bool {
        var progressed = false
        for pool in ledger.openPools where !pool.queue.isEmpty {
            let id = pool.plan.id
            let slots = pool.slotsPerWorker(maximum: workers.maxLoad)
            while var task = pool.queue.first {
                guard let slot = freeWorker(for: task, in: pool, slots: slots) else { break }
                pool.queue.removeFirst()
                progressed = true
                if !task.isStarted {
                    guard task.completion.markRunning() else { continue }
                    task.isStarted = true
                }
                if !task.sharedValues.isEmpty, let missing = shared.missingValue(in: task) {
                    task.completion.fail(missing)
                    continue
                }
                let initializer = pool.plan.initializer.flatMap {
                    workers[slot].pools.initialized.insert(id).inserted ? $0 : nil
                }
                if initializer != nil { workers[slot].pools.pendingInitializers.insert(id) }
                let isHead = workers[slot].tasks.isEmpty
                workers[slot].tasks.append(task)
                workers[slot].history.tookTasks = true
                if isHead { headStarted(on: slot) }
                pool.inFlight += 1
                ledger.inFlight += 1
                if let limit = pool.plan.maxTasksPerWorker, transport.runsTasksElsewhere {
                    countItems(of: task, on: slot, limit: limit)
                }
                do {
                    if let initializer { try transport.send(initializer, to: slot, for: self) }
                    if !task.sharedValues.isEmpty { try sendSharedValues(of: task, to: slot) }
                    try transport.send(task.frame, to: slot, for: self)
                } catch let error as WorkerUnreachable {
                    // The worker is most likely dead; its tasks, this one included, go back.
                    workerLost(slot: slot, end: .unreachable(error.description))
                }
            }
        }
        if ledger.closingPools > 0 { forgetFinishedPools() }
        return progressed
    }

    /// Notes that the first task a worker holds starts now (its dispatch, the reply before it, or
    /// its pool's initializer ending), for the pool's timeout.
    func headStarted(on slot: Int) {
        let now = monotonicNanos()
        workers[slot].headStartedAt = now
        guard let head = workers[slot].tasks.first else { return }
        ledger.taskStarted(head.id, pool: head.pool, on: slot, at: now)
    }

    /// Forgets closed pools that have nothing left to hand out or wait for.
    func forgetFinishedPools() {
        for pool in ledger.forgetFinishedPools() {
            if !shared.isEmpty { forgetSharedValues(ofPool: pool.plan.id) }
            if pool.plan.workerMemoryLimit != nil { applyMemoryLimit() }
        }
    }

    /// The least busy ready worker the pool may use that `task` would not take past the pool's
    /// `maxTasksPerWorker`, if one has fewer than `slots` tasks; a worker the task would take past
    /// the limit retires. Found in the table's index unless the pool may use fewer workers than
    /// are ready: it then takes its first `workerLimit` ready workers in slot order.
    func freeWorker(for task: QueuedTask, in pool: PoolQueue, slots: Int) -> Int? {
        let limit = transport.runsTasksElsewhere ? pool.plan.maxTasksPerWorker : nil
        guard pool.workerLimit >= workers.counts.ready else {
            return freeWorker(for: task, amongFirst: pool.workerLimit, of: pool, slots: slots, itemLimit: limit)
        }
        while let slot = workers.leastBusyReady(below: slots) {
            guard let limit, !fits(task, on: slot, pool: pool.plan.id, limit: limit) else { return slot }
            startRetiring(slot)
        }
        return nil
    }

    /// ``freeWorker(for:in:slots:)`` for a pool that may use only its first `count` ready workers.
    private func freeWorker(
        for task: QueuedTask, amongFirst count: Int, of pool: PoolQueue, slots: Int, itemLimit: Int?
    ) -> Int? {
        var best: Int?
        var seen = 0
        for slot in workers.indices where workers[slot].phase == .ready {
            seen += 1
            if seen > count { break }
            if let itemLimit, !fits(task, on: slot, pool: pool.plan.id, limit: itemLimit) {
                startRetiring(slot)
                continue
            }
            let busy = workers[slot].tasks.count
            if busy == 0 { return slot }
            if busy < slots && (best.map { busy < workers[$0].tasks.count } ?? true) { best = slot }
        }
        return best
    }
}
