/// `bootup()`: every worker a pool may use started, ready, and through the pool's initializer.
extension Scheduler {
    /// Sends each booting pool's initializer to the ready workers it may use that have not run it,
    /// and resolves the pool's waiters once none is starting, none waits for a replacement and
    /// none is still initializing for it; a broken pool's waiters get its error.
    func bootUp() {
        bootingPools.removeAll { id, done in
            guard let pool = ledger[id], !pool.isClosing else {
                _ = done.resolve(.failure(PoolError.shutDown("boot up")))
                return true
            }
            if let broken = pool.broken {
                _ = done.resolve(.failure(broken))
                return true
            }
            var used = 0
            var waiting = workers.counts.starting > 0 || !workers.awaitingReplacement.isEmpty
            for slot in workers.indices where workers[slot].phase == .ready || workers[slot].phase == .initializing {
                used += 1
                if used > pool.workerLimit { break }
                if let initializer = pool.plan.initializer, workers[slot].pools.initialized.insert(id).inserted {
                    workers[slot].pools.pendingInitializers.insert(id)
                    workers[slot].phase = .initializing
                    do {
                        try transport.send(initializer, to: slot, for: self)
                    } catch {
                        // Most likely dead: its end is on its way, and a replacement after it.
                        waiting = true
                    }
                }
                if workers[slot].pools.pendingInitializers.contains(id) { waiting = true }
            }
            guard !waiting else { return false }
            _ = done.resolve(.success(NoOutput()))
            return true
        }
    }
}
