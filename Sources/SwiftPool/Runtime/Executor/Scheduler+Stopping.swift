/// How the scheduler ends the job's workers.
extension Scheduler {
    /// The hosts the pool lost contact with (rather than a process on them): their launcher
    /// daemons are out of reach too.
    var unreachableHosts: [String] {
        var hosts: [String] = []
        for loss in losses {
            if case .silent = loss.end, !hosts.contains(loss.host) { hosts.append(loss.host) }
        }
        return hosts
    }

    /// Sends every worker still alive its stop frame and waits, a few seconds at most, for the
    /// sends to complete. Returns whether the job can end with `MPI_Finalize`: only when no
    /// process was lost, since finalizing waits for every process forever.
    func stopWorkers() -> Bool {
        guard let lifelines else { return true }
        lifelines.beginStopping()
        let clean = losses.isEmpty && !mpiFailed && interruption == nil
        let stop = WireBuffer()
        FrameHeader(kind: .stop, id: (clean ? StopMode.finalize : StopMode.exitNow).rawValue).write(into: stop)
        var pending = sends.map(\.send)
        var streams: [FrameStream] = []
        for worker in workers where worker.isAlive {
            switch channels[worker.channel].link {
            case .mpi(let communicator):
                if let send = try? communicator.startSend(
                    stop.bytes, keepingAlive: stop, to: worker.source, tag: MessageTag.frame)
                {
                    pending.append(send)
                }
            case .sharedMemory(let stream):
                stream.send(OutgoingFrame(bytes: stop))
                streams.append(stream)
            case .closed: break
            }
        }
        sends.removeAll()
        let deadline = monotonicNanos() &+ 5_000_000_000
        var allSent = true
        for stream in streams {
            // A worker that has stopped reading (it is dying, or still sending a big reply)
            // leaves the rest here; the deadline bounds the wait.
            while !stream.flush().isDone {
                if monotonicNanos() >= deadline {
                    allSent = false
                    break
                }
                sleepNanos(50_000)
            }
        }
        for send in pending {
            while (try? send.isComplete()) != true {
                if monotonicNanos() >= deadline {
                    allSent = false
                    break
                }
                sleepNanos(50_000)
            }
        }
        return clean && allSent
    }
}
