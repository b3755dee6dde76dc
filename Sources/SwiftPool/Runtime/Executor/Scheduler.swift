import DequeModule

#if canImport(Glibc)
    import Glibc
#endif

/// Rank 0's scheduler, on the thread that owns MPI: it takes commands from user threads, hands
/// queued tasks to workers with a free slot, settles each task from its worker's reply, and when
/// a worker is lost runs its tasks again elsewhere and has the worker replaced. With no workers (a
/// single-process job) it runs each task itself, in-process, through the same encode → run →
/// decode path.
///
/// Not `Sendable`: it is made on the MPI thread and never leaves it. Other threads reach it only
/// through its ``ExecutorInbox``.
final class Scheduler {
    let inbox: ExecutorInbox
    let transport: Transport

    var channels: [Channel] = []
    var workers: [WorkerRecord] = []
    var slotByRank: [Int: Int] = [:]
    var pools: [UInt32: PoolQueue] = [:]
    var poolOrder: [UInt32] = []
    /// Tasks workers hold, over all workers.
    var inFlightCount = 0
    /// Sends in flight, with the slot each goes to.
    var sends: [(slot: Int, send: PendingSend)] = []
    /// Sends to workers now lost. MPI may never finish them and offers no safe way to take them
    /// back, so their memory is kept, and never waited for.
    var abandonedSends: [PendingSend] = []
    /// Replies arriving in pieces, by worker slot.
    var incomingPieces: [Int: IncomingPieces] = [:]
    /// Receives from lost workers that MPI would not cancel: their memory is kept for good.
    var abandonedReceives: [PendingReceive] = []
    var finishing = false
    var closingPools = 0
    var poolsWithTimeouts = 0

    /// Every worker lost so far, in order.
    var losses: [WorkerLoss] = []
    /// Set when no task can run any more: every worker is gone, or MPI failed.
    var brokenEverywhere: PoolError?
    /// Whether an MPI call failed; after that the scheduler makes none.
    var mpiFailed = false
    let lifelines: LifelineMonitor?
    /// Starts the plain start's workers and their replacements; nil under a launcher (the
    /// supervisors start them) and once starting one failed.
    var recruiter: WorkerRecruiter?
    var slotsAwaitingReplacement: [Int] = []
    /// Supervisors lost (their MPI ranks): their workers cannot be replaced, and they get no stop.
    var lostSupervisors: Set<Int> = []
    /// Whose frames each supervisor relays now: the worker rank its last route frame named.
    var speakerBySource: [Int: Int] = [:]
    /// Which of its workers each supervisor hands rank 0's next frames to.
    var routeBySource: [Int: Int] = [:]
    /// Workers started and not yet ready, checked against the time they have to get ready.
    var startingWorkers = 0
    var nextStartCheck: UInt64 = 0
    /// Until when a frame a supervisor nudged about may still be on its way.
    var newsExpectedUntil: UInt64 = 0
    /// Workers whose frames a supervisor relays over MPI (those not on rank 0's host).
    var relayedWorkers = 0
    var nextMPIPoll: UInt64 = 0
    var nextRank: Int
    var nextTimeoutCheck: UInt64 = 0
    /// Whether a shared-memory stream still has bytes its ring had no room for.
    var streamsHoldOutput = false
    /// Values shared with pools, by id, until forgotten.
    var sharedValues: [UInt64: SharedValueRecord] = [:]
    /// How many of them are released and wait for their last task.
    var releasedSharedValues = 0
    var nextSharedValueScan: UInt64 = 0
    /// swift-metrics' counters, when the program set up a backend.
    let metrics = PoolMetrics.ifBootstrapped()
    /// Set once SIGINT or SIGTERM interrupted the pools: the error their tasks failed with.
    var interruption: PoolError?
    /// Tasks queued in all pools, as last reported to ``metrics``.
    var reportedQueueDepth = -1
    /// Holds the plain start's workers to the pools' memory limit (supervisors hold theirs).
    let memoryWatch: MemoryWatch?
    /// The smallest `workerMemoryLimit` of the open pools, as last handed to the workers' parents.
    var appliedMemoryLimit: UInt64?
    /// Whether rank 0 has said that workers pass the memory limit before their first task.
    var warnedOfIdleMemory = false
    /// Pools whose `bootup()` waits for their workers, with what to resolve when they are ready.
    var bootingPools: [(pool: UInt32, done: Future<NoOutput>)] = []
    /// Whether pools' worker limits apply: not to tasks run in-process.
    var enforcesWorkerLimits: Bool {
        if case .local = transport { return false }
        return true
    }

    /// Whether a frame is due from a worker or supervisor: a task's reply, an initializer's, a
    /// starting worker's word that it is ready, or news a supervisor nudged about.
    var awaitsReplies: Bool {
        inFlightCount > 0 || startingWorkers > 0 || monotonicNanos() < newsExpectedUntil
            || workers.contains { !$0.pendingInitializers.isEmpty }
    }

