#if canImport(Glibc)
    import Glibc
#endif

/// What the scheduler does when a worker connects, dies, or runs a task for too long.
extension Scheduler {
    func handle(_ event: LifelineEvent) {
        switch event {
        case .connected(let rank):
            guard let slot = slotByRank[rank], workers[slot].rank == rank, workers[slot].phase == .starting else {
                return
            }
            RuntimeLog.debug("rank \(rank) (pid \(workers[slot].processID)) connected its lifeline")
            do { try initialize(slot) } catch { workerLost(slot: slot, end: .unreachable("\(error)")) }
        case .lost(let rank, let end):
            guard let slot = slotByRank[rank], workers[slot].rank == rank, workers[slot].isAlive else { return }
            RuntimeLog.debug("rank \(rank) lost: \(end.description)")
            takeLastReplies(from: slot)
            workerLost(slot: slot, end: end)
        }
    }

    /// Settles what a dying worker sent before its lifeline's news came: the lifeline can be
    /// quicker than MPI, and a task that finished must not count as the one that was running.
    private func takeLastReplies(from slot: Int) {
        guard !mpiFailed, case let worker = workers[slot], worker.channel < channels.count else { return }
        let communicator: Communicator
        switch channels[worker.channel].link {
        case .mpi(let mpi): communicator = mpi
        case .sharedMemory(let stream):
            _ = try? receiveReplies(on: stream, channel: worker.channel)
            return
        case .closed: return
        }
        while workers[slot].isAlive,
            let message = try? communicator.receiveIfArrived(from: worker.source, tag: MessageTag.frame),
            let header = try? FrameHeader.read(from: message.bytes.bytes)
        {
            let attachment =
                header.hasAttachment
                ? MessageAttachment(communicator: communicator, source: worker.source, senderIsGone: { true }) : nil
            do {
                try handleReply(message.bytes, header: header, from: slot, attachment: attachment)
                try attachment?.discardIfUnread()
            } catch {
                return
            }
        }
    }

    /// Gives a worker up: its running task runs again elsewhere while it has retries left, and the
    /// tasks queued behind it go back to the front of their queues (they never started, so they
    /// use no retry). In the plain start a replacement is spawned.
    func workerLost(slot: Int, end: WorkerEnd) {
        guard workers[slot].isAlive else { return }
        let worker = workers[slot]
        workers[slot].phase = .lost
        abandonIncomingPieces(slot: slot)
        workers[slot].tasks.removeAll()
        channels[worker.channel].liveWorkers -= 1
        // Whatever it still sends is dropped, even once a replacement holds its slot.
        channels[worker.channel].slotBySource[worker.source] = nil
        if case .sharedMemory = channels[worker.channel].link { channels[worker.channel].link = .closed }
        if end != .stoppedAfterTimeout { lifelines?.forget(rank: worker.rank) }
        abandonSends(to: slot)
        let loss = WorkerLoss(rank: worker.rank, host: worker.host, end: end)
        losses.append(loss)

        var tasks = worker.tasks
        inFlightCount -= tasks.count
        for task in tasks { pools[task.pool]?.inFlight -= 1 }
        if var head = tasks.first, !worker.pendingInitializers.contains(head.pool) {
            // Workers run their tasks in order: the first was running.
            head.runs += 1
            let retries = pools[head.pool]?.plan.maxRetries ?? 0
            if head.runs > retries {
                tasks.removeFirst()
                metrics?.failed.increment()
                head.completion.fail(Self.lostTaskError(loss, runs: head.runs, retries: retries))
            } else {
                metrics?.rerun.increment()
                tasks[tasks.startIndex] = head
            }
        }
        for task in tasks.reversed() {
            if let pool = pools[task.pool], pool.broken == nil {
                pool.queue.prepend(task)
            } else {
                task.completion.fail(pools[task.pool]?.broken ?? .shutDown("run a task"))
            }
        }

        // A loss is never routine: the user sees it even when every task still succeeds. (After an
        // interruption, workers ending is expected: SIGTERM often reaches them too.)
        let failed = worker.tasks.count - tasks.count
        if interruption == nil {
            RuntimeLog.warning(
                "\(loss); \(tasks.count) unfinished task(s) go back to the queue"
                    + (failed > 0 ? ", \(failed) failed with no retries left" : ""))
        }
        if recruiter != nil {
            if worker.isReplacement && !worker.wasReady {
                RuntimeLog.warning(
                    "rank \(worker.rank) on host \(worker.host), a replacement worker, \(end.description) "
                        + "before it was ready to take tasks; that is a crash loop, so it is not replaced again "
                        + "(workers left: \(workers.count { $0.isAlive }))")
            } else {
                slotsAwaitingReplacement.append(slot)
            }
        }
        breakIfNoWorkerRemains()
        updateWorkerCount()
    }

