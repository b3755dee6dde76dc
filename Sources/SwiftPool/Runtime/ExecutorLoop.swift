import DequeModule
import Synchronization

/// Rank 0's scheduler, run on the thread that owns MPI: it takes commands from user threads,
/// hands queued tasks to workers with a free slot, and settles each task's completion from the
/// worker's reply. With no workers (a single-process job) it runs each task itself, in-process,
/// through the same encode → run → decode path.
final class ExecutorLoop: @unchecked Sendable {
    // Touched by any thread: the inbox and the wake-up. Everything below them is the MPI
    // thread's alone, which is why the class is `@unchecked Sendable`.
    private let inbox = Mutex<[ExecutorCommand]>([])
    private let wakeup = Wakeup()

    private let transport: Transport
    private var workers: [WorkerSlots]
    private var pools: [UInt32: PoolQueue] = [:]
    private var poolOrder: [UInt32] = []
    private var inFlight: [UInt64: InFlightTask] = [:]
    private var sends: [PendingSend] = []
    private var finishing = false
    private var closingPools = 0

    /// How the loop reaches its workers.
    enum Transport {
        /// Worker ranks 1... of a communicator on which this process is rank 0.
        case mpi(Communicator, workerCount: Int)
        /// No other processes: run tasks here.
        case local(TaskRunner)
    }

    /// The most tasks one worker may hold at once. Tasks queued behind the running one spare the
    /// worker a round trip between short tasks; behind a long task they would only wait while
    /// another worker idles, so each pool sizes the queue from how long its tasks take.
    private let maxSlotsPerWorker: Int

    init(transport: Transport) {
        self.transport = transport
        switch transport {
        case .mpi(_, let workerCount):
            workers = (1...max(workerCount, 1)).map { WorkerSlots(rank: $0) }
            maxSlotsPerWorker = 16
        case .local:
            workers = [WorkerSlots(rank: 0)]
            maxSlotsPerWorker = 1
        }
    }

    /// The number of workers tasks can run on (1 in-process).
    var workerCount: Int { workers.count }

    // MARK: Any thread

    func post(_ command: ExecutorCommand) {
        inbox.withLock { $0.append(command) }
        wakeup.signal()
    }

    // MARK: MPI thread

    /// Runs until a `finish` command has been handled and all work is done.
    func run() {
        var backoff = IdleBackoff.standard()
        while true {
            var progressed = takeCommands()
            do {
                if try receiveReplies() { progressed = true }
                if try dispatch() { progressed = true }
                try completeSends()
            } catch {
                failEverything(asPoolError(error))
                progressed = true
            }
            if finishing && inFlight.isEmpty && pools.values.allSatisfy({ $0.queue.isEmpty }) { break }
            if progressed {
                backoff.noteActivity()
            } else if inFlight.isEmpty && sends.isEmpty && !backoff.isSpinning {
                // Nothing can arrive from a worker: sleep until a user thread posts. (Right after
                // activity the loop spins instead, so a caller submitting again soon is not kept
                // waiting for a wake-up.)
                wakeup.sleep(timeoutNanos: nil) { hasCommands }
                backoff.noteActivity()
            } else {
                backoff.idle { nanos in wakeup.sleep(timeoutNanos: nanos) { hasCommands } }
            }
        }
        stopWorkers()
    }

    private var hasCommands: Bool { inbox.withLock { !$0.isEmpty } }

    private func takeCommands() -> Bool {
        let commands = inbox.withLock { inbox -> [ExecutorCommand] in
            let taken = inbox
            inbox.removeAll(keepingCapacity: true)
            return taken
        }
        for command in commands {
            switch command {
            case .openPool(let plan):
                pools[plan.id] = PoolQueue(plan: plan, workerLimit: min(plan.workerLimit, workers.count))
                poolOrder.append(plan.id)
            case .submit(let task):
                if let pool = pools[task.pool] {
                    if let broken = pool.broken { task.completion.fail(broken) } else { pool.queue.append(task) }
                } else {
                    task.completion.fail(.shutDown("run a task"))
                }
            case .cancelQueued(let id):
                if let pool = pools[id] {
                    while let task = pool.queue.popFirst() { task.completion.cancel() }
                }
            case .closePool(let id):
                if let pool = pools[id], !pool.isClosing {
                    pool.isClosing = true
                    closingPools += 1
                }
            case .finish:
                finishing = true
            }
        }
        return !commands.isEmpty
    }