    /// How the scheduler reaches its workers.
    enum Transport {
        /// Worker processes, reached over MPI and watched through lifelines.
        case mpi(MPIWorkers)
        /// Worker processes this one starts (the plain start), reached through shared memory and
        /// watched through lifelines.
        case spawned(SpawnedWorkers)
        /// No other processes: run tasks here.
        case local(TaskRunner)
    }

    /// The supervisors of an MPI job as start-up found them, each with the workers it will start.
    struct MPIWorkers {
        /// The pool's communicator; rank 0 is this process.
        var communicator: Communicator
        /// Every process of the communicator, by rank.
        var peers: [Peer]
        var lifelines: LifelineMonitor
    }

    /// The plain start's workers, before they are started.
    struct SpawnedWorkers {
        var count: Int
        var lifelines: LifelineMonitor
        var recruiter: WorkerRecruiter
    }

    /// The most tasks one worker may hold at once. Tasks queued behind the running one spare the
    /// worker a round trip between short tasks; behind a long task they would only wait while
    /// another worker idles, so each pool sizes the queue from how long its tasks take.
    let maxSlotsPerWorker: Int

    /// Sets the workers up: over MPI, welcomes each supervisor (which starts its worker) and
    /// expects its lifeline; in the plain start, starts the workers.
    init(inbox: ExecutorInbox, transport: Transport) throws {
        self.inbox = inbox
        self.transport = transport
        switch transport {
        case .mpi(let job):
            lifelines = job.lifelines
            recruiter = nil
            memoryWatch = nil
            nextRank = 1
            maxSlotsPerWorker = 16
            try addWorkers(on: job.communicator, peers: job.peers)
        case .spawned(let plan):
            lifelines = plan.lifelines
            recruiter = plan.recruiter
            memoryWatch = plan.recruiter.memoryWatch
            inbox.canStartWorkers.store(true, ordering: .relaxed)
            nextRank = 1
            maxSlotsPerWorker = 16
            do {
                try startWorkers(in: Array(0..<plan.count), asReplacements: false)
            } catch {
                for worker in workers { kill(worker.processID, SIGKILL) }
                throw PoolError(
                    .spawnFailed,
                    "could not start \(plan.count) worker\(plan.count == 1 ? "" : "s") (\(error)); "
                        + WorkerRecruiter.advice(after: error, command: plan.recruiter.command))
            }
            updateWorkerCount()
        case .local:
            lifelines = nil
            memoryWatch = nil
            nextRank = 1
            maxSlotsPerWorker = 1
            workers = [WorkerRecord(rank: 0, channel: 0, source: 0, host: "", processID: 0, isReplacement: false)]
            workers[0].phase = .ready
            workers[0].wasReady = true
        }
    }

    /// Takes the supervisors of the job's communicator (ranks 1...) and the workers each will
    /// start (ranks numbered on from 1, supervisor by supervisor) into slots, welcomes each
    /// supervisor and expects its lifeline.
    func addWorkers(on communicator: Communicator, peers: [Peer]) throws(MPIError) {
        channels.append(Channel(link: .mpi(communicator), liveWorkers: peers.count - 1))
        nextRank = 1
        for source in 1..<peers.count {
            let peer = peers[source]
            let firstRank = nextRank
            for _ in 0..<peer.workerCount {
                let slot = workers.count
                workers.append(
                    WorkerRecord(
                        rank: nextRank, channel: 0, source: source, supervisor: source, host: peer.host, processID: 0,
                        isReplacement: false))
                slotByRank[nextRank] = slot
                lifelines?.name(rank: nextRank, host: peer.host)
                nextRank += 1
            }
            guard let lifelines else { continue }
            let endpoint = lifelines.endpoint(forWorkerOn: peer.host, addresses: peer.addresses)
            lifelines.expect(rank: source, host: peer.host)
            try Welcome(
                rank: source, firstWorkerRank: firstRank, workerCount: peer.workerCount, endpoint: endpoint,
                secret: lifelines.secret, settings: lifelines.settings, onRankZerosHost: peer.host == currentHostName()
            )
            .send(on: communicator, to: source)
        }
        updateWorkerCount()
    }

    /// The pool's size as users see it: workers alive and not already replaced (a retiring
    /// worker's replacement stands in for it), and those on their way into a slot.
    var workersAliveOrComing: Int {
        workers.count { $0.isAlive && !$0.isReplaced } + slotsAwaitingReplacement.count
    }

    func updateWorkerCount() {
        startingWorkers = workers.count { $0.phase == .starting }
        relayedWorkers = workers.count { worker in
            guard worker.isAlive, worker.channel < channels.count, case .mpi = channels[worker.channel].link else {
                return false
            }
            return true
        }
        let alive = workersAliveOrComing
        inbox.setWorkerCount(max(alive, brokenEverywhere == nil ? 1 : 0))
        let serving = workers.count { $0.phase == .ready || $0.phase == .retiring }
        for pool in pools.values {
            pool.plan.status.servingWorkers.store(min(serving, pool.workerLimit), ordering: .relaxed)
        }
    }

