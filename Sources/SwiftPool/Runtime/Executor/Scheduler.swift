#if canImport(Glibc)
    import Glibc
#endif

/// Rank 0's scheduler, on the thread that owns MPI: it takes commands from user threads, hands
/// queued tasks to workers with a free slot, settles each task from its worker's reply, and when
/// a worker is lost runs its tasks again elsewhere and has the worker replaced.
///
/// It coordinates parts that each hold one kind of state: the ``WorkerTable`` (workers by slot,
/// and which are free), the ``TaskLedger`` (pools' queues, tasks in flight, deadlines), the
/// ``SharedValueBook`` and a ``WorkerTransport`` (how frames reach the workers, and how they are
/// started and stopped). Only its own decisions live here.
///
/// Not `Sendable`: it is made on the MPI thread and never leaves it. Other threads reach it only
/// through its ``ExecutorInbox``.
final class Scheduler {
    let inbox: ExecutorInbox
    let transport: any WorkerTransport
    var workers: WorkerTable
    var ledger = TaskLedger()
    var shared = SharedValueBook()
    /// swift-metrics' counters, when the program set up a backend.
    let metrics = PoolMetrics.ifBootstrapped()
    /// Set when no task can run any more: every worker is gone, or MPI failed.
    var brokenEverywhere: PoolError?
    /// Set once SIGINT or SIGTERM interrupted the pools: the error their tasks failed with.
    var interruption: PoolError?
    var finishing = false
    /// Pools whose `bootup()` waits for their workers, with what to resolve when they are ready.
    var bootingPools: [(pool: UInt32, done: Future<NoOutput>)] = []
    /// How long a worker has to get ready, and when that is checked next.
    var startWatch: StartWatch
    /// Whether rank 0 has said that workers pass the memory limit before their first task.
    var warnedOfIdleMemory = false

    /// How long a started worker has to say it is ready, and when that is next checked.
    struct StartWatch {
        var allowedNanos: UInt64?
        var nextCheck: UInt64 = 0
    }

    /// The most tasks one worker may hold at once. Tasks queued behind the running one spare the
    /// worker a round trip between short tasks; behind a long task they would only wait while
    /// another worker idles, so each pool sizes the queue from how long its tasks take.
    static let maxTasksPerWorkerAtOnce = 16

    init(inbox: ExecutorInbox, transport: any WorkerTransport, maxLoad: Int, startAllowanceNanos: UInt64?) {
        self.inbox = inbox
        self.transport = transport
        self.workers = WorkerTable(maxLoad: maxLoad)
        self.startWatch = StartWatch(allowedNanos: startAllowanceNanos)
    }

    /// A launcher's job: welcomes each supervisor (which starts its workers) and expects its lifeline.
    static func overMPI(
        inbox: ExecutorInbox, job: ProcessTransport.MPIWorkers, lifelines: LifelineMonitor
    ) throws -> Scheduler {
        let transport = ProcessTransport(mode: .mpi(job), lifelines: lifelines, recruiter: nil)
        let scheduler = Scheduler(
            inbox: inbox, transport: transport, maxLoad: maxTasksPerWorkerAtOnce,
            startAllowanceNanos: lifelines.settings.connectNanos)
        try transport.addSupervisors(job, for: scheduler)
        scheduler.updateWorkerCount()
        return scheduler
    }

    /// The plain start: starts `count` worker processes.
    static func spawning(
        inbox: ExecutorInbox, count: Int, lifelines: LifelineMonitor, recruiter: WorkerRecruiter
    ) throws -> Scheduler {
        let transport = ProcessTransport(
            mode: .spawned(recruiter.memoryWatch), lifelines: lifelines, recruiter: recruiter)
        let scheduler = Scheduler(
            inbox: inbox, transport: transport, maxLoad: maxTasksPerWorkerAtOnce,
            startAllowanceNanos: lifelines.settings.connectNanos)
        inbox.canStartWorkers.store(true, ordering: .relaxed)
        do {
            try transport.startWorkers(in: Array(0..<count), asReplacements: false, for: scheduler)
        } catch {
            for worker in scheduler.workers { kill(worker.processID, SIGKILL) }
            throw PoolError(
                .spawnFailed,
                "could not start \(count) worker\(count == 1 ? "" : "s") (\(error)); "
                    + WorkerRecruiter.advice(after: error, command: recruiter.command))
        }
        scheduler.updateWorkerCount()
        return scheduler
    }

    /// A job of one process: each task runs here, as it is handed out.
    static func inProcess(inbox: ExecutorInbox, runner: TaskRunner) -> Scheduler {
        let scheduler = Scheduler(
            inbox: inbox, transport: InProcessTransport(runner: runner), maxLoad: 1, startAllowanceNanos: nil)
        var worker = WorkerRecord(rank: 0, channel: 0, source: 0, host: "", processID: 0, isReplacement: false)
        worker.phase = .ready
        worker.history.wasReady = true
        scheduler.workers.place(worker, in: 0)
        return scheduler
    }