    /// Hands queued tasks to workers with a free slot, visiting pools in turn.
    private func dispatch() throws -> Bool {
        var progressed = false
        for id in poolOrder {
            guard let pool = pools[id] else { continue }
            let slots = pool.slotsPerWorker(maximum: maxSlotsPerWorker)
            while let task = pool.queue.first {
                guard let worker = freeWorker(below: pool.workerLimit, slots: slots) else { break }
                pool.queue.removeFirst()
                progressed = true
                guard task.completion.markRunning() else { continue }
                if let initializer = pool.plan.initializer, workers[worker].initializedPools.insert(id).inserted {
                    try send(initializer, to: worker)
                }
                inFlight[task.id] = InFlightTask(completion: task.completion, worker: worker, pool: id)
                if workers[worker].busy == 0 { workers[worker].headStartedAt = monotonicNanos() }
                workers[worker].busy += 1
                try send(task.frame, to: worker)
            }
        }
        if closingPools > 0 { forgetFinishedPools() }
        return progressed
    }

    /// Forgets closed pools that have nothing left to hand out.
    private func forgetFinishedPools() {
        for id in poolOrder {
            guard let pool = pools[id], pool.isClosing, pool.queue.isEmpty else { continue }
            pools[id] = nil
            closingPools -= 1
        }
        poolOrder.removeAll { pools[$0] == nil }
    }

    /// The least busy worker among the first `limit` with fewer than `slots` tasks.
    private func freeWorker(below limit: Int, slots: Int) -> Int? {
        var best: Int?
        for index in 0..<limit where workers[index].busy < slots {
            if workers[index].busy == 0 { return index }
            if best == nil { best = index }
        }
        return best
    }

    private func send(_ frame: OutgoingFrame, to worker: Int) throws {
        switch transport {
        case .mpi(let communicator, _):
            sends += try communicator.startSend(frame, to: workers[worker].rank)
        case .local(let runner):
            let header = try FrameHeader.read(from: frame.bytes.bytes)
            let attachment = frame.attachment.map(LocalAttachment.init)
            if let reply = runner.handle(frame.bytes, header: header, attachment: attachment) {
                try handleReply(reply.bytes, from: worker, attachment: reply.attachment.map(LocalAttachment.init))
            }
        }
    }

    private func completeSends() throws {
        guard !sends.isEmpty else { return }
        var index = 0
        while index < sends.count {
            if try sends[index].isComplete() {
                sends.swapAt(index, sends.count - 1)
                sends.removeLast()
            } else {
                index += 1
            }
        }
    }

    private func receiveReplies() throws -> Bool {
        guard case .mpi(let communicator, _) = transport else { return false }
        var progressed = false
        while let message = try communicator.receiveIfArrived(tag: MessageTag.frame) {
            let header = try FrameHeader.read(from: message.bytes.bytes)
            let attachment =
                header.hasAttachment ? MessageAttachment(communicator: communicator, source: message.source) : nil
            try handleReply(message.bytes, from: message.source - 1, attachment: attachment)
            try attachment?.discardIfUnread()
            progressed = true
        }
        return progressed
    }

