#if canImport(Glibc)
    import Glibc
#endif

/// Starting, ending and limiting worker processes: rank 0 does it itself in the plain start, and
/// orders the workers' supervisors to under a launcher.
extension ProcessTransport {
    /// Takes the supervisors of the job's communicator (ranks 1...) and the workers each will
    /// start (ranks numbered on from 1, supervisor by supervisor) into slots, welcomes each
    /// supervisor and expects its lifeline.
    func addSupervisors(_ job: MPIWorkers, for scheduler: Scheduler) throws(MPIError) {
        channels.append(Channel(link: .mpi(job.communicator), liveWorkers: job.peers.count - 1))
        for source in 1..<job.peers.count {
            let peer = job.peers[source]
            let firstRank = scheduler.workers.nextRank
            for _ in 0..<peer.workerCount {
                let rank = scheduler.workers.nextRank
                scheduler.workers.nextRank += 1
                scheduler.workers.place(
                    WorkerRecord(
                        rank: rank, channel: 0, source: source, supervisor: source, host: peer.host, processID: 0,
                        isReplacement: false),
                    in: scheduler.workers.count)
                lifelines.name(rank: rank, host: peer.host)
            }
            let endpoint = lifelines.endpoint(forWorkerOn: peer.host, addresses: peer.addresses)
            lifelines.expect(rank: source, host: peer.host)
            try Welcome(
                rank: source, firstWorkerRank: firstRank, workerCount: peer.workerCount, endpoint: endpoint,
                secret: lifelines.secret, settings: lifelines.settings, onRankZerosHost: peer.host == currentHostName()
            )
            .send(on: job.communicator, to: source)
        }
    }

    /// Starts a worker in each slot: a process of this executable that shares memory with rank 0
    /// in the plain start; under a launcher, an order to the supervisor of the lost worker that
    /// held the slot.
    func startWorkers(in slots: [Int], asReplacements: Bool, for scheduler: Scheduler) throws {
        switch mode {
        case .spawned:
            guard let recruiter else { return }
            do {
                try spawnWorkers(in: slots, asReplacements: asReplacements, by: recruiter, for: scheduler)
            } catch {
                // Starting one failed: no more are tried.
                self.recruiter = nil
                scheduler.inbox.canStartWorkers.store(false, ordering: .relaxed)
                throw error
            }
        case .mpi:
            for slot in slots {
                let lost = scheduler.workers[slot]
                guard let supervisor = lost.supervisor, !scheduler.workers.lostSupervisors.contains(supervisor) else {
                    continue
                }
                let rank = scheduler.workers.nextRank
                scheduler.workers.nextRank += 1
                // Over the job's communicator, behind its supervisor, until the worker says otherwise.
                scheduler.workers.place(
                    WorkerRecord(
                        rank: rank, channel: 0, source: supervisor, supervisor: supervisor, host: lost.host,
                        processID: 0, isReplacement: true),
                    in: slot)
                lifelines.name(rank: rank, host: lost.host)
                sendOrder(.startWorker, rank: rank, slot: slot, for: scheduler)
                RuntimeLog.debug("asked the supervisor of rank \(supervisor) for rank \(rank) in slot \(slot)")
            }
        }
    }

    /// Starts a process of this executable for each slot (appending slots past the end), with
    /// memory of its own shared with rank 0, and has the monitor read its output.
    private func spawnWorkers(
        in slots: [Int], asReplacements: Bool, by recruiter: WorkerRecruiter, for scheduler: Scheduler
    ) throws {
        let host = currentHostName()
        let inbox = scheduler.inbox
        for slot in slots {
            let rank = scheduler.workers.nextRank
            scheduler.workers.nextRank += 1
            let started = try recruiter.start(rank: rank) { _, end in inbox.post(.workerEnded(rank: rank, end)) }
            lifelines.name(rank: rank, host: host)
            lifelines.adoptOutput(rank: rank, output: started.output, errors: started.errors)
            let channel = channels.count
            channels.append(Channel(link: .sharedMemory(started.stream), slotBySource: [0: slot], liveWorkers: 1))
            handDoorbell(to: started.stream, slot: slot, channel: channel)
            scheduler.workers.place(
                WorkerRecord(
                    rank: rank, channel: channel, source: 0, host: host, processID: started.processID,
                    isReplacement: asReplacements),
                in: slot)
            RuntimeLog.debug("started rank \(rank) (pid \(started.processID)) in slot \(slot)")
        }
    }

