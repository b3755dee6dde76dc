/// Settling the tasks workers answer, and a worker's word that it is ready.
extension Scheduler {
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
            ledger.inFlight -= 1
            if let pool = ledger[task.pool] {
                pool.inFlight -= 1
                pool.recordServiceTime(runNanos)
            }
            headStarted(on: slot)
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
        let depth = ledger.queueDepth
        guard depth != ledger.reportedQueueDepth else { return }
        ledger.reportedQueueDepth = depth
        metrics.queueDepth.record(depth)
    }

    func initializerEnded(_ pool: UInt32, on slot: Int) {
        workers[slot].pools.pendingInitializers.remove(pool)
        if workers[slot].tasks.first?.pool == pool { headStarted(on: slot) }
        if workers[slot].phase == .initializing && workers[slot].pools.pendingInitializers.isEmpty {
            workers[slot].phase = .ready
            workers[slot].history.wasReady = true
            updateWorkerCount()
        }
    }

    /// A worker said it is up: it gets the initializers of the pools open now.
    func workerReady(_ slot: Int, processID: Int32) throws {
        guard workers[slot].phase == .starting else { return }
        workers[slot].processID = processID
        RuntimeLog.debug("rank \(workers[slot].rank) (pid \(processID)) is ready")
        try initialize(slot)
        updateWorkerCount()
    }

    /// Sends a newly started worker the initializers of the pools open now; it takes tasks once
    /// they have all run.
    func initialize(_ slot: Int) throws {
        for pool in ledger.openPools {
            guard !pool.isClosing, pool.broken == nil, let initializer = pool.plan.initializer else { continue }
            workers[slot].pools.initialized.insert(pool.plan.id)
            workers[slot].pools.pendingInitializers.insert(pool.plan.id)
            try transport.send(initializer, to: slot, for: self)
        }
        workers[slot].phase = workers[slot].pools.pendingInitializers.isEmpty ? .ready : .initializing
        workers[slot].history.wasReady = workers[slot].phase == .ready
    }
}