    /// Whether a frame is due from a worker or supervisor: a task's reply, an initializer's, a
    /// starting worker's word that it is ready, or news a supervisor nudged about.
    var awaitsReplies: Bool {
        ledger.inFlight > 0 || workers.counts.starting > 0 || workers.counts.initializing > 0
            || transport.expectsNews
    }

    /// The pool's size as users see it: workers alive and not already replaced (a retiring
    /// worker's replacement stands in for it), and those on their way into a slot.
    var workersAliveOrComing: Int { workers.counts.aliveNotReplaced + workers.awaitingReplacement.count }

    /// Publishes the worker counts user threads read.
    func updateWorkerCount() {
        inbox.setWorkerCount(max(workersAliveOrComing, brokenEverywhere == nil ? 1 : 0))
        let serving = workers.counts.serving
        for pool in ledger.openPools {
            pool.plan.status.servingWorkers.store(min(serving, pool.workerLimit), ordering: .relaxed)
        }
    }

    /// Waits until every worker started is ready (or was lost and replaced, or the time is up),
    /// so a new pool's first tasks do not wait for start-up.
    func waitForWorkersToStart(timeoutNanos: UInt64) {
        let deadline = monotonicNanos() &+ timeoutNanos
        while workers.counts.starting > 0 || !workers.awaitingReplacement.isEmpty, monotonicNanos() < deadline,
            brokenEverywhere == nil
        {
            let replied = (try? transport.receive(for: self)) ?? false
            if !takeCommands() && !replied { transport.waitBriefly(for: self) }
            if !workers.awaitingReplacement.isEmpty { replaceLostWorkers() }
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
            if !transport.hasFailed {
                do {
                    if try transport.receive(for: self) { progressed = true }
                    if !workers.awaitingReplacement.isEmpty {
                        replaceLostWorkers()
                        progressed = true
                    }
                    if try dispatch() { progressed = true }
                    if transport.progressSends(for: self) { progressed = true }
                } catch {
                    failEverything(asPoolError(error))
                    progressed = true
                }
            }
            if ledger.hasDeadlines { stopOverdueTasks() }
            if workers.counts.starting > 0 { giveUpOnSlowStarts() }
            if !bootingPools.isEmpty, !transport.hasFailed { bootUp() }
            if shared.releasedCount > 0 && progressed { forgetUnusedSharedValues() }
            if let metrics, progressed { reportQueueDepth(to: metrics) }
            if finishing && ledger.isIdle { break }
            if progressed {
                backoff.noteActivity()
            } else if !awaitsReplies && !transport.holdsOutput && !transport.hasSendsInFlight && !backoff.isSpinning {
                // Nothing can arrive from a worker: sleep until a user thread or the lifeline
                // monitor posts. (Right after activity the loop spins instead, so a caller
                // submitting again soon is not kept waiting for a wake-up.)
                inbox.sleep(timeoutNanos: nil)
                backoff.noteActivity()
            } else if transport.holdsOutput {
                transport.waitBriefly(for: self)
            } else {
                backoff.idle { nanos in inbox.sleep(timeoutNanos: nanos) }
            }
        }
    }

    func takeCommands() -> Bool {
        let commands = inbox.takeCommands()
        for command in commands {
            switch command {
            case .openPool(let plan):
                if inbox.canStartWorkers.load(ordering: .relaxed), interruption == nil {
                    startWorkers(upTo: plan.workerLimit)
                }
                let pool = PoolQueue(plan: plan, workerLimit: min(plan.workerLimit, max(workers.count, 1)))
                ledger.open(pool)
                if plan.workerMemoryLimit != nil { applyMemoryLimit() }
                updateWorkerCount()
                if let brokenEverywhere { breakPool(plan.id, brokenEverywhere) }
            case .submit(let task):
                metrics?.submitted.increment()
                if let pool = ledger[task.pool] {
                    if let broken = pool.broken { task.completion.fail(broken) } else { pool.queue.append(task) }
                } else {
                    task.completion.fail(.shutDown("run a task"))
                }
            case .share(let plan):
                shared.keep(plan)
            case .releaseShared(let id):
                if shared.release(id) { forgetUnusedSharedValues(force: true) }
            case .cancelQueued(let id):
                // A task back in the queue after its worker died has started: like a running
                // task, it is not cancelled.
                ledger[id]?.queue.removeAll { task in !task.isStarted && task.completion.cancel() }
            case .closePool(let id):
                if let pool = ledger[id], !pool.isClosing {
                    pool.isClosing = true
                    ledger.closingPools += 1
                }
            case .terminate(let id):
                terminate(pool: id)
            case .bootup(let id, let done):
                bootingPools.append((id, done))
            case .lifeline(let event):
                transport.handle(event, for: self)
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