    /// Tells a worker that now shares rings with rank 0 which doorbell bit to ring: its slot's.
    private func handDoorbell(to stream: FrameStream, slot: Int, channel: Int) {
        guard let doorbell else { return }
        stream.send(FrameEncoder.doorbell(slot: slot, processID: getpid(), descriptor: doorbell.descriptor))
        if stream.hasPendingOutput { blockedChannels.insert(channel) }
    }

    /// Ends a worker's process now: rank 0 kills its own child; a supervisor is told to.
    func endWorker(in slot: Int, for scheduler: Scheduler) {
        let worker = scheduler.workers[slot]
        switch mode {
        case .spawned: if worker.processID > 0 { kill(worker.processID, SIGKILL) }
        case .mpi: sendOrder(.endWorker, rank: worker.rank, slot: slot, for: scheduler)
        }
    }

    /// Rank 0 writes the stop into rings it shares with the worker; a supervisor that relays the
    /// worker is told to stop it.
    func retire(_ slot: Int, for scheduler: Scheduler) {
        let worker = scheduler.workers[slot]
        switch channels[worker.channel].link {
        case .sharedMemory(let stream):
            stream.send(FrameEncoder.stop(.finalize))
            if stream.hasPendingOutput { blockedChannels.insert(worker.channel) }
        case .mpi: sendOrder(.retireWorker, rank: worker.rank, slot: slot, for: scheduler)
        case .closed: break
        }
    }

    /// Sends a supervisor an order about one of its workers.
    private func sendOrder(_ kind: FrameKind, rank: Int, slot: Int, for scheduler: Scheduler) {
        guard !hasFailed, case .mpi(let job) = mode, let supervisor = scheduler.workers[slot].supervisor else { return }
        let order = FrameEncoder.supervisorOrder(kind, rank: rank)
        // A supervisor that cannot be reached is lost; its lifeline says so.
        for send in (try? job.communicator.startSend(order, to: supervisor)) ?? [] {
            operations.abandonedSends.append(send)
        }
    }

    /// Hands the memory limit to whoever watches the workers: rank 0's own watch in the plain
    /// start, every supervisor under a launcher.
    func applyMemoryLimit(_ limit: UInt64?, for scheduler: Scheduler) {
        guard limit != appliedMemoryLimit else { return }
        appliedMemoryLimit = limit
        switch mode {
        case .spawned(let memoryWatch): memoryWatch?.setLimit(limit)
        case .mpi(let job):
            guard !hasFailed else { return }
            let order = FrameEncoder.memoryLimit(bytes: limit ?? 0)
            for source in 1..<job.peers.count where !scheduler.workers.lostSupervisors.contains(source) {
                // A supervisor that cannot be reached is lost; its lifeline says so.
                for send in (try? job.communicator.startSend(order, to: source)) ?? [] {
                    operations.abandonedSends.append(send)
                }
            }
        }
    }

    /// A worker on rank 0's host shares its memory with rank 0: from now on its frames come and go
    /// through it, on a channel of its own, not through its supervisor.
    func adoptWorkerMemory(rank: Int, processID: Int32, name: String, for scheduler: Scheduler) {
        guard let slot = scheduler.workers.slot(ofRank: rank), scheduler.workers[slot].phase == .starting else {
            // Its worker is gone already: the memory goes with its name, which its supervisor removes.
            return
        }
        do {
            let stream = FrameStream.executorEnd(of: try SharedChannelMemory.open(named: name))
            stream.senderIsGone = { processHasEnded(processID) }
            let channel = channels.count
            channels.append(Channel(link: .sharedMemory(stream), slotBySource: [0: slot], liveWorkers: 1))
            handDoorbell(to: stream, slot: slot, channel: channel)
            scheduler.workers[slot].channel = channel
            scheduler.workers[slot].source = 0
            scheduler.updateWorkerCount()
        } catch {
            // The worker's frames cannot reach rank 0; it is given up (and the slot tried again).
            endWorker(in: slot, for: scheduler)
            scheduler.workerLost(slot: slot, end: .unreachable("its memory \(name) could not be opened: \(error)"))
        }
    }
}