    /// The error of a task whose worker died under it once too often.
    static func lostTaskError(_ loss: WorkerLoss, runs: Int, retries: Int) -> PoolError {
        let runsLost = runs == 1 ? "ran once" : "ran \(runs) times and lost its worker each time"
        return PoolError(
            .workerLost,
            "\(loss) while running this task; the task \(runsLost) (maxRetries: \(retries)), so it is not run again")
    }

    /// When no worker is left and none is on its way, every pending and later task fails.
    private func breakIfNoWorkerRemains() {
        guard brokenEverywhere == nil, !workers.contains(where: \.isAlive), slotsAwaitingReplacement.isEmpty else {
            return
        }
        let shown = losses.suffix(8).map(\.description).joined(separator: "; ")
        let error = PoolError(
            .brokenPool,
            "every worker is gone, so no task can run: \(shown)"
                + (losses.count > 8 ? " (and \(losses.count - 8) earlier losses)" : "")
                + "; start the program again")
        brokenEverywhere = error
        for id in pools.keys { breakPool(id, error) }
    }

    private func abandonSends(to slot: Int) {
        sends.removeAll { entry in
            guard entry.slot == slot else { return false }
            abandonedSends.append(entry.send)
            return true
        }
    }

    // MARK: Task timeouts

    /// Stops the worker of any task running past its pool's task timeout; its future fails with
    /// `timedOut` and is not run again.
    func stopOverdueTasks() {
        guard inFlightCount > 0, let lifelines else { return }
        let now = monotonicNanos()
        guard now >= nextTimeoutCheck else { return }
        nextTimeoutCheck = now &+ 1_000_000
        for slot in workers.indices where workers[slot].isAlive {
            guard let head = workers[slot].tasks.first, let pool = pools[head.pool], let limit = pool.timeoutNanos,
                !workers[slot].pendingInitializers.contains(head.pool), now &- workers[slot].headStartedAt > limit
            else { continue }
            let worker = workers[slot]
            workers[slot].tasks.removeFirst()
            inFlightCount -= 1
            pool.inFlight -= 1
            head.completion.fail(
                PoolError(
                    .timedOut,
                    "task \(head.id) (\(Self.functionName(of: head))) ran longer than the pool's taskTimeout of "
                        + "\(pool.plan.taskTimeout ?? .zero) on rank \(worker.rank) (host \(worker.host)); SwiftPool "
                        + "ended that worker process, and the task is not run again"))
            lifelines.terminate(rank: worker.rank)
            workerLost(slot: slot, end: .stoppedAfterTimeout)
        }
    }

    /// The readable name of a task's function, found from its frame (only for error messages).
    private static func functionName(of task: QueuedTask) -> String {
        guard let frame = try? TaskFrame.read(from: task.frame.bytes.bytes) else { return "unknown function" }
        let name = frame.functionTypeName
        return FunctionLookup.type(named: name).map { String(reflecting: $0) } ?? name
    }

    // MARK: Replacements

    /// Starts one worker for each slot whose worker was lost (the plain start only).
    func replaceLostWorkers() {
        let slots = slotsAwaitingReplacement
        slotsAwaitingReplacement = []
        do {
            try startWorkers(in: slots, asReplacements: true)
        } catch {
            self.recruiter = nil
            RuntimeLog.warning(
                "could not start a replacement worker (\(error)); the pool goes on with the "
                    + "\(workers.count { $0.isAlive }) workers it has")
            breakIfNoWorkerRemains()
        }
        updateWorkerCount()
    }

    /// Starts a process of this executable for each slot (appending slots past the end), with
    /// memory of its own shared with rank 0, and expects its lifeline.
    func startWorkers(in slots: [Int], asReplacements: Bool) throws {
        guard let recruiter, let lifelines, let endpoint = lifelines.endpoints.first(where: \.isLoopback) else {
            return
        }
        for slot in slots {
            let rank = nextRank
            nextRank += 1
            lifelines.expect(rank: rank, host: currentHostName())
            let started = try recruiter.start(
                Welcome(rank: rank, endpoint: endpoint, secret: lifelines.secret, settings: lifelines.settings))
            let channel = channels.count
            channels.append(Channel(link: .sharedMemory(started.stream), slotBySource: [0: slot], liveWorkers: 1))
            let worker = WorkerRecord(
                rank: rank, channel: channel, source: 0, host: currentHostName(), processID: started.processID,
                isReplacement: asReplacements)
            if slot < workers.count { workers[slot] = worker } else { workers.append(worker) }
            slotByRank[rank] = slot
            RuntimeLog.debug("started rank \(rank) (pid \(started.processID)) in slot \(slot)")
        }
    }
}
