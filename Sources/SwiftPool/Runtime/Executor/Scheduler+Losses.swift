/// What the scheduler does when a worker ends or a supervisor is lost, and how lost workers are
/// replaced.
extension Scheduler {
    /// A worker process ended, as its parent learned from `waitpid`: the plain start's reaper, or
    /// a supervisor's report. Nothing to do when the scheduler had already given it up.
    func workerEnded(rank: Int, end: WorkerEnd) {
        guard let slot = workers.slot(ofRank: rank), workers[slot].isAlive else { return }
        RuntimeLog.debug("rank \(rank) (pid \(workers[slot].processID)) \(end.description)")
        transport.takeLastReplies(from: slot, for: self)
        guard workers[slot].isAlive else { return }
        if workers[slot].phase == .retired {
            workerRetired(slot: slot, end: end)
        } else {
            workerLost(slot: slot, end: end)
        }
    }

    /// A supervisor is gone (its process died, or its host fell silent): its workers died with it,
    /// their tasks run elsewhere, and nothing is started on it again.
    func supervisorLost(source: Int, end: WorkerEnd) {
        guard workers.lostSupervisors.insert(source).inserted else { return }
        RuntimeLog.debug("the supervisor of rank \(source) is lost: \(end.description)")
        workers.awaitingReplacement.removeAll { workers[$0].supervisor == source }
        for slot in workers.indices where workers[slot].supervisor == source && workers[slot].isAlive {
            // Settles what it relayed before: a task that finished must not count as running.
            transport.takeLastReplies(from: slot, for: self)
            workerLost(slot: slot, end: end)
        }
        updateWorkerCount()
    }

    /// Gives a worker up: its running task runs again elsewhere while it has retries left, and the
    /// tasks queued behind it go back to the front of their queues (they never started, so they
    /// use no retry). A replacement is started in its slot.
    func workerLost(slot: Int, end: WorkerEnd) {
        guard workers[slot].isAlive else { return }
        let worker = takeOutOfService(slot: slot)
        let loss = WorkerLoss(rank: worker.rank, host: worker.host, end: end)
        workers.losses.append(loss)

        var tasks = worker.tasks
        if var head = tasks.first, !worker.pools.pendingInitializers.contains(head.pool) {
            // Workers run their tasks in order: the first was running.
            head.runs += 1
            let retries = ledger[head.pool]?.plan.maxRetries ?? 0
            if head.runs > retries {
                tasks.removeFirst()
                metrics?.failed.increment()
                head.completion.fail(Self.lostTaskError(loss, runs: head.runs, retries: retries))
            } else {
                metrics?.rerun.increment()
                tasks[tasks.startIndex] = head
            }
        }
        requeue(tasks)

        // A loss is never routine: the user sees it even when every task still succeeds. (After an
        // interruption, workers ending is expected: SIGTERM often reaches them too.)
        let failed = worker.tasks.count - tasks.count
        if interruption == nil {
            RuntimeLog.warning(
                "\(loss); \(tasks.count) unfinished task(s) go back to the queue"
                    + (failed > 0 ? ", \(failed) failed with no retries left" : ""))
        }
        if case .passedMemoryLimit = end, !worker.history.tookTasks {
            if !warnedOfIdleMemory {
                warnedOfIdleMemory = true
                RuntimeLog.warning(
                    "rank \(worker.rank) on host \(worker.host) \(end.description) before it ran a task: a worker's "
                        + "idle memory is over workerMemoryLimit, so every replacement would be ended too; such "
                        + "workers are not replaced (workers left: \(workers.counts.alive)); raise the limit")
            }
        } else if canReplace(worker) {
            if worker.history.isReplacement && !worker.history.wasReady {
                RuntimeLog.warning(
                    "rank \(worker.rank) on host \(worker.host), a replacement worker, \(end.description) "
                        + "before it was ready to take tasks; that is a crash loop, so it is not replaced again "
                        + "(workers left: \(workers.counts.alive))")
            } else {
                workers.awaitingReplacement.append(slot)
            }
        }
        breakIfNoWorkerRemains()
        updateWorkerCount()
    }

