#if canImport(Glibc)
    import Glibc
#endif

/// Worker processes: the plain start's, which rank 0 starts itself and shares memory with, or a
/// launcher's, which the other MPI ranks (supervisors) start and relay over MPI. A worker on rank
/// 0's host shares memory with rank 0 either way, so one job can use both links.
final class ProcessTransport: WorkerTransport {
    /// Who starts the workers.
    enum Mode {
        /// Supervisors (ranks 1...) start them and report their ends; rank 0 sends them orders.
        case mpi(MPIWorkers)
        /// Rank 0 starts them itself, and holds them to the pools' memory limit.
        case spawned(MemoryWatch?)
    }

    /// The supervisors of an MPI job as start-up found them, each with the workers it will start.
    struct MPIWorkers {
        /// The pool's communicator; rank 0 is this process.
        var communicator: Communicator
        /// Every process of the communicator, by rank.
        var peers: [Peer]
    }

    let mode: Mode
    let lifelines: LifelineMonitor
    /// Starts the plain start's workers; nil under a launcher, and once starting one failed.
    var recruiter: WorkerRecruiter?
    var channels: [Channel] = []
    /// MPI's sends and receives in flight, and those given up.
    var operations = MPIOperations()
    var routes = SupervisorRoutes()
    var polling = Polling()
    /// The bits workers that share rings with rank 0 set when they write; nil if it could not
    /// be made (every ring is then read on every pass).
    let doorbell: Doorbell?
    /// Shared-memory channels whose frames wait for room in their ring.
    var blockedChannels: Set<Int> = []
    var hasFailed = false
    /// The memory limit last handed to the workers' parents.
    var appliedMemoryLimit: UInt64?

    init(mode: Mode, lifelines: LifelineMonitor, recruiter: WorkerRecruiter?) {
        self.mode = mode
        self.lifelines = lifelines
        self.recruiter = recruiter
        do {
            doorbell = try Doorbell.create()
        } catch {
            RuntimeLog.debug("no doorbell for the workers' rings (\(error)); every ring is read on every pass")
            doorbell = nil
        }
    }

    /// When rank 0 looks where nothing may have arrived.
    struct Polling {
        /// Until when a frame a supervisor nudged about may still be on its way.
        var newsExpectedUntil: UInt64 = 0
        /// When MPI is next looked at when nothing is expected from it.
        var nextMPIPoll: UInt64 = 0
        /// When every ring is next read, rung or not: a worker that could not open the doorbell
        /// is served all the same, if later.
        var nextSweep: UInt64 = 0
    }

    var runsTasksElsewhere: Bool { true }
    var expectsNews: Bool { monotonicNanos() < polling.newsExpectedUntil }
    var holdsOutput: Bool { !blockedChannels.isEmpty }
    var hasSendsInFlight: Bool { !operations.sends.isEmpty }

    var isSpawning: Bool {
        if case .spawned = mode { return true }
        return false
    }

    func handle(_ event: LifelineEvent, for scheduler: Scheduler) {
        switch event {
        case .connected(let rank):
            RuntimeLog.debug("the supervisor of rank \(rank) connected its lifeline")
        case .lost(let rank, let end):
            guard case .mpi = mode, !scheduler.workers.lostSupervisors.contains(rank) else { return }
            channels[0].liveWorkers -= 1
            scheduler.supervisorLost(source: rank, end: end)
        case .nudged:
            // The frame is sent before the nudge, but may still be on its way.
            polling.newsExpectedUntil = monotonicNanos() &+ 100_000_000
        }
    }

    // MARK: Sending

    func send(_ frame: OutgoingFrame, to slot: Int, for scheduler: Scheduler) throws {
        let worker = scheduler.workers[slot]
        PoolTrafficCounters.noteSent(frame)
        switch channels[worker.channel].link {
        case .mpi(let communicator):
            do {
                // A supervisor hands rank 0's frames to the worker the last route frame named.
                if routes.routeBySource[worker.source] != worker.rank {
                    let route = FrameEncoder.route(rank: worker.rank)
                    for send in try communicator.startSend(route, to: worker.source) {
                        operations.sends.append((slot, send))
                    }
                    routes.routeBySource[worker.source] = worker.rank
                }
                for send in try communicator.startSend(frame, to: worker.source) {
                    operations.sends.append((slot, send))
                }
            } catch {
                throw WorkerUnreachable(description: error.description)
            }
        case .sharedMemory(let stream):
            stream.send(frame)
            if stream.hasPendingOutput { blockedChannels.insert(worker.channel) }
        case .closed:
            throw WorkerUnreachable(description: "it is lost")
        }
    }

