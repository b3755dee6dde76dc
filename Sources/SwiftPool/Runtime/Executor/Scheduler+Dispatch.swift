import DequeModule

#if canImport(Glibc)
    import Glibc
#endif

/// Handing queued tasks to workers, and the sends that carry them.
extension Scheduler {
    // MARK: Handing out tasks

    /// Hands queued tasks to ready workers with a free slot, visiting pools in turn.
    func dispatch() throws -> Bool {
        var progressed = false
        for id in poolOrder {
            guard let pool = pools[id], !pool.queue.isEmpty else { continue }
            let slots = pool.slotsPerWorker(maximum: maxSlotsPerWorker)
            while var task = pool.queue.first {
                guard let slot = freeWorker(for: task, in: pool, slots: slots) else { break }
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
                workers[slot].tookTasks = true
                pool.inFlight += 1
                inFlightCount += 1
                if let limit = pool.plan.maxTasksPerWorker, enforcesWorkerLimits {
                    countItems(of: task, on: slot, limit: limit)
                }
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
    func forgetFinishedPools() {
        for id in poolOrder {
            guard let pool = pools[id], pool.isFinished else { continue }
            pools[id] = nil
            closingPools -= 1
            if !sharedValues.isEmpty { forgetSharedValues(ofPool: id) }
            if pool.timeoutNanos != nil { poolsWithTimeouts -= 1 }
            if pool.plan.workerMemoryLimit != nil { applyMemoryLimit() }
        }
        poolOrder.removeAll { pools[$0] == nil }
    }

    /// The least busy of the pool's first ready workers (its `workerLimit`) that `task` would not
    /// take past the pool's `maxTasksPerWorker`, if one has fewer than `slots` tasks. A worker the
    /// task would take past the limit retires.
    func freeWorker(for task: QueuedTask, in pool: PoolQueue, slots: Int) -> Int? {
        var best: Int?
        var seen = 0
        for slot in workers.indices where workers[slot].phase == .ready {
            seen += 1
            if seen > pool.workerLimit { break }
            if let limit = pool.plan.maxTasksPerWorker, enforcesWorkerLimits,
                !fits(task, on: slot, pool: pool.plan.id, limit: limit)
            {
                startRetiring(slot)
                continue
            }
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
                    // A supervisor hands rank 0's frames to the worker the last route frame named.
                    if routeBySource[worker.source] != worker.rank {
                        let route = FrameEncoder.route(rank: worker.rank)
                        for send in try communicator.startSend(route, to: worker.source) { sends.append((slot, send)) }
                        routeBySource[worker.source] = worker.rank
                    }
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
    func completeSends() -> Bool {
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
}
