import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A rank other than 0 under a launcher (mpirun, mpirun --hostfile, srun): the process the
/// launcher knows about, which therefore never runs a task. It keeps MPI, starts its worker
/// process the way rank 0 does in the plain start (``WorkerRecruiter``), relays frames between
/// rank 0 (MPI) and the worker (shared memory), reads the worker's output, tells rank 0 exactly how
/// each worker ended, and starts the replacements rank 0 asks for. Whatever a task does ends at
/// most its worker process: no launcher ever sees a death.
///
/// Rank 0 decides; the supervisor carries out: start the worker of rank R, end the worker of
/// rank R, stop. A supervisor may have several workers (`SWIFTPOOL_WORKERS_PER_RANK`): route
/// frames, each way, say which worker the frames after them concern. Frames of a worker rank 0
/// ordered ended are dropped.
///
/// On rank 0's own host there is nothing to relay: the supervisor hands rank 0 the name of the
/// worker's memory, and rank 0 and the worker talk through it directly, as in the plain start.
final class Supervisor {
    private let communicator: Communicator
    private let host: String
    private let recruiter: WorkerRecruiter
    private let link: LifelineLink
    private let output: OutputRelay
    /// Whether this process is on rank 0's host: its workers' frames then bypass it.
    private let direct: Bool
    private var children: [Child] = []
    /// The worker rank 0's frames go to, as its last route frame said.
    private var target: Int?
    /// The worker whose frames rank 0 was last told follow.
    private var speaker: Int?
    /// Ends reported by the reaper threads, not yet handled.
    private let ends = ReportedEnds()

    private final class ReportedEnds: Sendable {
        let list = Mutex<[(processID: pid_t, end: WorkerEnd)]>([])
    }

    private struct Child {
        var rank: Int
        var processID: pid_t
        var stream: FrameStream
        var memory: SharedChannelMemory
        /// Rank 0 ordered it ended: what it still sends is dropped.
        var ending = false
    }

    init(communicator: Communicator, host: String, link: LifelineLink, direct: Bool) {
        self.communicator = communicator
        self.host = host
        self.link = link
        self.direct = direct
        self.recruiter = .forThisProgram()
        self.output = OutputRelay { [link] rank, stream, bytes in link.sendOutput(rank: rank, stream: stream, bytes) }
    }

    /// Starts the workers of ranks `ranks` and relays until rank 0 says stop; returns how to end.
    func run(workers ranks: Range<Int>) throws -> StopMode {
        for rank in ranks { startWorker(rank: rank) }
        var backoff = IdleBackoff.standard()
        while true {
            var progressed = false
            if let stop = try relayFromRankZero(&progressed) { return stop }
            try relayFromWorkers(&progressed)
            try reportEnds(&progressed)
            // Asleep on its one worker's ring: a reply (or room freed) wakes this process at once;
            // rank 0's next frame is seen at the next poll, as in any MPI loop.
            if progressed {
                backoff.noteActivity()
            } else if !direct, children.count == 1, children[0].stream.hasPendingOutput {
                children[0].stream.waitForSpace(timeoutNanos: 1_000_000)
            } else if !direct, children.count == 1 {
                backoff.idle(sleep: children[0].stream.waitForBytes)
            } else {
                backoff.idle(sleep: sleepNanos)
            }
        }
    }

    // MARK: Rank 0 → worker

    /// Takes what rank 0 sent: orders carried out here, everything else handed to the worker the
    /// last route frame named. Returns the stop mode once rank 0 says stop.
    private func relayFromRankZero(_ progressed: inout Bool) throws -> StopMode? {
        while let message = try communicator.receiveIfArrived(from: 0, tag: MessageTag.frame) {
            progressed = true
            var frame = message.bytes
            var header = try FrameHeader.read(from: frame.bytes)
            var incoming: (any IncomingAttachment)?
            if header.kind == .pieces {
                (frame, incoming) = try communicator.receiveAnnouncedFrame(
                    try PiecesAnnouncement(from: frame.bytes), from: 0)
                header = try FrameHeader.read(from: frame.bytes)
            } else if header.hasAttachment {
                incoming = MessageAttachment(communicator: communicator, source: 0)
            }
            let attachment = try incoming.map { incoming in
                let buffer = WireBuffer(uninitializedCount: try incoming.byteCount())
                try incoming.fill(UnsafeMutableRawBufferPointer(start: buffer.base, count: buffer.count))
                return buffer
            }
            switch header.kind {
            case .stop: return StopMode(rawValue: header.id) ?? .exitNow
            case .route: target = Int(header.id)
            case .startWorker: startWorker(rank: Int(header.id))
            case .endWorker:
                for index in children.indices where children[index].rank == Int(header.id) {
                    children[index].ending = true
                    kill(children[index].processID, SIGKILL)
                }
            case .retireWorker:
                // Idle, and done: it stops as at the job's end, and its end is reported as any.
                for child in children where child.rank == Int(header.id) {
                    child.stream.send(FrameEncoder.stop(.exitNow))
                }
            case .memoryLimit:
                recruiter.memoryWatch.setLimit(header.id == 0 ? nil : header.id)
            default:
                // Rank 0 sends a worker nothing before it is ready; what it sent for one that died
                // meanwhile is run again elsewhere.
                guard !direct, let index = children.firstIndex(where: { $0.rank == target && !$0.ending }) else {
                    continue
                }
                children[index].stream.send(
                    OutgoingFrame(
                        bytes: frame,
                        attachment: attachment.map { OutgoingAttachment(owner: $0, base: $0.base, count: $0.count) }))
            }
        }
        for child in children where child.stream.hasPendingOutput {
            if child.stream.flush().wroteAny { progressed = true }
        }
        return nil
    }

