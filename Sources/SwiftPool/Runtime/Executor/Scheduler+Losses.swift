#if canImport(Glibc)
    import Glibc
#endif

/// What the scheduler does when a worker ends, a supervisor is lost, or a task runs too long.
extension Scheduler {
    func handle(_ event: LifelineEvent) {
        switch event {
        case .connected(let rank):
            RuntimeLog.debug("the supervisor of rank \(rank) connected its lifeline")
        case .lost(let rank, let end):
            supervisorLost(source: rank, end: end)
        case .nudged:
            // The frame is sent before the nudge, but may still be on its way.
            newsExpectedUntil = monotonicNanos() &+ 100_000_000
        }
    }

    /// A worker process ended, as its parent learned from `waitpid`: the plain start's reaper, or
    /// a supervisor's report. Nothing to do when the scheduler had already given it up.
    func workerEnded(rank: Int, end: WorkerEnd) {
        guard let slot = slotByRank[rank], workers[slot].rank == rank, workers[slot].isAlive else { return }
        RuntimeLog.debug("rank \(rank) (pid \(workers[slot].processID)) \(end.description)")
        takeLastReplies(from: slot)
        if workers[slot].phase == .retired {
            workerRetired(slot: slot, end: end)
        } else {
            workerLost(slot: slot, end: end)
        }
    }

    /// A supervisor is gone (its process died, or its host fell silent): its workers died with it,
    /// their tasks run elsewhere, and nothing is started on it again.
    func supervisorLost(source: Int, end: WorkerEnd) {
        guard case .mpi = transport, lostSupervisors.insert(source).inserted else { return }
        RuntimeLog.debug("the supervisor of rank \(source) is lost: \(end.description)")
        slotsAwaitingReplacement.removeAll { workers[$0].supervisor == source }
        channels[0].liveWorkers -= 1
        for slot in workers.indices where workers[slot].supervisor == source && workers[slot].isAlive {
            takeLastReplies(from: slot)
            workerLost(slot: slot, end: end)
        }
        updateWorkerCount()
    }

    /// Settles what a worker sent before the news of its end: a task that finished must not count
    /// as the one that was running. (Over MPI, a supervisor reports an end only after relaying
    /// everything its worker sent; this is for a lost supervisor.)
    func takeLastReplies(from slot: Int) {
        guard !mpiFailed, case let worker = workers[slot], worker.channel < channels.count else { return }
        switch channels[worker.channel].link {
        case .mpi(let communicator): _ = try? receiveReplies(on: communicator, channel: worker.channel)
        case .sharedMemory(let stream): _ = try? receiveReplies(on: stream, channel: worker.channel)
        case .closed: return
        }
    }

