import HeapModule
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Workers that are only timers, to run the real scheduler and the public API at worker counts no
/// machine here holds: each simulated worker answers a task `taskNanos` after it could start it
/// (its tasks run one after another, as on a real worker), with no thread or process of its own.
///
/// The answer is the task's real reply, built by a ``TaskRunner`` as a worker would, so `map`
/// and `submit` see real results; the time spent building answers is the workers' and is counted
/// apart, in ``SimulationControl/workerCPUNanos``.
final class SimulatedTransport: WorkerTransport {
    private let taskNanos: UInt64
    private let control: SimulationControl
    private let runner = TaskRunner(rank: 1, host: SimulatedTransport.host)
    /// When each slot's worker finishes the tasks it holds.
    private var busyUntil: [UInt64] = []
    /// Tasks' answers, earliest first.
    private var answers = Heap<Answer>()
    /// Words from workers due at once: ready, initialized, ended.
    private var news: [News] = []
    var hasFailed = false

    static let host = "simulated"

    private struct Answer: Comparable {
        var due: UInt64
        var slot: Int
        var rank: Int
        var frame: OutgoingFrame

        static func < (lhs: Answer, rhs: Answer) -> Bool { lhs.due < rhs.due }
        static func == (lhs: Answer, rhs: Answer) -> Bool { lhs.due == rhs.due && lhs.rank == rhs.rank }
    }

    private enum News {
        case reply(rank: Int, OutgoingFrame)
        case ended(rank: Int, WorkerEnd)
    }

    init(taskNanos: UInt64, control: SimulationControl) {
        self.taskNanos = taskNanos
        self.control = control
    }

    var runsTasksElsewhere: Bool { true }
    var expectsNews: Bool { !news.isEmpty }
    var holdsOutput: Bool { false }
    var hasSendsInFlight: Bool { false }

    func send(_ frame: OutgoingFrame, to slot: Int, for scheduler: Scheduler) throws {
        let worker = scheduler.workers[slot]
        guard worker.isAlive else { throw WorkerUnreachable(description: "it is lost") }
        let header = try FrameHeader.read(from: frame.bytes.bytes)
        switch header.kind {
        case .task:
            let due = max(monotonicNanos(), busyUntil[slot]) &+ taskNanos
            busyUntil[slot] = due
            answers.insert(Answer(due: due, slot: slot, rank: worker.rank, frame: frame))
        case .stop:
            news.append(.ended(rank: worker.rank, .exited(code: 0)))
        default:
            // Initializers and shared values are handled at once, in order with the tasks after them.
            if let reply = answer(frame, header: header) { news.append(.reply(rank: worker.rank, reply)) }
        }
    }

    func receive(for scheduler: Scheduler) throws -> Bool {
        var progressed = killWorkersAsAsked(for: scheduler)
        if !news.isEmpty {
            let taken = news
            news = []
            for item in taken {
                switch item {
                case .reply(let rank, let frame):
                    guard let slot = scheduler.workers.slot(ofRank: rank), scheduler.workers[slot].isAlive else {
                        continue
                    }
                    try deliver(frame, from: slot, to: scheduler)
                case .ended(let rank, let end):
                    scheduler.workerEnded(rank: rank, end: end)
                }
            }
            progressed = true
        }
        guard let first = answers.min, first.due <= monotonicNanos() else { return progressed }
        let now = monotonicNanos()
        while let next = answers.min, next.due <= now {
            let answer = answers.removeMin()
            // A worker ended since: its answers never come.
            guard let slot = scheduler.workers.slot(ofRank: answer.rank), slot == answer.slot,
                scheduler.workers[slot].isAlive, let header = try? FrameHeader.read(from: answer.frame.bytes.bytes),
                let reply = self.answer(answer.frame, header: header)
            else { continue }
            try deliver(reply, from: slot, to: scheduler)
        }
        return true
    }

    /// Runs a frame as a worker would, timing it as the workers' work.
    private func answer(_ frame: OutgoingFrame, header: FrameHeader) -> OutgoingFrame? {
        let started = threadCPUNanos()
        defer { control.workerCPUNanos.add(threadCPUNanos() &- started, ordering: .relaxed) }
        return runner.handle(frame.bytes, header: header, attachment: frame.attachment.map(LocalAttachment.init))
    }

    private func deliver(_ reply: OutgoingFrame, from slot: Int, to scheduler: Scheduler) throws {
        let header = try FrameHeader.read(from: reply.bytes.bytes)
        try scheduler.handleReply(
            reply.bytes, header: header, from: slot, attachment: reply.attachment.map(LocalAttachment.init))
    }

    /// Kills as many workers that hold tasks as ``SimulationControl/kill(workers:)`` asked for.
    private func killWorkersAsAsked(for scheduler: Scheduler) -> Bool {
        var wanted = control.takeKills()
        guard wanted > 0 else { return false }
        for slot in scheduler.workers.indices where wanted > 0 {
            let worker = scheduler.workers[slot]
            guard worker.phase == .ready, !worker.tasks.isEmpty else { continue }
            news.append(.ended(rank: worker.rank, .signalled(SIGKILL)))
            wanted -= 1
        }
        return true
    }

    func progressSends(for scheduler: Scheduler) -> Bool { false }

    func waitBriefly(for scheduler: Scheduler) {
        let wait = answers.min.map { $0.due &- min($0.due, monotonicNanos()) } ?? 1_000_000
        scheduler.inbox.sleep(timeoutNanos: min(wait, 1_000_000))
    }

    func takeLastReplies(from slot: Int, for scheduler: Scheduler) {}
    func closeLink(to worker: WorkerRecord, slot: Int) {}
    func canReplace(_ worker: WorkerRecord, for scheduler: Scheduler) -> Bool { true }

    func startWorkers(in slots: [Int], asReplacements: Bool, for scheduler: Scheduler) throws {
        for slot in slots {
            let rank = scheduler.workers.nextRank
            scheduler.workers.nextRank += 1
            scheduler.workers.place(
                WorkerRecord(
                    rank: rank, channel: 0, source: 0, host: Self.host, processID: 0, isReplacement: asReplacements),
                in: slot)
            if slot == busyUntil.count { busyUntil.append(0) } else { busyUntil[slot] = 0 }
            news.append(.reply(rank: rank, FrameEncoder.ready(rank: rank, processID: 0)))
        }
    }

    func endWorker(in slot: Int, for scheduler: Scheduler) {
        news.append(.ended(rank: scheduler.workers[slot].rank, .signalled(SIGKILL)))
    }

    func retire(_ slot: Int, for scheduler: Scheduler) {
        news.append(.ended(rank: scheduler.workers[slot].rank, .exited(code: 0)))
    }

    func applyMemoryLimit(_ limit: UInt64?, for scheduler: Scheduler) {}
    func stopWorkers(interrupted: Bool, for scheduler: Scheduler) -> Bool { true }
}

/// What a program running a simulation shares with its simulated workers, from any thread.
final class SimulationControl: Sendable {
    /// CPU time the scheduler's thread spent building the workers' answers.
    let workerCPUNanos = Atomic<UInt64>(0)
    private let kills = Atomic<Int>(0)

    /// Asks for `count` workers that hold tasks to be killed, as by SIGKILL.
    func kill(workers count: Int) { kills.add(count, ordering: .relaxed) }

    func takeKills() -> Int { kills.exchange(0, ordering: .relaxed) }
}

/// CPU time the calling thread has used.
func threadCPUNanos() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
