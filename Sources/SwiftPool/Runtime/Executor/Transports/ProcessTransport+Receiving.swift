/// Taking what worker processes send: frames through shared memory, and frames, worker ends and
/// memory news that supervisors relay over MPI.
extension ProcessTransport {
    /// Takes every frame that has arrived: from the rings whose doorbell bits are set, and over
    /// MPI when anything may have come that way. Every ring with a worker is read while a worker
    /// is starting (it writes its first frame before it has the doorbell), every 10 ms all the
    /// same, and on every pass without a doorbell.
    func receive(for scheduler: Scheduler) throws -> Bool {
        var progressed = false
        if case .mpi = mode, channels[0].liveWorkers > 0, shouldPollMPI(for: scheduler) {
            if try receive(on: 0, for: scheduler) { progressed = true }
        }
        let now = monotonicNanos()
        if let doorbell, scheduler.workers.counts.starting == 0, now < polling.nextSweep {
            try doorbell.takeRung(among: scheduler.workers.count) { slot in
                guard slot < scheduler.workers.count, scheduler.workers[slot].isAlive else { return }
                let channel = scheduler.workers[slot].channel
                guard case .sharedMemory = channels[channel].link else { return }
                if try receive(on: channel, for: scheduler) { progressed = true }
            }
        } else {
            polling.nextSweep = now &+ 10_000_000
            doorbell?.takeRung(among: scheduler.workers.count) { _ in }
            for channel in channels.indices where channels[channel].liveWorkers > 0 {
                guard case .sharedMemory = channels[channel].link else { continue }
                if try receive(on: channel, for: scheduler) { progressed = true }
            }
        }
        if !operations.incomingPieces.isEmpty, try receivePieces(for: scheduler) { progressed = true }
        return progressed
    }

    /// Whether to look for MPI messages on this pass. With every worker on rank 0's host talking
    /// through shared memory, only supervisors' news comes over MPI, and each is nudged about; a
    /// probe on every pass would cost the rings' pace for nothing. Every 10 ms all the same.
    private func shouldPollMPI(for scheduler: Scheduler) -> Bool {
        guard case .mpi = mode else { return false }
        if scheduler.workers.counts.relayed > 0 { return true }
        let now = monotonicNanos()
        guard now < polling.newsExpectedUntil || now >= polling.nextMPIPoll else { return false }
        polling.nextMPIPoll = now &+ 10_000_000
        return true
    }

    func takeLastReplies(from slot: Int, for scheduler: Scheduler) {
        let worker = scheduler.workers[slot]
        guard !hasFailed, worker.channel < channels.count else { return }
        _ = try? receive(on: worker.channel, for: scheduler)
    }

    /// Takes the frames that have arrived on one channel.
    private func receive(on channel: Int, for scheduler: Scheduler) throws -> Bool {
        switch channels[channel].link {
        case .mpi(let communicator): return try receive(on: communicator, channel: channel, for: scheduler)
        case .sharedMemory(let stream): return try receive(on: stream, channel: channel, for: scheduler)
        case .closed: return false
        }
    }

    /// Takes the frames that have arrived from a worker through shared memory.
    private func receive(on stream: FrameStream, channel: Int, for scheduler: Scheduler) throws -> Bool {
        guard let slot = channels[channel].slotBySource[0] else { return false }
        let (frames, readAny) = stream.receiveFrames()
        for received in frames where scheduler.workers[slot].isAlive {
            let header = try FrameHeader.read(from: received.frame.bytes)
            do {
                try scheduler.handleReply(received.frame, header: header, from: slot, attachment: received.attachment)
                try received.attachment?.discardIfUnread()
            } catch is PeerGone {
                // The worker died halfway through writing a reply; its end re-runs the task.
            }
        }
        return !frames.isEmpty || readAny
    }

    /// Takes the frames that have arrived on a communicator: those each supervisor relays from
    /// its workers, and its reports of their ends.
    private func receive(on communicator: Communicator, channel: Int, for scheduler: Scheduler) throws -> Bool {
        var progressed = false
        while let message = try communicator.receiveIfArrived(tag: MessageTag.frame) {
            progressed = true
            let source = message.source
            let header = try FrameHeader.read(from: message.bytes.bytes)
            let inbox = scheduler.inbox
            let supervisorIsGone = { inbox.isGone(rank: source) }
            switch header.kind {
            case .workerEnded:
                scheduler.workerEnded(rank: Int(header.id), end: try WorkerEndFrame.read(from: message.bytes.bytes))
                continue
            case .workerMemory:
                let (processID, name) = try WorkerMemoryFrame.read(from: message.bytes.bytes)
                adoptWorkerMemory(rank: Int(header.id), processID: processID, name: name, for: scheduler)
                continue
            case .route:
                // The frames that follow from this supervisor are this worker's.
                routes.speakerBySource[source] = Int(header.id)
                continue
            default: break
            }
            guard let speaker = routes.speakerBySource[source], let slot = scheduler.workers.slot(ofRank: speaker),
                scheduler.workers[slot].isAlive, scheduler.workers[slot].supervisor == source,
                scheduler.workers[slot].channel == channel
            else {
                // From a worker given up for lost: its tasks run elsewhere already.
                do {
                    try discard(
                        message.bytes, header: header, from: source, on: communicator, senderIsGone: supervisorIsGone)
                } catch is PeerGone {}
                continue
            }
            if !operations.incomingPieces.isEmpty {
                do {
                    try finishReceivingPieces(slot: slot, for: scheduler)
                } catch is PeerGone {
                    continue
                }
            }
            if header.kind == .pieces {
                let announcement = try PiecesAnnouncement(from: message.bytes.bytes)
                operations.incomingPieces[slot] = try IncomingPieces(announcement, from: source, on: communicator)
                continue
            }
            let attachment =
                header.hasAttachment
                ? MessageAttachment(communicator: communicator, source: source, senderIsGone: supervisorIsGone)
                : nil
            do {
                try scheduler.handleReply(message.bytes, header: header, from: slot, attachment: attachment)
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

    // MARK: Replies in pieces

    /// Handles each reply whose pieces have all arrived.
    private func receivePieces(for scheduler: Scheduler) throws -> Bool {
        var progressed = false
        for (slot, incoming) in operations.incomingPieces where try incoming.isComplete() {
            operations.incomingPieces[slot] = nil
            try handle(incoming, from: slot, for: scheduler)
            progressed = true
        }
        return progressed
    }

    /// Waits for the reply a worker is sending in pieces: a later frame from it must not be handled
    /// before it. Throws ``PeerGone`` if the worker dies first.
    private func finishReceivingPieces(slot: Int, for scheduler: Scheduler) throws {
        guard let incoming = operations.incomingPieces[slot] else { return }
        var backoff = IdleBackoff(spinWindowNanos: 50_000, firstSleepNanos: 10_000, maxSleepNanos: 1_000_000)
        while try !incoming.isComplete() {
            if scheduler.inbox.isGone(rank: scheduler.workers[slot].rank) { throw PeerGone() }
            backoff.idle(sleep: sleepNanos)
        }
        operations.incomingPieces[slot] = nil
        try handle(incoming, from: slot, for: scheduler)
    }

    private func handle(_ incoming: IncomingPieces, from slot: Int, for scheduler: Scheduler) throws {
        let header = try FrameHeader.read(from: incoming.frame.bytes)
        try scheduler.handleReply(
            incoming.frame, header: header, from: slot, attachment: incoming.attachment.map(LocalAttachment.init))
    }
}
