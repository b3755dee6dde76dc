/// No other process (a job of one MPI rank): rank 0 runs each task itself, as it is handed out,
/// through the same encode → run → decode path a worker uses, and its reply is settled at once.
final class InProcessTransport: WorkerTransport {
    private let runner: TaskRunner

    init(runner: TaskRunner) {
        self.runner = runner
    }

    var runsTasksElsewhere: Bool { false }
    var hasFailed = false
    var expectsNews: Bool { false }
    var holdsOutput: Bool { false }
    var hasSendsInFlight: Bool { false }

    func send(_ frame: OutgoingFrame, to slot: Int, for scheduler: Scheduler) throws {
        let header = try FrameHeader.read(from: frame.bytes.bytes)
        let attachment = frame.attachment.map(LocalAttachment.init)
        guard let reply = runner.handle(frame.bytes, header: header, attachment: attachment) else { return }
        let replyHeader = try FrameHeader.read(from: reply.bytes.bytes)
        try scheduler.handleReply(
            reply.bytes, header: replyHeader, from: slot, attachment: reply.attachment.map(LocalAttachment.init))
    }

    func receive(for scheduler: Scheduler) throws -> Bool { false }
    func progressSends(for scheduler: Scheduler) -> Bool { false }
    func waitBriefly(for scheduler: Scheduler) { scheduler.inbox.sleep(timeoutNanos: 1_000_000) }
    func takeLastReplies(from slot: Int, for scheduler: Scheduler) {}
    func closeLink(to worker: WorkerRecord, slot: Int) {}
    func canReplace(_ worker: WorkerRecord, for scheduler: Scheduler) -> Bool { false }
    func startWorkers(in slots: [Int], asReplacements: Bool, for scheduler: Scheduler) throws {}
    func endWorker(in slot: Int, for scheduler: Scheduler) {}
    func retire(_ slot: Int, for scheduler: Scheduler) {}
    func applyMemoryLimit(_ limit: UInt64?, for scheduler: Scheduler) {}
    func stopWorkers(interrupted: Bool, for scheduler: Scheduler) -> Bool { true }
}
