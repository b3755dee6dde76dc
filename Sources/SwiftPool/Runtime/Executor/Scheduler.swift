import DequeModule

#if canImport(Glibc)
    import Glibc
#endif

/// Rank 0's scheduler, on the thread that owns MPI: it takes commands from user threads, hands
/// queued tasks to workers with a free slot, settles each task from its worker's reply, and when
/// a worker is lost runs its tasks again elsewhere. With no workers (a single-process job) it runs
/// each task itself, in-process, through the same encode → run → decode path.
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
    private var poolOrder: [UInt32] = []
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
    private var finishing = false
    private var closingPools = 0
    private var poolsWithTimeouts = 0

    /// Every worker lost so far, in order.
    var losses: [WorkerLoss] = []
    /// Set when no task can run any more: every worker is gone, or MPI failed.
    var brokenEverywhere: PoolError?
    /// Whether an MPI call failed; after that the scheduler makes none.
    var mpiFailed = false
    let lifelines: LifelineMonitor?
    /// Starts replacement workers; nil where the launcher's processes cannot be added to.
    var recruiter: WorkerRecruiter?
    var slotsAwaitingReplacement: [Int] = []
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
    private var reportedQueueDepth = -1

    /// Whether a worker owes a reply: to a task, or to an initializer it was sent.
    private var awaitsReplies: Bool {
        inFlightCount > 0 || workers.contains { !$0.pendingInitializers.isEmpty }
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

    /// The workers of an MPI job as start-up found them.
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
    private let maxSlotsPerWorker: Int

    /// Sets the workers up; over MPI, welcomes each and starts watching its lifeline.
    init(inbox: ExecutorInbox, transport: Transport) throws {
        self.inbox = inbox
        self.transport = transport
        switch transport {
        case .mpi(let job):
            lifelines = job.lifelines
            recruiter = nil
            nextRank = job.peers.count
            maxSlotsPerWorker = 16
            try addWorkers(on: job.communicator, peers: job.peers, replacing: Array(0..<(job.peers.count - 1)))
        case .spawned(let plan):
            lifelines = plan.lifelines
            recruiter = plan.recruiter
            nextRank = 1
            maxSlotsPerWorker = 16
            do {
                try startWorkers(in: Array(0..<plan.count), asReplacements: false)
            } catch {
                for worker in workers { kill(worker.processID, SIGKILL) }
                throw PoolError(
                    .spawnFailed,
                    "could not start \(plan.count) worker\(plan.count == 1 ? "" : "s") (\(error)); ask for fewer with "
                        + "maxWorkers, or start the program under mpirun -np N instead")
            }
            updateWorkerCount()
        case .local:
            lifelines = nil
            nextRank = 1
            maxSlotsPerWorker = 1
            workers = [WorkerRecord(rank: 0, channel: 0, source: 0, host: "", processID: 0, isReplacement: false)]
            workers[0].phase = .ready
            workers[0].wasReady = true
        }
    }

    /// Takes the processes of a new communicator (ranks 1...) into the given slots, welcomes each
    /// and waits for its lifeline.
    func addWorkers(on communicator: Communicator, peers: [Peer], replacing slots: [Int]) throws(MPIError) {
        let channel = channels.count
        channels.append(Channel(link: .mpi(communicator), liveWorkers: slots.count))
        for (index, slot) in slots.enumerated() {
            let source = index + 1
            let peer = peers[source]
            let rank = channel == 0 ? source : nextRank
            if channel != 0 { nextRank += 1 }
            let worker = WorkerRecord(
                rank: rank, channel: channel, source: source, host: peer.host, processID: peer.processID,
                isReplacement: channel != 0)
            if slot < workers.count { workers[slot] = worker } else { workers.append(worker) }
            channels[channel].slotBySource[source] = slot
            slotByRank[rank] = slot
            guard let lifelines else { continue }
            let endpoint = lifelines.endpoint(forWorkerOn: peer.host, addresses: peer.addresses)
            lifelines.expect(rank: rank, host: peer.host)
            try Welcome(rank: rank, endpoint: endpoint, secret: lifelines.secret, settings: lifelines.settings)
                .send(on: communicator, to: source)
        }
        updateWorkerCount()
    }

    func updateWorkerCount() {
        let alive = workers.count { $0.isAlive } + slotsAwaitingReplacement.count
        inbox.setWorkerCount(max(alive, brokenEverywhere == nil ? 1 : 0))
    }

    /// Waits until every worker started has connected its lifeline and is ready (or was lost
    /// and replaced, or the time is up), so a new pool's first tasks do not wait for start-up.
    func waitForWorkersToStart(timeoutNanos: UInt64) {
        let deadline = monotonicNanos() &+ timeoutNanos
        while workers.contains(where: { $0.phase == .starting }) || !slotsAwaitingReplacement.isEmpty,
            monotonicNanos() < deadline, brokenEverywhere == nil
        {
            if !takeCommands() { inbox.sleep(timeoutNanos: 1_000_000) }
            if !slotsAwaitingReplacement.isEmpty { replaceLostWorkers() }
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
            } else {
                backoff.idle { nanos in inbox.sleep(timeoutNanos: nanos) }
            }
        }
    }

    private func takeCommands() -> Bool {
        let commands = inbox.takeCommands()
        for command in commands {
            switch command {
            case .openPool(let plan):
                let pool = PoolQueue(plan: plan, workerLimit: min(plan.workerLimit, max(workers.count, 1)))
                pools[plan.id] = pool
                poolOrder.append(plan.id)
                if pool.timeoutNanos != nil { poolsWithTimeouts += 1 }
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
            case .lifeline(let event):
                handle(event)
            case .interrupt(let signal):
                interrupt(signal: signal)
            case .finish:
                finishing = true
            }
        }
        return !commands.isEmpty
    }

    // MARK: Handing out tasks

    /// Hands queued tasks to ready workers with a free slot, visiting pools in turn.
    private func dispatch() throws -> Bool {
        var progressed = false
        for id in poolOrder {
            guard let pool = pools[id], !pool.queue.isEmpty else { continue }
            let slots = pool.slotsPerWorker(maximum: maxSlotsPerWorker)
            while var task = pool.queue.first {
                guard let slot = freeWorker(among: pool.workerLimit, slots: slots) else { break }
                pool.queue.removeFirst()
                progressed = true
                if !task.isStarted {
                    guard task.completion.markRunning() else { continue }
                    task.isStarted = true
                }
                if !task.sharedValues.isEmpty, let missing = missingSharedValue(in: task) {
                    task.completion.fail(missing)
                    continue
                }
                let initializer = pool.plan.initializer.flatMap {
                    workers[slot].initializedPools.insert(id).inserted ? $0 : nil
                }
                if initializer != nil { workers[slot].pendingInitializers.insert(id) }
                if workers[slot].tasks.isEmpty { workers[slot].headStartedAt = monotonicNanos() }
                workers[slot].tasks.append(task)
                pool.inFlight += 1
                inFlightCount += 1
                do {
                    if let initializer { try send(initializer, to: slot) }
                    if !task.sharedValues.isEmpty { try sendSharedValues(of: task, to: slot) }
                    try send(task.frame, to: slot)
                } catch let error as WorkerUnreachable {
                    // The worker is most likely dead; its tasks, this one included, go back.
                    workerLost(slot: slot, end: .unreachable(error.description))
                }
            }
        }
        if closingPools > 0 { forgetFinishedPools() }
        return progressed
    }

    /// Forgets closed pools that have nothing left to hand out or wait for.
    private func forgetFinishedPools() {
        for id in poolOrder {
            guard let pool = pools[id], pool.isFinished else { continue }
            pools[id] = nil
            closingPools -= 1
            if !sharedValues.isEmpty { forgetSharedValues(ofPool: id) }
            if pool.timeoutNanos != nil { poolsWithTimeouts -= 1 }
        }
        poolOrder.removeAll { pools[$0] == nil }
    }

    /// The least busy of the first `limit` ready workers, if one has fewer than `slots` tasks.
    private func freeWorker(among limit: Int, slots: Int) -> Int? {
        var best: Int?
        var seen = 0
        for slot in workers.indices where workers[slot].phase == .ready {
            seen += 1
            if seen > limit { break }
            let busy = workers[slot].tasks.count
            if busy == 0 { return slot }
            if busy < slots && best == nil { best = slot }
        }
        return best
    }

    /// Sends a frame to a worker; throws ``WorkerUnreachable`` when its connection fails.
    func send(_ frame: OutgoingFrame, to slot: Int) throws {
        switch transport {
        case .mpi, .spawned:
            let worker = workers[slot]
            PoolTrafficCounters.noteSent(frame)
            switch channels[worker.channel].link {
            case .mpi(let communicator):
                do {
                    for send in try communicator.startSend(frame, to: worker.source) { sends.append((slot, send)) }
                } catch {
                    throw WorkerUnreachable(description: error.description)
                }
            case .sharedMemory(let stream):
                stream.send(frame)
                if stream.hasPendingOutput { streamsHoldOutput = true }
            case .closed:
                throw WorkerUnreachable(description: "it is lost")
            }
        case .local(let runner):
            let header = try FrameHeader.read(from: frame.bytes.bytes)
            let attachment = frame.attachment.map(LocalAttachment.init)
            if let reply = runner.handle(frame.bytes, header: header, attachment: attachment) {
                let replyHeader = try FrameHeader.read(from: reply.bytes.bytes)
                try handleReply(
                    reply.bytes, header: replyHeader, from: slot, attachment: reply.attachment.map(LocalAttachment.init)
                )
            }
        }
    }

    /// Tests the MPI sends in flight and writes what the shared-memory rings take; true when bytes
    /// moved through a ring, so the loop keeps pace with a large transfer instead of sleeping.
    private func completeSends() -> Bool {
        guard !sends.isEmpty || streamsHoldOutput else { return false }
        var wroteAny = false
        var unreachable: [(slot: Int, error: MPIError)] = []
        var index = 0
        while index < sends.count {
            let complete: Bool
            do {
                complete = try sends[index].send.isComplete()
            } catch {
                unreachable.append((sends[index].slot, error))
                complete = false
            }
            if complete {
                sends.swapAt(index, sends.count - 1)
                sends.removeLast()
            } else {
                index += 1
            }
        }
        if streamsHoldOutput {
            var stillHoldOutput = false
            for channel in channels.indices {
                guard case .sharedMemory(let stream) = channels[channel].link, stream.hasPendingOutput else { continue }
                let flushed = stream.flush()
                if !flushed.isDone { stillHoldOutput = true }
                if flushed.wroteAny { wroteAny = true }
            }
            streamsHoldOutput = stillHoldOutput
        }
        for (slot, error) in unreachable { workerLost(slot: slot, end: .unreachable(error.description)) }
        return wroteAny
    }

    // MARK: Replies

    /// Takes every reply that has arrived, on every channel with a worker left.
    private func receiveReplies() throws -> Bool {
        if case .local = transport { return false }
        var progressed = false
        for channel in channels.indices where channels[channel].liveWorkers > 0 {
            do {
                if try receiveReplies(on: channel) { progressed = true }
            } catch let error as MPIError {
                // A channel of one worker failing is that worker's loss; the job's own
                // communicator failing leaves no worker to blame.
                guard channels[channel].liveWorkers == 1,
                    let slot = channels[channel].slotBySource.values.first(where: { workers[$0].isAlive })
                else { throw error }
                workerLost(slot: slot, end: .unreachable(error.description))
            }
        }
        return progressed
    }

    /// Takes the replies that have arrived on one channel.
    private func receiveReplies(on channel: Int) throws -> Bool {
        switch channels[channel].link {
        case .mpi(let communicator): return try receiveReplies(on: communicator, channel: channel)
        case .sharedMemory(let stream): return try receiveReplies(on: stream, channel: channel)
        case .closed: return false
        }
    }

    /// Takes the frames that have arrived from a worker through shared memory.
    func receiveReplies(on stream: FrameStream, channel: Int) throws -> Bool {
        guard let slot = channels[channel].slotBySource[0] else { return false }
        let (frames, readAny) = stream.receiveFrames()
        for received in frames where workers[slot].isAlive {
            let header = try FrameHeader.read(from: received.frame.bytes)
            try handleReply(
                received.frame, header: header, from: slot, attachment: received.attachment.map(LocalAttachment.init)
            )
        }
        return !frames.isEmpty || readAny
    }

    /// Takes the replies that have arrived on a communicator.
    private func receiveReplies(on communicator: Communicator, channel: Int) throws -> Bool {
        var progressed = false
        while let message = try communicator.receiveIfArrived(tag: MessageTag.frame) {
            progressed = true
            let header = try FrameHeader.read(from: message.bytes.bytes)
            guard let slot = channels[channel].slotBySource[message.source], workers[slot].isAlive else {
                // From a worker given up for lost: its tasks run elsewhere already.
                if header.hasAttachment {
                    _ = try communicator.discardIfArrived(from: message.source, tag: MessageTag.attachment)
                }
                continue
            }
            do {
                try finishReceivingPieces(slot: slot)
            } catch is PeerGone {
                continue
            }
            if header.kind == .pieces {
                let announcement = try PiecesAnnouncement(from: message.bytes.bytes)
                try startReceivingPieces(announcement, from: message.source, on: communicator, slot: slot)
                continue
            }
            let rank = workers[slot].rank
            let inbox = inbox
            let attachment =
                header.hasAttachment
                ? MessageAttachment(
                    communicator: communicator, source: message.source, senderIsGone: { inbox.isGone(rank: rank) })
                : nil
            do {
                try handleReply(message.bytes, header: header, from: slot, attachment: attachment)
                try attachment?.discardIfUnread()
            } catch is PeerGone {
                // The worker died halfway through its reply; the lifeline's report re-runs
                // the task.
            }
        }
        return progressed
    }

    func handleReply(
        _ frame: WireBuffer, header: FrameHeader, from slot: Int, attachment: (any IncomingAttachment)?
    ) throws {
        switch header.kind {
        case .result, .failure:
            let runNanos = try ReplyFrame.runTime(of: frame.bytes)
            let payload = UnsafeRawBufferPointer(rebasing: frame.bytes[ReplyFrame.payloadOffset...])
            guard let task = workers[slot].tasks.first, task.id == header.id else {
                // After an interruption, replies to the tasks it failed still come in.
                if interruption != nil { return }
                throw PoolError(
                    .protocolViolation,
                    "rank \(workers[slot].rank) replied to task \(header.id), which it does not hold")
            }
            if let metrics {
                (header.kind == .result ? metrics.completed : metrics.failed).increment()
                metrics.taskDuration.recordNanoseconds(Int64(clamping: runNanos))
            }
            if header.kind == .result {
                // A reply whose attachment never came stays with its worker: it is being lost.
                guard task.completion.complete(with: .result(payload, attachment)) else { throw PeerGone() }
            } else {
                do {
                    _ = task.completion.complete(
                        with: .failure(try WireDecoder.decode(TaskFailure.self, from: payload)))
                } catch {
                    task.completion.fail(decodingFailed("a task failure sent by rank \(workers[slot].rank)", error))
                }
            }
            workers[slot].tasks.removeFirst()
            inFlightCount -= 1
            if let pool = pools[task.pool] {
                pool.inFlight -= 1
                pool.recordServiceTime(runNanos)
            }
            workers[slot].headStartedAt = monotonicNanos()
        case .initialized:
            initializerEnded(UInt32(truncatingIfNeeded: header.id), on: slot)
        case .initializerFailure:
            let pool = UInt32(truncatingIfNeeded: header.id)
            let payload = UnsafeRawBufferPointer(rebasing: frame.bytes[ReplyFrame.payloadOffset...])
            initializerEnded(pool, on: slot)
            let cause = (try? WireDecoder.decode(TaskFailure.self, from: payload))?.error
            breakPool(
                pool,
                PoolError(
                    .brokenPool,
                    "the pool's initializer failed on rank \(workers[slot].rank): \(cause.map { "\($0)" } ?? "unknown error"); "
                        + "no task of this pool can run; fix the initializer and create a new pool"))
        default:
            throw PoolError(
                .protocolViolation, "rank \(workers[slot].rank) sent a \(header.kind) frame to the executor")
        }
    }

    private func reportQueueDepth(to metrics: PoolMetrics) {
        let depth = pools.values.reduce(0) { $0 + $1.queue.count }
        guard depth != reportedQueueDepth else { return }
        reportedQueueDepth = depth
        metrics.queueDepth.record(depth)
    }

    private func initializerEnded(_ pool: UInt32, on slot: Int) {
        workers[slot].pendingInitializers.remove(pool)
        if workers[slot].tasks.first?.pool == pool { workers[slot].headStartedAt = monotonicNanos() }
        if workers[slot].phase == .initializing && workers[slot].pendingInitializers.isEmpty {
            workers[slot].phase = .ready
            workers[slot].wasReady = true
        }
    }

    /// Sends a newly connected worker the initializers of the pools open now; it takes tasks once
    /// they have all run.
    func initialize(_ slot: Int) throws {
        for id in poolOrder {
            guard let pool = pools[id], !pool.isClosing, pool.broken == nil, let initializer = pool.plan.initializer
            else { continue }
            workers[slot].initializedPools.insert(id)
            workers[slot].pendingInitializers.insert(id)
            try send(initializer, to: slot)
        }
        workers[slot].phase = workers[slot].pendingInitializers.isEmpty ? .ready : .initializing
        workers[slot].wasReady = workers[slot].phase == .ready
    }

    // MARK: Failing

    /// Fails every unfinished task of a pool, and every later one, with `error`.
    func breakPool(_ id: UInt32, _ error: PoolError) {
        guard let pool = pools[id], pool.broken == nil else { return }
        pool.broken = error
        pool.plan.status.markBroken(error)
        while let task = pool.queue.popFirst() { task.completion.fail(error) }
        for slot in workers.indices {
            let held = workers[slot].tasks
            guard held.contains(where: { $0.pool == id }) else { continue }
            // Replies to these tasks will still come; they settle nothing, the futures being done.
            for task in held where task.pool == id { task.completion.fail(error) }
        }
    }

    /// An MPI failure leaves the scheduler unable to trust any task: fail them all, and make no
    /// more MPI calls, so nothing waits for a reply that cannot come and the loop does not spin.
    private func failEverything(_ error: PoolError) {
        mpiFailed = true
        brokenEverywhere = brokenEverywhere ?? error
        for id in poolOrder { breakPool(id, error) }
        for slot in workers.indices {
            for task in workers[slot].tasks {
                task.completion.fail(error)
                pools[task.pool]?.inFlight -= 1
            }
            workers[slot].tasks.removeAll()
        }
        inFlightCount = 0
        sends.removeAll()
        updateWorkerCount()
    }
}