    // MARK: Worker → rank 0

    private func relayFromWorkers(_ progressed: inout Bool) throws {
        guard !direct else { return }
        for child in children {
            if try relayFrames(of: child) { progressed = true }
        }
    }

    /// Sends rank 0 the frames the worker has finished writing; true when any byte came.
    private func relayFrames(of child: Child) throws -> Bool {
        let (frames, readAny) = child.stream.receiveFrames()
        guard !child.ending, !frames.isEmpty else { return readAny }
        if speaker != child.rank {
            try communicator.send(FrameEncoder.route(rank: child.rank), to: 0)
            speaker = child.rank
        }
        for received in frames {
            let kind = try FrameHeader.read(from: received.frame.bytes).kind
            var attachment: OutgoingAttachment?
            if let incoming = received.attachment {
                // A worker that dies halfway through its reply never sends the rest; its end,
                // reported next, re-runs the task.
                guard let whole = try? incoming.readWhole() else { return readAny }
                attachment = OutgoingAttachment(owner: whole, base: whole.base, count: whole.count)
            }
            try communicator.send(OutgoingFrame(bytes: received.frame, attachment: attachment), to: 0)
            if kind == .ready { link.nudge() }
        }
        return readAny
    }

    // MARK: Starts and ends

    private func startWorker(rank: Int) {
        let ends = ends
        do {
            let started = try recruiter.start(rank: rank, sharingWithRankZero: direct) { processID, end in
                ends.list.withLock { $0.append((processID, end)) }
            }
            output.adopt(rank: rank, output: started.output, errors: started.errors)
            children.append(
                Child(rank: rank, processID: started.processID, stream: started.stream, memory: started.memory))
            if let name = started.memory.name {
                try communicator.send(
                    FrameEncoder.workerMemory(rank: rank, processID: started.processID, name: name), to: 0)
                link.nudge()
            }
        } catch {
            printToStandardError(
                "SwiftPool rank \(PoolProcess.rank ?? 0) (\(host)): cannot start worker \(rank): \(error)")
            // Told like any other end: rank 0 decides whether to try again.
            _ = try? communicator.send(FrameEncoder.workerEnded(rank: rank, .exited(code: 127)), to: 0)
            link.nudge()
        }
    }

    /// Tells rank 0 how each ended worker ended, after relaying whatever it finished sending first.
    private func reportEnds(_ progressed: inout Bool) throws {
        for (processID, end) in takeEnds() {
            progressed = true
            guard let index = children.firstIndex(where: { $0.processID == processID }) else { continue }
            let child = children.remove(at: index)
            // Rank 0 unlinks the name once it has opened the memory; one it never opened goes here.
            child.memory.unlinkName()
            if !direct { _ = try relayFrames(of: child) }
            try communicator.send(FrameEncoder.workerEnded(rank: child.rank, end), to: 0)
            link.nudge()
        }
    }

    private func takeEnds() -> [(processID: pid_t, end: WorkerEnd)] {
        ends.list.withLock { ended in
            defer { ended.removeAll() }
            return ended
        }
    }

    // MARK: Stopping

    /// Ends every worker: asks them to stop (or kills them when rank 0 is not ending cleanly),
    /// waits for them, and sends rank 0 the last of their output.
    func stopWorkers(_ mode: StopMode) {
        let stop = FrameEncoder.stop(.exitNow)
        for child in children {
            if mode != .finalize {
                kill(child.processID, SIGKILL)
            } else if !direct {
                // A worker on rank 0's host has its stop from rank 0, the one writer of its ring.
                child.stream.send(stop)
            }
        }
        let deadline = monotonicNanos() &+ 5_000_000_000
        var killed = mode != .finalize
        // A process the kernel cannot end (stuck in the disk, say) is not waited for past this.
        while !children.isEmpty && monotonicNanos() < deadline &+ 2_000_000_000 {
            for child in children where child.stream.hasPendingOutput { child.stream.flush() }
            for ended in takeEnds() {
                for child in children where child.processID == ended.processID { child.memory.unlinkName() }
                children.removeAll { $0.processID == ended.processID }
            }
            if !killed && monotonicNanos() >= deadline {
                for child in children { kill(child.processID, SIGKILL) }
                killed = true
            }
            sleepNanos(1_000_000)
        }
        output.waitUntilDrained(timeoutNanos: 2_000_000_000)
        link.announceStop()
    }
}