    /// Tests the MPI sends in flight and writes what the shared-memory rings take; true when bytes
    /// moved through a ring, so the loop keeps pace with a large transfer instead of sleeping.
    func progressSends(for scheduler: Scheduler) -> Bool {
        guard !operations.sends.isEmpty || !blockedChannels.isEmpty else { return false }
        var wroteAny = false
        var unreachable: [(slot: Int, error: MPIError)] = []
        var index = 0
        while index < operations.sends.count {
            let complete: Bool
            do {
                complete = try operations.sends[index].send.isComplete()
            } catch {
                unreachable.append((operations.sends[index].slot, error))
                complete = false
            }
            if complete {
                operations.sends.swapAt(index, operations.sends.count - 1)
                operations.sends.removeLast()
            } else {
                index += 1
            }
        }
        for channel in blockedChannels {
            guard case .sharedMemory(let stream) = channels[channel].link else {
                blockedChannels.remove(channel)
                continue
            }
            let flushed = stream.flush()
            if flushed.isDone { blockedChannels.remove(channel) }
            if flushed.wroteAny { wroteAny = true }
        }
        for (slot, error) in unreachable { scheduler.workerLost(slot: slot, end: .unreachable(error.description)) }
        return wroteAny
    }

    func waitBriefly(for scheduler: Scheduler) {
        // A frame waits for room in a worker's ring: sleep until the worker frees some (it wakes
        // this thread as it does; spinning would take the core it may need).
        if let channel = blockedChannels.first, case .sharedMemory(let stream) = channels[channel].link {
            return stream.waitForSpace(timeoutNanos: 1_000_000)
        }
        scheduler.inbox.sleep(timeoutNanos: 1_000_000)
    }

    func closeLink(to worker: WorkerRecord, slot: Int) {
        if let incoming = operations.incomingPieces.removeValue(forKey: slot) {
            operations.abandonedReceives += incoming.cancel()
        }
        if case .sharedMemory = channels[worker.channel].link {
            // Whatever it still sends is dropped, even once a replacement holds its slot.
            channels[worker.channel].liveWorkers -= 1
            channels[worker.channel].slotBySource[worker.source] = nil
            channels[worker.channel].link = .closed
            blockedChannels.remove(worker.channel)
        }
        operations.sends.removeAll { entry in
            guard entry.slot == slot else { return false }
            operations.abandonedSends.append(entry.send)
            return true
        }
    }

    /// Whether a lost worker's slot can get a new worker: from rank 0 in the plain start, from its
    /// supervisor under a launcher while that supervisor is alive.
    func canReplace(_ worker: WorkerRecord, for scheduler: Scheduler) -> Bool {
        switch mode {
        case .spawned: return recruiter != nil
        case .mpi:
            return worker.supervisor.map { !scheduler.workers.lostSupervisors.contains($0) } == true && !hasFailed
        }
    }
}

/// How rank 0 reaches a group of workers: the job's communicator (each worker behind its
/// supervisor's rank), or, for a worker that shares memory with rank 0, that memory.
struct Channel {
    enum Link {
        case mpi(Communicator)
        case sharedMemory(FrameStream)
        /// The worker is lost; nothing more is read from it.
        case closed
    }

    var link: Link
    /// The slot of the worker on a shared-memory channel (at rank 0). Over MPI a frame's worker
    /// is the one its supervisor's last route frame named.
    var slotBySource: [Int: Int] = [:]
    /// Processes on it that are not lost (supervisors, or the one worker of a shared-memory
    /// channel); a channel with none is no longer polled.
    var liveWorkers: Int
}

/// Which worker each supervisor speaks for and hands frames to: a route frame switches either.
struct SupervisorRoutes {
    /// Whose frames each supervisor relays now: the worker rank its last route frame named.
    var speakerBySource: [Int: Int] = [:]
    /// Which of its workers each supervisor hands rank 0's next frames to.
    var routeBySource: [Int: Int] = [:]
}

/// What rank 0 has handed MPI and not yet seen complete.
struct MPIOperations {
    /// Sends in flight, with the slot each goes to.
    var sends: [(slot: Int, send: PendingSend)] = []
    /// Replies arriving in pieces, by worker slot.
    var incomingPieces: [Int: IncomingPieces] = [:]
    /// Sends to, and receives from, workers now lost. MPI may never finish them and offers no
    /// safe way to take them back, so their memory is kept for good, and never waited for.
    var abandonedSends: [PendingSend] = []
    var abandonedReceives: [PendingReceive] = []
}