    /// Waits until every worker started is ready (or was lost and replaced, or the time is up),
    /// so a new pool's first tasks do not wait for start-up.
    func waitForWorkersToStart(timeoutNanos: UInt64) {
        let deadline = monotonicNanos() &+ timeoutNanos
        while workers.contains(where: { $0.phase == .starting }) || !slotsAwaitingReplacement.isEmpty,
            monotonicNanos() < deadline, brokenEverywhere == nil
        {
            let replied = (try? receiveReplies()) ?? false
            if !takeCommands() && !replied { inbox.sleep(timeoutNanos: 1_000_000) }
            if !slotsAwaitingReplacement.isEmpty { replaceLostWorkers() }
            giveUpOnSlowStarts()
        }
    }

    // MARK: The loop

    /// Runs until a `finish` command has been handled and all work is done.
    func run() {
        var backoff = IdleBackoff.standard()
        while true {
            var progressed = takeCommands()
            // Measured before the dispatch, so tasks that run in-process at once still count.
            if let metrics, progressed { reportQueueDepth(to: metrics) }
            if !mpiFailed {
                do {
                    if try receiveReplies() { progressed = true }
                    if !incomingPieces.isEmpty, try receivePieces() { progressed = true }
                    if !slotsAwaitingReplacement.isEmpty {
                        replaceLostWorkers()
                        progressed = true
                    }
                    if try dispatch() { progressed = true }
                    if completeSends() { progressed = true }
                } catch {
                    failEverything(asPoolError(error))
                    progressed = true
                }
            }
            if poolsWithTimeouts > 0 { stopOverdueTasks() }
            if startingWorkers > 0 { giveUpOnSlowStarts() }
            if !bootingPools.isEmpty, !mpiFailed { bootUp() }
            if releasedSharedValues > 0 && progressed { forgetUnusedSharedValues() }
            if let metrics, progressed { reportQueueDepth(to: metrics) }
            if finishing && inFlightCount == 0 && pools.values.allSatisfy({ $0.queue.isEmpty }) { break }
            if progressed {
                backoff.noteActivity()
            } else if !awaitsReplies && sends.isEmpty && !streamsHoldOutput && !backoff.isSpinning {
                // Nothing can arrive from a worker: sleep until a user thread or the lifeline
                // monitor posts. (Right after activity the loop spins instead, so a caller
                // submitting again soon is not kept waiting for a wake-up.)
                inbox.sleep(timeoutNanos: nil)
                backoff.noteActivity()
            } else if streamsHoldOutput, let stream = blockedStream() {
                // A frame waits for room in a worker's ring: sleep until the worker frees some
                // (it wakes this thread as it does; spinning would take the core it may need).
                stream.waitForSpace(timeoutNanos: 1_000_000)
            } else {
                backoff.idle { nanos in inbox.sleep(timeoutNanos: nanos) }
            }
        }
    }

    /// A worker's stream whose frames wait for room in its ring.
    private func blockedStream() -> FrameStream? {
        for channel in channels {
            if case .sharedMemory(let stream) = channel.link, stream.hasPendingOutput { return stream }
        }
        return nil
    }

    func takeCommands() -> Bool {
        let commands = inbox.takeCommands()
        for command in commands {
            switch command {
            case .openPool(let plan):
                if case .spawned = transport, recruiter != nil { startWorkers(upTo: plan.workerLimit) }
                let pool = PoolQueue(plan: plan, workerLimit: min(plan.workerLimit, max(workers.count, 1)))
                pools[plan.id] = pool
                poolOrder.append(plan.id)
                if pool.timeoutNanos != nil { poolsWithTimeouts += 1 }
                if plan.workerMemoryLimit != nil { applyMemoryLimit() }
                updateWorkerCount()
                if let brokenEverywhere { breakPool(plan.id, brokenEverywhere) }
            case .submit(let task):
                metrics?.submitted.increment()
                if let pool = pools[task.pool] {
                    if let broken = pool.broken { task.completion.fail(broken) } else { pool.queue.append(task) }
                } else {
                    task.completion.fail(.shutDown("run a task"))
                }
            case .share(let plan):
                keepSharedValue(plan)
            case .releaseShared(let id):
                releaseSharedValue(id)
            case .cancelQueued(let id):
                // A task back in the queue after its worker died has started: like a running
                // task, it is not cancelled.
                pools[id]?.queue.removeAll { task in !task.isStarted && task.completion.cancel() }
            case .closePool(let id):
                if let pool = pools[id], !pool.isClosing {
                    pool.isClosing = true
                    closingPools += 1
                }
            case .terminate(let id):
                terminate(pool: id)
            case .bootup(let id, let done):
                bootingPools.append((id, done))
            case .lifeline(let event):
                handle(event)
            case .workerEnded(let rank, let end):
                workerEnded(rank: rank, end: end)
            case .interrupt(let signal):
                interrupt(signal: signal)
            case .finish:
                finishing = true
            }
        }
        return !commands.isEmpty
    }
}