    /// Takes a worker out of service: nothing more is read from it or sent to it, and the tasks it
    /// held no longer count as in flight. Returns its record as it was, with those tasks.
    func takeOutOfService(slot: Int) -> WorkerRecord {
        let worker = workers[slot]
        workers[slot].phase = .lost
        workers[slot].tasks.removeAll()
        transport.closeLink(to: worker, slot: slot)
        ledger.inFlight -= worker.tasks.count
        for task in worker.tasks { ledger[task.pool]?.inFlight -= 1 }
        return worker
    }

    /// Puts tasks a worker held back at the front of their queues, in order (or fails them when
    /// their pool is broken or gone).
    func requeue(_ tasks: some BidirectionalCollection<QueuedTask>) {
        for task in tasks.reversed() {
            if let pool = ledger[task.pool], pool.broken == nil {
                pool.queue.prepend(task)
            } else {
                task.completion.fail(ledger[task.pool]?.broken ?? .shutDown("run a task"))
            }
        }
    }

    /// Whether a lost worker's slot can get a new worker: not after an interruption, nor when a
    /// retiring worker's replacement was started already; otherwise as the transport can.
    func canReplace(_ worker: WorkerRecord) -> Bool {
        guard interruption == nil, !worker.history.isReplaced else { return false }
        return transport.canReplace(worker, for: self)
    }

    /// The error of a task whose worker died under it once too often.
    static func lostTaskError(_ loss: WorkerLoss, runs: Int, retries: Int) -> PoolError {
        let runsLost = runs == 1 ? "ran once" : "ran \(runs) times and lost its worker each time"
        return PoolError(
            .workerLost,
            "\(loss) while running this task; the task \(runsLost) (maxRetries: \(retries)), so it is not run again")
    }

    /// When no worker is left and none is on its way, every pending and later task fails.
    func breakIfNoWorkerRemains() {
        guard brokenEverywhere == nil, workers.counts.alive == 0, workers.awaitingReplacement.isEmpty else { return }
        let losses = workers.losses
        let shown = losses.suffix(8).map(\.description).joined(separator: "; ")
        let error = PoolError(
            .brokenPool,
            "every worker is gone, so no task can run: \(shown)"
                + (losses.count > 8 ? " (and \(losses.count - 8) earlier losses)" : "")
                + "; start the program again")
        brokenEverywhere = error
        for pool in ledger.openPools { breakPool(pool.plan.id, error) }
    }

    // MARK: Starting workers

    /// Gives up on workers that have not said they are ready within the time allowed (a program
    /// stuck in its code before the pool starts, say): they are ended, and lost.
    func giveUpOnSlowStarts() {
        let now = monotonicNanos()
        guard now >= startWatch.nextCheck, let allowed = startWatch.allowedNanos else { return }
        startWatch.nextCheck = now &+ 100_000_000
        for slot in workers.indices where workers[slot].phase == .starting {
            guard now &- workers[slot].history.startedAt > allowed else { continue }
            transport.endWorker(in: slot, for: self)
            workerLost(slot: slot, end: .neverConnected(nanos: allowed))
        }
    }

    /// Starts a worker in each slot whose worker was lost: rank 0 itself in the plain start, the
    /// slot's supervisor under a launcher.
    func replaceLostWorkers() {
        let slots = workers.awaitingReplacement
        workers.awaitingReplacement = []
        do {
            try transport.startWorkers(in: slots, asReplacements: true, for: self)
        } catch {
            RuntimeLog.warning(
                "could not start a replacement worker (\(error)); the pool goes on with the "
                    + "\(workers.counts.alive) workers it has")
            breakIfNoWorkerRemains()
        }
        updateWorkerCount()
    }

    /// The plain start grows on demand: a pool that asks for more workers than are alive (or on
    /// their way) has the rest started now, in new slots.
    func startWorkers(upTo target: Int) {
        let present = workersAliveOrComing
        guard target > present else { return }
        do {
            let added = Array(workers.count..<(workers.count + target - present))
            try transport.startWorkers(in: added, asReplacements: false, for: self)
        } catch {
            RuntimeLog.warning(
                "could not start more workers (\(error)); the pool goes on with the \(workers.counts.alive) it has")
        }
        updateWorkerCount()
    }
}
