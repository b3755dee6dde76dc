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

    /// Sends every worker (plain start) or supervisor (under a launcher) still alive its stop frame
    /// and waits, a few seconds at most, for the sends to complete. Returns whether the job can end
    /// with `MPI_Finalize`: only when no supervisor was lost, since finalizing waits for every MPI
    /// process forever. (A lost worker is no obstacle: it never was an MPI process.)
    func stopWorkers() -> Bool {
        guard let lifelines else { return true }
        lifelines.beginStopping()
        let clean = lostSupervisors.isEmpty && !mpiFailed && interruption == nil
        let stop = FrameEncoder.stop(clean ? .finalize : .exitNow).bytes
        var pending = sends.map(\.send)
        var streams: [FrameStream] = []
        // Workers rank 0 reaches through shared memory (its own, or those on its host) get their
        // stop from rank 0, the one writer of their rings.
        for worker in workers where worker.isAlive {
            guard case .sharedMemory(let stream) = channels[worker.channel].link else { continue }
            stream.send(OutgoingFrame(bytes: stop))
            streams.append(stream)
        }
        switch transport {
        case .mpi(let job):
            guard !mpiFailed else { return false }
            for source in 1..<job.peers.count where !lostSupervisors.contains(source) {
                if let send = try? job.communicator.startSend(
                    stop.bytes, keepingAlive: stop, to: source, tag: MessageTag.frame)
                {
                    pending.append(send)
                }
            }
        case .spawned: break
        case .local: return true
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
