import DequeModule

#if canImport(Glibc)
    import Glibc
#endif

/// Taking workers' replies and settling the tasks they answer.
extension Scheduler {
    // MARK: Replies

    /// Takes every reply that has arrived, on every channel with a worker left.
    func receiveReplies() throws -> Bool {
        if case .local = transport { return false }
        var progressed = false
        let pollMPI = shouldPollMPI()
        for channel in channels.indices where channels[channel].liveWorkers > 0 {
            if case .mpi = channels[channel].link, !pollMPI { continue }
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

    /// Whether to look for MPI messages on this pass. With every worker on rank 0's host talking
    /// through shared memory, only supervisors' news comes over MPI, and each is nudged about; a
    /// probe on every pass would cost the rings' pace for nothing. Every 10 ms all the same.
    private func shouldPollMPI() -> Bool {
        guard case .mpi = transport else { return false }
        if relayedWorkers > 0 { return true }
        let now = monotonicNanos()
        guard now < newsExpectedUntil || now >= nextMPIPoll else { return false }
        nextMPIPoll = now &+ 10_000_000
        return true
    }

    /// Takes the replies that have arrived on one channel.
    func receiveReplies(on channel: Int) throws -> Bool {
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
            do {
                try handleReply(received.frame, header: header, from: slot, attachment: received.attachment)
                try received.attachment?.discardIfUnread()
            } catch is PeerGone {
                // The worker died halfway through writing a reply; its end re-runs the task.
            }
        }
        return !frames.isEmpty || readAny
    }

    /// Takes the replies that have arrived on a communicator: frames each supervisor relays from
    /// its workers, and its reports of their ends.
    func receiveReplies(on communicator: Communicator, channel: Int) throws -> Bool {
        var progressed = false
        while let message = try communicator.receiveIfArrived(tag: MessageTag.frame) {
            progressed = true
            let source = message.source
            let header = try FrameHeader.read(from: message.bytes.bytes)
            let inbox = inbox
            let supervisorIsGone = { inbox.isGone(rank: source) }
            switch header.kind {
            case .workerEnded:
                workerEnded(rank: Int(header.id), end: try WorkerEndFrame.read(from: message.bytes.bytes))
                continue
            case .workerMemory:
                let (processID, name) = try WorkerMemoryFrame.read(from: message.bytes.bytes)
                adoptWorkerMemory(rank: Int(header.id), processID: processID, name: name)
                continue
            case .route:
                // The frames that follow from this supervisor are this worker's.
                speakerBySource[source] = Int(header.id)
                continue
            default: break
            }
            guard let speaker = speakerBySource[source], let slot = slotByRank[speaker],
                workers[slot].rank == speaker, workers[slot].isAlive, workers[slot].supervisor == source,
                workers[slot].channel == channel
            else {
                // From a worker given up for lost: its tasks run elsewhere already.
                do {
                    try discard(
                        message.bytes, header: header, from: source, on: communicator, senderIsGone: supervisorIsGone)
                } catch is PeerGone {}
                continue
            }
            if !incomingPieces.isEmpty {
                do {
                    try finishReceivingPieces(slot: slot)
                } catch is PeerGone {
                    continue
                }
            }
            if header.kind == .pieces {
                let announcement = try PiecesAnnouncement(from: message.bytes.bytes)
                try startReceivingPieces(announcement, from: source, on: communicator, slot: slot)
                continue
            }
            let attachment =
                header.hasAttachment
                ? MessageAttachment(communicator: communicator, source: source, senderIsGone: supervisorIsGone)
                : nil
            do {
                try handleReply(message.bytes, header: header, from: slot, attachment: attachment)
                try attachment?.discardIfUnread()
            } catch is PeerGone {
                // The supervisor died halfway through relaying a reply; its lifeline's report
                // re-runs the task.
            }
        }
        return progressed
    }

    /// Takes and drops a frame nobody will read, with whatever follows it.
    private func discard(
        _ frame: WireBuffer, header: FrameHeader, from source: Int, on communicator: Communicator,
        senderIsGone: @escaping () -> Bool
    ) throws {
        if header.kind == .pieces {
            let announcement = try PiecesAnnouncement(from: frame.bytes)
            let (_, attachment) = try communicator.receiveAnnouncedFrame(announcement, from: source)
            try attachment?.discardIfUnread()
        } else if header.hasAttachment {
            try communicator.discardNext(from: source, tag: MessageTag.attachment, senderIsGone: senderIsGone)
        }
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
            if workers[slot].phase == .retiring && workers[slot].tasks.isEmpty { retire(slot) }
        case .ready:
            try workerReady(slot, processID: try ReadyFrame.processID(from: frame.bytes))
        case .log:
            let record = try? WireDecoder.decode(
                ForwardedLogRecord.self, from: UnsafeRawBufferPointer(rebasing: frame.bytes[FrameHeader.size...]))
            record?.log(to: RuntimeLog.logger, rank: workers[slot].rank, host: workers[slot].host)
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

    func reportQueueDepth(to metrics: PoolMetrics) {
        let depth = pools.values.reduce(0) { $0 + $1.queue.count }
        guard depth != reportedQueueDepth else { return }
        reportedQueueDepth = depth
        metrics.queueDepth.record(depth)
    }

    func initializerEnded(_ pool: UInt32, on slot: Int) {
        workers[slot].pendingInitializers.remove(pool)
        if workers[slot].tasks.first?.pool == pool { workers[slot].headStartedAt = monotonicNanos() }
        if workers[slot].phase == .initializing && workers[slot].pendingInitializers.isEmpty {
            workers[slot].phase = .ready
            workers[slot].wasReady = true
            updateWorkerCount()
        }
    }

    /// A worker said it is up: it gets the initializers of the pools open now.
    private func workerReady(_ slot: Int, processID: Int32) throws {
        guard workers[slot].phase == .starting else { return }
        workers[slot].processID = processID
        RuntimeLog.debug("rank \(workers[slot].rank) (pid \(processID)) is ready")
        try initialize(slot)
        updateWorkerCount()
    }

    /// Sends a newly started worker the initializers of the pools open now; it takes tasks once
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
}