    /// Gives a worker up: its running task runs again elsewhere while it has retries left, and the
    /// tasks queued behind it go back to the front of their queues (they never started, so they
    /// use no retry). A replacement is started in its slot.
    func workerLost(slot: Int, end: WorkerEnd) {
        guard workers[slot].isAlive else { return }
        let worker = takeOutOfService(slot: slot)
        let loss = WorkerLoss(rank: worker.rank, host: worker.host, end: end)
        losses.append(loss)

        var tasks = worker.tasks
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
        requeue(tasks)

        // A loss is never routine: the user sees it even when every task still succeeds. (After an
        // interruption, workers ending is expected: SIGTERM often reaches them too.)
        let failed = worker.tasks.count - tasks.count
        if interruption == nil {
            RuntimeLog.warning(
                "\(loss); \(tasks.count) unfinished task(s) go back to the queue"
                    + (failed > 0 ? ", \(failed) failed with no retries left" : ""))
        }
        if case .passedMemoryLimit = end, !worker.tookTasks {
            if !warnedOfIdleMemory {
                warnedOfIdleMemory = true
                RuntimeLog.warning(
                    "rank \(worker.rank) on host \(worker.host) \(end.description) before it ran a task: a worker's "
                        + "idle memory is over workerMemoryLimit, so every replacement would be ended too; such "
                        + "workers are not replaced (workers left: \(workers.count { $0.isAlive })); raise the limit")
            }
        } else if canReplace(worker) {
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

    /// Takes a worker out of service: nothing more is read from it or sent to it, and the tasks it
    /// held no longer count as in flight. Returns its record as it was, with those tasks.
    func takeOutOfService(slot: Int) -> WorkerRecord {
        let worker = workers[slot]
        workers[slot].phase = .lost
        abandonIncomingPieces(slot: slot)
        workers[slot].tasks.removeAll()
        if case .sharedMemory = channels[worker.channel].link {
            // Whatever it still sends is dropped, even once a replacement holds its slot.
            channels[worker.channel].liveWorkers -= 1
            channels[worker.channel].slotBySource[worker.source] = nil
            channels[worker.channel].link = .closed
        }
        abandonSends(to: slot)
        inFlightCount -= worker.tasks.count
        for task in worker.tasks { pools[task.pool]?.inFlight -= 1 }
        return worker
    }

    /// Puts tasks a worker held back at the front of their queues, in order (or fails them when
    /// their pool is broken or gone).
    func requeue(_ tasks: some BidirectionalCollection<QueuedTask>) {
        for task in tasks.reversed() {
            if let pool = pools[task.pool], pool.broken == nil {
                pool.queue.prepend(task)
            } else {
                task.completion.fail(pools[task.pool]?.broken ?? .shutDown("run a task"))
            }
        }
    }

    /// Whether a lost worker's slot can get a new worker: from rank 0 in the plain start, from its
    /// supervisor under a launcher while that supervisor is alive; not when a retiring worker's
    /// replacement was started already.
    func canReplace(_ worker: WorkerRecord) -> Bool {
        guard interruption == nil, !worker.isReplaced else { return false }
        switch transport {
        case .spawned: return recruiter != nil
        case .mpi: return worker.supervisor.map { !lostSupervisors.contains($0) } == true && !mpiFailed
        case .local: return false
        }
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

    /// Ends the worker of any task running past its pool's task timeout; its future fails with
    /// `timedOut` and is not run again, and the worker is replaced.
    func stopOverdueTasks() {
        guard inFlightCount > 0 else { return }
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
            endWorker(slot: slot)
            workerLost(slot: slot, end: .stoppedAfterTimeout)
        }
    }

    /// Gives up on workers that have not said they are ready within the time allowed (a program
    /// stuck in its code before the pool starts, say): they are ended, and lost.
    func giveUpOnSlowStarts() {
        let now = monotonicNanos()
        guard now >= nextStartCheck, let allowed = lifelines?.settings.connectNanos else { return }
        nextStartCheck = now &+ 100_000_000
        for slot in workers.indices where workers[slot].phase == .starting {
            guard now &- workers[slot].startedAt > allowed else { continue }
            endWorker(slot: slot)
            workerLost(slot: slot, end: .neverConnected(nanos: allowed))
        }
    }

    /// Ends a worker's process now: rank 0 kills its own child; a supervisor is told to.
    func endWorker(slot: Int) {
        let worker = workers[slot]
        switch transport {
        case .spawned: if worker.processID > 0 { kill(worker.processID, SIGKILL) }
        case .mpi: sendOrder(.endWorker, rank: worker.rank, slot: slot)
        case .local: break
        }
    }

    /// The readable name of a task's function, found from its frame (only for error messages).
    private static func functionName(of task: QueuedTask) -> String {
        guard let frame = try? TaskFrame.read(from: task.frame.bytes.bytes) else { return "unknown function" }
        let name = frame.functionTypeName
        return FunctionLookup.type(named: name).map { String(reflecting: $0) } ?? name
    }

    // MARK: Replacements

    /// Starts a worker in each slot whose worker was lost: rank 0 itself in the plain start, the
    /// slot's supervisor under a launcher.
    func replaceLostWorkers() {
        let slots = slotsAwaitingReplacement
        slotsAwaitingReplacement = []
        switch transport {
        case .spawned:
            do {
                try startWorkers(in: slots, asReplacements: true)
            } catch {
                self.recruiter = nil
                inbox.canStartWorkers.store(false, ordering: .relaxed)
                RuntimeLog.warning(
                    "could not start a replacement worker (\(error)); the pool goes on with the "
                        + "\(workers.count { $0.isAlive }) workers it has")
                breakIfNoWorkerRemains()
            }
        case .mpi:
            for slot in slots {
                let lost = workers[slot]
                guard let supervisor = lost.supervisor, !lostSupervisors.contains(supervisor) else { continue }
                let rank = nextRank
                nextRank += 1
                // Over the job's communicator, behind its supervisor, until the worker says otherwise.
                workers[slot] = WorkerRecord(
                    rank: rank, channel: 0, source: supervisor, supervisor: supervisor, host: lost.host, processID: 0,
                    isReplacement: true)
                slotByRank[rank] = slot
                lifelines?.name(rank: rank, host: lost.host)
                sendOrder(.startWorker, rank: rank, slot: slot)
                RuntimeLog.debug("asked the supervisor of rank \(supervisor) for rank \(rank) in slot \(slot)")
            }
        case .local: break
        }
        updateWorkerCount()
    }

    /// The plain start grows on demand: a pool that asks for more workers than are alive (or on
    /// their way) has the rest started now, in new slots.
    func startWorkers(upTo target: Int) {
        let present = workersAliveOrComing
        guard target > present else { return }
        do {
            try startWorkers(in: Array(workers.count..<(workers.count + target - present)), asReplacements: false)
        } catch {
            RuntimeLog.warning(
                "could not start more workers (\(error)); the pool goes on with the \(workers.count { $0.isAlive }) "
                    + "it has")
        }
        updateWorkerCount()
    }

    /// Starts a process of this executable for each slot (appending slots past the end), with
    /// memory of its own shared with rank 0, and has the monitor read its output.
    func startWorkers(in slots: [Int], asReplacements: Bool) throws {
        guard let recruiter, let lifelines else { return }
        let host = currentHostName()
        let inbox = inbox
        for slot in slots {
            let rank = nextRank
            nextRank += 1
            let started = try recruiter.start(rank: rank) { _, end in inbox.post(.workerEnded(rank: rank, end)) }
            lifelines.name(rank: rank, host: host)
            lifelines.adoptOutput(rank: rank, output: started.output, errors: started.errors)
            let channel = channels.count
            channels.append(Channel(link: .sharedMemory(started.stream), slotBySource: [0: slot], liveWorkers: 1))
            let worker = WorkerRecord(
                rank: rank, channel: channel, source: 0, host: host, processID: started.processID,
                isReplacement: asReplacements)
            if slot < workers.count { workers[slot] = worker } else { workers.append(worker) }
            slotByRank[rank] = slot
            RuntimeLog.debug("started rank \(rank) (pid \(started.processID)) in slot \(slot)")
        }
    }

    /// Sends a supervisor an order about one of its workers.
    func sendOrder(_ kind: FrameKind, rank: Int, slot: Int) {
        guard !mpiFailed, case .mpi(let job) = transport, let supervisor = workers[slot].supervisor else { return }
        let order = FrameEncoder.supervisorOrder(kind, rank: rank)
        // A supervisor that cannot be reached is lost; its lifeline says so.
        for send in (try? job.communicator.startSend(order, to: supervisor)) ?? [] { abandonedSends.append(send) }
    }

    /// A worker on rank 0's host shares its memory with rank 0: from now on its frames come and go
    /// through it, on a channel of its own, not through its supervisor.
    func adoptWorkerMemory(rank: Int, processID: Int32, name: String) {
        guard let slot = slotByRank[rank], workers[slot].rank == rank, workers[slot].phase == .starting else {
            // Its worker is gone already: the memory goes with its name, which its supervisor removes.
            return
        }
        do {
            let stream = FrameStream.executorEnd(of: try SharedChannelMemory.open(named: name))
            stream.senderIsGone = { processHasEnded(processID) }
            let channel = channels.count
            channels.append(Channel(link: .sharedMemory(stream), slotBySource: [0: slot], liveWorkers: 1))
            workers[slot].channel = channel
            workers[slot].source = 0
            updateWorkerCount()
        } catch {
            // The worker's frames cannot reach rank 0; it is given up (and the slot tried again).
            endWorker(slot: slot)
            workerLost(slot: slot, end: .unreachable("its memory \(name) could not be opened: \(error)"))
        }
    }
}