    private func handleReply(_ frame: WireBuffer, from worker: Int, attachment: (any IncomingAttachment)?) throws {
        let header = try FrameHeader.read(from: frame.bytes)
        switch header.kind {
        case .result, .failure:
            guard let task = inFlight.removeValue(forKey: header.id) else {
                throw PoolError(.protocolViolation, "rank \(workers[worker].rank) replied to unknown task \(header.id)")
            }
            let now = monotonicNanos()
            pools[task.pool]?.recordServiceTime(now &- workers[task.worker].headStartedAt)
            workers[task.worker].busy -= 1
            workers[task.worker].headStartedAt = now
            let payload = UnsafeRawBufferPointer(rebasing: frame.bytes[FrameHeader.size...])
            if header.kind == .result {
                task.completion.complete(with: .result(payload, attachment))
            } else {
                do {
                    task.completion.complete(with: .failure(try WireDecoder.decode(TaskFailure.self, from: payload)))
                } catch {
                    task.completion.fail(decodingFailed("a task failure sent by rank \(workers[worker].rank)", error))
                }
            }
        case .initializerFailure:
            let pool = UInt32(truncatingIfNeeded: header.id)
            let payload = UnsafeRawBufferPointer(rebasing: frame.bytes[FrameHeader.size...])
            let cause = (try? WireDecoder.decode(TaskFailure.self, from: payload))?.error
            breakPool(
                pool,
                PoolError(
                    .brokenPool,
                    "the pool's initializer failed on rank \(workers[worker].rank): \(cause.map { "\($0)" } ?? "unknown error"); "
                        + "no task of this pool can run; fix the initializer and create a new pool"))
        default:
            throw PoolError(
                .protocolViolation, "rank \(workers[worker].rank) sent a \(header.kind) frame to the executor")
        }
    }

    /// Fails every unfinished task of a pool, and every later one, with `error`.
    private func breakPool(_ id: UInt32, _ error: PoolError) {
        guard let pool = pools[id], pool.broken == nil else { return }
        pool.broken = error
        pool.plan.status.markBroken(error)
        while let task = pool.queue.popFirst() { task.completion.fail(error) }
        for task in inFlight.values where task.pool == id { task.completion.fail(error) }
    }

    /// An MPI failure leaves the loop unable to trust any task: fail them all.
    private func failEverything(_ error: PoolError) {
        for id in poolOrder { breakPool(id, error) }
        for task in inFlight.values { task.completion.fail(error) }
    }

    private func stopWorkers() {
        guard case .mpi(let communicator, _) = transport else { return }
        for send in sends { try? send.wait() }
        sends.removeAll()
        let stop = WireBuffer()
        FrameHeader(kind: .stop, id: 0).write(into: stop)
        for worker in workers { try? communicator.send(stop, to: worker.rank, tag: MessageTag.frame) }
    }
}

/// A worker as the executor sees it.
struct WorkerSlots {
    var rank: Int
    /// Tasks handed to it and not yet answered.
    var busy = 0
    /// When the task it is working on now began: its dispatch, or the previous task's reply.
    var headStartedAt: UInt64 = 0
    var initializedPools: Set<UInt32> = []
}

/// A task a worker holds: whom to tell, and which worker owns it.
struct InFlightTask {
    var completion: any TaskCompletion
    var worker: Int
    var pool: UInt32
}

/// One pool's queue of tasks waiting for a worker.
final class PoolQueue {
    let plan: PoolPlan
    let workerLimit: Int
    var queue = Deque<QueuedTask>()
    var broken: PoolError?
    var isClosing = false
    /// A moving average of how long a worker spends on one of this pool's tasks; nil until the
    /// first reply.
    private var averageServiceNanos: Double?

    /// How much work to keep queued at each worker: more than a round trip to the executor takes,
    /// so a worker finishing a short task finds the next one already there.
    static let queuedWorkNanos = 200_000.0

    /// How many of this pool's tasks one worker may hold: about ``queuedWorkNanos`` of work, at
    /// least the one it runs. Unknown durations count as long, so a pool of long tasks never
    /// starts by stacking them behind each other.
    func slotsPerWorker(maximum: Int) -> Int {
        guard let average = averageServiceNanos, average > 0 else { return 1 }
        return max(1, min(maximum, Int(Self.queuedWorkNanos / average)))
    }

    func recordServiceTime(_ nanos: UInt64) {
        let sample = Double(nanos)
        averageServiceNanos = averageServiceNanos.map { 0.8 * $0 + 0.2 * sample } ?? sample
    }

    init(plan: PoolPlan, workerLimit: Int) {
        self.plan = plan
        self.workerLimit = workerLimit
    }
}
